"""One-click unsubscribe (RFC 8058): a signed token per recipient and category, the links mail carries,
and the category descriptions people choose from.

The token is the only credential of the POST endpoint (it works without cookies), so it is signed with
SECRET_KEY and a salt of its own, binds the user and the category, and never expires: an unsubscribe link
must keep working for as long as the message sits in someone's inbox. See docs/deliverability.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from gratitude.core.links import site_url
from gratitude.notifications.outbox.kinds import Category
from gratitude.notifications.sending.ports import Person

_SALT = "gratitude.notifications.unsubscribe"


@dataclass(frozen=True)
class CategoryChoice:
    category: Category
    label: str
    description: str


# Everything but transactional mail (the person's own requests) can be stopped, category by category.
UNSUBSCRIBABLE = (
    CategoryChoice(
        Category.EVENT,
        "Gift alerts and registry news",
        "When someone records a gift on a registry you belong to.",
    ),
    CategoryChoice(
        Category.REMINDER,
        "Reminders",
        "Gentle reminders, such as thank-you notes still to write.",
    ),
    CategoryChoice(
        Category.MARKETING,
        "News from this site",
        "Occasional announcements from the people who run this site.",
    ),
)
_BY_CATEGORY = {choice.category.value: choice for choice in UNSUBSCRIBABLE}


def choice_for(category: str) -> CategoryChoice | None:
    return _BY_CATEGORY.get(category)


def make_token(*, user: Person, category: str) -> str:
    if category not in _BY_CATEGORY:
        raise ValueError(f"{category!r} mail cannot be unsubscribed from")
    return signing.Signer(salt=_SALT).sign_object({"u": user.pk, "c": category})


@dataclass(frozen=True)
class TokenClaim:
    user_id: int
    category: str


def read_token(token: str) -> TokenClaim | None:
    """The (user, category) a token was made for, or None for anything altered or malformed."""
    try:
        payload = signing.Signer(salt=_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    user_id, category = payload.get("u"), payload.get("c")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or category not in _BY_CATEGORY:
        return None
    return TokenClaim(user_id=user_id, category=category)


def unsubscribe_url(*, user: Person, category: str) -> str:
    return site_url("notifications:unsubscribe", make_token(user=user, category=category))


def preferences_url() -> str:
    return site_url("accounts:mail_preferences")
