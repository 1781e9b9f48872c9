"""Every change the API app makes: personal tokens (create, revoke, note their use), stores (add, rotate the
signing secret) and store order events (verify and store them; api/event_worker.py applies them).

A store's event is trusted only after its signature is checked (HMAC-SHA256 over "<t>.<raw body>", five
minutes' tolerance, constant-time comparison, each signed request once). Buyer words go through
`gift_record`, in the worker, like words typed on our pages (docs/safety.md promise 16). See docs/api.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import NoReturn

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from gratitude.accounts.models import User
from gratitude.api.event_rows import items_found, pending_event_insert, store_for_signature
from gratitude.api.models import ApiToken, EventOutcome, Store, StoreEvent, TokenScope
from gratitude.api.tasks import store_events_wake_up, store_events_wake_up_due
from gratitude.core.errors import GratitudeError
from gratitude.registries.item_refs import item_ref_read

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

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL cannot store a NUL in text: refused here as bad input (422), never a 500 later.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


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


_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")


def _expected(secret: str, t: str, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), t.encode() + b"." + raw_body, hashlib.sha256).hexdigest()


def store_signature_verify(
    *, store: Store | None, header: str, signed: bytes, now: datetime
) -> tuple[str, datetime]:
    """The v1 signature and its time, if `header` signs `signed` (the raw body; for a status read, the
    path) for `store` within the tolerance; EventRefused(401) otherwise."""
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
    matches = [hmac.compare_digest(_expected(secret, t, signed), given) for secret in secrets_now]
    if not any(matches):
        raise EventRefused(401, "bad_signature", "The signature is missing or does not match.")
    return given, signed_at


def order_event_parse(raw_body: bytes | str) -> OrderEvent:
    """The body as an OrderEvent, parsed once (pydantic reads the JSON itself); 400 or 422 if it is not."""
    try:
        event = OrderEvent.model_validate_json(raw_body)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise EventRefused(400, "bad_json", "The body is not JSON.") from exc
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise EventRefused(422, "invalid_event", f"{where}: {first['msg']}") from exc
    if event.event == "order.paid" and (not event.lines or event.buyer is None):
        raise EventRefused(422, "invalid_event", "order.paid needs lines and a buyer.")
    if event.event == "order.paid" and any(not line.item_ref for line in event.lines or []):
        raise EventRefused(422, "invalid_event", "order.paid: every line needs its item_ref.")
    if event.lines is not None and len({line.line_id for line in event.lines}) != len(event.lines):
        raise EventRefused(422, "invalid_event", "lines: each line_id once per event.")
    return event


def item_refs_read(lines: list[OrderLine]) -> dict[str, int]:
    """Each line's item id, by line id, from its signed reference; 422 for a forged one, before any query."""
    ids: dict[str, int] = {}
    for line in lines:
        item_id = item_ref_read(line.item_ref)
        if item_id is None:
            raise EventRefused(422, "unknown_item_ref", f"line {line.line_id}: unknown item reference.")
        ids[line.line_id] = item_id
    return ids


def _check_items_exist(lines: list[OrderLine]) -> None:
    """422 unless every line names an item that still exists: one query for all the lines."""
    ids = item_refs_read(lines)
    found = items_found(set(ids.values()))
    for line_id, item_id in ids.items():
        if item_id not in found:
            raise EventRefused(422, "unknown_item_ref", f"line {line_id}: unknown item reference.")


def store_event_ingest(
    *, store_public_id: str, signature_header: str, raw_body: bytes, now: datetime | None = None
) -> int:
    """Verify one order event and store it, pending, for the worker (api/event_worker.py) to apply; returns
    its id, which the caller answers with 202. Raises EventRefused (401 forged or stale, 409 replay, 400/422
    refused) having stored nothing but, for an authentic event it refuses, the event row with its refusal.

    Everything a store can get wrong is checked here, before the answer; what is left for the worker is
    what depends on the registry at the moment the event is applied (how many are still wanted, the
    buyer's words), and its outcome is recorded on the event. Three statements in steady state (the store,
    the items, the insert, each prepared SQL: api/event_rows.py), no transaction of their own."""
    now = now or timezone.now()
    store = store_for_signature(store_public_id)
    signature, signed_at = store_signature_verify(
        store=store, header=signature_header, signed=raw_body, now=now
    )
    assert store is not None  # verified: an unknown store is refused above
    event: OrderEvent | None = None
    try:
        event = order_event_parse(raw_body)
        if event.event == "order.paid":
            assert event.lines is not None  # order_event_parse requires them
            _check_items_exist(event.lines)
    except EventRefused as exc:
        _refuse(store, signature, signed_at, event, exc.status, exc.code, exc.message)
    insert = partial(
        pending_event_insert,
        store_id=store.pk,
        signature=signature,
        signed_at=signed_at,
        received_at=now,
        event=event.event,
        order_id=event.order_id,
        body=raw_body.decode(),
    )
    try:
        wake_up_due = store_events_wake_up_due()
        if not wake_up_due and not transaction.get_connection().in_atomic_block:
            # The one durable write, a statement of its own (autocommit): a wake-up seen within the
            # second serves this event too (api/tasks.py).
            return insert()
        # Inside a caller's transaction, a savepoint: a replay's failed insert must not spoil it.
        with transaction.atomic():
            # The event and, in the same transaction, the worker's wake-up (shared by the events of the
            # same second).
            event_id = insert()
            if wake_up_due:
                store_events_wake_up()
        return event_id
    except IntegrityError as exc:
        # The unique (store, signature): a second delivery of this very signed request waits for the
        # first to commit, then fails here.
        if StoreEvent.objects.filter(store=store, signature=signature).exists():
            raise EventRefused(409, "replay", "This signed request was received before.") from exc
        raise


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
            StoreEvent.objects.create(
                store=store,
                signature=signature,
                signed_at=signed_at,
                event=event.event if event else "",
                order_id=event.order_id if event else "",
                outcome=EventOutcome.REJECTED,
                status_code=status,
                detail=f"{code}: {message}"[:500],
                result={"code": code},
                processed_at=timezone.now(),
            )
    except IntegrityError:
        raise EventRefused(409, "replay", "This signed request was received before.") from None
    logger.info("store %s event refused: %s", store.public_id, code)
    raise EventRefused(status, code, message)
