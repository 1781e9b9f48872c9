"""Every kind of page carries the Content-Security-Policy (scripts and styles only from our static files,
htmx included; nothing inline) and the Permissions-Policy, and no page we render has an inline script, an
inline style or an event-handler attribute the policy would block."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from gratitude.gifts.services import gift_record
from gratitude.notifications.models import Notification
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script without src
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle=\"", re.I),
    re.compile(r"\son[a-z]+=\"", re.I),  # onclick=, onload=, ...
    re.compile(r"javascript:", re.I),
]


MAIL_LISTS = ("/mail/", "/mail/check/", "/dev/mail-previews/")


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.fixture
def pages(settings):
    """(who, path) for every kind of page: public, account, registrant, guest, Thank You List, mail centre,
    operator console, admin, errors, a CSV download."""
    settings.GRATITUDE_DEV_MAILBOX = True
    owner = make_user()
    staff = make_user()
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    registry = make_registry(owner=owner, title="Alex & Sam")
    item = make_item(registry=registry, title="Teapot")
    group = make_item(registry=registry, title="Stroller", quantity=1, price=Decimal("90"), group_gift=True)
    gift = gift_record(item=item, giver_name="Robin", giver_email="robin@example.test")
    key = registry.share_key
    guest = [
        reverse("home"),
        reverse("accounts:login"),
        reverse("accounts:signup"),
        reverse("accounts:password_reset"),
        reverse("registries:search") + "?name=alex",
        reverse("registries:search") + "?name=bo&month=9999-12",  # a 400 page
        reverse("gifts:shared_registry", args=[key]),
        reverse("gifts:give", args=[key, item.pk]),
        reverse("gifts:reserve", args=[key, item.pk]),
        reverse("gifts:contribute", args=[key, group.pk]),
        reverse("notifications:check"),
        "/no/such/page/",  # the 404 page
        reverse("dev_mailbox"),
        reverse("dev_mail_previews"),
        reverse("dev_mail_preview", args=["gift_alert"]),
    ]
    registrant = [
        reverse("registries:list"),
        reverse("registries:detail", args=[registry.pk]),
        reverse("registries:items", args=[registry.pk]),
        reverse("registries:settings", args=[registry.pk]),
        reverse("registries:people", args=[registry.pk]),
        reverse("registries:pause", args=[registry.pk]),
        reverse("member_gifts:list", args=[registry.pk]),
        reverse("thanks:list", args=[registry.pk]),
        reverse("thanks:gift", args=[registry.pk, gift.pk]),
        reverse("thanks:export_csv", args=[registry.pk]),
        reverse("thanks:labels", args=[registry.pk]),
        reverse("accounts:quiet"),
        reverse("accounts:mail_preferences"),
        reverse("notifications:centre"),
        reverse("operations:console"),  # the 403 page for a person who is not staff
    ]
    Notification.objects.filter(recipient=owner).update(
        state="sent", subject="A gift", body_text="Hello", body_html="<p style='color:red'>Hello</p>"
    )
    reference = Notification.objects.filter(recipient=owner).values_list("reference", flat=True).first()
    if reference:
        registrant.append(reverse("notifications:centre_message", args=[reference]))
    operator = [
        reverse("operations:console"),
        reverse("operations:audit"),
        reverse("operations:audit_csv"),
        reverse("operations:campaigns"),
        reverse("operations:recalls"),
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[owner.pk]),
    ]
    return [(None, p) for p in guest] + [(owner, p) for p in registrant] + [(staff, p) for p in operator]


def test_every_page_kind_carries_the_csp_and_the_permissions_policy(pages):
    seen_statuses = set()
    for who, path in pages:
        client = Client()
        if who is not None:
            client.force_login(who)
        response = client.get(path)
        seen_statuses.add(response.status_code)
        assert response.status_code < 500, path
        csp = _directives(response.get("Content-Security-Policy", ""))
        assert csp.get("script-src") == ["'self'"], path
        assert csp.get("default-src") == ["'self'"], path
        assert csp.get("object-src") == ["'none'"] and csp.get("frame-ancestors") == ["'none'"], path
        assert csp.get("base-uri") == ["'none'"] and csp.get("form-action") == ["'self'"], path
        assert "'unsafe-inline'" not in csp.get("script-src", []), path
        assert "'unsafe-eval'" not in csp.get("script-src", []), path
        assert "camera=()" in response.get("Permissions-Policy", ""), path
        assert "geolocation=()" in response.get("Permissions-Policy", ""), path
        assert response.get("X-Content-Type-Options") == "nosniff", path
        assert response.get("X-Request-ID"), path
    assert {200, 400, 403, 404} <= seen_statuses


def test_no_page_we_render_has_inline_script_or_style(pages):
    for who, path in pages:
        if path.startswith("/admin/"):
            continue  # Django's own admin templates, not ours
        client = Client()
        if who is not None:
            client.force_login(who)
        response = client.get(path)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        # What a message looks like as sent is shown in a sandboxed srcdoc frame: not part of our page.
        html = re.sub(r'srcdoc="[^"]*"', 'srcdoc=""', html)
        for pattern in INLINE:
            assert not pattern.search(html), f"{path}: {pattern.pattern} -> {pattern.search(html)}"
        if "<script" in html:
            assert re.search(r'<script[^>]+src="/static/django_htmx/', html), path


def test_only_the_mail_frame_pages_allow_inline_styles_and_never_script(pages):
    for who, path in pages:
        client = Client()
        if who is not None:
            client.force_login(who)
        csp = _directives(client.get(path).get("Content-Security-Policy", ""))
        # The notification centre's message page and the dev mail preview show a message as sent.
        shows_mail = path.startswith(("/mail/", "/dev/mail-previews/")) and path not in MAIL_LISTS
        assert ("'unsafe-inline'" in csp.get("style-src", [])) == shows_mail, path
        assert csp.get("script-src") == ["'self'"], path
