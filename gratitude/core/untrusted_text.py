"""Words typed by someone other than the reader, made unable to borrow our voice (docs/safety.md promise 16).

A giver's name and message, a hand-typed description, a registry's title: any of them may reach a message
we sign. Mail clients turn URLs, e-mail addresses and bare domains into live links, so such text must carry
none. `findings` looks for them the way a mail client would, after normalising what a client (or a
reader's eye) treats as the same: NFKC (full-width letters and dots), the ideographic and other look-alike
full stops that IDNA reads as a dot, and invisible characters that split a name without showing.
`contains_link` refuses at input; `defang` renders older text inert in mail ("paypal-secure[.]example",
"hxxps[://]", "name [at] host"), and `single_line` keeps anything meant for one line (a Subject) on one.
"""

from __future__ import annotations

import re
import unicodedata

# Characters IDNA (UTS 46) maps to a label separator, and look-alikes a reader takes for a dot.
_DOTS = str.maketrans(
    dict.fromkeys("\u3002\uff0e\uff61\ufe52\u2024\u2027\u00b7\u0701\u0702\u2e33\u30fb", ".")
)
# Shown as nothing (or as a reordering of what is around them): they hide a domain from a naive look.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    # Variation selectors: UTS 46 ignores them, so "paypal\ufe0f.com" is paypal.com to a browser.
    "\ufe00-\ufe0f\ufeff\U000e0100-\U000e01ef]"
)
# Every line break a mail client or a header parser honours.
_LINE_BREAKS = re.compile("[\r\n\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]+")
_CONTROLS = re.compile("[\u0000-\u0008\u000e-\u001b\u007f-\u0084\u0086-\u009f]")

# A label of a host name: letters of any script, digits, hyphens (IDN and punycode included).
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
# The last label: at least two letters of any script, or punycode. "3.50" and "e.g." are not domains.
_TLD = r"(?:xn--[a-z0-9-]+|[^\W\d_]{2,})"
_SCHEME = r"(?:[a-z][a-z0-9+.-]*://|mailto:|www\.)"
_FINDING = re.compile(
    rf"""
    (?P<scheme>{_SCHEME})
    | (?P<email>[\w.+-]*[^\W_]@(?:{_LABEL}\.)*{_LABEL})
    | (?P<domain>(?:{_LABEL}\.)+{_TLD}(?![^\W_]))
    | (?P<ip>(?<![\w.])\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?!\w|\.\d))
    """,
    re.IGNORECASE | re.VERBOSE,
)


def normalise(text: str) -> str:
    """The text as a mail client's linkifier effectively reads it: NFKC, look-alike dots as ".", invisible
    characters gone."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).translate(_DOTS))


def findings(text: str) -> list[str]:
    """Every URL start, e-mail address, bare domain or IP address a mail client could link in `text`."""
    return [match.group(0) for match in _FINDING.finditer(normalise(text))]


def contains_link(text: str) -> bool:
    return _FINDING.search(normalise(text)) is not None


def _inert(match: re.Match[str]) -> str:
    found = match.group(0)
    if match.group("scheme"):
        lowered = found.lower()
        if lowered.startswith("http"):
            found = "hxxp" + found[4:]
        return found.replace("://", "[://]").replace("mailto:", "mailto[:]").replace("www.", "www[.]")
    return found.replace("@", " [at] ").replace(".", "[.]")


def defang(text: str) -> str:
    """`text` with nothing a mail client would link: returned as typed when it has no such thing, otherwise
    in its normalised form with every scheme, "@" and dot of an address or domain broken. Line breaks stay
    (see `single_line`); control characters go. Invisible characters stay where nothing is linked: a
    zero-width joiner holds a family emoji together and a non-joiner spells Persian."""
    cleaned = _CONTROLS.sub("", text)
    if not contains_link(cleaned):
        return cleaned
    inert = normalise(cleaned)
    # Breaking one finding can expose another (a scheme inside a domain): repeat until nothing is left.
    for _ in range(5):
        if not contains_link(inert):
            return inert
        inert = _FINDING.sub(_inert, inert)
    # Whatever survived five passes loses every dot, "@" and ":" it has.
    return inert.replace(".", "[.]").replace("@", " [at] ").replace(":", "[:]")


def single_line(text: str) -> str:
    """`text` on one line: every kind of line break a space, so it cannot start a header or a paragraph."""
    return _LINE_BREAKS.sub(" ", text).strip()
