"""Errors that services raise for the caller to show as a clear message (form error, 4xx, CLI line)."""

from __future__ import annotations

from typing import Any


class GratitudeError(Exception):
    """A rule of the domain was not met; the message is safe to show to the person who asked.

    `field` names the input the rule is about (a form shows the message on that field), `code` is the
    machine-readable reason the JSON API answers with. Outside a form, `str()` names the field first
    ("occasion: choose one of ..."), so a CLI line or an API message still says what to fix.
    """

    code = "refused"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotEnoughWanted(GratitudeError):
    """Fewer units of an item are still wanted than the giver asked for."""

    code = "not_enough_wanted"


class PermissionDenied(GratitudeError):
    """The person asking may not do this to this object."""

    code = "forbidden"


def refuse_links(*, field: str, text: str, what: str) -> None:
    """Refuse words typed by one person for another person's mail that a mail client would link
    (docs/safety.md promise 16)."""
    from gratitude.core.untrusted_text import contains_link

    # A NUL is no letter anyone types, and PostgreSQL refuses it in text: refused here, it is a clear error on
    # the field from every door (forms refuse it already; the API and store events did not, and answered 500).
    if "\x00" in text:
        raise GratitudeError(f"{what} can't contain a NUL character", field=field)
    if contains_link(text):
        raise GratitudeError(f"{what} can't contain links or web or email addresses", field=field)


def show_on_form(form: Any, exc: GratitudeError, *, otherwise_on: str | None = None) -> None:
    """A service's refusal on the form that asked: on the field it names, if the form has that field,
    otherwise above the form with the field named, or, with `otherwise_on`, on that field (a form that shows
    one input and no errors above it: the refusal is about what was typed there)."""
    if exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        form.add_error(otherwise_on, str(exc))
