"""The page a trusted-delegate invitation's link opens (quiet mode, docs/quiet-mode.md).

GET only shows the invitation (mail scanners follow links); accepting is a POST with CSRF. The person who
named the delegate manages them from their own pages, which call accounts.services directly.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from gratitude.accounts import services
from gratitude.accounts.invitation_views import invitation_answer
from gratitude.accounts.models import QuietDelegate, User, normalize_email_address
from gratitude.accounts.tokens import read_quiet_delegate_token


def _delegation_for_token(token: str) -> QuietDelegate | None:
    """The invitation a link opens, or None for a tampered, expired, withdrawn or replaced link."""
    parsed = read_quiet_delegate_token(token)
    if parsed is None:
        return None
    delegation = QuietDelegate.objects.select_related("user").filter(pk=parsed[0]).first()
    if delegation is None or not services.quiet_delegate_token_matches(
        delegation=delegation, invited_at=parsed[1]
    ):
        return None
    return delegation


def quiet_delegate(request: HttpRequest, token: str) -> HttpResponse:
    delegation = _delegation_for_token(token)
    if delegation is None:
        return render(request, "accounts/quiet_delegate_invalid.html", status=404)
    invitee = User.objects.filter(email=delegation.email).first()
    needs_password = invitee is None or not invitee.has_usable_password()
    viewer = request.user if isinstance(request.user, User) else None
    is_invitee = viewer is not None and normalize_email_address(viewer.email) == delegation.email
    answer = invitation_answer(
        request,
        needs_password=needs_password,
        may_answer=delegation.accepted_at is None,
        accept_with_new_password=partial(services.quiet_delegate_accept_with_new_password, token=token),
        accept=(lambda by: services.quiet_delegate_accept(token=token, by=by)) if is_invitee else None,
        accepted=lambda: _accepted(request, delegation),
    )
    if answer.done is not None:
        return answer.done
    return render(
        request,
        "accounts/quiet_delegate.html",
        {
            "delegation": delegation,
            "person_name": delegation.user.name,
            "accepted_by_viewer": delegation.accepted_at is not None and is_invitee,
            "needs_password": needs_password,
            "signed_in_as_invitee": is_invitee,
            "signed_in_as_other": viewer is not None and not is_invitee,
            "form": answer.form,
            "error": answer.error,
            "login_url": f"{reverse('accounts:login')}?next={request.path}",
        },
        status=answer.status,
    )


def _accepted(request: HttpRequest, delegation: QuietDelegate) -> HttpResponse:
    messages.success(request, f"Thank you. You can now turn quiet mode on or off for {delegation.user.name}.")
    return redirect("accounts:quiet_delegate_done")


def quiet_delegate_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/quiet_delegate_done.html")
