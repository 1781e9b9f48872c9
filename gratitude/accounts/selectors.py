"""Reads about a person's quiet mode and trusted delegates, always scoped to who is asking."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from gratitude.accounts.models import QuietDelegate, User


def quiet_delegates_of(*, user: User) -> QuerySet[QuietDelegate]:
    """The people `user` named (accepted or still invited), not those withdrawn."""
    return (
        QuietDelegate.objects.filter(user=user, revoked_at__isnull=True)
        .select_related("delegate")
        .order_by("invited_at", "pk")
    )


def people_trusting(*, user: User) -> QuerySet[QuietDelegate]:
    """The delegations `user` accepted and still holds: the people they may switch quiet mode for."""
    return (
        QuietDelegate.objects.filter(delegate=user, accepted_at__isnull=False, revoked_at__isnull=True)
        .select_related("user")
        .order_by("accepted_at", "pk")
    )


def quiet_delegate_for(*, user: User, delegation_id: int) -> QuietDelegate:
    """A delegation `user` named or holds; 404 for anyone else's."""
    delegation = QuietDelegate.objects.filter(
        Q(user=user) | Q(delegate=user), pk=delegation_id, revoked_at__isnull=True
    ).first()
    if delegation is None:
        raise Http404("No such trusted person")
    return delegation


def person_trusting(*, user: User, person_id: int) -> User:
    """Someone who trusts `user` with their quiet mode (an accepted, standing delegation); 404 otherwise."""
    delegation = people_trusting(user=user).filter(user_id=person_id).first()
    if delegation is None:
        raise Http404("No such person")
    return delegation.user
