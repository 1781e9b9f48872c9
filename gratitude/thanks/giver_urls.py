"""The one page a giver opens from an address request (under /t/): no account, the signed link is the key."""

from django.urls import path

from gratitude.thanks import views

app_name = "thanks_giver"

urlpatterns = [
    path("address/<str:token>/", views.address_share, name="address_share"),
]
