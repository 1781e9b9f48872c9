"""URLs for the Thank You List."""

from django.urls import path

from gratitude.thanks import views

app_name = "thanks"

urlpatterns = [
    path("<int:registry_id>/thanks/", views.thank_you_list_page, name="list"),
]
