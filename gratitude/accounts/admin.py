"""Admin for people: look up an account, never see its password, never change who is an operator.

The staff and superuser flags, groups and permissions decide who runs the console and approves campaigns
under the two-person rule (docs/safety.md promise 4), and the address is the login: here they are read-only,
so one superuser cannot make a second operator unseen. Staff changes go through `gratitude staff grant|revoke
--reason`, which audits them (docs/operations.md, "Who is staff")."""

from django.contrib import admin
from django.contrib.auth.models import Group

from gratitude.accounts.models import User

# Groups grant permissions, and nothing here uses them: one less way to hand out operator powers unaudited.
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ["email", "display_name", "email_verified_at", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "display_name"]
    list_filter = ["is_active", "is_staff"]
    exclude = ["password"]
    readonly_fields = [
        "email",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
        "last_login",
        "date_joined",
    ]
