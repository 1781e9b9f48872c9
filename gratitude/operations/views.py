"""The operator console (staff only): sending at a glance with halt and resume, operator alerts, the audit
log, campaigns under the two-person rule, and recall. Thin: forms shape input, services decide, selectors
read; a GratitudeError becomes a message on the page. See docs/operations.md, "The console"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, show_on_form
from gratitude.operations import exports, selectors
from gratitude.operations.campaigns import canary as canary_services
from gratitude.operations.campaigns import lifecycle as lifecycle_services
from gratitude.operations.campaigns import preview as preview_services
from gratitude.operations.forms import (
    AcknowledgeForm,
    ApproveForm,
    CampaignForm,
    CampaignTextForm,
    ReasonForm,
    RecallForm,
    SendControlForm,
)
from gratitude.operations.models import ALL_KINDS, Campaign, CampaignKind, Recall
from gratitude.operations.recall import recall_create, recall_export_record
from gratitude.operations.services import (
    actor_for,
    operator_alert_acknowledge,
    sends_halt,
    sends_resume,
)


def staff_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in staff only. Signed out: the login page. Signed in without the staff role: a 403 page that
    says so (the login page would send a signed-in person straight back here, for ever)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not (user.is_active and user.is_staff):
            return render(request, "operations/staff_only.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


PAGE = 100


def _operator(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_only let only a signed-in staff member in
    return request.user


def _campaign(pk: int) -> Campaign:
    campaign = selectors.campaign_for_staff(pk=pk)
    if campaign is None:
        raise Http404("No such campaign")
    return campaign


def _recall(pk: int) -> Recall:
    recall = selectors.recall_for_staff(pk=pk)
    if recall is None:
        raise Http404("No such recall")
    return recall


@staff_only
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    overview = selectors.sending_overview(now=timezone.now())
    return render(
        request,
        "operations/console.html",
        {"overview": overview, "halt_form": SendControlForm(), "resume_form": SendControlForm()},
    )


@staff_only
@require_POST
def sends_halt_view(request: HttpRequest) -> HttpResponse:
    form = SendControlForm(request.POST)
    operator = _operator(request)
    if not form.is_valid():
        messages.error(request, "To halt, choose what and give a reason.")
        return redirect("operations:console")
    kind = form.cleaned_data["kind"]
    try:
        sends_halt(kind=kind, reason=form.cleaned_data["reason"], by=actor_for(operator), user=operator)
    except GratitudeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Halted {'all kinds' if kind == ALL_KINDS else kind}.")
    return redirect("operations:console")


@staff_only
@require_POST
def sends_resume_view(request: HttpRequest) -> HttpResponse:
    form = SendControlForm(request.POST)
    operator = _operator(request)
    if not form.is_valid():
        messages.error(request, "To resume, choose what and give a reason.")
        return redirect("operations:console")
    kind = form.cleaned_data["kind"]
    try:
        released = sends_resume(
            kind=kind, reason=form.cleaned_data["reason"], by=actor_for(operator), user=operator
        )
    except GratitudeError as exc:
        messages.error(request, str(exc))
    else:
        what = "all kinds" if kind == ALL_KINDS else kind
        messages.success(request, f"Resumed {what}: {released} held messages released.")
    return redirect("operations:console")


@staff_only
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_for_staff(pk=pk)
    if alert is None:
        raise Http404("No such alert")
    form = AcknowledgeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    operator_alert_acknowledge(alert=alert, by=_operator(request), note=note)
    messages.success(request, "Alert acknowledged.")
    return redirect("operations:console")


@staff_only
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "").strip()
    page = Paginator(selectors.audit_entries(action=action), PAGE).get_page(request.GET.get("page"))
    extra = f"&{urlencode({'action': action})}" if action else ""
    return render(request, "operations/audit.html", {"page": page, "action": action, "extra": extra})


@staff_only
@require_GET
def audit_csv(request: HttpRequest) -> HttpResponseBase:
    entries = selectors.audit_entries(action=request.GET.get("action", "").strip())
    lines = exports.csv_lines(exports.AUDIT_HEADER, exports.audit_rows(entries.iterator(chunk_size=2000)))
    return exports.csv_response(f"gratitude-audit-{timezone.now():%Y%m%dT%H%M%SZ}.csv", lines)


@staff_only
def campaign_list(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = lifecycle_services.campaign_create(
                by=operator,
                kind=CampaignKind.CAMPAIGN,
                title=data["title"],
                subject=data["subject"],
                body=data["body"],
                audience=form.audience(),
                speaks_of=data["speaks_of"],
            )
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, "Draft saved. Preview it, then freeze its audience.")
            return redirect("operations:campaign", pk=campaign.pk)
    campaigns = Paginator(selectors.campaigns_for_staff(), PAGE).get_page(request.GET.get("page"))
    return render(request, "operations/campaigns.html", {"campaigns": campaigns, "form": form})


def _edit_form(campaign: Campaign, data: Any = None) -> CampaignTextForm:
    initial: dict[str, Any] = {"title": campaign.title, "subject": campaign.subject, "body": campaign.body}
    if campaign.kind == CampaignKind.CORRECTION:
        return CampaignTextForm(data, initial=initial)
    audience = campaign.audience
    initial.update(
        speaks_of=CampaignForm.speaks_of_initial(campaign.speaks_of),
        scope=audience.get("scope"),
        occasions=audience.get("occasions", []),
        registry_statuses=audience.get("registry_statuses", []),
        roles=audience.get("roles", []),
        alerts_on_only=audience.get("alerts_on_only", False),
    )
    return CampaignForm(data, initial=initial)


@staff_only
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    operator = _operator(request)
    form = _edit_form(campaign, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        audience = form.audience() if isinstance(form, CampaignForm) else campaign.audience
        try:
            campaign = lifecycle_services.campaign_edit(
                campaign=campaign,
                by=operator,
                title=data["title"],
                subject=data["subject"],
                body=data["body"],
                audience=audience,
                # A correction's declaration is inherited from its recall: its form has no such field.
                speaks_of=data.get("speaks_of"),
            )
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, "Saved. It is a draft again: freeze it and ask for approval.")
            return redirect("operations:campaign", pk=campaign.pk)
    context: dict[str, Any] = {
        "campaign": campaign,
        "form": form,
        "editable": selectors.campaign_editable(campaign),
        "preview": preview_services.campaign_preview(campaign=campaign),
        "progress": selectors.campaign_progress(campaign),
        "canary": selectors.canary_report(campaign) if campaign.started_at else None,
        "can_approve": campaign.author_id not in (None, operator.pk),
        "reason_form": ReasonForm(),
    }
    return render(request, "operations/campaign.html", context)


def _campaign_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    campaign = _campaign(pk)
    operator = _operator(request)
    try:
        if step == "freeze":
            campaign = lifecycle_services.campaign_freeze(campaign=campaign, by=operator)
            messages.success(request, f"Audience frozen: {campaign.frozen_count} recipients.")
        elif step == "approve":
            form = ApproveForm(request.POST)
            fingerprint = form.cleaned_data["fingerprint"] if form.is_valid() else ""
            lifecycle_services.campaign_approve(campaign=campaign, by=operator, fingerprint=fingerprint)
            messages.success(request, "Approved.")
        elif step == "start":
            campaign = lifecycle_services.campaign_start(campaign=campaign, by=operator)
            messages.success(request, f"Started: {campaign.get_state_display()}.")
        elif step == "advance":
            messages.success(request, canary_services.campaign_advance(campaign_id=campaign.pk))
        elif step == "cancel":
            reason_form = ReasonForm(request.POST)
            reason = reason_form.cleaned_data["reason"] if reason_form.is_valid() else ""
            cancelled = lifecycle_services.campaign_cancel(campaign=campaign, by=operator, reason=reason)
            messages.success(request, f"Cancelled; {cancelled} queued messages will not go.")
    except GratitudeError as exc:
        messages.error(request, str(exc))
    return redirect("operations:campaign", pk=pk)


@staff_only
@require_POST
def campaign_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_step(request, pk, "freeze")


@staff_only
@require_POST
def campaign_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_step(request, pk, "approve")


@staff_only
@require_POST
def campaign_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_step(request, pk, "start")


@staff_only
@require_POST
def campaign_advance(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_step(request, pk, "advance")


@staff_only
@require_POST
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_step(request, pk, "cancel")


@staff_only
def recall_list(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    form = RecallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recall = recall_create(
                kind=data["kind"],
                since=data["since"],
                until=data["until"],
                actor=actor_for(operator),
                user=operator,
                reason=data["reason"],
            )
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            return redirect("operations:recall", pk=recall.pk)
    recalls = Paginator(selectors.recalls_for_staff(), PAGE).get_page(request.GET.get("page"))
    return render(request, "operations/recalls.html", {"recalls": recalls, "form": form})


@staff_only
@require_GET
def recall_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(pk)
    page = Paginator(selectors.recalled_messages(recall=recall), PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "operations/recall.html",
        {"recall": recall, "page": page, "corrections": recall.corrections.order_by("-pk")},
    )


@staff_only
@require_GET
def recall_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    recall = _recall(pk)
    operator = _operator(request)
    recall_export_record(recall=recall, actor=actor_for(operator), user=operator)
    messages_ = selectors.recalled_messages(recall=recall).iterator(chunk_size=2000)
    lines = exports.csv_lines(exports.RECALL_HEADER, exports.recall_rows(messages_))
    return exports.csv_response(f"gratitude-recall-{recall.pk}.csv", lines)
