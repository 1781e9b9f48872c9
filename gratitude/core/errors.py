"""Errors that services raise for the caller to show as a clear message (form error, 4xx, CLI line)."""

from __future__ import annotations

from typing import Any


class GratitudeError(Exception):
    """A rule of the domain was not met; the message is safe to show to the person who asked."""


class NotEnoughWanted(GratitudeError):
    """Fewer units of an item are still wanted than the giver asked for."""


class PermissionDenied(GratitudeError):
    """The person asking may not do this to this object."""


def refuse_links(*, field: str, text: str, what: str) -> None:
    """Refuse words typed by one person for another person's mail that a mail client would link
    (docs/safety.md promise 16): "<field>: <what> can't contain links or web or email addresses"."""
    from gratitude.core.untrusted_text import contains_link

    if contains_link(text):
        raise GratitudeError(f"{field}: {what} can't contain links or web or email addresses")


def show_on_form(form: Any, exc: GratitudeError) -> None:
    """A service's refusal on the form that asked: on the field it names ("giver_name: ..."), if the form has
    that field, otherwise above the form."""
    field, separator, text = str(exc).partition(": ")
    if separator and text and field in form.fields:
        form.add_error(field, text)
    else:
        form.add_error(None, str(exc))
