"""A registry's default currency, guessed from the browser's Accept-Language (the registrant changes it)."""

from __future__ import annotations

import re

DEFAULT_CURRENCY = "EUR"

# Region (from "en-US", "de-CH", ...) -> its currency. Only currencies a registry can choose.
_BY_REGION = {
    "US": "USD", "GB": "GBP", "UK": "GBP", "IE": "EUR", "CA": "CAD", "AU": "AUD", "NZ": "NZD", "CH": "CHF",
    "LI": "CHF", "SE": "SEK", "NO": "NOK", "DK": "DKK", "IS": "ISK", "JP": "JPY", "PL": "PLN", "CZ": "CZK",
    "HU": "HUF", "RO": "RON", "BG": "BGN", "TR": "TRY", "IL": "ILS", "ZA": "ZAR", "MX": "MXN", "BR": "BRL",
    "IN": "INR", "SG": "SGD", "HK": "HKD", "KR": "KRW", "CN": "CNY",
}  # fmt: skip
# A language alone ("sv", "ja") where it is spoken in one currency's country, mostly.
_BY_LANGUAGE = {
    "sv": "SEK", "nb": "NOK", "nn": "NOK", "no": "NOK", "da": "DKK", "is": "ISK", "ja": "JPY", "pl": "PLN",
    "cs": "CZK", "hu": "HUF", "ro": "RON", "bg": "BGN", "tr": "TRY", "he": "ILS", "ko": "KRW", "zh": "CNY",
    "de": "EUR", "fr": "EUR", "es": "EUR", "it": "EUR", "nl": "EUR", "pt": "EUR", "fi": "EUR", "el": "EUR",
}  # fmt: skip
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:-[A-Za-z]{4})?(?:-([A-Za-z]{2}))?\b")


def currency_from_accept_language(header: str) -> str:
    """The currency of the first preferred language whose region (or language) we know; EUR otherwise."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, index, tag.strip()))
    for _quality, _index, tag in sorted(weighted):
        match = _TAG.match(tag)
        if not match:
            continue
        language, region = match.group(1).lower(), (match.group(2) or "").upper()
        if region in _BY_REGION:
            return _BY_REGION[region]
        if language in _BY_LANGUAGE:
            return _BY_LANGUAGE[language]
    return DEFAULT_CURRENCY
