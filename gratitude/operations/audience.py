"""Who a campaign may reach: a declared filter over people (never a raw query), or, for a correction, exactly
the recipients of a recall; and the exclusions every audience gets, which no filter can turn off.

Always excluded (`always_excluded`): accounts that are inactive; people in quiet mode; people who stopped the
kind's category of mail (trustworthy mail's per-category preferences, `notifications.Unsubscribe`); addresses
on the suppression list (hard bounces, complaints); anyone with a paused registry (pausing is how people step
back from an occasion); and people who opted out of an occasion the campaign speaks of (`occasion_opt_outs`):
what its author declared it speaks of, and the registry occasions its filter chooses people by
(`spoken_occasions`). Campaigns also reach only confirmed addresses. See docs/operations.md, "Campaigns".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError
from gratitude.registries.models import MemberRole, Occasion

SCOPES = {"registrants": "Members of matching registries", "everyone": "Everyone with a confirmed account"}
REGISTRY_STATUSES = {"active": "Active", "archived": "Archived"}
ROLES = {role.value: role.label for role in MemberRole}
OCCASIONS = {occasion.value: occasion.label for occasion in Occasion}

# Why a person who matches a filter is left out anyway, in the order the breakdown shows them.
EXCLUSION_LABELS = {
    "inactive": "account inactive",
    "quiet_mode": "in quiet mode",
    "unsubscribed": "stopped this category of mail",
    "suppressed": "address suppressed (bounce or complaint)",
    "paused_registry": "has a paused registry",
    "occasion_opt_out": "opted out of this occasion",
}


def occasion_opt_outs(*, occasions: tuple[str, ...]) -> Q | None:
    """People who opted out of mail about any of `occasions` (preferences,
    notifications/sending/occasion_opt_outs.py), or None when the campaign declares no occasion. The same
    choice is checked again at send time."""
    if not occasions:
        return None
    combined = Q()
    for slug in sorted(set(occasions)):
        # `User.occasion_opt_outs` is a JSON list of slugs. A match on the quoted slug in its JSON text
        # works on SQLite and PostgreSQL alike (SQLite has no JSON containment lookup); the quotes keep
        # one slug from matching inside another.
        combined |= Q(occasion_opt_outs__icontains=f'"{slug}"')
    return combined


def _exclusions(category: str, occasions: tuple[str, ...] = ()) -> dict[str, Q]:
    from gratitude.notifications.models import SuppressedAddress, Unsubscribe
    from gratitude.registries.models import RegistryMember

    exclusions = {
        "inactive": Q(is_active=False),
        "quiet_mode": Q(quiet_since__isnull=False),
        "unsubscribed": Q(pk__in=Unsubscribe.objects.filter(category=category).values("user_id")),
        "suppressed": Q(email__in=SuppressedAddress.objects.values("address")),
        "paused_registry": Q(
            pk__in=RegistryMember.objects.filter(registry__paused_at__isnull=False).values("user_id")
        ),
    }
    opt_outs = occasion_opt_outs(occasions=occasions)
    if opt_outs is not None:
        exclusions["occasion_opt_out"] = opt_outs
    return exclusions


def always_excluded(*, category: str, occasions: tuple[str, ...] = ()) -> Q:
    """Everyone no campaign or correction of `category` may reach, whatever its filter says."""
    combined = Q()
    for condition in _exclusions(category, occasions).values():
        combined |= condition
    return combined


@dataclass(frozen=True)
class AudienceFilter:
    """The declared filter of a campaign. Every field is a choice from a fixed list."""

    scope: str = "registrants"
    # Registries' occasions; none chosen = any occasion.
    occasions: tuple[str, ...] = ()
    registry_statuses: tuple[str, ...] = ("active",)
    roles: tuple[str, ...] = (MemberRole.OWNER.value, MemberRole.CO_REGISTRANT.value)
    # An opt-in: only people who keep gift alerts on for a matching registry.
    alerts_on_only: bool = False

    def __post_init__(self) -> None:
        def check(values: tuple[str, ...], allowed: dict[str, str], what: str) -> None:
            unknown = sorted(set(values) - set(allowed))
            if unknown:
                raise GratitudeError(f"unknown {what}: {', '.join(unknown)}")

        if self.scope not in SCOPES:
            raise GratitudeError(f"unknown audience scope {self.scope!r}")
        check(self.occasions, OCCASIONS, "occasion")
        check(self.registry_statuses, REGISTRY_STATUSES, "registry status")
        check(self.roles, ROLES, "role")
        if self.scope == "registrants" and (not self.registry_statuses or not self.roles):
            raise GratitudeError("choose at least one registry status and one role")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AudienceFilter:
        known = {"scope", "occasions", "registry_statuses", "roles", "alerts_on_only"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GratitudeError(f"an audience cannot filter on {', '.join(unknown)}")
        return cls(
            scope=str(data.get("scope", "registrants")),
            occasions=tuple(sorted(data.get("occasions", ()))),
            registry_statuses=tuple(sorted(data.get("registry_statuses", ("active",)))),
            roles=tuple(sorted(data.get("roles", (MemberRole.OWNER.value, MemberRole.CO_REGISTRANT.value)))),
            alerts_on_only=bool(data.get("alerts_on_only", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "occasions": sorted(self.occasions),
            "registry_statuses": sorted(self.registry_statuses),
            "roles": sorted(self.roles),
            "alerts_on_only": self.alerts_on_only,
        }

    def describe(self) -> str:
        if self.scope == "everyone":
            return SCOPES["everyone"]
        occasions = ", ".join(OCCASIONS[o] for o in sorted(self.occasions)) or "any occasion"
        statuses = " or ".join(REGISTRY_STATUSES[s].lower() for s in sorted(self.registry_statuses))
        roles = ", ".join(ROLES[r] for r in sorted(self.roles))
        text = f"{roles} of {statuses} registries for {occasions}"
        return text + (", with gift alerts on" if self.alerts_on_only else "")

    def _memberships(self) -> QuerySet[Any]:
        from gratitude.registries.models import AlertPreference, RegistryMember

        members = RegistryMember.objects.filter(role__in=self.roles, registry__paused_at__isnull=True)
        if self.occasions:
            members = members.filter(registry__occasion__in=self.occasions)
        status = Q()
        if "active" in self.registry_statuses:
            status |= Q(registry__archived_at__isnull=True)
        if "archived" in self.registry_statuses:
            status |= Q(registry__archived_at__isnull=False)
        members = members.filter(status)
        if self.alerts_on_only:
            members = members.exclude(alerts=AlertPreference.OFF)
        return members

    def matching(self) -> QuerySet[User]:
        """Everyone the filter names, before the exclusions."""
        people = User.objects.filter(email_verified_at__isnull=False)
        if self.scope == "registrants":
            people = people.filter(pk__in=self._memberships().values("user_id"))
        return people

    def occasion_breakdown(self, users: QuerySet[User]) -> dict[str, int]:
        """How many of `users` belong to a matching registry of each occasion (one person may count twice)."""
        if self.scope != "registrants":
            return {}
        rows = (
            self._memberships()
            .filter(user__in=users)
            .values("registry__occasion")
            .annotate(people=Count("user_id", distinct=True))
            .order_by("registry__occasion")
        )
        return {
            OCCASIONS.get(row["registry__occasion"], row["registry__occasion"]): row["people"] for row in rows
        }


@dataclass(frozen=True)
class RecallAudience:
    """A correction's audience: exactly the people who received the recalled messages."""

    recall_id: int
    occasions: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"recall": self.recall_id}

    def describe(self) -> str:
        return f"Everyone who received the messages of recall {self.recall_id}"

    def matching(self) -> QuerySet[User]:
        from gratitude.operations.models import RecalledMessage

        return User.objects.filter(
            pk__in=RecalledMessage.objects.filter(recall_id=self.recall_id).values("recipient_id")
        )

    def occasion_breakdown(self, users: QuerySet[User]) -> dict[str, int]:
        return {}


Audience = AudienceFilter | RecallAudience


def audience_from_json(data: dict[str, Any]) -> Audience:
    if "recall" in data:
        if set(data) != {"recall"} or not isinstance(data["recall"], int):
            raise GratitudeError("a correction's audience is exactly one recall")
        return RecallAudience(recall_id=data["recall"])
    return AudienceFilter.from_json(data)


def spoken_occasions(*, audience: Audience, speaks_of: Iterable[str]) -> tuple[str, ...]:
    """Every occasion a campaign's message speaks of: what its author declared, and the registry occasions
    its filter chooses people by. Someone written to because of their wedding registry is written to about
    that wedding, whatever the text says, so "never anything about weddings" keeps them out too."""
    return tuple(sorted(set(speaks_of) | set(audience.occasions)))


def audience_users(audience: Audience, *, category: str, speaks_of: Iterable[str]) -> QuerySet[User]:
    """Everyone the audience reaches now: the filter, less everyone always excluded (among them, whoever
    opted out of an occasion the message speaks of)."""
    occasions = spoken_occasions(audience=audience, speaks_of=speaks_of)
    return audience.matching().exclude(always_excluded(category=category, occasions=occasions))


@dataclass(frozen=True)
class Breakdown:
    count: int
    matched: int
    excluded: dict[str, int]
    by_occasion: dict[str, int]


def audience_breakdown(audience: Audience, *, category: str, speaks_of: Iterable[str]) -> Breakdown:
    """The count, how many the filter matched, why the others are left out, and the spread by occasion:
    a handful of aggregate queries, however large the audience."""
    occasions = spoken_occasions(audience=audience, speaks_of=speaks_of)
    matched = audience.matching()
    included = audience_users(audience, category=category, speaks_of=occasions)
    excluded = {
        EXCLUSION_LABELS[name]: matched.filter(condition).count()
        for name, condition in _exclusions(category, occasions).items()
    }
    return Breakdown(
        count=included.count(),
        matched=matched.count(),
        excluded={label: n for label, n in excluded.items() if n},
        by_occasion=audience.occasion_breakdown(included),
    )
