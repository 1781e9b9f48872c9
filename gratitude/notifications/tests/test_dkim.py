"""DKIM (docs/safety.md promise 12): every kind signed with OpenSSL RSA-2048 and verified by dkimpy, an
independent implementation, against the very record `gratitude dkim dns-record` prints; header coverage,
alignment, tampering, and what arrives at a real SMTP server verifying byte for byte."""

from __future__ import annotations

import io
import re

import dkim
import pytest
from django.core.mail import EmailMessage, get_connection
from django.core.management import CommandError, call_command

from gratitude.notifications.devtools.samples import preview
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.tests.mail_support import (
    RawSmtpSink,
    dns_answering,
    install_dkim_key,
    published_records,
)
from gratitude.notifications.transport import backends
from gratitude.notifications.transport.dkim import (
    DkimError,
    DkimSigner,
    load_private_key,
    relaxed_body,
    split_message,
)

pytestmark = pytest.mark.django_db

REQUIRED = {"from", "to", "subject", "date", "message-id"}


@pytest.fixture
def signing_key(settings, tmp_path):
    return install_dkim_key(settings, tmp_path)


def _signature_tags(raw: bytes) -> dict[str, str]:
    headers, _ = split_message(raw)
    value = next(v for n, v in headers if n.lower() == b"dkim-signature")
    flat = re.sub(rb"\s+", b"", value).decode()
    return dict(tag.split("=", 1) for tag in flat.split(";") if tag)


def _verify(raw: bytes) -> bool:
    return bool(dkim.verify(raw, dnsfunc=dns_answering(published_records())))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_signed_and_verifies_against_the_printed_record(signing_key, kind):
    raw = preview(kind).raw

    assert raw.startswith(b"DKIM-Signature: ")
    assert _verify(raw)
    tags = _signature_tags(raw)
    assert tags["a"] == "rsa-sha256"
    assert tags["c"] == "relaxed/relaxed"
    assert tags["d"] == "gratitude.example"
    assert tags["s"] == "test2048"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_signature_covers_the_promised_headers(signing_key, kind):
    sample = preview(kind)
    signed = set(_signature_tags(sample.raw)["h"].split(":"))

    assert signed >= REQUIRED
    if KINDS[kind].unsubscribable:
        # RFC 8058 section 4: both List-Unsubscribe headers are covered by the signature.
        assert signed >= {"list-unsubscribe", "list-unsubscribe-post"}
    else:
        assert b"\r\nList-Unsubscribe" not in sample.raw


def test_d_is_aligned_with_the_from_domain(signing_key):
    raw = preview("gift_alert").raw
    from_line = re.search(rb"^From: .*<[^@]+@([^>]+)>", raw, re.MULTILINE)
    assert from_line is not None
    assert _signature_tags(raw)["d"] == from_line.group(1).decode()


def test_a_misaligned_from_is_refused_rather_than_signed(signing_key, settings):
    signer = DkimSigner(key=load_private_key(signing_key), selector="s", domain="gratitude.example")
    raw = (
        EmailMessage("Hi", "Body", "someone@elsewhere.test", ["a@example.test"])
        .message()
        .as_bytes(linesep="\r\n")
    )
    with pytest.raises(DkimError, match="not aligned"):
        signer.sign(raw)
    subdomain = raw.replace(b"someone@elsewhere.test", b"alerts@mail.gratitude.example")
    assert dkim.verify(signer.sign(subdomain), dnsfunc=lambda name, timeout=5: _record_for(signer))


def _record_for(signer: DkimSigner) -> bytes:
    return signer.dns_value().encode()


@pytest.mark.parametrize(
    ("what", "change"),
    [
        (
            "a signed header",
            lambda raw: raw.replace(b"X-Gratitude-Kind: gift_alert", b"X-Gratitude-Kind: gift_alerts"),
        ),
        ("body", lambda raw: raw.replace(b"Hi Alex Rivera", b"Hi Alex Rivero")),
        ("a second From", lambda raw: raw.replace(b"\r\nTo: ", b"\r\nFrom: support@evil.test\r\nTo: ", 1)),
        (
            "a second List-Unsubscribe",
            lambda raw: raw.replace(
                b"\r\nList-Unsubscribe-Post: ",
                b"\r\nList-Unsubscribe: <https://evil.test/u>\r\nList-Unsubscribe-Post: ",
                1,
            ),
        ),
    ],
)
def test_any_change_after_signing_fails_verification(signing_key, what, change):
    raw = preview("gift_alert").raw
    assert _verify(raw)
    altered = change(raw)
    assert altered != raw, what
    assert not _verify(altered)


def test_relaxed_body_canonicalization_matches_rfc_6376_examples():
    assert relaxed_body(b"  C \r\nD \t E\r\n\r\n\r\n") == b" C\r\nD E\r\n"
    assert relaxed_body(b"") == b""
    assert relaxed_body(b"\r\n\r\n") == b""
    assert relaxed_body(b"no newline") == b"no newline\r\n"


def test_an_ed25519_signature_can_be_added_next_to_rsa(settings, tmp_path):
    install_dkim_key(settings, tmp_path, with_ed25519=True)
    raw = preview("gift_alert").raw

    assert raw.count(b"DKIM-Signature: ") == 2
    records = published_records()
    assert set(records) == {"test2048._domainkey.gratitude.example", "test-ed._domainkey.gratitude.example"}
    assert records["test-ed._domainkey.gratitude.example"].startswith("v=DKIM1; k=ed25519; p=")
    # dkimpy checks the first signature by default (the RSA one); verifying Ed25519 needs PyNaCl.
    assert dkim.verify(raw, dnsfunc=dns_answering(records))


def test_without_a_key_nothing_is_signed_and_dns_record_says_so(settings):
    settings.GRATITUDE_DKIM_KEY_FILE = ""
    settings.GRATITUDE_DKIM_ED25519_KEY_FILE = ""
    assert b"DKIM-Signature" not in preview("email_verify").raw
    with pytest.raises(CommandError, match="GRATITUDE_DKIM_KEY_FILE"):
        call_command("dkim", "dns-record")


def test_dns_record_prints_dkim_spf_and_dmarc(signing_key):
    out = io.StringIO()
    call_command("dkim", "dns-record", stdout=out)
    text = out.getvalue()

    assert "test2048._domainkey.gratitude.example. IN TXT (" in text
    assert 'gratitude.example. IN TXT "v=spf1' in text
    assert '_dmarc.gratitude.example. IN TXT "v=DMARC1;' in text
    # A 2048-bit key does not fit one 255-byte TXT string: it is split, and joins back to the record.
    record = published_records()["test2048._domainkey.gratitude.example"]
    assert record.startswith("v=DKIM1; k=rsa; p=")
    assert all(len(part) <= 255 for part in re.findall(r'"([^"]*)"', text))


def test_keygen_writes_a_private_key_once(tmp_path):
    path = tmp_path / "keys" / "dkim.pem"
    call_command("dkim", "keygen", str(path), stdout=io.StringIO())

    assert path.stat().st_mode & 0o777 == 0o600
    assert load_private_key(path).key_size == 2048  # type: ignore[union-attr]
    with pytest.raises(CommandError, match="exists"):
        call_command("dkim", "keygen", str(path), stdout=io.StringIO())


def test_what_arrives_over_smtp_is_byte_for_byte_what_was_signed(signing_key, settings, monkeypatch):
    sink = RawSmtpSink()
    sink.start()
    sent: list[bytes] = []
    real_signed_bytes = backends.signed_bytes

    def spy(message):
        sent.append(real_signed_bytes(message))
        return sent[-1]

    monkeypatch.setattr(backends, "signed_bytes", spy)
    try:
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        connection = get_connection("gratitude.notifications.transport.backends.SigningSmtpBackend")
        with connection:
            for kind in sorted(KINDS):
                from gratitude.notifications.devtools.samples import sample_rows
                from gratitude.notifications.rendering.messages import build_email, render

                with sample_rows(kind) as (declared, rows):
                    connection.send_messages([build_email(rows[0], declared, render(rows, declared))])
        assert sink.wait_for(len(KINDS))
    finally:
        sink.stop()

    assert len(sink.raw) == len(sent) == len(KINDS)
    for arrived, signed in zip(sink.raw, sent, strict=True):
        assert arrived == signed
        assert _verify(arrived)
