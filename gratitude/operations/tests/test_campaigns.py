"""The two-person rule, the frozen audience and the canary (docs/safety.md promise 4; promise 2 for
campaigns)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from gratitude.core.errors import GratitudeError, PermissionDenied
from gratitude.notifications.models import Notification, NotificationState, SuppressedAddress
from gratitude.notifications.sending.suppression import category_unsubscribe, suppression_add
from gratitude.operations.campaigns.canary import campaign_advance
from gratitude.operations.campaigns.lifecycle import (
    campaign_approve,
    campaign_cancel,
    campaign_edit,
    campaign_freeze,
    campaign_start,
)
from gratitude.operations.campaigns.preview import campaign_preview
from gratitude.operations.models import (
    AuditEntry,
    Campaign,
    CampaignRecipient,
    CampaignState,
    OperatorAlert,
)
from gratitude.operations.notifications import operator_messages_enqueue
from gratitude.operations.selectors import audience_drift, campaign_fingerprint, canary_report
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
from gratitude.registries.models import Registry
from gratitude.testing.factories import make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operators():
    return make_staff("Author"), make_staff("Approver")


@pytest.fixture(autouse=True)
def _small_canary(settings):
    settings.GRATITUDE_CANARY_SLICE = "2"
    settings.GRATITUDE_CANARY_WAIT_SECONDS = 600
    settings.GRATITUDE_CAMPAIGN_RATE_PER_HOUR = 3_600_000


def after_the_wait():
    """The canary's wait (600 s here) has passed; the clock keeps running from there."""
    return time_machine.travel(timezone.now() + timedelta(seconds=601), tick=True)


def test_self_approval_is_refused_and_recorded(operators):
    author, _ = operators
    make_registrants(3)
    campaign = campaign_freeze(campaign=draft(author), by=author)

    with pytest.raises(GratitudeError, match="second operator"):
        campaign_approve(campaign=campaign, by=author, fingerprint=campaign_fingerprint(campaign))

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.FROZEN
    assert campaign.approved_by is None
    assert AuditEntry.objects.filter(action="campaign.approve_refused", user=author).exists()


def test_only_staff_may_write_or_approve(operators):
    author, _ = operators
    make_registrants(1)
    outsider = make_user()
    with pytest.raises(PermissionDenied):
        draft(outsider)
    campaign = campaign_freeze(campaign=draft(author), by=author)
    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=campaign, by=outsider, fingerprint=campaign_fingerprint(campaign))


def test_edit_after_approval_returns_to_draft_and_voids_the_approval(operators):
    author, approver = operators
    make_registrants(3)
    campaign = approved(author, approver)
    assert campaign.state == CampaignState.APPROVED

    campaign = campaign_edit(
        campaign=campaign,
        by=approver,
        title=campaign.title,
        subject=SUBJECT + " (and more)",
        body=BODY,
        audience=campaign.audience,
    )

    assert campaign.state == CampaignState.DRAFT
    assert campaign.approved_by is None and campaign.approval_hash == ""
    assert campaign.frozen_count is None and not campaign.recipients.exists()
    # Whoever edited is now the author, so the earlier approver cannot approve their own words.
    campaign = campaign_freeze(campaign=campaign, by=approver)
    with pytest.raises(GratitudeError, match="second operator"):
        campaign_approve(campaign=campaign, by=approver, fingerprint=campaign_fingerprint(campaign))
    assert AuditEntry.objects.filter(action="campaign.edit", reason__contains="approval voided").exists()


def test_approval_is_bound_to_what_the_approver_reviewed(operators):
    author, approver = operators
    make_registrants(2)
    campaign = campaign_freeze(campaign=draft(author), by=author)
    reviewed = campaign_fingerprint(campaign)
    # The text changes behind the approver's back (say, straight in the database).
    Campaign.objects.filter(pk=campaign.pk).update(body="Something else entirely.")
    campaign.refresh_from_db()

    with pytest.raises(GratitudeError, match="changed since you reviewed"):
        campaign_approve(campaign=campaign, by=approver, fingerprint=reviewed)


def test_a_change_after_approval_is_caught_at_start(operators):
    author, approver = operators
    make_registrants(2)
    campaign = approved(author, approver)
    Campaign.objects.filter(pk=campaign.pk).update(subject="Changed after approval")
    campaign.refresh_from_db()

    campaign = campaign_start(campaign=campaign, by=author)

    assert campaign.state == CampaignState.DRAFT
    assert not Notification.objects.exists()


def test_audience_drift_over_one_percent_halts_at_start(operators):
    author, approver = operators
    make_registrants(100)
    campaign = approved(author, approver)
    assert campaign.frozen_count == 100
    make_registrants(2)  # 2% more people match the filter now

    campaign = campaign_start(campaign=campaign, by=author)

    assert campaign.state == CampaignState.HALTED
    assert "audience drift: frozen 100, now 102" in campaign.reason
    assert not Notification.objects.exists()
    assert OperatorAlert.objects.filter(kind="campaign", message__contains="drift").exists()
    assert AuditEntry.objects.filter(action="campaign.halt", actor="check:drift").exists()


def test_drift_of_one_percent_or_less_is_tolerated(operators):
    author, approver = operators
    make_registrants(100)
    campaign = approved(author, approver)
    make_registrants(1)
    assert audience_drift(campaign).share == pytest.approx(0.01)

    assert campaign_start(campaign=campaign, by=author).state == CampaignState.CANARY


def test_quiet_mode_unsubscribed_suppressed_and_paused_are_always_excluded(operators):
    author, _ = operators
    keep, quiet, unsubscribed, suppressed, paused = make_registrants(5)
    quiet.quiet_since = timezone.now()
    quiet.save(update_fields=["quiet_since"])
    category_unsubscribe(user=unsubscribed, category="marketing", source="preferences")
    suppression_add(address=suppressed.email, reason="complaint")
    Registry.objects.filter(members__user=paused).update(paused_at=timezone.now())
    never_confirmed = make_user(verified=False)
    make_registry(owner=never_confirmed, occasion="wedding")
    # Whatever the filter says: the widest audience there is.
    campaign = draft(author, audience={"scope": "everyone"})

    campaign = campaign_freeze(campaign=campaign, by=author)

    frozen = set(campaign.recipients.values_list("user_id", flat=True))
    assert keep.pk in frozen and author.pk in frozen
    assert not frozen & {quiet.pk, unsubscribed.pk, suppressed.pk, paused.pk, never_confirmed.pk}
    preview = campaign_preview(campaign=campaign)
    assert preview.breakdown.excluded == {
        "in quiet mode": 1,
        "stopped this category of mail": 1,
        "address suppressed (bounce or complaint)": 1,
        "has a paused registry": 1,
    }


def test_an_audience_filter_cannot_be_a_raw_query(operators):
    author, _ = operators
    with pytest.raises(GratitudeError, match="cannot filter on"):
        draft(author, audience={"scope": "everyone", "where": "1=1"})
    with pytest.raises(GratitudeError, match="unknown occasion"):
        draft(author, audience=wedding_audience(occasions=["funeral"]))


@pytest.mark.parametrize("kind", ["gift_alert", "thank_you_reminder", "email_verify"])
def test_a_campaign_can_never_use_an_event_backed_kinds_template(operators, kind):
    author, _ = operators
    with pytest.raises(GratitudeError, match=f"cannot use the {kind} template"):
        draft(author, kind=kind)
    assert not Campaign.objects.exists()


def test_the_bulk_writer_refuses_event_backed_kinds_loudly(operators):
    author, _ = operators
    (person,) = make_registrants(1)
    campaign = campaign_freeze(campaign=draft(author), by=author)
    recipient = campaign.recipients.get(user=person)
    # As if someone altered the row to borrow the gift-alert template.
    campaign.kind = "gift_alert"
    with pytest.raises(ValueError, match="event mail has no bulk path"), transaction.atomic():
        operator_messages_enqueue(campaign=campaign, recipients=[recipient], first_due_at=timezone.now())
    assert not Notification.objects.exists()


def test_campaign_text_may_not_carry_links_or_sign_in_wording(operators):
    author, _ = operators
    with pytest.raises(GratitudeError, match="links"):
        draft(author, body="See https://evil.example/ now")
    with pytest.raises(GratitudeError, match="phishing"):
        draft(author, body="Please log in to keep your registry.")


def test_preview_shows_count_breakdown_sample_and_rendered_message_and_leaves_nothing(operators):
    author, _ = operators
    people = make_registrants(12)
    make_registrants(3, occasion="baby")
    campaign = draft(author)

    preview = campaign_preview(campaign=campaign)

    assert preview.breakdown.count == 12
    assert preview.breakdown.by_occasion == {"Wedding": 12}
    assert len(preview.sample_recipients) == 10
    assert set(preview.sample_recipients) <= {p.email for p in people}
    assert preview.rendered is not None
    assert preview.rendered.subject == SUBJECT
    assert "You can now print your Thank You List." in preview.rendered.text
    recipient = next(p for p in people if p.email == preview.sample_to)
    assert f"Hi {recipient.name}," in preview.rendered.text
    assert not Notification.objects.exists()
    assert not CampaignRecipient.objects.exists()


def test_canary_then_the_rest_then_done(operators):
    author, approver = operators
    people = make_registrants(10)
    campaign = started(author, approver)
    assert campaign.state == CampaignState.CANARY
    assert campaign.canary_size == 2
    assert Notification.objects.filter(kind="campaign").count() == 2

    drain()
    assert len(mail.outbox) == 2
    assert campaign_advance(campaign_id=campaign.pk) == "canary: waiting"
    with after_the_wait():
        assert campaign_advance(campaign_id=campaign.pk) == "released 8"
        drain()
        assert campaign_advance(campaign_id=campaign.pk) == "done"

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert {m.extra_headers["X-Gratitude-Kind"] for m in mail.outbox} == {"campaign"}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"campaign.create", "campaign.freeze", "campaign.approve", "campaign.start"} <= actions
    assert {"campaign.release", "campaign.done"} <= actions


def test_a_complaint_spike_in_the_canary_stops_the_campaign_before_the_rest(operators, settings):
    from anymail.signals import AnymailTrackingEvent

    from gratitude.notifications.transport.delivery_events import record_event

    settings.GRATITUDE_CANARY_SLICE = "10"
    make_registrants(50)
    author, approver = operators
    campaign = started(author, approver)
    drain()
    canary = list(Notification.objects.filter(kind="campaign", state=NotificationState.SENT))
    assert len(canary) == 10
    for n, row in enumerate(canary[:3]):
        record_event(
            event=AnymailTrackingEvent(
                event_type="complained",
                event_id=f"complaint-{n}",
                recipient=row.sent_to,
                metadata={"gratitude_reference": row.reference},
            ),
            esp_name="test",
        )

    with after_the_wait():
        outcome = campaign_advance(campaign_id=campaign.pk)
        drain()

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.HALTED
    assert outcome == campaign.reason == "canary: 3 complaints among 10 sent (30.0% > 0.3%)"
    assert Notification.objects.filter(kind="campaign").count() == 10
    assert len(mail.outbox) == 10
    assert OperatorAlert.objects.filter(kind="campaign", message__contains="complaints").exists()
    assert canary_report(campaign).complaints == 3


def test_the_canary_waits_for_its_messages_then_its_time(operators):
    make_registrants(5)
    author, approver = operators
    campaign = started(author, approver)
    assert campaign_advance(campaign_id=campaign.pk) == "canary: 2 still on their way"
    drain()
    assert campaign_advance(campaign_id=campaign.pk) == "canary: waiting"
    with after_the_wait():
        assert campaign_advance(campaign_id=campaign.pk) == "released 3"


def test_cancel_stops_queued_messages_and_needs_a_reason(operators, settings):
    settings.GRATITUDE_CAMPAIGN_RATE_PER_HOUR = 1  # the rest is spread over hours
    make_registrants(6)
    author, approver = operators
    campaign = started(author, approver)
    drain()
    with after_the_wait():
        campaign_advance(campaign_id=campaign.pk)
    with pytest.raises(GratitudeError, match="reason"):
        campaign_cancel(campaign=campaign, by=approver, reason=" ")

    cancelled = campaign_cancel(campaign=campaign, by=approver, reason="wrong wording")
    drain()

    assert cancelled == 4
    assert Notification.objects.filter(kind="campaign", state=NotificationState.SENT).count() == 2
    assert Notification.objects.filter(kind="campaign", state=NotificationState.CANCELLED).count() == 4


def test_a_forged_campaign_row_trips_the_breaker_and_is_never_sent(operators):
    author, approver = operators
    make_registrants(3)
    campaign = started(author, approver)
    outsider = make_user()
    with transaction.atomic():
        # Written through the writer, but for someone outside the frozen audience.
        stray = CampaignRecipient(campaign=campaign, user=outsider, email=outsider.email)
        operator_messages_enqueue(campaign=campaign, recipients=[stray], first_due_at=timezone.now())

    drain()

    row = Notification.objects.get(recipient=outsider)
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "not_in_audience")
    assert outsider.email not in {m.to[0] for m in mail.outbox}
    assert OperatorAlert.objects.filter(kind="campaign", message__contains="not_in_audience").exists()


def test_quiet_mode_after_freezing_still_stops_the_message(operators):
    author, approver = operators
    people = make_registrants(2)
    approved_campaign = approved(author, approver, audience=wedding_audience())
    for person in people:
        person.quiet_since = timezone.now()
        person.save(update_fields=["quiet_since"])
    # Two of two left: drift 100%, so it halts; even if it had not, provenance refuses each row.
    campaign = campaign_start(campaign=approved_campaign, by=author)
    assert campaign.state == CampaignState.HALTED
    assert mail.outbox == []
    assert not SuppressedAddress.objects.exists()


@pytest.mark.parametrize(
    ("setting", "frozen", "size"),
    [("100", 10_000, 100), ("100", 40, 40), ("1%", 10_000, 100), ("1%", 250, 3), ("1%", 1, 1), ("0", 5, 1)],
)
def test_the_canary_slice_is_a_count_or_a_share(settings, setting, frozen, size):
    from gratitude.operations.conf import canary_size

    settings.GRATITUDE_CANARY_SLICE = setting
    assert canary_size(frozen) == size


def test_a_campaign_greets_by_the_chosen_name_or_says_hello(operators):
    """Campaigns greet like every other kind (rendering.messages.greeting): the name the person chose,
    defanged, or "Hello," when they chose none; never the part of their address before @, which can read as
    a domain."""
    author, _ = operators
    (nameless,) = make_registrants(1)
    nameless.display_name = ""
    nameless.email = "paypal.com.secure-login@example.test"
    nameless.save(update_fields=["display_name", "email"])

    preview = campaign_preview(campaign=draft(author))

    assert preview.rendered is not None
    assert preview.rendered.text.startswith("Hello,\n")
    assert "paypal.com" not in preview.rendered.text.split("Reference code")[0]
