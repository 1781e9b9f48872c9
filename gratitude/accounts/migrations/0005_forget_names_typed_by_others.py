"""Accounts made for a giver or an invitee (no password: their owner never signed up) kept the name that the
giver or inviter typed, and mail greeted the address's owner with it. Such a name was never the person's
choice (docs/safety.md promise 16): forget it, so their mail greets "Hello," until they choose one.
An account with a password chose its own name (sign-up, the account page) and keeps it."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations


def forget_names_typed_by_others(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(password__startswith=UNUSABLE_PASSWORD_PREFIX).exclude(display_name="").update(
        display_name=""
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_pending_signup"),
    ]

    operations = [
        migrations.RunPython(forget_names_typed_by_others, migrations.RunPython.noop),
    ]
