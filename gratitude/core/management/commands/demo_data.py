"""`gratitude demo_data`: load the demo registrants, a registry and its items, once (idempotent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.accounts.services import user_create
from gratitude.registries.services import item_add, registry_create, registry_member_add

DEMO_PASSWORD = "gratitude-demo"  # noqa: S105 - a demo login, printed by `make run`
DEMO_OWNER = "alex@example.test"
DEMO_PARTNER = "sam@example.test"
DEMO_ITEMS = [
    ("Cast-iron casserole", 1, Decimal("89.00")),
    ("Linen napkins (set of 4)", 3, Decimal("24.50")),
    ("A picnic blanket", 1, None),
]


class Command(BaseCommand):
    help = "Load demo users and a demo registry, unless they already exist."

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(email=DEMO_OWNER).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            self._load()
            self.stdout.write("Demo data loaded.")
        self.stdout.write(
            f"Demo logins: {DEMO_OWNER} / {DEMO_PASSWORD}  and  {DEMO_PARTNER} / {DEMO_PASSWORD}"
        )

    @transaction.atomic
    def _load(self) -> None:
        verified = timezone.now()
        alex = user_create(email=DEMO_OWNER, password=DEMO_PASSWORD, display_name="Alex")
        sam = user_create(email=DEMO_PARTNER, password=DEMO_PASSWORD, display_name="Sam")
        User.objects.filter(pk__in=[alex.pk, sam.pk]).update(email_verified_at=verified)
        registry = registry_create(owner=alex, title="Alex & Sam's housewarming", occasion="housewarming")
        registry_member_add(registry=registry, user=sam)
        for title, quantity, price in DEMO_ITEMS:
            item_add(registry=registry, title=title, quantity=quantity, price=price)
