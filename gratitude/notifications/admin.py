"""Admin for the outbox and suppressions: read-only, because only services and workers write them."""

from django.contrib import admin

from gratitude.core.admin import ReadOnlyAdmin
from gratitude.notifications.models import Notification, SuppressedAddress


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "kind", "recipient", "state", "reason", "due_at", "sent_at"]
    list_filter = ["kind", "state"]
    search_fields = ["reference", "recipient__email", "message_id"]


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(ReadOnlyAdmin):
    list_display = ["address", "reason", "created_at"]
    search_fields = ["address"]
