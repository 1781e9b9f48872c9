"""URLs for the Thank You List (under /registries/<id>/thanks/, for the registry's members)."""

from django.urls import path

from gratitude.thanks import views

app_name = "thanks"

urlpatterns = [
    path("<id:registry_id>/thanks/", views.thank_you_list_page, name="list"),
    path("<id:registry_id>/thanks/mark/", views.mark, name="mark"),
    path("<id:registry_id>/thanks/undo/", views.undo, name="undo"),
    path("<id:registry_id>/thanks/gifts/<id:gift_id>/", views.gift_page, name="gift"),
    path("<id:registry_id>/thanks/gifts/<id:gift_id>/ask-address/", views.ask_address, name="ask_address"),
    path("<id:registry_id>/thanks/gifts/<id:gift_id>/address/", views.enter_address, name="enter_address"),
    path("<id:registry_id>/thanks/export.csv", views.export_csv, name="export_csv"),
    path("<id:registry_id>/thanks/labels/", views.labels, name="labels"),
]
