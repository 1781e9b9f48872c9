"""URLs of the API app's pages: tokens under /accounts/api-tokens/, store events under /ops/stores/."""

from django.urls import path

from gratitude.api import views

app_name = "api"

urlpatterns = [
    path("accounts/api-tokens/", views.tokens, name="tokens"),
    path("accounts/api-tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("ops/stores/", views.store_events, name="store_events"),
]
