"""Environment isolation (docs/safety.md promise 5), per environment: production refuses to start with the dev
mailbox, a capturing transport, test-only templates or an http SITE_URL; outside production only the
allowlist gets mail. Each case loads config/settings.py in a fresh interpreter, as a server would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gratitude.notifications.sending.guards import allowlisted

ROOT = Path(__file__).resolve().parents[3]
PROD = {
    "GRATITUDE_ENV": "prod",
    "SECRET_KEY": "x" * 50,
    "SITE_URL": "https://gratitude.example",
    "EMAIL_URL": "smtp://127.0.0.1:25",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}
SHOW = (
    "EMAIL_BACKEND",
    "GRATITUDE_DEV_MAILBOX",
    "GRATITUDE_TEST_TEMPLATES",
    "GRATITUDE_MAIL_ALLOWLIST",
    "GRATITUDE_DKIM_DOMAIN",
)


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GRATITUDE_", "EMAIL_", "ANYMAIL_"))}
    clean.update(
        {"GRATITUDE_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", **env}
    )
    for key in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "SITE_URL", "DEFAULT_FROM_EMAIL"):
        if key not in env:
            clean.pop(key, None)
    script = (
        "import json, config.settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {SHOW!r}}}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def loaded(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMAIL_URL": "mailbox:"}, "dev mailbox"),
        ({"EMAIL_URL": "locmem:"}, "capturing EMAIL_URL"),
        ({"GRATITUDE_DEV_MAILBOX": "1"}, "dev mailbox"),
        ({"GRATITUDE_TEST_TEMPLATES": "1"}, "GRATITUDE_TEST_TEMPLATES"),
        ({"SITE_URL": "http://gratitude.example"}, "SITE_URL must be https"),
        ({"GRATITUDE_MAIL_PROVIDER": "postmark"}, "GRATITUDE_MAIL_WEBHOOK_SECRET"),
        ({"GRATITUDE_DKIM_DOMAIN": "elsewhere.example"}, "not aligned"),
        ({"CACHE_URL": ""}, "CACHE_URL must be set"),
        ({"CACHE_URL": "locmem:"}, "needs redis://"),
    ],
)
def test_production_refuses_to_start(tmp_path, env, message):
    result = load_settings(tmp_path, **{**PROD, **env})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_starts_signing_with_nothing_for_dev_or_tests(tmp_path):
    values = loaded(load_settings(tmp_path, **PROD))
    assert values["EMAIL_BACKEND"] == "gratitude.notifications.transport.backends.SigningSmtpBackend"
    assert values["GRATITUDE_DEV_MAILBOX"] is False
    assert values["GRATITUDE_TEST_TEMPLATES"] is False
    assert values["GRATITUDE_DKIM_DOMAIN"] == "gratitude.example"


def test_production_with_a_provider(tmp_path):
    values = loaded(
        load_settings(
            tmp_path,
            **{**PROD, "EMAIL_URL": ""},
            GRATITUDE_MAIL_PROVIDER="postmark",
            GRATITUDE_MAIL_WEBHOOK_SECRET="user:pass",
            ANYMAIL_POSTMARK_SERVER_TOKEN="token",
        )
    )
    assert values["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"


def test_an_unknown_provider_is_refused(tmp_path):
    result = load_settings(tmp_path, GRATITUDE_ENV="dev", GRATITUDE_MAIL_PROVIDER="carrier_pigeon")
    assert result.returncode != 0 and "is no anymail ESP" in result.stderr


def test_dev_has_the_dev_mailbox_and_no_test_templates(tmp_path):
    values = loaded(load_settings(tmp_path, GRATITUDE_ENV="dev"))
    assert values["EMAIL_BACKEND"] == "gratitude.notifications.transport.backends.DevMailboxBackend"
    assert (values["GRATITUDE_DEV_MAILBOX"], values["GRATITUDE_TEST_TEMPLATES"]) == (True, False)


def test_test_has_test_templates_and_no_dev_mailbox(tmp_path):
    values = loaded(load_settings(tmp_path, GRATITUDE_ENV="test"))
    assert (values["GRATITUDE_DEV_MAILBOX"], values["GRATITUDE_TEST_TEMPLATES"]) == (False, True)


def test_a_real_transport_outside_prod_defaults_to_the_reserved_test_domain(tmp_path):
    values = loaded(load_settings(tmp_path, GRATITUDE_ENV="dev", EMAIL_URL="smtp://127.0.0.1:2525"))
    assert values["EMAIL_BACKEND"] == "gratitude.notifications.transport.backends.SigningSmtpBackend"
    assert values["GRATITUDE_MAIL_ALLOWLIST"] == ["*@example.test"]
    provider = loaded(load_settings(tmp_path, GRATITUDE_ENV="dev", GRATITUDE_MAIL_PROVIDER="postmark"))
    assert provider["GRATITUDE_MAIL_ALLOWLIST"] == ["*@example.test"]


@pytest.mark.parametrize(("env", "expected"), [("test", False), ("dev", False), ("prod", True)])
def test_the_allowlist_applies_outside_production_only(settings, env, expected):
    settings.GRATITUDE_ENV = env
    settings.GRATITUDE_MAIL_ALLOWLIST = ["*@example.test"]
    assert allowlisted("someone@example.test")
    assert allowlisted("someone@real-person.example") is expected


@pytest.mark.django_db(transaction=True)
def test_outside_production_mail_to_an_address_off_the_allowlist_is_dropped_and_logged(settings, caplog):
    from django.core import mail
    from django.core.management import call_command

    from gratitude.notifications.models import Notification, NotificationState
    from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GRATITUDE_MAIL_ALLOWLIST = ["*@example.test"]
    outsider = make_user(email="someone@real-person.example")
    gift = make_gift(item=make_item(registry=make_registry(owner=outsider)))

    with caplog.at_level("INFO", logger="gratitude.notifications"):
        call_command("worker", drain=True, verbosity=0)

    row = Notification.objects.get(gift=gift)
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "not_allowlisted")
    assert mail.outbox == []
    assert any("non-allowlisted" in record.getMessage() for record in caplog.records)
