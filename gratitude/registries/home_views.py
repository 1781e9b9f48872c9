"""The front page: what Gratitude is, or the signed-in person's registries with how far each has come."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gratitude.accounts.models import User
from gratitude.registries.selectors import items_with_availability, progress_of, registries_for_member


def home(request: HttpRequest) -> HttpResponse:
    registries = []
    if isinstance(request.user, User):
        registries = list(registries_for_member(user=request.user))
    # "X of Y wanted items given" per registry, except where "covered only" keeps even that a surprise.
    progress = {
        registry.pk: progress_of(items_with_availability(registry=registry), currency=registry.currency)
        for registry in registries
        if not registry.hides_gift_details()
    }
    return render(
        request,
        "registries/home.html",
        {"entries": [(registry, progress.get(registry.pk)) for registry in registries]},
    )
