"""Registry services: creation, membership, items and the share link, called directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, PermissionDenied
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import KINDS as KINDS
from gratitude.registries.models import FormerMember, Item, Registry, RegistryInvitation, RegistryMember
from gratitude.registries.selectors import archived_items, item_availability, items_with_availability
from gratitude.registries.services.invitations import (
    registry_invitation_accept,
    registry_invitation_accept_with_new_password,
    registry_invitation_create,
    registry_invitation_revoke,
)
from gratitude.registries.services.items import item_add, item_archive, item_move, item_restore, item_update
from gratitude.registries.services.lifecycle import (
    registry_archive,
    registry_lifecycle_step,
    registry_unarchive,
)
from gratitude.registries.services.members import (
    registry_member_add,
    registry_member_remove,
    registry_member_set_alerts,
)
from gratitude.registries.services.registries import (
    registry_create,
    registry_share_link_reset,
    registry_update,
)
from gratitude.registries.services.search import search_terms
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


def _refusal(kind, row):
    """The row's provenance refusal; fails the test if the row would be sent."""
    refusal = kind.provenance(row)
    assert refusal is not None, f"{row.kind} row {row.idempotency_key} would be sent"
    return refusal


# --- registry_create -------------------------------------------------------------------------


def test_registry_create_makes_the_owner_a_member_with_role_owner_and_alerts_on():
    owner = make_user()

    registry = registry_create(owner=owner, title="  Our wedding  ", occasion="wedding")

    assert registry.title == "Our wedding"
    member = RegistryMember.objects.get(registry=registry)
    assert member.user == owner
    assert member.role == "owner"
    assert member.alerts == "instant"


@pytest.mark.parametrize("title", ["", "   "], ids=["empty", "whitespace"])
def test_registry_create_refuses_an_empty_title_and_creates_nothing(title):
    owner = make_user()

    with pytest.raises(GratitudeError, match="title"):
        registry_create(owner=owner, title=title, occasion="wedding")

    assert Registry.objects.count() == 0
    assert RegistryMember.objects.count() == 0


def test_registry_create_refuses_an_unknown_occasion():
    with pytest.raises(GratitudeError, match="occasion"):
        registry_create(owner=make_user(), title="Party", occasion="bar-mitzvah-ish")

    assert Registry.objects.count() == 0


def test_registry_create_refuses_an_unknown_visibility():
    with pytest.raises(GratitudeError, match="visibility"):
        registry_create(owner=make_user(), title="Party", occasion="other", visibility="everyone")

    assert Registry.objects.count() == 0


# --- membership ------------------------------------------------------------------------------


def test_registry_member_add_refuses_a_duplicate_membership():
    registry = make_registry()
    partner = make_user()
    registry_member_add(registry=registry, user=partner)

    with pytest.raises(GratitudeError, match="already a member"):
        registry_member_add(registry=registry, user=partner, role="delegate")

    assert RegistryMember.objects.filter(registry=registry, user=partner).count() == 1
    assert RegistryMember.objects.get(registry=registry, user=partner).role == "co_registrant"


def test_registry_member_add_refuses_to_add_the_owner_again():
    owner = make_user()
    registry = make_registry(owner=owner)

    with pytest.raises(GratitudeError):
        registry_member_add(registry=registry, user=owner)

    assert RegistryMember.objects.get(registry=registry, user=owner).role == "owner"


def test_a_delegate_defaults_to_alerts_off():
    registry = make_registry()

    member = registry_member_add(registry=registry, user=make_user(), role="delegate")

    assert member.role == "delegate"
    assert member.alerts == "off"


def test_a_co_registrant_defaults_to_instant_alerts():
    member = registry_member_add(registry=make_registry(), user=make_user())

    assert member.role == "co_registrant"
    assert member.alerts == "instant"


def test_registry_member_add_refuses_an_unknown_role():
    registry = make_registry()

    with pytest.raises(GratitudeError, match="role"):
        registry_member_add(registry=registry, user=make_user(), role="admin")

    assert registry.members.count() == 1


def test_registry_member_set_alerts_refuses_an_unknown_preference():
    member = registry_member_add(registry=make_registry(), user=make_user())

    with pytest.raises(GratitudeError, match="alerts"):
        registry_member_set_alerts(member=member, alerts="hourly")

    member.refresh_from_db()
    assert member.alerts == "instant"


def test_registry_member_remove_refuses_the_owner():
    owner = make_user()
    registry = make_registry(owner=owner)
    owner_membership = RegistryMember.objects.get(registry=registry, user=owner)

    with pytest.raises(GratitudeError, match="owner"):
        registry_member_remove(member=owner_membership)

    assert RegistryMember.objects.filter(registry=registry, user=owner, role="owner").exists()
    assert FormerMember.objects.count() == 0


def test_registry_member_remove_deletes_the_membership_and_records_a_former_member():
    registry = make_registry()
    partner = make_user()
    member = registry_member_add(registry=registry, user=partner)

    registry_member_remove(member=member)

    assert not RegistryMember.objects.filter(registry=registry, user=partner).exists()
    former = FormerMember.objects.get()
    assert former.registry_id == registry.pk
    assert former.user_id == partner.pk
    assert former.left_at is not None


# --- items -----------------------------------------------------------------------------------


def test_item_add_stores_title_quantity_price_and_url():
    registry = make_registry()

    item = item_add(
        registry=registry,
        title=" Teapot ",
        quantity=2,
        price=Decimal("19.90"),
        url="https://shop.example/teapot",
    )

    item.refresh_from_db()
    assert (item.registry_id, item.title, item.quantity, item.price, item.url) == (
        registry.pk,
        "Teapot",
        2,
        Decimal("19.90"),
        "https://shop.example/teapot",
    )


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5, "2"])
def test_item_add_refuses_a_quantity_that_is_not_a_whole_number_of_at_least_one(quantity):
    registry = make_registry()

    with pytest.raises(GratitudeError, match="quantity"):
        item_add(registry=registry, title="Teapot", quantity=quantity)

    assert Item.objects.count() == 0


@pytest.mark.parametrize("title", ["", "   "], ids=["empty", "whitespace"])
def test_item_add_refuses_an_empty_title(title):
    with pytest.raises(GratitudeError, match="title"):
        item_add(registry=make_registry(), title=title)

    assert Item.objects.count() == 0


def test_item_add_refuses_a_negative_price():
    with pytest.raises(GratitudeError, match="price"):
        item_add(registry=make_registry(), title="Teapot", price=Decimal("-1"))

    assert Item.objects.count() == 0


def test_item_add_refuses_a_javascript_url():
    with pytest.raises(GratitudeError, match="url"):
        item_add(registry=make_registry(), title="Teapot", url="javascript:alert(1)")

    assert Item.objects.count() == 0


# --- share link ------------------------------------------------------------------------------


def test_registry_share_link_reset_gives_a_new_key():
    registry = make_registry()
    old_key = registry.share_key

    registry_share_link_reset(registry=registry)

    registry.refresh_from_db()
    assert registry.share_key != old_key
    assert len(registry.share_key) >= 20


# --- registry settings, roles and archive --------------------------------------------------------


def _settings(**changes):
    base = {
        "title": "Our wedding",
        "occasion": "wedding",
        "event_date": None,
        "welcome_note": "",
        "visibility": "link",
        "surprise": "show_all",
    }
    base.update(changes)
    return base


def test_registry_update_saves_every_setting_for_the_owner():
    owner = make_user()
    registry = make_registry(owner=owner)

    registry_update(
        registry=registry,
        by=owner,
        **_settings(
            title=" New name ",
            welcome_note="  Thank you for thinking of us.  ",
            visibility="public",
            surprise="covered_only",
            reveal_on=date(2031, 7, 1),
            shipping_address="1 Long Lane\nSpringfield",
            city="Springfield",
            region="Oregon",
            show_city_region=True,
            auto_archive=False,
        ),
    )

    registry.refresh_from_db()
    assert registry.title == "New name"
    assert registry.welcome_note == "Thank you for thinking of us."
    assert (registry.visibility, registry.surprise, registry.reveal_on) == (
        "public",
        "covered_only",
        date(2031, 7, 1),
    )
    assert (registry.city, registry.region, registry.show_city_region) == ("Springfield", "Oregon", True)
    assert registry.shipping_address == "1 Long Lane\nSpringfield"
    assert registry.auto_archive is False


@pytest.mark.parametrize("role", ["delegate", None], ids=["delegate", "stranger"])
def test_registry_update_is_refused_to_delegates_and_strangers(role):
    registry = make_registry(title="Before")
    person = make_user()
    if role:
        registry_member_add(registry=registry, user=person, role=role)

    with pytest.raises(PermissionDenied, match="owner or co-registrant"):
        registry_update(registry=registry, by=person, **_settings(title="After"))

    registry.refresh_from_db()
    assert registry.title == "Before"


def test_a_co_registrant_may_change_the_settings():
    registry = make_registry()
    partner = make_user()
    registry_member_add(registry=registry, user=partner)

    registry_update(registry=registry, by=partner, **_settings(visibility="private"))

    registry.refresh_from_db()
    assert registry.visibility == "private"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"occasion": "party"}, "occasion"),
        ({"visibility": "everyone"}, "visibility"),
        ({"surprise": "peek"}, "surprise"),
        ({"welcome_note": "x" * 2001}, "welcome_note"),
    ],
)
def test_registry_update_refuses_bad_settings_and_changes_nothing(changes, field):
    owner = make_user()
    registry = make_registry(owner=owner, title="Before")

    with pytest.raises(GratitudeError, match=field):
        registry_update(registry=registry, by=owner, **_settings(**changes))

    registry.refresh_from_db()
    assert registry.title == "Before"
    assert registry.visibility == "link"


def test_only_the_owner_archives_and_reopens_and_nothing_is_deleted():
    owner = make_user()
    registry = make_registry(owner=owner)
    partner = make_user()
    registry_member_add(registry=registry, user=partner)
    item = make_item(registry=registry)

    with pytest.raises(PermissionDenied, match="owner"):
        registry_archive(registry=registry, by=partner)
    registry_archive(registry=registry, by=owner)

    registry.refresh_from_db()
    assert registry.archived_at is not None
    assert registry.archive_reason == "owner"
    assert Item.objects.filter(pk=item.pk).exists()
    with pytest.raises(PermissionDenied):
        registry_unarchive(registry=registry, by=partner)
    registry_unarchive(registry=registry, by=owner)
    registry.refresh_from_db()
    assert registry.archived_at is None
    assert registry.auto_archive is False


def test_an_archived_registry_refuses_changes_to_its_items():
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, title="Teapot")
    registry_archive(registry=registry, by=owner)
    registry.refresh_from_db()

    with pytest.raises(GratitudeError, match="archived"):
        item_add(registry=registry, title="Kettle")
    with pytest.raises(GratitudeError, match="archived"):
        item_update(item=item, title="Renamed", quantity=1, price=None)
    with pytest.raises(GratitudeError, match="archived"):
        registry_invitation_create(registry=registry, invited_by=owner, email="x@example.test", name="X")

    item.refresh_from_db()
    assert item.title == "Teapot"
    assert registry.items.count() == 1


# --- lifecycle: archived some days after the event, after a notice 14 days ahead -----------------


def _archive_notices(registry):
    return Notification.objects.filter(kind="registry_archive_notice", registry=registry)


def test_a_registry_with_an_event_date_plans_its_archive_and_schedules_the_notice_step(settings):
    settings.GRATITUDE_ARCHIVE_AFTER_DAYS = 60
    before = DBTaskResult.objects.count()

    registry = make_registry(event_date=date(2031, 3, 14))

    registry.refresh_from_db()
    assert registry.archive_on == date(2031, 5, 13)
    task = DBTaskResult.objects.exclude(pk__in=[]).order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == before + 1
    assert task is not None
    assert task.run_after.date() == date(2031, 4, 29)  # 14 days ahead of the archive date
    assert not _archive_notices(registry).exists()


def test_the_lifecycle_step_gives_notice_then_archives_only_after_the_full_notice_period(settings):
    settings.GRATITUDE_ARCHIVE_AFTER_DAYS = 60
    owner = make_user()
    with time_machine.travel(datetime(2031, 1, 1, 12, tzinfo=UTC), tick=False) as clock:
        registry = make_registry(owner=owner, event_date=date(2031, 3, 14))

        assert registry_lifecycle_step(registry_id=registry.pk) == "not yet"
        clock.move_to(datetime(2031, 4, 29, 0, 1, tzinfo=UTC))
        assert registry_lifecycle_step(registry_id=registry.pk) == "notice queued"
        assert registry_lifecycle_step(registry_id=registry.pk) == "not yet"
        [notice] = _archive_notices(registry)
        assert notice.recipient == owner
        clock.move_to(datetime(2031, 5, 12, 23, tzinfo=UTC))
        assert registry_lifecycle_step(registry_id=registry.pk) == "not yet"
        clock.move_to(datetime(2031, 5, 13, 0, 1, tzinfo=UTC))
        assert registry_lifecycle_step(registry_id=registry.pk) == "archived"

    registry.refresh_from_db()
    assert registry.archived_at is not None
    assert registry.archive_reason == "after_event"
    assert _archive_notices(registry).count() == 1


def test_an_event_date_moved_into_the_past_still_gets_the_full_notice(settings):
    settings.GRATITUDE_ARCHIVE_AFTER_DAYS = 30
    owner = make_user()
    with time_machine.travel(datetime(2031, 6, 1, 12, tzinfo=UTC), tick=False):
        registry = make_registry(owner=owner, event_date=date(2030, 1, 1))
        assert registry_lifecycle_step(registry_id=registry.pk) == "notice queued"

    registry.refresh_from_db()
    # Not archived on the long-past planned date: 14 days after the notice.
    assert registry.archive_on == date(2031, 6, 15)
    assert registry.archived_at is None


def test_moving_the_event_voids_the_old_notice_and_plans_a_new_one(settings):
    settings.GRATITUDE_ARCHIVE_AFTER_DAYS = 30
    owner = make_user()
    with time_machine.travel(datetime(2031, 6, 1, 12, tzinfo=UTC), tick=False):
        registry = make_registry(owner=owner, event_date=date(2031, 5, 10))
        registry_lifecycle_step(registry_id=registry.pk)
        [old_notice] = _archive_notices(registry)
        registry_update(registry=registry, by=owner, **_settings(event_date=date(2031, 9, 1)))

        assert _refusal(KINDS["registry_archive_notice"], old_notice).reason == "archive_date_changed"
        assert registry_lifecycle_step(registry_id=registry.pk) == "not yet"
    registry.refresh_from_db()
    assert registry.archive_on == date(2031, 10, 1)


def test_turning_auto_archive_off_stops_the_lifecycle(settings):
    owner = make_user()
    with time_machine.travel(datetime(2031, 6, 1, 12, tzinfo=UTC), tick=False):
        registry = make_registry(owner=owner, event_date=date(2030, 1, 1))
        registry_lifecycle_step(registry_id=registry.pk)
        [notice] = _archive_notices(registry)
        registry_update(
            registry=registry, by=owner, **_settings(event_date=date(2030, 1, 1), auto_archive=False)
        )

        assert _refusal(KINDS["registry_archive_notice"], notice).reason == "auto_archive_off"
    with time_machine.travel(datetime(2032, 1, 1, 12, tzinfo=UTC), tick=False):
        assert registry_lifecycle_step(registry_id=registry.pk) == "nothing to do"
    registry.refresh_from_db()
    assert registry.archived_at is None


def test_a_registry_without_an_event_date_never_archives_by_itself():
    registry = make_registry()

    registry.refresh_from_db()
    assert registry.archive_on is None
    assert registry_lifecycle_step(registry_id=registry.pk) == "nothing to do"


# --- items: edit, reorder, archive, priority, notes, image ---------------------------------------


def test_item_add_stores_every_detail_and_puts_the_item_last():
    registry = make_registry()
    first = item_add(registry=registry, title="First")

    item = item_add(
        registry=registry,
        title="Stroller",
        price=Decimal("349.00"),
        currency="usd",
        priority="most_wanted",
        notes="The grey one, please.",
    )

    item.refresh_from_db()
    assert item.position == first.position + 1
    assert (item.currency, item.priority, item.notes) == ("USD", "most_wanted", "The grey one, please.")


def test_an_item_without_a_currency_takes_the_registrys():
    registry = make_registry(currency="GBP")
    assert item_add(registry=registry, title="Kettle", price=Decimal("40")).currency == "GBP"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://shop.example/teapot",
        "data:text/html,<script>alert(1)</script>",
        "not a link",
    ],
)
@pytest.mark.parametrize("field", ["url"])
def test_links_must_be_http_or_https(field, url):
    with pytest.raises(GratitudeError, match=field):
        item_add(registry=make_registry(), title="Teapot", **{field: url})

    assert Item.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"priority": "urgent"}, "priority"),
        ({"notes": "n" * 1001}, "notes"),
        ({"title": "t" * 201}, "title"),
        ({"group_gift": True}, "price"),
        ({"group_gift": True, "price": Decimal("100"), "quantity": 2}, "quantity"),
    ],
)
def test_item_add_refuses_bad_details(fields, message):
    with pytest.raises(GratitudeError, match=message):
        item_add(registry=make_registry(), **{"title": "Teapot", **fields})

    assert Item.objects.count() == 0


def test_item_update_changes_the_item_and_may_lower_the_quantity_below_what_was_given():
    item = make_item(quantity=3)
    make_gift(item=item, quantity=2)

    item_update(item=item, title=" Big teapot ", quantity=1, price=Decimal("20"), notes="Blue")

    item.refresh_from_db()
    assert (item.title, item.quantity, item.price, item.notes) == ("Big teapot", 1, Decimal("20.00"), "Blue")
    assert item_availability(item=item).still_wanted == 0


def test_item_update_refuses_bad_input_and_keeps_the_item():
    item = make_item(title="Teapot", quantity=2)

    with pytest.raises(GratitudeError, match="price"):
        item_update(item=item, title="Teapot", quantity=2, price=Decimal("-5"))
    with pytest.raises(GratitudeError, match="quantity"):
        item_update(item=item, title="Teapot", quantity=0, price=None)

    item.refresh_from_db()
    assert (item.quantity, item.price) == (2, None)


def test_a_group_gift_keeps_a_price_and_a_quantity_of_one():
    item = make_item(quantity=1, price=Decimal("300"), group_gift=True)

    with pytest.raises(GratitudeError, match="price"):
        item_update(item=item, title=item.title, quantity=1, price=None)
    with pytest.raises(GratitudeError, match="quantity"):
        item_update(item=item, title=item.title, quantity=2, price=Decimal("300"))


def _titles(registry):
    return [row.item.title for row in items_with_availability(registry=registry)]


def test_item_move_reorders_the_list_and_stops_at_the_ends():
    registry = make_registry()
    a, b, c = (item_add(registry=registry, title=title) for title in "ABC")

    item_move(item=c, direction="up")
    assert _titles(registry) == ["A", "C", "B"]
    item_move(item=a, direction="up")
    assert _titles(registry) == ["A", "C", "B"]
    item_move(item=a, direction="down")
    assert _titles(registry) == ["C", "A", "B"]
    item_move(item=b, direction="down")
    assert _titles(registry) == ["C", "A", "B"]
    with pytest.raises(GratitudeError, match="direction"):
        item_move(item=b, direction="sideways")


def test_items_created_with_the_same_position_can_still_be_moved():
    registry = make_registry()
    items = Item.objects.bulk_create(Item(registry=registry, title=t, quantity=1) for t in "XYZ")

    item_move(item=items[2], direction="up")

    assert _titles(registry) == ["X", "Z", "Y"]


def test_archiving_takes_an_item_off_the_list_and_restoring_puts_it_back_last():
    registry = make_registry()
    a, b = item_add(registry=registry, title="A"), item_add(registry=registry, title="B")
    gift = make_gift(item=a)

    item_archive(item=a)
    assert _titles(registry) == ["B"]
    assert [item.title for item in archived_items(registry=registry)] == ["A"]
    gift.refresh_from_db()
    assert gift.state == "active"  # its gift stays on the Thank You List
    with pytest.raises(GratitudeError, match="Only items on the list"):
        item_move(item=a, direction="up")

    item_restore(item=a)
    assert _titles(registry) == ["B", "A"]
    assert b.pk


# --- search names ----------------------------------------------------------------------------


def test_search_terms_fold_case_and_accents():
    assert search_terms("Zoë  O'BRIEN-Ślusarz") == ["brien", "o", "slusarz", "zoe"]


def test_search_names_index_the_owner_and_co_registrants_but_not_delegates_or_addresses():
    owner = make_user(display_name="Alex Rivera", email="alex.secret@example.test")
    registry = make_registry(owner=owner)
    registry_member_add(registry=registry, user=make_user(display_name="Sam Okafor"))
    registry_member_add(registry=registry, user=make_user(display_name="Helper Hank"), role="delegate")

    terms = sorted(registry.search_names.values_list("term", flat=True))

    assert terms == ["alex", "okafor", "rivera", "sam"]


def test_search_names_follow_members_leaving():
    registry = make_registry(owner=make_user(display_name="Alex"))
    member = registry_member_add(registry=registry, user=make_user(display_name="Sam"))

    registry_member_remove(member=member)

    assert list(registry.search_names.values_list("term", flat=True)) == ["alex"]


# --- invitations -----------------------------------------------------------------------------


def test_inviting_an_unknown_address_makes_an_account_without_a_password_and_queues_one_mail():
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner)

    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email=" Sam@Example.TEST ", name="Sam", role="delegate"
    )

    assert invitation.email == "sam@example.test"
    invitee = User.objects.get(email="sam@example.test")
    assert invitation.invitee == invitee
    assert not invitee.has_usable_password()
    assert invitee.email_verified_at is None
    assert invitee.display_name == ""  # never the name an inviter typed (docs/safety.md promise 16)
    [row] = Notification.objects.filter(kind="registry_invitation")
    assert (row.recipient, row.registry_id, row.gift_id) == (invitee, registry.pk, None)
    assert row.idempotency_key == f"registry_invitation:invitation:{invitation.pk}"
    assert not RegistryMember.objects.filter(registry=registry, user=invitee).exists()


def test_inviting_someone_with_an_account_uses_their_account():
    owner = make_user()
    registry = make_registry(owner=owner)
    existing = make_user(display_name="Sam Existing")

    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email=existing.email, name="Whatever"
    )

    assert invitation.invitee == existing
    existing.refresh_from_db()
    assert existing.display_name == "Sam Existing"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"name": "  "}, "name"),
        ({"role": "owner"}, "role"),
        ({"name": "n" * 121}, "name"),
    ],
)
def test_invitation_create_refuses_bad_input_and_writes_nothing(fields, message):
    owner = make_user()
    registry = make_registry(owner=owner)

    with pytest.raises(GratitudeError, match=message):
        registry_invitation_create(
            registry=registry, invited_by=owner, **{"email": "sam@example.test", "name": "Sam", **fields}
        )

    assert RegistryInvitation.objects.count() == 0
    assert Notification.objects.count() == 0


def test_delegates_and_strangers_cannot_invite():
    registry = make_registry()
    delegate = make_user()
    registry_member_add(registry=registry, user=delegate, role="delegate")

    for person in (delegate, make_user()):
        with pytest.raises(PermissionDenied):
            registry_invitation_create(registry=registry, invited_by=person, email="x@example.test", name="X")

    assert RegistryInvitation.objects.count() == 0


def test_a_second_invitation_to_the_same_address_or_a_member_is_refused():
    owner = make_user()
    registry = make_registry(owner=owner)
    registry_invitation_create(registry=registry, invited_by=owner, email="sam@example.test", name="Sam")

    with pytest.raises(GratitudeError, match="already invited"):
        registry_invitation_create(registry=registry, invited_by=owner, email="SAM@example.test", name="Sam")
    with pytest.raises(GratitudeError, match="already a member"):
        registry_invitation_create(registry=registry, invited_by=owner, email=owner.email, name="Me")

    assert RegistryInvitation.objects.count() == 1


def test_an_expired_invitation_can_be_replaced():
    owner = make_user()
    registry = make_registry(owner=owner)
    first = registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name="Sam"
    )

    with time_machine.travel(timezone.now() + timedelta(days=15)):
        second = registry_invitation_create(
            registry=registry, invited_by=owner, email="sam@example.test", name="Sam"
        )

    first.refresh_from_db()
    assert first.state == "expired"
    assert second.state == "pending"


def test_accepting_makes_the_invitee_a_member_with_the_invited_role_and_confirms_the_address():
    owner = make_user()
    registry = make_registry(owner=owner)
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name="Sam", role="delegate"
    )

    user = registry_invitation_accept_with_new_password(
        invitation=invitation, display_name=" Sam Okafor ", password="a long passphrase 1729"
    )

    member = RegistryMember.objects.get(registry=registry, user=user)
    assert (member.role, member.alerts) == ("delegate", "off")
    user.refresh_from_db()
    assert user.check_password("a long passphrase 1729")
    assert user.display_name == "Sam Okafor"
    assert user.email_verified_at is not None
    invitation.refresh_from_db()
    assert invitation.state == "accepted"
    assert registry.search_names.filter(term="okafor").exists() is False  # delegates are not searchable


def test_accepting_as_a_co_registrant_makes_the_registry_findable_by_their_name():
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner)
    existing = make_user(display_name="Sam Okafor")
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email=existing.email, name="Sam"
    )

    registry_invitation_accept(invitation=invitation, user=existing)

    assert registry.search_names.filter(term="okafor").exists()


def test_only_the_invitee_may_accept():
    owner = make_user()
    registry = make_registry(owner=owner)
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name="Sam"
    )
    intruder = make_user()

    with pytest.raises(PermissionDenied, match="different email address"):
        registry_invitation_accept(invitation=invitation, user=intruder)

    assert not RegistryMember.objects.filter(registry=registry, user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.state == "pending"


def test_an_invitee_with_a_password_must_log_in_rather_than_set_a_new_one():
    owner = make_user()
    registry = make_registry(owner=owner)
    existing = make_user()
    existing.set_password("their own password 42")
    existing.save()
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email=existing.email, name="Sam"
    )

    with pytest.raises(GratitudeError, match="log in"):
        registry_invitation_accept_with_new_password(
            invitation=invitation, display_name="Mallory", password="hijacked passphrase 99"
        )

    existing.refresh_from_db()
    assert existing.check_password("their own password 42")


def test_a_weak_password_is_refused_and_nothing_changes():
    owner = make_user()
    registry = make_registry(owner=owner)
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name="Sam"
    )

    with pytest.raises(GratitudeError, match="password"):
        registry_invitation_accept_with_new_password(
            invitation=invitation, display_name="Sam", password="123"
        )

    assert not invitation.invitee.has_usable_password()
    assert registry.members.count() == 1


@pytest.mark.parametrize("ending", ["revoked", "expired", "accepted", "archived"])
def test_a_closed_invitation_cannot_be_accepted(ending):
    owner = make_user()
    registry = make_registry(owner=owner)
    invitee = make_user()
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email=invitee.email, name="Sam"
    )
    when = timezone.now()
    if ending == "revoked":
        registry_invitation_revoke(invitation=invitation, by=owner)
    elif ending == "accepted":
        registry_invitation_accept(invitation=invitation, user=invitee)
    elif ending == "archived":
        registry_archive(registry=registry, by=owner)
    else:
        when += timedelta(days=15)

    with time_machine.travel(when), pytest.raises(GratitudeError):
        registry_invitation_accept(invitation=invitation, user=invitee)


def test_removing_members_is_for_the_owner_or_the_member_leaving():
    owner = make_user()
    registry = make_registry(owner=owner)
    partner = registry_member_add(registry=registry, user=make_user())
    helper = registry_member_add(registry=registry, user=make_user(), role="delegate")

    with pytest.raises(PermissionDenied):
        registry_member_remove(member=helper, by=partner.user)
    registry_member_remove(member=helper, by=helper.user)
    registry_member_remove(member=partner, by=owner)

    assert list(registry.members.values_list("user_id", flat=True)) == [owner.pk]
