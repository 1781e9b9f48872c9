"""Admin for registries, their members and items (support look-ups)."""

from django.contrib import admin

from gratitude.registries.models import Item, Registry, RegistryMember


class MemberInline(admin.TabularInline[RegistryMember, Registry]):
    model = RegistryMember
    extra = 0


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin[Registry]):
    list_display = ["title", "occasion", "event_date", "visibility", "created_at"]
    search_fields = ["title"]
    exclude = ["share_key"]
    inlines = [MemberInline]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin[Item]):
    list_display = ["title", "registry", "quantity", "price"]
    search_fields = ["title"]
