"""Pages about mail: the dev mailbox and mail previews (404 unless GRATITUDE_DEV_MAILBOX is on, which only
dev does and production refuses), the signed-in notification centre, "Is this email from us?", and the
one-click unsubscribe endpoint. See docs/deliverability.md."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from gratitude.accounts.models import User
from gratitude.notifications.kinds import KINDS
from gratitude.notifications.samples import SAMPLES, NoSample, preview
from gratitude.notifications.selectors import sent_message_for, sent_messages_for
from gratitude.notifications.suppression import category_unsubscribe, is_unsubscribed
from gratitude.notifications.throttle import over_limit
from gratitude.notifications.unsubscribe import choice_for, read_token


def _mailbox() -> Path:
    if not settings.GRATITUDE_DEV_MAILBOX:
        raise Http404("The dev mailbox is only available in development.")
    return Path(settings.DEV_MAILBOX_DIR)


def _parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def dev_mailbox(request: HttpRequest) -> HttpResponse:
    directory = _mailbox()
    files = sorted(directory.glob("*.eml"), reverse=True)[:200] if directory.exists() else []
    entries = []
    for path in files:
        message = _parse(path)
        entries.append({"name": path.stem, "message": message, "kind": message["X-Gratitude-Kind"]})
    return render(request, "notifications/dev_mailbox.html", {"entries": entries})


def dev_mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    path = _mailbox() / f"{name}.eml"
    # The name comes from the URL: only plain stems of files that exist in the mailbox itself.
    if "/" in name or ".." in name or not path.is_file():
        raise Http404("No such message")
    message = _parse(path)
    text_part = message.get_body(preferencelist=("plain",))
    text = text_part.get_content() if text_part is not None else ""
    return render(request, "notifications/dev_mailbox_message.html", {"message": message, "text": text})


# --- The notification centre and "Is this email from us?" (SAFETY.md promise 13) -------------------------


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    sent = sent_messages_for(user=user).only("reference", "kind", "subject", "sent_at")[:200]
    # Not "messages": base.html shows that name as the flash banners of django.contrib.messages.
    return render(request, "notifications/mail/centre.html", {"sent_messages": sent})


# A sandboxed srcdoc frame inherits the page's Content-Security-Policy, and mail HTML carries its styles
# inline (css-inline): the two pages that show a message as sent allow inline styles, and still no script.
MAIL_FRAME_CSP = {"style-src": ["'self'", "'unsafe-inline'"]}


def _shows_mail_as_sent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    # django-csp types its decorators for views that take only the request.
    return csp_update(MAIL_FRAME_CSP)(view)  # type: ignore[return-value]


@login_required
@_shows_mail_as_sent
def centre_message(request: HttpRequest, reference: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    message = sent_message_for(user=user, code=reference)
    if message is None:
        raise Http404("No such message")
    return render(request, "notifications/mail/centre_message.html", {"message": message})


def check(request: HttpRequest) -> HttpResponse:
    """Anyone may ask; only the person a message was sent to (signed in) hears "yes". Every other case,
    a code sent to someone else, a code that never existed, or a visitor who is not signed in, gets the
    same "not found", so the page cannot be used to learn whether a code exists."""
    result = None
    message = None
    if request.method == "POST":
        if over_limit(
            request, scope="reference-check", per_hour=settings.GRATITUDE_REFERENCE_CHECKS_PER_HOUR
        ):
            return render(request, "notifications/mail/check.html", {"throttled": True}, status=429)
        user = request.user
        if isinstance(user, User):
            message = sent_message_for(user=user, code=request.POST.get("code", ""))
        result = "found" if message is not None else "not_found"
    return render(request, "notifications/mail/check.html", {"result": result, "message": message})


# --- One-click unsubscribe (RFC 8058, SAFETY.md promise 14) ---------------------------------------------


@csrf_exempt  # the token in the URL is the credential; a mail client's POST carries no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET (which link scanners and previews do) only shows what a POST would do. POST unsubscribes, the
    same way twice, and answers 200 with a page: never a redirect, which RFC 8058 clients do not follow."""
    claim = read_token(token)
    person = User.objects.filter(pk=claim.user_id).first() if claim is not None else None
    if claim is None or person is None:
        return render(request, "notifications/mail/unsubscribe_invalid.html", status=400)
    choice = choice_for(claim.category)
    context: dict[str, object] = {"choice": choice, "address": masked_address(person.email)}
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        category_unsubscribe(
            user=person, category=claim.category, source="one_click" if one_click else "page"
        )
        return render(request, "notifications/mail/unsubscribe_done.html", context)
    context["already"] = is_unsubscribed(user_id=person.pk, category=claim.category)
    return render(request, "notifications/mail/unsubscribe_confirm.html", context)


def masked_address(address: str) -> str:
    """Enough of the address to recognise it, not enough to harvest it from a forwarded link."""
    local, _, domain = address.partition("@")
    return f"{local[:2]}…@{domain}"


# --- Mail previews (dev only, like the dev mailbox) -------------------------------------------------------


def _previews_enabled() -> None:
    if not settings.GRATITUDE_DEV_MAILBOX:
        raise Http404("Mail previews are only available in development.")


def mail_previews(request: HttpRequest) -> HttpResponse:
    _previews_enabled()
    kinds = [{"kind": kind, "has_sample": kind.name in SAMPLES} for kind in KINDS.values()]
    return render(request, "notifications/mail/previews.html", {"kinds": kinds})


@_shows_mail_as_sent
def mail_preview(request: HttpRequest, kind: str) -> HttpResponse:
    _previews_enabled()
    try:
        sample = preview(kind)
    except NoSample as exc:
        raise Http404(str(exc)) from exc
    message = email.message_from_bytes(sample.raw, policy=email.policy.default)
    headers = [(name, str(value)) for name, value in message.items()]
    return render(request, "notifications/mail/preview.html", {"sample": sample, "headers": headers})
