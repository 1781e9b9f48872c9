"""core/untrusted_text.py (docs/safety.md promise 16): links, addresses and domains are found the way a mail
client would link them, however they are disguised, and `defang` leaves none of them live."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gratitude.core.untrusted_text import contains_link, defang, findings, single_line
from gratitude.testing.mail_links import linked_in_text


@pytest.mark.parametrize(
    "text",
    [
        "PayPal: action required - paypal-secure.example",
        "verify at https://paypal-secure.example/verify",
        "HXXP is fine but HTTP://EVIL.EXAMPLE is not",
        "ftp://files.example",
        "go to www.evil",
        "write to bob@evil.example",
        "mailto:bob",
        "paypal.com-secure",
        "xn--pypal-4ve.com",
        "пример.рф",
        "παράδειγμα.δοκιμή",
        "evil\uff0ecom",  # full-width full stop
        "evil\u3002com",  # ideographic full stop
        "evil\uff61com",  # half-width ideographic full stop
        "ｅｖｉｌ．ｃｏｍ",  # full-width letters too
        "ev\u200bil.com",  # a zero-width space inside
        "evil\u00ad.com",  # a soft hyphen before the dot
        "10.0.0.1",
    ],
)
def test_what_a_mail_client_would_link_is_found(text):
    assert contains_link(text), text
    assert findings(text)


@pytest.mark.parametrize(
    "text",
    [
        "Love, Grandma",
        "For many happy dinners.\nLove, Robin",
        "It cost 3.50 e.g. less than the bowl",
        "Dr. Who and Mr. Smith",
        "Aunt Robin & Uncle Sam",
        "paypal-secure[.]example",  # already inert
        "@home",
        "5 × 10.5",
        "",
    ],
)
def test_ordinary_words_are_not_links(text):
    assert not contains_link(text), findings(text)


def test_the_paypal_example_is_defanged_and_still_readable():
    name = defang("PayPal: action required - paypal-secure.example")
    message = defang("PayPal Security: verify your account at https://paypal-secure.example/verify")

    assert name == "PayPal: action required - paypal-secure[.]example"
    assert message == "PayPal Security: verify your account at hxxps[://]paypal-secure[.]example/verify"
    assert defang("mail bob@evil.example") == "mail bob [at] evil[.]example"
    assert defang("ｅｖｉｌ．ｃｏｍ") == "evil[.]com"
    assert defang("mailto:bob") == "mailto[:]bob"


def test_words_without_links_come_back_as_typed():
    assert defang("Für Oma: ﬁve ﬂowers ①") == "Für Oma: ﬁve ﬂowers ①"
    assert defang("Line one\nLine two") == "Line one\nLine two"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert defang(f"Love from all of us {family}") == f"Love from all of us {family}"


def test_single_line_breaks_every_kind_of_line_break():
    text = "a\r\nBcc: x\rb\nc\u2028d\u2029e\u0085f\x0bg\x0ch"

    assert single_line(text) == "a Bcc: x b c d e f g h"


_PIECES = [
    "paypal-secure.example",
    "https://evil.example/x",
    "www.",
    "bob@evil.example",
    "\uff0e",
    "\u3002",
    "\uff61",
    "\u200b",
    "\u202e",
    "xn--p1ai",
    ".",
    "@",
    ":",
    "//",
    "\r\n",
    " ",
    "com",
    "рф",
]


@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=5)), max_size=8).map("".join))
def test_defanged_text_has_nothing_live_by_this_module_or_by_an_independent_linkifier(text):
    inert = defang(text)

    assert not contains_link(inert), (text, inert)
    assert linked_in_text(inert) == set(), (text, inert)
    assert "\n" not in single_line(inert) and "\r" not in single_line(inert)


@pytest.mark.parametrize(
    "typed",
    [
        "Log in at paypal\ufe0f.com",
        "support\ufe0f@paypal\ufe0f.com",
        "https\ufe0f://paypal-secure.example",
        "Log in at paypal\U000e0101.com",
        "Log in at paypal\u180b.com",
    ],
)
def test_a_variation_selector_does_not_hide_a_domain(typed):
    """UTS 46 ignores variation selectors, so a browser reads "paypal\\ufe0f.com" as paypal.com: the
    invisible character must not hide it from the check or from defanging."""
    assert contains_link(typed)
    assert not contains_link(defang(typed))


def test_an_ip_address_ending_a_sentence_is_found():
    assert findings("Log in at 203.0.113.5.") == ["203.0.113.5"]
    assert not contains_link(defang("Log in at 203.0.113.5."))


def test_an_emoji_with_its_variation_selector_is_not_a_link():
    assert defang("Thanks \u2764\ufe0f so much") == "Thanks \u2764\ufe0f so much"
