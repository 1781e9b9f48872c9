"""`gratitude staff list|grant|revoke`: who may use the operator console; every change audited with why."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gratitude.accounts.models import User, normalize_email_address
from gratitude.core.errors import GratitudeError
from gratitude.operations.services import staff_role_set


class Command(BaseCommand):
    help = "List, grant or revoke the staff role (operator console, campaigns, approvals)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Every staff account.")
        for name in ("grant", "revoke"):
            change = sub.add_parser(name, help=f"{name.capitalize()} the staff role.")
            change.add_argument("email")
            change.add_argument("--reason", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            for email in User.objects.filter(is_staff=True).order_by("email").values_list("email", flat=True):
                self.stdout.write(email)
            return
        user = User.objects.filter(email=normalize_email_address(options["email"])).first()
        if user is None:
            raise CommandError(f"no account for {options['email']}")
        try:
            changed = staff_role_set(
                user=user, staff=action == "grant", by=f"cli:{getpass.getuser()}", reason=options["reason"]
            )
        except GratitudeError as exc:
            raise CommandError(str(exc)) from exc
        state = "is now staff" if action == "grant" else "is no longer staff"
        self.stdout.write(f"{user.email} {state}" if changed else f"{user.email}: nothing to change")
