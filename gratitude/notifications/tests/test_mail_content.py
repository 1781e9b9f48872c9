"""What every kind's message says and links to (docs/safety.md promise 13: no bait, verifiable), rendered with
sample data made through the real services: an HTML parse of every part, the same words in text and HTML,
CSS inlined with dark mode kept, every link https to our own site and working for that very recipient."""

from __future__ import annotations

import difflib
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from gratitude.notifications.devtools.samples import Preview, preview, sample_rows
from gratitude.notifications.outbox.kinds import KINDS, Category, Kind, Pacing
from gratitude.notifications.rendering.bait_checks import (
    FORBIDDEN_TAGS,
    BaitError,
    check_html,
    link_allowed,
    scan_html,
    text_links,
    visible_text,
)
from gratitude.notifications.rendering.messages import build_email, render
from gratitude.notifications.sending.unconfirmed_addresses import is_unconfirmed
from gratitude.notifications.tests.mail_support import words

pytestmark = pytest.mark.django_db

ALL_KINDS = sorted(KINDS)
# Wording a phishing mail uses and ours never does. Only the reset mail may speak of a password, because
# the person asked for exactly that.
LOGIN_WORDING = re.compile(r"\b(log ?in|log-in|sign ?in|sign-in|login|username|verify your account)\b", re.I)
PASSWORD_WORDING = re.compile(r"password", re.I)
PASSWORD_KINDS = {"password_reset"}


@pytest.fixture(scope="module")
def previews(django_db_setup, django_db_blocker):
    """One preview per kind for the checks that only read it (each sample is rolled back)."""
    cache: dict[str, Preview] = {}

    def get(kind: str) -> Preview:
        if kind not in cache:
            with django_db_blocker.unblock():
                cache[kind] = preview(kind)
        return cache[kind]

    return get


def test_every_declared_kind_has_a_sample():
    missing = [name for name in ALL_KINDS if not callable(KINDS[name].sample)]
    assert missing == [], "declare a sample builder with each kind, in its app's notifications.py"


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_no_forms_inputs_images_or_scripts(kind, previews):
    sample = previews(kind)
    tags = set(scan_html(sample.rendered.html).tags)
    assert not tags & FORBIDDEN_TAGS
    assert "<form" not in sample.rendered.html.lower()


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_no_login_or_password_wording(kind, previews):
    rendered = previews(kind).rendered
    for part in (rendered.subject, rendered.text, visible_text(rendered.html)):
        assert not LOGIN_WORDING.search(part), part
        if kind not in PASSWORD_KINDS:
            assert not PASSWORD_WORDING.search(part), part


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_link_is_https_to_our_host_in_production(kind, settings):
    settings.SITE_URL = "https://gratitude.example"
    settings.GRATITUDE_ENV = "prod"
    sample = preview(kind)
    links = _links(sample.rendered.html, sample.rendered.text, sample.rendered.unsubscribe_url)

    assert links
    for link in links:
        parts = urlsplit(link)
        assert (parts.scheme, parts.hostname, parts.port) == ("https", "gratitude.example", None), link


def test_outside_production_plain_http_is_allowed_only_to_a_local_host(settings):
    settings.GRATITUDE_ENV = "dev"
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert link_allowed("http://127.0.0.1:8000/mail/")
    assert not link_allowed("http://127.0.0.1:9999/mail/")
    settings.SITE_URL = "http://gratitude.example"
    assert not link_allowed("http://gratitude.example/mail/")
    settings.GRATITUDE_ENV = "prod"
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert not link_allowed("http://127.0.0.1:8000/mail/")


@pytest.mark.parametrize(
    "html",
    [
        '<p>Hi</p><form action="https://gratitude.example/x"><input name="password"></form>',
        '<p><a href="https://evil.example/registry">Your registry</a></p>',
        '<p><a href="https://gratitude.example.evil.example/">Lookalike</a></p>',
        '<p><a href="https://user@gratitude.example/">Userinfo</a></p>',
        '<p><img src="https://gratitude.example/pixel.gif" alt=""></p>',
        '<p><a href="mailto:help@gratitude.example">Write to us</a></p>',
        '<p style="background:url(https://tracker.example/p)">Hi</p>',
    ],
)
def test_the_send_time_check_refuses_bait(settings, html):
    settings.SITE_URL = "https://gratitude.example"
    settings.GRATITUDE_ENV = "prod"
    with pytest.raises(BaitError):
        check_html(html)


def test_a_test_only_bait_template_is_refused_at_render_time(settings):
    """The test-only templates (GRATITUDE_TEST_TEMPLATES, never in production) hold a deliberately bad
    kind: rendering it fails, so the worker holds such rows and trips the kind's breaker."""
    settings.SITE_URL = "https://gratitude.example"
    bait = Kind(
        name="test_bait",
        category=Category.MARKETING,
        trigger=None,
        provenance=lambda row: None,
        recipients_per_trigger=lambda row: 1,
        template="test_bait",
        context=lambda rows: {},
        event_backed=False,
        label="a test bait",
        sample=lambda: [],
        pacing=Pacing(),
    )
    with sample_rows("email_verify") as (_, rows), pytest.raises(BaitError, match="form"):
        render(rows, bait)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_text_and_html_say_the_same_thing(kind, previews):
    rendered = previews(kind).rendered
    text_words, html_words = words(rendered.text), words(visible_text(rendered.html))
    # The HTML part opens with the site's logo and name, the same in every message; the text part has no
    # header. Everything after it must say what the text says.
    assert html_words[:1] == ["gratitude"], "the HTML part lost its header (the site's name)"
    html_words = html_words[1:]

    if text_words != html_words:
        diff = "\n".join(difflib.unified_diff(text_words, html_words, "text", "html", lineterm="", n=3))
        pytest.fail(f"{kind}: the text and HTML parts say different things:\n{diff}")
    # ...and link to the same places.
    scanner = scan_html(rendered.html)
    assert set(text_links(rendered.text)) == set(scanner.links)


FORMAT_DETECTION_OFF = re.compile(
    r'<meta name="format-detection" content="telephone=no, date=no, address=no, email=no">'
)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_html_part_asks_clients_not_to_link_numbers(kind):
    """A phone number in a giver's message must not become a tap-to-call link in the mail we sign (docs/
    deliverability.md, "Numbers"): the head that asks Apple's clients not to link numbers, dates and street
    addresses survives the CSS inlining in every kind."""
    with sample_rows(kind) as (declared, rows):
        rendered = render(rows, declared)
    head = rendered.html.split("</head>", 1)[0]
    assert FORMAT_DETECTION_OFF.search(head), head


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_greets_by_name_names_the_registry_and_says_why(kind):
    with sample_rows(kind) as (declared, rows):
        rendered = render(rows, declared)
        recipient, registry = rows[0].recipient, rows[0].registry
        # By the name they chose; an address nobody confirmed, or an account whose owner chose no name yet, is
        # greeted "Hello," (never with a name someone else typed: docs/safety.md promise 16).
        named = recipient.display_name and not is_unconfirmed(recipient)
        greeting = f"Hi {recipient.display_name}," if named else "Hello,"
        for part in (rendered.text, visible_text(rendered.html)):
            assert part.startswith(greeting) or greeting in part
            assert "Hi Customer" not in part and "Dear customer" not in part.lower()
            assert rows[0].reference in part
            assert "You get this because" in part
            if registry is not None:
                assert registry.title in part.replace("&amp;", "&")


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_html_is_inlined_readable_without_images_and_has_dark_mode(kind, previews):
    html = previews(kind).rendered.html

    assert re.search(r'<p[^>]*style="[^"]*margin', html), "CSS was not inlined"
    assert "@media (prefers-color-scheme: dark)" in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "<img" not in html and "url(" not in html
    # What stays in <style> is only the media queries; everything else is inline.
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    assert re.sub(r"@media[^{]+\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", style.group(1)).strip() == ""


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_link_works_for_that_recipient(kind, client: Client):
    """Followed as the recipient (signed in when they can sign in), every link ends on a 200 page of ours,
    never an error and never a "create a registry" page."""
    with sample_rows(kind) as (declared, rows):
        rendered = render(rows, declared)
        recipient = rows[0].recipient
        if recipient.is_active and recipient.has_usable_password():
            client.force_login(recipient)
        for link in _links(rendered.html, rendered.text, rendered.unsubscribe_url):
            response = client.get(urlsplit(link).path, follow=True)
            assert response.status_code == 200, link
            assert b"Create a registry" not in response.content or "/registries/" not in link
            for hop, _ in response.redirect_chain:
                assert not urlsplit(hop).netloc or urlsplit(hop).hostname == "testserver", hop


def test_a_gift_alert_link_still_works_once_the_registry_is_archived(client: Client):
    from gratitude.registries.services.lifecycle import registry_archive

    with sample_rows("gift_alert") as (declared, rows):
        rendered = render(rows, declared)
        registry = rows[0].registry
        assert registry is not None
        registry_archive(registry=registry, by=rows[0].recipient)
        client.force_login(rows[0].recipient)
        for link in _links(rendered.html, rendered.text, ""):
            response = client.get(urlsplit(link).path, follow=True)
            assert response.status_code == 200, link
            assert b"Create a registry" not in response.content


def test_message_ids_are_unique_over_ten_thousand_renders():
    with sample_rows("gift_alert") as (declared, rows):
        rendered = render(rows, declared)
        ids = [
            str(build_email(rows[0], declared, rendered).extra_headers["Message-ID"]) for _ in range(10_000)
        ]

    assert len(set(ids)) == 10_000
    assert all(re.fullmatch(r"<[0-9a-f]{24}\.[A-Z0-9]{10}@gratitude\.example>", mid) for mid in ids)


def _links(html: str, text: str, unsubscribe_url: str) -> list[str]:
    found = scan_html(html).links + text_links(text)
    if unsubscribe_url:
        found.append(unsubscribe_url)
    return sorted(set(found))
