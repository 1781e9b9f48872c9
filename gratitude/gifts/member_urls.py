"""URLs for registrants' gifts page, under /registries/<id>/gifts/ (included from config/urls.py)."""

from django.urls import path

from gratitude.gifts import views

app_name = "member_gifts"

urlpatterns = [
    path("<id:registry_id>/gifts/", views.member_gifts, name="list"),
    path("<id:registry_id>/gifts/record/", views.gift_record_by_hand, name="record"),
    path("<id:registry_id>/gifts/<id:gift_id>/received/", views.gift_received, name="received"),
    path("<id:registry_id>/gifts/<id:gift_id>/remove/", views.gift_remove, name="remove"),
]
