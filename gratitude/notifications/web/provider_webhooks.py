"""The one provider webhook this site answers: the tracking endpoint of the provider in
GRATITUDE_MAIL_PROVIDER, at /mail/webhooks/<provider>/tracking/. Every other provider's path is a 404, so a
provider we do not use (and whose settings are absent) can never be reached.

Order of checks, each before the next costs anything: the provider is ours (else 404); the request carries
the basic-auth secret (GRATITUDE_MAIL_WEBHOOK_SECRET, compared in constant time; else 400, before any byte
of the body is read); the provider's own signature checks (anymail's validators); then the body is parsed,
and anything malformed is a 400 with one log line, never a 500. Only parsed events reach our receivers
(transport/delivery_events.py); an error there is ours and stays a 500, so the provider retries. See
docs/deliverability.md.
"""

from __future__ import annotations

import logging

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.urls import urlpatterns as anymail_urlpatterns
from anymail.utils import get_request_basic_auth
from anymail.webhooks.base import AnymailCoreWebhookView
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from gratitude.notifications import conf

logger = logging.getLogger("gratitude.notifications")


def _tracking_views() -> dict[str, type[AnymailCoreWebhookView]]:
    views = {}
    for pattern in anymail_urlpatterns:
        name = getattr(pattern, "name", None) or ""
        view_class = getattr(getattr(pattern, "callback", None), "view_class", None)
        if name.endswith("_tracking_webhook") and view_class is not None:
            views[name.removesuffix("_tracking_webhook")] = view_class
    return views


TRACKING_VIEWS = _tracking_views()
# What a provider's parser raises on a body that is not what it expects (bad JSON, missing keys, wrong
# types, bad base64 or signatures): the sender's mistake, a 400.
_MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError, AnymailError)


def _secrets() -> list[str]:
    configured: str | list[str] = settings.ANYMAIL.get("WEBHOOK_SECRET") or []
    return [configured] if isinstance(configured, str) else list(configured)


def _credentials_ok(request: HttpRequest) -> bool:
    given = get_request_basic_auth(request) or ""
    return any(constant_time_compare(given, secret) for secret in _secrets())


@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def tracking(request: HttpRequest, provider: str) -> HttpResponse:
    view_class = TRACKING_VIEWS.get(provider)
    if view_class is None or provider != conf.mail_provider():
        raise Http404("No such webhook")
    if request.method == "HEAD":
        return HttpResponse()
    if not _credentials_ok(request):
        return HttpResponseBadRequest("Missing or invalid credentials.")
    try:
        view = view_class()
    except ImproperlyConfigured:
        logger.exception("provider webhook %s: its settings are incomplete", provider)
        return HttpResponse("This webhook is not configured.", status=503)
    view.setup(request)
    try:
        if type(view).post is not AnymailCoreWebhookView.post:
            # A provider with a handshake of its own (Amazon SES confirms its SNS subscription in post).
            return view.post(request)
        view.run_validators(request)
        events = view.parse_events(request)
    except AnymailWebhookValidationFailure:
        return HttpResponseBadRequest("Invalid signature.")
    except _MALFORMED as exc:
        logger.warning("provider webhook %s: malformed request (%s)", provider, type(exc).__name__)
        return HttpResponseBadRequest("Malformed webhook request.")
    for event in events:
        view.signal.send(sender=view_class, event=event, esp_name=view.esp_name)
    return HttpResponse()
