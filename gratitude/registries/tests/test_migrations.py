"""Migration 0006 (pictures, currency, sharing): a picture link pasted before is kept, unshown, for
`gratitude pictures fetch-pasted`, and each existing registry takes the currency most of its items use."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("registries", "0005_quiet_mode")]
AFTER = [("registries", "0006_pictures_currency_sharing")]


@pytest.mark.django_db(transaction=True)
def test_pasted_links_are_kept_and_registries_take_their_items_currency():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Registry, Item = old.get_model("registries", "Registry"), old.get_model("registries", "Item")
    usd = Registry.objects.create(title="Mostly dollars", occasion="baby", share_key="k1")
    empty = Registry.objects.create(title="No items", occasion="baby", share_key="k2")
    for currency in ("USD", "USD", "EUR"):
        Item.objects.create(
            registry=usd, title="Bowl", quantity=1, currency=currency, image_url="https://shop.example/b.jpg"
        )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Registry, Item = new.get_model("registries", "Registry"), new.get_model("registries", "Item")
    assert Registry.objects.get(pk=usd.pk).currency == "USD"
    assert Registry.objects.get(pk=empty.pk).currency == "EUR"
    assert set(Item.objects.values_list("pasted_image_url", flat=True)) == {"https://shop.example/b.jpg"}
    assert set(Item.objects.values_list("picture", flat=True)) == {None}

    # Leave the database as every later test expects it: every migration applied, later ones included.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
