"""What a mail client would make clickable in a message, for tests of docs/safety.md promise 16.

Written apart from gratitude/core/untrusted_text.py on purpose, the way a client's linkifier works: it reads
the text as displayed (NFKC: full-width letters and dots look like ASCII; the dots IDNA treats as dots; no
invisible characters), then links anything with a scheme, "www.", an e-mail address, or a bare
`name.tld` with any alphabetic or punycode TLD. In HTML it also follows every href. A test passes the hosts
that are ours (SITE_URL's) and the reader's own address; anything else found is a live off-site host.
"""

from __future__ import annotations

import re
import unicodedata
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import urlsplit

_AS_DOT = str.maketrans(dict.fromkeys("\u3002\uff0e\uff61\ufe52\u2024", "."))
_HIDDEN = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_URL = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"'()]+")
_EMAIL = re.compile(r"[\w.+-]+@(?:[\w-]+\.)+[\w-]+")
_BARE = re.compile(r"(?:[\w-]+\.)+(?:xn--[\w-]+|[^\W\d_]{2,})(?![\w])")


def _displayed(text: str) -> str:
    return _HIDDEN.sub("", unicodedata.normalize("NFKC", text).translate(_AS_DOT))


def _host_of(url: str) -> str:
    if url.lower().startswith("www."):
        url = "http://" + url
    host = urlsplit(url).hostname or ""
    return host.lower()


def linked_in_text(text: str) -> set[str]:
    """Every host or address a mail client would link in `text`: URLs' hosts, e-mail addresses, domains."""
    shown = _displayed(text)
    found = {_host_of(url) or url for url in _URL.findall(shown)}
    found |= {address.lower() for address in _EMAIL.findall(shown)}
    without_addresses = _EMAIL.sub(" ", _URL.sub(" ", shown))
    found |= {domain.lower() for domain in _BARE.findall(without_addresses)}
    return found


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src", "action")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def linked_in_html(html: str) -> set[str]:
    """Every host an href points at, and whatever the visible text would link."""
    parser = _Hrefs()
    parser.feed(html)
    hosts = {_host_of(href) or href for href in parser.hrefs}
    return hosts | linked_in_text(" ".join(parser.text))


def off_site(found: set[str], *, site_host: str, own_addresses: set[str]) -> set[str]:
    """What of `found` is neither our site (or a link into it) nor one of the reader's own addresses."""
    ours = {site_host.lower()} | {address.lower() for address in own_addresses}
    return {host for host in found if host not in ours}


def message_parts(message: EmailMessage) -> tuple[str, str, str]:
    """Subject, text and HTML of a message as a client reads it (MIME decoded)."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(message["Subject"]), text.get_content(), html.get_content()
