"""The site's form renderers: Django's own templates, except that a single checkbox comes before its label, in
one row (a 22 px box with the words beside it, not a label floating above a tiny box); and the same rendered
by Jinja2 for the login and sign-up forms."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates, Jinja2


class GratitudeFormRenderer(DjangoTemplates):
    field_template_name = "core/forms/field.html"


class TextFormRenderer(Jinja2):
    """The same templates rendered by Jinja2 (Django ships them for both engines), in about half the time:
    for the busiest forms made only of text, email and password inputs (login, sign-up), where the HTML is
    byte for byte the same. Not the site's default: Jinja2's radio and select templates differ in
    whitespace."""

    field_template_name = "core/forms/field.html"


TEXT_FORM_RENDERER = TextFormRenderer()
