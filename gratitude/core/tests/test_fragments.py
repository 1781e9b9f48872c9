"""Fragments (core/fragments.py) are escaped as Django's templates escape, so a page built partly from
fragments has the same bytes as one Django template would write."""

from __future__ import annotations

import jinja2
import pytest
from django.template import engines
from django.utils.html import escape
from django.utils.safestring import mark_safe

from gratitude.core.fragments import as_django_escaped

TEXTS = [
    "plain",
    "&#39; typed as text",
    'Mother\'s "best" <b>&amp;</b>',
    "<script>alert('x')</script>",
    "",
    "a\nb",
]


def _render(source: str, **context: object) -> str:
    return as_django_escaped(engines["fragments"].from_string(source).render(context))


def test_values_are_escaped_exactly_as_django_escapes_them():
    for text in TEXTS:
        assert _render("{{ v }}", v=text) == escape(text)
        in_a_macro = "{% macro m(v) %}<i>{{ v }}</i>{% endmacro %}{{ m(v) }}"
        assert _render(in_a_macro, v=text) == f"<i>{escape(text)}</i>"
        assert _render('<a title="{{ v }}">', v=text) == engines["django"].from_string(
            '<a title="{{ v }}">'
        ).render({"v": text})


def test_numbers_and_safe_strings_are_printed_as_they_are():
    assert _render("{{ n }}/{{ f }}", n=160, f=1.5) == "160/1.5"
    assert _render("{{ s }}", s=mark_safe("<b>it's</b>")) == "<b>it's</b>"


def test_a_missing_value_is_an_error_not_an_empty_cell():
    with pytest.raises(jinja2.UndefinedError):
        _render("{{ row['title'] }}", row={})
