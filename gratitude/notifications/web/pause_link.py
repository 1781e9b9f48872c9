"""The footer's "Pause all messages about this registry" link (quiet mode, docs/safety.md promise 9).

Every message about a registry carries it. The link is the only credential of its page, which works
without signing in (the person may be on a phone, far from a password, at the worst moment), so it is
signed with SECRET_KEY and a salt of its own, binds one recipient to one registry, and lasts two years: a
message can sit in an inbox a long time before the day someone needs it. GET only shows one button; the
POST (with CSRF) pauses.

What "pause" means depends on who follows the link, decided when they press the button:
- a member of the registry pauses the registry itself (`registries.services.pause.registry_pause`): no message
  about it reaches anyone, as from the registry's own "Pause all messages" page;
- anyone else (a giver, an invited person who never joined) cannot pause someone else's registry, so it
  mutes that registry for them alone: an `Unsubscribe` row whose category is `registry:<id>`, checked at
  send time (occasions.opted_out) for every kind, including receipts and reminders they once asked for.
Both are undone with one button on the same page. See docs/deliverability.md, "Pausing from a message".

This module holds the sending path's half (the signed link, the per-person mute it checks at send time);
who followed the link and what their button does is the registry's to decide, in registries/pause_targets.py,
so the sending path never imports the registries app above it (docs/architecture.md, the layers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

from gratitude.core.links import site_url
from gratitude.notifications.sending.ports import Identified, Person
from gratitude.notifications.sending.suppression import (
    category_resubscribe,
    category_unsubscribe,
    is_unsubscribed,
)

_SALT = "gratitude.notifications.pause_link"
MAX_AGE = timedelta(days=730)
# A per-person registry mute lives beside the category unsubscribes, under a category no kind has.
MUTE_PREFIX = "registry:"
MUTE_SOURCE = "pause_link"


def make_token(*, user: Identified, registry: Identified) -> str:
    return signing.dumps({"u": user.pk, "r": registry.pk}, salt=_SALT)


def pause_url(*, user: Identified, registry: Identified) -> str:
    return site_url("registries:pause_link", make_token(user=user, registry=registry))


class ExpiredLink(Exception):
    """A genuine pause link, older than MAX_AGE."""


@dataclass(frozen=True)
class PauseClaim:
    user_id: int
    registry_id: int


def read_token(token: str) -> PauseClaim | None:
    """The (recipient, registry) a token was made for; None for anything altered or malformed. Raises
    ExpiredLink for a genuine link older than MAX_AGE."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ExpiredLink from exc
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    user_id, registry_id = payload.get("u"), payload.get("r")
    if not isinstance(user_id, int) or not isinstance(registry_id, int):
        return None
    if isinstance(user_id, bool) or isinstance(registry_id, bool):
        return None
    return PauseClaim(user_id=user_id, registry_id=registry_id)


def _mute_category(registry_id: int) -> str:
    return f"{MUTE_PREFIX}{registry_id}"


def registry_muted(*, user_id: int, registry_id: int) -> bool:
    return is_unsubscribed(user_id=user_id, category=_mute_category(registry_id))


def registry_mute(*, user: Person, registry: Identified) -> bool:
    """No more mail about this registry to this person. Idempotent: True only the first time."""
    return category_unsubscribe(user=user, category=_mute_category(registry.pk), source=MUTE_SOURCE)


def registry_unmute(*, user: Person, registry: Identified) -> bool:
    return category_resubscribe(user=user, category=_mute_category(registry.pk))
