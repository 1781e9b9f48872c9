"""The names a registry is found by: its registrants' names, kept in step with them."""

from __future__ import annotations

import re
import unicodedata

from django.db import transaction

from gratitude.accounts.models import User
from gratitude.registries.models import (
    MemberRole,
    Registry,
    RegistryMember,
    RegistrySearchName,
)

# Names that make a public registry findable; a delegate helps, but it is not their registry.
SEARCHABLE_ROLES = (MemberRole.OWNER, MemberRole.CO_REGISTRANT)


def search_terms(text: str) -> list[str]:
    """The words of a name, case- and accent-folded: "Zoë O'Brien" -> ["brien", "o", "zoe"]."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return sorted({word[:60] for word in re.findall(r"\w+", folded)})


def registry_search_names_refresh(*, registry: Registry) -> None:
    """Index the display names of the registry's owner and co-registrants (never an email address)."""
    names = RegistryMember.objects.filter(registry_id=registry.pk, role__in=SEARCHABLE_ROLES).values_list(
        "user__display_name", flat=True
    )
    terms = sorted({term for name in names for term in search_terms(name or "")})
    with transaction.atomic():
        RegistrySearchName.objects.filter(registry_id=registry.pk).delete()
        RegistrySearchName.objects.bulk_create(
            RegistrySearchName(registry_id=registry.pk, term=term) for term in terms
        )


def registry_search_names_refresh_for_user(*, user: User) -> None:
    """Call after a person's display name changes, so their public registries are found by the new one."""
    registries = Registry.objects.filter(members__user=user, members__role__in=SEARCHABLE_ROLES)
    for registry in registries:
        registry_search_names_refresh(registry=registry)
