"""site_url gives exactly what site_link(reverse(...)) gives, for every view our mail links to, with the
remembered path templates and with arguments that must take reverse()'s own quoting."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from gratitude.core.links import site_link, site_url

CASES = [
    ("notifications:centre", ()),
    ("notifications:check", ()),
    ("accounts:mail_preferences", ()),
    ("thanks:list", (12345,)),
    ("registries:settings", (7,)),
    ("notifications:unsubscribe", ("eyJ1IjoxfQ:1tX9-aB_c:Zz-09_",)),
    ("registries:pause_link", ("abc.def:ghi",)),
    ("accounts:verify", ("tok-en_1:2",)),
]


@pytest.mark.parametrize(("viewname", "args"), CASES)
def test_same_url_as_reverse(viewname, args):
    expected = site_link(reverse(viewname, args=args))
    assert site_url(viewname, *args) == expected
    assert site_url(viewname, *args) == expected  # and again, from the remembered template


def test_an_argument_reverse_would_quote_takes_the_ordinary_path():
    odd = "a b?d=é"
    assert site_url("notifications:unsubscribe", odd) == site_link(
        reverse("notifications:unsubscribe", args=[odd])
    )


def test_an_unknown_view_still_fails_loudly():
    with pytest.raises(NoReverseMatch):
        site_url("notifications:no_such_view")
