"""Admin views of send controls, operator alerts and the append-only audit log (read-only here:
halting and resuming go through `gratitude sends`, which records who and why)."""

from django.contrib import admin

from gratitude.core.admin import ReadOnlyAdmin
from gratitude.operations.models import AuditEntry, OperatorAlert, SendControl


@admin.register(SendControl)
class SendControlAdmin(ReadOnlyAdmin):
    list_display = ["kind", "halted", "source", "reason", "changed_at", "changed_by"]


@admin.register(OperatorAlert)
class OperatorAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "message", "acknowledged_at"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target", "reason"]
    search_fields = ["actor", "action", "target"]
