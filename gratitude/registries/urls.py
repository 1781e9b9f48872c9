"""URLs for registrants' registry pages."""

from django.urls import path

from gratitude.registries import views

app_name = "registries"

urlpatterns = [
    path("", views.registry_list, name="list"),
    path("new/", views.registry_new, name="new"),
    path("<int:registry_id>/", views.registry_detail, name="detail"),
    path("<int:registry_id>/items/", views.item_add, name="item_add"),
    path("<int:registry_id>/share-link/reset/", views.share_link_reset, name="share_link_reset"),
]
