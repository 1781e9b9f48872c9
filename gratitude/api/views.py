"""Pages of the API app: personal tokens on the account page (create, shown once; revoke), and for staff the
store events in the operator console (/ops/stores/). The JSON API itself is v1.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gratitude.accounts.models import User
from gratitude.api import selectors
from gratitude.api.forms import TokenForm
from gratitude.api.services import api_token_create, api_token_revoke
from gratitude.core.errors import GratitudeError, show_on_form
from gratitude.operations.views import staff_only


def _person(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


# The new token's value waits in the session for the one page that shows it, so a reload neither shows it
# again nor makes a second token (the form's POST is answered with a redirect).
NEW_TOKEN_SESSION_KEY = "api_new_token"  # noqa: S105 - a session key name, not a secret


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = api_token_create(user=user, **form.cleaned_data)
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "raw": raw}
            return redirect("api:tokens")
    created = None
    shown = request.session.pop(NEW_TOKEN_SESSION_KEY, None) if request.method == "GET" else None
    if shown is not None:
        created = {"token": selectors.token_for(user=user, token_id=shown["id"]), "raw": shown["raw"]}
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": selectors.tokens_for(user=user), "created": created},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _person(request)
    token = selectors.token_for(user=user, token_id=token_id)
    api_token_revoke(token=token, by=user)
    messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("api:tokens")


@staff_only
def store_events(request: HttpRequest) -> HttpResponse:
    store_id = request.GET.get("store", "")[:40]
    page = Paginator(selectors.store_events_for_staff(store_id=store_id), 100).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "api/store_events.html",
        {"page": page, "stores": selectors.stores_for_staff(), "store_id": store_id},
    )
