"""Signed item references and the buy links that carry them to a store (docs/api.md, "Buy links")."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from gratitude.registries.item_refs import REF_PARAMETER, buy_link, item_ref_make, item_ref_read


def test_a_reference_names_its_item_and_nothing_forged_reads() -> None:
    ref = item_ref_make(item_id=42)
    assert item_ref_read(ref) == 42
    signature = ref.partition(":")[2]
    assert item_ref_read(f"43:{signature}") is None
    assert item_ref_read("42") is None
    assert item_ref_read("") is None
    assert item_ref_read(ref + "x") is None


def test_a_reference_signed_for_another_purpose_does_not_read() -> None:
    from django.core import signing

    assert item_ref_read(signing.Signer(salt="gratitude.other").sign("42")) is None


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://shop.example/p/1", {}),
        ("https://shop.example/p/1?colour=red", {"colour": ["red"]}),
        ("https://shop.example/p/1?", {}),
        ("https://shop.example/p/1?colour=red#reviews", {"colour": ["red"]}),
        ("https://shop.example/p/1?gratitude_ref=old&size=m", {"size": ["m"]}),
    ],
)
def test_a_buy_link_keeps_the_store_link_and_adds_exactly_one_reference(
    url: str, kept: dict[str, list[str]]
) -> None:
    link = buy_link(url, item_id=7)
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    refs = query.pop(REF_PARAMETER)
    assert len(refs) == 1 and item_ref_read(refs[0]) == 7
    assert query == kept
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "shop.example", "/p/1")
    assert parts.fragment == urlsplit(url).fragment
