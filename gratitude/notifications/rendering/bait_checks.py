"""What a message may contain, checked on every render (rendering/messages.py) and in the tests: no bait.

A message of ours has no forms, inputs, scripts, frames or images (it reads the same with images off), and
every link is https to SITE_URL's host (plain http only outside production, and only to a local host).
User-entered text is escaped by the templates, so these checks look at what our own markup produced.
See docs/safety.md promise 13 and docs/deliverability.md.
"""

from __future__ import annotations

import re
from functools import cache
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings

from gratitude.notifications import conf

# Tags that ask for input, run code, pull content from elsewhere, or could pass for a sign-in box.
FORBIDDEN_TAGS = frozenset(
    {"form", "input", "button", "select", "textarea", "script", "iframe", "frame", "object", "embed", "img"}
)
LINK_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "background", "poster", "srcset"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "testserver"})
TEXT_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


class BaitError(ValueError):
    """A rendered message that must not go out: the kind's template is wrong."""


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in {"style", "title", "head"}:
            self._skip += 1
        for name, value in attrs:
            if name in LINK_ATTRIBUTES and value is not None:
                self.links.append(value.strip())
            if name == "style" and value and "url(" in value.lower():
                self.links.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "title", "head"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def scan_html(html: str) -> _Scanner:
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner


def visible_text(html: str) -> str:
    """The words a reader sees (no head, title or style)."""
    return " ".join(" ".join(scan_html(html).text).split())


def text_links(text: str) -> list[str]:
    return [match.rstrip(".,;:!?)”’") for match in TEXT_URL.findall(text)]


def link_allowed(url: str) -> bool:
    """https to SITE_URL's host and port; http only outside production, only to a local host."""
    prefix = _allowed_prefix(settings.SITE_URL, conf.env())
    if prefix and url.startswith(prefix):
        # Most links of a message: SITE_URL itself, then a path, which cannot change the host.
        return True
    return _link_allowed_slowly(url)


def _link_allowed_slowly(url: str) -> bool:
    try:
        parts = urlsplit(url)
        same_place = (parts.hostname, parts.port) == _place_of(settings.SITE_URL)
    except ValueError:
        return False
    if not same_place or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and conf.env() != "prod" and parts.hostname in LOCAL_HOSTS


@cache
def _place_of(site_url: str) -> tuple[str | None, int | None]:
    # Keyed on the setting's value: asked for every link of every message, parsed once.
    site = urlsplit(site_url)
    return site.hostname, site.port


@cache
def _allowed_prefix(site_url: str, env: str) -> str:
    """SITE_URL followed by "/" when SITE_URL is itself an allowed link (otherwise ""): any URL starting
    with it has SITE_URL's scheme, host and port and no user or password, so it is allowed too."""
    prefix = site_url.rstrip("/") + "/"
    try:
        parts = urlsplit(prefix)
    except ValueError:
        return ""
    if parts.username or parts.password or parts.path != "/" or parts.query or parts.fragment:
        return ""
    return prefix if _link_allowed_slowly(prefix) else ""


def problems_in_html(html: str) -> list[str]:
    tags, links = quick_scan(html)
    problems = [f"<{tag}> is not allowed in mail" for tag in tags if tag in FORBIDDEN_TAGS]
    problems += [f"link {link!r} leaves our site" for link in links if not link_allowed(link)]
    return problems


# The same tags and links as _Scanner finds, with regular expressions instead of a Python-level parser:
# every message is checked, and the parser cost a third of a millisecond each. test_mail_content.py
# holds the two to the same answers on every kind's sample and on hostile markup.
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)|<![^>]*>|<\?[^>]*>", re.DOTALL)
_RAW_TEXT = re.compile(r"(<(script|style)\b[^>]*>).*?(</\2\s*>|\Z)", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(
    r"<([a-zA-Z][^\s/>]*)((?:[\s/]*(?:[^\s/>=]+)(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]*))?)*)[\s/]*>?"
)
_ATTRIBUTE = re.compile(r"([^\s/>=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]*))?")


def quick_scan(html: str) -> tuple[list[str], list[str]]:
    """(tag names, link values) in `html`, as the parser-based scan reports them."""
    html = _COMMENT.sub("", html)
    html = _RAW_TEXT.sub(lambda m: m.group(1) + (m.group(3) or ""), html)
    tags: list[str] = []
    links: list[str] = []
    for match in _TAG.finditer(html):
        tags.append(match.group(1).lower())
        for name, raw in _ATTRIBUTE.findall(match.group(2)):
            if not raw:
                continue
            value = unescape(raw[1:-1] if raw[:1] in {'"', "'"} else raw)
            name = name.lower()
            if name in LINK_ATTRIBUTES:
                links.append(value.strip())
            if name == "style" and "url(" in value.lower():
                links.append(value)
    return tags, links


def check_html(html: str) -> None:
    problems = problems_in_html(html)
    if problems:
        raise BaitError("; ".join(sorted(set(problems))))
