"""Admin for the Thank You List's records. They change only through services, so the admin only reads."""

from django.contrib import admin

from gratitude.core.admin import ReadOnlyAdmin
from gratitude.thanks.models import AddressRequest, ThankYou, ThankYouChange


@admin.register(ThankYou)
class ThankYouAdmin(ReadOnlyAdmin):
    list_display = ["gift", "status", "written_at", "sent_at", "updated_at"]
    list_filter = ["status"]


@admin.register(ThankYouChange)
class ThankYouChangeAdmin(ReadOnlyAdmin):
    list_display = ["gift", "from_status", "to_status", "by", "at", "undone_at"]


@admin.register(AddressRequest)
class AddressRequestAdmin(ReadOnlyAdmin):
    list_display = ["registry", "giver_email", "requested_by", "requested_at", "answered_at"]
