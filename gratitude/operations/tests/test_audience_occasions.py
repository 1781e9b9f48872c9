"""Occasion opt-outs in campaign audiences (quiet mode): a campaign declares its occasions, and people who
said "never send me anything about" one of them are left out of the frozen audience, whatever the filter says.
The same choice is checked again at send time (notifications/tests/test_occasions.py)."""

from __future__ import annotations

import pytest

from gratitude.accounts.models import User
from gratitude.notifications.sending.occasion_opt_outs import occasion_opt_outs_set
from gratitude.operations.audience import (
    AudienceFilter,
    audience_breakdown,
    audience_users,
    occasion_opt_outs,
)
from gratitude.operations.campaigns.lifecycle import campaign_freeze
from gratitude.operations.campaigns.preview import campaign_preview
from gratitude.operations.tests.support import draft, make_registrants, make_staff, wedding_audience

pytestmark = pytest.mark.django_db


def test_the_hook_matches_exactly_the_people_who_opted_out_of_a_declared_occasion():
    wedding, baby, both, neither = (make_registrants(1)[0] for _ in range(4))
    occasion_opt_outs_set(user=wedding, occasions=["wedding"])
    occasion_opt_outs_set(user=baby, occasions=["baby"])
    occasion_opt_outs_set(user=both, occasions=["baby", "wedding", "mothers_day"])

    def matched(*occasions: str) -> set[int]:
        condition = occasion_opt_outs(occasions=occasions)
        assert condition is not None
        return set(User.objects.filter(condition).values_list("pk", flat=True))

    assert matched("wedding") == {wedding.pk, both.pk}
    assert matched("baby") == {baby.pk, both.pk}
    assert matched("baby", "wedding") == {wedding.pk, baby.pk, both.pk}
    assert matched("birthday") == set()
    assert neither.pk not in matched("baby", "wedding", "birthday")


def test_a_campaign_that_declares_no_occasion_excludes_nobody_for_one():
    assert occasion_opt_outs(occasions=()) is None


def test_one_slug_never_matches_inside_another():
    person = make_registrants(1)[0]
    # Not a declared slug, but stored JSON could hold anything: "baby" must not match "baby_shower".
    User.objects.filter(pk=person.pk).update(occasion_opt_outs=["baby_shower", "xwedding"])
    condition = occasion_opt_outs(occasions=("baby", "wedding"))
    assert condition is not None
    assert not User.objects.filter(condition).exists()


def test_a_frozen_audience_leaves_out_those_who_opted_out_and_says_why():
    author = make_staff("Author")
    keep, opted = make_registrants(2, occasion="wedding")
    occasion_opt_outs_set(user=opted, occasions=["wedding"])
    other_occasion = make_registrants(1, occasion="wedding")[0]
    occasion_opt_outs_set(user=other_occasion, occasions=["baby"])

    campaign = campaign_freeze(campaign=draft(author, audience=wedding_audience()), by=author)

    frozen = set(campaign.recipients.values_list("user_id", flat=True))
    assert frozen == {keep.pk, other_occasion.pk}
    assert campaign_preview(campaign=campaign).breakdown.excluded == {"opted out of this occasion": 1}


def test_audience_users_and_breakdown_agree():
    keep, opted = make_registrants(2, occasion="baby")
    occasion_opt_outs_set(user=opted, occasions=["baby"])
    audience = AudienceFilter(occasions=("baby",))

    assert set(audience_users(audience, category="marketing", speaks_of=())) == {keep}
    breakdown = audience_breakdown(audience, category="marketing", speaks_of=())
    assert (breakdown.count, breakdown.matched) == (1, 2)
    assert breakdown.excluded == {"opted out of this occasion": 1}
