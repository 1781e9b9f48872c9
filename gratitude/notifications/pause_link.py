"""The footer's "Pause all messages about this registry" link (issue 7, SAFETY.md promise 9).

Every message about a registry carries it. The link is the only credential of its page, which works
without signing in (the person may be on a phone, far from a password, at the worst moment), so it is
signed with SECRET_KEY and a salt of its own, binds one recipient to one registry, and lasts two years: a
message can sit in an inbox a long time before the day someone needs it. GET only shows one button; the
POST (with CSRF) pauses.

What "pause" means depends on who follows the link, decided when they press the button:
- a member of the registry pauses the registry itself (`registries.services.registry_pause`): no message
  about it reaches anyone, as from the registry's own "Pause all messages" page;
- anyone else (a giver, an invited person who never joined) cannot pause someone else's registry, so it
  mutes that registry for them alone: an `Unsubscribe` row whose category is `registry:<id>`, checked at
  send time (occasions.opted_out) for every kind, including receipts and reminders they once asked for.
Both are undone with one button on the same page. See docs/deliverability.md, "Pausing from a message".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

from gratitude.accounts.models import User
from gratitude.core.links import site_url
from gratitude.notifications.suppression import category_resubscribe, category_unsubscribe, is_unsubscribed
from gratitude.registries.models import Registry, RegistryMember

_SALT = "gratitude.notifications.pause_link"
MAX_AGE = timedelta(days=730)
# A per-person registry mute lives beside the category unsubscribes, under a category no kind has.
MUTE_PREFIX = "registry:"
MUTE_SOURCE = "pause_link"


def make_token(*, user: User, registry: Registry) -> str:
    return signing.dumps({"u": user.pk, "r": registry.pk}, salt=_SALT)


def pause_url(*, user: User, registry: Registry) -> str:
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


@dataclass(frozen=True)
class PauseTarget:
    """Who followed a pause link, for which registry, and whether they belong to it right now."""

    person: User
    registry: Registry
    is_member: bool

    @property
    def paused(self) -> bool:
        """Whether what this person's button does is already in effect."""
        if self.is_member:
            return self.registry.paused_at is not None
        return registry_muted(user_id=self.person.pk, registry_id=self.registry.pk)


def pause_target_for(*, token: str) -> PauseTarget | None:
    """The target of a pause link; None when the token or what it names is not (or no longer) there.
    Raises ExpiredLink for a genuine link that is too old."""
    claim = read_token(token)
    if claim is None:
        return None
    person = User.objects.filter(pk=claim.user_id).first()
    registry = Registry.objects.filter(pk=claim.registry_id).first()
    if person is None or registry is None:
        return None
    is_member = RegistryMember.objects.filter(registry=registry, user=person).exists()
    return PauseTarget(person=person, registry=registry, is_member=is_member)


def _mute_category(registry_id: int) -> str:
    return f"{MUTE_PREFIX}{registry_id}"


def registry_muted(*, user_id: int, registry_id: int) -> bool:
    return is_unsubscribed(user_id=user_id, category=_mute_category(registry_id))


def registry_mute(*, user: User, registry: Registry) -> bool:
    """No more mail about this registry to this person. Idempotent: True only the first time."""
    return category_unsubscribe(user=user, category=_mute_category(registry.pk), source=MUTE_SOURCE)


def registry_unmute(*, user: User, registry: Registry) -> bool:
    return category_resubscribe(user=user, category=_mute_category(registry.pk))


def pause_from_link(*, target: PauseTarget) -> None:
    """The page's one button: pause the registry (a member) or mute it for this person (anyone else)."""
    from gratitude.registries.services import registry_pause

    if target.is_member:
        registry_pause(registry=target.registry, by=target.person)
    else:
        registry_mute(user=target.person, registry=target.registry)


def resume_from_link(*, target: PauseTarget) -> None:
    from gratitude.registries.services import registry_resume

    if target.is_member:
        registry_resume(registry=target.registry, by=target.person)
    else:
        registry_unmute(user=target.person, registry=target.registry)
