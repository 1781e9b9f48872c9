"""`gratitude stores add|rotate|list` and `gratitude api-token create|revoke`: secrets printed once, scripts
get JSON, mistakes end non-zero with one clear line."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gratitude.api.models import ApiToken, Store
from gratitude.api.services import api_token_authenticate
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_stores_add_json_prints_the_id_and_the_secret_once() -> None:
    printed = json.loads(run("stores", "add", "Corner shop", "--json"))
    store = Store.objects.get()
    assert printed == {"id": store.public_id, "secret": store.secret}
    listing = run("stores", "list")
    assert store.public_id in listing and store.secret not in listing


def test_stores_rotate_gives_a_new_secret_and_keeps_the_old_one_for_a_while() -> None:
    first = json.loads(run("stores", "add", "Corner shop", "--json"))
    second = json.loads(run("stores", "rotate", first["id"], "--json"))
    store = Store.objects.get()
    assert second["id"] == first["id"] and second["secret"] != first["secret"]
    assert (store.secret, store.previous_secret) == (second["secret"], first["secret"])
    assert store.previous_valid_until is not None


def test_api_token_create_prints_a_working_token_stored_only_hashed() -> None:
    user = make_user()
    raw = run("api-token", "create", user.email, "--name", "backup", "--scope", "write").strip()
    token = api_token_authenticate(raw=raw)
    assert token is not None and token.scope == "write" and token.user_id == user.pk
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    run("api-token", "revoke", user.email, "--prefix", token.prefix)
    assert api_token_authenticate(raw=raw) is None


@pytest.mark.parametrize(
    "args",
    [
        ("api-token", "create", "nobody@example.test", "--name", "x"),
        ("stores", "rotate", "st_nosuchstore"),
        ("stores", "add", "   "),
    ],
)
def test_mistakes_are_a_command_error(args: tuple[str, ...]) -> None:
    """A CommandError is what makes manage.py exit 1 with its one line on stderr."""
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert "\n" not in str(raised.value) and str(raised.value)
