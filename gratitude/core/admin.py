"""Shared admin pieces."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """For models that change only through services: the admin may look, never touch."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        # A model keyed by a one-to-one field (ThankYou by its gift) gets no overflow guard from Django:
        # an id past 2^63 in the URL would be a 500 on SQLite instead of "no such object".
        try:
            return super().get_object(request, object_id, from_field)
        except OverflowError:
            return None
