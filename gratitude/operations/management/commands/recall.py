"""`gratitude recall --kind KIND --since T --until T [--list]`: who got a past send, and a draft correction.

Prints the count (and, with --list, every address one a line on stdout, the count going to stderr so the
list can be piped), snapshots the messages as a recall, and prepares a draft correction to exactly those
recipients, which a staff member writes and a second one approves in the console. docs/operations.md.
"""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gratitude.core.errors import GratitudeError
from gratitude.operations.models import Campaign
from gratitude.operations.recall import iso, recall_create
from gratitude.operations.selectors import recalled_addresses


def parse_time(value: str, *, option: str) -> datetime:
    """ISO 8601 with a time zone (Z or +hh:mm); a bare date or time without a zone is refused."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"{option} {value!r} is not an ISO 8601 time, e.g. 2017-09-19T10:00:00Z") from exc
    if moment.tzinfo is None:
        raise CommandError(f"{option} {value!r} has no time zone; add Z for UTC, e.g. {value}Z")
    return moment


class Command(BaseCommand):
    help = "List exactly who received a past send, and prepare a correction to exactly them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--kind", help="the kind of message, e.g. gift_alert")
        parser.add_argument("--since", help="start of the window, ISO 8601 with zone (inclusive)")
        parser.add_argument("--until", help="end of the window, ISO 8601 with zone (exclusive)")
        parser.add_argument("--campaign", type=int, help="recall one campaign instead of a kind and window")
        parser.add_argument("--list", action="store_true", dest="as_list", help="print the addresses")
        parser.add_argument("--reason", default="", help="why (recorded in the audit log)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = f"cli:{getpass.getuser()}"
        campaign = None
        if options["campaign"] is not None:
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"no campaign {options['campaign']}")
        elif not (options["kind"] and options["since"] and options["until"]):
            raise CommandError("give --kind, --since and --until (or --campaign ID)")
        since = parse_time(options["since"], option="--since") if options["since"] else None
        until = parse_time(options["until"], option="--until") if options["until"] else None
        try:
            recall = recall_create(
                kind=options["kind"],
                since=since,
                until=until,
                campaign=campaign,
                actor=actor,
                reason=options["reason"],
            )
        except GratitudeError as exc:
            raise CommandError(str(exc)) from exc
        scope = f"campaign {campaign.pk}" if campaign else f"{recall.kind} sent {iso(since)} to {iso(until)}"
        summary = (
            f"recall {recall.pk}: {recall.message_count} messages ({scope}) "
            f"to {recall.recipient_count} recipients"
        )
        correction = recall.corrections.first()
        if options["as_list"]:
            for address in recalled_addresses(recall=recall).iterator(chunk_size=2000):
                self.stdout.write(address)
            self.stderr.write(summary)
        else:
            self.stdout.write(summary)
        if correction is not None:
            (self.stderr if options["as_list"] else self.stdout).write(
                f"draft correction {correction.pk} created: write its text in the console "
                f"(/ops/campaigns/{correction.pk}/), freeze it, and have a second operator approve it"
            )
