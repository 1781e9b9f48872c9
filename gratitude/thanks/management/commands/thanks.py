"""`gratitude thanks export REGISTRY_ID [--format csv]`: a registry's Thank You List as CSV on stdout.

An operator's tool (a registrant downloads the same CSV from the list page), so it takes any registry id;
like the page it holds the list back while the registry keeps gifts a surprise. See docs/thank-you-list.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gratitude.core.errors import GratitudeError
from gratitude.registries.models import Registry
from gratitude.thanks.exports import check_exportable, csv_text_chunks, thank_you_csv_rows


class Command(BaseCommand):
    help = "The Thank You List: export a registry's list (docs/thank-you-list.md)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write one row per active gift to stdout.")
        export.add_argument("registry_id", type=int)
        export.add_argument("--format", choices=["csv"], default="csv", dest="fmt")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        registry = Registry.objects.filter(pk=options["registry_id"]).first()
        if registry is None:
            raise CommandError(f"no registry with id {options['registry_id']}")
        try:
            check_exportable(registry=registry)
        except GratitudeError as exc:
            raise CommandError(str(exc)) from exc
        # No byte-order mark on stdout: it is for scripts and pipes; the web download carries one.
        for chunk in csv_text_chunks(thank_you_csv_rows(registry=registry)):
            self.stdout.write(chunk, ending="")
        self.stdout.flush()
