"""Settings live in one place: every GRATITUDE_ setting the code reads is declared in config/settings/ with
its default, and the environment overrides it there; the campaign settings are interpreted by
operations/conf.py at call time."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import config.settings as declared

ROOT = Path(__file__).resolve().parents[3]
_READ = re.compile(r"""settings\.(GRATITUDE_[A-Z0-9_]+)|getattr\(\s*settings,\s*["'](GRATITUDE_[A-Z0-9_]+)""")


def _settings_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "gratitude").rglob("*.py"):
        if "tests" in path.parts:
            continue
        for match in _READ.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names


def test_every_setting_the_code_reads_is_declared_in_config_settings():
    read = _settings_read_by_the_code()

    assert {"GRATITUDE_ARCHIVE_AFTER_DAYS", "GRATITUDE_CANARY_SLICE"} <= read
    assert sorted(name for name in read if not hasattr(declared, name)) == []


DEFAULTS = {
    "GRATITUDE_ARCHIVE_AFTER_DAYS": 90,
    "GRATITUDE_INVITATION_DAYS": 14,
    "GRATITUDE_RESERVATION_REMINDER_HOURS": 12,
    "GRATITUDE_THANK_YOU_REMINDER_DAYS": 14,
    "GRATITUDE_CANARY_SLICE": "100",
    "GRATITUDE_CANARY_WAIT_SECONDS": 1800,
    "GRATITUDE_CANARY_MAX_BOUNCE_RATE": 0.05,
    "GRATITUDE_CANARY_MAX_COMPLAINT_RATE": 0.003,
    "GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE": 0.02,
    "GRATITUDE_CAMPAIGN_RATE_PER_HOUR": 800,
    "GRATITUDE_CAMPAIGN_MAX_DRIFT": 0.01,
}


def _settings_under(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import config.settings afresh in a process with `environment` added."""
    names = ", ".join(repr(name) for name in DEFAULTS)
    code = f"import config.settings as s; print({{n: getattr(s, n) for n in ({names},)}})"
    env = {key: value for key, value in os.environ.items() if key not in DEFAULTS}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "GRATITUDE_ENV": "test", **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_defaults_and_their_environment_overrides():
    defaults = _settings_under({})
    overridden = _settings_under(
        {
            "GRATITUDE_ARCHIVE_AFTER_DAYS": "30",
            "GRATITUDE_THANK_YOU_REMINDER_DAYS": "7",
            "GRATITUDE_CANARY_SLICE": "1%",
            "GRATITUDE_CANARY_WAIT_SECONDS": "90",
        }
    )

    assert defaults.returncode == 0, defaults.stderr
    assert ast.literal_eval(defaults.stdout) == DEFAULTS
    assert overridden.returncode == 0, overridden.stderr
    assert ast.literal_eval(overridden.stdout) == {
        **DEFAULTS,
        "GRATITUDE_ARCHIVE_AFTER_DAYS": 30,
        "GRATITUDE_THANK_YOU_REMINDER_DAYS": 7,
        "GRATITUDE_CANARY_SLICE": "1%",
        "GRATITUDE_CANARY_WAIT_SECONDS": 90.0,
    }


@pytest.mark.parametrize(
    ("name", "value"), [("GRATITUDE_INVITATION_DAYS", "two weeks"), ("GRATITUDE_CAMPAIGN_MAX_DRIFT", "1 %")]
)
def test_a_value_that_is_not_a_number_refuses_to_start(name, value):
    result = _settings_under({name: value})

    assert result.returncode != 0
    assert f"{name} must be" in result.stderr


def test_the_campaign_settings_are_read_from_django_settings_at_call_time(settings):
    from gratitude.operations import conf

    settings.GRATITUDE_CANARY_WAIT_SECONDS = "90"
    settings.GRATITUDE_CAMPAIGN_RATE_PER_HOUR = 3600
    assert (conf.canary_wait_seconds(), conf.rate_per_hour()) == (90.0, 3600.0)

    settings.GRATITUDE_CAMPAIGN_MAX_DRIFT = -0.5
    with pytest.raises(ImproperlyConfigured, match="GRATITUDE_CAMPAIGN_MAX_DRIFT"):
        conf.max_drift()
    settings.GRATITUDE_CAMPAIGN_RATE_PER_HOUR = 0
    with pytest.raises(ImproperlyConfigured, match="above zero"):
        conf.rate_per_hour()


def test_each_apps_conf_reads_its_settings_at_call_time(settings):
    from gratitude.api import conf as api_conf
    from gratitude.core import conf as core_conf
    from gratitude.gifts import conf as gifts_conf
    from gratitude.notifications import conf as notifications_conf
    from gratitude.registries import conf as registries_conf
    from gratitude.thanks import conf as thanks_conf

    settings.GRATITUDE_TRUSTED_PROXIES = 2
    settings.GRATITUDE_INVITATION_DAYS = "3"
    settings.GRATITUDE_RESERVATION_HOURS = 5
    settings.GRATITUDE_THANK_YOU_REMINDER_DAYS = 7
    settings.GRATITUDE_API_REQUESTS_PER_MINUTE = 11
    settings.GRATITUDE_LEASE_SECONDS = "13"
    settings.GRATITUDE_MAIL_ALLOWLIST = ["*@example.test"]

    assert core_conf.trusted_proxies() == 2
    assert registries_conf.invitation_days() == 3
    assert gifts_conf.reservation_hours() == 5
    assert thanks_conf.thank_you_reminder_days() == 7
    assert api_conf.api_requests_per_minute() == 11
    assert notifications_conf.lease_seconds() == 13
    assert notifications_conf.mail_allowlist() == ["*@example.test"]
    assert notifications_conf.env() == core_conf.env() == settings.GRATITUDE_ENV


def test_the_store_fetch_never_reaches_loopback_in_production(settings):
    from gratitude.registries import conf

    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = True
    settings.IS_PROD = False
    assert conf.fetch_allow_loopback()
    settings.IS_PROD = True
    assert not conf.fetch_allow_loopback()
