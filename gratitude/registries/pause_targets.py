"""Who followed a footer's "Pause all messages about this registry" link, and what their button does.

The link itself (signed, two years, one recipient and one registry) and the per-person mute belong to the
sending path (notifications/web/pause_link.py). Whether the person is a member right now, and pausing the
registry itself, are the registry's: so they live here, above notifications in the layers
(docs/architecture.md). See docs/deliverability.md, "Pausing from a message".
"""

from __future__ import annotations

from dataclasses import dataclass

from gratitude.accounts.models import User
from gratitude.notifications.web.pause_link import read_token, registry_mute, registry_muted, registry_unmute
from gratitude.registries.models import Registry, RegistryMember
from gratitude.registries.services.pause import registry_pause, registry_resume


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


def pause_from_link(*, target: PauseTarget) -> None:
    """The page's one button: pause the registry (a member) or mute it for this person (anyone else)."""
    if target.is_member:
        registry_pause(registry=target.registry, by=target.person)
    else:
        registry_mute(user=target.person, registry=target.registry)


def resume_from_link(*, target: PauseTarget) -> None:
    if target.is_member:
        registry_resume(registry=target.registry, by=target.person)
    else:
        registry_unmute(user=target.person, registry=target.registry)
