"""Admin for gifts and reservations. Gifts change only through services, so the admin only reads."""

from django.contrib import admin

from gratitude.core.admin import ReadOnlyAdmin
from gratitude.gifts.models import Gift, GiftRemoval, Reservation


@admin.register(Gift)
class GiftAdmin(ReadOnlyAdmin):
    list_display = ["item", "giver_name", "quantity", "source", "state", "created_at"]
    list_filter = ["state", "source"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["item", "giver_name", "quantity", "state", "expires_at"]


@admin.register(GiftRemoval)
class GiftRemovalAdmin(ReadOnlyAdmin):
    list_display = ["gift", "by", "reason", "created_at"]
