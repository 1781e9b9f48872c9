"""The front page: what Gratitude is, or the signed-in person's registries."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gratitude.accounts.models import User
from gratitude.registries.selectors import registries_for_member


def home(request: HttpRequest) -> HttpResponse:
    registries = []
    if isinstance(request.user, User):
        registries = list(registries_for_member(user=request.user))
    return render(request, "core/home.html", {"registries": registries})
