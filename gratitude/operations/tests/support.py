"""Helpers for the operations tests: staff operators, an audience of registrants, a campaign taken through
its steps by the real services, and the worker run in-process."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command

from gratitude.accounts.models import User
from gratitude.operations.campaigns.lifecycle import (
    campaign_approve,
    campaign_create,
    campaign_freeze,
    campaign_start,
)
from gratitude.operations.models import Campaign
from gratitude.operations.selectors import campaign_fingerprint
from gratitude.testing.factories import make_registry, make_user

SUBJECT = "Gratitude now keeps a printable Thank You List"
BODY = "You can now print your Thank You List.\n\nNothing changes for your registries."


def make_staff(name: str = "Operator") -> User:
    user = make_user(display_name=name)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def make_registrants(count: int, *, occasion: str = "wedding") -> list[User]:
    owners = []
    for _ in range(count):
        owner = make_user()
        make_registry(owner=owner, occasion=occasion)
        owners.append(owner)
    return owners


def wedding_audience(**overrides: Any) -> dict[str, Any]:
    return {"scope": "registrants", "occasions": ["wedding"], **overrides}


def draft(author: User, **overrides: Any) -> Campaign:
    fields: dict[str, Any] = {
        "title": "Printable lists",
        "subject": SUBJECT,
        "body": BODY,
        "audience": wedding_audience(),
        "speaks_of": [],
    }
    fields.update(overrides)
    return campaign_create(by=author, **fields)


def approved(author: User, approver: User, **overrides: Any) -> Campaign:
    campaign = campaign_freeze(campaign=draft(author, **overrides), by=author)
    return campaign_approve(campaign=campaign, by=approver, fingerprint=campaign_fingerprint(campaign))


def started(author: User, approver: User, **overrides: Any) -> Campaign:
    return campaign_start(campaign=approved(author, approver, **overrides), by=author)


def drain() -> None:
    call_command("worker", drain=True, verbosity=0)
