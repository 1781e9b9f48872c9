"""The Thank You List as a CSV: UTF-8, one row per active gift, spreadsheet-safe, streamed row by row so
100,000 gifts take the same memory as 100 (docs/thank-you-list.md, "Exports")."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from django.utils import timezone

from gratitude.core.errors import GratitudeError
from gratitude.core.spreadsheets import spreadsheet_safe
from gratitude.gifts.models import Gift, GiftSource, GiftState
from gratitude.registries.models import Registry
from gratitude.thanks.models import EnteredAddress, ThankYouStatus
from gratitude.thanks.selectors import entered_by_name, giver_key, hides_details

CSV_HEADER: list[str | int] = [
    "Gift",
    "Date given",
    "Item",
    "Quantity",
    "Amount",
    "Currency",
    "From",
    "Email",
    "Mailing address",
    "Address from",
    "Message",
    "Date received",
    "Thank-you",
    "Written on",
    "Sent on",
    "Note",
    "Source",
]
CHUNK_CHARS = 64 * 1024
_ROWS_PER_FETCH = 2000
_STATUS_LABELS = dict(ThankYouStatus.choices)
_SOURCE_LABELS: dict[str, str] = {
    GiftSource.GUEST: "Given from the registry",
    GiftSource.REGISTRANT: "Recorded by hand",
    GiftSource.API: "Given through the API",
    GiftSource.STORE: "A store's order",
}


def check_exportable(*, registry: Registry) -> None:
    if hides_details(registry):
        raise GratitudeError(
            "Gifts on this registry are a surprise, so exports wait for the reveal: they would show what "
            "and who."
        )


def _day(moment: datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment is not None else ""


def _entered_addresses(registry: Registry) -> dict[str, tuple[str, str]]:
    """giver key -> (address, "Typed in by <member>") for the givers who shared no address themselves but
    for whom a member typed one in. As many entries as such givers, never one per gift."""
    entered = {
        row.giver_key: (row.address, f"Typed in by {entered_by_name(row)}")
        for row in EnteredAddress.objects.filter(registry=registry).select_related("entered_by")
    }
    if entered:
        shared = (
            Gift.objects.filter(registry=registry, state=GiftState.ACTIVE)
            .exclude(giver_address="")
            .values_list("giver_email", "giver_name")
            .distinct()
        )
        for email, name in shared.iterator(chunk_size=_ROWS_PER_FETCH):
            entered.pop(giver_key(email=email, name=name), None)
    return entered


def thank_you_csv_rows(*, registry: Registry) -> Iterator[Sequence[str | int]]:
    """The header, then one row per active gift, oldest first, fetched in chunks (never all at once)."""
    check_exportable(registry=registry)
    yield CSV_HEADER
    entered = _entered_addresses(registry)
    gifts = (
        Gift.objects.filter(registry=registry, state=GiftState.ACTIVE)
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "created_at",
            "item__title",
            "quantity",
            "amount",
            "item__currency",
            "giver_name",
            "giver_email",
            "giver_address",
            "message",
            "received_at",
            "thank_you__status",
            "thank_you__written_at",
            "thank_you__sent_at",
            "thank_you__note",
            "source",
        )
    )
    for (
        pk,
        created_at,
        item,
        quantity,
        amount,
        currency,
        name,
        email,
        address,
        message,
        received_at,
        status,
        written_at,
        sent_at,
        note,
        source,
    ) in gifts.iterator(chunk_size=_ROWS_PER_FETCH):
        address_from = "Shared by the giver" if address else ""
        if not address and entered:
            address, address_from = entered.get(giver_key(email=email, name=name), ("", ""))
        yield [
            pk,
            _day(created_at),
            spreadsheet_safe(item),
            quantity,
            f"{amount:.2f}" if amount is not None else "",
            currency if amount is not None else "",
            spreadsheet_safe(name),
            spreadsheet_safe(email),
            spreadsheet_safe(address),
            spreadsheet_safe(address_from),
            spreadsheet_safe(message),
            _day(received_at),
            _STATUS_LABELS[status or ThankYouStatus.TODO],
            _day(written_at),
            _day(sent_at),
            spreadsheet_safe(note or ""),
            _SOURCE_LABELS.get(source, source),
        ]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_text_chunks(rows: Iterable[Sequence[str | int]], *, bom: bool = False) -> Iterator[str]:
    """RFC 4180 CSV (CRLF, quotes doubled) in chunks of about 64 KB. `bom` starts it with a UTF-8 byte-order
    mark, which is how spreadsheet programs recognise a CSV as UTF-8 rather than a local code page."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    parts: list[str] = ["\ufeff"] if bom else []
    size = 0
    for row in rows:
        line = writer.writerow(row)
        parts.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(parts)
            parts, size = [], 0
    if parts:
        yield "".join(parts)
