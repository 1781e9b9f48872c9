"""Guest pages behind a share link (see the list, reserve, record a purchase, contribute, get a receipt), the
giver's own hold page, and the registrants' gifts page (mark received, record a gift by hand).

Guests need no account. Every bad link (wrong, tampered, reset, private) gets one "link not found" page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError
from gratitude.gifts import selectors as gift_selectors
from gratitude.gifts import services
from gratitude.gifts.forms import ContributionForm, FulfilForm, GiftForm, HandGiftForm, ReserveForm
from gratitude.gifts.models import GiftSource
from gratitude.registries import pictures, selectors
from gratitude.registries.listing import ITEM, guest_table_rows, item_rows, url_for_each
from gratitude.registries.models import Item, Registry


def _link_not_found(request: HttpRequest) -> HttpResponse:
    # One answer for wrong, tampered, reset and private links: a link reveals nothing it doesn't open.
    return render(request, "gifts/link_not_found.html", status=404)


def _member_keeping_the_surprise(request: HttpRequest, registry: Registry) -> bool:
    """A registrant opening their own share link while "covered only" holds sees no status, like on
    their own pages (otherwise the share page would tell them what was covered)."""
    user = request.user
    if not isinstance(user, User) or not registry.hides_gift_details():
        return False
    return selectors.membership_for(user=user, registry=registry) is not None


def shared_registry(request: HttpRequest, share_key: str) -> HttpResponse:
    registry = selectors.registry_for_share_key(share_key=share_key)
    if registry is None:
        return _link_not_found(request)
    if selectors.registry_is_stepped_back(registry=registry):
        # Paused, or its owner is in quiet mode (docs/quiet-mode.md): a few neutral words, nothing more.
        return render(request, "gifts/registry_resting.html")
    key = registry.share_key
    links = {
        "give": url_for_each("gifts:give", [key, ITEM]),
        "reserve": url_for_each("gifts:reserve", [key, ITEM]),
        "contribute": url_for_each("gifts:contribute", [key, ITEM]),
    }
    keep_surprise = _member_keeping_the_surprise(request, registry)
    closed = registry.archived_at is not None
    rows = item_rows(selectors.items_with_availability(registry=registry), links)
    photo = registry.photo
    return render(
        request,
        "gifts/shared_registry.html",
        {
            "registry": registry,
            "rows": guest_table_rows(rows, show_status=not keep_surprise, actions=not closed),
            "keep_surprise": keep_surprise,
            "closed": closed,
            "names": " & ".join(selectors.registrant_names(registry=registry)),
            "photo_src": pictures.url(photo, 320) if photo else "",
            "photo_srcset": pictures.srcset(photo) if photo else "",
            "photo_height": photo.height_at(photo.widths[0]) if photo else 0,
            "photo_width": photo.widths[0] if photo else 0,
            # Link previews (Open Graph, Twitter): the registry's title and photo, never what is on the list.
            "preview_url": request.build_absolute_uri(),
            "preview_image": request.build_absolute_uri(pictures.url(photo, 1280)) if photo else "",
        },
    )


def _item_page(
    request: HttpRequest, template: str, item: Item, share_key: str, form: Any, status: int = 200
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "registry": item.registry,
            "item": item,
            "availability": selectors.item_availability(item=item),
            "form": form,
            "share_key": share_key,
            "hold_hours": settings.GRATITUDE_RESERVATION_HOURS,
        },
        status=status,
    )


def _refused(form: Any, exc: GratitudeError) -> None:
    # Asked for too many, or lost a race for the last one: the message says how many are left, and the
    # page around it is rendered afresh with the current numbers.
    form.add_error(None, str(exc))


def give(request: HttpRequest, share_key: str, item_id: int) -> HttpResponse:
    item = selectors.item_for_share_key(share_key=share_key, item_id=item_id)
    if item is None:
        return _link_not_found(request)
    if item.group_gift:
        return redirect("gifts:contribute", share_key=share_key, item_id=item.pk)
    form = GiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gift = services.gift_record(item=item, source=GiftSource.GUEST, **form.gift_arguments())
        except GratitudeError as exc:
            _refused(form, exc)
        else:
            request.session["last_gift_receipt"] = gift.pk
            return redirect("gifts:receipt", share_key=share_key)
    status = 400 if request.method == "POST" else 200
    return _item_page(request, "gifts/give.html", item, share_key, form, status)


def contribute(request: HttpRequest, share_key: str, item_id: int) -> HttpResponse:
    item = selectors.item_for_share_key(share_key=share_key, item_id=item_id)
    if item is None or not item.group_gift:
        return _link_not_found(request)
    form = ContributionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gift = services.gift_contribute(item=item, **form.contribution_arguments())
        except GratitudeError as exc:
            _refused(form, exc)
        else:
            request.session["last_gift_receipt"] = gift.pk
            return redirect("gifts:receipt", share_key=share_key)
    status = 400 if request.method == "POST" else 200
    return _item_page(request, "gifts/contribute.html", item, share_key, form, status)


def reserve(request: HttpRequest, share_key: str, item_id: int) -> HttpResponse:
    item = selectors.item_for_share_key(share_key=share_key, item_id=item_id)
    if item is None or item.group_gift:
        return _link_not_found(request)
    form = ReserveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reservation = services.reservation_create(item=item, **form.cleaned_data)
        except GratitudeError as exc:
            _refused(form, exc)
        else:
            messages.success(
                request, "Reserved. Keep this page's link: it is how you come back to your hold."
            )
            return redirect("gifts:reservation", token=reservation.token)
    status = 400 if request.method == "POST" else 200
    return _item_page(request, "gifts/reserve.html", item, share_key, form, status)


def receipt(request: HttpRequest, share_key: str) -> HttpResponse:
    registry = selectors.registry_for_share_key(share_key=share_key)
    gift_id = request.session.get("last_gift_receipt")
    # The receipt is only for the browser that gave the gift, and only under this registry's link.
    gift = registry.gifts.filter(pk=gift_id).select_related("item").first() if registry and gift_id else None
    if gift is None:
        return _link_not_found(request)
    return render(request, "gifts/receipt.html", {"registry": registry, "gift": gift, "share_key": share_key})


# --- The giver's own hold (its link is the only key to it) -------------------------------------


def reservation(request: HttpRequest, token: str) -> HttpResponse:
    held = gift_selectors.reservation_for_token(token=token)
    if held is None:
        return _link_not_found(request)
    form = FulfilForm(request.POST or None, giver_email=held.giver_email)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.reservation_fulfil(reservation=held, **form.purchase_arguments())
            except GratitudeError as exc:
                _refused(form, exc)
            else:
                return redirect("gifts:reservation", token=token)
    return _reservation_page(request, held, form, status)


def _open_share_key(registry: Registry) -> str:
    return registry.share_key if selectors.registry_for_share_key(share_key=registry.share_key) else ""


def _reservation_page(request: HttpRequest, held: Any, form: FulfilForm, status: int = 200) -> HttpResponse:
    registry = held.item.registry
    return render(
        request,
        "gifts/reservation.html",
        {
            "reservation": held,
            "item": held.item,
            "registry": registry,
            "form": form,
            "share_key": _open_share_key(registry),
            "gift": gift_selectors.gift_for_reservation(reservation=held),
        },
        status=status,
    )


@require_POST
def reservation_release(request: HttpRequest, token: str) -> HttpResponse:
    held = gift_selectors.reservation_for_token(token=token)
    if held is None:
        return _link_not_found(request)
    try:
        services.reservation_release(reservation=held)
    except GratitudeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Released. Thank you for letting someone else give it.")
    return redirect("gifts:reservation", token=token)


# --- Registrants: the gifts on their registry --------------------------------------------------


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


@login_required
def member_gifts(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    return _member_gifts_page(request, registry, HandGiftForm(registry=registry))


def _member_gifts_page(
    request: HttpRequest, registry: Registry, form: HandGiftForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "gifts/member_gifts.html",
        {
            "registry": registry,
            "gifts": gift_selectors.gifts_for_member(registry=registry),
            "summary": gift_selectors.gift_summary(registry=registry),
            "hide_details": registry.hides_gift_details(),
            "form": form,
        },
        status=status,
    )


@login_required
@require_POST
def gift_record_by_hand(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    form = HandGiftForm(request.POST, registry=registry)
    if form.is_valid():
        try:
            gift = services.gift_record_by_hand(registry=registry, by=_viewer(request), **form.cleaned_data)
        except GratitudeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Recorded: {gift.quantity} × “{gift.item.title}” from {gift.giver_name}."
            )
            return redirect("member_gifts:list", registry_id=registry_id)
    return _member_gifts_page(request, registry, form, status=400)


@login_required
@require_POST
def gift_received(request: HttpRequest, registry_id: int, gift_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    gift = gift_selectors.gift_for_member(registry=registry, gift_id=gift_id)
    received = request.POST.get("received") != "0"
    services.gift_mark_received(gift=gift, received=received)
    messages.success(
        request,
        f"“{gift.item.title}” from {gift.giver_name}: {'received' if received else 'not received yet'}.",
    )
    return redirect("member_gifts:list", registry_id=registry_id)
