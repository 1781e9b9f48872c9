"""Exports: the CSV (spreadsheet-safe, UTF-8, round-trips through a CSV parser, streamed), the mailing labels,
`gratitude thanks export`, and what a surprise registry holds back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from gratitude.gifts.models import Gift, GiftState
from gratitude.gifts.services import gift_cancel, gift_mark_received
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.thanks.exports import CSV_HEADER, csv_text_chunks, spreadsheet_safe
from gratitude.thanks.services import thank_you_mark, thank_you_note_set

pytestmark = pytest.mark.django_db

# Names in several scripts, and messages with everything CSV has to quote.
GIVERS = [
    ("Zoë Ångström", "zoe@example.test", "Für euch, mit Liebe"),
    ("王小明", "", "祝你们幸福"),
    ("محمد الأحمد", "m@example.test", "مبروك"),
    ("Ольга", "", 'She said "hi", then left'),
    ("Jo, Jr.", "jo@example.test", "Line one\nLine two, with a comma\r\nand a CRLF"),
    ("Émoji 🎁", "", "🎉🎈"),
]


def _download(client, registry):
    response = client.get(reverse("thanks:export_csv", args=[registry.pk]))
    assert response.status_code == 200
    assert response.streaming
    return response, b"".join(response.streaming_content)


def _parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def alex(client):
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Alex & Sam's wedding")
    client.force_login(owner)
    return owner, registry


def test_the_csv_round_trips_names_in_any_script_commas_quotes_and_newlines(client, alex):
    _, registry = alex
    item = make_item(registry=registry, title="Teapot, blue", quantity=20)
    for name, email, message in GIVERS:
        make_gift(item=item, giver_name=name, giver_email=email, message=message)

    response, data = _download(client, registry)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="thank-you-list-alex-sams-wedding.csv"'
    assert "no-store" in response["Cache-Control"]
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes spreadsheets read UTF-8
    rows = _parse(data)
    assert rows[0] == CSV_HEADER
    body = [dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]]
    assert len(body) == len(GIVERS)
    for row, (name, email, message) in zip(body, GIVERS, strict=True):
        assert row["From"] == name
        assert row["Email"] == email
        assert row["Message"] == message
        assert row["Item"] == "Teapot, blue"
        assert row["Quantity"] == "1"
        assert row["Thank-you"] == "To do"


def test_one_row_per_active_gift_with_status_dates_address_and_note(client, alex):
    owner, registry = alex
    item = make_item(registry=registry, title="Vase", quantity=5)
    with time_machine.travel(datetime(2031, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        kept = make_gift(item=item, giver_name="Robin", giver_address="1 Main St\nSpringfield", quantity=2)
        gone = make_gift(item=item, giver_name="Gone")
    with time_machine.travel(datetime(2031, 3, 5, 12, 0, tzinfo=UTC), tick=False):
        gift_mark_received(gift=kept)
        thank_you_mark(gifts=[kept], status="written", by=owner)
    with time_machine.travel(datetime(2031, 3, 9, 12, 0, tzinfo=UTC), tick=False):
        thank_you_mark(gifts=[kept], status="sent", by=owner)
    thank_you_note_set(gift=kept, note="Loved the colour", by=owner)
    gift_cancel(gift=gone)

    _, data = _download(client, registry)

    rows = _parse(data)
    assert len(rows) == 2
    row = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert row == {
        "Gift": str(kept.pk),
        "Date given": "2031-03-01",
        "Item": "Vase",
        "Quantity": "2",
        "Amount": "",
        "Currency": "",
        "From": "Robin",
        "Email": "robin@example.test",
        "Mailing address": "1 Main St\nSpringfield",
        "Address from": "Shared by the giver",
        "Message": "",
        "Date received": "2031-03-05",
        "Thank-you": "Sent",
        "Written on": "2031-03-05",
        "Sent on": "2031-03-09",
        "Note": "Loved the colour",
        "Source": "Given from the registry",
    }


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(start):
    value = f'{start}HYPERLINK("http://evil.example","click")'

    assert spreadsheet_safe(value) == "'" + value
    assert spreadsheet_safe("Robin = a friend") == "Robin = a friend"
    assert spreadsheet_safe("") == ""


def test_formula_injection_is_neutralised_in_every_text_column_of_the_export(client, alex):
    owner, registry = alex
    item = make_item(registry=registry, title="=1+1", quantity=9)
    gifts = [
        make_gift(item=item, giver_name="=HYPERLINK", message="+1 555 0100"),
        make_gift(item=item, giver_name="@SUM(A1:A9)", message="-2", giver_address="=cmd|' /C calc'!A0"),
        make_gift(item=item, giver_name="Plain Robin", message="No formula = here"),
    ]
    thank_you_note_set(gift=gifts[2], note="-be sure to mention it", by=owner)
    # A name with a link is refused at input now (docs/safety.md promise 16), but may predate the rule.
    Gift.objects.filter(pk=gifts[0].pk).update(giver_name='=HYPERLINK("http://evil.example")')
    # Tab and CR cannot come in through the forms (they are trimmed), but may through an import or the API.
    Gift.objects.filter(pk=gifts[2].pk).update(message="\t=1+1", giver_address="\r=2+2")

    _, data = _download(client, registry)

    rows = [dict(zip(CSV_HEADER, row, strict=True)) for row in _parse(data)[1:]]
    assert [r["Item"] for r in rows] == ["'=1+1"] * 3
    assert rows[0]["From"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["Message"] == "'+1 555 0100"
    assert rows[1]["From"] == "'@SUM(A1:A9)"
    assert rows[1]["Message"] == "'-2"
    assert rows[1]["Mailing address"] == "'=cmd|' /C calc'!A0"
    assert rows[2]["From"] == "Plain Robin"
    assert rows[2]["Message"] == "'\t=1+1"
    assert rows[2]["Mailing address"] == "'\r=2+2"
    assert rows[2]["Note"] == "'-be sure to mention it"
    # Nothing in any cell starts with a formula character any more.
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_export_is_streamed_in_chunks_without_loading_every_gift(client, alex):
    _, registry = alex
    item = make_item(registry=registry, quantity=1)
    Gift.objects.bulk_create(
        Gift(
            registry=registry,
            item=item,
            giver_name=f"Giver {n}",
            giver_email=f"giver{n}@example.test",
            message="A message of ordinary length, to make the rows the size real ones are.",
            quantity=1,
            state=GiftState.ACTIVE,
        )
        for n in range(3000)
    )

    response = client.get(reverse("thanks:export_csv", args=[registry.pk]))
    chunks = list(response.streaming_content)

    assert len(chunks) > 3  # ~64 KB pieces, not one string
    assert len(_parse(b"".join(chunks))) == 3001


def test_csv_chunks_are_rfc4180():
    text = "".join(csv_text_chunks([["a", 'say "hi"'], ["x,y", "two\nlines"]]))

    assert text == 'a,"say ""hi"""\r\n"x,y","two\nlines"\r\n'


# --- mailing labels -----------------------------------------------------------------------------------------


def test_the_labels_page_has_one_label_per_giver_with_an_address(client, alex):
    owner, registry = alex
    item = make_item(registry=registry, quantity=9)
    make_gift(item=item, giver_name="Robin", giver_email="robin@example.test", giver_address="1 Main St")
    make_gift(item=item, giver_name="Robin", giver_email="robin@example.test", giver_address="1 Main St")
    thanked = make_gift(
        item=item, giver_name="Ann Thanked", giver_email="ann@example.test", giver_address="2 Elm"
    )
    make_gift(item=item, giver_name="Kim No Address", giver_email="kim@example.test")
    make_gift(item=item, giver_name="王小明", giver_email="", giver_address="北京市")
    thank_you_mark(gifts=[thanked], status="sent", by=owner)
    url = reverse("thanks:labels", args=[registry.pk])

    still_to_thank = client.get(url).content.decode()
    everyone = client.get(url, {"all": "1"}).content.decode()

    assert still_to_thank.count('data-testid="label"') == 2
    assert "Robin\n1 Main St" in still_to_thank and "王小明\n北京市" in still_to_thank
    assert "Ann Thanked" not in still_to_thank and "Kim No Address" not in still_to_thank
    assert everyone.count('data-testid="label"') == 3 and "Ann Thanked\n2 Elm" in everyone
    assert "thanks/thanks.css" in everyone  # the print stylesheet


# --- surprise -----------------------------------------------------------------------------------------------


def test_a_surprise_registry_holds_its_exports_back_until_the_reveal(client):
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only")
    make_gift(item=make_item(registry=registry), giver_name="Jordan Secret", giver_address="7 Hidden Lane")
    client.force_login(owner)

    for name in ("thanks:export_csv", "thanks:labels"):
        response = client.get(reverse(name, args=[registry.pk]))
        assert response.status_code == 409
        content = response.content.decode()
        assert "exports wait for the reveal" in content
        assert "Jordan" not in content and "Hidden Lane" not in content

    with pytest.raises(CommandError, match="surprise"):
        call_command("thanks", "export", str(registry.pk), stdout=io.StringIO())


# --- gratitude thanks export --------------------------------------------------------------------------------


def test_the_command_writes_the_same_csv_to_stdout_without_a_bom(client, alex):
    _, registry = alex
    item = make_item(registry=registry, quantity=20)
    for name, email, message in GIVERS:
        make_gift(item=item, giver_name=name, giver_email=email, message=message)
    out = io.StringIO()

    call_command("thanks", "export", str(registry.pk), "--format", "csv", stdout=out)

    _, downloaded = _download(client, registry)
    assert not out.getvalue().startswith("\ufeff")
    assert out.getvalue() == downloaded.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert [row[CSV_HEADER.index("From")] for row in rows[1:]] == [name for name, _, _ in GIVERS]


def test_the_command_names_an_unknown_registry_in_one_line():
    with pytest.raises(CommandError, match="no registry with id 999999"):
        call_command("thanks", "export", "999999", stdout=io.StringIO())


# --- addresses typed in by a registrant, and contributions ----------------------------------------------


def _rows_by_gift(data: bytes) -> dict[int, dict[str | int, str]]:
    rows = (dict(zip(CSV_HEADER, row, strict=True)) for row in _parse(data)[1:])
    return {int(row["Gift"]): row for row in rows}


def test_the_csv_gives_a_typed_in_address_to_each_of_that_givers_gifts_and_says_whose_it_is(client, alex):
    from gratitude.thanks.services import giver_address_enter

    owner, registry = alex
    item = make_item(registry=registry, quantity=10)
    kim = [make_gift(item=item, giver_name=name, giver_email="") for name in ("Kim Lee", "kim  lee")]
    shared = make_gift(item=item, giver_name="Jo", giver_email="jo@example.test", giver_address="3 Elm Road")
    nobody = make_gift(item=item, giver_name="Sam", giver_email="sam@example.test")
    giver_address_enter(gift=kim[0], address="=1 Formula Way", by=owner)

    _, data = _download(client, registry)

    rows = {
        int(row["Gift"]): row for row in (dict(zip(CSV_HEADER, r, strict=True)) for r in _parse(data)[1:])
    }
    for gift in kim:
        assert rows[gift.pk]["Mailing address"] == "'=1 Formula Way"  # still spreadsheet-safe
        assert rows[gift.pk]["Address from"] == "Typed in by Alex"
    assert (rows[shared.pk]["Mailing address"], rows[shared.pk]["Address from"]) == (
        "3 Elm Road",
        "Shared by the giver",
    )
    assert (rows[nobody.pk]["Mailing address"], rows[nobody.pk]["Address from"]) == ("", "")


def test_a_typed_in_address_gives_way_in_the_csv_to_one_the_giver_shared(client, alex):
    from gratitude.thanks.services import giver_address_enter

    owner, registry = alex
    item = make_item(registry=registry, quantity=10)
    first = make_gift(item=item, giver_name="Jo", giver_email="jo@example.test")
    giver_address_enter(gift=first, address="1 Guessed Lane", by=owner)
    second = make_gift(item=item, giver_name="Jo", giver_email="jo@example.test", giver_address="2 Real Road")

    _, data = _download(client, registry)

    rows = {
        int(row["Gift"]): row for row in (dict(zip(CSV_HEADER, r, strict=True)) for r in _parse(data)[1:])
    }
    assert "1 Guessed Lane" not in data.decode("utf-8-sig")
    assert rows[second.pk]["Mailing address"] == "2 Real Road"
    assert rows[first.pk]["Mailing address"] == ""


def test_labels_include_typed_in_addresses(client, alex):
    from gratitude.thanks.selectors import mailing_labels
    from gratitude.thanks.services import giver_address_enter

    owner, registry = alex
    item = make_item(registry=registry, quantity=10)
    giver_address_enter(
        gift=make_gift(item=item, giver_name="Kim", giver_email=""), address="4 Elm", by=owner
    )
    make_gift(item=item, giver_name="Jo", giver_email="jo@example.test", giver_address="3 Elm Road")

    labels = mailing_labels(registry=registry)

    assert [(label.name, label.address, label.entered_by) for label in labels] == [
        ("Jo", "3 Elm Road", None),
        ("Kim", "4 Elm", "Alex"),
    ]


def test_the_csv_gives_a_contributions_amount_and_currency(client, alex):
    from decimal import Decimal

    from gratitude.gifts.services import gift_contribute

    _, registry = alex
    fund = make_item(registry=registry, title="Stroller", quantity=1, price=Decimal("300"), group_gift=True)
    gift_contribute(item=fund, giver_name="Robin", amount=Decimal("40.5"))
    make_gift(item=make_item(registry=registry, title="Teapot"), giver_name="Jo")

    _, data = _download(client, registry)

    rows = [dict(zip(CSV_HEADER, r, strict=True)) for r in _parse(data)[1:]]
    assert [(row["Item"], row["Quantity"], row["Amount"], row["Currency"]) for row in rows] == [
        ("Stroller", "1", "40.50", "EUR"),
        ("Teapot", "1", "", ""),
    ]
