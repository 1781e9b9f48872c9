"""Thank You List pages: the list (filters, progress, by gift or by giver), bulk marks and undo, a gift's own
page (note, status, received, asking for an address or typing one in), the CSV export and mailing labels; and
the one page a giver opens from an address request. Thin: a selector scoped to the viewer, a form, one
service call."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, show_on_form
from gratitude.gifts.models import Gift
from gratitude.registries.models import Registry
from gratitude.registries.selectors import RegistryStanding, registry_for_member, registry_page_for_member
from gratitude.thanks import exports, rows, selectors, services
from gratitude.thanks.forms import AddressForm, EnteredAddressForm, FilterForm, MarkForm, NoteForm
from gratitude.thanks.models import ThankYouStatus

UNDO_SESSION_KEY = "thanks_undo"
_STATUS_WORDS = {"todo": "to do", "written": "written", "sent": "sent"}


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every registrant view here is login_required
    return user


def _list_page(
    request: HttpRequest,
    registry: Registry,
    query: QueryDict,
    *,
    mark_form: MarkForm | None = None,
    status: int = 200,
    standing: RegistryStanding | None = None,
) -> HttpResponse:
    if selectors.hides_details(registry):
        # Searching for or grouping by a giver would reveal who: those wait for the reveal.
        query = query.copy()
        for name in ("q", "giver", "view"):
            query.pop(name, None)
    filter_form = FilterForm(query)
    page = selectors.thank_you_page(
        registry=registry,
        filters=filter_form.filters(),
        page_number=query.get("page"),
        by_giver=filter_form.by_giver(),
    )
    # The undo offer is shown once, right after the mark it undoes.
    undo = request.session.pop(UNDO_SESSION_KEY, None)
    number = page.page.number
    every_giver = filter_form.querystring(view="", page="", giver="")
    giver_link_query = f"{every_giver}&" if every_giver else ""
    thanks_url = reverse("thanks:list", args=[registry.pk])
    return render(
        request,
        "thanks/list.html",
        {
            "registry": registry,
            "page": page,
            "progress": page.overview.progress,
            "filter_form": filter_form,
            "query": filter_form.querystring(),
            "return_query": filter_form.querystring(page=str(number) if number > 1 else ""),
            "previous_query": filter_form.querystring(page=str(number - 1)) if number > 1 else "",
            "next_query": filter_form.querystring(page=str(number + 1)) if page.page.has_next() else "",
            "gifts_view_query": filter_form.querystring(view="", page=""),
            "givers_view_query": filter_form.querystring(view="givers", page=""),
            "every_giver_query": every_giver,
            "giver_link_query": giver_link_query,
            "gift_rows": []
            if page.grouped
            else rows.gift_table_rows(
                page.rows, thanks_url=thanks_url, giver_link_query=giver_link_query, hidden=page.hidden
            ),
            "filtered_giver": page.overview.givers.get(page.filters.giver),
            "thanks_url": thanks_url,
            "mark_form": mark_form,
            "undo": undo if undo and undo.get("registry") == registry.pk else None,
            "hide_details": page.hidden,
            # None: the sub-navigation works it out ({% registry_standing %}).
            "standing": standing,
        },
        status=status,
    )


@login_required
def thank_you_list_page(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry, standing = registry_page_for_member(user=_viewer(request), registry_id=registry_id)
    return _list_page(request, registry, request.GET, standing=standing)


def _back(registry: Registry, form: MarkForm) -> HttpResponse:
    gift_id = form.cleaned_data.get("back_to_gift")
    if gift_id:
        return redirect("thanks:gift", registry_id=registry.pk, gift_id=gift_id)
    # Rebuilt from the filter form, so only known filters (never an arbitrary URL) are carried back.
    query = FilterForm(QueryDict(form.cleaned_data.get("query") or "")).querystring()
    page = QueryDict(form.cleaned_data.get("query") or "").get("page", "")
    if page.isdigit():
        query = f"{query}&page={page}" if query else f"page={page}"
    url = reverse("thanks:list", args=[registry.pk])
    return redirect(f"{url}?{query}" if query else url)


def _mark_failed(request: HttpRequest, registry: Registry, form: MarkForm) -> HttpResponse:
    # The list again, as it was, with what to fix above it.
    query = QueryDict(request.POST.get("query", ""))
    return _list_page(request, registry, query, mark_form=form, status=400)


@login_required
@require_POST
def mark(request: HttpRequest, registry_id: int) -> HttpResponse:
    viewer = _viewer(request)
    registry = registry_for_member(user=viewer, registry_id=registry_id)
    form = MarkForm(request.POST)
    if not form.is_valid():
        return _mark_failed(request, registry, form)
    gifts = selectors.gifts_for_marking(
        registry=registry, gift_ids=form.cleaned_data["gift"], giver_keys=form.cleaned_data["giver"]
    )
    action = form.cleaned_data["action"]
    try:
        if action in ThankYouStatus.values:
            batch = uuid.uuid4()
            changed = services.thank_you_mark(gifts=gifts, status=action, by=viewer, batch=batch)
            word = _STATUS_WORDS[action]
            if changed:
                request.session[UNDO_SESSION_KEY] = {
                    "registry": registry.pk,
                    "batch": str(batch),
                    "label": f"{changed} marked {word}",
                }
        else:
            received = action == "received"
            changed = services.thank_you_mark_received(gifts=gifts, received=received, by=viewer)
            word = "received" if received else "not received"
    except GratitudeError as exc:
        show_on_form(form, exc)
        return _mark_failed(request, registry, form)
    if changed:
        messages.success(request, f"Marked {changed} gift{'s' if changed != 1 else ''} {word}.")
    else:
        which = "that gift was" if len(gifts) == 1 else "those gifts were"
        messages.info(request, f"Nothing changed: {which} already {word}.")
    return _back(registry, form)


@login_required
@require_POST
def undo(request: HttpRequest, registry_id: int) -> HttpResponse:
    viewer = _viewer(request)
    registry = registry_for_member(user=viewer, registry_id=registry_id)
    try:
        batch = uuid.UUID(request.POST.get("batch", ""))
    except ValueError:
        messages.error(request, "There is nothing to undo.")
        return redirect("thanks:list", registry_id=registry.pk)
    restored = services.thank_you_mark_undo(registry=registry, batch=batch, by=viewer)
    request.session.pop(UNDO_SESSION_KEY, None)
    if restored:
        messages.success(request, f"Undone: {restored} gift{'s' if restored != 1 else ''} back as before.")
    else:
        messages.info(request, "Nothing to undo: those gifts were changed again since.")
    query = FilterForm(QueryDict(request.POST.get("query", ""))).querystring()
    url = reverse("thanks:list", args=[registry.pk])
    return redirect(f"{url}?{query}" if query else url)


def _gift_page(
    request: HttpRequest,
    registry: Registry,
    gift: Gift,
    *,
    note_form: NoteForm | None = None,
    address_form: EnteredAddressForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    thank_you = getattr(gift, "thank_you", None)
    hidden = selectors.hides_details(registry)
    address = None if hidden else selectors.giver_address(gift=gift)
    if address_form is None:
        # Pre-filled with what a member typed in, to change it; never with what the giver shared.
        typed_in = address.address if address is not None and not address.shared_by_giver else ""
        address_form = EnteredAddressForm(initial={"address": typed_in})
    request_for_giver = (
        selectors.address_request_for(registry=registry, email=gift.giver_email) if gift.giver_email else None
    )
    return render(
        request,
        "thanks/gift.html",
        {
            "registry": registry,
            "gift": gift,
            "thank_you": thank_you,
            "note_form": note_form or NoteForm(initial={"note": thank_you.note if thank_you else ""}),
            "history": [] if hidden else selectors.thank_you_history(gift=gift),
            "giver_key": selectors.giver_key(email=gift.giver_email, name=gift.giver_name),
            "giver_gifts": [] if hidden else selectors.giver_gifts(gift=gift),
            "address_request": request_for_giver,
            "giver_address": address,
            "address_form": address_form,
            "error": error,
            "hide_details": hidden,
        },
        status=status,
    )


@login_required
def gift_page(request: HttpRequest, registry_id: int, gift_id: int) -> HttpResponse:
    viewer = _viewer(request)
    registry = registry_for_member(user=viewer, registry_id=registry_id)
    gift = selectors.gift_for_member(registry=registry, gift_id=gift_id)
    if request.method != "POST":
        return _gift_page(request, registry, gift)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.thank_you_note_set(gift=gift, note=form.cleaned_data["note"], by=viewer)
        except GratitudeError as exc:
            show_on_form(form, exc, otherwise_on="note")
        else:
            messages.success(request, "Note saved.")
            return redirect("thanks:gift", registry_id=registry.pk, gift_id=gift.pk)
    return _gift_page(request, registry, gift, note_form=form, status=400)


@login_required
@require_POST
def ask_address(request: HttpRequest, registry_id: int, gift_id: int) -> HttpResponse:
    viewer = _viewer(request)
    registry = registry_for_member(user=viewer, registry_id=registry_id)
    gift = selectors.gift_for_member(registry=registry, gift_id=gift_id)
    try:
        services.address_request_create(gift=gift, by=viewer)
    except GratitudeError as exc:
        return _gift_page(request, registry, gift, error=str(exc), status=400)
    messages.success(
        request,
        f"We will ask {gift.giver_name} once, by email, where to send your note. Their answer shows up here.",
    )
    return redirect("thanks:gift", registry_id=registry.pk, gift_id=gift.pk)


@login_required
@require_POST
def enter_address(request: HttpRequest, registry_id: int, gift_id: int) -> HttpResponse:
    """A member types in (or changes, or clears) the address of a giver who shared none."""
    viewer = _viewer(request)
    registry = registry_for_member(user=viewer, registry_id=registry_id)
    gift = selectors.gift_for_member(registry=registry, gift_id=gift_id)
    if request.POST.get("action") == "clear":
        try:
            cleared = services.giver_address_clear(gift=gift, by=viewer)
        except GratitudeError as exc:
            return _gift_page(request, registry, gift, error=str(exc), status=400)
        if cleared:
            messages.success(request, f"Cleared the address you had for {gift.giver_name}.")
        return redirect("thanks:gift", registry_id=registry.pk, gift_id=gift.pk)
    form = EnteredAddressForm(request.POST)
    if form.is_valid():
        try:
            services.giver_address_enter(gift=gift, address=form.cleaned_data["address"], by=viewer)
        except GratitudeError as exc:
            if exc.field != "address":
                # Not about what was typed (a surprise registry, an address the giver shared): said above.
                return _gift_page(request, registry, gift, address_form=form, error=str(exc), status=400)
            form.add_error("address", exc.message)
        else:
            messages.success(request, f"Saved the address for {gift.giver_name}.")
            return redirect("thanks:gift", registry_id=registry.pk, gift_id=gift.pk)
    return _gift_page(request, registry, gift, address_form=form, status=400)


def _held_back(request: HttpRequest, registry: Registry, exc: GratitudeError) -> HttpResponse:
    return render(request, "thanks/held_back.html", {"registry": registry, "reason": str(exc)}, status=409)


@never_cache
@login_required
def export_csv(request: HttpRequest, registry_id: int) -> HttpResponseBase:
    registry = registry_for_member(user=_viewer(request), registry_id=registry_id)
    try:
        exports.check_exportable(registry=registry)
    except GratitudeError as exc:
        return _held_back(request, registry, exc)
    response = StreamingHttpResponse(
        exports.csv_text_chunks(exports.thank_you_csv_rows(registry=registry), bom=True),
        content_type="text/csv; charset=utf-8",
    )
    name = slugify(registry.title) or f"registry-{registry.pk}"
    response["Content-Disposition"] = f'attachment; filename="thank-you-list-{name}.csv"'
    return response


@never_cache
@login_required
def labels(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = registry_for_member(user=_viewer(request), registry_id=registry_id)
    try:
        exports.check_exportable(registry=registry)
    except GratitudeError as exc:
        return _held_back(request, registry, exc)
    only_unsent = request.GET.get("all") != "1"
    return render(
        request,
        "thanks/labels.html",
        {
            "registry": registry,
            "labels": selectors.mailing_labels(registry=registry, only_unsent=only_unsent),
            "only_unsent": only_unsent,
        },
    )


# --- the giver's page, opened from an address request; no account, no login ----------------------------


def _giver_link_not_found(request: HttpRequest) -> HttpResponse:
    # One answer for tampered, expired and outdated links: a link reveals nothing it does not open.
    return render(request, "thanks/address_link_not_found.html", status=404)


@never_cache
def address_share(request: HttpRequest, token: str) -> HttpResponse:
    address_request = selectors.address_request_for_token(token=token)
    if address_request is None:
        return _giver_link_not_found(request)
    form = AddressForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.address_request_answer(
                    address_request=address_request, address=form.cleaned_data["address"]
                )
            except GratitudeError as exc:
                show_on_form(form, exc, otherwise_on="address")
            else:
                return redirect("thanks_giver:address_share", token=token)
        status = 400
    context: dict[str, Any] = {
        "request_": address_request,
        "registry": address_request.registry,
        "gift": address_request.gift,
        "registrant_name": address_request.requested_by.name if address_request.requested_by else "",
        "giver_name": address_request.gift.giver_name,
        "form": form,
    }
    response = render(request, "thanks/address_share.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response
