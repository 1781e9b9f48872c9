"""`gratitude mail preview KIND`: render one kind with sample data (made and rolled back), as it would go."""

from __future__ import annotations

import email
import email.policy
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gratitude.notifications.devtools.samples import NoSample, preview
from gratitude.notifications.outbox.kinds import KINDS


class Command(BaseCommand):
    help = "Mail tools: preview a kind with sample data (docs/deliverability.md)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("preview", help="Render KIND with sample data; nothing is kept or sent.")
        show.add_argument("kind", help=f"one of: {', '.join(sorted(KINDS))}")
        show.add_argument(
            "--part",
            choices=["summary", "text", "html", "raw"],
            default="summary",
            help="summary (headers and text, the default), text, html, or raw (the whole signed message)",
        )

    def handle(self, *args: Any, action: str, kind: str, part: str, **options: Any) -> None:
        if kind not in KINDS:
            raise CommandError(f"unknown kind {kind!r}; kinds: {', '.join(sorted(KINDS))}")
        try:
            sample = preview(kind)
        except NoSample as exc:
            raise CommandError(str(exc)) from exc
        if part == "text":
            self.stdout.write(sample.rendered.text, ending="")
        elif part == "html":
            self.stdout.write(sample.rendered.html)
        elif part == "raw":
            self.stdout.write(sample.raw.decode("utf-8", "replace"), ending="")
        else:
            message = email.message_from_bytes(sample.raw, policy=email.policy.default)
            for name in ("From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"):
                if message[name] is not None:
                    self.stdout.write(f"{name}: {message[name]}")
            signed = "signed (DKIM)" if message["DKIM-Signature"] is not None else "not signed (no DKIM key)"
            self.stdout.write(f"[{signed}]\n")
            self.stdout.write(sample.rendered.text, ending="")
