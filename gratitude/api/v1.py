"""API v1 at /api/v1/: thin operations over the same selectors and services the pages use, so every read is
scoped to the caller exactly as the pages are (surprise mode included) and every change obeys the same
rules. Errors all have one shape (schemas.ErrorOut); docs/api.md lists the operations with curl examples."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Path, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger

from gratitude.accounts.models import User
from gratitude.api import schemas as s
from gratitude.api.auth import SIGNED_IN, Caller, optional_caller
from gratitude.api.models import Store
from gratitude.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_list, page_queryset
from gratitude.api.selectors import store_event_for_store
from gratitude.api.services import EventRefused, store_signature_verify
from gratitude.api.webhook import SIGNATURE_HEADER, store_events_answer
from gratitude.core.errors import GratitudeError, NotEnoughWanted, PermissionDenied
from gratitude.gifts import selectors as gift_selectors
from gratitude.gifts import services as gift_services
from gratitude.gifts.conf import guest_actions_per_hour
from gratitude.gifts.models import Gift, GiftSource
from gratitude.notifications.conf import reference_checks_per_hour
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.selectors import sent_message_for, sent_messages_for
from gratitude.notifications.web.rate_limit import over_limit
from gratitude.operations.management.commands.sends import sends_status
from gratitude.operations.services import actor_for, require_staff, sends_halt, sends_resume
from gratitude.registries import pictures
from gratitude.registries import selectors as registry_selectors
from gratitude.registries.item_refs import buy_link
from gratitude.registries.models import Item, Registry
from gratitude.registries.selectors import ItemAvailability
from gratitude.registries.services.items import item_add
from gratitude.thanks import exports as thank_exports
from gratitude.thanks import selectors as thank_selectors
from gratitude.thanks.services import thank_you_mark

api = NinjaAPI(
    title="Gratitude API",
    version="1",
    description="Registries, gifts and the Thank You List for scripts and stores. See docs/api.md.",
    urls_namespace="api-v1",
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    auth=SIGNED_IN,
)

# Every operation may answer these; each lists the ones it can.
_COMMON: dict[int, Any] = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    422: s.ErrorOut,
    429: s.ErrorOut,
}
_FOUND = {**_COMMON, 404: s.ErrorOut}
_CONFLICT = {**_FOUND, 409: s.ErrorOut}
_LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
_CURSOR = Query(None, max_length=400)
# Database ids are 64-bit: anything larger is a 422, never a query the database cannot hold.
MAX_ID = 2**63 - 1
_ID = Path(..., ge=1, le=MAX_ID)


def _error(
    request: HttpRequest, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    body = s.ErrorOut(code=code, message=message, errors=[s.FieldErrorOut(**e) for e in errors or []])
    return api.create_response(request, body.model_dump(), status=status)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors
    ]
    return _error(request, 422, "invalid", "Some fields need fixing.", errors)


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = int(exc.wait or 60)
    response = _error(request, 429, "rate_limited", f"Too many requests; try again in {wait} seconds.")
    response["Retry-After"] = str(wait)
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "Send a personal token: Authorization: Bearer grt_...")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), exc.message)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One answer for "does not exist" and "not yours": an id reveals nothing it does not open.
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(GratitudeError)
def _refused(request: HttpRequest, exc: GratitudeError) -> HttpResponse:
    # The status follows the error's code: 409 too few wanted, 403 not allowed, 422 any other rule.
    status = {NotEnoughWanted.code: 409, PermissionDenied.code: 403}.get(exc.code, 422)
    return _error(request, status, exc.code if status != 422 else "refused", str(exc))


def _caller(request: HttpRequest) -> Caller:
    caller = request.auth  # type: ignore[attr-defined]
    assert isinstance(caller, Caller)
    return caller


def _user(request: HttpRequest) -> User:
    user = _caller(request).user
    assert user is not None  # SIGNED_IN operations never let an anonymous caller through
    return user


def _writer(request: HttpRequest) -> User:
    caller = _caller(request)
    if not caller.can_write:
        raise HttpError(403, "This token is read-only: make one with scope write.")
    return _user(request)


def _giver_action(request: HttpRequest) -> None:
    """A hold or a gift through a share key: the same hourly budget as the share pages' forms (one scope,
    so the page and the API together give no more), against scripted fake gifts (docs/registries.md)."""
    _writer(request)
    if over_limit(request, scope="guest-actions", per_hour=guest_actions_per_hour()):
        raise Throttled(wait=3600)


# --- Me, registries, items ----------------------------------------------------------------------------

mine = Router(tags=["registries"])


@api.get("/me", response={200: s.MeOut, **_COMMON}, tags=["me"])
def me(request: HttpRequest) -> s.MeOut:
    caller = _caller(request)
    user = _user(request)
    return s.MeOut(
        id=user.pk,
        email=user.email,
        display_name=user.display_name,
        is_staff=user.is_staff,
        auth="token" if caller.token else "session",
        scope="write" if caller.can_write else "read",
    )


def _registry_out(registry: Registry, role: str) -> s.RegistryOut:
    return s.RegistryOut(
        id=registry.pk,
        title=registry.title,
        occasion=registry.occasion,
        event_date=registry.event_date,
        visibility=registry.visibility,
        surprise=registry.surprise,
        share_key=registry.share_key,
        role=role,
        archived=registry.archived_at is not None,
        hides_gift_details=registry.hides_gift_details(),
    )


@mine.get("", response={200: s.PageOut[s.RegistryOut], **_COMMON})
def registries_list(
    request: HttpRequest, cursor: str | None = _CURSOR, limit: int = _LIMIT
) -> s.PageOut[s.RegistryOut]:
    user = _user(request)
    rows, after = page_queryset(
        registry_selectors.registries_for_member(user=user), cursor=cursor, limit=limit
    )
    roles = dict(user.registry_memberships.filter(registry__in=rows).values_list("registry_id", "role"))
    return s.PageOut[s.RegistryOut](
        items=[_registry_out(r, roles.get(r.pk, "")) for r in rows], next_cursor=after
    )


@mine.get("/{registry_id}", response={200: s.RegistryOut, **_FOUND})
def registry_detail(request: HttpRequest, registry_id: int = _ID) -> s.RegistryOut:
    member = registry_selectors.member_for(user=_user(request), registry_id=registry_id)
    return _registry_out(member.registry, member.role)


def _price(item: Item) -> str | None:
    return None if item.price is None else str(item.price)


def _picture_url(item: Item) -> str:
    """The item's picture as we keep it (never the store's own address: pictures are not hot-linked)."""
    if item.picture is None:
        return ""
    return urljoin(settings.SITE_URL, pictures.url(item.picture, 640))


def _item_out(row: ItemAvailability, *, hide: bool) -> s.ItemOut:
    item = row.item
    return s.ItemOut(
        id=item.pk,
        title=item.title,
        quantity=item.quantity,
        price=_price(item),
        currency=item.currency,
        url=item.url,
        image_url=_picture_url(item),
        priority=item.priority,
        notes=item.notes,
        group_gift=item.group_gift,
        still_wanted=None if hide else row.still_wanted,
    )


@mine.get("/{registry_id}/items", response={200: s.PageOut[s.ItemOut], **_FOUND})
def items_list(
    request: HttpRequest, registry_id: int = _ID, cursor: str | None = _CURSOR, limit: int = _LIMIT
) -> s.PageOut[s.ItemOut]:
    registry = registry_selectors.registry_for_member(user=_user(request), registry_id=registry_id)
    items, after = page_queryset(
        registry.items.filter(archived_at__isnull=True, off_list=False), cursor=cursor, limit=limit
    )
    # The same rule as the registrant's page: "covered only" drops what was reserved or given.
    hide = registry.hides_gift_details()
    rows = registry_selectors.items_availability(items=items)
    return s.PageOut[s.ItemOut](items=[_item_out(r, hide=hide) for r in rows], next_cursor=after)


@mine.post("/{registry_id}/items", response={201: s.ItemOut, **_FOUND})
def items_add(request: HttpRequest, payload: s.ItemIn, registry_id: int = _ID) -> Status[s.ItemOut]:
    registry = registry_selectors.registry_for_member(user=_writer(request), registry_id=registry_id)
    item = item_add(
        registry=registry,
        title=payload.title,
        quantity=payload.quantity,
        price=None if payload.price is None else Decimal(payload.price),
        currency=payload.currency,
        url=payload.url,
        notes=payload.notes,
    )
    row = registry_selectors.item_availability(item=item)
    return Status(201, _item_out(row, hide=registry.hides_gift_details()))


# --- Gifts and the Thank You List (members) ----------------------------------------------------------


def _gift_out(gift: Gift) -> s.GiftOut:
    return s.GiftOut(
        id=gift.pk,
        item_id=gift.item_id,
        item_title=gift.item.title,
        quantity=gift.quantity,
        amount=None if gift.amount is None else str(gift.amount),
        giver_name=gift.giver_name,
        message=gift.message,
        source=gift.source,
        created_at=gift.created_at,
        received=gift.received_at is not None,
    )


@mine.get("/{registry_id}/gifts", response={200: s.GiftsOut, **_FOUND})
def gifts_list(
    request: HttpRequest, registry_id: int = _ID, cursor: str | None = _CURSOR, limit: int = _LIMIT
) -> s.GiftsOut:
    registry = registry_selectors.registry_for_member(user=_user(request), registry_id=registry_id)
    # gifts_for_member applies "covered only": hidden gifts are counted, never listed.
    gifts, after = page_list(gift_selectors.gifts_for_member(registry=registry), cursor=cursor, limit=limit)
    hidden = gift_selectors.gift_summary(registry=registry).hidden
    return s.GiftsOut(items=[_gift_out(g) for g in gifts], next_cursor=after, hidden=hidden)


@mine.get("/{registry_id}/thank-you", response={200: s.PageOut[s.ThankYouOut], **_FOUND})
def thank_you_list(
    request: HttpRequest, registry_id: int = _ID, cursor: str | None = _CURSOR, limit: int = _LIMIT
) -> s.PageOut[s.ThankYouOut]:
    registry = registry_selectors.registry_for_member(user=_user(request), registry_id=registry_id)
    hidden = thank_selectors.hides_details(registry)
    gifts, after = page_queryset(
        thank_selectors.thank_you_list(registry=registry), cursor=cursor, limit=limit
    )
    rows = [
        s.ThankYouOut(
            gift_id=gift.pk,
            status=getattr(gift, "thank_you_status", "todo"),
            created_at=gift.created_at,
            item_title=None if hidden else gift.item.title,
            giver_name=None if hidden else gift.giver_name,
            quantity=None if hidden else gift.quantity,
        )
        for gift in gifts
    ]
    return s.PageOut[s.ThankYouOut](items=rows, next_cursor=after)


@mine.post("/{registry_id}/thank-you/mark", response={200: s.MarkOut, **_FOUND})
def thank_you_mark_many(request: HttpRequest, payload: s.MarkIn, registry_id: int = _ID) -> s.MarkOut:
    user = _writer(request)
    registry = registry_selectors.registry_for_member(user=user, registry_id=registry_id)
    # Ids of other registries' gifts are simply not found, as on the page.
    gifts = thank_selectors.gifts_for_marking(registry=registry, gift_ids=payload.gift_ids)
    return s.MarkOut(changed=thank_you_mark(gifts=gifts, status=payload.status, by=user))


@mine.get(
    "/{registry_id}/thank-you/export",
    response={200: None, **_FOUND},
    openapi_extra={
        "responses": {
            200: {
                "description": "The Thank You List as CSV",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def thank_you_export(request: HttpRequest, registry_id: int = _ID) -> StreamingHttpResponse:
    registry = registry_selectors.registry_for_member(user=_user(request), registry_id=registry_id)
    thank_exports.check_exportable(registry=registry)
    return StreamingHttpResponse(
        thank_exports.csv_text_chunks(thank_exports.thank_you_csv_rows(registry=registry)),
        content_type="text/csv; charset=utf-8",
    )


# --- The public view by share key, reservations and gifts -----------------------------------------------

shared = Router(tags=["shared"])


def _keeps_surprise(caller: Caller, registry: Registry) -> bool:
    """A registrant looking at their own share link while "covered only" holds sees no status, as on the
    share page."""
    if caller.user is None or not registry.hides_gift_details():
        return False
    return registry_selectors.membership_for(user=caller.user, registry=registry) is not None


# Public by design (a giver needs no account): the empty requirement says a token or session is optional.
@shared.get(
    "/{share_key}",
    response={200: s.SharedRegistryOut, **_FOUND},
    auth=None,
    openapi_extra={"security": [{"TokenAuth": []}, {"SessionAuth": []}, {}]},
)
def shared_registry(request: HttpRequest, share_key: str) -> s.SharedRegistryOut:
    caller = optional_caller(request)
    registry = registry_selectors.registry_for_share_key(share_key=share_key)
    if registry is None:
        raise Http404
    resting = registry_selectors.registry_is_stepped_back(registry=registry)
    hide = _keeps_surprise(caller, registry)
    rows = [] if resting else registry_selectors.items_with_availability(registry=registry)
    items = [
        s.SharedItemOut(
            id=row.item.pk,
            title=row.item.title,
            quantity=row.item.quantity,
            price=_price(row.item),
            currency=row.item.currency,
            buy_url=buy_link(row.item.url, item_id=row.item.pk) if row.item.url else "",
            image_url=_picture_url(row.item),
            notes=row.item.notes,
            group_gift=row.item.group_gift,
            still_wanted=None if hide else row.still_wanted,
        )
        for row in rows
    ]
    return s.SharedRegistryOut(
        title=registry.title,
        occasion=registry.occasion,
        event_date=registry.event_date,
        welcome_note="" if resting else registry.welcome_note,
        resting=resting,
        closed=registry.archived_at is not None,
        items=items,
    )


def _shared_item(share_key: str, item_id: int) -> Item:
    item = registry_selectors.item_for_share_key(share_key=share_key, item_id=item_id)
    if item is None:
        raise Http404
    return item


@shared.post("/{share_key}/items/{item_id}/reservations", response={201: s.ReservationOut, **_CONFLICT})
def reservation_create(
    request: HttpRequest, share_key: str, payload: s.ReservationIn, item_id: int = _ID
) -> Status[s.ReservationOut]:
    _giver_action(request)
    item = _shared_item(share_key, item_id)
    held = gift_services.reservation_create(
        item=item, giver_name=payload.giver_name, giver_email=payload.giver_email, quantity=payload.quantity
    )
    return Status(
        201,
        s.ReservationOut(
            id=held.pk,
            item_id=item.pk,
            quantity=held.quantity,
            status=held.status,
            expires_at=held.expires_at,
            token=held.token,
        ),
    )


@shared.post("/{share_key}/items/{item_id}/gifts", response={201: s.GiftReceiptOut, **_CONFLICT})
def gift_create(
    request: HttpRequest, share_key: str, payload: s.GiftIn, item_id: int = _ID
) -> Status[s.GiftReceiptOut]:
    _giver_action(request)
    item = _shared_item(share_key, item_id)
    gift = gift_services.gift_record(
        item=item,
        giver_name=payload.giver_name,
        giver_email=payload.giver_email,
        message=payload.message,
        giver_address=payload.giver_address,
        quantity=payload.quantity,
        source=GiftSource.API,
    )
    return Status(
        201, s.GiftReceiptOut(id=gift.pk, item_id=item.pk, quantity=gift.quantity, created_at=gift.created_at)
    )


# --- My notification centre and the reference check (docs/safety.md promises 13 and 17) ----------------

notifications = Router(tags=["notifications"])


def _message_out(row: Notification) -> s.NotificationOut:
    return s.NotificationOut(reference=row.reference, kind=row.kind, subject=row.subject, sent_at=row.sent_at)


@notifications.get("", response={200: s.PageOut[s.NotificationOut], **_COMMON})
def notification_centre(
    request: HttpRequest, cursor: str | None = _CURSOR, limit: int = _LIMIT
) -> s.PageOut[s.NotificationOut]:
    rows, after = page_queryset(sent_messages_for(user=_user(request)), cursor=cursor, limit=limit)
    return s.PageOut[s.NotificationOut](items=[_message_out(r) for r in rows], next_cursor=after)


@notifications.post("/check", response={200: s.CheckOut, **_COMMON})
def notification_check(request: HttpRequest, payload: s.CheckIn) -> s.CheckOut:
    if over_limit(request, scope="reference-check", per_hour=reference_checks_per_hour()):
        raise Throttled(wait=3600)
    found = sent_message_for(user=_user(request), code=payload.code)
    return s.CheckOut(found=found is not None, message=_message_out(found) if found else None)


# --- Staff: send controls, through operations.services so each is audited -------------------------------

ops = Router(tags=["operations"])


def _staff(request: HttpRequest, *, write: bool) -> User:
    user = _writer(request) if write else _user(request)
    require_staff(user)
    return user


@ops.get("/sends", response={200: s.SendsStatusOut, **_COMMON})
def sends_status_read(request: HttpRequest) -> dict[str, Any]:
    _staff(request, write=False)
    return sends_status()


@ops.post("/sends/halt", response={200: s.HaltOut, **_COMMON})
def sends_halt_api(request: HttpRequest, payload: s.SendControlIn) -> s.HaltOut:
    user = _staff(request, write=True)
    sends_halt(kind=payload.kind, reason=payload.reason, by=actor_for(user), user=user)
    return s.HaltOut(halted=payload.kind or "all kinds")


@ops.post("/sends/resume", response={200: s.ResumeOut, **_COMMON})
def sends_resume_api(request: HttpRequest, payload: s.SendControlIn) -> s.ResumeOut:
    user = _staff(request, write=True)
    released = sends_resume(kind=payload.kind, by=actor_for(user), reason=payload.reason, user=user)
    return s.ResumeOut(resumed=payload.kind or "all kinds", released=released)


# --- Store order webhooks ---------------------------------------------------------------------------------

stores = Router(tags=["stores"])

_SIGNATURE_HEADER = {
    "name": "X-Gratitude-Signature",
    "in": "header",
    "required": True,
    "description": 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the store\'s secret>',
    "schema": {"type": "string"},
}


@stores.post(
    "/{store_id}/events",
    auth=None,
    response={
        202: s.StoreEventAcceptedOut,
        400: s.ErrorOut,
        401: s.ErrorOut,
        409: s.ErrorOut,
        422: s.ErrorOut,
    },
    openapi_extra={
        "parameters": [_SIGNATURE_HEADER],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": s.StoreEventIn.model_json_schema()}},
        },
    },
)
def store_events(request: HttpRequest, store_id: str) -> HttpResponse:
    """A store's signed order event; csrf-exempt by design (the signature is the credential). 202 means
    verified and stored: the worker applies it and records its outcome on the event (read it back below).
    gunicorn answers this URL on config/wsgi.py's machine path with the same function (api/webhook.py)."""
    return store_events_answer(
        store_id=store_id,
        signature_header=request.headers.get(SIGNATURE_HEADER, ""),
        raw_body=request.body,
    )


@stores.get(
    "/{store_id}/events/{event_id}",
    auth=None,
    response={200: s.StoreEventOut, 401: s.ErrorOut, 404: s.ErrorOut, 422: s.ErrorOut},
    openapi_extra={"parameters": [_SIGNATURE_HEADER]},
)
def store_event_read(
    request: HttpRequest, store_id: str, event_id: int = _ID
) -> HttpResponse | s.StoreEventOut:
    """What one of the store's events did, for the store itself: signed like an event, over the request's
    path instead of a body ("<t>.<path>"). A read changes nothing, so the same signature may be sent again."""
    store = Store.objects.filter(public_id=store_id[:40]).first()
    try:
        store_signature_verify(
            store=store,
            header=request.headers.get("X-Gratitude-Signature", "")[:200],
            signed=request.path.encode(),
            now=timezone.now(),
        )
    except EventRefused as exc:
        return _error(request, exc.status, exc.code, exc.message)
    assert store is not None  # verified: an unknown store is refused above
    row = store_event_for_store(store=store, event_id=event_id)
    result = row.result or {}
    return s.StoreEventOut(
        event_id=row.pk,
        event=row.event,
        order_id=row.order_id,
        outcome=row.outcome,
        received_at=row.received_at,
        processed_at=row.processed_at,
        recorded_gifts=result.get("recorded_gifts", []),
        cancelled_gifts=result.get("cancelled_gifts", []),
        duplicate_lines=result.get("duplicate_lines", []),
        code=result.get("code"),
    )


api.add_router("/registries", mine)
api.add_router("/shared", shared)
api.add_router("/notifications", notifications)
api.add_router("/ops", ops)
api.add_router("/stores", stores)
