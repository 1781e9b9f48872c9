"""Writing to the outbox. Only the services of the event that causes a message call these, inside
their own transaction, so a rolled-back event leaves no message behind (SAFETY.md promises 1, 2, 6)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.gifts.models import Gift, Reservation
from gratitude.notifications import conf
from gratitude.notifications.kinds import (
    ADDRESS_REQUEST,
    EMAIL_VERIFY,
    GIFT_ALERT,
    GIFT_RECEIPT,
    PASSWORD_RESET,
    QUIET_DELEGATE_INVITATION,
    REGISTRY_ARCHIVE_NOTICE,
    REGISTRY_INVITATION,
    RESERVATION_LINK,
    RESERVATION_RELEASED,
    RESERVATION_REMINDER,
    SIGNUP_EXISTING,
    THANK_YOU_REMINDER,
)
from gratitude.notifications.models import Notification
from gratitude.registries.models import (
    AlertPreference,
    MemberRole,
    Registry,
    RegistryInvitation,
    RegistryMember,
)
from gratitude.thanks.models import AddressRequest

ACCOUNT_MAIL_KINDS = {EMAIL_VERIFY.name, PASSWORD_RESET.name, SIGNUP_EXISTING.name}
# Written by operators, through operations/campaigns.py only (docs/operations.md).
OPERATOR_MESSAGE_KINDS = {"campaign", "correction"}

if TYPE_CHECKING:
    from gratitude.accounts.models import QuietDelegate
    from gratitude.operations.models import Campaign, CampaignRecipient


def _write(
    *,
    kind: str,
    recipient_id: int,
    idempotency_key: str,
    due_at: datetime,
    gift: Gift | None = None,
    registry_id: int | None = None,
    wake: bool = True,
) -> Notification:
    """Write one outbox row (or return the one already written for this key) and, unless `wake` is False,
    its wake-up task (the worker's sweep finds the row either way)."""
    from gratitude.notifications.tasks import deliver_notification

    assert transaction.get_connection().in_atomic_block, "outbox writes belong in the event's transaction"
    existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    row = Notification.objects.create(
        kind=kind,
        recipient_id=recipient_id,
        gift=gift,
        registry_id=gift.registry_id if gift is not None else registry_id,
        idempotency_key=idempotency_key,
        due_at=due_at,
    )
    if wake and not _wake_up_pending_at(due_at):
        deliver_notification.using(run_after=due_at).enqueue(notification_id=row.pk)
    return row


# A wake-up delivers a whole batch of due rows, so rows due within this much of one already queued share
# it: recording 500 gifts in a minute queues a handful of wake-ups, not 500 (docs/notifications.md, "Cost").
WAKE_UP_SHARED_WITHIN = timedelta(seconds=1)


def _wake_up_pending_at(due_at: datetime) -> bool:
    """Is a wake-up already waiting to run at most WAKE_UP_SHARED_WITHIN before `due_at`? If a worker takes
    it before this transaction commits and misses the row, the worker's next sweep (every second when
    idle) delivers it: a shared wake-up can delay a row by a sweep interval, never lose it."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from gratitude.notifications.tasks import deliver_notification

    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=deliver_notification.module_path,
        run_after__gte=due_at - WAKE_UP_SHARED_WITHIN,
        run_after__lte=due_at,
    ).exists()


def notification_enqueue_gift_alerts(*, gift: Gift, except_user: User | None = None) -> list[Notification]:
    """One gift-alert intent per alert-enabled member of the gift's registry. The recipients come from
    the registry, never from the caller; the caller may only leave one out: `except_user`, the member who
    recorded the gift by hand, is not told about their own act (the others still are)."""
    due_at = timezone.now() + timedelta(seconds=conf.alert_settle_seconds())
    members = RegistryMember.objects.filter(registry_id=gift.registry_id).exclude(alerts=AlertPreference.OFF)
    if except_user is not None:
        members = members.exclude(user_id=except_user.pk)
    return [
        _write(
            kind=GIFT_ALERT.name,
            recipient_id=member.user_id,
            gift=gift,
            idempotency_key=f"gift_alert:gift:{gift.pk}:user:{member.user_id}",
            due_at=due_at,
        )
        for member in members.order_by("pk")
    ]


def notification_enqueue_account_mail(*, kind: str, user: User) -> Notification:
    """Sign-up mail (the verification link, or "you already have an account") and password-reset mail: the
    trigger is a request made for the person's own address."""
    if kind not in ACCOUNT_MAIL_KINDS:
        raise ValueError(f"{kind!r} is not an account mail kind")
    # Each request is its own trigger; the token inside is made at send time, so it is always fresh.
    return _write(
        kind=kind,
        recipient_id=user.pk,
        idempotency_key=f"{kind}:user:{user.pk}:request:{uuid.uuid4().hex}",
        due_at=timezone.now(),
    )


def notification_enqueue_address_request(*, address_request: AddressRequest) -> Notification:
    """The one message asking a giver for a mailing address. The recipient is the giver the request names;
    the key allows one per giver per registry, ever."""
    return _write(
        kind=ADDRESS_REQUEST.name,
        recipient_id=address_request.giver_id,
        gift=address_request.gift,
        idempotency_key=(
            f"address_request:registry:{address_request.registry_id}:user:{address_request.giver_id}"
        ),
        due_at=timezone.now(),
    )


def notification_enqueue_thank_you_reminders(*, registry: Registry, now: datetime) -> list[Notification]:
    """This week's thank-you reminders about a registry with gifts waiting for thanks. The recipients come
    from the registry (thanks.notifications.reminder_recipients), never from the caller; the key allows one
    per registrant per registry per day, the recipients one per week."""
    from gratitude.thanks.notifications import reminder_recipients

    day = now.date().isoformat()
    return [
        _write(
            kind=THANK_YOU_REMINDER.name,
            recipient_id=user_id,
            registry_id=registry.pk,
            idempotency_key=f"thank_you_reminder:registry:{registry.pk}:user:{user_id}:on:{day}",
            due_at=now,
        )
        for user_id in reminder_recipients(registry_id=registry.pk, now=now)
    ]


def notification_enqueue_registry_invitation(*, invitation: RegistryInvitation) -> Notification:
    """The invitation mail, to the account of the address invited (the invitation names it)."""
    return _write(
        kind=REGISTRY_INVITATION.name,
        recipient_id=invitation.invitee_id,
        registry_id=invitation.registry_id,
        idempotency_key=f"registry_invitation:invitation:{invitation.pk}",
        due_at=timezone.now(),
    )


def notification_enqueue_reservation_reminder(*, reservation: Reservation) -> Notification:
    """The giver's own request: one reminder shortly before their hold lapses."""
    from gratitude.gifts.notifications import reservation_reminder_due_at

    if reservation.reminder_to_id is None:
        raise ValueError("this reservation asked for no reminder")
    return _write(
        kind=RESERVATION_REMINDER.name,
        recipient_id=reservation.reminder_to_id,
        registry_id=reservation.item.registry_id,
        idempotency_key=f"reservation_reminder:reservation:{reservation.pk}",
        due_at=reservation_reminder_due_at(reservation),
    )


def notification_enqueue_reservation_link(*, reservation: Reservation, recipient: User) -> Notification:
    """The giver left an address with their hold: its page's link, at once."""
    return _write(
        kind=RESERVATION_LINK.name,
        recipient_id=recipient.pk,
        registry_id=reservation.item.registry_id,
        idempotency_key=f"reservation_link:reservation:{reservation.pk}",
        due_at=timezone.now(),
    )


def notification_enqueue_gift_receipt(*, gift: Gift) -> Notification:
    """The giver's own request: a receipt for the gift they just recorded."""
    if gift.receipt_to_id is None:
        raise ValueError("this gift's giver asked for no receipt")
    return _write(
        kind=GIFT_RECEIPT.name,
        recipient_id=gift.receipt_to_id,
        gift=gift,
        idempotency_key=f"gift_receipt:gift:{gift.pk}",
        due_at=timezone.now(),
    )


def notification_enqueue_archive_notice(*, registry: Registry) -> list[Notification]:
    """The notice before a registry archives itself, to its owner (taken from the registry)."""
    if registry.archive_notice_for is None:
        raise ValueError("the registry has no archive date to give notice of")
    owners = RegistryMember.objects.filter(registry_id=registry.pk, role=MemberRole.OWNER).order_by("pk")
    return [
        _write(
            kind=REGISTRY_ARCHIVE_NOTICE.name,
            recipient_id=owner.user_id,
            registry_id=registry.pk,
            idempotency_key=(
                f"registry_archive_notice:registry:{registry.pk}:on:{registry.archive_notice_for.isoformat()}"
                f":user:{owner.user_id}"
            ),
            due_at=timezone.now(),
        )
        for owner in owners
    ]


def notification_enqueue_operator_messages(
    *,
    campaign: Campaign,
    recipients: Sequence[CampaignRecipient],
    first_due_at: datetime,
    spacing_seconds: float = 0.0,
) -> list[Notification]:
    """One campaign or correction message per recipient of a slice of the campaign's frozen audience, due
    `spacing_seconds` apart (the campaign's rate cap). The bulk path exists for operator-written kinds only:
    any event-backed kind is refused loudly (SAFETY.md promise 2)."""
    from gratitude.notifications.kinds import kind_named
    from gratitude.operations.notifications import operator_message_key

    declared = kind_named(campaign.kind)
    if declared is None or declared.event_backed or campaign.kind not in OPERATOR_MESSAGE_KINDS:
        raise ValueError(
            f"{campaign.kind!r} is not an operator-written kind: event mail has no bulk path (SAFETY.md 2)"
        )
    rows = []
    for position, recipient in enumerate(recipients):
        if recipient.campaign_id != campaign.pk:
            raise ValueError(f"recipient {recipient.pk} belongs to another campaign's audience")
        rows.append(
            _write(
                kind=campaign.kind,
                recipient_id=recipient.user_id,
                idempotency_key=operator_message_key(
                    kind=campaign.kind, campaign_id=campaign.pk, user_id=recipient.user_id
                ),
                due_at=first_due_at + timedelta(seconds=position * spacing_seconds),
                # No task per row: the sweep claims a slice in batches of 100 on one SMTP connection,
                # where a task each would cost a claim and a connection per message.
                wake=False,
            )
        )
    return rows


def notification_enqueue_reservation_released(*, reservation: Reservation) -> Notification:
    """The kind word to a giver whose hold was released because the registry stepped back (paused, or its
    owner in quiet mode). Only to a giver who asked for mail about their hold; once per hold."""
    if reservation.reminder_to_id is None:
        raise ValueError("this reservation's giver asked for no mail")
    return _write(
        kind=RESERVATION_RELEASED.name,
        recipient_id=reservation.reminder_to_id,
        registry_id=reservation.item.registry_id,
        idempotency_key=f"reservation_released:reservation:{reservation.pk}",
        due_at=timezone.now(),
    )


def notification_enqueue_quiet_delegate_invitation(
    *, delegation: QuietDelegate, invitee: User
) -> Notification:
    """The invitation to be someone's trusted delegate, to the account of the address they named. Each
    sending of the invitation is its own trigger (a re-sent one gets a new link; the old one stops)."""
    if invitee.email != delegation.email:
        raise ValueError("the invitation goes to the address the person named, and only there")
    from gratitude.accounts.tokens import invitation_stamp

    sent = invitation_stamp(delegation)
    return _write(
        kind=QUIET_DELEGATE_INVITATION.name,
        recipient_id=invitee.pk,
        idempotency_key=f"quiet_delegate_invitation:delegation:{delegation.pk}:sent:{sent}",
        due_at=timezone.now(),
    )
