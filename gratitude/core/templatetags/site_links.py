"""`{% site_links as site_links %}`: the links base.html prints on every page (header and footer), each
reversed once per process, not once per `{% url %}` per page.

Why: base.html printed about ten `{% url %}` tags on a logged-in page, about 0.5 ms of every page (on a
loaded machine); these links do not depend on the request, only on the URL configuration (which does not
change while a process runs) and the script prefix (a deployment under a path prefix gets its own).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


class _Links(dict[str, str]):
    """URL name -> path, reversed the first time a page asks for it. A template cannot write ":", so the
    namespace is followed by "__" (`site_links.accounts__login` is `{% url 'accounts:login' %}`). A name whose
    URL is not configured (the dev mailbox in production) is never asked for, and raises NoReverseMatch
    as `{% url %}` does."""

    def __missing__(self, name: str) -> str:
        path = self[name] = reverse(name.replace("__", ":"))
        return path


@lru_cache(maxsize=16)
def _links(prefix: str, urlconf: object) -> _Links:
    return _Links()


@register.simple_tag
def site_links() -> _Links:
    return _links(get_script_prefix(), get_urlconf())


def _forget(*, setting: str, **kwargs: Any) -> None:
    # A test that swaps the URL configuration gets its own links (Django empties its URL caches likewise).
    if setting == "ROOT_URLCONF":
        _links.cache_clear()


setting_changed.connect(_forget)
