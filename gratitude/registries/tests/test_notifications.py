"""The registries' mail: the co-registrant invitation and the archive notice. Each is re-checked at send time
(provenance), and a row nobody's service wrote is a breach that trips the kind's breaker."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.rendering.messages import render
from gratitude.operations.models import SendControl
from gratitude.registries.models import MemberRole
from gratitude.registries.selectors import invitation_for_token
from gratitude.registries.services.invitations import registry_invitation_create, registry_invitation_revoke
from gratitude.registries.services.lifecycle import registry_archive, registry_lifecycle_step
from gratitude.registries.services.members import registry_member_add, registry_member_remove
from gratitude.registries.services.registries import registry_update
from gratitude.testing.factories import make_registry, make_user

pytestmark = pytest.mark.django_db


def _refusal(kind, row):
    """The row's provenance refusal; fails the test if the row would be sent."""
    refusal = kind.provenance(row)
    assert refusal is not None, f"{row.kind} row {row.idempotency_key} would be sent"
    return refusal


INVITATION = KINDS["registry_invitation"]
NOTICE = KINDS["registry_archive_notice"]


def _invite(**overrides):
    owner = overrides.pop("owner", None) or make_user(display_name="Alex Rivera")
    registry = overrides.pop("registry", None) or make_registry(owner=owner, title="Alex & Sam's wedding")
    fields = {"email": "sam@example.test", "name": "Sam", **overrides}
    invitation = registry_invitation_create(registry=registry, invited_by=owner, **fields)
    row = Notification.objects.get(
        kind="registry_invitation", registry=registry, recipient=invitation.invitee
    )
    return owner, registry, invitation, row


def _forge(**fields) -> Notification:
    """A row written straight into the outbox, as a bug or an attacker would (not through a service)."""
    return Notification.objects.create(due_at=timezone.now(), **fields)


# --- the invitation ---------------------------------------------------------------------------


def test_the_invitation_names_registry_and_inviter_never_a_name_the_inviter_typed_and_its_link_works():
    _, _registry, invitation, row = _invite(name="Sam Okafor", role="delegate")

    message = render([row], INVITATION)

    assert INVITATION.provenance(row) is None
    # The subject holds our words and the registry's title only (docs/safety.md promise 16).
    assert message.subject == "An invitation to help with “Alex & Sam's wedding”"
    # The invitee never confirmed the address: greeted by no name, since the inviter typed that one.
    assert message.text.startswith("Hello,")
    assert "Sam Okafor" not in message.text and "Sam Okafor" not in message.html
    assert "as a trusted delegate" in message.text
    assert "You get this because Alex Rivera, a registrant of “Alex & Sam's wedding”" in message.text
    token = message.text.split("/registries/invitations/")[1].split("/")[0]
    assert invitation_for_token(token=token) == invitation
    assert "<form" not in message.html and "password" not in message.text.lower()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("revoke", "invitation_revoked"),
        ("expire", "invitation_expired"),
        ("archive", "registry_archived"),
        ("inviter_leaves", "inviter_left"),
    ],
)
def test_an_invitation_that_ended_before_sending_is_suppressed_with_its_reason(change, reason):
    owner = make_user()
    registry = make_registry(owner=owner)
    partner = make_user()
    registry_member_add(registry=registry, user=partner)
    _, _, invitation, row = _invite(owner=partner, registry=registry)
    when = timezone.now()
    if change == "revoke":
        registry_invitation_revoke(invitation=invitation, by=owner)
    elif change == "archive":
        registry_archive(registry=registry, by=owner)
    elif change == "inviter_leaves":
        registry_member_remove(member=registry.members.get(user=partner))
    else:
        when += timedelta(days=15)

    with time_machine.travel(when):
        refusal = INVITATION.provenance(row)

    assert refusal is not None
    assert (refusal.reason, refusal.breach) == (reason, False)


@pytest.mark.parametrize(
    ("forged", "reason"),
    [
        ("no_such_invitation", "no_invitation"),
        ("other_recipient", "not_the_invitee"),
        ("other_registry", "registry_mismatch"),
    ],
)
def test_a_forged_invitation_row_is_a_breach(forged, reason):
    _, registry, invitation, row = _invite()
    stranger = make_user()
    other = make_registry()
    key = f"registry_invitation:invitation:{invitation.pk}:forged"
    if forged == "no_such_invitation":
        bad = _forge(
            kind="registry_invitation",
            recipient=stranger,
            registry=registry,
            idempotency_key="registry_invitation:invitation:999999",
            trigger_type="invitation",
            trigger_id=999999,
        )
    elif forged == "other_recipient":
        Notification.objects.filter(pk=row.pk).update(recipient=stranger)
        bad = Notification.objects.get(pk=row.pk)
    else:
        bad = _forge(
            kind="registry_invitation", recipient=invitation.invitee, registry=other, idempotency_key=key
        )
        # As if it claimed the trigger.
        bad.trigger_type, bad.trigger_id = "invitation", invitation.pk

    refusal = INVITATION.provenance(bad)

    assert refusal is not None
    assert (refusal.reason, refusal.breach) == (reason, True)


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_invitation_once_and_a_forged_one_trips_the_breaker(settings):
    _, registry, _invitation, row = _invite()

    call_command("worker", drain=True, verbosity=0)

    assert [m.to for m in mail.outbox] == [["sam@example.test"]]
    assert mail.outbox[0].extra_headers["X-Gratitude-Kind"] == "registry_invitation"
    row.refresh_from_db()
    assert row.state == NotificationState.SENT
    with transaction.atomic():
        _forge(
            kind="registry_invitation",
            recipient=make_user(),
            registry=registry,
            idempotency_key="registry_invitation:invitation:424242",
            trigger_type="invitation",
            trigger_id=424242,
        )
    call_command("worker", drain=True, verbosity=0)
    assert len(mail.outbox) == 1
    assert SendControl.objects.filter(kind="registry_invitation").exists()


# --- the archive notice -----------------------------------------------------------------------


def _noticed(owner=None):
    owner = owner or make_user(display_name="Alex Rivera")
    long_ago = timezone.now().date() - timedelta(days=365)
    registry = make_registry(owner=owner, title="Alex's party", event_date=long_ago)
    registry_lifecycle_step(registry_id=registry.pk)
    registry.refresh_from_db()
    [row] = Notification.objects.filter(kind="registry_archive_notice", registry=registry)
    return owner, registry, row


def test_the_archive_notice_says_when_and_that_nothing_is_deleted():
    _owner, registry, row = _noticed()

    message = render([row], NOTICE)

    assert NOTICE.provenance(row) is None
    assert message.text.startswith("Hi Alex Rivera,")
    assert f"archived on {registry.archive_on:%-d %B %Y}" in message.text
    assert "Archiving deletes nothing" in message.text
    assert f"/registries/{registry.pk}/settings/" in message.text


@pytest.mark.parametrize(
    ("change", "reason"),
    [("archived", "already_archived"), ("auto_off", "auto_archive_off"), ("moved", "archive_date_changed")],
)
def test_an_archive_notice_overtaken_by_events_is_not_sent(change, reason):
    owner, registry, row = _noticed()
    settings_now = {
        "title": registry.title,
        "occasion": registry.occasion,
        "event_date": registry.event_date,
    }
    if change == "archived":
        registry_archive(registry=registry, by=owner)
    elif change == "auto_off":
        registry_update(registry=registry, by=owner, auto_archive=False, **settings_now)
    else:
        registry_update(registry=registry, by=owner, **{**settings_now, "event_date": date(2040, 1, 1)})

    refusal = NOTICE.provenance(row)

    assert refusal is not None
    assert (refusal.reason, refusal.breach) == (reason, False)


def test_an_archive_notice_to_someone_who_is_not_the_owner_is_refused():
    _owner, registry, row = _noticed()
    partner = make_user()
    registry_member_add(registry=registry, user=partner, role=MemberRole.CO_REGISTRANT)
    # Each claims the owner's notice's trigger: the same registry and archive date.
    trigger = {"trigger_type": row.trigger_type, "trigger_id": row.trigger_id, "trigger_at": row.trigger_at}
    key = row.idempotency_key.rsplit(":", 2)[0] + f":user:{partner.pk}"
    to_partner = _forge(
        kind="registry_archive_notice", recipient=partner, registry=registry, idempotency_key=key, **trigger
    )
    stranger = make_user()
    key = row.idempotency_key.rsplit(":", 2)[0] + f":user:{stranger.pk}"
    to_stranger = _forge(
        kind="registry_archive_notice", recipient=stranger, registry=registry, idempotency_key=key, **trigger
    )

    assert _refusal(NOTICE, to_partner).reason == "not_owner"
    assert _refusal(NOTICE, to_stranger).breach is True


def test_an_archive_notice_with_a_made_up_key_is_a_breach():
    owner, registry, _ = _noticed()
    forged = _forge(
        kind="registry_archive_notice", recipient=owner, registry=registry, idempotency_key="archive please"
    )

    assert _refusal(NOTICE, forged).breach is True


def test_the_notice_goes_out_while_archiving_waits_fourteen_days(settings):
    settings.GRATITUDE_ARCHIVE_AFTER_DAYS = 30
    with time_machine.travel(datetime(2031, 6, 1, 9, tzinfo=UTC), tick=False):
        _owner, registry, _row = _noticed()
        assert registry.archive_on == date(2031, 6, 15)
        assert registry_lifecycle_step(registry_id=registry.pk) == "not yet"
