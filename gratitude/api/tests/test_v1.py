"""API v1: every read scoped to the caller as the pages are (surprise mode included), tokens (hashed, read vs
write, revoked, rate-limited), CSRF for browser sessions, cursor pages, the one error shape, staff controls
audited, and integers that refuse booleans."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from gratitude.accounts.models import User
from gratitude.api.models import ApiToken
from gratitude.api.services import api_token_create, api_token_revoke, token_hash
from gratitude.gifts.models import Gift, GiftSource
from gratitude.operations.models import AuditEntry, SendControl
from gratitude.registries.item_refs import item_ref_read
from gratitude.registries.models import Surprise
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.thanks.models import ThankYou

pytestmark = pytest.mark.django_db


def bearer(user: User, scope: str = "write") -> dict[str, str]:
    _, raw = api_token_create(user=user, name="test", scope=scope)
    return {"Authorization": f"Bearer {raw}"}


def post(client: Client, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_a_token_is_stored_only_as_its_hash_and_notes_its_last_use(client: Client) -> None:
    user = make_user()
    token, raw = api_token_create(user=user, name="script", scope="read")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in {stored.key_hash, stored.prefix, stored.name}
    assert stored.key_hash == token_hash(raw)
    assert stored.last_used_at is None
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["email"] == user.email and response.json()["scope"] == "read"
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_revoked_or_made_up_token_is_401(client: Client) -> None:
    user = make_user()
    token, raw = api_token_create(user=user, name="old")
    api_token_revoke(token=token, by=user)
    for header in (f"Bearer {raw}", "Bearer grt_madeup", "Basic dXNlcjpwYXNz"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    assert client.get("/api/v1/me").status_code == 401


def test_someone_elses_registry_reads_like_one_that_does_not_exist(client: Client) -> None:
    mine, theirs = make_registry(), make_registry()
    owner = mine.members.get().user
    headers = bearer(owner)
    listed = client.get("/api/v1/registries", headers=headers).json()
    assert [r["id"] for r in listed["items"]] == [mine.pk]
    for path in ("", "/items", "/gifts", "/thank-you", "/thank-you/export"):
        response = client.get(f"/api/v1/registries/{theirs.pk}{path}", headers=headers)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "message": "Not found.", "errors": []}


def test_surprise_mode_hides_what_and_who_from_registrants_exactly_as_the_pages(client: Client) -> None:
    registry = make_registry(surprise=Surprise.COVERED_ONLY)
    owner = registry.members.get().user
    item = make_item(registry=registry, quantity=3)
    make_gift(item=item, giver_name="Secret Giver")
    headers = bearer(owner)
    gifts = client.get(f"/api/v1/registries/{registry.pk}/gifts", headers=headers).json()
    assert gifts["items"] == [] and gifts["hidden"] == 1
    thanks = client.get(f"/api/v1/registries/{registry.pk}/thank-you", headers=headers).json()["items"]
    assert thanks[0]["giver_name"] is None and thanks[0]["item_title"] is None
    items = client.get(f"/api/v1/registries/{registry.pk}/items", headers=headers).json()["items"]
    assert items[0]["still_wanted"] is None
    export = client.get(f"/api/v1/registries/{registry.pk}/thank-you/export", headers=headers)
    assert export.status_code == 422
    assert b"Secret Giver" not in export.content
    shared = client.get(f"/api/v1/shared/{registry.share_key}", headers=headers).json()
    assert shared["items"][0]["still_wanted"] is None
    # A giver (no token) sees what is still wanted, as on the share page.
    assert Client().get(f"/api/v1/shared/{registry.share_key}").json()["items"][0]["still_wanted"] == 2


def test_the_public_view_carries_signed_buy_links_and_hides_private_registries(client: Client) -> None:
    registry = make_registry(visibility="link")
    item = make_item(registry=registry, url="https://shop.example/p/1?colour=red")
    body = client.get(f"/api/v1/shared/{registry.share_key}").json()
    buy = body["items"][0]["buy_url"]
    assert buy.startswith("https://shop.example/p/1?colour=red&gratitude_ref=")
    from urllib.parse import parse_qs, urlsplit

    assert item_ref_read(parse_qs(urlsplit(buy).query)["gratitude_ref"][0]) == item.pk
    private = make_registry(visibility="private")
    assert client.get(f"/api/v1/shared/{private.share_key}").status_code == 404
    assert client.get("/api/v1/shared/not-a-key").status_code == 404


def test_the_share_page_buy_link_carries_the_same_signed_reference(client: Client) -> None:
    registry = make_registry()
    item = make_item(registry=registry, url="https://shop.example/p/9")
    page = client.get(f"/r/{registry.share_key}/").content.decode()
    assert "https://shop.example/p/9?gratitude_ref=" in page
    start = page.index("gratitude_ref=") + len("gratitude_ref=")
    ref = page[start : page.index('"', start)]
    from urllib.parse import unquote

    assert item_ref_read(unquote(ref)) == item.pk


def test_a_read_token_cannot_change_anything(client: Client) -> None:
    registry = make_registry()
    owner = registry.members.get().user
    response = post(
        client, f"/api/v1/registries/{registry.pk}/items", {"title": "Kettle"}, bearer(owner, "read")
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert registry.items.count() == 0


def test_a_write_token_adds_items_and_gives_through_the_services(client: Client) -> None:
    registry = make_registry()
    owner = registry.members.get().user
    headers = bearer(owner)
    added = post(
        client, f"/api/v1/registries/{registry.pk}/items", {"title": "Kettle", "quantity": 2}, headers
    )
    assert added.status_code == 201
    item_id = added.json()["id"]
    giver = bearer(make_user())
    gift = post(
        client, f"/api/v1/shared/{registry.share_key}/items/{item_id}/gifts", {"giver_name": "Ann"}, giver
    )
    assert gift.status_code == 201
    assert Gift.objects.get().source == GiftSource.API
    too_many = post(
        client,
        f"/api/v1/shared/{registry.share_key}/items/{item_id}/reservations",
        {"giver_name": "Bo", "quantity": 5},
        giver,
    )
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "not_enough_wanted"


@pytest.mark.parametrize("field", ["giver_name", "message", "giver_address"])
def test_a_nul_in_a_givers_words_is_a_422_on_the_field_and_records_nothing(client: Client, field) -> None:
    """PostgreSQL refuses a NUL in text; the API must say so on the field (422), never answer 500
    (found by Schemathesis: a giver name holding \\u0000)."""
    registry = make_registry()
    item = make_item(registry=registry)
    body = {"giver_name": "Ann", field: "Ann\x00 again"}
    answer = post(
        client, f"/api/v1/shared/{registry.share_key}/items/{item.pk}/gifts", body, bearer(make_user())
    )
    assert answer.status_code == 422, answer.content
    refusal = answer.json()
    assert refusal["code"] == "refused"
    assert refusal["message"].startswith(f"{field}: ") and "NUL" in refusal["message"]
    assert not Gift.objects.exists()


def test_gifts_and_holds_through_the_api_share_the_share_pages_hourly_budget(
    client: Client, settings
) -> None:
    """A token is no way round the limit on scripted fake gifts: past GRATITUDE_GUEST_ACTIONS_PER_HOUR,
    holds and gifts through a share key are 429 and record nothing."""
    settings.GRATITUDE_GUEST_ACTIONS_PER_HOUR = 2
    item = make_item(quantity=10)
    share_key = item.registry.share_key
    giver = bearer(make_user())
    base = f"/api/v1/shared/{share_key}/items/{item.pk}"
    assert post(client, f"{base}/gifts", {"giver_name": "Ann"}, giver).status_code == 201
    assert post(client, f"{base}/reservations", {"giver_name": "Ann"}, giver).status_code == 201
    refused = [
        post(client, f"{base}/gifts", {"giver_name": "Ann"}, giver),
        post(client, f"{base}/reservations", {"giver_name": "Ann"}, giver),
    ]
    assert [response.status_code for response in refused] == [429, 429]
    assert Gift.objects.count() == 1 and item.reservations.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Kettle", "quantity": True},
        {"title": "Kettle", "quantity": "2"},
        {"title": "Kettle", "colour": "red"},
        {"title": ""},
    ],
)
def test_bad_input_is_422_with_the_field_named(client: Client, body: dict[str, Any]) -> None:
    registry = make_registry()
    response = post(
        client, f"/api/v1/registries/{registry.pk}/items", body, bearer(registry.members.get().user)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"][0]["field"]
    assert registry.items.count() == 0


def test_a_body_that_is_not_json_is_a_4xx_in_the_one_shape(client: Client) -> None:
    registry = make_registry()
    response = client.post(
        f"/api/v1/registries/{registry.pk}/items",
        data=b"{not json",
        content_type="application/json",
        headers=bearer(registry.members.get().user),
    )
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"code", "message", "errors"}


def test_cursor_pages_cover_every_row_once_and_refuse_made_up_cursors(client: Client) -> None:
    registry = make_registry()
    for n in range(7):
        make_item(registry=registry, title=f"Thing {n}")
    headers = bearer(registry.members.get().user)
    seen: list[int] = []
    cursor = None
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = client.get(f"/api/v1/registries/{registry.pk}/items{query}", headers=headers).json()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(registry.items.values_list("pk", flat=True))
    assert len(seen) == 7
    bad = client.get(f"/api/v1/registries/{registry.pk}/items?cursor=123", headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"
    assert (
        client.get(f"/api/v1/registries/{registry.pk}/items?limit=true", headers=headers).status_code == 422
    )


def test_thank_you_marks_only_the_callers_registry(client: Client) -> None:
    registry, other = make_registry(), make_registry()
    mine = make_gift(item=make_item(registry=registry))
    theirs = make_gift(item=make_item(registry=other))
    headers = bearer(registry.members.get().user)
    response = post(
        client,
        f"/api/v1/registries/{registry.pk}/thank-you/mark",
        {"gift_ids": [mine.pk, theirs.pk], "status": "sent"},
        headers,
    )
    assert response.json() == {"changed": 1}
    assert ThankYou.objects.get().gift_id == mine.pk
    export = client.get(f"/api/v1/registries/{registry.pk}/thank-you/export", headers=headers)
    assert export["Content-Type"].startswith("text/csv")
    assert "Robin Giver" in export.getvalue().decode()


def test_a_signed_in_session_needs_the_csrf_token_to_change_anything() -> None:
    registry = make_registry()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(registry.members.get().user)
    path = f"/api/v1/registries/{registry.pk}/items"
    refused = browser.post(path, data=json.dumps({"title": "Kettle"}), content_type="application/json")
    assert refused.status_code == 403
    assert registry.items.count() == 0
    assert browser.get(path).status_code == 200  # reads need no token
    browser.get("/accounts/api-tokens/")
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        path,
        data=json.dumps({"title": "Kettle"}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert accepted.status_code == 201


def test_each_token_is_rate_limited_and_told_when_to_come_back(client: Client, settings: Any) -> None:
    settings.GRATITUDE_API_REQUESTS_PER_MINUTE = 3
    user = make_user()
    first, second = bearer(user), bearer(user)
    codes = [client.get("/api/v1/me", headers=first).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/me", headers=first)
    assert limited.json()["code"] == "rate_limited" and limited["Retry-After"] == "60"
    assert client.get("/api/v1/me", headers=second).status_code == 200


def test_the_reference_check_answers_only_the_recipient_and_is_limited_per_hour(
    client: Client, settings: Any
) -> None:
    headers = bearer(make_user())
    response = post(client, "/api/v1/notifications/check", {"code": "ABCDEFGHJK"}, headers)
    assert response.json() == {"found": False, "message": None}
    settings.GRATITUDE_REFERENCE_CHECKS_PER_HOUR = 1
    limited = post(client, "/api/v1/notifications/check", {"code": "ABCDEFGHJK"}, headers)
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert client.get("/api/v1/notifications", headers=headers).json() == {"items": [], "next_cursor": None}


def test_staff_send_controls_go_through_the_audited_services(client: Client) -> None:
    operator = make_user()
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    headers = bearer(operator)
    halted = post(
        client, "/api/v1/ops/sends/halt", {"kind": "gift_alert", "reason": "checking a bug"}, headers
    )
    assert halted.status_code == 200
    assert SendControl.objects.get(kind="gift_alert").halted
    status = client.get("/api/v1/ops/sends", headers=headers).json()
    assert status["kinds"]["gift_alert"]["halted"] is True
    assert post(client, "/api/v1/ops/sends/resume", {"kind": "gift_alert"}, headers).json()["released"] == 0
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "actor"))
    assert actions == [("sends.halt", f"staff:{operator.email}"), ("sends.resume", f"staff:{operator.email}")]
    no_reason = post(client, "/api/v1/ops/sends/halt", {"kind": "gift_alert"}, headers)
    assert no_reason.status_code == 422


def test_send_controls_are_for_staff_only(client: Client) -> None:
    headers = bearer(make_user())
    assert client.get("/api/v1/ops/sends", headers=headers).status_code == 403
    assert post(client, "/api/v1/ops/sends/halt", {"reason": "x"}, headers).status_code == 403
    assert not SendControl.objects.exists()


def test_the_docs_page_loads_nothing_from_another_site(client: Client) -> None:
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "http://" not in page and "https://" not in page

    def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys in the OpenAPI document: {keys}"
        return dict(pairs)

    # Swagger UI refuses a document with a key twice (it once had "200" twice for the CSV export).
    schema = json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicate_keys)
    assert schema["info"]["title"] == "Gratitude API"


def test_an_id_too_large_for_the_database_is_422_not_a_server_error(client: Client) -> None:
    """Found by schemathesis: a path id past 64 bits reached SQLite and overflowed."""
    headers = bearer(make_user())
    response = client.get("/api/v1/registries/27891458766009077334016", headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("registry_id")


def test_a_paused_registry_shows_givers_nothing_through_the_api(client: Client) -> None:
    """As its share page does (docs/quiet-mode.md): a few neutral facts, no items, nothing to give."""
    from gratitude.registries.services.pause import registry_pause

    registry = make_registry()
    item = make_item(registry=registry, url="https://shop.example/p/1")
    registry_pause(registry=registry, by=registry.members.get().user)
    body = client.get(f"/api/v1/shared/{registry.share_key}").json()
    assert body["resting"] is True and body["items"] == [] and body["welcome_note"] == ""
    giver = bearer(make_user())
    response = post(
        client, f"/api/v1/shared/{registry.share_key}/items/{item.pk}/gifts", {"giver_name": "Ann"}, giver
    )
    assert response.status_code == 404
    assert not Gift.objects.exists()


def test_the_public_view_refuses_a_wrong_token_and_limits_anonymous_callers(
    client: Client, settings: Any
) -> None:
    registry = make_registry()
    path = f"/api/v1/shared/{registry.share_key}"
    assert client.get(path, headers={"Authorization": "Bearer grt_wrong"}).status_code == 401
    settings.GRATITUDE_API_REQUESTS_PER_MINUTE = 2
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]
