"""The service names the shared design documents for other tools and checks ("Names others rely on") stay
importable from their documented paths with their documented keyword arguments, whatever modules the
code is split into."""

from __future__ import annotations

import importlib
import inspect

import pytest

DOCUMENTED = [
    ("gratitude.accounts.services", "user_create", {"email", "password", "display_name", "timezone"}),
    (
        "gratitude.registries.services",
        "registry_create",
        {"owner", "title", "occasion", "event_date", "visibility"},
    ),
    ("gratitude.registries.services", "registry_member_add", {"registry", "user", "role"}),
    ("gratitude.registries.services", "item_add", {"registry", "title", "quantity", "price", "url"}),
    ("gratitude.registries.services", "item_add_from_url", {"registry", "url", "quantity"}),
    ("gratitude.gifts.services", "gift_record", {"item", "giver_name", "giver_email", "message", "quantity"}),
    ("gratitude.gifts.services", "gift_cancel", {"gift", "reason"}),
    ("gratitude.gifts.services", "reservation_create", {"item", "giver_name", "giver_email", "quantity"}),
]


@pytest.mark.parametrize(("module", "name", "keywords"), DOCUMENTED, ids=[d[1] for d in DOCUMENTED])
def test_a_documented_service_is_where_the_design_says(module: str, name: str, keywords: set[str]) -> None:
    function = getattr(importlib.import_module(module), name)
    parameters = inspect.signature(function).parameters
    missing = keywords - set(parameters)
    assert not missing, f"{module}.{name} lost {sorted(missing)}"
    assert all(parameters[k].kind is inspect.Parameter.KEYWORD_ONLY for k in keywords)
