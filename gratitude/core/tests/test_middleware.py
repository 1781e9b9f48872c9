"""A NUL in a path is a 400 before any view: PostgreSQL refuses NUL in text, so a share key or token holding
one used to be a 500 there."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/r/%00/", "/r/abc%00def/items/1/give/", "/mail/unsubscribe/%00/"])
def test_a_nul_in_the_path_is_a_400_with_the_headers_of_every_page(path):
    for response in (Client().get(path), Client().post(path, {"giver_name": "x"})):
        assert response.status_code == 400
        assert response["Content-Security-Policy"] and response["Permissions-Policy"]
