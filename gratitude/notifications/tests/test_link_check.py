"""The bait check's shortcut for links on our own site (bait_checks.link_allowed) answers exactly as the full
check does, for every SITE_URL shape and environment, on links written to look like ours."""

from __future__ import annotations

import pytest

from gratitude.notifications.rendering import bait_checks
from gratitude.notifications.rendering.template_engine import FILTERS

SITES = [
    ("prod", "https://gratitude.example"),
    ("prod", "https://gratitude.example/"),
    ("prod", "https://gratitude.example:8443"),
    ("prod", "http://127.0.0.1:8000"),
    ("dev", "http://127.0.0.1:8000"),
    ("dev", "http://gratitude.example"),
    ("dev", "https://gratitude.example/app"),
    ("dev", "https://user:pw@gratitude.example"),
]
LINKS = [
    "https://gratitude.example/mail/check/",
    "https://gratitude.example/",
    "https://gratitude.example",
    "https://gratitude.example.evil.test/x",
    "https://gratitude.example@evil.test/x",
    "https://gratitude.example:8443/x",
    "https://gratitude.example/@evil.test",
    "https://gratitude.example/\\evil.test",
    "https://gratitude.example/\t/x",
    "http://127.0.0.1:8000/mail/",
    "http://127.0.0.1:8000@evil.test/",
    "http://127.0.0.1:80001/x",
    "http://gratitude.example/x",
    "https://gratitude.example/app/x",
    "https://user:pw@gratitude.example/x",
    "HTTPS://gratitude.example/x",
    "javascript:alert(1)",
    "//gratitude.example/x",
    "https://[::1/x",
]


@pytest.mark.parametrize(("env", "site"), SITES)
def test_the_shortcut_answers_as_the_full_check(settings, env, site):
    settings.GRATITUDE_ENV = env
    settings.SITE_URL = site
    for link in LINKS:
        assert bait_checks.link_allowed(link) == bait_checks._link_allowed_slowly(link), (env, site, link)


def test_defang_filters_answer_the_same_when_asked_again():
    # Remembered answers (template_engine._defanged) are keyed on the text and the filter, nothing else.
    typed = "Pay at paypal-secure.example\nnow"
    for _ in range(2):
        assert FILTERS["defang"](typed) == "Pay at paypal-secure[.]example now"
        assert FILTERS["defang_text"](typed) == "Pay at paypal-secure[.]example\nnow"
