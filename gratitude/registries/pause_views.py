"""Pausing (docs/safety.md promise 9, docs/quiet-mode.md): the registry's "Pause all messages" page, its
calm confirmation and one-button resume, and the page a message's footer link opens, which pauses without
signing in (resuming from it needs the person signed in).

A registry's members pause that registry only. Account-wide quiet mode is switched by the person, or by a
trusted delegate they named themselves (accounts/views.py), never through a role on a registry.

No question is asked anywhere here: one button does it, a note is never required, and nothing asks "are you
sure?". Every page reached while signed in is scoped to the registry's members (others get 404); the
footer's page is scoped by its signed link (notifications/web/pause_link.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_http_methods, require_POST

from gratitude.accounts.forms import QuietModeForm
from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError
from gratitude.notifications.web.pause_link import ExpiredLink
from gratitude.notifications.web.views import masked_address
from gratitude.registries import selectors
from gratitude.registries.pause_targets import pause_from_link, pause_target_for, resume_from_link
from gratitude.registries.services.pause import registry_pause, registry_resume


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every view that calls this is login_required
    return user


@login_required
def pause(request: HttpRequest, registry_id: int) -> HttpResponse:
    member = selectors.member_for(user=_viewer(request), registry_id=registry_id)
    return render(
        request,
        "registries/pause.html",
        {
            "registry": member.registry,
            "member": member,
            "quiet_form": QuietModeForm(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def paused(request: HttpRequest, registry_id: int) -> HttpResponse:
    """POST pauses the registry; GET is the calm page that says so (and offers the way back)."""
    member = selectors.member_for(user=_viewer(request), registry_id=registry_id)
    registry = member.registry
    if request.method == "POST":
        try:
            registry_pause(registry=registry, by=member.user)
        except GratitudeError as exc:
            messages.error(request, str(exc))
            return redirect("registries:pause", registry_id=registry.pk)
        return redirect("registries:paused", registry_id=registry.pk)
    if registry.paused_at is None:
        return redirect("registries:pause", registry_id=registry.pk)
    return render(request, "registries/paused.html", {"registry": registry})


@login_required
@require_POST
def resume(request: HttpRequest, registry_id: int) -> HttpResponse:
    member = selectors.member_for(user=_viewer(request), registry_id=registry_id)
    registry = member.registry
    try:
        registry_resume(registry=registry, by=member.user)
    except GratitudeError as exc:
        messages.error(request, str(exc))
        return redirect("registries:pause", registry_id=registry.pk)
    messages.success(request, f"Messages about “{registry.title}” are on again, from new events on.")
    return redirect("registries:detail", registry_id=registry.pk)


def _signed_in_as(request: HttpRequest, person: User) -> bool:
    return request.user.is_authenticated and request.user.pk == person.pk


@require_http_methods(["GET", "HEAD", "POST"])
def pause_link(request: HttpRequest, token: str) -> HttpResponse:
    """The footer's link. Pausing works without signing in: GET (which link scanners and previews do) changes
    nothing and shows one button; its POST (with CSRF) pauses. Resuming a registry needs its member signed
    in as themselves: the link sits in an inbox and may be forwarded, and whoever holds it must not switch a
    registry's messages back on for the people who stopped them."""
    try:
        target = pause_target_for(token=token)
    except ExpiredLink:
        return render(request, "registries/pause_link_invalid.html", {"expired": True}, status=410)
    if target is None:
        return render(request, "registries/pause_link_invalid.html", {"expired": False}, status=400)
    may_resume = not target.is_member or _signed_in_as(request, target.person)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "pause":
                pause_from_link(target=target)
            elif action == "resume":
                if not may_resume:
                    return redirect_to_login(request.path)
                resume_from_link(target=target)
            else:
                return HttpResponseBadRequest("Unknown action")
        except GratitudeError as exc:
            messages.error(request, str(exc))
        return redirect(request.path)
    return render(
        request,
        "registries/pause_link.html",
        {
            "target": target,
            "registry": target.registry,
            "address": masked_address(target.person.email),
            "may_resume": may_resume,
            "login_url": f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.path})}",
        },
    )
