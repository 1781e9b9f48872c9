"""The whole share page as a plain guest gets it, kept in the shared cache: a guest who brings no session
and no query string is answered with one Redis round trip and a string substitution, no query, no template.

A plain guest's page is the same for every plain guest of the same address, except the CSRF token, so the
page is rendered once with a placeholder where the token goes, kept, and each visitor gets their own
(masked, with its cookie, exactly as a rendered page would give it). Anyone with a session (a registrant,
who may be keeping the surprise; a giver whose holds say "you reserved this") or with messages waiting goes
the ordinary way and is never served a kept page.

The entry is kept under the registry's id and the page's path, and carries the registry's
version read BEFORE anything the page was built from (the registry row, pause and quiet mode, the rows,
the names): any write bumps the version after its commit, so a page built from older data is never served
again (registries/versions.py). It also expires with the kept rows (the first held hold's end).

Each process also keeps the last pages it served, so a repeat visit asks the shared cache only for the
16-byte version, not for the page: still one round trip per request, and still every write seen at once.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from gratitude.core.guest_pages import KeptPage, for_this_visitor, keeping
from gratitude.registries.versions import registry_version, registry_version_key

# share key -> registry id, learnt from pages rendered here. A fact that never changes (a reset link is a new
# key; a deleted registry's version is bumped), so it may stay in the process; bounded, as keys are many.
_registry_of: dict[str, int] = {}
_REMEMBERED = 10_000
_HTML = "text/html; charset=utf-8"

# Page key -> (version, page, kept until) of the pages this process served last: a page found here costs one
# GET of its registry's 16-byte version instead of fetching the page itself. The version is still asked of the
# shared cache on every request, so the next request in every process sees a write. ~10 KB each, bounded.
_in_process: dict[str, tuple[str, bytes, float]] = {}
_IN_PROCESS_PAGES = 256


def _page_key(registry_id: int, path: str) -> str:
    # By path alone: the page names the site by SITE_URL, never by the Host a request brought, so the Host's
    # spellings (case, a trailing dot, a port) cannot make us keep one copy each.
    return f"share-guest-page:{registry_id}:{path}"


def start_keeping(request: HttpRequest) -> None:
    """Render this request's page with the CSRF placeholder, to keep it (core/guest_pages.py)."""
    keeping(request)


def _remember(page_key: str, entry: tuple[str, bytes, float]) -> None:
    if len(_in_process) >= _IN_PROCESS_PAGES:
        _in_process.clear()
    _in_process[page_key] = entry


def kept_page(request: HttpRequest, share_key: str) -> tuple[HttpResponse | None, str | None]:
    """(the kept page for this visitor, or None; the registry's version, read before anything else, to keep
    the page the caller renders under, or None when this process has not yet seen this link)."""
    page, version = _current_page(share_key, request.path)
    return (None if page is None else for_this_visitor(request, page, _HTML)), version


def current_page(path: str, kwargs: dict[str, str]) -> KeptPage | None:
    """For the short path (core/guest_wsgi.py): the kept page at `path` if it is current, else None (and the
    request goes the ordinary way, which reads the version again to keep what it renders)."""
    page, _version = _current_page(kwargs["share_key"], path)
    return None if page is None else (page, _HTML)


def _current_page(share_key: str, path: str) -> tuple[bytes | None, str | None]:
    registry_id = _registry_of.get(share_key)
    if registry_id is None:
        return None, None
    version_key, page_key = registry_version_key(registry_id), _page_key(registry_id, path)
    mine = _in_process.get(page_key)
    entry: tuple[str, bytes, float] | None
    if mine is not None:
        version = cache.get(version_key)
        entry = mine
    else:
        found = cache.get_many([version_key, page_key])
        version, entry = found.get(version_key), found.get(page_key)
    if version is None:  # evicted or flushed: a new version, under which nothing is kept yet
        return None, registry_version(registry_id=registry_id)
    # A page also ends when its first held hold does: a hold lapses without any write, so no version says it.
    if entry is not None and entry[0] == version and time.time() < entry[2]:
        if entry is not mine:
            _remember(page_key, entry)
        return entry[1], str(version)
    _in_process.pop(page_key, None)
    return None, str(version)


def keep_page(
    request: HttpRequest,
    *,
    share_key: str,
    registry_id: int,
    version: str | None,
    body: str,
    kept_until: float,
) -> HttpResponse:
    """Keep the page rendered after start_keeping() (under `version`, when there is one), and answer it."""
    if len(_registry_of) >= _REMEMBERED:
        _registry_of.clear()
    _registry_of[share_key] = registry_id
    page = body.encode()
    seconds = int(kept_until - time.time())
    if version is not None and seconds > 0:
        entry = (version, page, kept_until)
        page_key = _page_key(registry_id, request.path)
        cache.set(page_key, entry, timeout=seconds)
        _remember(page_key, entry)
    return for_this_visitor(request, page, _HTML)
