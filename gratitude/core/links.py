"""Absolute links to our own site, for mail (every link in a message points at SITE_URL's host).

`site_url(viewname, *args)` is `site_link(reverse(viewname, args=args))`, remembered: every message carries
several links, and Django's reverse() cost the worker about a tenth of a millisecond each, more than the
rest of the footer. The URL configuration does not change while a process runs, so each view's path is
reversed once with placeholder arguments and filled in after; an argument with characters reverse()
would quote takes the ordinary path.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings
from django.urls import reverse

# Characters reverse() leaves as they are in a path argument (unreserved, plus ":" and "@").
_PLAIN_ARGUMENT = re.compile(r"[A-Za-z0-9_.~:@-]+")
_INT_PLACEHOLDER = 9_183_726_354_918_273


def site_link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def site_url(viewname: str, *args: int | str) -> str:
    """The absolute URL of a view of ours, as site_link(reverse(viewname, args=args)) gives it."""
    if not all(isinstance(a, int) or _PLAIN_ARGUMENT.fullmatch(a) for a in args):
        return site_link(reverse(viewname, args=args))
    template = _path_template(viewname, tuple(type(a) is int for a in args))
    if template is None:
        return site_link(reverse(viewname, args=args))
    return site_link(template.format(*(str(a) for a in args)))


@lru_cache(maxsize=256)
def _path_template(viewname: str, int_args: tuple[bool, ...]) -> str | None:
    """The view's path with `{}` where each argument goes, or None if placeholders do not reverse."""
    markers = [
        str(_INT_PLACEHOLDER + i) if is_int else f"zzgratitudearg{i}zz" for i, is_int in enumerate(int_args)
    ]
    placeholders: list[int | str] = [
        int(marker) if is_int else marker for marker, is_int in zip(markers, int_args, strict=True)
    ]
    try:
        path = reverse(viewname, args=placeholders)
    except Exception:  # noqa: BLE001 - a converter that refuses a placeholder: no shortcut for this view
        return None
    escaped = path.replace("{", "{{").replace("}", "}}")
    for marker in markers:
        if escaped.count(marker) != 1:
            return None
        escaped = escaped.replace(marker, "{}")
    return escaped
