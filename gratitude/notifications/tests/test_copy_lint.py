"""The copy lint (docs/safety.md promise 10): no template, mail or page, asserts a life event nobody declared,
unless the words sit inside a block gated on the registrant's own declared occasion
(`{% if registry.occasion == "baby" %}`). The lint itself is proven on planted fixture templates, and every
kind is rendered for a registrant who declared nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from gratitude.notifications.devtools.samples import sample_rows
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.rendering.bait_checks import visible_text
from gratitude.notifications.rendering.copy_lint import (
    PHRASES,
    gate_of,
    lint_files,
    lint_template,
    lint_untrusted,
    lint_untrusted_files,
    mail_templates,
    phrases_in,
    project_templates,
)
from gratitude.notifications.rendering.messages import render
from gratitude.registries.models import Occasion

FIXTURES = Path(__file__).parent / "fixtures" / "copy_lint"


def test_no_template_asserts_an_undeclared_life_event():
    templates = project_templates()
    # Mail and pages alike: every app's templates and the site's base.
    assert any("notifications/email/gift_alert/body.html" in str(p) for p in templates)
    assert any(str(p).endswith("gratitude/templates/base.html") for p in templates)
    assert any("registries/templates/registries/pause.html" in str(p) for p in templates)
    assert not any("/tests/" in str(p) for p in templates), (
        "fixtures and test-only templates are not the site's"
    )

    findings = lint_files(templates)

    assert not findings, "\n".join(str(f) for f in findings)


def test_a_planted_phrase_fails_the_lint():
    findings = lint_files([FIXTURES / "planted.html"])

    assert [(f.line, f.phrase) for f in findings] == [(4, "new arrival")]
    assert 'outside {% if registry.occasion == "baby" %}' in str(findings[0])
    assert "planted.html:4" in str(findings[0])


def test_a_phrase_gated_on_the_registrants_own_occasion_passes():
    assert lint_files([FIXTURES / "gated.html"]) == []


def test_the_else_branch_of_a_gate_is_not_gated():
    findings = lint_files([FIXTURES / "else_branch.html"])

    assert [(f.line, f.phrase) for f in findings] == [(2, "your little one")]


def test_a_gate_on_another_occasion_an_or_or_someone_elses_occasion_does_not_count():
    findings = lint_files([FIXTURES / "wrong_gate.html"])

    assert [(f.line, f.phrase) for f in findings] == [
        (1, "baby on the way"),
        (2, "mom-to-be"),
        (3, "due date"),
    ]


@pytest.mark.parametrize(
    ("condition", "gate"),
    [
        ('registry.occasion == "baby"', "baby"),
        ("registry.occasion == 'wedding'", "wedding"),
        ('gift.registry.occasion == "baby" and registry.event_date', "baby"),
        ('registry.event_date and registry.occasion == "baby"', "baby"),
        ('registry.occasion == "baby" or registry.occasion == "other"', None),
        ('registry.occasion != "baby"', None),
        ('registry.occasion == "funeral"', None),
        ('recipient.occasion == "baby"', None),
        ("registry.occasion", None),
    ],
)
def test_the_gate_convention(condition, gate):
    assert gate_of(condition) == gate


@pytest.mark.parametrize(
    "source",
    [
        "<p>We are so sorry for your loss.</p>",
        "<p>Our condolences.</p>",
        '{% if registry.occasion == "baby" %}Happy Mother’s Day!{% endif %}',
        "{{ note|default:'Your little one will love it' }}",
        '{% firstof message "Congratulations on your <b>new</b>   arrival" %}',
        "You&#39;re getting married!",
    ],
    ids=["condolence", "condolences", "calendar-never", "filter-argument", "tag-argument", "entity"],
)
def test_phrases_hide_nowhere(source):
    assert lint_template(source), source


def test_jinja2_mail_syntax_is_read_like_django_syntax():
    """Mail templates are Jinja2 (rendering/template_engine.py): whitespace markers do not hide a gate's end,
    a filter's argument in parentheses is still read, and a gate is a gate."""
    gated = '{%- if registry.occasion == "baby" -%}For your little one.{%- endif %}'
    assert lint_template(gated) == []
    ended = '{%- if registry.occasion == "baby" -%}A gift.{%- endif -%} For your little one.'
    assert [f.phrase for f in lint_template(ended)] == ["your little one"]
    assert lint_template('{{ note|default("Your little one will love it") }}')
    assert lint_template("{# several\nlines: your little one #}"), "a multi-line comment is read as text"


def test_comments_and_unrelated_words_are_not_flagged():
    source = (
        '{# "new arrival" is only allowed under a gate #}'
        "{% comment %}Never write: your little one.{% endcomment %}"
        "<p>A bundle of forks; the second arrival of the mail; babyccino; duedate.</p>"
    )
    assert lint_template(source) == []


def test_every_phrase_names_only_declarable_occasions():
    for phrase in PHRASES:
        assert phrase.occasions <= set(Occasion.values) - {Occasion.OTHER}, phrase
        assert phrase.text == phrase.text.lower(), phrase


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_rendered_for_a_registrant_who_declared_nothing_asserts_nothing(kind):
    with sample_rows(kind) as (declared, rows):
        registry = rows[0].registry
        if registry is not None:
            registry.occasion = Occasion.OTHER
            registry.event_date = None
            registry.save(update_fields=["occasion", "event_date"])
        rendered = render(rows, declared)

        for part in (rendered.subject, rendered.text, visible_text(rendered.html)):
            assert phrases_in(part) == [], part


# --- Typed words (docs/safety.md promise 16) --------------------------------------------------------


def test_no_mail_template_prints_typed_words_raw_or_in_a_subject():
    templates = mail_templates()
    assert any(str(p).endswith("notifications/email/gift_alert/subject.txt") for p in templates)
    assert not any("/tests/" in str(p) for p in templates)

    findings = lint_untrusted_files(templates)

    assert not findings, "\n".join(str(f) for f in findings)


def test_a_planted_raw_giver_field_fails_the_typed_words_rule():
    findings = lint_untrusted_files([FIXTURES / "untrusted" / "body.html"])

    assert [(f.line, f.expression) for f in findings] == [
        (3, "gift.giver_name"),
        (4, "gift.message|linebreaksbr"),
    ]
    assert "prints typed words without |defang" in str(findings[0])
    assert "untrusted/body.html:3" in str(findings[0])


def test_a_planted_giver_name_in_a_subject_fails_even_defanged():
    findings = lint_untrusted_files([FIXTURES / "untrusted" / "subject.txt"])

    assert [(f.line, f.expression, f.problem) for f in findings] == [
        (1, "gifts[0].giver_name|defang", "puts typed words in a Subject (only registry.title)")
    ]


@pytest.mark.parametrize(
    "source",
    [
        "{{ registry.title }}",
        "{{ gift.giver_name|upper }}",
        "{{ gift.message|linebreaksbr|defang_text }}",  # too late: linebreaksbr's markup is already made
        '{{ "%s"|format(gift.giver_name) }}',
        "{{- inviter_name -}}",
        "{{ line.gift.item.title }}",
        "{{ welcome_note }}",
    ],
)
def test_typed_words_hide_nowhere(source):
    assert lint_untrusted(source), source


def test_our_own_values_and_defanged_typed_words_pass():
    source = (
        "{{ greeting }} {{ reference }} {{ gifts|length }} {{ thank_you_list_url }} {{ recipient.name }}"
        '{{ registry.title|defang }} {{ gift.message|defang_text|linebreaksbr }} {{ "title" }}'
    )
    assert lint_untrusted(source) == []
    assert lint_untrusted("{{ registry.title|defang }} and {{ waiting }}", subject=True) == []
