"""Admin views of send controls, operator alerts, the append-only audit log, campaigns and recalls (read-only
here: halting, resuming, approving and recalling go through the console or the commands, which record who
and why)."""

from django.contrib import admin

from gratitude.core.admin import ReadOnlyAdmin
from gratitude.operations.models import AuditEntry, Campaign, OperatorAlert, Recall, SendControl


@admin.register(SendControl)
class SendControlAdmin(ReadOnlyAdmin):
    list_display = ["kind", "halted", "source", "reason", "changed_at", "changed_by"]


@admin.register(OperatorAlert)
class OperatorAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "message", "acknowledged_at", "acknowledged_by"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target", "reason"]
    search_fields = ["actor", "action", "target"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "title", "state", "author", "approved_by", "frozen_count", "created_at"]
    list_filter = ["kind", "state"]


@admin.register(Recall)
class RecallAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "kind",
        "since",
        "until",
        "campaign",
        "message_count",
        "recipient_count",
        "created_by",
    ]
