"""Pages about mail: the dev mailbox and mail previews (404 unless GRATITUDE_DEV_MAILBOX is on, which only
dev does and production refuses), the signed-in notification centre, "Is this email from us?", the
one-click unsubscribe endpoint and "never email me again". See docs/deliverability.md."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from gratitude.notifications import conf
from gratitude.notifications.devtools.samples import NoSample, preview
from gratitude.notifications.outbox.kinds import all_kinds, kind_named
from gratitude.notifications.outbox.selectors import (
    sent_message_for,
    sent_message_to_address,
    sent_messages_for,
)
from gratitude.notifications.sending.suppression import (
    category_unsubscribe,
    is_unsubscribed,
    never_email_record,
    suppression_reason_for,
)
from gratitude.notifications.sending.unconfirmed_addresses import read_never_email_token
from gratitude.notifications.web.rate_limit import address_over_limit, over_limit
from gratitude.notifications.web.unsubscribe import choice_for, read_token

User = get_user_model()


def _mailbox() -> Path:
    if not conf.dev_mailbox():
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


def _captured(name: str) -> EmailMessage:
    path = _mailbox() / f"{name}.eml"
    # The name comes from the URL: only plain stems of files that exist in the mailbox itself.
    if "/" in name or ".." in name or not path.is_file():
        raise Http404("No such message")
    return _parse(path)


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    content = part.get_content()
    return content if isinstance(content, str) else None


def dev_mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    """The message as a recipient gets it: the HTML part in a sandboxed frame, the text part beside it."""
    message = _captured(name)
    return render(
        request,
        "notifications/dev_mailbox_message.html",
        {
            "name": name,
            "message": message,
            "text": _part(message, "plain") or "",
            "has_html": _part(message, "html") is not None,
        },
    )


# The HTML part is a document of its own, framed by the message page: no script may run (the frame's sandbox
# has no allow-scripts, and this header says the same to a browser that opens the URL directly), nothing may
# load from elsewhere, and only its own inline CSS applies, as in a mail client.
_MAIL_HTML_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


@xframe_options_sameorigin
def dev_mailbox_message_html(request: HttpRequest, name: str) -> HttpResponse:
    html = _part(_captured(name), "html")
    if html is None:
        raise Http404("This message has no HTML part")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = _MAIL_HTML_POLICY
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- The notification centre and "Is this email from us?" (docs/safety.md promise 13) --------------------


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, get_user_model())
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
    assert isinstance(user, get_user_model())
    message = sent_message_for(user=user, code=reference)
    if message is None:
        raise Http404("No such message")
    return render(request, "notifications/mail/centre_message.html", {"message": message})


def _kind_words(kind_name: str) -> str:
    """The kind in plain words (Kind.label), never the message's subject: it names a registry, and so would
    tell a stranger more than "yes"."""
    kind = kind_named(kind_name)
    return kind.label if kind is not None else "a message"


def check(request: HttpRequest) -> HttpResponse:
    """Anyone may ask with the code and the address the message went to; "yes" (with the kind and the day)
    only when both match a message we sent, and the same "no" for everything else: a code sent to another
    address, a made-up code, a malformed one (docs/safety.md promise 17). Signed in with no address typed,
    it looks among the person's own messages as before. Limited per client and per address named, so it can
    be used neither to guess codes for an address nor to test addresses for a code."""
    result = None
    message = None
    own = False
    if request.method == "POST":
        code = request.POST.get("code", "")
        address = request.POST.get("address", "").strip()[:254]
        user = request.user
        client_over = over_limit(request, scope="reference-check", per_hour=conf.reference_checks_per_hour())
        address_over = bool(address) and address_over_limit(
            scope="reference-check",
            address=address,
            per_hour=conf.reference_checks_per_address_per_hour(),
        )
        if client_over or address_over:
            return render(request, "notifications/mail/check.html", {"throttled": True}, status=429)
        if isinstance(user, get_user_model()) and not address:
            message = sent_message_for(user=user, code=code)
            own = True
        else:
            message = sent_message_to_address(address=address, code=code)
            own = (
                isinstance(user, get_user_model()) and message is not None and message.recipient_id == user.pk
            )
        result = "found" if message is not None else "not_found"
    context = {
        "result": result,
        "message": message,
        "own": own,
        "kind_words": _kind_words(message.kind) if message is not None else "",
    }
    return render(request, "notifications/mail/check.html", context)


# --- One-click unsubscribe (RFC 8058, docs/safety.md promise 14) ----------------------------------------


@csrf_exempt  # the token in the URL is the credential; a mail client's POST carries no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET (which link scanners and previews do) only shows what a POST would do. POST unsubscribes, the
    same way twice, and answers 200 with a page: never a redirect, which RFC 8058 clients do not follow."""
    claim = read_token(token)
    person = get_user_model().objects.filter(pk=claim.user_id).first() if claim is not None else None
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


@csrf_exempt  # the token in the URL is the credential; a mail client's one-click POST carries no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def never_email(request: HttpRequest, token: str) -> HttpResponse:
    """ "Never email me again", from mail to an address nobody confirmed (docs/safety.md promise 16). GET
    (link scanners, previews) only shows the button; POST, with no cookie or CSRF token needed, stops every
    kind of mail to the address for good, the same way twice, and answers 200 with a page, never a redirect
    (the same contract as the RFC 8058 endpoint above; a one-click POST is recorded as such)."""
    person = read_never_email_token(token)
    if person is None:
        return render(request, "notifications/mail/unsubscribe_invalid.html", status=400)
    context: dict[str, object] = {"address": masked_address(person.email)}
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        never_email_record(user=person, source="one_click" if one_click else "page")
        return render(request, "notifications/mail/never_email_done.html", context)
    context["already"] = suppression_reason_for(address=person.email) is not None
    return render(request, "notifications/mail/never_email_confirm.html", context)


def masked_address(address: str) -> str:
    """Enough of the address to recognise it, not enough to harvest it from a forwarded link."""
    local, _, domain = address.partition("@")
    return f"{local[:2]}…@{domain}"


# --- Mail previews (dev only, like the dev mailbox) -------------------------------------------------------


def _previews_enabled() -> None:
    if not conf.dev_mailbox():
        raise Http404("Mail previews are only available in development.")


def mail_previews(request: HttpRequest) -> HttpResponse:
    _previews_enabled()
    return render(request, "notifications/mail/previews.html", {"kinds": all_kinds()})


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
