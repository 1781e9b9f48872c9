"""URLs for the Thank You List (under /registries/<id>/thanks/, for the registry's members)."""

from django.urls import path

from gratitude.thanks import views

app_name = "thanks"

urlpatterns = [
    path("<int:registry_id>/thanks/", views.thank_you_list_page, name="list"),
    path("<int:registry_id>/thanks/mark/", views.mark, name="mark"),
    path("<int:registry_id>/thanks/undo/", views.undo, name="undo"),
    path("<int:registry_id>/thanks/gifts/<int:gift_id>/", views.gift_page, name="gift"),
    path("<int:registry_id>/thanks/gifts/<int:gift_id>/ask-address/", views.ask_address, name="ask_address"),
    path("<int:registry_id>/thanks/gifts/<int:gift_id>/address/", views.enter_address, name="enter_address"),
    path("<int:registry_id>/thanks/export.csv", views.export_csv, name="export_csv"),
    path("<int:registry_id>/thanks/labels/", views.labels, name="labels"),
]
