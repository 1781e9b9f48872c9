"""`EMAIL_URL` parsing: one variable picks the mail transport, and a bad one stops start-up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from gratitude.core.email_url import MAILBOX_BACKEND, email_settings_from_url

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def test_mailbox_selects_the_dev_mailbox_backend():
    assert email_settings_from_url("mailbox:") == {"EMAIL_BACKEND": MAILBOX_BACKEND}


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("locmem:", "django.core.mail.backends.locmem.EmailBackend"),
        ("console:", "django.core.mail.backends.console.EmailBackend"),
    ],
)
def test_capturing_schemes_select_their_backend(url, backend):
    assert email_settings_from_url(url) == {"EMAIL_BACKEND": backend}


def test_smtp_with_credentials_port_and_starttls():
    settings = email_settings_from_url("smtp://user:pass@host:2525?starttls=1")

    assert settings["EMAIL_BACKEND"] == SMTP_BACKEND
    assert settings["EMAIL_HOST"] == "host"
    assert settings["EMAIL_PORT"] == 2525
    assert settings["EMAIL_HOST_USER"] == "user"
    assert settings["EMAIL_HOST_PASSWORD"] == "pass"
    assert settings["EMAIL_USE_TLS"] is True
    assert settings["EMAIL_USE_SSL"] is False


def test_smtp_without_starttls_or_port_is_plain_on_port_25():
    settings = email_settings_from_url("smtp://mail.example.test")

    assert settings["EMAIL_PORT"] == 25
    assert settings["EMAIL_USE_TLS"] is False
    assert settings["EMAIL_USE_SSL"] is False
    assert settings["EMAIL_HOST_USER"] == ""
    assert settings["EMAIL_HOST_PASSWORD"] == ""


def test_smtps_uses_implicit_tls_on_port_465():
    settings = email_settings_from_url("smtps://host")

    assert settings["EMAIL_BACKEND"] == SMTP_BACKEND
    assert settings["EMAIL_HOST"] == "host"
    assert settings["EMAIL_PORT"] == 465
    assert settings["EMAIL_USE_SSL"] is True
    assert settings["EMAIL_USE_TLS"] is False


def test_percent_encoded_credentials_are_decoded():
    settings = email_settings_from_url("smtp://me%40example.test:p%40ss%2Fword@host:587")

    assert settings["EMAIL_HOST_USER"] == "me@example.test"
    assert settings["EMAIL_HOST_PASSWORD"] == "p@ss/word"


@pytest.mark.parametrize("url", ["ftp://x", "smtp://", "smtps://", "http://host", ""])
def test_unusable_urls_are_refused_with_improperly_configured(url):
    with pytest.raises(ImproperlyConfigured):
        email_settings_from_url(url)


def test_smtps_with_starttls_is_refused_at_start_up():
    """Django's SMTP backend refuses SSL and STARTTLS together, but only when the first mail is sent;
    the URL must be refused at start-up instead, where the operator sees it."""
    with pytest.raises(ImproperlyConfigured, match="starttls"):
        email_settings_from_url("smtps://host?starttls=1")
