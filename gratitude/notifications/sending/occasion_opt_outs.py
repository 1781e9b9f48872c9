"""Occasion opt-outs (quiet mode): "never send me anything about baby / wedding / Mother's Day / ...".

One declared list of the occasions a person can opt out of (`OPT_OUT_OCCASIONS`), the service that records
their choice, and `opted_out`, one step of the send-time guard chain (sending/guards.py). Campaign audiences
leave the same people out before anything is written (operations/audience.py, `occasion_opt_outs`).

What a row speaks of comes from its kind's declaration (`Kind.occasions` in outbox/kinds.py): "registry" is
the row's registry's own declared occasion, "campaign" (operator-written kinds) what the row's campaign speaks
of (what its author declared, and the registry occasions its audience is chosen by; a correction inherits
what it corrects), any other entry is an occasion slug itself. Transactional mail, the
person's own request (a receipt they asked for at the moment they gave), still comes, as it does after an
unsubscribe.

The same step also keeps the footer's "Pause all messages about this registry" for people who are not
members of that registry (a giver): see web/pause_link.py and docs/deliverability.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from gratitude.core.errors import GratitudeError
from gratitude.core.occasions import Occasion
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import Category, Kind
from gratitude.notifications.sending.ports import Person, campaign_facts


class _SavedPerson(Person, Protocol):
    def save(self, *args: Any, **kwargs: Any) -> None: ...


_P = TypeVar("_P", bound=_SavedPerson)

# What a kind declares when its copy speaks of the registry's own occasion (outbox/kinds.py).
REGISTRY = "registry"
# What an operator-written kind declares: its copy speaks of what the row's campaign speaks of.
CAMPAIGN = "campaign"

# Calendar occasions: not a registry's occasion, but campaigns may speak of them and people may not want
# to hear of them at all (a lost parent, a lost child, a loss around the holidays).
CALENDAR_OCCASIONS: dict[str, str] = {
    "mothers_day": "Mother's Day",
    "fathers_day": "Father's Day",
    "valentines_day": "Valentine's Day",
    "holidays": "Holidays",
}

# Every occasion a person can opt out of, in the order the preferences page lists them. "Other" names no
# occasion, so nobody can opt out of it.
OPT_OUT_OCCASIONS: dict[str, str] = {
    **{occasion.value: occasion.label for occasion in Occasion if occasion != Occasion.OTHER},
    **CALENDAR_OCCASIONS,
}


def opt_outs_of(user: Person) -> set[str]:
    """The occasions this person opted out of (anything stored that is not a declared slug is ignored)."""
    stored: Any = user.occasion_opt_outs
    if not isinstance(stored, list):
        return set()
    return {slug for slug in stored if isinstance(slug, str) and slug in OPT_OUT_OCCASIONS}


def occasion_opt_outs_set(*, user: _P, occasions: Iterable[str]) -> _P:
    """Record exactly these opt-outs (the preferences page sends the whole set each time)."""
    chosen = sorted(set(occasions))
    unknown = [slug for slug in chosen if slug not in OPT_OUT_OCCASIONS]
    if unknown:
        raise GratitudeError(f"unknown occasion: {', '.join(unknown)}")
    user.occasion_opt_outs = chosen
    user.save(update_fields=["occasion_opt_outs"])
    return user


def _campaign_occasions(row: Notification) -> set[str]:
    """The occasions a campaign or correction row's campaign speaks of (operations/campaigns/,
    `campaign_occasions`), read at send time, so an opt-out chosen after the audience was frozen still
    counts. Inside a worker's batch, read once for all its rows (sending/batch_facts.py).

    A row written for no campaign speaks of nothing here; its kind's provenance refuses it as a breach.
    Operations owns campaigns and answers through notifications/sending/ports.py (two queries for the lot)."""
    from gratitude.notifications.sending import batch_facts

    occasions_by_message = campaign_facts().occasions_by_message
    facts = batch_facts.current()
    if facts is not None:
        among, spoken = facts.get(
            "campaign_occasions",
            lambda rows: ({r.pk for r in rows}, occasions_by_message(r.pk for r in rows)),
        )
        if row.pk in among:
            return set(spoken.get(row.pk, ()))
    return set(occasions_by_message([row.pk]).get(row.pk, ()))


def occasions_of(row: Notification, kind: Kind) -> set[str]:
    """Every occasion this row's message speaks of."""
    spoken: set[str] = set()
    for declared in kind.occasions:
        if declared == REGISTRY:
            if row.registry_id is not None:
                assert row.registry is not None
                spoken.add(row.registry.occasion)
        elif declared == CAMPAIGN:
            spoken |= _campaign_occasions(row)
        else:
            spoken.add(declared)
    return spoken


def opted_out(row: Notification, kind: Kind) -> str | None:
    """The suppression reason when the recipient opted out of an occasion this row speaks of, or muted the
    row's registry from a message's footer; else None."""
    from gratitude.notifications.web.pause_link import registry_muted

    if row.registry_id is not None and registry_muted(user_id=row.recipient_id, registry_id=row.registry_id):
        return "registry_muted"
    if kind.category == Category.TRANSACTIONAL:
        return None
    hit = sorted(occasions_of(row, kind) & opt_outs_of(row.recipient))
    return f"occasion_opt_out: {hit[0]}" if hit else None
