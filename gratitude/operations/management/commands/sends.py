"""`gratitude sends status|halt|resume`: see and switch sending, per kind or for everything."""

from __future__ import annotations

import getpass
import json
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from gratitude.core.errors import GratitudeError
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.operations.models import ALL_KINDS, SendControl
from gratitude.operations.services import sends_halt, sends_resume


class Command(BaseCommand):
    help = "Sending controls: status, halt, resume (docs/operations.md)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="Per kind: halted?, breaker, queued, sent, suppressed.")
        status.add_argument("--json", action="store_true", dest="as_json")
        halt = sub.add_parser("halt", help="Halt sending (all kinds, or one); queued mail is held.")
        halt.add_argument("--kind", default=None)
        halt.add_argument("--reason", required=True)
        resume = sub.add_parser("resume", help="Resume sending; held mail becomes due again.")
        resume.add_argument("--kind", default=None)
        resume.add_argument("--reason", default="")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        actor = f"cli:{getpass.getuser()}"
        try:
            if action == "halt":
                sends_halt(kind=options["kind"], reason=options["reason"], by=actor)
                self.stdout.write(f"halted: {options['kind'] or 'all kinds'}")
            elif action == "resume":
                released = sends_resume(kind=options["kind"], by=actor, reason=options["reason"])
                self.stdout.write(f"resumed: {options['kind'] or 'all kinds'} ({released} held released)")
            else:
                self._status(as_json=options["as_json"])
        except GratitudeError as exc:
            raise CommandError(str(exc)) from exc

    def _status(self, *, as_json: bool) -> None:
        report = sends_status()
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
            return
        overall = report["all"]
        self.stdout.write(
            "ALL KINDS: " + (f"HALTED ({overall['reason']})" if overall["halted"] else "running")
        )
        for name, row in report["kinds"].items():
            state = "HALTED" if row["halted"] else "running"
            if row["halted"]:
                state += f" by {row['halted_by']} ({row['reason']})"
            self.stdout.write(
                f"{name:<16} {state:<40} queued={row['queued']} held={row['held']} "
                f"sent_1h={row['sent_last_hour']} suppressed_1h={row['suppressed_last_hour']}"
            )


def sends_status() -> dict[str, Any]:
    since = timezone.now() - timedelta(hours=1)
    controls = {c.kind: c for c in SendControl.objects.all()}

    def counts(**filters: Any) -> dict[str, int]:
        return dict(
            Notification.objects.filter(**filters)
            .values("kind")
            .annotate(n=Count("pk"))
            .values_list("kind", "n")
        )

    queued = counts(state__in=[NotificationState.PENDING, NotificationState.SENDING])
    held = counts(state=NotificationState.HELD)
    sent = counts(state=NotificationState.SENT, sent_at__gte=since)
    suppressed = counts(state=NotificationState.SUPPRESSED, updated_at__gte=since)
    everything = controls.get(ALL_KINDS)
    kinds: dict[str, Any] = {}
    for name in sorted(KINDS):
        control = controls.get(name)
        halted = bool(control and control.halted)
        kinds[name] = {
            "halted": halted,
            "halted_by": control.source if halted and control else None,
            "breaker_open": bool(halted and control and control.source == SendControl.Source.BREAKER),
            "reason": control.reason if halted and control else "",
            "queued": queued.get(name, 0),
            "held": held.get(name, 0),
            "sent_last_hour": sent.get(name, 0),
            "suppressed_last_hour": suppressed.get(name, 0),
        }
    return {
        "all": {
            "halted": bool(everything and everything.halted),
            "reason": everything.reason if everything and everything.halted else "",
        },
        "kinds": kinds,
    }
