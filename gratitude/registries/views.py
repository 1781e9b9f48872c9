"""Registrant pages: registries, their items, settings, people and alerts; invitations; public search.

Thin views: a selector scoped to the viewer finds the object (non-members get 404), a form shapes the input,
one service makes the change, and a GratitudeError becomes a form error (400) or, for a rule about who may
do what, a 403 page that says so.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from gratitude.accounts.invitation_views import invitation_answer
from gratitude.accounts.models import User
from gratitude.core import fragments
from gratitude.core.errors import GratitudeError, PermissionDenied, show_on_form
from gratitude.notifications.web.rate_limit import over_limit
from gratitude.registries import add_forms, conf, pictures, selectors
from gratitude.registries.currency import currency_from_accept_language
from gratitude.registries.fetch import ProductDetails
from gratitude.registries.forms import (
    AddFromLinkForm,
    AlertsForm,
    InvitationForm,
    ItemEditForm,
    ItemForm,
    RegistryForm,
    RegistryPhotoForm,
    RegistrySettingsForm,
    SearchForm,
)
from gratitude.registries.listing import ITEM, item_rows, registrant_table_rows, url_for_each
from gratitude.registries.models import Picture, Registry
from gratitude.registries.services import add_from_store as add_from_store_services
from gratitude.registries.services import invitations as invitations_services
from gratitude.registries.services import items as items_services
from gratitude.registries.services import lifecycle as lifecycle_services
from gratitude.registries.services import members as members_services
from gratitude.registries.services import registries as registries_services
from gratitude.registries.services import shared as shared_services


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every view that calls this is login_required
    return user


def _not_allowed(request: HttpRequest, registry: Registry, exc: GratitudeError) -> HttpResponse:
    return render(
        request, "registries/not_allowed.html", {"registry": registry, "reason": str(exc)}, status=403
    )


def _back_to(request: HttpRequest, registry: Registry, exc: GratitudeError) -> HttpResponse:
    """After a refused button press (no form to re-render): say why, on the page the button was on."""
    if isinstance(exc, PermissionDenied):
        return _not_allowed(request, registry, exc)
    messages.error(request, str(exc))
    return redirect("registries:detail", registry_id=registry.pk)


@login_required
def registry_list(request: HttpRequest) -> HttpResponse:
    registries = selectors.registries_for_member(user=_viewer(request))
    return render(request, "registries/list.html", {"registries": registries})


@login_required
def registry_new(request: HttpRequest) -> HttpResponse:
    guess = currency_from_accept_language(request.headers.get("Accept-Language", ""))
    form = RegistryForm(request.POST or None, initial={"currency": guess})
    if request.method == "POST" and form.is_valid():
        try:
            registry = registries_services.registry_create(owner=_viewer(request), **form.cleaned_data)
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, f"“{registry.title}” is ready. Add the first item below.")
            return redirect("registries:detail", registry_id=registry.pk)
    return render(request, "registries/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def registry_detail(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry, standing = selectors.registry_page_for_member(user=_viewer(request), registry_id=registry_id)
    return _detail_page(request, registry, None, standing=standing)


def _detail_page(
    request: HttpRequest,
    registry: Registry,
    item_form: ItemForm | None,
    status: int = 200,
    link_form: AddFromLinkForm | None = None,
    fetched: Picture | None = None,
    standing: selectors.RegistryStanding | None = None,
) -> HttpResponse:
    from gratitude.registries.gift_facts import gift_summary
    from gratitude.registries.sharing import share_context

    hide_details = registry.hides_gift_details()
    availability = selectors.items_with_availability(registry=registry)
    return render(
        request,
        "registries/detail.html",
        {
            "registry": registry,
            "rows": registrant_table_rows(item_rows(availability), hide_details=hide_details),
            "hide_details": hide_details,
            # "Covered only" keeps even the count of given items from the registrants.
            "progress": None
            if hide_details
            else selectors.progress_of(availability, currency=registry.currency),
            # Only "covered only" shows the count (the progress line says it otherwise).
            "summary": gift_summary(registry=registry) if hide_details else None,
            # None: the blank forms, kept rendered (add_forms.py); a form with input is rendered afresh.
            "item_fields": add_forms.blank_item_fields(registry.currency)
            if item_form is None
            else add_forms.item_fields(
                item_form, fetched_picture_src=pictures.url(fetched, 320) if fetched else ""
            ),
            "link_fields": add_forms.blank_link_fields()
            if link_form is None
            else add_forms.link_fields(link_form),
            **share_context(request, registry),
            # None: the template works it out ({% registry_standing %}).
            "standing": standing,
        },
        status=status,
    )


def _picture_for(request: HttpRequest, registry: Registry, form: ItemForm) -> Picture | None:
    """The uploaded picture, kept now; or the one kept from a store link; or none. PictureError if the
    upload is not a picture we keep."""
    upload = form.cleaned_data.get("picture_file")
    if upload:
        return add_from_store_services.picture_create_from_upload(
            registry=registry, data=pictures.read_upload(upload)
        )
    return selectors.picture_for_registry(registry=registry, key=form.cleaned_data.get("fetched_picture", ""))


@login_required
@require_POST
def item_add(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    form = ItemForm(request.POST, request.FILES)
    picture = None
    if form.is_valid():
        try:
            picture = _picture_for(request, registry, form)
            item = items_services.item_add(registry=registry, picture=picture, **form.item_arguments())
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, f"Added “{item.title}”.")
            return redirect("registries:detail", registry_id=registry.pk)
    if picture is not None:
        # The picture is kept already: the form shows it and carries it, so fixing a field keeps it.
        data = request.POST.copy()
        data["fetched_picture"] = picture.key
        form.data = data
    return _detail_page(request, registry, form, status=400, fetched=picture)


@login_required
@require_POST
def item_from_link(request: HttpRequest, registry_id: int) -> HttpResponse:
    """Step one of "add from any store": fetch the link, then show the add form filled in, to confirm.

    Whatever goes wrong, the registrant gets the reason and the add form (with their link in it) to add
    the item by hand."""
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    link_form = AddFromLinkForm(request.POST)
    if not link_form.is_valid():
        return _detail_page(request, registry, None, 400, link_form)
    link = link_form.cleaned_data["link"]
    try:
        # Each fetch costs the server a connection and up to 5 s; and a kept picture, until cleared.
        if over_limit(request, scope="store_fetch", per_hour=conf.store_fetches_per_hour()):
            raise GratitudeError(
                "You have fetched many store links this hour: add this item by hand for now."
            )
        product = add_from_store_services.product_fetch(registry=registry, url=link)
    except GratitudeError as exc:
        show_on_form(link_form, exc, otherwise_on="link")
        by_hand = ItemForm(initial={"url": link, "currency": registry.currency})
        return _detail_page(request, registry, by_hand, 400, link_form)
    picture = None
    if product.image_url:
        try:
            picture = add_from_store_services.picture_create_from_url(
                registry=registry, url=product.image_url
            )
        except GratitudeError as exc:
            messages.warning(request, f"We could not keep the store's picture ({exc}) You can add one below.")
    messages.info(request, "Check the details we found, change anything, then add the item.")
    return _detail_page(
        request, registry, ItemForm(initial=_fetched_initial(registry, product, picture)), 200, None, picture
    )


def _fetched_initial(registry: Registry, product: ProductDetails, picture: Picture | None) -> dict[str, Any]:
    from gratitude.registries.forms import CURRENCIES

    # A price in a currency the registry cannot show is left for the registrant to type.
    known = product.currency in CURRENCIES or not product.currency
    return {
        "title": product.title,
        "url": product.url,
        "price": product.price if known else None,
        "currency": (product.currency or registry.currency) if known else registry.currency,
        "quantity": 1,
        "fetched_picture": picture.key if picture else "",
    }


@login_required
def share_qr(request: HttpRequest, registry_id: int, fmt: str) -> HttpResponse:
    """The share link as a QR code, for members only (anyone else gets 404, as for the registry itself)."""
    from gratitude.registries.sharing import QR_FORMATS, qr_code, share_url

    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    if fmt not in QR_FORMATS or registry.visibility == "private":
        raise Http404("No QR code")
    response = HttpResponse(qr_code(share_url(request, registry), fmt=fmt), content_type=QR_FORMATS[fmt])
    # It carries the share link: never cached by anything shared; a reset link must change it at once.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def registry_photo(request: HttpRequest, registry_id: int) -> HttpResponse:
    """Set (or, with `remove`, take away) the registrants' photo shown to givers and in link previews."""
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    try:
        if request.POST.get("remove"):
            registries_services.registry_photo_remove(registry=registry, by=_viewer(request))
            messages.success(request, "Photo removed.")
        else:
            form = RegistryPhotoForm(request.POST, request.FILES)
            if not form.is_valid():
                raise GratitudeError("Choose a photo to upload.")
            registries_services.registry_photo_set(
                registry=registry, by=_viewer(request), data=pictures.read_upload(form.cleaned_data["photo"])
            )
            messages.success(request, "Photo saved. Givers see it on your registry's page.")
    except PermissionDenied as exc:
        return _not_allowed(request, registry, exc)
    except GratitudeError as exc:
        messages.error(request, str(exc))
        return redirect("registries:settings", registry_id=registry.pk)
    return redirect("registries:settings", registry_id=registry.pk)


@login_required
@require_POST
def share_link_reset(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    registries_services.registry_share_link_reset(registry=registry)
    messages.success(request, "New share link made. Every older link has stopped working.")
    return redirect("registries:detail", registry_id=registry.pk)


# --- Items -------------------------------------------------------------------------------------


@login_required
def items_manage(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    return _items_page(request, registry)


def _items_page(request: HttpRequest, registry: Registry) -> HttpResponse:
    links = {
        "edit": url_for_each("registries:item_edit", [registry.pk, ITEM]),
        "up": url_for_each("registries:item_move", [registry.pk, ITEM, "up"]),
        "down": url_for_each("registries:item_move", [registry.pk, ITEM, "down"]),
        "archive": url_for_each("registries:item_archive", [registry.pk, ITEM]),
    }
    context: dict[str, Any] = {
        "registry": registry,
        "items": item_rows(selectors.items_with_availability(registry=registry), links),
        "archived": selectors.archived_items(registry=registry),
        # One CSRF field for the page's many small forms, instead of a {% csrf_token %} per form.
        "csrf_field": csrf_input(request),
    }
    # htmx asks for the list alone after moving an item; everyone else gets the whole page.
    template = "registries/_item_list.html" if getattr(request, "htmx", False) else "registries/items.html"
    return render(request, template, context)


@login_required
def item_edit(request: HttpRequest, registry_id: int, item_id: int) -> HttpResponse:
    item = selectors.item_for_member(user=_viewer(request), item_id=item_id, registry_id=registry_id)
    form = ItemEditForm(request.POST or None, request.FILES or None, initial=_item_initial(item))
    if request.method == "POST" and form.is_valid():
        try:
            picture = _picture_for(request, item.registry, form)
            items_services.item_update(
                item=item,
                picture=picture,
                remove_picture=form.cleaned_data["remove_picture"],
                **form.item_arguments(),
            )
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, f"Saved “{form.cleaned_data['title'].strip()}”.")
            return redirect("registries:items", registry_id=registry_id)
    return render(
        request,
        "registries/item_edit.html",
        {
            "registry": item.registry,
            "item": item,
            "form": form,
            "picture_src": pictures.url(item.picture, 320) if item.picture else "",
        },
        status=400 if form.errors else 200,
    )


def _item_initial(item: Any) -> dict[str, Any]:
    fields = ["title", "quantity", "price", "currency", "url", "priority", "notes"]
    return {field: getattr(item, field) for field in fields}


@login_required
@require_POST
def item_move(request: HttpRequest, registry_id: int, item_id: int, direction: str) -> HttpResponse:
    item = selectors.item_for_member(user=_viewer(request), item_id=item_id, registry_id=registry_id)
    try:
        items_services.item_move(item=item, direction=direction)
    except GratitudeError as exc:
        return _back_to(request, item.registry, exc)
    if getattr(request, "htmx", False):
        return _items_page(request, item.registry)
    return redirect("registries:items", registry_id=registry_id)


@login_required
@require_POST
def item_archive(request: HttpRequest, registry_id: int, item_id: int) -> HttpResponse:
    item = selectors.item_for_member(user=_viewer(request), item_id=item_id, registry_id=registry_id)
    try:
        items_services.item_archive(item=item)
    except GratitudeError as exc:
        return _back_to(request, item.registry, exc)
    messages.success(request, f"“{item.title}” is off the list. Its gifts stay on the Thank You List.")
    return redirect("registries:items", registry_id=registry_id)


@login_required
@require_POST
def item_restore(request: HttpRequest, registry_id: int, item_id: int) -> HttpResponse:
    item = selectors.item_for_member(user=_viewer(request), item_id=item_id, registry_id=registry_id)
    try:
        items_services.item_restore(item=item)
    except GratitudeError as exc:
        return _back_to(request, item.registry, exc)
    messages.success(request, f"“{item.title}” is back on the list.")
    return redirect("registries:items", registry_id=registry_id)


# --- Settings and lifecycle --------------------------------------------------------------------


@login_required
def registry_settings(request: HttpRequest, registry_id: int) -> HttpResponse:
    member = selectors.member_for(user=_viewer(request), registry_id=registry_id)
    registry = member.registry
    form = RegistrySettingsForm(request.POST or None, initial=_settings_initial(registry))
    if request.method == "POST" and form.is_valid():
        try:
            registries_services.registry_update(registry=registry, by=_viewer(request), **form.cleaned_data)
        except PermissionDenied as exc:
            return _not_allowed(request, registry, exc)
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect("registries:detail", registry_id=registry.pk)
    return render(
        request,
        "registries/settings.html",
        {
            "registry": registry,
            "member": member,
            "form": form,
            "can_edit": member.role in shared_services.SETTINGS_ROLES,
            "is_owner": member.role == "owner",
            "photo_form": RegistryPhotoForm(),
            "photo_src": pictures.url(registry.photo, 320) if registry.photo else "",
        },
        status=400 if form.errors else 200,
    )


def _settings_initial(registry: Registry) -> dict[str, Any]:
    return {field: getattr(registry, field) for field in RegistrySettingsForm.Meta.fields}


@login_required
@require_POST
def registry_archive(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    try:
        lifecycle_services.registry_archive(registry=registry, by=_viewer(request))
    except GratitudeError as exc:
        return _back_to(request, registry, exc)
    messages.success(request, "Archived. Everything stays readable here; givers can no longer give.")
    return redirect("registries:detail", registry_id=registry.pk)


@login_required
@require_POST
def registry_unarchive(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    try:
        lifecycle_services.registry_unarchive(registry=registry, by=_viewer(request))
    except GratitudeError as exc:
        return _back_to(request, registry, exc)
    messages.success(request, "Reopened. It will not archive itself again unless you turn that back on.")
    return redirect("registries:detail", registry_id=registry.pk)


# --- People: members, invitations, alert preferences -------------------------------------------


@login_required
def people(request: HttpRequest, registry_id: int) -> HttpResponse:
    member = selectors.member_for(user=_viewer(request), registry_id=registry_id)
    return _people_page(request, member, InvitationForm())


def _people_page(request: HttpRequest, member: Any, form: InvitationForm, status: int = 200) -> HttpResponse:
    registry = member.registry
    return render(
        request,
        "registries/people.html",
        {
            "registry": registry,
            "me": member,
            "members": selectors.members_of(registry=registry),
            "invitations": selectors.pending_invitations(registry=registry),
            "can_invite": member.role in shared_services.INVITE_ROLES,
            "is_owner": member.role == "owner",
            "form": form,
        },
        status=status,
    )


@login_required
@require_POST
def invite(request: HttpRequest, registry_id: int) -> HttpResponse:
    member = selectors.member_for(user=_viewer(request), registry_id=registry_id)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitations_services.registry_invitation_create(
                registry=member.registry, invited_by=_viewer(request), **form.cleaned_data
            )
        except PermissionDenied as exc:
            return _not_allowed(request, member.registry, exc)
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("registries:people", registry_id=registry_id)
    return _people_page(request, member, form, status=400)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, registry_id: int, invitation_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    invitation = selectors.invitation_for_member(registry=registry, invitation_id=invitation_id)
    try:
        invitations_services.registry_invitation_revoke(invitation=invitation, by=_viewer(request))
    except GratitudeError as exc:
        return _back_to(request, registry, exc)
    messages.success(request, f"The invitation to {invitation.email} is withdrawn; its link no longer works.")
    return redirect("registries:people", registry_id=registry_id)


@login_required
@require_POST
def member_remove(request: HttpRequest, registry_id: int, member_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    target = next((m for m in selectors.members_of(registry=registry) if m.pk == member_id), None)
    if target is None:
        return redirect("registries:people", registry_id=registry_id)
    try:
        members_services.registry_member_remove(member=target, by=_viewer(request))
    except GratitudeError as exc:
        return _back_to(request, registry, exc)
    if target.user_id == _viewer(request).pk:
        messages.success(request, f"You left “{registry.title}”.")
        return redirect("registries:list")
    messages.success(request, f"{target.user.name} is no longer a member.")
    return redirect("registries:people", registry_id=registry_id)


@login_required
def alerts(request: HttpRequest, registry_id: int) -> HttpResponse:
    member = selectors.member_for(user=_viewer(request), registry_id=registry_id)
    form = AlertsForm(request.POST or None, initial={"alerts": member.alerts})
    if request.method == "POST" and form.is_valid():
        try:
            members_services.registry_member_set_alerts(member=member, alerts=form.cleaned_data["alerts"])
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, f"Gift alerts: {member.get_alerts_display().lower()}.")
            return redirect("registries:detail", registry_id=registry_id)
    return render(
        request,
        "registries/alerts.html",
        {"registry": member.registry, "member": member, "form": form},
        status=400 if form.errors else 200,
    )


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation's link opens. GET only shows it; accepting is a POST (mail scanners GET)."""
    found = selectors.invitation_for_token(token=token)
    if found is None:
        return render(request, "registries/invitation_invalid.html", status=404)
    invitee_has_password = found.invitee.has_usable_password()
    viewer = request.user if request.user.is_authenticated else None
    answer = invitation_answer(
        request,
        needs_password=not invitee_has_password,
        may_answer=True,
        accept_with_new_password=partial(
            invitations_services.registry_invitation_accept_with_new_password, invitation=found
        ),
        # Anyone signed in may try: the service refuses an account the invitation was not sent to.
        accept=lambda user: invitations_services.registry_invitation_accept(invitation=found, user=user),
        accepted=lambda: _joined(request, found.registry),
        initial_name=found.invitee.display_name,
    )
    if answer.done is not None:
        return answer.done
    return render(
        request,
        "registries/invitation.html",
        {
            "invitation": found,
            "open": found.is_open() and found.registry.archived_at is None,
            "needs_password": not invitee_has_password,
            "signed_in_as_invitee": viewer is not None and viewer.pk == found.invitee_id,
            "signed_in_as_other": viewer is not None and viewer.pk != found.invitee_id,
            "form": answer.form,
            "error": answer.error,
            "login_url": f"{reverse('accounts:login')}?next={request.path}",
        },
        status=answer.status,
    )


def _joined(request: HttpRequest, registry: Registry) -> HttpResponse:
    messages.success(request, f"Welcome to “{registry.title}”.")
    return redirect("registries:detail", registry_id=registry.pk)


# --- Search (public) ---------------------------------------------------------------------------


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid():
        results = selectors.registry_search(**form.search_arguments())
    return render(
        request,
        "registries/search.html",
        {
            "form": fragments.render("registries/search_form.html", {"fields": _search_form_fields(form)}),
            "results": results,
            "cards": (
                fragments.render(
                    "registries/search_results.html",
                    {"rows": _search_rows(results), "min_letters": selectors.SEARCH_MIN_LETTERS},
                )
                if results is not None
                else ""
            ),
        },
        status=400 if form.errors else 200,
    )


def _search_form_fields(form: SearchForm) -> list[dict[str, Any]]:
    """What registries/search_form.html prints for each input: what SearchForm declares, the value as typed
    (as Django shows a bound form's) and the input's errors."""
    fields = []
    for name, field in form.fields.items():
        widget = field.widget
        value = form.data.get(name) if form.is_bound else None
        fields.append(
            {
                "name": name,
                "label": field.label,
                "type": widget.input_type,
                "value": "" if value is None else str(value),
                "maxlength": widget.attrs.get("maxlength"),
                "placeholder": widget.attrs.get("placeholder"),
                "required": field.required,
                "errors": list(form.errors.get(name, [])) if form.is_bound else [],
            }
        )
    return fields


# Share keys are URL-safe base64 (new_share_key), which reverse() leaves as it is.
_PLAIN_SHARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHARE_KEY_PLACEHOLDER = "zzgratitudesharekeyzz"


def _search_rows(results: list[selectors.SearchResult]) -> list[dict[str, str]]:
    """What each result card prints, worked out once here: per result, {% url %}, |join and |date cost
    the template more than the search itself."""
    head, tail = reverse("gifts:shared_registry", args=[_SHARE_KEY_PLACEHOLDER]).split(
        _SHARE_KEY_PLACEHOLDER, 1
    )
    # Results sorted by date share their months: each is formatted once (date_format looks up the locale).
    months = {month: date_format(month, "F Y") for month in {r.event_month for r in results} if month}
    return [
        {
            "url": (
                f"{head}{result.share_key}{tail}"
                if _PLAIN_SHARE_KEY.fullmatch(result.share_key)
                else reverse("gifts:shared_registry", args=[result.share_key])
            ),
            "title": result.title,
            "names": " & ".join(result.names),
            "month": months[result.event_month] if result.event_month else "",
        }
        for result in results
    ]
