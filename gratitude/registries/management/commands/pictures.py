"""`gratitude pictures fetch-pasted` and `gratitude pictures clear-unused`: pictures kept by us.

fetch-pasted turns the picture links registrants pasted before pictures were kept by us into kept pictures,
through the same checks as "add from any store" (fetch.py, pictures.py); each link is cleared either way,
so nothing ever hot-links it. clear-unused deletes pictures no item or registry uses (the worker also runs
it hourly). See docs/registries.md, "Pictures".
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from gratitude.core.errors import GratitudeError
from gratitude.registries.models import Item
from gratitude.registries.services.add_from_store import item_pasted_picture_fetch, pictures_unused_clear


class Command(BaseCommand):
    help = "Pictures kept by us: fetch pasted picture links, or clear unused pictures (docs/registries.md)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fetch = sub.add_parser("fetch-pasted", help="Keep the pictures behind links pasted before.")
        fetch.add_argument("--limit", type=int, default=0, help="At most this many items (0: all).")
        sub.add_parser("clear-unused", help="Delete pictures no item or registry uses, after a day.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "clear-unused":
            self.stdout.write(f"deleted {pictures_unused_clear()} unused pictures")
            return
        items = Item.objects.exclude(pasted_image_url="").select_related("registry").order_by("pk")
        if options["limit"] > 0:
            items = items[: options["limit"]]
        kept = failed = 0
        for item in items:
            try:
                item_pasted_picture_fetch(item=item)
                kept += 1
            except GratitudeError as exc:
                failed += 1
                # The item's id and the reason only: the link is the registrant's, not the log's.
                self.stderr.write(f"item {item.pk}: {exc}")
        self.stdout.write(f"kept {kept} pictures; {failed} links could not be kept (cleared)")
