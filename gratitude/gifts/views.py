"""Guest pages behind a share link: see the list, record a purchase, get a receipt. No account needed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from gratitude.core.errors import GratitudeError
from gratitude.gifts import services
from gratitude.gifts.forms import GiftForm
from gratitude.gifts.models import GiftSource
from gratitude.registries import selectors


def _link_not_found(request: HttpRequest) -> HttpResponse:
    # One answer for wrong, tampered, reset and private links: a link reveals nothing it doesn't open.
    return render(request, "gifts/link_not_found.html", status=404)


def shared_registry(request: HttpRequest, share_key: str) -> HttpResponse:
    registry = selectors.registry_for_share_key(share_key=share_key)
    if registry is None:
        return _link_not_found(request)
    return render(
        request,
        "gifts/shared_registry.html",
        {"registry": registry, "items": selectors.items_with_availability(registry=registry)},
    )


def give(request: HttpRequest, share_key: str, item_id: int) -> HttpResponse:
    item = selectors.item_for_share_key(share_key=share_key, item_id=item_id)
    if item is None:
        return _link_not_found(request)
    availability = selectors.item_availability(item=item)
    form = GiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gift = services.gift_record(item=item, source=GiftSource.GUEST, **form.cleaned_data)
        except GratitudeError as exc:
            form.add_error(None, str(exc))
        else:
            request.session["last_gift_receipt"] = gift.pk
            return redirect("gifts:receipt", share_key=share_key)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "gifts/give.html",
        {
            "registry": item.registry,
            "item": item,
            "availability": availability,
            "form": form,
            "share_key": share_key,
        },
        status=status,
    )


def receipt(request: HttpRequest, share_key: str) -> HttpResponse:
    registry = selectors.registry_for_share_key(share_key=share_key)
    gift_id = request.session.get("last_gift_receipt")
    # The receipt is only for the browser that gave the gift, and only under this registry's link.
    gift = registry.gifts.filter(pk=gift_id).select_related("item").first() if registry and gift_id else None
    if gift is None:
        return _link_not_found(request)
    return render(request, "gifts/receipt.html", {"registry": registry, "gift": gift, "share_key": share_key})
