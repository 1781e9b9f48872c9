"""`gratitude stores add NAME [--json]` prints a new store's id and signing secret (once);
`gratitude stores rotate STORE_ID [--json]` gives it a new secret (the old one verifies 24 more hours);
`gratitude stores list` shows the stores, never their secrets."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gratitude.api.models import Store
from gratitude.api.services import store_add, store_rotate
from gratitude.core.errors import GratitudeError


class Command(BaseCommand):
    help = "Stores that post signed order events (docs/api.md)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a store; prints its id and signing secret once.")
        add.add_argument("name")
        add.add_argument("--json", action="store_true", dest="as_json")
        rotate = sub.add_parser("rotate", help="A new signing secret for a store.")
        rotate.add_argument("store_id")
        rotate.add_argument("--json", action="store_true", dest="as_json")
        sub.add_parser("list", help="Every store: id, name, when made and rotated.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "add":
                store, secret = store_add(name=options["name"])
                self._print(store, secret, as_json=options["as_json"])
            elif action == "rotate":
                found = Store.objects.filter(public_id=options["store_id"]).first()
                if found is None:
                    raise CommandError("no store with that id")
                self._print(found, store_rotate(store=found), as_json=options["as_json"])
            else:
                for row in Store.objects.order_by("name", "pk"):
                    rotated = row.rotated_at.isoformat() if row.rotated_at else "never"
                    self.stdout.write(f"{row.public_id}  {row.name}  rotated: {rotated}")
        except GratitudeError as exc:
            raise CommandError(str(exc)) from exc

    def _print(self, store: Store, secret: str, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps({"id": store.public_id, "secret": secret}))
        else:
            self.stdout.write(f"id: {store.public_id}\nsecret: {secret}\n(the secret is shown only now)")
