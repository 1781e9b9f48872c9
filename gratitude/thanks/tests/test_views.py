"""The Thank You List pages: what each gift shows, statuses and progress, bulk marks and undo, filters, the
giver view, a gift's own page, asking for an address, what a surprise registry hides, and who gets a 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gratitude.gifts.services import gift_cancel, gift_mark_received
from gratitude.notifications.models import Notification
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.thanks.models import EnteredAddress, ThankYou
from gratitude.thanks.services import thank_you_mark, thank_you_note_set

pytestmark = pytest.mark.django_db


def _thanks(client, registry, **params):
    return client.get(reverse("thanks:list", args=[registry.pk]), params)


def _mark(client, registry, action, gifts=(), givers=(), **extra):
    data = {"action": action, "gift": [g.pk for g in gifts], "giver": list(givers), **extra}
    return client.post(reverse("thanks:mark", args=[registry.pk]), data)


def _rows(response) -> int:
    return response.content.decode().count('data-testid="gift-row"')


def _status(gift) -> str:
    record = ThankYou.objects.filter(gift=gift).first()
    return record.status if record else "todo"


@pytest.fixture
def alex(client):
    """Alex's registry, logged in as Alex."""
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Alex's birthday")
    client.force_login(owner)
    return owner, registry


# --- what the list shows ------------------------------------------------------------------------------------


def test_the_list_shows_item_giver_message_and_date_of_each_active_gift(client, alex):
    _, registry = alex
    item = make_item(registry=registry, title="Cast-iron casserole")
    with time_machine.travel(datetime(2031, 3, 14, 12, 0, tzinfo=UTC), tick=False):
        make_gift(item=item, giver_name="Robin Giver", message="For many dinners together", quantity=2)

    response = _thanks(client, registry)

    assert response.status_code == 200
    content = response.content.decode()
    assert "2 × Cast-iron casserole" in content
    assert "Robin Giver" in content
    assert "For many dinners together" in content
    assert "14 Mar 2031" in content
    assert _rows(response) == 1


def test_the_list_shows_address_received_date_status_and_note(client, alex):
    owner, registry = alex
    gift = make_gift(
        item=make_item(registry=registry), giver_name="Robin", giver_address="1 Main St\nSpringfield"
    )
    with time_machine.travel(datetime(2031, 4, 2, 9, 0, tzinfo=UTC), tick=False):
        gift_mark_received(gift=gift)
        thank_you_mark(gifts=[gift], status="sent", by=owner)
    thank_you_note_set(gift=gift, note="Mention the picnic", by=owner)

    content = _thanks(client, registry).content.decode()

    assert '<div class="address" data-testid="address">1 Main St\nSpringfield</div>' in content
    assert content.count("2 Apr 2031") == 2  # received, and the note sent
    assert ">Sent</span>" in content
    assert "Mention the picnic" in content


def test_the_list_hides_cancelled_gifts_and_other_registries(client, alex):
    owner, registry = alex
    item = make_item(registry=registry)
    make_gift(item=item, giver_name="Kept Giver")
    gift_cancel(gift=make_gift(item=item, giver_name="Cancelled Giver"), reason="returned")
    make_gift(item=make_item(registry=make_registry(owner=owner)), giver_name="Other Registry Giver")

    response = _thanks(client, registry)

    content = response.content.decode()
    assert "Kept Giver" in content
    assert "Cancelled Giver" not in content and "Other Registry Giver" not in content
    assert _rows(response) == 1


def test_a_co_registrant_and_a_delegate_see_the_list_too(client):
    registry = make_registry()
    partner, helper = make_user(), make_user()
    registry_member_add(registry=registry, user=partner)
    registry_member_add(registry=registry, user=helper, role="delegate")
    make_gift(item=make_item(registry=registry), giver_name="Robin Giver")

    for member in (partner, helper):
        client.force_login(member)
        response = _thanks(client, registry)
        assert response.status_code == 200
        assert "Robin Giver" in response.content.decode()


def test_the_progress_bar_counts_gifts_thanked_and_givers_fully_thanked(client, alex):
    owner, registry = alex
    item = make_item(registry=registry, quantity=10)
    robin = [make_gift(item=item, giver_name="Robin", giver_email="robin@example.test") for _ in range(2)]
    kim = make_gift(item=item, giver_name="Kim", giver_email="")
    make_gift(item=item, giver_name="Sam", giver_email="sam@example.test")
    thank_you_mark(gifts=robin, status="sent", by=owner)
    thank_you_mark(gifts=[kim], status="written", by=owner)

    content = _thanks(client, registry).content.decode()

    assert "4 gifts from 3 givers" in content
    assert "2 of 4 thanked" in content
    assert "1 written, not yet sent" in content
    assert "1 of 3 givers fully thanked" in content
    assert '<progress max="4" value="2"' in content


def test_the_list_escapes_what_givers_and_members_typed(client, alex):
    owner, registry = alex
    gift = make_gift(
        item=make_item(registry=registry),
        giver_name="<img src=x onerror=alert(1)>",
        message="<script>alert('hi')</script>",
        giver_address="<b>1 Main St</b>",
    )
    thank_you_note_set(gift=gift, note="<i>note</i>", by=owner)

    content = _thanks(client, registry).content.decode()

    assert "<img src=x" not in content and "<script>alert(" not in content
    assert "<b>1 Main St" not in content and "<i>note" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in content


def test_an_empty_list_says_so(client, alex):
    _, registry = alex

    assert "No gifts yet." in _thanks(client, registry).content.decode()


def test_a_long_list_is_paged(client, alex, monkeypatch):
    from gratitude.thanks import selectors

    monkeypatch.setattr(selectors, "GIFTS_PER_PAGE", 2)
    _, registry = alex
    item = make_item(registry=registry, quantity=10)
    for n in range(5):
        make_gift(item=item, giver_name=f"Giver {n}")

    first, last = _thanks(client, registry), _thanks(client, registry, page=3)

    assert _rows(first) == 2 and _rows(last) == 1
    assert "Page 1 of 3" in first.content.decode()
    assert "Giver 0" in last.content.decode()  # oldest last


# --- marks and undo -----------------------------------------------------------------------------------------


def test_bulk_marking_changes_the_ticked_gifts_and_offers_undo_once(client, alex):
    _, registry = alex
    item = make_item(registry=registry, quantity=10)
    gifts = [make_gift(item=item, giver_name=f"Giver {n}") for n in range(3)]

    response = _mark(client, registry, "sent", gifts=gifts[:2], query="status=todo")

    assert response.status_code == 302
    assert response["Location"] == reverse("thanks:list", args=[registry.pk]) + "?status=todo"
    assert [_status(g) for g in gifts] == ["sent", "sent", "todo"]
    page = client.get(response["Location"]).content.decode()
    assert "Marked 2 gifts sent." in page
    assert "2 marked sent." in page and ">Undo</button>" in page
    assert ">Undo</button>" not in _thanks(client, registry).content.decode()  # offered once

    found = re.search(r'name="batch" value="([0-9a-f-]+)"', page)
    assert found is not None
    batch = found.group(1)
    undone = client.post(reverse("thanks:undo", args=[registry.pk]), {"batch": batch, "query": "status=todo"})

    assert undone.status_code == 302
    assert [_status(g) for g in gifts] == ["todo", "todo", "todo"]
    assert "Undone: 2 gifts back as before." in client.get(undone["Location"]).content.decode()


def test_marking_with_nothing_ticked_says_what_to_fix(client, alex):
    _, registry = alex
    make_gift(item=make_item(registry=registry))

    response = _mark(client, registry, "sent")

    assert response.status_code == 400
    assert "Tick at least one gift first." in response.content.decode()


def test_an_unknown_action_is_refused(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry))

    response = _mark(client, registry, "delete", gifts=[gift])

    assert response.status_code == 400
    assert _status(gift) == "todo"


def test_a_gift_of_another_registry_slipped_into_a_mark_is_left_alone(client, alex):
    _, registry = alex
    ours = make_gift(item=make_item(registry=registry))
    theirs = make_gift()

    response = _mark(client, registry, "sent", gifts=[ours, theirs])

    assert response.status_code == 302
    assert (_status(ours), _status(theirs)) == ("sent", "todo")


def test_marking_received_from_the_list(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry))

    _mark(client, registry, "received", gifts=[gift])
    gift.refresh_from_db()
    assert gift.received_at is not None

    _mark(client, registry, "not_received", gifts=[gift])
    gift.refresh_from_db()
    assert gift.received_at is None


def test_marking_from_a_gift_page_comes_back_to_it(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry))

    response = _mark(client, registry, "written", gifts=[gift], back_to_gift=gift.pk)

    assert response["Location"] == reverse("thanks:gift", args=[registry.pk, gift.pk])
    assert _status(gift) == "written"


def test_coming_back_after_a_mark_carries_only_known_filters(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry))

    response = _mark(
        client, registry, "sent", gifts=[gift], query="status=todo&next=https://evil.example&page=2"
    )

    assert response["Location"] == reverse("thanks:list", args=[registry.pk]) + "?status=todo&page=2"


# --- filters, search and the giver view ---------------------------------------------------------------------


@pytest.fixture
def mixed(alex):
    owner, registry = alex
    item = make_item(registry=registry, quantity=20, title="Teapot")
    with time_machine.travel(datetime(2031, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        early = make_gift(item=item, giver_name="Robin", giver_email="robin@example.test", message="Cheers!")
    with time_machine.travel(datetime(2031, 3, 20, 12, 0, tzinfo=UTC), tick=False):
        late = make_gift(item=item, giver_name="Robin", giver_email="robin@example.test")
        kim = make_gift(
            item=make_item(registry=registry, title="Vase"), giver_name="Kim  Lee", giver_email=""
        )
        kim_again = make_gift(item=item, giver_name="kim lee", giver_email="")
    thank_you_mark(gifts=[early], status="sent", by=owner)
    thank_you_mark(gifts=[kim], status="written", by=owner)
    gift_mark_received(gift=late)
    thank_you_note_set(gift=kim_again, note="the green one", by=owner)
    return registry, {"early": early, "late": late, "kim": kim, "kim_again": kim_again}


def _shown(response, gifts) -> set[str]:
    content = response.content.decode()
    return {name for name, gift in gifts.items() if f'name="gift" value="{gift.pk}"' in content}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "todo"}, {"late", "kim_again"}),
        ({"status": "written"}, {"kim"}),
        ({"status": "sent"}, {"early"}),
        ({"received": "yes"}, {"late"}),
        ({"received": "no"}, {"early", "kim", "kim_again"}),
        ({"given_from": "2031-03-10"}, {"late", "kim", "kim_again"}),
        ({"given_to": "2031-03-10"}, {"early"}),
        ({"giver": "e:robin@example.test"}, {"early", "late"}),
        ({"giver": "n:kim lee"}, {"kim", "kim_again"}),
        ({"q": "vase"}, {"kim"}),
        ({"q": "cheers"}, {"early"}),
        ({"q": "green"}, {"kim_again"}),
        ({"q": "robin@"}, {"early", "late"}),
        ({"status": "todo", "q": "teapot"}, {"late", "kim_again"}),
    ],
)
def test_filters_and_search(client, mixed, params, expected):
    registry, gifts = mixed

    response = _thanks(client, registry, **params)

    assert response.status_code == 200
    assert _shown(response, gifts) == expected


def test_a_backwards_date_range_says_what_to_fix(client, mixed):
    registry, _ = mixed

    response = _thanks(client, registry, given_from="2031-03-20", given_to="2031-03-01")

    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_the_giver_view_shows_each_giver_once_with_all_their_gifts(client, mixed):
    registry, _ = mixed

    response = _thanks(client, registry, view="givers")

    content = response.content.decode()
    assert content.count('data-testid="giver-card"') == 2  # Robin, and Kim under two spellings
    assert content.count('data-testid="giver-gift"') == 4
    assert 'value="e:robin@example.test"' in content and 'value="n:kim lee"' in content


def test_marking_a_giver_marks_all_their_gifts_together(client, mixed):
    registry, gifts = mixed

    response = _mark(client, registry, "sent", givers=["n:kim lee"], query="view=givers")

    assert response.status_code == 302 and response["Location"].endswith("?view=givers")
    assert (_status(gifts["kim"]), _status(gifts["kim_again"])) == ("sent", "sent")
    assert _status(gifts["late"]) == "todo"


# --- surprise -----------------------------------------------------------------------------------------------


def test_with_covered_only_the_list_shows_neither_item_nor_giver_and_says_so(client):
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only", title="Baby shower")
    item = make_item(registry=registry, title="Rocking horse")
    gift = make_gift(
        item=item,
        giver_name="Jordan Secret",
        giver_email="jordan@example.test",
        message="A secret note",
        giver_address="7 Hidden Lane",
    )
    thank_you_note_set(gift=gift, note="the rocking horse", by=owner)
    client.force_login(owner)

    for params in ({}, {"q": "Jordan"}, {"view": "givers"}, {"giver": "e:jordan@example.test"}):
        response = _thanks(client, registry, **params)
        assert response.status_code == 200
        content = response.content.decode()
        for secret in ("Rocking horse", "Jordan", "jordan@example.test", "A secret note", "7 Hidden Lane"):
            assert secret not in content
        assert "rocking horse" not in content  # the note says what, too
        assert "A covered item" in content
        assert "keep gifts a surprise" in content
        assert _rows(response) == 1  # search and giver filters wait for the reveal

    detail = client.get(reverse("thanks:gift", args=[registry.pk, gift.pk])).content.decode()
    assert "Jordan" not in detail and "Rocking horse" not in detail and "A covered item" in detail


@pytest.mark.parametrize("key", ["e:jordan@example.test", "n:jordan lee"])
def test_with_covered_only_a_giver_key_tells_nothing_about_who_gave(client, key):
    """Marking "all of a giver's gifts" by a guessed key must not answer differently for a real giver:
    while details are hidden, giver keys are ignored (nothing is marked, the same answer for anyone)."""
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only")
    address = "jordan@example.test" if key.startswith("e:") else ""
    gift = make_gift(item=make_item(registry=registry), giver_name="Jordan Lee", giver_email=address)
    client.force_login(owner)

    real = _mark(client, registry, "received", givers=[key], query="")
    real_page = client.get(real["Location"]).content.decode()
    guessed = _mark(client, registry, "received", givers=["e:nobody@example.test"], query="")
    guessed_page = client.get(guessed["Location"]).content.decode()

    gift.refresh_from_db()
    assert gift.received_at is None
    assert "Marked 1" not in real_page
    assert real.status_code == guessed.status_code
    assert _banner(real_page) == _banner(guessed_page)


def _banner(page: str) -> list[str]:
    return re.findall(r'<div class="message[^"]*" role="status">([^<]*)</div>', page)


@pytest.mark.parametrize("gift_id", ["99999999999999999999999", "-1", "²", "1e3", "9223372036854775808"])
def test_marking_a_gift_id_past_what_the_database_holds_is_a_400_with_a_message(client, alex, gift_id):
    _owner, registry = alex
    gift = make_gift(item=make_item(registry=registry))

    response = _mark(client, registry, "received", gifts=[], gift=[gift_id])

    assert response.status_code == 400
    assert "not on this list" in response.content.decode()
    gift.refresh_from_db()
    assert gift.received_at is None


def test_after_the_reveal_date_the_list_shows_everything(client):
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only")
    registry.reveal_on = datetime(2031, 3, 1, tzinfo=UTC).date()
    registry.save(update_fields=["reveal_on"])
    make_gift(item=make_item(registry=registry, title="Rocking horse"), giver_name="Jordan")

    with time_machine.travel(datetime(2031, 2, 28, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(owner)
        before = _thanks(client, registry).content.decode()
    with time_machine.travel(datetime(2031, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(owner)
        after = _thanks(client, registry).content.decode()

    assert "Rocking horse" not in before and "Jordan" not in before
    assert "Rocking horse" in after and "Jordan" in after


# --- a gift's own page --------------------------------------------------------------------------------------


def test_the_gift_page_saves_a_note_and_shows_the_history(client, alex):
    owner, registry = alex
    gift = make_gift(item=make_item(registry=registry, title="Teapot"), giver_name="Robin")
    thank_you_mark(gifts=[gift], status="written", by=owner)
    url = reverse("thanks:gift", args=[registry.pk, gift.pk])

    response = client.post(url, {"note": "Came without a card: the blue teapot"})

    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "Came without a card: the blue teapot" in page
    assert "to do → written by Alex" in page


def test_an_overlong_note_is_refused_with_what_to_fix(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry))

    response = client.post(reverse("thanks:gift", args=[registry.pk, gift.pk]), {"note": "x" * 2001})

    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    assert not ThankYou.objects.filter(gift=gift).exists()


def test_a_cancelled_gift_has_no_page(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry))
    gift_cancel(gift=gift)

    assert client.get(reverse("thanks:gift", args=[registry.pk, gift.pk])).status_code == 404


def test_asking_for_an_address_once_from_the_gift_page(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry), giver_name="Robin", giver_email="robin@example.test")
    ask = reverse("thanks:ask_address", args=[registry.pk, gift.pk])

    first = client.post(ask)

    assert first.status_code == 302
    page = client.get(first["Location"]).content.decode()
    assert "We will ask Robin once, by email" in page
    assert "We asked Robin on" in page
    assert Notification.objects.filter(kind="address_request").count() == 1

    second = client.post(ask)
    assert second.status_code == 400
    assert "we ask each giver only once" in second.content.decode()
    assert Notification.objects.filter(kind="address_request").count() == 1


@pytest.mark.parametrize("view", ["", "givers"])
def test_the_lists_links_and_buttons_point_at_the_gift_pages(client, alex, view):
    # The list writes these URLs out instead of reversing them per row (for speed): they must stay right.
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry), giver_name="Robin", giver_email="robin@example.test")

    content = _thanks(client, registry, view=view).content.decode()

    assert f'href="{reverse("thanks:gift", args=[registry.pk, gift.pk])}"' in content
    assert f'formaction="{reverse("thanks:ask_address", args=[registry.pk, gift.pk])}"' in content
    assert 'form="ask"' in content and '<form id="ask" method="post" hidden>' in content


def test_the_list_offers_to_ask_only_givers_with_an_email_and_no_address(client, alex):
    _, registry = alex
    item = make_item(registry=registry, quantity=5)
    make_gift(item=item, giver_name="Has Email", giver_email="email@example.test")
    make_gift(item=item, giver_name="Has Address", giver_email="addr@example.test", giver_address="1 Main St")
    make_gift(item=item, giver_name="No Email", giver_email="")

    content = _thanks(client, registry).content.decode()

    assert "Ask Has Email for an address" in content
    assert "Ask Has Address" not in content and "Ask No Email" not in content


# --- who may see what ---------------------------------------------------------------------------------------


def _registrant_urls(registry, gift):
    return [
        ("get", reverse("thanks:list", args=[registry.pk])),
        ("post", reverse("thanks:mark", args=[registry.pk])),
        ("post", reverse("thanks:undo", args=[registry.pk])),
        ("get", reverse("thanks:gift", args=[registry.pk, gift.pk])),
        ("post", reverse("thanks:gift", args=[registry.pk, gift.pk])),
        ("post", reverse("thanks:ask_address", args=[registry.pk, gift.pk])),
        ("post", reverse("thanks:enter_address", args=[registry.pk, gift.pk])),
        ("get", reverse("thanks:export_csv", args=[registry.pk])),
        ("get", reverse("thanks:labels", args=[registry.pk])),
    ]


def test_a_member_of_another_registry_gets_404_for_this_list_and_its_exports(client):
    registry = make_registry()
    gift = make_gift(item=make_item(registry=registry), giver_email="robin@example.test")
    stranger = make_user()
    make_registry(owner=stranger)  # a registrant, just not of this registry
    client.force_login(stranger)

    for method, url in _registrant_urls(registry, gift):
        response = getattr(client, method)(url, {"action": "sent", "gift": [gift.pk], "note": "x"})
        assert response.status_code == 404, url

    assert not ThankYou.objects.exists()
    assert not Notification.objects.filter(kind="address_request").exists()
    assert not EnteredAddress.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    registry = make_registry()
    gift = make_gift(item=make_item(registry=registry))

    for method, url in _registrant_urls(registry, gift):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


def test_marks_need_the_csrf_token(alex):
    from django.test import Client

    owner, registry = alex
    gift = make_gift(item=make_item(registry=registry))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)

    response = strict.post(reverse("thanks:mark", args=[registry.pk]), {"action": "sent", "gift": [gift.pk]})

    assert response.status_code == 403
    assert _status(gift) == "todo"


# --- cost: the query count does not grow with the list ------------------------------------------------------


def _queries_for(client, registry, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = _thanks(client, registry, **params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("params", [{}, {"view": "givers"}, {"status": "todo", "q": "a"}])
def test_the_query_count_does_not_grow_with_the_number_of_gifts(client, params):
    counts = []
    for size in (20, 200):
        owner = make_user()
        registry = make_registry(owner=owner)
        item = make_item(registry=registry, quantity=size)
        gifts = [
            make_gift(
                item=item,
                giver_name=f"Giver {n % (size // 3)}",
                giver_email=f"g{n % (size // 3)}@example.test" if n % 2 else "",
                giver_address="1 Main St" if n % 5 == 0 else "",
            )
            for n in range(size)
        ]
        thank_you_mark(gifts=gifts[::3], status="sent", by=owner)
        thank_you_note_set(gift=gifts[1], note="a note", by=owner)
        client.force_login(owner)
        counts.append(_queries_for(client, registry, **params))

    assert counts[0] == counts[1], counts
    assert counts[1] <= 12


# --- an address typed in by a registrant ------------------------------------------------------------------


def _enter(client, registry, gift, **data):
    return client.post(reverse("thanks:enter_address", args=[registry.pk, gift.pk]), data)


def _gift_page(client, registry, gift) -> str:
    return client.get(reverse("thanks:gift", args=[registry.pk, gift.pk])).content.decode()


def test_a_member_types_in_an_address_and_it_is_marked_as_theirs_everywhere(client, alex):
    _, registry = alex
    item = make_item(registry=registry, title="Teapot")
    gift = make_gift(item=item, giver_name="Kim Lee", giver_email="")
    assert "Know their address? Type it in" in _gift_page(client, registry, gift)

    response = _enter(client, registry, gift, action="save", address="3 Elm Road\nSpringfield")

    assert response.status_code == 302
    page = _gift_page(client, registry, gift)
    assert "3 Elm Road\nSpringfield" in page
    assert "Typed in by Alex on" in page and "Kim Lee did not share it." in page
    listed = _thanks(client, registry).content.decode()
    assert "3 Elm Road" in listed and "Typed in by Alex" in listed
    by_giver = _thanks(client, registry, view="givers").content.decode()
    assert "3 Elm Road" in by_giver and "Typed in by Alex, not shared by Kim Lee" in by_giver
    labels = client.get(reverse("thanks:labels", args=[registry.pk])).content.decode()
    assert labels.count('data-testid="label"') == 1
    assert "3 Elm Road" in labels and "typed in by Alex" in labels


def test_a_typed_in_address_can_be_changed_and_cleared(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry), giver_name="Kim Lee", giver_email="kim@example.test")
    _enter(client, registry, gift, action="save", address="1 Old Road")
    assert "Change or clear this address" in _gift_page(client, registry, gift)

    _enter(client, registry, gift, action="save", address="2 New Road")
    assert list(EnteredAddress.objects.values_list("address", flat=True)) == ["2 New Road"]

    cleared = _enter(client, registry, gift, action="clear", address="ignored")
    assert cleared.status_code == 302
    assert not EnteredAddress.objects.exists()
    page = _gift_page(client, registry, gift)
    assert "2 New Road" not in page
    assert "Ask Kim Lee for an address" in page


def test_typing_in_nothing_says_what_to_fix(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry))

    response = _enter(client, registry, gift, action="save", address="   ")

    assert response.status_code == 400
    assert response.context["address_form"].errors["address"]
    assert '<details class="enter-address" open>' in response.content.decode()
    assert not EnteredAddress.objects.exists()


def test_no_address_can_be_typed_over_one_the_giver_shared(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry), giver_address="9 Shared Street")
    page = _gift_page(client, registry, gift)
    assert "Shared by Robin Giver." in page
    assert "Type it in" not in page and "Change or clear" not in page

    response = _enter(client, registry, gift, action="save", address="1 Other Road")

    assert response.status_code == 400
    assert "shared a mailing address themselves" in response.content.decode()
    assert not EnteredAddress.objects.exists()


def test_a_typed_in_address_is_escaped(client, alex):
    _, registry = alex
    gift = make_gift(item=make_item(registry=registry), giver_email="")

    _enter(client, registry, gift, action="save", address="<script>alert(1)</script>")

    for page in (_gift_page(client, registry, gift), _thanks(client, registry).content.decode()):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_with_covered_only_no_address_is_offered_nor_taken(client):
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only")
    gift = make_gift(item=make_item(registry=registry), giver_email="")
    client.force_login(owner)
    assert "Type it in" not in _gift_page(client, registry, gift)

    response = _enter(client, registry, gift, action="save", address="1 Lane")

    assert response.status_code == 400
    assert not EnteredAddress.objects.exists()


def test_typing_in_an_address_needs_the_csrf_token(alex):
    from django.test import Client

    owner, registry = alex
    gift = make_gift(item=make_item(registry=registry))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)

    response = strict.post(
        reverse("thanks:enter_address", args=[registry.pk, gift.pk]), {"action": "save", "address": "1 Lane"}
    )

    assert response.status_code == 403
    assert not EnteredAddress.objects.exists()


# --- contributions, and the way back to the registry -----------------------------------------------------


def test_a_contribution_shows_its_amount_on_the_list_and_its_page(client, alex):
    from decimal import Decimal

    from gratitude.gifts.services import gift_contribute

    _, registry = alex
    item = make_item(registry=registry, title="Stroller", quantity=1, price=Decimal("300"), group_gift=True)
    gift = gift_contribute(item=item, giver_name="Robin", amount=Decimal("40"))

    for params in ({}, {"view": "givers"}):
        listed = _thanks(client, registry, **params).content.decode()
        assert "40.00 EUR toward Stroller" in listed
        assert "1 × Stroller" not in listed
    assert "<h1>40.00 EUR toward Stroller</h1>" in _gift_page(client, registry, gift)


def test_the_list_carries_the_registry_navigation_with_the_pause_link(client, alex):
    _, registry = alex

    page = _thanks(client, registry).content.decode()

    assert 'data-testid="pause-link"' in page
    assert reverse("registries:pause", args=[registry.pk]) in page
    assert reverse("registries:settings", args=[registry.pk]) in page


# --- size ---------------------------------------------------------------------------------------------------


def test_a_page_of_200_gifts_stays_under_30_kb_and_the_export_still_has_every_gift(client, alex):
    """30 gifts a page, each with every column (item, giver and address, message, dates, status): under
    30 KB of HTML; the pager walks all 200, and the CSV export is not paged."""
    from gratitude.gifts.models import Gift, GiftState

    _, registry = alex
    items = [make_item(registry=registry, title=f"Gift idea {n}", quantity=1000) for n in range(20)]
    Gift.objects.bulk_create(
        Gift(
            registry=registry,
            item=items[n % 20],
            giver_name=f"Giver {n % 120} Ålvarez-Ng",
            giver_email=f"giver{n % 120}@example.test" if n % 10 < 7 else "",
            giver_address="1 Long Road\nSomewhere 12345" if n % 5 == 0 else "",
            message="Wishing you every happiness!" if n % 2 else "",
            quantity=1,
            state=GiftState.ACTIVE,
        )
        for n in range(200)
    )

    pages = [_thanks(client, registry, page=n) for n in range(1, 8)]

    assert len(pages[0].content) < 30 * 1024
    assert "Page 1 of 7" in pages[0].content.decode()
    assert [_rows(page) for page in pages] == [30] * 6 + [20]
    export = client.get(reverse("thanks:export_csv", args=[registry.pk]))
    assert b"".join(export.streaming_content).count(b"Giver ") == 200


def test_the_list_escapes_an_items_title_in_its_link_and_its_tick_box(client, alex):
    _, registry = alex
    make_gift(item=make_item(registry=registry, title='"><script>alert(1)</script>'))

    content = _thanks(client, registry).content.decode()

    assert "<script>alert(1)" not in content
    assert 'aria-label="Tick &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in content
