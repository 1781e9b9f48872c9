"""A URL map with one view that fails, for the logging tests (ROOT_URLCONF in a fresh interpreter)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def boom(request: HttpRequest, share_key: str) -> HttpResponse:
    raise RuntimeError("could not thank sam@example.test, password=hunter2 token: abc123")


urlpatterns = [path("r/<str:share_key>/boom/", boom)]
