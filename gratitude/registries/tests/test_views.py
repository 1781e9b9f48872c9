"""Registrant pages: creating a registry, adding items, the share link, and who may see what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gratitude.registries.models import Item, Registry, RegistryInvitation, RegistryMember
from gratitude.registries.services.invitations import registry_invitation_create, registry_invitation_revoke
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.tokens import make_invitation_token
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

LINK_NOT_FOUND = "This link doesn't open a registry"


def _shared(key: str) -> str:
    return reverse("gifts:shared_registry", args=[key])


# --- Creating a registry ---------------------------------------------------------------------


def test_creating_a_registry_through_the_form_makes_the_viewer_its_owner(client):
    user = make_user()
    client.force_login(user)

    response = client.post(
        reverse("registries:new"),
        {"title": "Our wedding", "occasion": "wedding", "event_date": "2030-06-01", "visibility": "link"},
    )

    registry = Registry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registries:detail", args=[registry.pk])
    assert registry.title == "Our wedding"
    assert str(registry.event_date) == "2030-06-01"
    assert registry.members.get().user == user
    assert registry.members.get().role == "owner"


@pytest.mark.parametrize("event_date", ["9999-12-31", "9999-12-30", "2200-01-01", "1899-12-31"])
def test_an_event_date_no_occasion_has_is_a_400_with_a_message_and_creates_nothing(client, event_date):
    """Near 9999-12-31 the archive plan (event date + days) overflowed: a 500, and the registry half made."""
    client.force_login(make_user())

    response = client.post(
        reverse("registries:new"),
        {"title": "Our wedding", "occasion": "wedding", "event_date": event_date, "visibility": "link"},
    )

    assert response.status_code == 400
    assert "Enter a date between 1900 and 2199." in response.content.decode()
    assert Registry.objects.count() == 0


@pytest.mark.parametrize("month", ["9999-12", "2200-01", "0000-01", "2031-13", "x"])
def test_a_search_month_out_of_range_is_a_400_with_a_message(client, month):
    response = client.get(reverse("registries:search"), {"name": "bo", "month": month})

    assert response.status_code == 400
    assert "Enter a month" in response.content.decode()


@pytest.mark.parametrize("title", ["", "   "], ids=["empty", "whitespace"])
def test_an_empty_registry_title_shows_a_form_error_and_creates_nothing(client, title):
    client.force_login(make_user())

    response = client.post(
        reverse("registries:new"), {"title": title, "occasion": "wedding", "visibility": "link"}
    )

    # Re-rendered with the error, not redirected to a new registry.
    assert response.status_code in {200, 400}
    assert response.context["form"].errors["title"] == ["This field is required."]
    assert "This field is required." in response.content.decode()
    assert Registry.objects.count() == 0


# --- Adding items ----------------------------------------------------------------------------


def test_a_member_adds_an_item_through_the_form(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]),
        {"title": "Teapot", "quantity": "2", "price": "19.90", "url": "shop.example/teapot"},
    )

    assert response.status_code == 302
    item = Item.objects.get(registry=registry)
    assert (item.title, item.quantity, item.url) == ("Teapot", 2, "https://shop.example/teapot")


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_an_item_quantity_below_one_shows_a_form_error_and_creates_nothing(client, quantity):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]), {"title": "Teapot", "quantity": quantity}
    )

    assert response.status_code == 400
    assert response.context["item_form"].errors["quantity"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert Item.objects.count() == 0


def test_an_empty_item_title_shows_a_form_error_and_creates_nothing(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]), {"title": "  ", "quantity": "1"}
    )

    assert response.status_code == 400
    assert response.context["item_form"].errors["title"]
    assert Item.objects.count() == 0


# --- Scoping: another person's registry ------------------------------------------------------


@pytest.fixture
def strangers_registry():
    registry = make_registry(owner=make_user(), title="Someone else's registry")
    make_item(registry=registry, title="Their teapot")
    return registry


@pytest.fixture
def logged_in_stranger(client):
    client.force_login(make_user())
    return client


def test_a_non_member_gets_404_for_another_persons_registry_page(logged_in_stranger, strangers_registry):
    response = logged_in_stranger.get(reverse("registries:detail", args=[strangers_registry.pk]))

    assert response.status_code == 404
    assert b"Their teapot" not in response.content


def test_a_non_member_gets_404_adding_an_item_and_nothing_is_created(logged_in_stranger, strangers_registry):
    response = logged_in_stranger.post(
        reverse("registries:item_add", args=[strangers_registry.pk]), {"title": "Sneaky", "quantity": "1"}
    )

    assert response.status_code == 404
    assert not Item.objects.filter(title="Sneaky").exists()


def test_a_non_member_gets_404_resetting_the_share_link_and_it_does_not_change(
    logged_in_stranger, strangers_registry
):
    old_key = strangers_registry.share_key

    response = logged_in_stranger.post(reverse("registries:share_link_reset", args=[strangers_registry.pk]))

    assert response.status_code == 404
    strangers_registry.refresh_from_db()
    assert strangers_registry.share_key == old_key


def test_a_non_member_gets_404_for_another_persons_thank_you_list(logged_in_stranger, strangers_registry):
    response = logged_in_stranger.get(reverse("thanks:list", args=[strangers_registry.pk]))

    assert response.status_code == 404


def test_the_registry_list_shows_only_the_viewers_registries(logged_in_stranger, strangers_registry):
    response = logged_in_stranger.get(reverse("registries:list"))

    assert response.status_code == 200
    assert b"Someone else&#x27;s registry" not in response.content
    assert b"Someone else's registry" not in response.content


def test_a_member_sees_the_registry_page_with_its_share_link(client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Housewarming")
    make_item(registry=registry, title="Doormat")
    client.force_login(owner)

    response = client.get(reverse("registries:detail", args=[registry.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Doormat" in content
    assert f"/r/{registry.share_key}/" in content


@pytest.mark.parametrize(
    ("method", "url_name", "with_id"),
    [
        ("get", "registries:list", False),
        ("get", "registries:new", False),
        ("post", "registries:new", False),
        ("get", "registries:detail", True),
        ("post", "registries:item_add", True),
        ("post", "registries:share_link_reset", True),
        ("get", "thanks:list", True),
    ],
)
def test_anonymous_visitors_are_redirected_to_login(client, strangers_registry, method, url_name, with_id):
    url = reverse(url_name, args=[strangers_registry.pk] if with_id else [])
    old_key = strangers_registry.share_key

    response = getattr(client, method)(url, {"title": "Sneaky", "quantity": "1", "occasion": "other"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Registry.objects.count() == 1
    assert not Item.objects.filter(title="Sneaky").exists()
    strangers_registry.refresh_from_db()
    assert strangers_registry.share_key == old_key


# --- The share link --------------------------------------------------------------------------


def test_resetting_the_share_link_makes_the_old_link_404_and_the_new_one_work(client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Baby shower")
    old_key = registry.share_key
    assert client.get(_shared(old_key)).status_code == 200
    client.force_login(owner)

    response = client.post(reverse("registries:share_link_reset", args=[registry.pk]))

    assert response.status_code == 302
    registry.refresh_from_db()
    assert registry.share_key != old_key
    client.logout()
    old = client.get(_shared(old_key))
    assert old.status_code == 404
    assert LINK_NOT_FOUND in old.content.decode()
    new = client.get(_shared(registry.share_key))
    assert new.status_code == 200
    assert "Baby shower" in new.content.decode()


def test_share_link_reset_refuses_get(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    old_key = registry.share_key
    client.force_login(owner)

    response = client.get(reverse("registries:share_link_reset", args=[registry.pk]))

    assert response.status_code == 405
    registry.refresh_from_db()
    assert registry.share_key == old_key


# --- CSRF ------------------------------------------------------------------------------------


def test_creating_a_registry_without_a_csrf_token_is_refused():
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user())

    response = csrf_client.post(
        reverse("registries:new"), {"title": "Forged", "occasion": "other", "visibility": "link"}
    )

    assert response.status_code == 403
    assert Registry.objects.count() == 0


def test_adding_an_item_without_a_csrf_token_is_refused():
    owner = make_user()
    registry = make_registry(owner=owner)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)

    response = csrf_client.post(
        reverse("registries:item_add", args=[registry.pk]), {"title": "Forged", "quantity": "1"}
    )

    assert response.status_code == 403
    assert Item.objects.count() == 0


def test_resetting_the_share_link_without_a_csrf_token_is_refused():
    owner = make_user()
    registry = make_registry(owner=owner)
    old_key = registry.share_key
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)

    response = csrf_client.post(reverse("registries:share_link_reset", args=[registry.pk]))

    assert response.status_code == 403
    registry.refresh_from_db()
    assert registry.share_key == old_key


def test_a_post_with_the_pages_csrf_token_is_accepted():
    """The control for the refusals above: the same client with a real token gets through."""
    owner = make_user()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)
    page = csrf_client.get(reverse("registries:new"))
    token = page.context["csrf_token"]

    response = csrf_client.post(
        reverse("registries:new"),
        {"title": "Real", "occasion": "other", "visibility": "link", "csrfmiddlewaretoken": str(token)},
    )

    assert response.status_code == 302
    assert Registry.objects.filter(title="Real").count() == 1


# --- Registries and givers: the registrant's pages ---------------------------------------------

SCRIPT = "<script>alert('x')</script>"


def _logged_in(client, user=None):
    user = user or make_user()
    client.force_login(user)
    return user


def _registry_urls(registry, item, invitation, member):
    return [
        ("get", reverse("registries:detail", args=[registry.pk])),
        ("get", reverse("registries:items", args=[registry.pk])),
        ("get", reverse("registries:item_edit", args=[registry.pk, item.pk])),
        ("post", reverse("registries:item_edit", args=[registry.pk, item.pk])),
        ("post", reverse("registries:item_move", args=[registry.pk, item.pk, "up"])),
        ("post", reverse("registries:item_archive", args=[registry.pk, item.pk])),
        ("post", reverse("registries:item_restore", args=[registry.pk, item.pk])),
        ("get", reverse("registries:settings", args=[registry.pk])),
        ("post", reverse("registries:settings", args=[registry.pk])),
        ("post", reverse("registries:archive", args=[registry.pk])),
        ("post", reverse("registries:unarchive", args=[registry.pk])),
        ("get", reverse("registries:people", args=[registry.pk])),
        ("post", reverse("registries:invite", args=[registry.pk])),
        ("post", reverse("registries:invitation_revoke", args=[registry.pk, invitation.pk])),
        ("post", reverse("registries:member_remove", args=[registry.pk, member.pk])),
        ("get", reverse("registries:alerts", args=[registry.pk])),
        ("post", reverse("registries:alerts", args=[registry.pk])),
        ("get", reverse("member_gifts:list", args=[registry.pk])),
        ("post", reverse("member_gifts:record", args=[registry.pk])),
    ]


def test_every_registrant_page_is_404_for_a_non_member_and_changes_nothing(client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Private things", visibility="private")
    item = make_item(registry=registry, title="Their teapot")
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email="x@example.test", name="X"
    )
    member = registry_member_add(registry=registry, user=make_user())
    _logged_in(client)
    data = {
        "title": "Hacked",
        "quantity": "1",
        "occasion": "other",
        "visibility": "public",
        "name": "M",
        "email": "m@example.test",
        "role": "co_registrant",
        "alerts": "off",
        "giver_name": "M",
        "description": "Spam",
        "surprise": "show_all",
    }

    for method, url in _registry_urls(registry, item, invitation, member):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, url
        assert b"Their teapot" not in response.content

    registry.refresh_from_db()
    item.refresh_from_db()
    invitation.refresh_from_db()
    assert (registry.title, registry.visibility, registry.archived_at) == ("Private things", "private", None)
    assert (item.title, item.archived_at) == ("Their teapot", None)
    assert invitation.state == "pending"
    assert RegistryMember.objects.filter(pk=member.pk).exists()
    assert registry.gifts.count() == 0


def test_another_registrys_item_is_404_under_my_registry(client):
    me = _logged_in(client)
    mine = make_registry(owner=me)
    theirs = make_item(title="Their teapot")

    response = client.get(reverse("registries:item_edit", args=[mine.pk, theirs.pk]))

    assert response.status_code == 404


def test_the_item_form_takes_priority_notes_image_and_group_gift(client):
    owner = _logged_in(client)
    registry = make_registry(owner=owner)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]),
        {
            "title": "Stroller",
            "quantity": "1",
            "price": "300",
            "currency": "GBP",
            "priority": "most_wanted",
            "notes": "Grey, please",
            "group_gift": "on",
        },
    )

    assert response.status_code == 302
    item = Item.objects.get()
    assert (item.currency, item.priority, item.notes, item.group_gift) == (
        "GBP",
        "most_wanted",
        "Grey, please",
        True,
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price": "-1"}, "price"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://shop.example/teapot"}, "url"),
        ({"notes": "n" * 1001}, "notes"),
        ({"group_gift": "on"}, None),
    ],
)
def test_bad_item_input_shows_a_clear_error_and_creates_nothing(client, fields, field):
    owner = _logged_in(client)
    registry = make_registry(owner=owner)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]), {"title": "Teapot", "quantity": "1", **fields}
    )

    assert response.status_code == 400
    form = response.context["item_form"]
    if field:
        assert form.errors[field]
    else:
        assert "group gift needs a price" in str(form.errors).lower()
    assert Item.objects.count() == 0


def test_editing_an_item_through_the_form(client):
    owner = _logged_in(client)
    item = make_item(registry=make_registry(owner=owner), title="Teapot", quantity=2)

    page = client.get(reverse("registries:item_edit", args=[item.registry_id, item.pk]))
    response = client.post(
        reverse("registries:item_edit", args=[item.registry_id, item.pk]),
        {"title": "Big teapot", "quantity": "3", "price": "", "currency": "EUR", "priority": "nice_to_have"},
    )

    assert page.status_code == 200
    assert 'value="Teapot"' in page.content.decode()
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.quantity, item.priority) == ("Big teapot", 3, "nice_to_have")


def test_moving_archiving_and_restoring_items_from_the_items_page(client):
    owner = _logged_in(client)
    registry = make_registry(owner=owner)
    a, b = make_item(registry=registry, title="Apple"), make_item(registry=registry, title="Banana")

    client.post(reverse("registries:item_move", args=[registry.pk, b.pk, "up"]))
    page = client.get(reverse("registries:items", args=[registry.pk])).content.decode()
    assert page.index("Banana") < page.index("Apple")

    partial = client.post(
        reverse("registries:item_move", args=[registry.pk, b.pk, "down"]), HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert partial.content.decode().lstrip().startswith('<ol class="plain" id="item-list"')
    assert "<html" not in partial.content.decode()

    client.post(reverse("registries:item_archive", args=[registry.pk, a.pk]))
    page = client.get(reverse("registries:items", args=[registry.pk]))
    assert [i.title for i in page.context["archived"]] == ["Apple"]
    client.post(reverse("registries:item_restore", args=[registry.pk, a.pk]))
    assert client.get(reverse("registries:items", args=[registry.pk])).context["archived"] == []


def test_settings_page_saves_for_the_owner_and_refuses_a_delegate_with_403(client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Before")
    delegate = make_user()
    registry_member_add(registry=registry, user=delegate, role="delegate")
    data = {
        "title": "After",
        "occasion": "birthday",
        "visibility": "public",
        "surprise": "covered_only",
        "city": "Lyon",
        "show_city_region": "on",
        "auto_archive": "on",
    }

    client.force_login(delegate)
    page = client.get(reverse("registries:settings", args=[registry.pk]))
    refused = client.post(reverse("registries:settings", args=[registry.pk]), data)
    client.force_login(owner)
    saved = client.post(reverse("registries:settings", args=[registry.pk]), data)

    assert "Only the owner or a co-registrant" in page.content.decode()
    assert refused.status_code == 403
    assert "Only the owner or co-registrant may change" in refused.content.decode()
    assert saved.status_code == 302
    registry.refresh_from_db()
    assert (registry.title, registry.visibility, registry.surprise, registry.city) == (
        "After",
        "public",
        "covered_only",
        "Lyon",
    )


def test_archiving_from_the_page_is_for_the_owner(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    partner = make_user()
    registry_member_add(registry=registry, user=partner)

    client.force_login(partner)
    refused = client.post(reverse("registries:archive", args=[registry.pk]))
    client.force_login(owner)
    done = client.post(reverse("registries:archive", args=[registry.pk]))
    page = client.get(reverse("registries:detail", args=[registry.pk]))

    assert refused.status_code == 403
    assert done.status_code == 302
    assert page.status_code == 200  # still readable
    assert "This registry is archived" in page.content.decode()


def test_inviting_from_the_people_page_and_withdrawing(client):
    owner = _logged_in(client, make_user(display_name="Alex"))
    registry = make_registry(owner=owner)

    response = client.post(
        reverse("registries:invite", args=[registry.pk]),
        {"name": "Sam", "email": "sam@example.test", "role": "co_registrant"},
    )
    page = client.get(reverse("registries:people", args=[registry.pk])).content.decode()
    invitation = RegistryInvitation.objects.get()
    client.post(reverse("registries:invitation_revoke", args=[registry.pk, invitation.pk]))

    assert response.status_code == 302
    assert "sam@example.test" in page
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


def test_a_bad_invitation_shows_a_form_error(client):
    owner = _logged_in(client)
    registry = make_registry(owner=owner)

    response = client.post(
        reverse("registries:invite", args=[registry.pk]),
        {"name": "Sam", "email": owner.email, "role": "co_registrant"},
    )

    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert RegistryInvitation.objects.count() == 0


def test_a_delegate_cannot_invite(client):
    registry = make_registry()
    delegate = _logged_in(client)
    registry_member_add(registry=registry, user=delegate, role="delegate")

    page = client.get(reverse("registries:people", args=[registry.pk]))
    response = client.post(
        reverse("registries:invite", args=[registry.pk]),
        {"name": "S", "email": "s@example.test", "role": "delegate"},
    )

    assert "Invite someone" not in page.content.decode()
    assert response.status_code == 403
    assert RegistryInvitation.objects.count() == 0


def test_each_member_sets_their_own_alert_preference(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    partner = _logged_in(client)
    registry_member_add(registry=registry, user=partner)

    response = client.post(reverse("registries:alerts", args=[registry.pk]), {"alerts": "digest"})
    bad = client.post(reverse("registries:alerts", args=[registry.pk]), {"alerts": "hourly"})

    assert response.status_code == 302
    assert bad.status_code == 400
    assert RegistryMember.objects.get(registry=registry, user=partner).alerts == "digest"
    assert RegistryMember.objects.get(registry=registry, user=owner).alerts == "instant"


# --- the invitation page -----------------------------------------------------------------------


def _invitation_url(invitation):
    return reverse("registries:invitation", args=[make_invitation_token(invitation)])


def test_a_new_invitee_accepts_by_choosing_a_name_and_password_and_is_logged_in(client):
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Alex's wedding")
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name="Sam"
    )
    url = _invitation_url(invitation)

    page = client.get(url)
    assert page.status_code == 200
    assert "Alex invited sam@example.test" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "pending"  # opening the link changes nothing

    response = client.post(url, {"display_name": "Sam Okafor", "password": "a long passphrase 1729"})

    assert response.status_code == 302
    assert response["Location"] == reverse("registries:detail", args=[registry.pk])
    assert client.get(response["Location"]).status_code == 200
    assert RegistryMember.objects.filter(registry=registry, user__email="sam@example.test").exists()


def test_an_invitee_with_an_account_accepts_when_logged_in_and_nobody_else_can(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    invitee = make_user(email="sam.private@example.test")
    invitee.set_password("their password 4242")
    invitee.save()
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email=invitee.email, name="Sam"
    )
    url = _invitation_url(invitation)

    anonymous = client.get(url).content.decode()
    intruder = _logged_in(client)
    as_intruder = client.get(url).content.decode()
    intruder_post = client.post(url)
    client.force_login(invitee)
    accepted = client.post(url)

    assert "Log in as" in anonymous and "Accept and join" not in anonymous
    assert "sam.private" not in url and "c2FtLnByaXZhdGU" not in url  # the address is not in the link
    assert "logged in with a different address" in as_intruder
    assert intruder_post.status_code == 400
    assert "sent to a different email address" in intruder_post.content.decode()
    assert not RegistryMember.objects.filter(registry=registry, user=intruder).exists()
    assert accepted.status_code == 302
    assert RegistryMember.objects.filter(registry=registry, user=invitee).exists()


def test_a_tampered_or_withdrawn_invitation_link_gets_a_clear_page(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name="Sam"
    )
    url = _invitation_url(invitation)

    tampered = client.get(url[:-3] + "xx/")
    registry_invitation_revoke(invitation=invitation, by=owner)
    withdrawn = client.get(url)
    post = client.post(url, {"display_name": "Sam", "password": "a long passphrase 1729"})

    assert tampered.status_code == 404
    assert "invitation link doesn't work" in tampered.content.decode()
    assert "no longer open" in withdrawn.content.decode()
    assert post.status_code == 400
    assert "withdrawn" in post.content.decode()
    assert registry.members.count() == 1


# --- search ----------------------------------------------------------------------------------


def test_search_page_lists_public_registries_by_name_and_nothing_else(client):
    make_registry(owner=make_user(display_name="Alex Rivera"), title="Alex's public", visibility="public")
    make_registry(owner=make_user(display_name="Alex Hidden"), title="Alex's link-only", visibility="link")

    response = client.get(reverse("registries:search"), {"name": "alex"})
    empty = client.get(reverse("registries:search"))
    bad_month = client.get(reverse("registries:search"), {"name": "alex", "month": "June"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Alex&#x27;s public" in content
    assert "link-only" not in content
    assert empty.status_code == 200 and empty.context["results"] is None
    assert bad_month.status_code == 400


# --- HTML in every text field is shown as text ---------------------------------------------------


def test_html_and_script_typed_into_registry_item_and_people_fields_are_shown_as_text(client):
    owner = _logged_in(client, make_user(display_name=f"Alex {SCRIPT}"))
    registry = make_registry(owner=owner, title=f"Party {SCRIPT}", welcome_note=f"Hello {SCRIPT}")
    Registry.objects.filter(pk=registry.pk).update(
        city=f"Lyon {SCRIPT}", show_city_region=True, visibility="public"
    )
    make_item(
        registry=registry, title=f"Teapot {SCRIPT}", notes=f"Blue {SCRIPT}", url="https://shop.example/?q=<b>"
    )
    registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name=f"Sam {SCRIPT}"
    )

    pages = [
        reverse("registries:detail", args=[registry.pk]),
        reverse("registries:items", args=[registry.pk]),
        reverse("registries:settings", args=[registry.pk]),
        reverse("registries:people", args=[registry.pk]),
        reverse("registries:list"),
        reverse("gifts:shared_registry", args=[registry.share_key]),
        reverse("registries:search") + "?name=alex",
    ]
    for url in pages:
        content = client.get(url).content.decode()
        assert SCRIPT not in content, url
        assert "&lt;script&gt;" in content, url


# --- the registry page does not grow its queries with its items ---------------------------------


def test_the_registry_page_makes_the_same_number_of_queries_for_5_and_50_items(
    client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = _logged_in(client)
    counts = []
    for size in (5, 50):
        registry = make_registry(owner=owner)
        for n in range(size):
            item = make_item(registry=registry, quantity=3)
            if n % 2:
                make_gift(item=item)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("registries:detail", args=[registry.pk])).status_code == 200
        counts.append(len(queries))

    assert counts[0] > 0
    assert counts[0] == counts[1], counts
