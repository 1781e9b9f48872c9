"""`registry_links`: every member-page link is the one `{% url %}` writes, also under a script prefix."""

from __future__ import annotations

import pytest
from django.urls import reverse, set_script_prefix

from gratitude.registries.templatetags.registry_links import _PAGES, registry_urls


@pytest.mark.parametrize("prefix", ["/", "/gifts/"])
def test_each_link_is_the_one_reverse_writes(prefix):
    set_script_prefix(prefix)
    try:
        for registry_id in (1, 42, 987654320):
            links = registry_urls(registry_id)
            assert links == {key: reverse(name, args=[registry_id]) for key, name in _PAGES.items()}
            assert all(link.startswith(prefix) for link in links.values())
    finally:
        set_script_prefix("/")
