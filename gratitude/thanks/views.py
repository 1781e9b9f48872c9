"""The Thank You List page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gratitude.accounts.models import User
from gratitude.registries.models import Surprise
from gratitude.registries.selectors import registry_for_member
from gratitude.thanks.selectors import thank_you_list


@login_required
def thank_you_list_page(request: HttpRequest, registry_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    registry = registry_for_member(user=user, registry_id=registry_id)
    return render(
        request,
        "thanks/list.html",
        {
            "registry": registry,
            "gifts": thank_you_list(registry=registry),
            "hide_details": registry.surprise == Surprise.COVERED_ONLY,
        },
    )
