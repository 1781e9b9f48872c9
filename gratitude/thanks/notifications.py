"""The Thank You List's two kinds of mail, `address_request` and `thank_you_reminder`: who may receive them
(checked again at send time), how many may, what they say, their outbox writes and their preview samples.
See docs/thank-you-list.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count

from gratitude.core.links import site_url
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import Category, Kind, Pacing, one_recipient, register
from gratitude.notifications.outbox.refusals import Refusal
from gratitude.notifications.outbox.writes import Trigger, outbox_write

if TYPE_CHECKING:
    from gratitude.registries.models import Registry
    from gratitude.thanks.models import AddressRequest

# Roles that write the thank-you notes; a trusted delegate helps but is not reminded.
REMINDED_ROLES = ("owner", "co_registrant")
# Rows that count as "a reminder went or is going": a suppressed one (say, in quiet mode) does not.
_LIVE_STATES = (
    NotificationState.PENDING,
    NotificationState.HELD,
    NotificationState.SENDING,
    NotificationState.SENT,
)


def _gift_and_registry(row: Notification) -> Refusal | None:
    gift = row.gift
    if gift is None:
        return Refusal("no_gift", breach=True)
    if row.registry_id != gift.registry_id:
        return Refusal("registry_mismatch", breach=True)
    return None


def _member_refusal(row: Notification, registry_id: int, roles: tuple[str, ...]) -> Refusal | None:
    from gratitude.registries.models import FormerMember, RegistryMember

    member = RegistryMember.objects.filter(registry_id=registry_id, user_id=row.recipient_id).first()
    if member is None:
        # Someone who left after the row was written is a normal change; anyone else never belonged.
        left_since = FormerMember.objects.filter(
            registry_id=registry_id, user_id=row.recipient_id, left_at__gte=row.created_at
        ).exists()
        return Refusal("member_left") if left_since else Refusal("not_a_member", breach=True)
    if member.role not in roles:
        return Refusal("not_a_registrant")
    return None


# --- address_request: a registrant asks a giver where to send the thank-you note -------------------------


def address_request_for_row(row: Notification) -> AddressRequest | None:
    from gratitude.thanks.models import AddressRequest

    if row.registry_id is None:
        return None
    return (
        AddressRequest.objects.select_related("requested_by")
        .filter(registry_id=row.registry_id, giver_id=row.recipient_id)
        .first()
    )


def address_request_provenance(row: Notification) -> Refusal | None:
    """A registrant really asked this giver, about a gift they gave with this address, which is still on
    the list; the giver has shared no address since; nobody has asked them for this registry before."""
    from gratitude.gifts.models import GIVER_TYPED_SOURCES, Gift, GiftState
    from gratitude.registries.models import RegistryMember

    refusal = _gift_and_registry(row)
    if refusal is not None:
        return refusal
    gift = row.gift
    assert gift is not None
    request = address_request_for_row(row)
    if request is None or request.gift_id != gift.pk:
        return Refusal("no_address_request", breach=True)
    if gift.giver_email.lower() != request.giver_email:
        return Refusal("giver_mismatch", breach=True)
    if gift.source not in GIVER_TYPED_SOURCES:
        # address_request_create refuses these: only a forged or mis-written row gets here.
        return Refusal("address_not_left_by_giver", breach=True)
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    if row.recipient.email != request.giver_email:
        # The giver's own account changed address since: it is not the address they gave with the gift.
        return Refusal("giver_address_changed")
    if gift.state != GiftState.ACTIVE:
        return Refusal("gift_cancelled")
    earlier = (
        Notification.objects.filter(
            kind=row.kind, registry_id=gift.registry_id, recipient_id=row.recipient_id
        )
        .exclude(pk=row.pk)
        .filter(state__in=_LIVE_STATES)
    )
    if earlier.exists():
        return Refusal("already_asked")
    shared = (
        Gift.objects.filter(
            registry_id=gift.registry_id, state=GiftState.ACTIVE, giver_email=request.giver_email
        )
        .exclude(giver_address="")
        .exists()
    )
    if shared or request.answered_at is not None:
        return Refusal("address_already_shared")
    registry = gift.registry
    if registry.paused_at is not None:
        return Refusal("registry_paused")
    if row.recipient.quiet_since is not None:
        return Refusal("quiet_mode")
    if (
        request.requested_by_id is None
        or not RegistryMember.objects.filter(
            registry_id=registry.pk, user_id=request.requested_by_id
        ).exists()
    ):
        # We only ever write on behalf of someone who is a registrant of it now.
        return Refusal("requester_left")
    return None


def address_request_context(rows: list[Notification]) -> dict[str, Any]:
    from gratitude.thanks.selectors import address_link_token

    row = rows[0]
    request = address_request_for_row(row)
    gift = row.gift
    # Provenance has checked the row (a request, its gift, a requester still a member) before rendering.
    assert request is not None and gift is not None and request.requested_by is not None
    return {
        "registry": gift.registry,
        "gift": gift,
        "registrant_name": request.requested_by.verified_name or "A registrant",
        "requested_at": request.requested_at,
        # Made at send time, so the link is fresh; it opens a page of ours, the mail holds no form.
        "share_url": site_url("thanks_giver:address_share", address_link_token(address_request=request)),
    }


# --- thank_you_reminder: a weekly nudge to registrants with gifts waiting for thanks --------------------


def reminder_recipients(*, registry_id: int, now: datetime) -> list[int]:
    """The registrants of a registry who may get a reminder now: owner and co-registrants who are active,
    confirmed, not in quiet mode, and got none (sent or on its way) in the past week."""
    from gratitude.registries.models import RegistryMember
    from gratitude.thanks.selectors import REMINDER_INTERVAL

    recently = Notification.objects.filter(
        kind="thank_you_reminder",
        registry_id=registry_id,
        created_at__gt=now - REMINDER_INTERVAL,
        state__in=_LIVE_STATES,
    ).values_list("recipient_id", flat=True)
    members = (
        RegistryMember.objects.filter(
            registry_id=registry_id,
            role__in=REMINDED_ROLES,
            user__is_active=True,
            user__email_verified_at__isnull=False,
            user__quiet_since__isnull=True,
        )
        .exclude(user_id__in=list(recently))
        .order_by("pk")
    )
    return list(members.values_list("user_id", flat=True))


def _registry_refusal(row: Notification) -> Refusal | None:
    if row.gift_id is not None:
        return Refusal("unexpected_trigger", breach=True)
    if row.registry_id is None:
        return Refusal("no_registry", breach=True)
    return None


def thank_you_reminder_provenance(row: Notification) -> Refusal | None:
    """The recipient is a registrant of the registry now, may get mail, got no reminder for it this week,
    and gifts on it are still waiting for thanks."""
    from django.utils import timezone

    from gratitude.gifts.models import Gift
    from gratitude.thanks.selectors import REMINDER_INTERVAL, gifts_waiting_for_thanks

    refusal = _registry_refusal(row)
    if refusal is not None:
        return refusal
    registry = row.registry
    assert registry is not None
    refusal = _member_refusal(row, registry.pk, REMINDED_ROLES)
    if refusal is not None:
        return refusal
    recipient = row.recipient
    if not recipient.is_active:
        return Refusal("recipient_inactive")
    if not recipient.email_verified:
        return Refusal("email_unverified")
    if recipient.quiet_since is not None:
        return Refusal("quiet_mode")
    if registry.paused_at is not None:
        return Refusal("registry_paused")
    if registry.archived_at is not None:
        return Refusal("registry_archived")
    now = timezone.now()
    reminded = (
        Notification.objects.filter(
            kind=row.kind,
            registry_id=registry.pk,
            recipient_id=row.recipient_id,
            state=NotificationState.SENT,
            sent_at__gt=now - REMINDER_INTERVAL,
        )
        .exclude(pk=row.pk)
        .exists()
    )
    if reminded:
        return Refusal("reminded_this_week")
    if not Gift.objects.filter(gifts_waiting_for_thanks(now=now), registry_id=registry.pk).exists():
        return Refusal("nothing_to_thank")
    return None


def thank_you_reminder_context(rows: list[Notification]) -> dict[str, Any]:
    from django.utils import timezone

    from gratitude.gifts.models import Gift, GiftState
    from gratitude.thanks.selectors import (
        REMINDER_INTERVAL_DAYS,
        gifts_waiting_for_thanks,
        giver_key,
        hides_details,
    )

    registry = rows[0].registry
    assert registry is not None  # provenance has checked the row before rendering
    waiting = list(
        Gift.objects.filter(gifts_waiting_for_thanks(now=timezone.now()), registry=registry).values_list(
            "giver_email", "giver_name"
        )
    )
    givers = {giver_key(email=email, name=name) for email, name in waiting}
    totals = Gift.objects.filter(registry=registry, state=GiftState.ACTIVE).aggregate(
        gifts=Count("pk"), sent=Count("pk", filter=_sent())
    )
    return {
        "registry": registry,
        "waiting": len(waiting),
        "waiting_givers": len(givers),
        "total_gifts": totals["gifts"],
        "total_sent": totals["sent"],
        "hide_details": hides_details(registry),
        "thank_you_list_url": site_url("thanks:list", registry.pk),
        "interval_days": REMINDER_INTERVAL_DAYS,
    }


def _sent() -> Any:
    from django.db.models import Q

    from gratitude.thanks.models import ThankYouStatus

    return Q(thank_you__status=ThankYouStatus.SENT)


def reminder_recipients_per_trigger(row: Notification) -> int:
    """Everyone who is, or was in the past week, a registrant of the row's registry."""
    from gratitude.registries.models import FormerMember, RegistryMember

    if row.registry_id is None:
        return 0
    current = RegistryMember.objects.filter(registry_id=row.registry_id, role__in=REMINDED_ROLES).count()
    former = FormerMember.objects.filter(
        registry_id=row.registry_id, left_at__gte=row.created_at - timedelta(days=7)
    ).count()
    return current + former


# --- The outbox writes (only thanks.services calls these, in the event's transaction) -------------------


def address_request_enqueue(*, address_request: AddressRequest) -> Notification:
    """The one message asking a giver for a mailing address. The recipient is the giver the request names;
    the key allows one per giver per registry, ever."""
    return outbox_write(
        kind=ADDRESS_REQUEST.name,
        trigger=Trigger(type="address_request", id=address_request.pk),
        recipients=[address_request.giver_id],
        key=lambda user_id: f"address_request:registry:{address_request.registry_id}:user:{user_id}",
        gift_id=address_request.gift_id,
        registry_id=address_request.gift.registry_id,
    )[0]


def registry_thank_you_reminders_enqueue(*, registry: Registry, now: datetime) -> list[Notification]:
    """This week's thank-you reminders about a registry with gifts waiting for thanks. The recipients come
    from the registry (reminder_recipients), never from the caller; the key allows one per registrant per
    registry per day, the recipients one per week."""
    day = now.date().isoformat()
    return outbox_write(
        kind=THANK_YOU_REMINDER.name,
        trigger=Trigger(type="registry", id=registry.pk),
        recipients=reminder_recipients(registry_id=registry.pk, now=now),
        key=lambda user_id: f"thank_you_reminder:registry:{registry.pk}:user:{user_id}:on:{day}",
        due_at=now,
        registry_id=registry.pk,
    )


# --- Preview samples (notifications/devtools/samples.py rolls each back)
# -----------------------------------------


def _address_request_sample() -> list[Notification]:
    from gratitude.gifts.notifications import sample_gift
    from gratitude.thanks.services import address_request_create

    gift = sample_gift()
    owner = gift.registry.members.get().user
    address_request_create(gift=gift, by=owner)
    return list(Notification.objects.filter(kind="address_request", registry_id=gift.registry_id))


def _thank_you_reminder_sample() -> list[Notification]:
    from django.utils import timezone

    from gratitude.gifts.models import Gift
    from gratitude.gifts.notifications import sample_gift
    from gratitude.thanks.services import thank_you_reminders_enqueue

    gift = sample_gift()
    owner = gift.registry.members.get().user
    # A reminder speaks of gifts that have waited a while: this sample's gift was given a month ago.
    Gift.objects.filter(pk=gift.pk).update(created_at=timezone.now() - timedelta(days=30))
    thank_you_reminders_enqueue()
    return list(
        Notification.objects.filter(kind="thank_you_reminder", registry_id=gift.registry_id, recipient=owner)
    )


# --- The kinds ------------------------------------------------------------------------------------------

# A registrant asks a giver (usually without an account) for a mailing address: one message per giver per
# registry, written by thanks.services.address_request_create (docs/thank-you-list.md).
ADDRESS_REQUEST = register(
    Kind(
        name="address_request",
        category=Category.EVENT,
        trigger="gift",
        provenance=address_request_provenance,
        recipients_per_trigger=one_recipient,
        template="address_request",
        context=address_request_context,
        event_backed=True,
        label="a request for a mailing address for a thank-you note",
        sample=_address_request_sample,
        occasions=("registry",),
        pacing=Pacing(respects_quiet_hours=True),
    )
)
# At most weekly, to registrants with gifts waiting for thanks; written by the periodic
# thanks.services.thank_you_reminders_enqueue. Its trigger is the registry's week, not one gift.
THANK_YOU_REMINDER = register(
    Kind(
        name="thank_you_reminder",
        category=Category.REMINDER,
        trigger="registry",
        provenance=thank_you_reminder_provenance,
        recipients_per_trigger=reminder_recipients_per_trigger,
        template="thank_you_reminder",
        context=thank_you_reminder_context,
        event_backed=True,
        label="a thank-you reminder",
        sample=_thank_you_reminder_sample,
        occasions=("registry",),
        pacing=Pacing(respects_quiet_hours=True),
    )
)
