"""The lease must outlast the slowest SMTP conversation in production (a duplicate-send guard)."""

from __future__ import annotations

from gratitude.notifications.checks import lease_outlasts_a_send


def test_prod_refuses_a_lease_shorter_than_a_slow_send(settings):
    settings.GRATITUDE_ENV = "prod"
    settings.EMAIL_TIMEOUT = 20
    settings.GRATITUDE_LEASE_SECONDS = 120
    errors = lease_outlasts_a_send()
    assert [e.id for e in errors] == ["gratitude.E001"]


def test_prod_accepts_the_default_lease(settings):
    settings.GRATITUDE_ENV = "prod"
    settings.EMAIL_TIMEOUT = 20
    settings.GRATITUDE_LEASE_SECONDS = 300
    assert lease_outlasts_a_send() == []
