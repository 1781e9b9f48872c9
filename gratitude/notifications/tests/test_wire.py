"""The direct wire composer (transport/message_bytes.py): what it writes is the message the email package
would have written, as any mail reader parses it, for every kind, in any script; other shapes fall back to the
email package."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage as ParsedMessage

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from hypothesis import given, settings
from hypothesis import strategies as st

from gratitude.notifications.devtools.samples import sample_rows
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.rendering.messages import build_email, render
from gratitude.notifications.transport import backends
from gratitude.notifications.transport.message_bytes import compose, header_address

pytestmark = pytest.mark.django_db


def _parse(raw: bytes) -> ParsedMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, ParsedMessage)
    return parsed


def _message(subject: str, text: str, html: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email="Gratitude <alerts@gratitude.example>",
        to=["zoë.recipient@example.test"],
        headers={"Message-ID": "<abc.REF123@gratitude.example>", "X-Gratitude-Reference": "REF123"},
    )
    message.attach_alternative(html, "text/html")
    return message


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_composes_to_what_the_email_package_reads_back(kind):
    with sample_rows(kind) as (declared, rows):
        message = build_email(rows[0], declared, render(rows, declared))
        raw = compose(message)

    assert raw is not None, "our own messages never need the slow path"
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = _parse(raw)
    reference = _parse(message.message().as_bytes())
    for header in ("From", "To", "Subject", "Message-ID", "X-Gratitude-Kind", "List-Unsubscribe"):
        assert str(parsed[header]).strip() == str(reference[header]).strip(), header
    text, html = (part.get_content() for part in parsed.iter_parts())
    expected_text, expected_html = (part.get_content() for part in reference.iter_parts())
    assert text.replace("\r\n", "\n") == expected_text.replace("\r\n", "\n")
    assert html.replace("\r\n", "\n") == expected_html.replace("\r\n", "\n")
    assert all(part["Content-Transfer-Encoding"] == "quoted-printable" for part in parsed.iter_parts())


@pytest.mark.parametrize(
    "subject",
    [
        "Zoë and Łukasz: a gift from 山田 花子",
        "A plain subject that is long enough to need folding " * 4,
        "Ελληνικά, עברית, العربية and emoji 🎁 " * 3,
    ],
)
def test_any_script_and_length_round_trips(subject):
    text = "Hello Zoë,\n= signs, trailing spaces   \n" + "a very long line " * 20 + "\n.\nFrom here\n"
    html = "<p>Grüße &amp; 感谢</p>\n" * 30
    raw = compose(_message(subject, text, html))

    assert raw is not None
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = _parse(raw)
    assert str(parsed["Subject"]) == " ".join(subject.split())
    assert str(parsed["To"]) == str(_parse(_message(subject, text, html).message().as_bytes())["To"])
    got_text, got_html = (part.get_content() for part in parsed.iter_parts())
    assert got_text.replace("\r\n", "\n") == text
    assert got_html.replace("\r\n", "\n") == html


def test_other_shapes_fall_back_to_the_email_package():
    with_attachment = _message("s", "t", "<p>h</p>")
    with_attachment.attach("a.txt", "x", "text/plain")
    plain_only = EmailMessage(subject="s", body="t", from_email="a@gratitude.example", to=["b@example.test"])
    with_cc = _message("s", "t", "<p>h</p>")
    with_cc.cc = ["c@example.test"]
    header_injection = _message("s", "t", "<p>h</p>")
    header_injection.extra_headers["X-Evil"] = "a\r\nBcc: victim@example.test"

    assert compose(with_attachment) is None
    assert compose(with_cc) is None
    assert compose(header_injection) is None
    # The transport still sends them, through Django's own generator (which refuses the injection).
    assert b"a.txt" in backends.signed_bytes(with_attachment)
    assert b"Subject: s" in backends.signed_bytes(plain_only)


PLAIN_AND_NOT = [
    "owner1@example.test",
    "First.Last+tag@Sub.Example.COM",
    "o'brien@example.test",
    "x@localhost",
    "zoë@example.test",  # non-ASCII local part: encoded
    "someone@bücher.example",  # IDNA domain: punycode
    "Gratitude <alerts@gratitude.example>",  # display name
    '"quoted local"@example.test',
    "a..b@example.test",  # not a dot-atom
    f"{'l' * 64}@{'d' * 64}.example",  # a label over 63 characters
]


@pytest.mark.parametrize("address", PLAIN_AND_NOT)
def test_header_address_writes_what_sanitize_address_writes(address):
    """The fast path for bare ASCII addresses must never change what goes in To or the envelope."""
    try:
        expected = sanitize_address(address, "utf-8")
    except ValueError:
        with pytest.raises(ValueError):
            header_address(address)
        return
    assert header_address(address) == expected
    assert header_address(address, "utf-8") == expected


@settings(max_examples=300, deadline=None)
@given(st.emails())
def test_any_valid_address_is_written_as_sanitize_address_writes_it(address):
    assert header_address(address) == sanitize_address(address, "utf-8")
