"""The worker's half of store order events: apply the verified events the webhook stored as pending, in
the order each store sent them, and record each one's outcome on its row (docs/api.md, "Store order events").

`order.paid` records each line's gift through `gift_record` with the store as its source, once per (store,
order, line); `order.cancelled` / `order.refunded` cancel them (inside the settle window no alert ever goes,
docs/safety.md promises 1 and 11) or, before their payment, are remembered so the payment records nothing.

Claims are per store: a worker locks the store's row (FOR NO KEY UPDATE SKIP LOCKED, so the webhook's inserts,
which take only a key-share lock on it, never wait) and applies that store's pending events oldest first, one
batch per transaction. Two workers therefore never apply the same store's events at once, and a payment and
its cancel are applied in the order they were received. The (store, order, line) unique row and the order's
lock keep exactly-once true even without that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from gratitude.api.models import EventOutcome, Store, StoreEvent, StoreOrder, StoreOrderLine
from gratitude.api.services import EventRefused, OrderEvent, item_refs_read, order_event_parse
from gratitude.core.errors import GratitudeError, NotEnoughWanted
from gratitude.gifts.models import GiftSource, GiftState
from gratitude.gifts.services import gift_cancel, gift_record
from gratitude.registries.models import Item

logger = logging.getLogger("gratitude.api")

BATCH_SIZE = 100
# One task run applies at most this many, so a flood cannot hold a worker from the outbox for long; the
# sweep and the next wake-up carry on.
RUN_LIMIT = 2000


@dataclass
class EventResult:
    outcome: str
    recorded: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    code: str = ""
    message: str = ""

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "recorded_gifts": self.recorded,
            "cancelled_gifts": self.cancelled,
            "duplicate_lines": self.duplicates,
        }
        if self.code:
            data["code"] = self.code
        return data

    def summary(self) -> str:
        if self.code:
            return f"{self.code}: {self.message}"[:500]
        parts = []
        if self.recorded:
            parts.append(f"recorded gifts {', '.join(map(str, self.recorded))}")
        if self.cancelled:
            parts.append(f"cancelled gifts {', '.join(map(str, self.cancelled))}")
        if self.duplicates:
            parts.append(f"lines already recorded: {', '.join(self.duplicates)}")
        return "; ".join(parts)[:500]


def store_events_apply_pending(*, limit: int = RUN_LIMIT) -> int:
    """Apply pending events, a store's batch at a time, until none is left that no other worker holds (or
    `limit` is reached). Returns how many events it applied."""
    applied = 0
    while applied < limit:
        done = _apply_one_batch(min(BATCH_SIZE, limit - applied))
        if not done:
            break
        applied += done
    return applied


def _apply_one_batch(size: int) -> int:
    pending = StoreEvent.objects.filter(outcome=EventOutcome.PENDING).order_by("pk")
    store_ids = list(dict.fromkeys(pending.values_list("store_id", flat=True)[:500]))
    for store_id in store_ids:
        with transaction.atomic():
            store = Store.objects.select_for_update(skip_locked=True, no_key=True).filter(pk=store_id).first()
            if store is None:
                continue  # another worker is applying this store's events
            events = list(pending.filter(store=store)[:size])
            if events:
                return _apply(store, events)
    return 0


def _apply(store: Store, events: list[StoreEvent]) -> int:
    """Apply `events` (one store's, oldest first) and record their outcomes in one statement. Each event
    runs in its own savepoint: one the registry refuses is rolled back alone and recorded as refused."""
    parsed: dict[int, OrderEvent | EventRefused] = {}
    for row in events:
        try:
            parsed[row.pk] = order_event_parse(row.body)
        except EventRefused as exc:  # verified when it came in; kept for safety, never expected
            parsed[row.pk] = exc
    item_ids = {
        item_id
        for event in parsed.values()
        if isinstance(event, OrderEvent) and event.event == "order.paid"
        for item_id in item_refs_read(event.lines or []).values()
    }
    items = Item.objects.select_related("registry").in_bulk(item_ids)
    done: list[StoreEvent] = []
    now = timezone.now()
    for row in events:
        event = parsed[row.pk]
        result = EventResult(outcome=EventOutcome.REJECTED)
        try:
            if isinstance(event, EventRefused):
                raise event
            with transaction.atomic():
                if event.event == "order.paid":
                    _record_paid(store, event, result, items)
                else:
                    _record_cancel(store, event, result, reason=f"{store.name}: {event.event}")
        except NotEnoughWanted as exc:
            result = EventResult(EventOutcome.REJECTED, code="not_enough_wanted", message=str(exc))
        except GratitudeError as exc:
            result = EventResult(EventOutcome.REJECTED, code="refused", message=str(exc))
        except EventRefused as exc:
            result = EventResult(EventOutcome.REJECTED, code=exc.code, message=exc.message)
        except Exception:
            # Not the event's fault (a database error, a bug): it stays pending, the ones before it are
            # kept, and the next run tries it again; the store's later events wait behind it, in order.
            logger.exception("store %s event %s could not be applied; left pending", store.public_id, row.pk)
            break
        row.outcome = result.outcome
        row.result = result.as_json()
        row.detail = result.summary()
        # The buyer's details now live on the gift, for its registrants only; the event forgets them.
        row.body = ""
        row.processed_at = now
        done.append(row)
    StoreEvent.objects.bulk_update(done, ["outcome", "result", "detail", "body", "processed_at"])
    return len(done)


def _lock_order(store: Store, order_id: str) -> StoreOrder:
    """The order's row, made if new, locked. It is the lock every event of this order takes first: two
    events of one order run one after the other, never interleaved, whichever worker applies them.
    ON CONFLICT DO NOTHING makes "create unless it exists" one statement without a savepoint."""
    StoreOrder.objects.bulk_create([StoreOrder(store=store, order_id=order_id)], ignore_conflicts=True)
    return StoreOrder.objects.select_for_update().get(store=store, order_id=order_id)


def _record_paid(store: Store, event: OrderEvent, result: EventResult, items: dict[int, Item]) -> None:
    assert event.lines is not None and event.buyer is not None  # checked by order_event_parse
    item_ids = item_refs_read(event.lines)
    order = _lock_order(store, event.order_id)
    known = {line.line_id: line for line in StoreOrderLine.objects.filter(order=order)}
    for line in event.lines:
        existing = known.get(line.line_id)
        if existing is not None and existing.gift_id is not None:
            result.duplicates.append(line.line_id)
            continue
        if order.cancelled_at is not None or (existing is not None and existing.cancelled_at is not None):
            continue
        item = items.get(item_ids[line.line_id])
        if item is None:
            # Checked when the event came in; the registrant has deleted the item since.
            raise EventRefused(422, "unknown_item_ref", f"line {line.line_id}: unknown item reference.")
        gift = gift_record(
            item=item,
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
