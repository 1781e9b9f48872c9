"""Errors are visible in production: an unhandled error in a request is one JSON line on stderr with the
request's id (the one the response carries), its status and traceback, and no address, password, token
or share key in it. Loaded with production settings in a fresh interpreter, as gunicorn would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gratitude.core.logs import redact

ROOT = Path(__file__).resolve().parents[3]
SHARE_KEY = "Zk3r9QpLmN2xW7vB4tYs1A"
SCRIPT = f"""
import django
from django.conf import settings
django.setup()
settings.ROOT_URLCONF = "gratitude.core.tests.boom_urls"
from django.test import Client
response = Client(raise_request_exception=False).get(
    "/r/{SHARE_KEY}/boom/", secure=True, HTTP_HOST="gratitude.example"
)
print(response.status_code, response["X-Request-ID"])
"""


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GRATITUDE_", "EMAIL_", "DJANGO_"))}
    clean.update(
        {
            "GRATITUDE_ENV": "prod",
            "SECRET_KEY": "x" * 50,
            "SITE_URL": "https://gratitude.example",
            "EMAIL_URL": "smtp://127.0.0.1:25",
            "CACHE_URL": "redis://127.0.0.1:6379/1",
            "GRATITUDE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_a_500_in_production_is_one_redacted_json_line_on_stderr_with_the_request_id(tmp_path):
    result = _run(tmp_path)

    assert result.returncode == 0, result.stderr
    status, request_id = result.stdout.split()
    assert status == "500"
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["logger"] == "django.request"]
    assert len(errors) == 1, result.stderr
    error = errors[0]
    assert error["level"] == "ERROR" and error["status"] == 500
    assert error["request_id"] == request_id
    assert "RuntimeError" in error["exc"]
    for secret in ("sam@example.test", "hunter2", "abc123", SHARE_KEY):
        assert secret not in result.stderr
    assert all(not line.strip() or line.startswith("{") for line in result.stderr.splitlines())


def test_outside_production_the_line_is_plain_text_with_the_request_id(tmp_path):
    result = _run(tmp_path, GRATITUDE_LOG_JSON="0")

    _status, request_id = result.stdout.split()
    assert f"ERROR django.request [{request_id}]" in result.stderr
    assert "sam@example.test" not in result.stderr and SHARE_KEY not in result.stderr


def test_redaction_covers_addresses_secrets_and_link_credentials():
    text = redact(
        "to bob.o'neil+x@mail.example.org Authorization: Basic Zm9v password=p4ss "
        "/accounts/reset/MQ/abc-123/ /r/hold/HOLDTOKEN/release/ /mail/unsubscribe/TKN/ /r/KEY/items/3/give/"
    )
    for secret in ("bob.o'neil+x@mail.example.org", "Zm9v", "p4ss", "abc-123", "HOLDTOKEN", "TKN", "/r/KEY/"):
        assert secret not in text
    assert "/r/[redacted]/items/3/give/" in text and "/r/hold/[redacted]/release/" in text
