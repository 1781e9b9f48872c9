"""The login and sign-up forms are rendered by Jinja2 for speed (core/forms.py): the HTML must be exactly what
the site's Django-template renderer makes, blank, filled in, and with errors."""

from __future__ import annotations

import pytest

from gratitude.accounts.forms import LoginForm, SignupForm
from gratitude.core.forms import GratitudeFormRenderer


@pytest.mark.parametrize("form_class", [LoginForm, SignupForm])
@pytest.mark.parametrize(
    # No password in the filled-in case: the login form would try to authenticate, which is not rendering.
    "data",
    [None, {}, {"username": "a@example.test", "email": "not an address"}],
)
def test_jinja2_renders_the_same_html_as_the_django_templates(form_class, data):
    fast = form_class(data=data)
    reference = form_class(data=data, renderer=GratitudeFormRenderer())
    assert fast.renderer is not reference.renderer
    assert str(fast) == str(reference)
    if data is not None:
        assert fast.errors  # the error lists are compared too
