"""URLs guests open: a share link and its pages, and a giver's own hold."""

from django.urls import path

from gratitude.gifts import views

app_name = "gifts"

urlpatterns = [
    # Before "<share_key>/": a share key is 22 random characters, never "hold".
    path("hold/<str:token>/", views.reservation, name="reservation"),
    path("hold/<str:token>/release/", views.reservation_release, name="reservation_release"),
    path("<str:share_key>/", views.shared_registry, name="shared_registry"),
    path("<str:share_key>/items/<id:item_id>/give/", views.give, name="give"),
    path("<str:share_key>/items/<id:item_id>/reserve/", views.reserve, name="reserve"),
    path("<str:share_key>/items/<id:item_id>/contribute/", views.contribute, name="contribute"),
    path("<str:share_key>/thank-you/", views.receipt, name="receipt"),
]
