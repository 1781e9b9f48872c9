"""`gratitude demo_data`: the demo a newcomer meets after `make run`, loaded once (running it again adds
nothing): two registrants, three registries of different occasions with gifts, a group gift part funded, a
hold, a Thank You List in progress, and pictures (drawn on the spot, kept through the same pipeline as any
upload: `_demo_pictures.py`).

It lives in its own app, `demo`, on top of every domain app, because it goes through every service below
it, exactly as a registrant and their givers would (so the demo's gift alerts are real outbox rows for real
gifts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.accounts.services import user_create
from gratitude.demo.management.commands._demo_pictures import demo_picture
from gratitude.gifts.models import Gift, GiftBought
from gratitude.gifts.services import gift_contribute, gift_mark_received, gift_record, reservation_create
from gratitude.registries.models import Item, Registry
from gratitude.registries.services.add_from_store import picture_create_from_upload
from gratitude.registries.services.items import item_add
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.services.registries import registry_create, registry_photo_set
from gratitude.thanks.models import ThankYouStatus
from gratitude.thanks.services import thank_you_mark

DEMO_PASSWORD = "gratitude-demo"  # noqa: S105 - a demo login, printed by `make run`
DEMO_OWNER = "alex@example.test"
DEMO_PARTNER = "sam@example.test"


@dataclass(frozen=True)
class DemoItem:
    title: str
    quantity: int = 1
    price: Decimal | None = None
    group_gift: bool = False
    notes: str = ""


@dataclass(frozen=True)
class DemoGift:
    item: str
    giver: str
    email: str = ""
    message: str = ""
    amount: Decimal | None = None  # a contribution toward a group gift
    bought: str = GiftBought.AS_LISTED
    similar_note: str = ""
    thanked: str = ""  # "" (to do), "written" or "sent"
    received: bool = False


@dataclass(frozen=True)
class DemoRegistry:
    title: str
    occasion: str
    owner: str
    event_date: date | None
    welcome_note: str
    items: list[DemoItem]
    gifts: list[DemoGift] = field(default_factory=list)
    held: list[tuple[str, str]] = field(default_factory=list)  # (item, giver): a current hold


DEMO_REGISTRIES = [
    DemoRegistry(
        title="Alex & Sam's housewarming",
        occasion="housewarming",
        owner=DEMO_OWNER,
        event_date=None,
        welcome_note="We finally have a kitchen big enough for everyone. Thank you for thinking of us!",
        items=[
            DemoItem("Cast-iron casserole", 1, Decimal("89.00")),
            DemoItem("Linen napkins (set of 4)", 3, Decimal("24.50")),
            DemoItem("A picnic blanket"),
            DemoItem("Espresso machine", 1, Decimal("420.00"), group_gift=True),
        ],
        gifts=[
            DemoGift(
                "Cast-iron casserole",
                "Robin Meyer",
                "robin@example.test",
                "For many long Sunday stews.",
                thanked="sent",
                received=True,
            ),
            DemoGift(
                "Linen napkins (set of 4)",
                "Aunt Jo",
                "jo@example.test",
                bought=GiftBought.ELSEWHERE,
                thanked="written",
                received=True,
            ),
            DemoGift(
                "Espresso machine", "Kim Lee", "kim@example.test", "Coffee's on me.", amount=Decimal("150")
            ),
            DemoGift("Espresso machine", "The Okafors", amount=Decimal("100")),
        ],
        held=[("A picnic blanket", "Dana")],
    ),
    DemoRegistry(
        title="Baby Rivera-Okafor",
        occasion="baby",
        owner=DEMO_PARTNER,
        event_date=date(2031, 3, 14),
        welcome_note="Hand-me-downs are more than welcome too.",
        items=[
            DemoItem("Convertible stroller", 1, Decimal("480.00"), group_gift=True),
            DemoItem("Muslin swaddles (pack of 3)", 2, Decimal("29.90")),
            DemoItem("Picture books for the first year", 5, notes="Any you loved as a child."),
            DemoItem("Baby carrier", 1, Decimal("129.00")),
        ],
        gifts=[
            DemoGift("Convertible stroller", "Grandma Rose", "rose@example.test", amount=Decimal("200")),
            DemoGift(
                "Picture books for the first year",
                "Robin Meyer",
                "robin@example.test",
                "Goodnight Moon was my favourite.",
                thanked="written",
            ),
            DemoGift(
                "Baby carrier",
                "Priya",
                "priya@example.test",
                bought=GiftBought.SIMILAR,
                similar_note="A wrap carrier in grey",
            ),
        ],
    ),
    DemoRegistry(
        title="Sam's 40th birthday",
        occasion="birthday",
        owner=DEMO_OWNER,
        event_date=date(2031, 9, 2),
        welcome_note="",
        items=[
            DemoItem("Climbing shoes (size 42)", 1, Decimal("110.00")),
            DemoItem("A cooking class for two", 1, Decimal("160.00")),
            DemoItem("Board games", 3),
        ],
        gifts=[DemoGift("Board games", "Lee", "lee@example.test", "Rematch soon!")],
    ),
]


class Command(BaseCommand):
    help = "Load the demo registrants, three registries, their gifts and a Thank You List in progress, once."

    def handle(self, *args: Any, **options: Any) -> None:
        added = self._load()
        self.stdout.write("Demo data loaded." if added else "Demo data already loaded.")
        self.stdout.write(
            f"Demo logins: {DEMO_OWNER} / {DEMO_PASSWORD}  and  {DEMO_PARTNER} / {DEMO_PASSWORD}"
        )

    @transaction.atomic
    def _load(self) -> int:
        people = {
            DEMO_OWNER: self._person(DEMO_OWNER, "Alex"),
            DEMO_PARTNER: self._person(DEMO_PARTNER, "Sam"),
        }
        added = 0
        for demo in DEMO_REGISTRIES:
            owner = people[demo.owner]
            # Idempotent per registry: a demo database from an older release gets the registries it lacks.
            if Registry.objects.filter(title=demo.title, members__user=owner, members__role="owner").exists():
                continue
            partner = next(user for address, user in people.items() if address != demo.owner)
            self._registry(demo, owner, partner)
            added += 1
        return added

    def _person(self, email: str, name: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(email=email, password=DEMO_PASSWORD, display_name=name)
            User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
        return user

    def _registry(self, demo: DemoRegistry, owner: User, partner: User) -> None:
        registry = registry_create(
            owner=owner,
            title=demo.title,
            occasion=demo.occasion,
            event_date=demo.event_date,
            welcome_note=demo.welcome_note,
        )
        registry_member_add(registry=registry, user=partner)
        registry_photo_set(registry=registry, by=owner, data=demo_picture(demo.title))
        items: dict[str, Item] = {}
        for spec in demo.items:
            items[spec.title] = item_add(
                registry=registry,
                title=spec.title,
                quantity=spec.quantity,
                price=spec.price,
                group_gift=spec.group_gift,
                notes=spec.notes,
                picture=picture_create_from_upload(registry=registry, data=demo_picture(spec.title)),
            )
        for spec_gift in demo.gifts:
            gift = self._gift(spec_gift, items[spec_gift.item])
            if spec_gift.received:
                gift_mark_received(gift=gift)
            if spec_gift.thanked in {ThankYouStatus.WRITTEN, ThankYouStatus.SENT}:
                thank_you_mark(gifts=[gift], status=spec_gift.thanked, by=owner)
        for item_title, giver in demo.held:
            reservation_create(item=items[item_title], giver_name=giver)

    def _gift(self, spec: DemoGift, item: Item) -> Gift:
        if spec.amount is not None:
            return gift_contribute(
                item=item,
                giver_name=spec.giver,
                giver_email=spec.email,
                message=spec.message,
                amount=spec.amount,
            )
        return gift_record(
            item=item,
            giver_name=spec.giver,
            giver_email=spec.email,
            message=spec.message,
            bought=spec.bought,
            similar_note=spec.similar_note,
        )
