"""Reads of tokens and store events, scoped to who asks: a person sees their own tokens; a store sees its own
events; all store events are for staff only (the view checks before it asks)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from gratitude.accounts.models import User
from gratitude.api.models import ApiToken, Store, StoreEvent


def tokens_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_for(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    return token


def store_events_for_staff(*, store_id: str = "") -> QuerySet[StoreEvent]:
    # Never the pending bodies: they hold buyers' details, which the page does not show.
    events = StoreEvent.objects.select_related("store").defer("body").order_by("-received_at", "-pk")
    return events.filter(store__public_id=store_id) if store_id else events


def store_event_for_store(*, store: Store, event_id: int) -> StoreEvent:
    """One of `store`'s own events (another store's is a 404, as if it did not exist)."""
    event = StoreEvent.objects.filter(store=store, pk=event_id).defer("body").first()
    if event is None:
        raise Http404("No such event")
    return event


def stores_for_staff() -> QuerySet[Store]:
    return Store.objects.order_by("name", "pk")
