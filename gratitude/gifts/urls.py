"""URLs guests open from a share link."""

from django.urls import path

from gratitude.gifts import views

app_name = "gifts"

urlpatterns = [
    path("<str:share_key>/", views.shared_registry, name="shared_registry"),
    path("<str:share_key>/items/<int:item_id>/give/", views.give, name="give"),
    path("<str:share_key>/thank-you/", views.receipt, name="receipt"),
]
