"""`gratitude mail preview KIND` and the dev-only preview page: every kind rendered with sample data made
through the real services, and nothing of it left behind."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from gratitude.accounts.models import User
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.tests.mail_support import install_dkim_key

pytestmark = pytest.mark.django_db


def _preview(*args: str) -> str:
    out = io.StringIO()
    call_command("mail", "preview", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_command_previews_every_kind_and_keeps_nothing(kind):
    users, rows = User.objects.count(), Notification.objects.count()

    summary = _preview(kind)

    assert "Subject: " in summary and "Message-ID: <" in summary
    # "Hi <name>," or, for an account whose owner chose no name yet (a giver, an invitee), "Hello,".
    assert ("Hi " in summary or "Hello," in summary) and "Reference code: " in summary
    assert ("List-Unsubscribe: <" in summary) is KINDS[kind].unsubscribable
    assert (User.objects.count(), Notification.objects.count()) == (users, rows)


def test_the_command_prints_parts_and_the_signed_message(settings, tmp_path):
    assert _preview("gift_alert", "--part", "html").lstrip().lower().startswith("<!doctype html>")
    assert _preview("gift_alert", "--part", "text").startswith("Hi Alex Rivera,")
    assert "[not signed (no DKIM key)]" in _preview("gift_alert")
    install_dkim_key(settings, tmp_path)
    assert _preview("gift_alert", "--part", "raw").startswith("DKIM-Signature: v=1; a=rsa-sha256;")
    assert "[signed (DKIM)]" in _preview("gift_alert")


def test_an_unknown_kind_is_a_clear_error():
    with pytest.raises(CommandError, match="unknown kind 'gift_alerts'"):
        _preview("gift_alerts")


def test_the_preview_page_exists_only_when_dev_tools_are_on(client, settings):
    settings.GRATITUDE_DEV_MAILBOX = False
    assert client.get(reverse("dev_mail_previews")).status_code == 404
    assert client.get(reverse("dev_mail_preview", args=["gift_alert"])).status_code == 404

    settings.GRATITUDE_DEV_MAILBOX = True
    listing = client.get(reverse("dev_mail_previews"))
    assert listing.status_code == 200
    for kind in KINDS:
        assert kind.encode() in listing.content
    page = client.get(reverse("dev_mail_preview", args=["gift_alert"]))
    assert page.status_code == 200
    assert b"Hi Alex Rivera," in page.content and b"List-Unsubscribe" in page.content
    assert client.get(reverse("dev_mail_preview", args=["no_such_kind"])).status_code == 404
