"""The domain facts the sending path asks at send time, declared here and answered by the apps that own them.

The guards (sending/guards.py, sending/quiet_mode.py, sending/occasion_opt_outs.py, sending/pacing.py) must
look at the world as it is *now*: is the registry a row is about paused, is its recipient still a member, who
is a quiet person's trusted delegate, what does a campaign speak of (docs/safety.md, promises 1, 9 and 16).
Those facts belong to apps above notifications in the layers (docs/architecture.md), which the sending path
may not import. So it declares here what it needs to know, and each owning app plugs its answer in from its
`AppConfig.ready()`: registries (`register_registry_facts`), accounts (`register_people_facts`), operations
(`register_campaign_facts`).

Batch questions take id collections and answer for all of them at once, so the worker keeps asking each
question once per batch (docs/architecture.md, "The guards' facts, once per batch"). A port nobody plugged
in is a configuration error, raised loudly: the guards never guess an answer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class Person(Protocol):
    """What the sending path reads of a person (the user model, accounts.User), without importing it."""

    @property
    def pk(self) -> Any: ...

    email: str
    email_verified_at: datetime | None
    quiet_since: datetime | None
    occasion_opt_outs: Any


class Identified(Protocol):
    """Anything with a primary key (a registry, for a link that names it)."""

    @property
    def pk(self) -> Any: ...


@dataclass(frozen=True)
class RegistryFacts:
    """Answered by registries (registries/apps.py)."""

    # Of these registry ids, those paused right now: one query for the lot.
    paused_among: Callable[[Collection[int]], set[int]]
    # Of these user ids, those who belong to a paused registry right now: one query for the lot.
    members_of_paused: Callable[[Collection[int]], set[int]]
    # Whether this member (registry_id, user_id) chose the daily digest for gift alerts. Answered from the
    # batch's membership facts when a batch is running, which provenance reads too.
    prefers_digest: Callable[[int, int], bool]


@dataclass(frozen=True)
class PeopleFacts:
    """Answered by accounts (accounts/apps.py)."""

    # For these user ids, the address of the trusted delegate each accepted for must-go messages (the
    # earliest accepted, still active); people without one are left out.
    must_go_delegates: Callable[[Collection[int]], dict[int, str]]


@dataclass(frozen=True)
class CampaignFacts:
    """Answered by operations (operations/apps.py)."""

    # For these outbox row ids written for a campaign or correction, the occasions the campaign speaks of;
    # rows written for no campaign are left out.
    occasions_by_message: Callable[[Iterable[int]], dict[int, tuple[str, ...]]]


_registry_facts: RegistryFacts | None = None
_people_facts: PeopleFacts | None = None
_campaign_facts: CampaignFacts | None = None


def register_registry_facts(facts: RegistryFacts) -> None:
    global _registry_facts
    _registry_facts = facts


def register_people_facts(facts: PeopleFacts) -> None:
    global _people_facts
    _people_facts = facts


def register_campaign_facts(facts: CampaignFacts) -> None:
    global _campaign_facts
    _campaign_facts = facts


def _missing(what: str, owner: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"no {what} registered: is {owner} in INSTALLED_APPS?")


def registry_facts() -> RegistryFacts:
    if _registry_facts is None:
        raise _missing("registry facts", "gratitude.registries")
    return _registry_facts


def people_facts() -> PeopleFacts:
    if _people_facts is None:
        raise _missing("people facts", "gratitude.accounts")
    return _people_facts


def campaign_facts() -> CampaignFacts:
    if _campaign_facts is None:
        raise _missing("campaign facts", "gratitude.operations")
    return _campaign_facts
