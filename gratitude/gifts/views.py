"""Guest pages behind a share link (see the list, reserve, record a purchase, contribute, get a receipt), the
giver's own hold page, and the registrants' gifts page (mark received, record a gift by hand).

Guests need no account. Every bad link (wrong, tampered, reset, private) gets one "link not found" page.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, PermissionDenied, show_on_form
from gratitude.core.guest_pages import handed_kept_page, is_plain_guest
from gratitude.core.links import site_link
from gratitude.gifts import conf, guest_page, services
from gratitude.gifts import selectors as gift_selectors
from gratitude.gifts.forms import (
    ContributionForm,
    FulfilForm,
    GiftForm,
    HandGiftForm,
    RemoveGiftForm,
    ReserveForm,
)
from gratitude.gifts.models import GiftSource
from gratitude.gifts.share_cache import share_page_rows
from gratitude.notifications.web.rate_limit import over_limit
from gratitude.registries import pictures, selectors
from gratitude.registries.listing import ITEM, guest_table_rows, url_for_each
from gratitude.registries.models import Item, Registry

# Session key: the holds this browser made, newest last, so the list says "you reserved this" to them alone.
HOLDS_IN_SESSION = "holds_made_here"
HOLDS_REMEMBERED = 50


def _remember_hold(request: HttpRequest, reservation_id: int) -> None:
    held = [pk for pk in request.session.get(HOLDS_IN_SESSION, []) if pk != reservation_id]
    request.session[HOLDS_IN_SESSION] = [*held, reservation_id][-HOLDS_REMEMBERED:]


def _holds_shown(request: HttpRequest, registry: Registry) -> dict[int, tuple[str, str]]:
    """item id -> (this browser's hold page, when the hold ends in the registry's time zone)."""
    holds = gift_selectors.holds_in_this_browser(
        registry=registry, reservation_ids=request.session.get(HOLDS_IN_SESSION, [])
    )
    zone = ZoneInfo(registry.time_zone)
    return {
        hold.item_id: (
            reverse("gifts:reservation", args=[hold.token]),
            date_format(localtime(hold.expires_at, zone), "j F, H:i T"),
        )
        for hold in reversed(holds)  # the soonest-ending hold wins when one browser holds an item twice
    }


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
    handed = handed_kept_page(request)  # found current by the short path before the request started
    if handed is not None:
        return handed
    # A plain guest (no session, no query string) is served the kept page when it is current (guest_page.py);
    # the version comes back either way, read before the registry row, to keep what is rendered below.
    plain_guest = is_plain_guest(request)
    version = None
    if plain_guest:
        kept, version = guest_page.kept_page(request, share_key)
        if kept is not None:
            return kept
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
    keep_surprise = not plain_guest and _member_keeping_the_surprise(request, registry)
    closed = registry.archived_at is not None
    rows, names, kept_until = share_page_rows(registry=registry, links=links)
    photo = registry.photo
    context = {
        "registry": registry,
        "rows": guest_table_rows(
            rows,
            show_status=not keep_surprise,
            actions=not closed,
            held_here={} if plain_guest or keep_surprise else _holds_shown(request, registry),
        ),
        "keep_surprise": keep_surprise,
        "closed": closed,
        "names": " & ".join(names),
        "photo_src": pictures.url(photo, 320) if photo else "",
        "photo_srcset": pictures.srcset(photo) if photo else "",
        "photo_height": photo.height_at(photo.widths[0]) if photo else 0,
        "photo_width": photo.widths[0] if photo else 0,
        # Link previews (Open Graph, Twitter): the registry's title and photo, never what is on the list. At
        # the site's own address (SITE_URL), never the Host a request brought: the page is the same for
        # every guest, whatever they sent, and is kept once (gifts/guest_page.py).
        "preview_url": site_link(request.path),
        "preview_image": _on_this_site(pictures.url(photo, 1280)) if photo else "",
    }
    if not plain_guest:
        return render(request, "gifts/shared_registry.html", context)
    guest_page.start_keeping(request)
    return guest_page.keep_page(
        request,
        share_key=share_key,
        registry_id=registry.pk,
        version=version,
        body=render_to_string("gifts/shared_registry.html", context, request),
        kept_until=kept_until,
    )


def _keeping_the_surprise(request: HttpRequest, item: Item, share_key: str) -> HttpResponse | None:
    """A registrant on a give, reserve or contribute page while "covered only" holds: the same covered-only
    view as everywhere else. These pages say how many are still wanted and how far a group gift is funded,
    and their forms answer "only N left", so a member gets neither; nothing is recorded from here (403 for
    a POST)."""
    if not _member_keeping_the_surprise(request, item.registry):
        return None
    status = 403 if request.method == "POST" else 200
    context = {"registry": item.registry, "item": item, "share_key": share_key}
    return render(request, "gifts/item_surprise.html", context, status=status)


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
            "hold_hours": conf.reservation_hours(),
        },
        status=status,
    )


def _too_many(request: HttpRequest) -> bool:
    """Count a giver's action (a gift, a hold, a contribution); True once this client did more than
    GRATITUDE_GUEST_ACTIONS_PER_HOUR of them this hour: nobody needs more, and a script faking gifts or
    holding a whole list does."""
    return over_limit(request, scope="guest-actions", per_hour=conf.guest_actions_per_hour())


def _slow_down(request: HttpRequest) -> HttpResponse:
    return render(request, "gifts/too_many.html", status=429)


def _refused(form: Any, exc: GratitudeError) -> None:
    # On the field the service names (a link in a message), or above the form: asked for too many, or lost
    # a race for the last one, the message says how many are left, and the page around it is rendered
    # afresh with the current numbers.
    show_on_form(form, exc)


def give(request: HttpRequest, share_key: str, item_id: int) -> HttpResponse:
    item = selectors.item_for_share_key(share_key=share_key, item_id=item_id)
    if item is None:
        return _link_not_found(request)
    if item.group_gift:
        return redirect("gifts:contribute", share_key=share_key, item_id=item.pk)
    if surprise := _keeping_the_surprise(request, item, share_key):
        return surprise
    if request.method == "POST" and _too_many(request):
        return _slow_down(request)
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
    if surprise := _keeping_the_surprise(request, item, share_key):
        return surprise
    if request.method == "POST" and _too_many(request):
        return _slow_down(request)
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
    if surprise := _keeping_the_surprise(request, item, share_key):
        return surprise
    if request.method == "POST" and _too_many(request):
        return _slow_down(request)
    form = ReserveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reservation = services.reservation_create(item=item, **form.cleaned_data)
        except GratitudeError as exc:
            _refused(form, exc)
        else:
            _remember_hold(request, reservation.pk)
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
    if request.method == "POST" and _too_many(request):
        return _slow_down(request)
    form = FulfilForm(request.POST or None, giver_email=held.giver_email)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.reservation_fulfil(
                    reservation=held, **form.purchase_arguments(), **form.how_bought()
                )
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
            "remove_form": RemoveGiftForm(initial={"back_to": "gifts"}),
        },
        status=status,
    )


@login_required
@require_POST
def gift_remove(request: HttpRequest, registry_id: int, gift_id: int) -> HttpResponse:
    """Take a gift off the Thank You List (from the gifts page or the gift's page on the list)."""
    viewer = _viewer(request)
    registry = selectors.registry_for_member(user=viewer, registry_id=registry_id)
    gift = gift_selectors.gift_for_member(registry=registry, gift_id=gift_id)
    form = RemoveGiftForm(request.POST)
    if not form.is_valid():
        # Only a reason over 200 characters (or a hand-made post) gets here: nothing was removed.
        messages.error(request, "Nothing was removed: a reason is at most 200 characters.")
        return redirect("member_gifts:list", registry_id=registry.pk)
    try:
        services.gift_remove(gift=gift, by=viewer, reason=form.cleaned_data["reason"])
    except PermissionDenied as exc:
        return render(
            request, "registries/not_allowed.html", {"registry": registry, "reason": str(exc)}, status=403
        )
    except GratitudeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Removed “{gift.item.title}” from {gift.giver_name}: wanted again, and nobody was told."
        )
    if form.cleaned_data["back_to"] == "thanks":
        return redirect("thanks:list", registry_id=registry.pk)
    return redirect("member_gifts:list", registry_id=registry.pk)


@login_required
@require_POST
def gift_record_by_hand(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    form = HandGiftForm(request.POST, registry=registry)
    if form.is_valid():
        try:
            gift = services.gift_record_by_hand(registry=registry, by=_viewer(request), **form.cleaned_data)
        except GratitudeError as exc:
            show_on_form(form, exc)
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


def _on_this_site(url: str) -> str:
    """A picture's address as a link preview needs it: absolute, at SITE_URL unless storage gave its own."""
    return url if url.startswith(("https://", "http://")) else site_link(url)
