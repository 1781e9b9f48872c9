"""URLs for registrants' gifts page, under /registries/<id>/gifts/ (included from config/urls.py)."""

from django.urls import path

from gratitude.gifts import views

app_name = "member_gifts"

urlpatterns = [
    path("<int:registry_id>/gifts/", views.member_gifts, name="list"),
    path("<int:registry_id>/gifts/record/", views.gift_record_by_hand, name="record"),
    path("<int:registry_id>/gifts/<int:gift_id>/received/", views.gift_received, name="received"),
    path("<int:registry_id>/gifts/<int:gift_id>/remove/", views.gift_remove, name="remove"),
]
