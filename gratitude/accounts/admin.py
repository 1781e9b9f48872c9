"""Admin for people: look up an account, never see its password."""

from django.contrib import admin

from gratitude.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ["email", "display_name", "email_verified_at", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "display_name"]
    list_filter = ["is_active", "is_staff"]
    exclude = ["password"]
    readonly_fields = ["last_login", "date_joined"]
