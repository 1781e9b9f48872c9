"""`gratitude dkim dns-record` prints the DNS records to publish for the configured DKIM key(s), with a
suggested SPF and DMARC; `gratitude dkim keygen PATH` writes a new RSA-2048 key (docs/deliverability.md)."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gratitude.notifications import conf
from gratitude.notifications.transport.dkim import configured_signers, generate_rsa_key_pem, txt_strings


class Command(BaseCommand):
    help = "DKIM: print the DNS records to publish, or generate a key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("dns-record", help="The TXT record(s) for the configured key(s), and SPF/DMARC.")
        keygen = sub.add_parser("keygen", help="Write a new RSA-2048 private key (PEM) to PATH.")
        keygen.add_argument("path", type=Path)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "keygen":
            self._keygen(options["path"])
        else:
            self._dns_record()

    def _keygen(self, path: Path) -> None:
        if path.exists():
            raise CommandError(f"{path} exists; not overwriting a key that may be published")
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(generate_rsa_key_pem())
        self.stdout.write(
            f"wrote {path}; set GRATITUDE_DKIM_KEY_FILE={path} and run `gratitude dkim dns-record`"
        )

    def _dns_record(self) -> None:
        signers = configured_signers()
        if not signers:
            raise CommandError(
                "no DKIM key: set GRATITUDE_DKIM_KEY_FILE (`gratitude dkim keygen PATH` makes one)"
            )
        domain = conf.dkim_domain()
        self.stdout.write(
            f"; DKIM for d={domain}: publish, then send a test message (docs/deliverability.md)"
        )
        for signer in signers:
            quoted = " ".join(f'"{part}"' for part in txt_strings(signer.dns_value()))
            self.stdout.write(f"{signer.dns_name()}. IN TXT ( {quoted} )")
        self.stdout.write("; Suggested SPF (list the hosts that send for you; -all once you are sure):")
        self.stdout.write(f'{domain}. IN TXT "v=spf1 mx a ~all"')
        self.stdout.write("; Suggested DMARC (start with p=none and read the reports, then quarantine):")
        self.stdout.write(
            f'_dmarc.{domain}. IN TXT "v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:dmarc@{domain}"'
        )
