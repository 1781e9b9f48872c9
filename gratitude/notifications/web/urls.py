"""URLs for mail people can trust: the notification centre, the code check, one-click unsubscribe, and the
configured provider's tracking webhook (docs/deliverability.md)."""

from django.urls import path

from gratitude.notifications.web import provider_webhooks, views

app_name = "notifications"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("check/", views.check, name="check"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("never/<str:token>/", views.never_email, name="never_email"),
    # Only GRATITUDE_MAIL_PROVIDER's answers; any other provider's path is a 404 (web/provider_webhooks.py).
    path("webhooks/<str:provider>/tracking/", provider_webhooks.tracking, name="provider_webhook"),
    # Last: a reference code is 10 characters from the reference alphabet.
    path("<str:reference>/", views.centre_message, name="centre_message"),
]
