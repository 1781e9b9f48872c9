"""Who belongs to a registry now, as the sending path asks it for each outbox row at send time.

Inside a worker batch (notifications/sending/batch_facts.py) the memberships of every registry the batch
touches are read in one query and answered from memory; outside one (a test, an operator's quarantine), each
question is its own query. Only registries the batch loaded are answered from memory: a row from
elsewhere always gets a fresh query, never a wrong "not a member".
"""

from __future__ import annotations

from datetime import datetime

from gratitude.notifications.models import Notification
from gratitude.notifications.sending import batch_facts
from gratitude.registries.models import FormerMember, RegistryMember

_Members = dict[int, dict[int, RegistryMember]]
_Departures = dict[int, list[tuple[int, datetime]]]


def _registry_ids(rows: list[Notification]) -> set[int]:
    ids = {row.registry_id for row in rows if row.registry_id is not None}
    ids |= {row.gift.registry_id for row in rows if row.gift_id is not None and row.gift is not None}
    return ids


def _members_of_batch(rows: list[Notification]) -> _Members:
    members: _Members = {registry_id: {} for registry_id in _registry_ids(rows)}
    for member in RegistryMember.objects.filter(registry_id__in=members):
        members[member.registry_id][member.user_id] = member
    return members


def _departures_of_batch(rows: list[Notification]) -> _Departures:
    departures: _Departures = {registry_id: [] for registry_id in _registry_ids(rows)}
    for registry_id, user_id, left_at in FormerMember.objects.filter(registry_id__in=departures).values_list(
        "registry_id", "user_id", "left_at"
    ):
        departures[registry_id].append((user_id, left_at))
    return departures


def _batch_members(registry_id: int) -> dict[int, RegistryMember] | None:
    facts = batch_facts.current()
    if facts is None:
        return None
    return facts.get("registry_members", _members_of_batch).get(registry_id)


def _batch_departures(registry_id: int) -> list[tuple[int, datetime]] | None:
    facts = batch_facts.current()
    if facts is None:
        return None
    return facts.get("registry_departures", _departures_of_batch).get(registry_id)


def member_for(*, registry_id: int, user_id: int) -> RegistryMember | None:
    members = _batch_members(registry_id)
    if members is not None:
        return members.get(user_id)
    return RegistryMember.objects.filter(registry_id=registry_id, user_id=user_id).first()


def member_count(*, registry_id: int) -> int:
    members = _batch_members(registry_id)
    if members is not None:
        return len(members)
    return RegistryMember.objects.filter(registry_id=registry_id).count()


def departures_since(*, registry_id: int, since: datetime, user_id: int | None = None) -> int:
    """How many people (or whether `user_id`) left the registry at or after `since`."""
    departures = _batch_departures(registry_id)
    if departures is not None:
        return sum(1 for who, left_at in departures if left_at >= since and user_id in (None, who))
    former = FormerMember.objects.filter(registry_id=registry_id, left_at__gte=since)
    if user_id is not None:
        former = former.filter(user_id=user_id)
    return former.count()
