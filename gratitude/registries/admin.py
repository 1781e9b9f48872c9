"""Admin for registries, their members, items and invitations (support look-ups)."""

from django.contrib import admin

from gratitude.core.admin import ReadOnlyAdmin
from gratitude.registries.models import Item, Registry, RegistryInvitation, RegistryMember


class MemberInline(admin.TabularInline[RegistryMember, Registry]):
    model = RegistryMember
    extra = 0


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin[Registry]):
    list_display = ["title", "occasion", "event_date", "visibility", "created_at", "archived_at"]
    search_fields = ["title"]
    # The share key is a secret of the registrants; the shipping address is theirs alone.
    exclude = ["share_key", "shipping_address"]
    inlines = [MemberInline]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin[Item]):
    list_display = ["title", "registry", "quantity", "price", "currency", "priority", "archived_at"]
    search_fields = ["title"]


@admin.register(RegistryInvitation)
class RegistryInvitationAdmin(ReadOnlyAdmin):
    """Invitations change only through registries.services (their mail is written with them)."""

    list_display = ["email", "registry", "role", "state", "created_at", "expires_at"]
    list_filter = ["state", "role"]
