"""A NUL in a path is a 400 before any view: PostgreSQL refuses NUL in text, so a share key or token holding
one used to be a 500 there. The security headers built once per process are the ones django-csp builds."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/r/%00/", "/r/abc%00def/items/1/give/", "/mail/unsubscribe/%00/"])
def test_a_nul_in_the_path_is_a_400_with_the_headers_of_every_page(path):
    for response in (Client().get(path), Client().post(path, {"giver_name": "x"})):
        assert response.status_code == 400
        assert response["Content-Security-Policy"] and response["Permissions-Policy"]


def test_the_policy_built_once_is_the_one_django_csp_builds_and_follows_the_settings(settings):
    from csp.utils import build_policy

    assert Client().get("/accounts/login/")["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert Client().get("/accounts/login/")["Content-Security-Policy"] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    response = Client().get("/accounts/login/")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert "img-src 'self'" in response["Content-Security-Policy-Report-Only"]
