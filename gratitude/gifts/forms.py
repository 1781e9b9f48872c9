"""Forms for givers (reserve, record a purchase, contribute) and for registrants recording a gift by hand.

A mailing address is only taken with an explicit tick: the box and the address go together or not at all.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from gratitude.gifts.models import GiftBought
from gratitude.registries.models import Item, Registry
from gratitude.registries.services.items import MAX_QUANTITY

MESSAGE_LIMIT = 2000
ADDRESS_LIMIT = 500


def _message_field() -> forms.CharField:
    return forms.CharField(
        label="A message for them (optional)",
        required=False,
        max_length=MESSAGE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class _HowBought(forms.Form):
    """ "I bought it elsewhere" and "I bought something similar": the same gift path, said honestly."""

    bought = forms.ChoiceField(
        label="What did you buy?",
        choices=GiftBought.choices,
        initial=GiftBought.AS_LISTED,
        widget=forms.RadioSelect,
        # Not sent at all (an older page, a script): the item as listed, as before this choice existed.
        required=False,
    )
    similar_note = forms.CharField(
        label="What did you choose instead? (optional)",
        required=False,
        max_length=200,
        help_text="Only the registrants see it, on their Thank You List.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("similar_note") or "").strip() and cleaned.get("bought") != GiftBought.SIMILAR:
            self.add_error(
                "similar_note", "Choose “Something similar instead” to say what it was, or clear this."
            )
        return cleaned

    def how_bought(self) -> dict[str, Any]:
        return {
            "bought": self.cleaned_data["bought"] or GiftBought.AS_LISTED,
            "similar_note": self.cleaned_data["similar_note"],
        }


class _AddressAndReceipt(forms.Form):
    """The opt-ins every purchase form shares: a mailing address for the thank-you note, a receipt by mail."""

    share_address = forms.BooleanField(
        label="Share my mailing address with the registrants for a thank-you note",
        required=False,
    )
    giver_address = forms.CharField(
        label="Mailing address",
        required=False,
        max_length=ADDRESS_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text="Only the registrants see it; other givers never do.",
    )
    send_receipt = forms.BooleanField(label="Email me a receipt", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        address = (cleaned.get("giver_address") or "").strip()
        if cleaned.get("share_address") and not address:
            self.add_error("giver_address", "Enter the address, or untick the box to share none.")
        if address and not cleaned.get("share_address"):
            self.add_error("share_address", "Tick the box to agree to share this address, or clear it.")
        if cleaned.get("send_receipt") and not self._giver_email(cleaned):
            self.add_error("send_receipt", "Give your email address to get a receipt.")
        return cleaned

    def _giver_email(self, cleaned: dict[str, Any]) -> str:
        return str(cleaned.get("giver_email") or "")

    def purchase_arguments(self) -> dict[str, Any]:
        return {
            "message": self.cleaned_data.get("message", ""),
            "giver_address": self.cleaned_data["giver_address"] if self.cleaned_data["share_address"] else "",
            "send_receipt": self.cleaned_data["send_receipt"],
        }


class GiftForm(_HowBought, _AddressAndReceipt):
    giver_name = forms.CharField(label="Your name", max_length=120)
    giver_email = forms.EmailField(
        label="Your email (optional)",
        required=False,
        help_text="Only used for the registrant's thank-you note. We never add you to a list.",
    )
    quantity = forms.IntegerField(label="How many", min_value=1, max_value=MAX_QUANTITY, initial=1)
    message = _message_field()

    field_order = [
        "giver_name",
        "giver_email",
        "quantity",
        "bought",
        "similar_note",
        "message",
        "share_address",
        "giver_address",
    ]

    def gift_arguments(self) -> dict[str, Any]:
        return {
            "giver_name": self.cleaned_data["giver_name"],
            "giver_email": self.cleaned_data["giver_email"],
            "quantity": self.cleaned_data["quantity"],
            **self.purchase_arguments(),
            **self.how_bought(),
        }


class ContributionForm(_AddressAndReceipt):
    giver_name = forms.CharField(label="Your name", max_length=120)
    giver_email = forms.EmailField(label="Your email (optional)", required=False)
    amount = forms.DecimalField(label="Amount", min_value=Decimal("0.01"), max_digits=10, decimal_places=2)
    message = _message_field()

    field_order = ["giver_name", "giver_email", "amount", "message", "share_address", "giver_address"]

    def contribution_arguments(self) -> dict[str, Any]:
        return {
            "giver_name": self.cleaned_data["giver_name"],
            "giver_email": self.cleaned_data["giver_email"],
            "amount": self.cleaned_data["amount"],
            **self.purchase_arguments(),
        }


class FulfilForm(_HowBought, _AddressAndReceipt):
    """The giver's "I bought it", from their own hold: name and email are already on the reservation."""

    message = _message_field()
    field_order = ["bought", "similar_note", "message", "share_address", "giver_address"]

    def __init__(self, *args: Any, giver_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reservation_email = giver_email

    def _giver_email(self, cleaned: dict[str, Any]) -> str:
        return self._reservation_email


class RemoveGiftForm(forms.Form):
    """A registrant takes a gift off the Thank You List (one they never got); why is optional."""

    reason = forms.CharField(
        label="Why (optional, only the registrants see it)", required=False, max_length=200
    )
    # Which page the button was on, to go back to it: one of two fixed names, never a URL.
    back_to = forms.ChoiceField(choices=[("gifts", "gifts"), ("thanks", "thanks")], required=False)


class ReserveForm(forms.Form):
    giver_name = forms.CharField(label="Your name", max_length=120)
    giver_email = forms.EmailField(
        label="Your email (optional)",
        required=False,
        help_text="We email you this hold's page, so you can come back to it.",
    )
    quantity = forms.IntegerField(label="How many", min_value=1, max_value=MAX_QUANTITY, initial=1)
    remind = forms.BooleanField(label="Email me a reminder before my hold ends", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("remind") and not cleaned.get("giver_email"):
            self.add_error("remind", "Give your email address to get a reminder.")
        return cleaned


class HandGiftForm(forms.Form):
    """A registrant records a gift: one from the list, or one that came off-registry."""

    item = forms.ModelChoiceField(
        queryset=Item.objects.none(),
        required=False,
        empty_label="Something not on the list",
        label="Which gift?",
    )
    description = forms.CharField(label="What was it? (if not on the list)", required=False, max_length=200)
    giver_name = forms.CharField(label="From", max_length=120)
    giver_email = forms.EmailField(label="Their email (optional)", required=False)
    quantity = forms.IntegerField(label="How many", min_value=1, max_value=MAX_QUANTITY, initial=1)
    message = _message_field()
    giver_address = forms.CharField(
        label="Their mailing address (optional)",
        required=False,
        max_length=ADDRESS_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, registry: Registry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item_field = self.fields["item"]
        assert isinstance(item_field, forms.ModelChoiceField)
        item_field.queryset = registry.items.filter(archived_at__isnull=True, off_list=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("item") and not (cleaned.get("description") or "").strip():
            self.add_error("description", "Say what the gift was, or pick it from the list.")
        return cleaned
