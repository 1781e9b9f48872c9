"""The dev mailbox: read captured mail at /dev/mailbox. It answers 404 unless GRATITUDE_DEV_MAILBOX is on
(it is on only in dev), so it can never expose mail in production."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


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
