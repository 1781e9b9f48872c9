"""Registrant pages: list and create registries, manage items and the share link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError
from gratitude.registries import selectors, services
from gratitude.registries.forms import ItemForm, RegistryForm


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every view here is login_required
    return user


@login_required
def registry_list(request: HttpRequest) -> HttpResponse:
    registries = selectors.registries_for_member(user=_viewer(request))
    return render(request, "registries/list.html", {"registries": registries})


@login_required
def registry_new(request: HttpRequest) -> HttpResponse:
    form = RegistryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registry = services.registry_create(owner=_viewer(request), **form.cleaned_data)
        except GratitudeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"“{registry.title}” is ready. Add the first item below.")
            return redirect("registries:detail", registry_id=registry.pk)
    return render(request, "registries/new.html", {"form": form})


@login_required
def registry_detail(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    return _detail_page(request, registry, ItemForm())


def _detail_page(request: HttpRequest, registry, item_form: ItemForm, status: int = 200) -> HttpResponse:  # type: ignore[no-untyped-def]
    share_url = request.build_absolute_uri(f"/r/{registry.share_key}/")
    return render(
        request,
        "registries/detail.html",
        {
            "registry": registry,
            "items": selectors.items_with_availability(registry=registry),
            "item_form": item_form,
            "share_url": share_url,
        },
        status=status,
    )


@login_required
@require_POST
def item_add(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            item = services.item_add(registry=registry, **form.cleaned_data)
        except GratitudeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Added “{item.title}”.")
            return redirect("registries:detail", registry_id=registry.pk)
    return _detail_page(request, registry, form, status=400)


@login_required
@require_POST
def share_link_reset(request: HttpRequest, registry_id: int) -> HttpResponse:
    registry = selectors.registry_for_member(user=_viewer(request), registry_id=registry_id)
    services.registry_share_link_reset(registry=registry)
    messages.success(request, "New share link made. Every older link has stopped working.")
    return redirect("registries:detail", registry_id=registry.pk)
