"""Pausing (issue 7, SAFETY.md promise 9, docs/quiet-mode.md): the registry's "Pause all messages" page,
its calm confirmation and one-button resume, a delegate switching quiet mode for the registrants, and the
page a message's footer link opens, which works without signing in.

No question is asked anywhere here: one button does it, a note is never required, and nothing asks "are you
sure?". Every page reached while signed in is scoped to the registry's members (others get 404); the
footer's page is scoped by its signed link (notifications/pause_link.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from gratitude.accounts.forms import QuietModeForm
from gratitude.accounts.models import User
from gratitude.accounts.services import quiet_mode_disable, quiet_mode_enable
from gratitude.core.errors import GratitudeError
from gratitude.notifications.pause_link import (
    ExpiredLink,
    pause_from_link,
    pause_target_for,
    resume_from_link,
)
from gratitude.notifications.views import masked_address
from gratitude.registries import selectors, services
from gratitude.registries.models import MemberRole, RegistryMember


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every view that calls this is login_required
    return user


def _registrants(member: RegistryMember) -> list[RegistryMember]:
    """Whom a delegate member may switch quiet mode for: the registry's owner and co-registrants."""
    if member.role != MemberRole.DELEGATE:
        return []
    return [m for m in selectors.members_of(registry=member.registry) if m.role != MemberRole.DELEGATE]


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
            "registrants": _registrants(member),
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
            services.registry_pause(registry=registry, by=member.user)
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
        services.registry_resume(registry=registry, by=member.user)
    except GratitudeError as exc:
        messages.error(request, str(exc))
        return redirect("registries:pause", registry_id=registry.pk)
    messages.success(request, f"Messages about “{registry.title}” are on again, from new events on.")
    return redirect("registries:detail", registry_id=registry.pk)


@login_required
@require_POST
def quiet_for(request: HttpRequest, registry_id: int, member_id: int) -> HttpResponse:
    """A delegate member switches quiet mode on or off for one of the registry's registrants."""
    member = selectors.member_for(user=_viewer(request), registry_id=registry_id)
    registrant = next((m for m in _registrants(member) if m.pk == member_id), None)
    if registrant is None:
        return render(
            request,
            "registries/not_allowed.html",
            {
                "registry": member.registry,
                "reason": "Only a trusted delegate of this registry switches quiet mode for its registrants.",
            },
            status=403,
        )
    person = registrant.user
    action = request.POST.get("action")
    try:
        if action == "on":
            quiet_mode_enable(user=person, by=member.user)
            messages.success(
                request, f"Quiet mode is on for {person.name}: no messages about any registry reach them."
            )
        elif action == "off":
            quiet_mode_disable(user=person, by=member.user)
            messages.success(request, f"Quiet mode is off for {person.name}.")
        else:
            return HttpResponseBadRequest("Unknown action")
    except GratitudeError as exc:
        messages.error(request, str(exc))
    return redirect("registries:pause", registry_id=member.registry_id)


@require_http_methods(["GET", "HEAD", "POST"])
def pause_link(request: HttpRequest, token: str) -> HttpResponse:
    """The footer's link, without signing in. GET (which link scanners and previews do) changes nothing and
    shows one button; its POST (with CSRF) pauses, then the page says what is paused and how to resume."""
    try:
        target = pause_target_for(token=token)
    except ExpiredLink:
        return render(request, "registries/pause_link_invalid.html", {"expired": True}, status=410)
    if target is None:
        return render(request, "registries/pause_link_invalid.html", {"expired": False}, status=400)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "pause":
                pause_from_link(target=target)
            elif action == "resume":
                resume_from_link(target=target)
            else:
                return HttpResponseBadRequest("Unknown action")
        except GratitudeError as exc:
            messages.error(request, str(exc))
        return redirect(request.path)
    return render(
        request,
        "registries/pause_link.html",
        {"target": target, "registry": target.registry, "address": masked_address(target.person.email)},
    )
