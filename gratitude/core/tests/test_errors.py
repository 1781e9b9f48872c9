"""GratitudeError names its field apart from its message, and show_on_form puts it where the form shows it."""

from __future__ import annotations

from django import forms

from gratitude.core.errors import GratitudeError, show_on_form


class _NoteForm(forms.Form):
    note = forms.CharField(required=False)


def _form() -> _NoteForm:
    form = _NoteForm({"note": "hello"})
    assert form.is_valid()
    return form


def test_the_text_names_the_field_outside_a_form():
    exc = GratitudeError("keep it under 10 characters", field="note", code="too_long")
    assert (exc.message, exc.field, exc.code) == ("keep it under 10 characters", "note", "too_long")
    assert str(exc) == "note: keep it under 10 characters"
    assert str(GratitudeError("Not now.")) == "Not now."


def test_a_refusal_about_a_field_goes_on_that_field_without_naming_it():
    form = _form()
    show_on_form(form, GratitudeError("keep it under 10 characters", field="note"))
    assert form.errors == {"note": ["keep it under 10 characters"]}


def test_a_refusal_about_no_field_of_the_form_goes_above_it_and_names_the_field():
    form = _form()
    show_on_form(form, GratitudeError("choose one of a, b", field="status"))
    assert form.non_field_errors() == ["status: choose one of a, b"]


def test_a_one_input_form_can_keep_every_refusal_on_its_input():
    form = _form()
    show_on_form(form, GratitudeError("Only members may write notes."), otherwise_on="note")
    assert form.errors == {"note": ["Only members may write notes."]}
