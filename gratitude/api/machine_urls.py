"""The URL map of the machine path (config/wsgi.py): the store webhook alone, at the address the site's map
(and the OpenAPI schema) gives it."""

from django.urls import path

from gratitude.api.webhook import store_events_view

urlpatterns = [
    path("api/v1/stores/<str:store_id>/events", store_events_view, name="store_events_machine"),
]
