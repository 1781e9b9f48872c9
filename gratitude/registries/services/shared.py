"""Who may do what (docs/registries.md, "Roles"), and the checks every registry write shares."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, PermissionDenied
from gratitude.registries.models import (
    Item,
    MemberRole,
    Registry,
    RegistryMember,
)

# Who may do what (docs/registries.md, "Roles"). Every member may read the registry and manage its items.
SETTINGS_ROLES = frozenset({MemberRole.OWNER, MemberRole.CO_REGISTRANT})


INVITE_ROLES = frozenset({MemberRole.OWNER, MemberRole.CO_REGISTRANT})


OWNER_ONLY = frozenset({MemberRole.OWNER})


def _clean_and_save(obj: Registry | Item | RegistryMember) -> None:
    """Run the model's validators so a service called from the CLI or API refuses what a form would."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise GratitudeError(_first_message(exc)) from exc
    obj.save()


def _first_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        field, messages = next(iter(exc.message_dict.items()))
        return f"{field}: {messages[0]}"
    return exc.messages[0]


def _require_role(*, registry: Registry, user: User, roles: frozenset[str], action: str) -> RegistryMember:
    member = RegistryMember.objects.filter(registry_id=registry.pk, user_id=user.pk).first()
    if member is None or member.role not in roles:
        raise PermissionDenied(f"Only the {_role_names(roles)} may {action}.")
    return member


def _role_names(roles: frozenset[str]) -> str:
    labels = [MemberRole(role).label.lower() for role in MemberRole.values if role in roles]
    return " or ".join(labels)


def _require_open(registry: Registry) -> None:
    if registry.archived_at is not None:
        raise GratitudeError("This registry is archived: its owner can reopen it to make changes.")
