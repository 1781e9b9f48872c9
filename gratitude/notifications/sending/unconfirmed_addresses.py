"""Mail to an address nobody confirmed: what it may say, how much of it one address gets, and its
"never email me again" link (docs/deliverability.md, "Mail to an address nobody confirmed"; docs/safety.md
promise 16).

Anyone can type any address into a giver's form, an invitation or a sign-up. Until the owner of an address
proves it (a finished sign-up, an accepted invitation), mail to it is capped across every kind and registry
(GRATITUDE_UNCONFIRMED_MAILS_PER_DAY / _PER_MONTH), checked by the send-time guards, so a row over the cap is
suppressed with its reason, never sent. Each such message carries a signed link that stops all our mail to
the address for good (a `SuppressedAddress` with the reason `never_email`, which the guards check for every
kind). The link works signed out: GET shows, POST acts, idempotently (scanner-safe like the RFC 8058
unsubscribe in web/unsubscribe.py).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone

from gratitude.core.email_addresses import normalize_email_address
from gratitude.core.links import site_url
from gratitude.notifications import conf
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.sending import batch_facts
from gratitude.notifications.sending.ports import Person

NEVER_EMAIL_REASON = "never_email"
_SALT = "gratitude.notifications.never-email"


def is_unconfirmed(user: Person) -> bool:
    """Nobody proved they read this address's mail: an account made for a giver or an invitee, or a sign-up
    not yet finished."""
    return user.email_verified_at is None


# --- The cap, across every kind and registry ------------------------------------------------------------


def cap_reason(row: Notification) -> str | None:
    """Why this row to an unconfirmed address may not go now (the address had its day's or month's mail),
    or None. Counts what was sent to the address, plus what this worker's batch already let through; inside
    a batch, read once for all its unconfirmed recipients (sending/batch_facts.py)."""
    if not is_unconfirmed(row.recipient):
        return None
    now = timezone.now()
    sent = _sent_times(row.recipient_id, now)
    day = sum(1 for at in sent if at > now - timedelta(days=1))
    if day >= conf.unconfirmed_mails_per_day():
        return f"unconfirmed_cap: {conf.unconfirmed_mails_per_day()} a day"
    if len(sent) >= conf.unconfirmed_mails_per_month():
        return f"unconfirmed_cap: {conf.unconfirmed_mails_per_month()} a month"
    return None


def at_cap(user: Person) -> bool:
    """Would one more message to this unconfirmed address be over its cap, counting what was sent and what is
    already waiting to go? For a page that must not say "we sent" when the send-time guard would refuse."""
    if not is_unconfirmed(user):
        return False
    now = timezone.now()
    waiting = (NotificationState.PENDING, NotificationState.SENDING, NotificationState.HELD)
    sent = _sent_to(user_ids={user.pk}, now=now)
    queued = Notification.objects.filter(recipient_id=user.pk, state__in=waiting).count()
    day = sent.filter(sent_at__gt=now - timedelta(days=1)).count() + queued
    return (
        day >= conf.unconfirmed_mails_per_day() or sent.count() + queued >= conf.unconfirmed_mails_per_month()
    )


def note_allowed(row: Notification) -> None:
    """The guards let this row go: the rest of the batch counts it against the address's cap at once, so
    a batch holding several rows for one address cannot send them all. (If pacing then defers it, the
    batch over-counts: the cap errs towards less mail.)"""
    facts = batch_facts.current()
    if facts is not None and is_unconfirmed(row.recipient):
        facts.get("unconfirmed_sent", _sent_in_batch).setdefault(row.recipient_id, []).append(timezone.now())


def _window_start(now: datetime) -> datetime:
    return now - timedelta(days=30)


def _sent_times(user_id: int, now: datetime) -> list[datetime]:
    facts = batch_facts.current()
    if facts is not None:
        known = facts.get("unconfirmed_sent", _sent_in_batch)
        if user_id in known:
            return known[user_id]
    return [at for at in _sent_to(user_ids={user_id}, now=now).values_list("sent_at", flat=True) if at]


def _sent_to(*, user_ids: set[int], now: datetime) -> QuerySet[Notification]:
    return Notification.objects.filter(
        recipient_id__in=user_ids, state=NotificationState.SENT, sent_at__gt=_window_start(now)
    )


def _sent_in_batch(rows: list[Notification]) -> dict[int, list[datetime]]:
    """Every unconfirmed recipient of the batch -> when mail was sent to them in the last 30 days."""
    user_ids = {row.recipient_id for row in rows if is_unconfirmed(row.recipient)}
    known: dict[int, list[datetime]] = {user_id: [] for user_id in user_ids}
    if user_ids:
        sent = _sent_to(user_ids=user_ids, now=timezone.now()).values_list("recipient_id", "sent_at")
        for user_id, sent_at in sent:
            if sent_at is not None:
                known[user_id].append(sent_at)
    return known


# --- "Never email me again" ------------------------------------------------------------------------------


def _digest(address: str) -> str:
    return hashlib.sha256(normalize_email_address(address).encode()).hexdigest()[:20]


def make_never_email_token(*, user: Person) -> str:
    """Bound to the account and a digest of its address (never the address itself, which a link would leave
    in browser histories and logs); it never expires, like an unsubscribe link."""
    return signing.Signer(salt=_SALT).sign_object({"u": user.pk, "a": _digest(user.email)})


def read_never_email_token(token: str) -> Person | None:
    """The account a token was made for, if it still has the address it was made for; else None."""
    try:
        payload = signing.Signer(salt=_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    user_id, digest = payload.get("u"), payload.get("a")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(digest, str):
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not hmac.compare_digest(_digest(user.email), digest):
        return None
    return user


def never_email_url(*, user: Person) -> str:
    return site_url("notifications:never_email", make_never_email_token(user=user))
