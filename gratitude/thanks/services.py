"""Every change on the Thank You List: thank-you status (with undo), notes, "received", asking a giver for a
mailing address, the giver's answer, an address a registrant types in, and the weekly reminders. See
docs/thank-you-list.md."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User, normalize_email_address
from gratitude.core.errors import GratitudeError, PermissionDenied
from gratitude.gifts.models import GIVER_TYPED_SOURCES, Gift, GiftState
from gratitude.gifts.services import gift_mark_received
from gratitude.registries.models import Registry, RegistryMember
from gratitude.thanks.models import AddressRequest, EnteredAddress, ThankYou, ThankYouChange, ThankYouStatus
from gratitude.thanks.selectors import gifts_waiting_for_thanks, giver_key, hides_details

NOTE_MAX_LENGTH = 2000
ADDRESS_MAX_LENGTH = 600


def _check_member(*, by: User, registry_ids: Iterable[int]) -> None:
    wanted = set(registry_ids)
    found = set(
        RegistryMember.objects.filter(user=by, registry_id__in=wanted).values_list("registry_id", flat=True)
    )
    if found != wanted:
        raise PermissionDenied("Only the registry's members can change its Thank You List.")


def _lock_gifts(gifts: Iterable[Gift]) -> list[Gift]:
    # Always lock in primary-key order, so two marks over overlapping gifts cannot deadlock.
    ids = sorted({gift.pk for gift in gifts})
    return list(Gift.objects.select_for_update().filter(pk__in=ids, state=GiftState.ACTIVE).order_by("pk"))


@dataclass(frozen=True)
class _Mark:
    status: str
    written_at: datetime | None
    sent_at: datetime | None


def _after(current: _Mark, status: str, now: datetime) -> _Mark:
    """The dates each status carries: sent implies written; going back clears the later dates."""
    if status == ThankYouStatus.TODO:
        return _Mark(status, None, None)
    written_at = current.written_at or now
    if status == ThankYouStatus.WRITTEN:
        return _Mark(status, written_at, None)
    return _Mark(status, written_at, current.sent_at or now)


def thank_you_mark(*, gifts: Iterable[Gift], status: str, by: User, batch: uuid.UUID | None = None) -> int:
    """Set the thank-you status of `gifts` (to do / written / sent, with the date); returns how many changed.

    Every change is recorded under `batch` (a new one if not given), which `thank_you_mark_undo` can undo.
    Cancelled gifts are not on the list and are left alone."""
    if status not in ThankYouStatus.values:
        raise GratitudeError(f"choose one of {', '.join(ThankYouStatus.values)}", field="status")
    batch = batch or uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_gifts(gifts)
        if not locked:
            return 0
        _check_member(by=by, registry_ids={gift.registry_id for gift in locked})
        existing = {ty.gift_id: ty for ty in ThankYou.objects.filter(gift__in=locked)}
        created: list[ThankYou] = []
        updated: list[ThankYou] = []
        changes: list[ThankYouChange] = []
        for gift in locked:
            record = existing.get(gift.pk)
            before = (
                _Mark(record.status, record.written_at, record.sent_at)
                if record is not None
                else _Mark(ThankYouStatus.TODO, None, None)
            )
            after = _after(before, status, now)
            if after == before:
                continue
            if record is None:
                record = ThankYou(gift=gift)
                created.append(record)
            else:
                updated.append(record)
            record.status, record.written_at, record.sent_at = after.status, after.written_at, after.sent_at
            record.updated_by = by
            record.updated_at = now
            changes.append(
                ThankYouChange(
                    batch=batch,
                    gift=gift,
                    by=by,
                    from_status=before.status,
                    from_written_at=before.written_at,
                    from_sent_at=before.sent_at,
                    to_status=after.status,
                )
            )
        ThankYou.objects.bulk_create(created)
        ThankYou.objects.bulk_update(updated, ["status", "written_at", "sent_at", "updated_by", "updated_at"])
        ThankYouChange.objects.bulk_create(changes)
    return len(changes)


def thank_you_mark_undo(*, registry: Registry, batch: uuid.UUID, by: User) -> int:
    """Put back what one mark changed on this registry; returns how many gifts went back. A gift whose
    status changed again since is left as it is now (undo never overwrites a later mark)."""
    _check_member(by=by, registry_ids=[registry.pk])
    now = timezone.now()
    restored = 0
    with transaction.atomic():
        changes = list(
            ThankYouChange.objects.select_for_update()
            .filter(batch=batch, gift__registry=registry, undone_at__isnull=True)
            .order_by("gift_id")
        )
        records = {ty.gift_id: ty for ty in ThankYou.objects.filter(gift_id__in=[c.gift_id for c in changes])}
        for change in changes:
            record = records.get(change.gift_id)
            if record is None or record.status != change.to_status:
                continue
            record.status = change.from_status
            record.written_at = change.from_written_at
            record.sent_at = change.from_sent_at
            record.updated_by = by
            record.save(update_fields=["status", "written_at", "sent_at", "updated_by", "updated_at"])
            change.undone_at = now
            change.save(update_fields=["undone_at"])
            restored += 1
    return restored


def thank_you_note_set(*, gift: Gift, note: str, by: User) -> ThankYou:
    """Set the private note of a gift (members only; never shown to givers or put in mail)."""
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise GratitudeError(
            f"keep it under {NOTE_MAX_LENGTH:,} characters (it has {len(note):,})", field="note"
        )
    with transaction.atomic():
        locked = _lock_gifts([gift])
        if not locked:
            raise GratitudeError("This gift is no longer on the list.")
        _check_member(by=by, registry_ids=[locked[0].registry_id])
        record, _ = ThankYou.objects.get_or_create(gift=locked[0])
        record.note = note
        record.updated_by = by
        record.save(update_fields=["note", "updated_by", "updated_at"])
    return record


def thank_you_mark_received(*, gifts: Iterable[Gift], received: bool, by: User) -> int:
    """Mark gifts as arrived (today) or not arrived; returns how many changed."""
    changed = 0
    with transaction.atomic():
        locked = _lock_gifts(gifts)
        if not locked:
            return 0
        _check_member(by=by, registry_ids={gift.registry_id for gift in locked})
        for gift in locked:
            if (gift.received_at is not None) != received:
                gift_mark_received(gift=gift, received=received)
                changed += 1
    return changed


def _giver_has_address(*, registry_id: int, email: str) -> bool:
    return (
        Gift.objects.filter(registry_id=registry_id, state=GiftState.ACTIVE, giver_email=email)
        .exclude(giver_address="")
        .exists()
    )


def _giver_account(*, email: str) -> tuple[User, bool]:
    """The account mail to this giver goes to, and whether it was made just now. A giver without an account
    gets one made for the address with no password and no name (accounts.services.account_for_address,
    the same rule as for invitees): it cannot log in, and its mail greets "Hello," until its owner chooses
    a name."""
    from gratitude.accounts.services import account_for_address

    existed = User.objects.filter(email=email).exists()
    return account_for_address(email=email), not existed


def address_request_create(*, gift: Gift, by: User) -> AddressRequest:
    """Ask the giver of `gift` for a mailing address: one short message, at most once per giver per registry.

    Writes the request and its outbox row in one transaction; the message is checked again when it is sent
    (thanks.notifications.address_request_provenance)."""
    from gratitude.thanks.notifications import address_request_enqueue

    with transaction.atomic():
        locked = _lock_gifts([gift])
        if not locked:
            raise GratitudeError("This gift is no longer on the list.")
        gift = locked[0]
        _check_member(by=by, registry_ids=[gift.registry_id])
        registry = Registry.objects.get(pk=gift.registry_id)
        if hides_details(registry):
            raise GratitudeError(
                "Gifts on this registry are a surprise: reveal them before asking for addresses."
            )
        if registry.paused_at is not None:
            raise GratitudeError("This registry is paused, so no messages go out about it.")
        if gift.source not in GIVER_TYPED_SOURCES:
            # A registrant (or a script) typed this address, not the giver: the message would say "you left
            # this address with your gift", untrue, to an address nobody there chose to share.
            raise GratitudeError(
                "We can only ask givers who left their address with the gift themselves; this gift was "
                "recorded by hand, so please ask them yourself."
            )
        email = normalize_email_address(gift.giver_email)
        if not email:
            raise GratitudeError(f"{gift.giver_name} left no email address, so we cannot ask them.")
        if _giver_has_address(registry_id=registry.pk, email=email):
            raise GratitudeError(f"{gift.giver_name} already shared a mailing address.")
        earlier = AddressRequest.objects.filter(registry=registry, giver_email=email).first()
        if earlier is not None:
            raise GratitudeError(
                f"{gift.giver_name} was asked on {earlier.requested_at:%-d %B %Y}; "
                "we ask each giver only once."
            )
        giver, created = _giver_account(email=email)
        request = AddressRequest.objects.create(
            registry=registry,
            gift=gift,
            giver_email=email,
            giver=giver,
            giver_contact_created=created,
            requested_by=by,
        )
        address_request_enqueue(address_request=request)
    return request


def _clean_address(address: str) -> str:
    """One address as it goes on an envelope: each line's spacing tidied, empty lines dropped."""
    lines = [" ".join(line.split()) for line in address.strip().splitlines()]
    address = "\n".join(line for line in lines if line)
    if not address:
        raise GratitudeError("please enter the address the note should go to", field="address")
    if len(address) > ADDRESS_MAX_LENGTH:
        raise GratitudeError(f"keep it under {ADDRESS_MAX_LENGTH} characters", field="address")
    return address


def address_request_answer(*, address_request: AddressRequest, address: str) -> int:
    """The giver shares a mailing address: it goes on each of their active gifts on that registry (the
    registrants see it on the list and the labels). Returns how many gifts now carry it."""
    address = _clean_address(address)
    with transaction.atomic():
        request = AddressRequest.objects.select_for_update().get(pk=address_request.pk)
        gifts = _lock_gifts(
            Gift.objects.filter(
                registry_id=request.registry_id, giver_email=request.giver_email, state=GiftState.ACTIVE
            )
        )
        Gift.objects.filter(pk__in=[g.pk for g in gifts]).update(giver_address=address)
        request.answered_at = timezone.now()
        request.save(update_fields=["answered_at"])
    return len(gifts)


# --- addresses typed in by a registrant (docs/thank-you-list.md) --------------------------------------


def _giver_shared_an_address(*, gift: Gift) -> bool:
    """Did the giver of `gift` share an address themselves, on any of their active gifts on its registry?"""
    if gift.giver_email:
        return _giver_has_address(
            registry_id=gift.registry_id, email=normalize_email_address(gift.giver_email)
        )
    key = giver_key(email="", name=gift.giver_name)
    names = (
        Gift.objects.filter(registry_id=gift.registry_id, state=GiftState.ACTIVE, giver_email="")
        .exclude(giver_address="")
        .values_list("giver_name", flat=True)
        .distinct()
    )
    return any(giver_key(email="", name=name) == key for name in names)


def _registry_for_address_change(*, gift: Gift, by: User) -> tuple[Gift, Registry]:
    """The gift, locked and still active, and its registry, once `by` may change its giver's address."""
    locked = _lock_gifts([gift])
    if not locked:
        raise GratitudeError("This gift is no longer on the list.")
    _check_member(by=by, registry_ids=[locked[0].registry_id])
    registry = Registry.objects.get(pk=locked[0].registry_id)
    if hides_details(registry):
        # The page that offers this hides who gave; an address would tell.
        raise GratitudeError("Gifts on this registry are a surprise: reveal them before adding addresses.")
    return locked[0], registry


def giver_address_enter(*, gift: Gift, address: str, by: User) -> EnteredAddress:
    """A member types in a mailing address for the giver of `gift`, who shared none (the member knows it
    from elsewhere). It is recorded as typed in by `by`, never as shared by the giver, and applies to all of
    the giver's gifts on the registry (one person, one note); typing again replaces it."""
    address = _clean_address(address)
    with transaction.atomic():
        gift, registry = _registry_for_address_change(gift=gift, by=by)
        if _giver_shared_an_address(gift=gift):
            raise GratitudeError(
                f"{gift.giver_name} shared a mailing address themselves; that is the one we keep."
            )
        entered, _ = EnteredAddress.objects.update_or_create(
            registry=registry,
            giver_key=giver_key(email=gift.giver_email, name=gift.giver_name),
            defaults={"address": address, "entered_by": by},
        )
    return entered


def giver_address_clear(*, gift: Gift, by: User) -> bool:
    """Remove the address a member typed in for the giver of `gift`; returns whether there was one. An
    address the giver shared themselves is theirs, and stays."""
    with transaction.atomic():
        gift, registry = _registry_for_address_change(gift=gift, by=by)
        deleted, _ = EnteredAddress.objects.filter(
            registry=registry, giver_key=giver_key(email=gift.giver_email, name=gift.giver_name)
        ).delete()
    return deleted > 0


def thank_you_reminders_enqueue(*, now: datetime | None = None) -> int:
    """The periodic job: queue a gentle reminder to each registrant with gifts waiting for thanks, at most
    weekly, never about a paused or archived registry, never in quiet mode. Returns the rows written.

    Each registry is its own transaction; who gets one is decided by
    `thanks.notifications.registry_thank_you_reminders_enqueue`, and checked again at send time."""
    from gratitude.thanks.notifications import registry_thank_you_reminders_enqueue

    now = now or timezone.now()
    registry_ids = (
        Gift.objects.filter(gifts_waiting_for_thanks(now=now))
        .filter(registry__paused_at__isnull=True, registry__archived_at__isnull=True)
        .order_by("registry_id")
        .values_list("registry_id", flat=True)
        .distinct()
    )
    written = 0
    for registry_id in list(registry_ids):
        with transaction.atomic():
            registry = Registry.objects.get(pk=registry_id)
            written += len(registry_thank_you_reminders_enqueue(registry=registry, now=now))
    return written
