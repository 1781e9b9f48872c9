"""Only the configured provider's tracking webhook exists; it checks the basic-auth secret before reading a
byte of the body, and a malformed body with the right credentials is a 400, never a 500."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from gratitude.notifications.models import DeliveryEvent, SuppressedAddress
from gratitude.notifications.web.provider_webhooks import TRACKING_VIEWS

pytestmark = pytest.mark.django_db

SECRET = "gratitude:s3cret-for-tests"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()
# What some providers need besides the basic-auth secret (signing keys), so their views can be built.
PROVIDER_SETTINGS = {
    "MAILERSEND_SIGNING_SECRET": "test-signing-secret",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "test-signing-key",
    "MANDRILL_WEBHOOK_KEY": "test-webhook-key",
    "POSTAL_WEBHOOK_KEY": base64.b64encode(b"not a real key").decode(),
    "UNISENDER_GO_API_KEY": "test-api-key",
}
BUILDABLE = sorted(p for p in TRACKING_VIEWS if p != "amazon_ses")  # amazon_ses needs boto3, not installed
MALFORMED = [
    ("application/json", b"{not json"),
    ("application/json", b"\xff\xfe"),
    ("application/x-www-form-urlencoded", b"mandrill_events=%FF&signature=x&timestamp=y&token=z"),
    ("text/plain", b""),
]


def _url(provider: str) -> str:
    return f"/mail/webhooks/{provider}/tracking/"


@pytest.fixture
def configured(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET, **PROVIDER_SETTINGS}

    def use(provider: str) -> None:
        settings.GRATITUDE_MAIL_PROVIDER = provider

    return use


@pytest.mark.parametrize("provider", sorted(TRACKING_VIEWS))
def test_no_provider_webhook_exists_unless_it_is_the_configured_one(configured, provider):
    configured("postmark" if provider != "postmark" else "sendgrid")
    for headers in ({}, {"Authorization": AUTH}):
        response = Client(headers=headers).post(_url(provider), b"{}", content_type="application/json")
        assert response.status_code == 404


@pytest.mark.parametrize("provider", sorted(TRACKING_VIEWS))
def test_without_a_configured_provider_no_webhook_exists(settings, provider):
    settings.GRATITUDE_MAIL_PROVIDER = ""
    assert Client().post(_url(provider), b"{}", content_type="application/json").status_code == 404


@pytest.mark.parametrize("provider", BUILDABLE)
@pytest.mark.parametrize(("content_type", "body"), MALFORMED)
def test_a_malformed_body_with_the_right_credentials_is_a_400(configured, provider, content_type, body):
    configured(provider)
    response = Client().generic(
        "POST", _url(provider), body, content_type=content_type, HTTP_AUTHORIZATION=AUTH
    )
    assert response.status_code == 400
    assert not DeliveryEvent.objects.exists() and not SuppressedAddress.objects.exists()


@pytest.mark.parametrize("provider", BUILDABLE)
def test_credentials_are_checked_before_the_body_is_read(configured, provider, monkeypatch):
    configured(provider)
    view_class = TRACKING_VIEWS[provider]

    def must_not_parse(self, request):
        raise AssertionError("parsed a request that had no credentials")

    monkeypatch.setattr(view_class, "parse_events", must_not_parse)
    for headers in ({}, {"Authorization": "Basic " + base64.b64encode(b"gratitude:wrong").decode()}):
        response = Client(headers=headers).post(_url(provider), b"{not json", content_type="application/json")
        assert response.status_code == 400
        assert b"credentials" in response.content


def test_a_provider_missing_its_own_settings_fails_the_system_check(settings):
    from gratitude.notifications.checks import provider_webhook_is_configured

    settings.GRATITUDE_MAIL_PROVIDER = "mailgun"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert [e.id for e in provider_webhook_is_configured()] == ["gratitude.E002"]
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, **PROVIDER_SETTINGS}
    assert provider_webhook_is_configured() == []
