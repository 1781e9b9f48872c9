"""Every change the API app makes: personal tokens (create, revoke, note their use), stores (add, rotate the
signing secret) and store order events (verify, then record or cancel gifts through gifts.services).

A store's event is trusted only after its signature is checked (HMAC-SHA256 over "<t>.<raw body>", five
minutes' tolerance, constant-time comparison, each signed request once). Buyer words go through
`gift_record` like words typed on our pages (docs/safety.md promise 16). See docs/api.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from gratitude.accounts.models import User
from gratitude.api.models import (
    ApiToken,
    EventOutcome,
    Store,
    StoreEvent,
    StoreOrder,
    StoreOrderLine,
    TokenScope,
)
from gratitude.core.errors import GratitudeError, NotEnoughWanted
from gratitude.gifts.models import GiftSource, GiftState
from gratitude.gifts.services import gift_cancel, gift_record
from gratitude.registries.item_refs import item_ref_read
from gratitude.registries.models import Item

logger = logging.getLogger("gratitude.api")

TOKEN_PREFIX = "grt_"  # noqa: S105 - a marker that tells our tokens apart, not a secret
SIGNATURE_TOLERANCE = timedelta(minutes=5)
ROTATION_GRACE = timedelta(hours=24)
MAX_LINES = 100


# --- Personal API tokens ----------------------------------------------------------------------


def token_hash(raw: str) -> str:
    # A token is 256 random bits, so a plain SHA-256 is enough: nothing to guess, nothing to stretch.
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, user: User, name: str, scope: str = TokenScope.READ) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns it and the raw value, which is never stored and never shown again."""
    name = name.strip()
    if not name:
        raise GratitudeError("give the token a name, so you can tell it apart later", field="name")
    if len(name) > 80:
        raise GratitudeError("at most 80 characters", field="name")
    if scope not in TokenScope.values:
        raise GratitudeError(f"choose one of {', '.join(TokenScope.values)}", field="scope")
    if not user.is_active:
        raise GratitudeError("This account is not active.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[: len(TOKEN_PREFIX) + 6], key_hash=token_hash(raw), scope=scope
    )
    return token, raw


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke one of `by`'s own tokens; it stops working at once. Idempotent."""
    if token.user_id != by.pk:
        raise GratitudeError("That token is not yours.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token `raw` is, with its user, noting when it was last used; None for anything else."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # One write a minute at most: a busy script should not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- Stores -----------------------------------------------------------------------------------


def _new_secret() -> str:
    return "whsec_" + secrets.token_hex(32)


def store_add(*, name: str) -> tuple[Store, str]:
    """Add a store; returns it and its signing secret (printed once by `gratitude stores add`)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise GratitudeError("between 1 and 120 characters", field="name")
    secret = _new_secret()
    store = Store.objects.create(public_id="st_" + secrets.token_hex(8), name=name, secret=secret)
    return store, secret


def store_rotate(*, store: Store) -> str:
    """A new signing secret; the old one keeps verifying for ROTATION_GRACE so events in flight land."""
    with transaction.atomic():
        locked = Store.objects.select_for_update().get(pk=store.pk)
        now = timezone.now()
        locked.previous_secret = locked.secret
        locked.previous_valid_until = now + ROTATION_GRACE
        locked.secret = _new_secret()
        locked.rotated_at = now
        locked.save(update_fields=["previous_secret", "previous_valid_until", "secret", "rotated_at"])
    return locked.secret


# --- Store order events -----------------------------------------------------------------------


class EventRefused(Exception):
    """An event we answer with an error status; `code` and `message` go into the one error schema."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class OrderLine(_Strict):
    line_id: str = Field(min_length=1, max_length=100)
    # Needed on a payment; a cancel names its lines by line_id alone.
    item_ref: str = Field(default="", max_length=200)
    quantity: StrictInt = Field(default=1, ge=1, le=1000)


class Buyer(_Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=254)
    message: str = Field(default="", max_length=5000)
    # Sent only when the buyer agreed to share it for a thank-you note (docs/api.md).
    address: str = Field(default="", max_length=1000)


class OrderEvent(_Strict):
    event: str = Field(pattern=r"^order\.(paid|cancelled|refunded)$")
    order_id: str = Field(min_length=1, max_length=100)
    lines: list[OrderLine] | None = Field(default=None, max_length=MAX_LINES)
    buyer: Buyer | None = None


@dataclass
class EventResult:
    outcome: str
    recorded: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    event_id: int | None = None


_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")


def _expected(secret: str, t: str, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), t.encode() + b"." + raw_body, hashlib.sha256).hexdigest()


def _verify(store: Store | None, header: str, raw_body: bytes, now: datetime) -> tuple[str, datetime]:
    """The v1 signature and its time, if `header` signs `raw_body` for `store` within the tolerance."""
    match = _SIGNATURE.match(header.strip().lower())
    if store is None or match is None:
        raise EventRefused(401, "bad_signature", "The signature is missing or does not match.")
    t, given = match.group(1), match.group(2)
    # Compared as numbers first: a time centuries away is refused before it becomes a date.
    if abs(now.timestamp() - int(t)) > SIGNATURE_TOLERANCE.total_seconds():
        raise EventRefused(401, "stale_signature", "The signature's time is more than 5 minutes away.")
    signed_at = datetime.fromtimestamp(int(t), tz=UTC)
    secrets_now = [store.secret]
    if store.previous_secret and store.previous_valid_until and now < store.previous_valid_until:
        secrets_now.append(store.previous_secret)
    # Every candidate is compared, in constant time, whatever the first answered.
    matches = [hmac.compare_digest(_expected(secret, t, raw_body), given) for secret in secrets_now]
    if not any(matches):
        raise EventRefused(401, "bad_signature", "The signature is missing or does not match.")
    return given, signed_at


def _parse(raw_body: bytes) -> OrderEvent:
    try:
        payload: Any = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventRefused(400, "bad_json", "The body is not JSON.") from exc
    try:
        event = OrderEvent.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise EventRefused(422, "invalid_event", f"{where}: {first['msg']}") from exc
    if event.event == "order.paid" and (not event.lines or event.buyer is None):
        raise EventRefused(422, "invalid_event", "order.paid needs lines and a buyer.")
    if event.event == "order.paid" and any(not line.item_ref for line in event.lines or []):
        raise EventRefused(422, "invalid_event", "order.paid: every line needs its item_ref.")
    if event.lines is not None and len({line.line_id for line in event.lines}) != len(event.lines):
        raise EventRefused(422, "invalid_event", "lines: each line_id once per event.")
    return event


def _items_for(lines: list[OrderLine]) -> dict[str, Item]:
    """Each line's item, by line id; 422 if any reference is forged or names an item that is gone."""
    ids = {line.line_id: item_ref_read(line.item_ref) for line in lines}
    found = Item.objects.select_related("registry").in_bulk([i for i in ids.values() if i is not None])
    items: dict[str, Item] = {}
    for line_id, item_id in ids.items():
        item = found.get(item_id) if item_id is not None else None
        if item is None:
            raise EventRefused(422, "unknown_item_ref", f"line {line_id}: unknown item reference.")
        items[line_id] = item
    return items


def _lock_order(store: Store, order_id: str) -> StoreOrder:
    """The order's row, made if new, locked. It is the lock every event of this order takes first: two
    deliveries of one order (or its payment and its cancel) run one after the other, never interleaved.
    ON CONFLICT DO NOTHING makes "create unless it exists" one statement without a savepoint."""
    StoreOrder.objects.bulk_create([StoreOrder(store=store, order_id=order_id)], ignore_conflicts=True)
    return StoreOrder.objects.select_for_update().get(store=store, order_id=order_id)


def _record_paid(store: Store, event: OrderEvent, result: EventResult) -> None:
    assert event.lines is not None and event.buyer is not None  # checked by _parse
    items = _items_for(event.lines)
    order = _lock_order(store, event.order_id)
    known = {line.line_id: line for line in StoreOrderLine.objects.filter(order=order)}
    for line in event.lines:
        existing = known.get(line.line_id)
        if existing is not None and existing.gift_id is not None:
            result.duplicates.append(line.line_id)
            continue
        if order.cancelled_at is not None or (existing is not None and existing.cancelled_at is not None):
            continue
        gift = gift_record(
            item=items[line.line_id],
            giver_name=event.buyer.name,
            giver_email=event.buyer.email,
            message=event.buyer.message,
            giver_address=event.buyer.address,
            quantity=line.quantity,
            source=GiftSource.STORE,
        )
        if existing is None:
            StoreOrderLine.objects.create(
                order=order, line_id=line.line_id, gift=gift, quantity=line.quantity
            )
        else:
            existing.gift = gift
            existing.save(update_fields=["gift"])
        result.recorded.append(gift.pk)
    if result.recorded:
        result.outcome = EventOutcome.RECORDED
    elif result.duplicates:
        result.outcome = EventOutcome.DUPLICATE
    else:
        result.outcome = EventOutcome.ALREADY_CANCELLED


def _record_cancel(store: Store, event: OrderEvent, result: EventResult, reason: str) -> None:
    order = _lock_order(store, event.order_id)
    now = timezone.now()
    if event.lines is None:
        if order.cancelled_at is None:
            order.cancelled_at = now
            order.save(update_fields=["cancelled_at"])
        targets = list(StoreOrderLine.objects.filter(order=order))
    else:
        targets = []
        for line in event.lines:
            row, _ = StoreOrderLine.objects.get_or_create(
                order=order, line_id=line.line_id, defaults={"quantity": line.quantity}
            )
            targets.append(row)
    for row in targets:
        if row.cancelled_at is None:
            row.cancelled_at = now
            row.save(update_fields=["cancelled_at"])
        if row.gift is not None and row.gift.state == GiftState.ACTIVE:
            gift_cancel(gift=row.gift, reason=reason)
            result.cancelled.append(row.gift.pk)
    paid_before = any(row.gift_id is not None for row in targets)
    if result.cancelled:
        result.outcome = EventOutcome.CANCELLED
    elif paid_before:
        result.outcome = EventOutcome.DUPLICATE
    else:
        result.outcome = EventOutcome.REMEMBERED


def _remember(
    store: Store, signature: str, signed_at: datetime, event: OrderEvent | None, **fields: Any
) -> int:
    row = StoreEvent.objects.create(
        store=store,
        signature=signature,
        signed_at=signed_at,
        event=event.event if event else "",
        order_id=event.order_id if event else "",
        **fields,
    )
    return row.pk


def store_event_ingest(
    *, store: Store | None, signature_header: str, raw_body: bytes, now: datetime | None = None
) -> EventResult:
    """Verify and apply one order event. Raises EventRefused (401 forged or stale, 409 replay, 400/422
    refused) having recorded nothing but, for an authentic event, the event row with its outcome."""
    now = now or timezone.now()
    signature, signed_at = _verify(store, signature_header, raw_body, now)
    assert store is not None  # _verify refuses an unknown store
    event: OrderEvent | None = None
    try:
        with transaction.atomic():
            event = _parse(raw_body)
            result = EventResult(outcome=EventOutcome.REJECTED)
            if event.event == "order.paid":
                _record_paid(store, event, result)
            else:
                _record_cancel(store, event, result, reason=f"{store.name}: {event.event}")
            # Written last, in the same transaction: a second delivery of this very signed request fails
            # here on the unique signature (after waiting for the first to commit) and everything it did
            # is rolled back.
            result.event_id = _remember(
                store,
                signature,
                signed_at,
                event,
                outcome=result.outcome,
                status_code=200,
                detail=_summary(result),
            )
            return result
    except IntegrityError as exc:
        if StoreEvent.objects.filter(store=store, signature=signature).exists():
            raise EventRefused(409, "replay", "This signed request was received before.") from exc
        raise
    except NotEnoughWanted as exc:
        _refuse(store, signature, signed_at, event, 409, "not_enough_wanted", str(exc))
    except GratitudeError as exc:
        _refuse(store, signature, signed_at, event, 422, "refused", str(exc))
    except EventRefused as exc:
        _refuse(store, signature, signed_at, event, exc.status, exc.code, exc.message)


def _refuse(
    store: Store,
    signature: str,
    signed_at: datetime,
    event: OrderEvent | None,
    status: int,
    code: str,
    message: str,
) -> NoReturn:
    """Keep the refused event (nothing else of it was written) and raise its answer."""
    try:
        with transaction.atomic():
            _remember(
                store,
                signature,
                signed_at,
                event,
                outcome=EventOutcome.REJECTED,
                status_code=status,
                detail=f"{code}: {message}"[:500],
            )
    except IntegrityError:
        raise EventRefused(409, "replay", "This signed request was received before.") from None
    logger.info("store %s event refused: %s", store.public_id, code)
    raise EventRefused(status, code, message)


def _summary(result: EventResult) -> str:
    parts = []
    if result.recorded:
        parts.append(f"recorded gifts {', '.join(map(str, result.recorded))}")
    if result.cancelled:
        parts.append(f"cancelled gifts {', '.join(map(str, result.cancelled))}")
    if result.duplicates:
        parts.append(f"lines already recorded: {', '.join(result.duplicates)}")
    return "; ".join(parts)[:500]
