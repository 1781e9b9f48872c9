"""The store webhook's request and answer, as a plain Django view: `POST /api/v1/stores/<id>/events`.

gunicorn serves it through config/wsgi.py's short machine path (core/lean_wsgi.py, api/machine_urls.py)
without django-ninja or the pages' middleware; the django-ninja operation in api/v1.py answers with the
same function, so the OpenAPI schema documents this very answer and both routes behave alike."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gratitude.api.services import EventRefused, store_event_ingest
from gratitude.core.middleware import MACHINE_CSP

SIGNATURE_HEADER = "X-Gratitude-Signature"
# A JSON answer is never a document to render or frame: the strictest policy, on both routes (the machine
# path's middleware gives it to its errors too).
JSON_CSP = MACHINE_CSP


def store_events_answer(*, store_id: str, signature_header: str, raw_body: bytes) -> HttpResponse:
    """202 with the event's id once verified and stored; otherwise the one error schema (schemas.ErrorOut)."""
    try:
        event_id = store_event_ingest(
            store_public_id=store_id[:40], signature_header=signature_header[:200], raw_body=raw_body
        )
    except EventRefused as exc:
        body = json.dumps({"code": exc.code, "message": exc.message, "errors": []}).encode()
        response = HttpResponse(body, status=exc.status, content_type="application/json; charset=utf-8")
    else:
        # Written directly: two fixed fields, on the hottest path of the API.
        response = HttpResponse(
            b'{"status": "accepted", "event_id": %d}' % event_id, status=202, content_type="application/json"
        )
    response["Content-Security-Policy"] = JSON_CSP
    return response


@csrf_exempt  # the signature is the credential; no cookie is read
@require_POST
def store_events_view(request: HttpRequest, store_id: str) -> HttpResponse:
    return store_events_answer(
        store_id=store_id,
        signature_header=request.headers.get(SIGNATURE_HEADER, ""),
        raw_body=request.body,
    )
