"""The site's form renderer: Django's own templates, except that a single checkbox comes before its label, in
one row (a 22 px box with the words beside it, not a label floating above a tiny box)."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates


class GratitudeFormRenderer(DjangoTemplates):
    field_template_name = "core/forms/field.html"
