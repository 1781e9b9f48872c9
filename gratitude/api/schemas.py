"""The API's request and response shapes. Inputs forbid unknown fields and take integers strictly (a JSON
`true` is not 1); every error, whatever its status, has the one shape of `ErrorOut`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt

T = TypeVar("T")


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    code: str
    message: str
    errors: list[FieldErrorOut] = []


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    # Pass it back as ?cursor= for the next page; null on the last page.
    next_cursor: str | None


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    is_staff: bool
    auth: Literal["token", "session"]
    scope: Literal["read", "write"]


class RegistryOut(BaseModel):
    id: int
    title: str
    occasion: str
    event_date: date | None
    visibility: str
    surprise: str
    share_key: str
    role: str
    archived: bool
    # True while "covered only" keeps what was given, and by whom, from the registrants.
    hides_gift_details: bool


class ItemOut(BaseModel):
    id: int
    title: str
    quantity: int
    price: str | None
    currency: str
    url: str
    image_url: str
    priority: str
    notes: str
    group_gift: bool
    # Null while the registry's surprise setting keeps it from the registrants.
    still_wanted: int | None


class ItemIn(Input):
    title: str = Field(min_length=1, max_length=200)
    quantity: StrictInt = Field(default=1, ge=1, le=10_000)
    price: str | None = Field(default=None, pattern=r"^\d{1,8}(\.\d{1,2})?$")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    url: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=1000)


class SharedItemOut(BaseModel):
    id: int
    title: str
    quantity: int
    price: str | None
    currency: str
    # The store link with the item's signed reference (`gratitude_ref`), for the store to send back.
    buy_url: str
    image_url: str
    notes: str
    group_gift: bool
    still_wanted: int | None


class SharedRegistryOut(BaseModel):
    title: str
    occasion: str
    event_date: date | None
    welcome_note: str
    # Paused, or its owner is in quiet mode: nothing is shown and nothing can be given.
    resting: bool
    closed: bool
    items: list[SharedItemOut]


class ReservationIn(Input):
    giver_name: str = Field(min_length=1, max_length=120)
    giver_email: str = Field(default="", max_length=254)
    quantity: StrictInt = Field(default=1, ge=1, le=10_000)


class ReservationOut(BaseModel):
    id: int
    item_id: int
    quantity: int
    status: str
    expires_at: datetime
    # The giver's own key to the hold (the same as the link the page gives): keep it.
    token: str


class GiftIn(Input):
    giver_name: str = Field(min_length=1, max_length=120)
    giver_email: str = Field(default="", max_length=254)
    message: str = Field(default="", max_length=2000)
    giver_address: str = Field(default="", max_length=500)
    quantity: StrictInt = Field(default=1, ge=1, le=10_000)


class GiftOut(BaseModel):
    id: int
    item_id: int
    item_title: str
    quantity: int
    amount: str | None
    giver_name: str
    message: str
    source: str
    created_at: datetime
    received: bool


class GiftReceiptOut(BaseModel):
    id: int
    item_id: int
    quantity: int
    created_at: datetime


class GiftsOut(BaseModel):
    items: list[GiftOut]
    next_cursor: str | None
    # Gifts "covered only" keeps from the registrants for now (counted, never shown).
    hidden: int


class ThankYouOut(BaseModel):
    gift_id: int
    status: str
    created_at: datetime
    # Null while the registry's surprise setting holds them back.
    item_title: str | None
    giver_name: str | None
    quantity: int | None


class MarkIn(Input):
    gift_ids: list[Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]] = Field(min_length=1, max_length=500)
    status: Literal["todo", "written", "sent"]


class MarkOut(BaseModel):
    changed: int


class NotificationOut(BaseModel):
    reference: str
    kind: str
    subject: str
    sent_at: datetime | None


class CheckIn(Input):
    code: str = Field(min_length=1, max_length=40)


class CheckOut(BaseModel):
    # True only for a message we sent to the person asking; every other case reads the same.
    found: bool
    message: NotificationOut | None


class SendControlIn(Input):
    kind: str | None = Field(default=None, max_length=40)
    reason: str = Field(default="", max_length=500)


class KindStatusOut(BaseModel):
    halted: bool
    halted_by: str | None
    breaker_open: bool
    reason: str
    queued: int
    held: int
    sent_last_hour: int
    suppressed_last_hour: int


class OverallOut(BaseModel):
    halted: bool
    reason: str


class SendsStatusOut(BaseModel):
    all: OverallOut
    kinds: dict[str, KindStatusOut]


class HaltOut(BaseModel):
    halted: str


class ResumeOut(BaseModel):
    resumed: str
    released: int


class StoreEventAcceptedOut(BaseModel):
    """202: the event is verified and stored; the worker applies it and records the outcome on the event."""

    status: Literal["accepted"]
    event_id: int


class StoreEventOut(BaseModel):
    """What an event did, once the worker applied it (`outcome` is "pending" until then)."""

    event_id: int
    event: str
    order_id: str
    outcome: str
    received_at: datetime
    processed_at: datetime | None
    recorded_gifts: list[int]
    cancelled_gifts: list[int]
    duplicate_lines: list[str]
    # For a refused event: not_enough_wanted, refused, unknown_item_ref, ...
    code: str | None


class StoreLineIn(Input):
    line_id: str
    item_ref: str = ""
    quantity: StrictInt = 1


class StoreBuyerIn(Input):
    name: str
    email: str = ""
    message: str = ""
    address: str = ""


class StoreEventIn(Input):
    """Documents the webhook body; the endpoint itself reads the raw bytes, which the signature covers."""

    event: Literal["order.paid", "order.cancelled", "order.refunded"]
    order_id: str
    lines: list[StoreLineIn] | None = None
    buyer: StoreBuyerIn | None = None
