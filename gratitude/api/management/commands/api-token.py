"""`gratitude api-token create EMAIL --name N [--scope read|write]`: make a personal API token and print it
once (it is stored only as a hash); `gratitude api-token revoke EMAIL --prefix P` revokes one."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gratitude.accounts.models import User, normalize_email_address
from gratitude.api.models import ApiToken, TokenScope
from gratitude.api.services import api_token_create, api_token_revoke
from gratitude.core.errors import GratitudeError


class Command(BaseCommand):
    help = "Personal API tokens (docs/api.md)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token; it is printed once.")
        create.add_argument("email")
        create.add_argument("--name", required=True)
        create.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        revoke = sub.add_parser("revoke", help="Revoke a token by the characters it starts with.")
        revoke.add_argument("email")
        revoke.add_argument("--prefix", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        user = User.objects.filter(email=normalize_email_address(options["email"])).first()
        if user is None:
            raise CommandError("no account with that email address")
        try:
            if action == "create":
                _, raw = api_token_create(user=user, name=options["name"], scope=options["scope"])
                self.stdout.write(raw)
            else:
                token = ApiToken.objects.filter(user=user, prefix=options["prefix"], revoked_at=None).first()
                if token is None:
                    raise CommandError("no active token of that account starts with that")
                api_token_revoke(token=token, by=user)
                self.stdout.write(f"revoked: {token.name}")
        except GratitudeError as exc:
            raise CommandError(str(exc)) from exc
