"""The operator console's pages: staff only, bounded queries, halt and resume with a reason, alerts, the
audit log and its spreadsheet-safe export, campaigns and recall through the browser's forms."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import cast

import pytest
from django.db import transaction
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.accounts.notifications import account_mail_enqueue
from gratitude.notifications.models import Notification, NotificationState
from gratitude.operations.models import (
    AppendOnlyError,
    AuditEntry,
    Campaign,
    CampaignState,
    OperatorAlert,
    SendControl,
)
from gratitude.operations.services import audit_record, breaker_trip
from gratitude.operations.tests.support import drain, make_registrants, make_staff
from gratitude.testing.factories import make_gift, make_item, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> object:
    return make_staff("Ops One")


@pytest.fixture
def staff_client(client: Client, operator) -> Client:
    client.force_login(operator)
    return client


@pytest.mark.parametrize(
    "name",
    [
        "operations:console",
        "operations:audit",
        "operations:audit_csv",
        "operations:campaigns",
        "operations:recalls",
    ],
)
def test_only_staff_may_open_the_console(client: Client, name):
    url = reverse(name)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    # Signed in without the staff role: a 403 page that says so, not a redirect to a login page that
    # sends a signed-in person straight back (an endless loop).
    client.force_login(make_user())
    response = client.get(url, follow=True)
    assert response.status_code == 403 and not response.redirect_chain
    assert 'data-testid="staff-only"' in response.content.decode()


def test_posting_as_a_non_staff_user_changes_nothing(client: Client):
    client.force_login(make_user())
    client.post(reverse("operations:sends_halt"), {"kind": "*", "reason": "x"})
    assert not SendControl.objects.exists()


def _fill_outbox(gifts: int) -> None:
    item = make_item(quantity=10_000)
    for n in range(gifts):
        make_gift(item=item, giver_name=f"G{n}")
    drain()
    owner = make_user(verified=False)
    with transaction.atomic():
        account_mail_enqueue(kind="email_verify", user=owner)


@pytest.mark.django_db(transaction=True)
def test_console_shows_kinds_charts_and_oldest_message_with_bounded_queries(
    staff_client: Client, django_assert_max_num_queries
):
    _fill_outbox(3)
    with django_assert_max_num_queries(30) as few:
        small = staff_client.get(reverse("operations:console"))
    _fill_outbox(60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(reverse("operations:console"))

    assert small.status_code == response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="chart-gift_alert"' in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="minute-chart" data-kind="gift_alert"' in page
    assert 'data-series="sent" data-total="63"' in page
    assert "<script" not in page.split("<main>")[1]  # the chart needs no JavaScript
    assert "Oldest waiting message: email_verify" in page


def test_halt_and_resume_from_the_console_need_a_reason_and_are_audited(staff_client: Client, operator):
    url = reverse("operations:sends_halt")
    staff_client.post(url, {"kind": "gift_alert", "reason": "  "})
    assert not SendControl.objects.exists()

    response = staff_client.post(url, {"kind": "gift_alert", "reason": "odd numbers"}, follow=True)
    assert "Halted gift_alert." in response.content.decode()
    assert SendControl.objects.get(kind="gift_alert").halted
    staff_client.post(reverse("operations:sends_resume"), {"kind": "gift_alert", "reason": "fine after all"})

    assert not SendControl.objects.get(kind="gift_alert").halted
    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "actor", "user", "reason"))
    assert entries == [
        ("sends.halt", f"staff:{operator.email}", operator.pk, "odd numbers"),
        ("sends.resume", f"staff:{operator.email}", operator.pk, "fine after all"),
    ]


def test_halting_everything_shows_on_the_console(staff_client: Client):
    staff_client.post(reverse("operations:sends_halt"), {"kind": "*", "reason": "incident 42"})
    page = staff_client.get(reverse("operations:console")).content.decode()
    assert "ALL KINDS HALTED" in page and "incident 42" in page


def test_an_alert_can_be_acknowledged_once(staff_client: Client, operator):
    breaker_trip(kind="gift_alert", reason="provenance failed (no_gift) on row X")
    alert = OperatorAlert.objects.get()
    page = staff_client.get(reverse("operations:console")).content.decode()
    assert "BREAKER OPEN" in page and "Breaker tripped for gift_alert" in page

    url = reverse("operations:alert_acknowledge", args=[alert.pk])
    staff_client.post(url)
    staff_client.post(url)

    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.acknowledged_by == f"staff:{operator.email}"
    assert AuditEntry.objects.filter(action="alert.acknowledge").count() == 1


def test_the_audit_log_is_append_only():
    entry = audit_record(actor="test", action="sends.halt", target="*", reason="r")
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().reason == "r"


def test_the_audit_page_and_its_csv_export_are_spreadsheet_safe(staff_client: Client):
    audit_record(actor="=cmd|' /C calc'!A0", action="sends.halt", target="+1", reason="@SUM(1)")
    audit_record(actor="cli:root", action="sends.resume", target="-2", reason="plain")

    page = staff_client.get(reverse("operations:audit")).content.decode()
    assert "@SUM(1)" in page

    response = staff_client.get(reverse("operations:audit_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(cast(StreamingHttpResponse, response).getvalue().decode())))
    assert rows[0] == ["when", "actor", "account", "action", "target", "reason"]
    resume, halt = rows[1], rows[2]
    assert halt[1:] == ["'=cmd|' /C calc'!A0", "", "sends.halt", "'+1", "'@SUM(1)"]
    assert resume[1:] == ["cli:root", "", "sends.resume", "'-2", "plain"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_no_page_of_the_console_edits_or_deletes_audit_entries():
    from gratitude.operations import urls

    names = {pattern.name for pattern in urls.urlpatterns}
    assert not {name for name in names if "audit" in (name or "")} - {"audit", "audit_csv"}


def test_a_campaign_through_the_pages_needs_a_second_operator(client: Client, settings):
    settings.GRATITUDE_CANARY_SLICE = "1"
    author, approver = make_staff("Author"), make_staff("Approver")
    make_registrants(4)
    client.force_login(author)
    response = client.post(
        reverse("operations:campaigns"),
        {
            "title": "Printable lists",
            "subject": "Print your Thank You List",
            "body": "You can now print it.\n\nNothing else changes.",
            "speaks_of": ["none"],
            "scope": "registrants",
            "occasions": ["wedding"],
            "registry_statuses": ["active"],
            "roles": ["owner", "co_registrant"],
        },
    )
    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("operations:campaign", args=[campaign.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="audience-count"><strong>4</strong>' in page
    assert "Print your Thank You List" in page and "You can now print it." in page

    client.post(reverse("operations:campaign_freeze", args=[campaign.pk]))
    page = client.get(reverse("operations:campaign", args=[campaign.pk])).content.decode()
    assert "a second operator must approve it" in page
    campaign.refresh_from_db()
    from gratitude.operations.selectors import campaign_fingerprint

    fingerprint = campaign_fingerprint(campaign)
    client.post(reverse("operations:campaign_approve", args=[campaign.pk]), {"fingerprint": fingerprint})
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.FROZEN

    client.force_login(approver)
    client.post(reverse("operations:campaign_approve", args=[campaign.pk]), {"fingerprint": fingerprint})
    client.post(reverse("operations:campaign_start", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert (campaign.state, campaign.approved_by) == (CampaignState.CANARY, approver)
    assert Notification.objects.filter(kind="campaign").count() == 1


@pytest.mark.django_db(transaction=True)
def test_recall_from_the_pages_lists_and_exports_and_the_export_is_audited(staff_client: Client):
    _fill_outbox(2)
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    until = (timezone.now() + timedelta(minutes=1)).isoformat()
    response = staff_client.post(
        reverse("operations:recalls"),
        {"kind": "gift_alert", "since": since, "until": until, "reason": "test"},
    )
    page = staff_client.get(response["Location"]).content.decode()
    sent = Notification.objects.filter(kind="gift_alert", state=NotificationState.SENT)
    assert sent.count() == 2
    assert "<strong>2</strong> messages to <strong>1</strong> people" in page
    for row in sent:
        assert row.reference in page

    csv_url = response["Location"].rstrip("/") + ".csv"
    body = cast(StreamingHttpResponse, staff_client.get(csv_url)).getvalue().decode()
    assert {row.reference for row in sent} <= set(body.split(","))
    assert AuditEntry.objects.filter(action="recall.export").count() == 1
    assert 'data-testid="correction-link"' in page


def test_a_recall_form_refuses_a_time_without_a_zone(staff_client: Client):
    response = staff_client.post(
        reverse("operations:recalls"),
        {"kind": "gift_alert", "since": "2017-09-19T10:00", "until": "2017-09-19T12:00Z"},
    )
    assert response.status_code == 200
    assert "Add a time zone" in response.content.decode()
