"""SMTP PIPELINING (transport/pipelining.py): two round trips per message where the server allows it, and
every answer reported exactly as smtplib's sendmail reports it, since the worker classifies failures by
those exceptions (a 5xx suppresses the address, anything else is retried: docs/safety.md promises 6 and 8)."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator

import pytest
from django.core.management import call_command

from gratitude.notifications.models import Notification, NotificationState, SuppressedAddress
from gratitude.notifications.transport.pipelining import sendmail
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.testing.smtp import SmtpSink

MESSAGE = (
    b"From: alerts@gratitude.example\r\nTo: ana@example.com\r\nSubject: A gift\r\n\r\n"
    b".a line that starts with a dot\r\nand one that does not\r\n"
)


@pytest.fixture(params=[True, False], ids=["pipelining", "not-pipelining"])
def sink(request: pytest.FixtureRequest) -> Iterator[SmtpSink]:
    server = SmtpSink(pipelining=request.param)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _writes(connection: smtplib.SMTP) -> list[bytes]:
    """Record every write the client makes (each is one round trip: the client then waits for replies)."""
    writes: list[bytes] = []
    send = connection.send

    def counting(data: str | bytes) -> None:
        writes.append(data.encode() if isinstance(data, str) else data)
        send(data)

    connection.send = counting  # type: ignore[method-assign, assignment]
    return writes


def test_a_message_takes_two_writes_where_the_server_pipelines_and_arrives_the_same(sink: SmtpSink) -> None:
    connection = smtplib.SMTP("127.0.0.1", sink.port)
    connection.ehlo()
    writes = _writes(connection)
    assert sendmail(connection, "alerts@gratitude.example", ["ana@example.com"], MESSAGE) == {}
    connection.quit()
    # MAIL + RCPT + DATA in one write, then the content; without PIPELINING, smtplib's four (and QUIT).
    assert len(writes) - 1 == (2 if sink.pipelining else 4)
    # The dot that starts a line is doubled on the wire and undone by the server: the content is intact.
    assert sink.messages[0].get_content().splitlines() == [
        ".a line that starts with a dot",
        "and one that does not",
    ]
    assert sink.commands == ["MAIL alerts@gratitude.example", "RCPT ana@example.com"]


Refusal = Callable[[SmtpSink], None]


def _sender_refused(server: SmtpSink) -> None:
    server.refuse_sender = lambda address: "553 5.7.1 sender not allowed"


def _every_recipient_refused(server: SmtpSink) -> None:
    server.refuse_recipient = lambda address: "550 5.1.1 no such user"


def _one_recipient_refused(server: SmtpSink) -> None:
    server.refuse_recipient = lambda address: "550 5.1.1 no such user" if address.startswith("bo") else None


def _content_refused_for_now(server: SmtpSink) -> None:
    server.respond = lambda message: "451 4.3.0 try again later"


def _content_refused(server: SmtpSink) -> None:
    server.respond = lambda message: "554 5.6.0 not accepted"


@pytest.mark.parametrize(
    "refuse",
    [
        _sender_refused,
        _every_recipient_refused,
        _one_recipient_refused,
        _content_refused_for_now,
        _content_refused,
    ],
)
def test_every_refusal_is_reported_as_smtplib_reports_it_and_the_session_goes_on(refuse: Refusal) -> None:
    """The same server answers smtplib's sendmail and the pipelined one alike: same exception, same codes,
    same refused recipients, and the next message on the same session is accepted."""
    outcomes = []
    for pipelining in (False, True):
        server = SmtpSink(pipelining=pipelining)
        server.start()
        try:
            connection = smtplib.SMTP("127.0.0.1", server.port)
            refuse(server)
            try:
                result: object = sendmail(
                    connection, "alerts@gratitude.example", ["ana@example.com", "bo@example.com"], MESSAGE
                )
            except smtplib.SMTPException as exc:
                result = (type(exc), exc.args)
            server.refuse_sender = lambda address: None
            server.refuse_recipient = lambda address: None
            server.respond = lambda message: None
            assert sendmail(connection, "alerts@gratitude.example", ["ana@example.com"], MESSAGE) == {}
            connection.quit()
        finally:
            server.stop()
        outcomes.append((result, len(server.messages)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] != {}  # each refusal is seen, not only "the same"


@pytest.fixture
def pipelining_smtp(settings: object, smtp_settings: SmtpSink) -> SmtpSink:
    settings.EMAIL_BACKEND = "gratitude.notifications.transport.backends.SigningSmtpBackend"  # type: ignore[attr-defined]
    smtp_settings.pipelining = True
    return smtp_settings


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_pipelined_and_a_permanent_refusal_still_suppresses_the_address(
    pipelining_smtp: SmtpSink,
) -> None:
    owner = make_user(display_name="Alex")
    item = make_item(registry=make_registry(owner=owner, title="Alex's birthday"), title="Teapot")
    make_gift(item=item, giver_name="Robin")
    call_command("worker", drain=True, verbosity=0)
    assert len(pipelining_smtp.to(owner.email)) == 1
    assert Notification.objects.get(recipient=owner).state == NotificationState.SENT

    pipelining_smtp.refuse_recipient = lambda address: "550 5.1.1 no such user"
    make_gift(item=make_item(registry=item.registry, title="Kettle"), giver_name="Sam")
    call_command("worker", drain=True, verbosity=0)
    failed = Notification.objects.get(recipient=owner, state=NotificationState.FAILED)
    assert failed.reason == "smtp_550"
    assert SuppressedAddress.objects.filter(address=owner.email).exists()
    assert len(pipelining_smtp.messages) == 1
