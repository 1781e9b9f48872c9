"""A campaign declares what it speaks of (quiet mode): chosen on purpose, bound to the approval, shown to the
operators, and kept from everyone who opted out of one of those occasions, when the audience is frozen and
again at send time. A correction inherits what the messages it corrects spoke of."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.core.errors import GratitudeError
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.sending.occasion_opt_outs import occasion_opt_outs_set, occasions_of
from gratitude.operations.campaigns.canary import campaign_advance
from gratitude.operations.campaigns.lifecycle import (
    campaign_approve,
    campaign_create,
    campaign_edit,
    campaign_freeze,
    campaign_start,
)
from gratitude.operations.campaigns.preview import campaign_preview
from gratitude.operations.models import AuditEntry, Campaign, CampaignKind, CampaignState
from gratitude.operations.recall import recall_create
from gratitude.operations.selectors import campaign_fingerprint, campaign_occasions
from gratitude.operations.tests.support import (
    BODY,
    SUBJECT,
    approved,
    draft,
    drain,
    make_registrants,
    make_staff,
    started,
    wedding_audience,
)
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)

MOTHERS_DAY = {"speaks_of": ["mothers_day"]}
EVERYONE = {"scope": "everyone"}


@pytest.fixture
def operators():
    return make_staff("Author"), make_staff("Approver")


@pytest.fixture(autouse=True)
def _small_canary(settings):
    settings.GRATITUDE_CANARY_SLICE = "100"
    settings.GRATITUDE_CANARY_WAIT_SECONDS = 0
    settings.GRATITUDE_CAMPAIGN_RATE_PER_HOUR = 3_600_000


def _finish(campaign: Campaign) -> None:
    """Send the canary, release the rest after the wait, send it, and mark the campaign done."""
    drain()
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=True):
        campaign_advance(campaign_id=campaign.pk)
        drain()
        campaign_advance(campaign_id=campaign.pk)


# --- the declaration ----------------------------------------------------------------------------------


def test_a_campaign_cannot_be_written_without_saying_what_it_speaks_of(operators):
    author, _ = operators
    with pytest.raises(GratitudeError, match="say what this campaign speaks of"):
        campaign_create(by=author, title="News", subject=SUBJECT, body=BODY, audience=EVERYONE)
    assert not Campaign.objects.exists()


def test_no_occasion_is_a_declaration_and_unknown_occasions_are_refused(operators):
    author, _ = operators
    with pytest.raises(GratitudeError, match="unknown occasion: easter"):
        draft(author, speaks_of=["easter"])
    with pytest.raises(GratitudeError, match="list of slugs"):
        draft(author, speaks_of="mothers_day")

    assert draft(author, speaks_of=[]).speaks_of == []
    calendar = draft(author, speaks_of=["valentines_day", "mothers_day", "mothers_day"])
    assert calendar.speaks_of == ["mothers_day", "valentines_day"]


def test_an_undeclared_campaign_cannot_be_frozen_or_approved(operators):
    """Only a campaign older than the declaration can be undeclared; its author must choose first."""
    author, approver = operators
    make_registrants(2)
    campaign = draft(author)
    Campaign.objects.filter(pk=campaign.pk).update(speaks_of=None)
    campaign.refresh_from_db()
    with pytest.raises(GratitudeError, match="edit it first"):
        campaign_freeze(campaign=campaign, by=author)

    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.FROZEN, frozen_count=2)
    campaign.refresh_from_db()
    with pytest.raises(GratitudeError, match="must edit it first"):
        campaign_approve(campaign=campaign, by=approver, fingerprint=campaign_fingerprint(campaign))


# --- audience and send time ---------------------------------------------------------------------------


def test_a_mothers_day_campaign_never_reaches_who_opted_out_of_mothers_day(operators):
    """Whatever the audience is chosen by: these people have wedding registries, and only opted out of
    Mother's Day. Left out of the frozen audience, and so never written to."""
    author, approver = operators
    keep, opted = make_registrants(2, occasion="wedding")
    occasion_opt_outs_set(user=opted, occasions=["mothers_day"])

    campaign = approved(author, approver, audience=wedding_audience(), **MOTHERS_DAY)
    assert set(campaign.recipients.values_list("user_id", flat=True)) == {keep.pk}
    assert campaign_preview(campaign=campaign).breakdown.excluded == {"opted out of this occasion": 1}

    campaign = campaign_start(campaign=campaign, by=author)
    _finish(campaign)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE
    assert [m.to for m in mail.outbox] == [[keep.email]]
    assert not Notification.objects.filter(recipient=opted).exists()


def test_opting_out_after_the_freeze_still_stops_the_message_at_send_time(operators, settings):
    """The opt-out comes after freezing, approval and the writing of the rows: the send-time check alone
    stands between the row and the person (drift is tolerated here so that nothing else stops it)."""
    settings.GRATITUDE_CAMPAIGN_MAX_DRIFT = 1
    author, approver = operators
    keep, late, later = make_registrants(3, occasion="birthday")
    campaign = approved(author, approver, audience=EVERYONE, **MOTHERS_DAY)
    assert {late.pk, later.pk} <= set(campaign.recipients.values_list("user_id", flat=True))

    # After freezing, before start: frozen in, still written to, refused when it comes due.
    occasion_opt_outs_set(user=late, occasions=["mothers_day"])
    campaign = campaign_start(campaign=campaign, by=author)
    row = Notification.objects.get(kind="campaign", recipient=late)
    assert occasions_of(row, KINDS["campaign"]) == {"mothers_day"}
    # After its row was written: the same.
    occasion_opt_outs_set(user=later, occasions=["mothers_day", "baby"])
    _finish(campaign)

    refused = {
        row.recipient_id: (row.state, row.reason)
        for row in Notification.objects.filter(kind="campaign", recipient__in=[late, later])
    }
    assert refused == {
        late.pk: (NotificationState.SUPPRESSED, "occasion_opt_out: mothers_day"),
        later.pk: (NotificationState.SUPPRESSED, "occasion_opt_out: mothers_day"),
    }
    delivered = {m.to[0] for m in mail.outbox}
    assert keep.email in delivered
    assert not delivered & {late.email, later.email}


def test_the_audience_occasions_count_as_spoken_of_too(operators):
    """A campaign to wedding registrants that declares no occasion still speaks to them about their
    wedding: someone who opted out of weddings is left out, and refused at send time."""
    author, _ = operators
    campaign = draft(author, audience=wedding_audience(), speaks_of=[])
    assert campaign_occasions(campaign) == ("wedding",)
    both = draft(author, audience=wedding_audience(), speaks_of=["holidays"])
    assert campaign_occasions(both) == ("holidays", "wedding")


def test_other_kinds_of_opt_out_do_not_matter(operators):
    author, approver = operators
    person = make_registrants(1, occasion="wedding")[0]
    occasion_opt_outs_set(user=person, occasions=["fathers_day", "baby"])
    campaign = approved(author, approver, audience=wedding_audience(), **MOTHERS_DAY)
    assert list(campaign.recipients.values_list("user_id", flat=True)) == [person.pk]


# --- the approval -------------------------------------------------------------------------------------


def test_changing_the_declaration_voids_the_approval(operators):
    author, approver = operators
    make_registrants(3)
    campaign = approved(author, approver, speaks_of=[])
    assert campaign.state == CampaignState.APPROVED

    campaign = campaign_edit(
        campaign=campaign,
        by=author,
        title=campaign.title,
        subject=campaign.subject,
        body=campaign.body,
        audience=campaign.audience,
        speaks_of=["mothers_day"],
    )

    assert (campaign.state, campaign.approved_by, campaign.approval_hash) == (CampaignState.DRAFT, None, "")
    assert campaign.speaks_of == ["mothers_day"]
    assert AuditEntry.objects.filter(action="campaign.edit", reason__contains="approval voided").exists()


def test_an_edit_that_leaves_the_declaration_out_keeps_it(operators):
    author, _ = operators
    campaign = draft(author, **MOTHERS_DAY)
    campaign = campaign_edit(
        campaign=campaign, by=author, title="New", subject=SUBJECT, body=BODY, audience=campaign.audience
    )
    assert campaign.speaks_of == ["mothers_day"]


def test_the_fingerprint_binds_the_declaration_so_a_change_behind_the_services_back_is_caught(operators):
    author, approver = operators
    make_registrants(2)
    campaign = approved(author, approver, speaks_of=[])
    reviewed = campaign.approval_hash
    Campaign.objects.filter(pk=campaign.pk).update(speaks_of=["mothers_day"])
    campaign.refresh_from_db()
    assert campaign_fingerprint(campaign) != reviewed

    campaign = campaign_start(campaign=campaign, by=author)
    assert campaign.state == CampaignState.DRAFT
    assert not Notification.objects.filter(kind="campaign").exists()
    assert AuditEntry.objects.filter(action="campaign.approval_void").exists()


def test_a_declaration_changed_after_the_rows_were_written_stops_them(operators):
    """Provenance compares the approval with the campaign as it is now: the rows are refused, as a breach."""
    author, approver = operators
    make_registrants(2)
    campaign = started(author, approver, speaks_of=[])
    Campaign.objects.filter(pk=campaign.pk).update(speaks_of=["holidays"])
    drain()

    states = set(Notification.objects.filter(kind="campaign").values_list("state", "reason"))
    assert states == {(NotificationState.SUPPRESSED, "approval_void")}
    assert mail.outbox == []


# --- corrections --------------------------------------------------------------------------------------


def test_a_correction_inherits_its_campaigns_declaration_and_keeps_it(operators):
    author, approver = operators
    reached, opts_out_later = make_registrants(2, occasion="birthday")
    campaign = started(author, approver, audience=EVERYONE, **MOTHERS_DAY)
    _finish(campaign)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE

    recall = recall_create(campaign=campaign, actor="test")
    correction = Campaign.objects.get(kind=CampaignKind.CORRECTION, recall=recall)
    assert correction.speaks_of == ["mothers_day"]
    assert campaign_occasions(correction) == ("mothers_day",)

    # Restating it is fine; changing it is refused.
    edit = {
        "campaign": correction,
        "by": author,
        "title": correction.title,
        "subject": "A correction to our Mother's Day email",
        "body": "The date in our email was wrong.",
        "audience": correction.audience,
    }
    with pytest.raises(GratitudeError, match="cannot change"):
        campaign_edit(**edit, speaks_of=[])
    correction = campaign_edit(**edit, speaks_of=["mothers_day"])

    # Someone who opted out since is not written to about Mother's Day again, correction or not.
    occasion_opt_outs_set(user=opts_out_later, occasions=["mothers_day"])
    correction = campaign_freeze(campaign=correction, by=author)
    frozen = set(correction.recipients.values_list("user_id", flat=True))
    assert reached.pk in frozen and opts_out_later.pk not in frozen


def test_a_correction_of_event_mail_speaks_of_the_recalled_registries_occasions():
    sent_at = timezone.now() - timedelta(hours=1)
    with time_machine.travel(sent_at, tick=False):
        for occasion in ("baby", "wedding", "other"):
            make_gift(item=make_item(registry=make_registry(owner=make_user(), occasion=occasion)))
        drain()

    recall = recall_create(
        kind="gift_alert", since=sent_at - timedelta(minutes=1), until=timezone.now(), actor="test"
    )
    correction = Campaign.objects.get(kind=CampaignKind.CORRECTION, recall=recall)
    # "Other" names no occasion: nobody can opt out of it.
    assert correction.speaks_of == ["baby", "wedding"]


# --- what the operators see ---------------------------------------------------------------------------


def test_the_form_refuses_a_campaign_that_says_nothing_about_what_it_speaks_of(operators):
    author, _ = operators
    client = Client()
    client.force_login(author)
    fields = {
        "title": "Printable lists",
        "subject": SUBJECT,
        "body": BODY,
        "scope": "everyone",
        "registry_statuses": ["active"],
        "roles": ["owner"],
    }

    response = client.post(reverse("operations:campaigns"), fields)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Say what this message speaks of: tick every occasion its subject or text mentions" in page
    assert not Campaign.objects.exists()

    response = client.post(reverse("operations:campaigns"), {**fields, "speaks_of": ["none", "holidays"]})
    assert "contradict each other" in response.content.decode()
    assert not Campaign.objects.exists()

    response = client.post(reverse("operations:campaigns"), {**fields, "speaks_of": ["none"]})
    assert response.status_code == 302
    assert Campaign.objects.get().speaks_of == []


def test_preview_and_console_show_the_declaration(operators):
    author, _ = operators
    make_registrants(2, occasion="wedding")
    campaign = draft(author, audience=wedding_audience(), speaks_of=["mothers_day", "holidays"])
    client = Client()
    client.force_login(author)

    page = client.get(reverse("operations:campaign", args=[campaign.pk])).content.decode()
    assert "Speaks of: <strong>Holidays, Mother&#x27;s Day</strong>" in page
    assert "opted out of: <strong>Holidays, Mother&#x27;s Day, Wedding</strong>" in page
    # The edit form shows the declaration as it is, ticked, and nothing else ticked.
    ticked = re.findall(r'name="speaks_of" value="(\w+)"[^>]* checked', page)
    assert ticked == ["mothers_day", "holidays"]  # in the form's order

    listing = client.get(reverse("operations:campaigns")).content.decode()
    assert "<td>Holidays, Mother&#x27;s Day</td>" in listing


def test_the_edit_form_shows_no_occasion_as_chosen_and_undeclared_as_unchosen(operators):
    author, _ = operators
    none = draft(author, speaks_of=[])
    undeclared = draft(author)
    Campaign.objects.filter(pk=undeclared.pk).update(speaks_of=None)
    client = Client()
    client.force_login(author)

    def ticked(campaign: Campaign) -> list[str]:
        page = client.get(reverse("operations:campaign", args=[campaign.pk])).content.decode()
        return re.findall(r'name="speaks_of" value="(\w+)"[^>]* checked', page)

    assert ticked(none) == ["none"]
    assert ticked(undeclared) == []
    page = client.get(reverse("operations:campaign", args=[undeclared.pk])).content.decode()
    assert "Speaks of: <strong>not declared yet</strong>" in page


# --- the upgrade --------------------------------------------------------------------------------------


def test_the_migration_keeps_an_in_flight_campaigns_approval_and_meaning(operators):
    """A campaign sending when the declaration arrived: it speaks of its audience's occasions (as it did),
    and its approval holds under the new fingerprint, so its queued rows are not refused as forged."""
    migration = importlib.import_module("gratitude.operations.migrations.0003_campaign_speaks_of")
    author, approver = operators
    make_registrants(2, occasion="wedding")
    campaign = started(author, approver, audience=wedding_audience(), speaks_of=[])
    waiting = draft(author)
    # As the rows were before the migration: undeclared, approved under the old fingerprint.
    Campaign.objects.filter(pk=campaign.pk).update(
        speaks_of=None, approval_hash=migration._fingerprint(campaign, with_speaks_of=False)
    )
    Campaign.objects.filter(pk=waiting.pk).update(speaks_of=None)

    migration.declare_what_was_sent(apps, None)

    campaign.refresh_from_db()
    waiting.refresh_from_db()
    assert campaign.speaks_of == ["wedding"]
    assert campaign.approval_hash == campaign_fingerprint(campaign)
    assert waiting.speaks_of is None  # nothing written yet: its author declares it before freezing
    drain()
    assert Notification.objects.filter(kind="campaign", state=NotificationState.SENT).count() == 2
