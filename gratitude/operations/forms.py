"""Forms of the operator console. They only shape input; every rule lives in the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms

from gratitude.notifications.sending.occasion_opt_outs import OPT_OUT_OCCASIONS
from gratitude.operations.audience import OCCASIONS, REGISTRY_STATUSES, ROLES, SCOPES
from gratitude.operations.models import ALL_KINDS

# The explicit "speaks of no occasion" choice: saying nothing is not a declaration.
NO_OCCASION = "none"


def _kind_choices(*, everything: bool) -> list[tuple[str, str]]:
    from gratitude.notifications.outbox.kinds import KINDS

    choices = [(ALL_KINDS, "All kinds")] if everything else []
    return choices + [(name, name) for name in sorted(KINDS)]


class SendControlForm(forms.Form):
    kind = forms.ChoiceField()
    reason = forms.CharField(max_length=500, strip=True, help_text="Recorded in the audit log.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = _kind_choices(everything=True)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(max_length=500, required=False, strip=True)


class CampaignTextForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="For operators only; recipients never see it.")
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10_000,
        help_text="Plain text; a blank line starts a new paragraph. No links (the footer has ours).",
    )


class CampaignForm(CampaignTextForm):
    speaks_of = forms.MultipleChoiceField(
        label="Its subject and text speak of",
        choices=[(NO_OCCASION, "No occasion at all"), *OPT_OUT_OCCASIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": (
                "Say what this message speaks of: tick every occasion its subject or text mentions, "
                "or “No occasion at all”."
            )
        },
        help_text=(
            "Nobody who opted out of one of these gets it, nor anyone who opted out of an occasion the "
            "audience below is chosen by."
        ),
    )
    scope = forms.ChoiceField(choices=list(SCOPES.items()), widget=forms.RadioSelect, initial="registrants")
    occasions = forms.MultipleChoiceField(
        label="Registry occasions",
        choices=list(OCCASIONS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: any occasion.",
    )
    registry_statuses = forms.MultipleChoiceField(
        choices=list(REGISTRY_STATUSES.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=["active"],
        required=False,
    )
    roles = forms.MultipleChoiceField(
        choices=list(ROLES.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=["owner", "co_registrant"],
        required=False,
    )
    alerts_on_only = forms.BooleanField(
        required=False, label="Only people who keep gift alerts on for a matching registry"
    )

    def clean_speaks_of(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["speaks_of"]
        if NO_OCCASION not in chosen:
            return chosen
        if len(chosen) > 1:
            raise forms.ValidationError(
                "“No occasion at all” and an occasion contradict each other: untick one or the other."
            )
        return []

    @staticmethod
    def speaks_of_initial(speaks_of: list[str] | None) -> list[str]:
        """The declaration as the form shows it: nothing ticked while it was never declared."""
        if speaks_of is None:
            return []
        return list(speaks_of) or [NO_OCCASION]

    def audience(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "scope": data["scope"],
            "occasions": data["occasions"],
            "registry_statuses": data["registry_statuses"],
            "roles": data["roles"],
            "alerts_on_only": data["alerts_on_only"],
        }


class ApproveForm(forms.Form):
    fingerprint = forms.CharField(max_length=64, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, strip=True)


class RecallForm(forms.Form):
    kind = forms.ChoiceField()
    since = forms.CharField(help_text="ISO 8601 with a zone, e.g. 2017-09-19T10:00:00Z (inclusive)")
    until = forms.CharField(help_text="ISO 8601 with a zone (exclusive)")
    reason = forms.CharField(max_length=500, required=False, strip=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = _kind_choices(everything=False)

    def _moment(self, name: str) -> datetime:
        value = self.cleaned_data[name].strip()
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise forms.ValidationError("Not an ISO 8601 time, e.g. 2017-09-19T10:00:00Z.") from exc
        if moment.tzinfo is None:
            raise forms.ValidationError("Add a time zone, e.g. Z for UTC.")
        return moment

    def clean_since(self) -> datetime:
        return self._moment("since")

    def clean_until(self) -> datetime:
        return self._moment("until")
