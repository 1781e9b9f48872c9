"""Sample messages of every kind, for `gratitude mail preview KIND`, the dev preview page and the tests.

A sample is a real event made through the real services (so its outbox rows come from the one writer,
notifications/services.py), rendered, and rolled back: nothing of it stays in the database. A new kind adds
its sample here; the tests render, sign and check every kind in KINDS and fail for one without a sample.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.notifications.kinds import Kind, kind_named
from gratitude.notifications.models import Notification
from gratitude.notifications.rendering import RenderedMessage, build_email, render
from gratitude.notifications.transport import signed_bytes


def _address(local: str) -> str:
    """A reserved-domain address no real account has (a preview may run on a database with data)."""
    address = f"{local}@example.test"
    if User.objects.filter(email=address).exists():
        address = f"{local}+preview-{secrets.token_hex(3)}@example.test"
    return address


def sample_person(local: str, name: str) -> User:
    from gratitude.accounts.services import user_create

    user = user_create(email=_address(local), password=secrets.token_urlsafe(16), display_name=name)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return user


def _gift_alert() -> list[Notification]:
    from gratitude.gifts.services import gift_record
    from gratitude.registries.services import item_add, registry_create

    owner = sample_person("alex.rivera", "Alex Rivera")
    registry = registry_create(
        owner=owner, title="Alex & Sam's wedding", occasion="wedding", event_date=date(2031, 6, 14)
    )
    item = item_add(registry=registry, title="Wooden salad bowl", quantity=2)
    gift = gift_record(
        item=item,
        giver_name="Aunt Robin",
        giver_email=_address("robin"),
        message="For many happy dinners.\nLove, Robin",
    )
    return list(Notification.objects.filter(gift=gift, recipient=owner))


def _email_verify() -> list[Notification]:
    from gratitude.accounts.services import user_signup

    address = _address("jordan.lee")
    user_signup(email=address)
    return list(Notification.objects.filter(kind="email_verify", recipient__email=address))


def _signup_existing() -> list[Notification]:
    from gratitude.accounts.services import user_signup

    user = sample_person("sam.okafor", "Sam Okafor")
    user_signup(email=user.email)
    return list(Notification.objects.filter(kind="signup_existing", recipient=user))


def _password_reset() -> list[Notification]:
    from gratitude.accounts.services import password_reset_request

    user = sample_person("sam.okafor", "Sam Okafor")
    password_reset_request(email=user.email)
    return list(Notification.objects.filter(kind="password_reset", recipient=user))


def _sample_wedding(owner: User, *, event_date: date = date(2031, 6, 14)) -> int:
    """A registry for the issue-4 samples; returns its id."""
    from gratitude.registries.services import registry_create

    title = "Alex & Sam's wedding"
    return registry_create(owner=owner, title=title, occasion="wedding", event_date=event_date).pk


def _registry_invitation() -> list[Notification]:
    from gratitude.registries.models import Registry
    from gratitude.registries.services import registry_invitation_create

    owner = sample_person("alex.rivera", "Alex Rivera")
    registry = Registry.objects.get(pk=_sample_wedding(owner))
    registry_invitation_create(
        registry=registry, invited_by=owner, email=_address("sam.okafor"), name="Sam Okafor"
    )
    return list(Notification.objects.filter(kind="registry_invitation", registry=registry))


def _reservation_reminder() -> list[Notification]:
    from gratitude.gifts.services import reservation_create
    from gratitude.registries.models import Registry
    from gratitude.registries.services import item_add

    registry = Registry.objects.get(pk=_sample_wedding(sample_person("alex.rivera", "Alex Rivera")))
    item = item_add(registry=registry, title="Wooden salad bowl", quantity=2)
    reservation_create(item=item, giver_name="Aunt Robin", giver_email=_address("robin"), remind=True)
    return list(Notification.objects.filter(kind="reservation_reminder", registry=registry))


def _reservation_link() -> list[Notification]:
    from gratitude.gifts.services import reservation_create
    from gratitude.registries.models import Registry
    from gratitude.registries.services import item_add

    registry = Registry.objects.get(pk=_sample_wedding(sample_person("alex.rivera", "Alex Rivera")))
    item = item_add(registry=registry, title="Wooden salad bowl", quantity=2)
    reservation_create(item=item, giver_name="Aunt Robin", giver_email=_address("robin"))
    return list(Notification.objects.filter(kind="reservation_link", registry=registry))


def _gift_receipt() -> list[Notification]:
    from gratitude.gifts.services import gift_record
    from gratitude.registries.models import Registry
    from gratitude.registries.services import item_add

    registry = Registry.objects.get(pk=_sample_wedding(sample_person("alex.rivera", "Alex Rivera")))
    item = item_add(registry=registry, title="Wooden salad bowl", quantity=2)
    gift = gift_record(
        item=item,
        giver_name="Aunt Robin",
        giver_email=_address("robin"),
        message="For many happy dinners.\nLove, Robin",
        send_receipt=True,
    )
    return list(Notification.objects.filter(kind="gift_receipt", gift=gift))


def _registry_archive_notice() -> list[Notification]:
    from datetime import timedelta

    from gratitude.registries.services import registry_lifecycle_step

    owner = sample_person("alex.rivera", "Alex Rivera")
    registry_id = _sample_wedding(owner, event_date=timezone.now().date() - timedelta(days=365))
    registry_lifecycle_step(registry_id=registry_id)
    return list(Notification.objects.filter(kind="registry_archive_notice", registry_id=registry_id))


def _sample_thanks_gift(owner: User) -> Any:
    from gratitude.gifts.services import gift_record
    from gratitude.registries.models import Registry
    from gratitude.registries.services import item_add

    registry = Registry.objects.get(pk=_sample_wedding(owner))
    item = item_add(registry=registry, title="Wooden salad bowl", quantity=2)
    return gift_record(
        item=item,
        giver_name="Aunt Robin",
        giver_email=_address("robin"),
        message="For many happy dinners.\nLove, Robin",
    )


def _address_request() -> list[Notification]:
    from gratitude.thanks.services import address_request_create

    owner = sample_person("alex.rivera", "Alex Rivera")
    gift = _sample_thanks_gift(owner)
    address_request_create(gift=gift, by=owner)
    return list(Notification.objects.filter(kind="address_request", registry_id=gift.registry_id))


def _thank_you_reminder() -> list[Notification]:
    from gratitude.gifts.models import Gift
    from gratitude.thanks.services import thank_you_reminders_enqueue

    owner = sample_person("alex.rivera", "Alex Rivera")
    gift = _sample_thanks_gift(owner)
    # A reminder speaks of gifts that have waited a while: this sample's gift was given a month ago.
    Gift.objects.filter(pk=gift.pk).update(created_at=timezone.now() - timedelta(days=30))
    thank_you_reminders_enqueue()
    return list(
        Notification.objects.filter(kind="thank_you_reminder", registry_id=gift.registry_id, recipient=owner)
    )


def _reservation_released() -> list[Notification]:
    from gratitude.gifts.services import reservation_create
    from gratitude.registries.models import Registry
    from gratitude.registries.services import item_add, registry_pause

    owner = sample_person("alex.rivera", "Alex Rivera")
    registry = Registry.objects.get(pk=_sample_wedding(owner))
    item = item_add(registry=registry, title="Wooden salad bowl", quantity=2)
    reservation_create(item=item, giver_name="Aunt Robin", giver_email=_address("robin"), remind=True)
    registry_pause(registry=registry, by=owner)
    return list(Notification.objects.filter(kind="reservation_released", registry=registry))


def _quiet_delegate_invitation() -> list[Notification]:
    from gratitude.accounts.services import quiet_delegate_invite

    person = sample_person("alex.rivera", "Alex Rivera")
    trusted = sample_person("sam.okafor", "Sam Okafor")
    quiet_delegate_invite(user=person, email=trusted.email, receives_must_go=True)
    return list(Notification.objects.filter(kind="quiet_delegate_invitation", recipient=trusted))


def _operator_message(kind: str) -> Callable[[], list[Notification]]:
    def make() -> list[Notification]:
        from gratitude.operations.notifications import sample_rows

        return sample_rows(kind)

    return make


SAMPLES: dict[str, Callable[[], list[Notification]]] = {
    "gift_alert": _gift_alert,
    "email_verify": _email_verify,
    "password_reset": _password_reset,
    "signup_existing": _signup_existing,
    "registry_invitation": _registry_invitation,
    "reservation_reminder": _reservation_reminder,
    "reservation_link": _reservation_link,
    "gift_receipt": _gift_receipt,
    "registry_archive_notice": _registry_archive_notice,
    "address_request": _address_request,
    "thank_you_reminder": _thank_you_reminder,
    "reservation_released": _reservation_released,
    "quiet_delegate_invitation": _quiet_delegate_invitation,
    "campaign": _operator_message("campaign"),
    "correction": _operator_message("correction"),
}


class NoSample(LookupError):
    pass


@contextmanager
def sample_rows(kind_name: str) -> Iterator[tuple[Kind, list[Notification]]]:
    """The outbox rows a sample event writes for `kind_name`, rolled back when the block ends."""
    kind = kind_named(kind_name)
    make = SAMPLES.get(kind_name)
    if kind is None or make is None:
        raise NoSample(f"no sample for kind {kind_name!r}: add one to gratitude/notifications/samples.py")
    with transaction.atomic():
        try:
            rows = make()
            if not rows:
                raise NoSample(f"the sample for {kind_name!r} wrote no outbox row")
            yield kind, rows
        finally:
            transaction.set_rollback(True)


@dataclass(frozen=True)
class Preview:
    kind: Kind
    recipient_email: str
    rendered: RenderedMessage
    # The whole message as a transport would send it (signed when a DKIM key is configured).
    raw: bytes


def preview(kind_name: str) -> Preview:
    with sample_rows(kind_name) as (kind, rows):
        rendered = render(rows, kind)
        email = build_email(rows[0], kind, rendered)
        return Preview(
            kind=kind, recipient_email=rows[0].recipient.email, rendered=rendered, raw=signed_bytes(email)
        )
