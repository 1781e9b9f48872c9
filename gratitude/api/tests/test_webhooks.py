"""Store order webhooks, one test per rule of docs/api.md ("Store order events"): signature, tolerance,
replay, idempotency by (store, order, line), events out of order, cancel inside the settle window, 422s.

The webhook verifies and stores (202); the worker applies (api/event_worker.py). Where a rule is about what an
event did, the test runs the worker and reads the outcome recorded on the event (`outcome_of`)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client

from gratitude.api.models import EventOutcome, StoreEvent, StoreOrderLine
from gratitude.api.services import store_add, store_rotate
from gratitude.api.tests.webhook_support import (
    WsgiClient,
    outcome_of,
    paid,
    post_event,
    run_worker,
    sign,
)
from gratitude.gifts.models import Gift, GiftSource, GiftState
from gratitude.notifications.models import Notification
from gratitude.registries.item_refs import item_ref_make
from gratitude.testing.factories import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_wake_up_remembered() -> None:
    """A wake-up noted by an earlier test's committed event must not stand for this test's events."""
    from gratitude.api import tasks

    tasks._wake_up_seen_at[0] = float("-inf")


@pytest.fixture(params=["full", "machine"])
def client(request: pytest.FixtureRequest) -> Client | WsgiClient:
    """Every rule is checked on both routes to the webhook: Django's test client through the full middleware
    and django-ninja, and config/wsgi.py's application as gunicorn calls it (the machine path)."""
    return Client() if request.param == "full" else WsgiClient()


@pytest.fixture
def store() -> tuple[str, str]:
    row, secret = store_add(name="Test shop")
    return row.public_id, secret


def test_a_signed_order_paid_records_a_store_gift_with_its_alert(
    client: Client, store: tuple[str, str]
) -> None:
    item = make_item(quantity=3)
    response = post_event(
        client, *store, paid("A-1001", ("1", item, 2), email="sam@example.test", message="Enjoy")
    )
    assert response.status_code == 202, response.content
    assert outcome_of(response)["outcome"] == "recorded"
    gift = Gift.objects.get()
    assert (gift.item_id, gift.quantity, gift.source, gift.giver_name) == (
        item.pk,
        2,
        GiftSource.STORE,
        "Sam Buyer",
    )
    assert gift.message == "Enjoy"
    assert Notification.objects.filter(kind="gift_alert", gift=gift).count() == 1
    assert StoreEvent.objects.get().outcome == EventOutcome.RECORDED


def test_a_wrong_signature_is_401_and_records_nothing(client: Client, store: tuple[str, str]) -> None:
    item = make_item()
    store_id, _ = store
    response = post_event(client, store_id, "whsec_not-the-secret", paid("A-1", ("1", item, 1)))
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert not Gift.objects.exists() and not StoreEvent.objects.exists()


def test_a_body_changed_after_signing_is_401(client: Client, store: tuple[str, str]) -> None:
    item = make_item()
    store_id, secret = store
    body = json.dumps(paid("A-1", ("1", item, 1))).encode()
    header = sign(secret, body)
    tampered = body.replace(b'"quantity": 1', b'"quantity": 2')
    response = client.post(
        f"/api/v1/stores/{store_id}/events",
        data=tampered,
        content_type="application/json",
        headers={"X-Gratitude-Signature": header},
    )
    assert response.status_code == 401
    assert not Gift.objects.exists()


@pytest.mark.parametrize("header", ["", "t=1,v1=zz", "v1=" + "0" * 64, "garbage"])
def test_a_missing_or_malformed_signature_is_401(client: Client, store: tuple[str, str], header: str) -> None:
    response = client.post(
        f"/api/v1/stores/{store[0]}/events",
        data=b"{}",
        content_type="application/json",
        headers={"X-Gratitude-Signature": header},
    )
    assert response.status_code == 401


def test_an_unknown_store_reads_like_a_bad_signature(client: Client) -> None:
    response = post_event(client, "st_nosuchstore", "whsec_x", {"event": "order.cancelled", "order_id": "A"})
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"


def test_a_signature_time_centuries_away_is_refused_not_a_server_error(
    client: Client, store: tuple[str, str]
) -> None:
    response = post_event(client, *store, {"event": "order.cancelled", "order_id": "A"}, t=999_999_999_999)
    assert response.status_code == 401
    assert response.json()["code"] == "stale_signature"


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_signature_more_than_five_minutes_away_is_refused(
    client: Client, store: tuple[str, str], skew: int
) -> None:
    item = make_item()
    response = post_event(client, *store, paid("A-1", ("1", item, 1)), t=int(time.time()) + skew)
    assert response.status_code == 401
    assert response.json()["code"] == "stale_signature"
    assert not Gift.objects.exists()


def test_a_signature_inside_the_tolerance_is_accepted(client: Client, store: tuple[str, str]) -> None:
    item = make_item()
    response = post_event(client, *store, paid("A-1", ("1", item, 1)), t=int(time.time()) - 290)
    assert response.status_code == 202


def test_a_replayed_request_is_refused_and_records_once(client: Client, store: tuple[str, str]) -> None:
    item = make_item()
    store_id, secret = store
    body = json.dumps(paid("A-1", ("1", item, 1))).encode()
    header = sign(secret, body)
    answers = [
        client.post(
            f"/api/v1/stores/{store_id}/events",
            data=body,
            content_type="application/json",
            headers={"X-Gratitude-Signature": header},
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [202, 409]
    assert answers[1].json()["code"] == "replay"
    run_worker()
    assert Gift.objects.count() == 1 and StoreEvent.objects.count() == 1


def test_the_same_line_paid_twice_records_one_gift(client: Client, store: tuple[str, str]) -> None:
    item = make_item(quantity=5)
    first = post_event(client, *store, paid("A-1", ("1", item, 1)), t=int(time.time()) - 1)
    again = post_event(client, *store, paid("A-1", ("1", item, 1), ("2", item, 1)))
    # Both wait for the worker, which applies them in the order they came.
    assert StoreEvent.objects.filter(outcome=EventOutcome.PENDING).count() == 2
    assert outcome_of(first)["outcome"] == "recorded"
    assert outcome_of(again)["duplicate_lines"] == ["1"]
    assert len(outcome_of(again)["recorded_gifts"]) == 1
    assert Gift.objects.count() == 2
    assert StoreOrderLine.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_cancel_inside_the_settle_window_cancels_the_gift_and_no_alert_goes(
    client: Client, store: tuple[str, str], settings: Any, smtp_settings: Any
) -> None:
    settings.GRATITUDE_ALERT_SETTLE_SECONDS = 600
    item = make_item()
    post_event(client, *store, paid("A-7", ("1", item, 1)), t=int(time.time()) - 1)
    response = post_event(client, *store, {"event": "order.refunded", "order_id": "A-7"})
    assert outcome_of(response)["outcome"] == "cancelled"
    gift = Gift.objects.get()
    assert gift.state == GiftState.CANCELLED
    with time_machine.travel(time.time() + 3600, tick=False):
        call_command("worker", drain=True, verbosity=0)
    assert smtp_settings.messages == []
    assert not Notification.objects.filter(gift=gift, state="sent").exists()


def test_a_cancel_before_its_payment_is_remembered(client: Client, store: tuple[str, str]) -> None:
    item = make_item()
    early = post_event(
        client, *store, {"event": "order.cancelled", "order_id": "A-9"}, t=int(time.time()) - 1
    )
    assert outcome_of(early)["outcome"] == "remembered"
    late = post_event(client, *store, paid("A-9", ("1", item, 1)))
    assert late.status_code == 202
    assert outcome_of(late)["outcome"] == "already_cancelled"
    assert not Gift.objects.exists()


def test_a_line_cancel_before_its_payment_keeps_the_other_lines(
    client: Client, store: tuple[str, str]
) -> None:
    item = make_item(quantity=5)
    post_event(
        client,
        *store,
        {
            "event": "order.cancelled",
            "order_id": "A-3",
            "lines": [{"line_id": "2"}],
        },
        t=int(time.time()) - 1,
    )
    response = post_event(client, *store, paid("A-3", ("1", item, 1), ("2", item, 1)))
    assert len(outcome_of(response)["recorded_gifts"]) == 1
    assert Gift.objects.count() == 1


def test_a_forged_item_reference_is_422_and_records_nothing(client: Client, store: tuple[str, str]) -> None:
    item = make_item()
    payload = paid("A-1", ("1", item, 1))
    payload["lines"].append({"line_id": "2", "item_ref": f"{item.pk}:forged-signature", "quantity": 1})
    response = post_event(client, *store, payload)
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_item_ref"
    assert not Gift.objects.exists()
    assert StoreEvent.objects.get().outcome == EventOutcome.REJECTED


def test_a_reference_to_an_item_that_is_gone_is_422(client: Client, store: tuple[str, str]) -> None:
    payload = {
        "event": "order.paid",
        "order_id": "A-1",
        "buyer": {"name": "Sam"},
        "lines": [{"line_id": "1", "item_ref": item_ref_make(item_id=999_999), "quantity": 1}],
    }
    response = post_event(client, *store, payload)
    assert response.status_code == 422
    assert not Gift.objects.exists()


def test_a_later_line_the_list_refuses_rolls_back_the_whole_event(
    client: Client, store: tuple[str, str]
) -> None:
    plenty, scarce = make_item(quantity=5), make_item(quantity=1)
    response = post_event(client, *store, paid("A-1", ("1", plenty, 1), ("2", scarce, 2)))
    # How many are still wanted is the registry's answer when the worker applies the event.
    outcome = outcome_of(response)
    assert (outcome["outcome"], outcome["code"]) == ("rejected", "not_enough_wanted")
    assert not Gift.objects.exists() and not StoreOrderLine.objects.exists()
    assert StoreEvent.objects.get().detail.startswith("not_enough_wanted: ")


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"not json", 400),
        ({"event": "order.shipped", "order_id": "A-1"}, 422),
        ({"event": "order.paid", "order_id": "A-1"}, 422),
        (
            {"event": "order.paid", "order_id": "A-1", "buyer": {"name": "Sam"}, "lines": [{"line_id": "1"}]},
            422,
        ),
        ({"event": "order.cancelled", "order_id": "A-1", "extra": 1}, 422),
    ],
)
def test_a_malformed_event_is_refused_with_its_status(
    client: Client, store: tuple[str, str], payload: Any, status: int
) -> None:
    response = post_event(client, *store, payload)
    assert response.status_code == status
    assert set(response.json()) == {"code", "message", "errors"}


def test_a_boolean_quantity_is_refused(client: Client, store: tuple[str, str]) -> None:
    item = make_item()
    payload = paid("A-1", ("1", item, 1))
    payload["lines"][0]["quantity"] = True
    assert post_event(client, *store, payload).status_code == 422
    assert not Gift.objects.exists()


def test_buyer_words_obey_the_rules_of_our_pages(client: Client, store: tuple[str, str]) -> None:
    """gift_record checks the buyer's words (docs/safety.md promise 16): what it refuses is a 422 here."""
    item = make_item()
    response = post_event(client, *store, paid("A-1", ("1", item, 1), message="x" * 2001))
    outcome = outcome_of(response)
    assert (outcome["outcome"], outcome["code"]) == ("rejected", "refused")
    assert not Gift.objects.exists()


def test_the_previous_secret_verifies_after_a_rotation(client: Client, store: tuple[str, str]) -> None:
    from gratitude.api.models import Store

    store_id, old = store
    new = store_rotate(store=Store.objects.get(public_id=store_id))
    item = make_item(quantity=5)
    assert outcome_of(post_event(client, store_id, old, paid("A-1", ("1", item, 1))))["outcome"] == "recorded"
    assert outcome_of(post_event(client, store_id, new, paid("A-2", ("1", item, 1))))["outcome"] == "recorded"


def test_the_webhook_needs_no_csrf_token(store: tuple[str, str]) -> None:
    item = make_item()
    strict = Client(enforce_csrf_checks=True)
    assert post_event(strict, *store, paid("A-1", ("1", item, 1))).status_code == 202


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_line_record_one_gift(require_postgres: None) -> None:
    """Four differently signed deliveries of the same line at the same moment, applied by two workers at
    the same moment: the per-store claim, the unique (store, order, line) and the order lock let exactly
    one gift through."""
    row, secret = store_add(name="Racing shop")
    item = make_item(quantity=10)
    payload = paid("A-42", ("1", item, 1))
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def deliver(offset: int) -> None:
        try:
            barrier.wait()
            statuses.append(
                post_event(Client(), row.public_id, secret, payload, t=int(time.time()) - offset).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(202) == 4
    assert not Gift.objects.exists()

    applied: list[int] = []
    workers = threading.Barrier(2)

    def work() -> None:
        try:
            workers.wait()
            applied.append(run_worker())
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(applied) == 4
    assert Gift.objects.filter(item=item).count() == 1
    assert StoreOrderLine.objects.count() == 1
    outcomes = sorted(StoreEvent.objects.values_list("outcome", flat=True))
    assert outcomes == ["duplicate", "duplicate", "duplicate", "recorded"]


# --- Accept now, apply in the worker ------------------------------------------------------------------


def test_an_accepted_event_waits_for_the_worker_which_then_forgets_the_buyer(
    client: Client, store: tuple[str, str]
) -> None:
    item = make_item()
    response = post_event(client, *store, paid("A-1", ("1", item, 1), address="1 Secret Lane"))
    assert response.status_code == 202
    assert set(response.json()) == {"status", "event_id"}
    row = StoreEvent.objects.get()
    assert (row.outcome, row.status_code, row.processed_at) == (EventOutcome.PENDING, 202, None)
    assert "1 Secret Lane" in row.body
    assert not Gift.objects.exists()
    assert run_worker() == 1
    row.refresh_from_db()
    assert row.outcome == EventOutcome.RECORDED and row.processed_at is not None
    # The address is on the gift, for its registrants; the event keeps none of the buyer's details.
    assert row.body == "" and "Secret" not in row.detail
    assert Gift.objects.get().giver_address == "1 Secret Lane"
    assert run_worker() == 0


def test_events_arriving_together_share_one_wake_up(client: Client, store: tuple[str, str]) -> None:
    from django_tasks_db.models import DBTaskResult

    from gratitude.api.tasks import apply_store_events

    item = make_item(quantity=10)
    for n in range(5):
        assert post_event(client, *store, paid(f"A-{n}", ("1", item, 1))).status_code == 202
    assert DBTaskResult.objects.filter(task_path=apply_store_events.module_path).count() == 1
    run_worker()
    assert Gift.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_the_worker_sweep_applies_events_whose_wake_up_was_lost(
    client: Client, store: tuple[str, str]
) -> None:
    from django_tasks_db.models import DBTaskResult

    item = make_item()
    post_event(client, *store, paid("A-1", ("1", item, 1)))
    DBTaskResult.objects.all().delete()
    call_command("worker", drain=True, verbosity=0)
    assert StoreEvent.objects.get().outcome == EventOutcome.RECORDED
    assert Gift.objects.count() == 1


def test_an_item_deleted_before_the_worker_applies_its_event_is_refused_on_the_event(
    client: Client, store: tuple[str, str]
) -> None:
    item = make_item()
    response = post_event(client, *store, paid("A-1", ("1", item, 1)))
    assert response.status_code == 202
    item.delete()
    outcome = outcome_of(response)
    assert (outcome["outcome"], outcome["code"]) == ("rejected", "unknown_item_ref")
    assert not Gift.objects.exists() and not StoreOrderLine.objects.exists()


def test_a_forged_reference_is_refused_before_any_item_is_looked_up(
    client: Client, store: tuple[str, str]
) -> None:
    from django.test.utils import CaptureQueriesContext

    item = make_item()
    payload = paid("A-1", ("1", item, 1))
    payload["lines"][0]["item_ref"] = f"{item.pk}:forged-signature"
    with CaptureQueriesContext(connection) as queries:
        assert post_event(client, *store, payload).status_code == 422
    assert not [q for q in queries.captured_queries if "registries_item" in q["sql"]]


def test_unknown_references_cost_one_query_whatever_the_number_of_lines(
    client: Client, store: tuple[str, str]
) -> None:
    from django.test.utils import CaptureQueriesContext

    lines = [
        {"line_id": str(n), "item_ref": item_ref_make(item_id=900_000 + n), "quantity": 1} for n in range(20)
    ]
    payload = {"event": "order.paid", "order_id": "A-1", "buyer": {"name": "Sam"}, "lines": lines}
    with CaptureQueriesContext(connection) as queries:
        response = post_event(client, *store, payload)
    assert response.status_code == 422 and response.json()["code"] == "unknown_item_ref"
    assert len([q for q in queries.captured_queries if "registries_item" in q["sql"]]) == 1


def test_accepting_an_event_is_a_handful_of_statements(client: Client, store: tuple[str, str]) -> None:
    """The request verifies and stores; the gift's ~13 statements are the worker's (docs/benchmarks.md)."""
    from django.test.utils import CaptureQueriesContext

    item = make_item(quantity=10)
    post_event(client, *store, paid("A-0", ("1", item, 1)))  # the first queues the shared wake-up
    with CaptureQueriesContext(connection) as queries:
        assert post_event(client, *store, paid("A-1", ("1", item, 1), ("2", item, 1))).status_code == 202
    # The store, the items (one query), the event row, the shared wake-up's check, and the savepoint pair
    # the test's transaction turns the request's commit into.
    assert len(queries.captured_queries) <= 6, [q["sql"] for q in queries.captured_queries]


# --- The store reads an event's outcome ---------------------------------------------------------------


def _read(client: Client, store_id: str, secret: str, event_id: int, t: int | None = None) -> Any:
    path = f"/api/v1/stores/{store_id}/events/{event_id}"
    return client.get(path, headers={"X-Gratitude-Signature": sign(secret, path.encode(), t)})


def test_a_store_reads_what_its_event_did(client: Client, store: tuple[str, str]) -> None:
    item = make_item()
    event_id = post_event(client, *store, paid("A-1", ("1", item, 1))).json()["event_id"]
    pending = _read(client, *store, event_id)
    assert pending.status_code == 200
    assert (pending.json()["outcome"], pending.json()["processed_at"]) == ("pending", None)
    run_worker()
    done = _read(client, *store, event_id).json()
    assert done["outcome"] == "recorded" and done["recorded_gifts"] == [Gift.objects.get().pk]
    assert (done["event"], done["order_id"], done["code"]) == ("order.paid", "A-1", None)


def test_a_store_cannot_read_another_stores_event_or_read_unsigned(
    client: Client, store: tuple[str, str]
) -> None:
    other_row, other_secret = store_add(name="Other shop")
    event_id = post_event(client, *store, {"event": "order.cancelled", "order_id": "A-1"}).json()["event_id"]
    assert _read(client, other_row.public_id, other_secret, event_id).status_code == 404
    assert _read(client, store[0], other_secret, event_id).status_code == 401
    assert _read(client, *store, event_id, t=int(time.time()) - 400).status_code == 401
    # Signed for another path: refused.
    path = f"/api/v1/stores/{store[0]}/events/{event_id}"
    signature = sign(store[1], f"/api/v1/stores/{store[0]}/events/{event_id + 1}".encode())
    assert client.get(path, headers={"X-Gratitude-Signature": signature}).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_after_a_committed_event_the_next_second_skips_even_the_wake_up_check(
    client: Client, store: tuple[str, str]
) -> None:
    from django.test.utils import CaptureQueriesContext

    item = make_item(quantity=10)
    post_event(client, *store, paid("A-0", ("1", item, 1)))
    with CaptureQueriesContext(connection) as queries:
        assert post_event(client, *store, paid("A-1", ("1", item, 1))).status_code == 202
    assert not [q for q in queries.captured_queries if "django_tasks_database" in q["sql"]]
    run_worker()
    assert Gift.objects.count() == 2


# --- The machine path (config/wsgi.py) -----------------------------------------------------------------


def test_gunicorn_s_application_answers_the_webhook_on_the_machine_path(store: tuple[str, str]) -> None:
    """The short path: no session or CSRF cookie, the request id, the JSON security headers, the same
    answers as django-ninja's operation."""
    from gratitude.api.webhook import JSON_CSP

    item = make_item()
    machine = post_event(WsgiClient(), *store, paid("A-1", ("1", item, 1)))
    full = post_event(Client(), *store, paid("A-2", ("1", item, 1)))
    assert machine.status_code == full.status_code == 202
    assert machine.json()["status"] == full.json()["status"] == "accepted"
    assert "set-cookie" not in machine.headers
    assert machine["X-Request-ID"] and machine["X-Content-Type-Options"] == "nosniff"
    assert machine["Content-Security-Policy"] == full["Content-Security-Policy"] == JSON_CSP
    assert machine["X-Frame-Options"] == "DENY"
    refused = [
        post_event(c, store[0], "whsec_wrong", paid("A-3", ("1", item, 1))) for c in (WsgiClient(), Client())
    ]
    assert [r.status_code for r in refused] == [401, 401]
    assert (
        refused[0].json()
        == refused[1].json()
        == {
            "code": "bad_signature",
            "message": "The signature is missing or does not match.",
            "errors": [],
        }
    )
    assert refused[0]["Content-Type"] == refused[1]["Content-Type"]


def test_other_methods_and_addresses_keep_the_full_application(store: tuple[str, str]) -> None:
    client = WsgiClient()
    # Only POST takes the machine path; a GET is django-ninja's 405, with the pages' CSP middleware.
    assert client.get(f"/api/v1/stores/{store[0]}/events").status_code == 405
    assert client.get("/api/v1/openapi.json").status_code == 200
    # Another address under the store is the full application's (here the event read's 405 to a POST).
    assert client.post(f"/api/v1/stores/{store[0]}/events/1", b"{}", "application/json").status_code == 405


def test_the_webhook_is_still_documented_in_the_openapi_schema() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/stores/{store_id}/events"]["post"]
    assert set(operation["responses"]) == {"202", "400", "401", "409", "422"}
    assert any(p["name"] == "X-Gratitude-Signature" for p in operation["parameters"])


def test_a_rotated_secret_takes_effect_on_the_next_request(client: Any, store: tuple[str, str]) -> None:
    """Nothing about a store is kept between requests: its new secret verifies at once."""
    from gratitude.api.models import Store

    item = make_item()
    assert post_event(client, *store, paid("A-1", ("1", item, 1))).status_code == 202
    new_secret = store_rotate(store=Store.objects.get(public_id=store[0]))
    assert post_event(client, store[0], new_secret, paid("A-2", ("1", item, 1))).status_code == 202
    with time_machine.travel(time.time() + 25 * 3600, tick=False):
        # After the grace period the old secret no longer verifies, on the very next request.
        old = post_event(client, *store, paid("A-3", ("1", item, 1)))
        assert old.status_code == 401


def test_a_removed_store_is_refused_on_the_next_request(client: Any) -> None:
    from gratitude.api.models import Store

    row, secret = store_add(name="Gone shop")
    item = make_item()
    assert post_event(client, row.public_id, secret, b'{"event": "x"}').status_code == 422
    StoreEvent.objects.filter(store=row).delete()
    Store.objects.filter(pk=row.pk).delete()
    response = post_event(client, row.public_id, secret, paid("A-1", ("1", item, 1)))
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"


def test_the_machine_path_s_refusals_carry_the_strict_headers_and_store_nothing(
    store: tuple[str, str], settings: Any
) -> None:
    """Errors answered by the layers around the view (a NUL in the path, a Host we do not serve, a body
    over the size limit) get the strict CSP and Permissions-Policy too, as the full app's errors get the
    site's, and record nothing."""
    from gratitude.api.webhook import JSON_CSP

    item = make_item()
    body = json.dumps(paid("A-1", ("1", item, 1))).encode()
    signed = {"X-Gratitude-Signature": sign(store[1], body)}
    client = WsgiClient()
    nul = client.post(f"/api/v1/stores/{store[0]}\x00/events", body, "application/json", signed)
    stranger_host = client.post(
        f"/api/v1/stores/{store[0]}/events", body, "application/json", {**signed, "Host": "evil.example"}
    )
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    too_large = client.post(f"/api/v1/stores/{store[0]}/events", body, "application/json", signed)

    for response in (nul, stranger_host, too_large):
        assert response.status_code == 400
        assert response["Content-Security-Policy"] == JSON_CSP
        assert response["Permissions-Policy"] == settings.PERMISSIONS_POLICY
    assert StoreEvent.objects.count() == 0


@pytest.mark.parametrize("where", ["order_id", "line_id", "buyer_name", "buyer_message"])
def test_a_nul_in_any_field_is_refused_422_and_records_nothing(
    client: Any, store: tuple[str, str], where: str
):
    # PostgreSQL cannot keep a NUL in text: it must be refused as bad input, not fail later as a 500.
    item = make_item()
    payload = paid("A-1", ("1", item, 1))
    if where == "order_id":
        payload["order_id"] = "A-\x001"
    elif where == "line_id":
        payload["lines"][0]["line_id"] = "1\x00"
    else:
        payload["buyer"][where.removeprefix("buyer_")] = "Robin\x00"

    response = post_event(client, *store, payload)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_event"
    assert StoreEvent.objects.get().outcome == EventOutcome.REJECTED  # kept for operators, as refused
    run_worker()
    assert not Gift.objects.exists()
