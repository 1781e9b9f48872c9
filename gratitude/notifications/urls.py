"""URLs for mail people can trust: the notification centre, the code check, one-click unsubscribe, and the
providers' tracking webhooks (docs/deliverability.md)."""

from anymail.urls import urlpatterns as anymail_urlpatterns
from django.urls import URLPattern, URLResolver, include, path

from gratitude.notifications import views

app_name = "notifications"


def _tracking_only(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    # Only delivery events come in; we take no inbound mail, so those endpoints do not exist here.
    return [p for p in patterns if isinstance(p, URLPattern) and "inbound" not in str(p.pattern)]


urlpatterns = [
    path("", views.centre, name="centre"),
    path("check/", views.check, name="check"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("never/<str:token>/", views.never_email, name="never_email"),
    path("webhooks/", include((_tracking_only(anymail_urlpatterns), "anymail"))),
    # Last: a reference code is 10 characters from the reference alphabet.
    path("<str:reference>/", views.centre_message, name="centre_message"),
]
