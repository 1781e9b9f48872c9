"""The mail template engine (rendering/template_engine.py): Jinja2 for mail only, escaping the HTML part and
nothing else, and Django's filters with Django's meaning, so the messages read exactly as they did under
Django's engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template import TemplateDoesNotExist, engines
from django.utils import timezone

from gratitude.gifts.models import Gift
from gratitude.notifications.devtools.samples import sample_rows
from gratitude.notifications.rendering.messages import render
from gratitude.notifications.rendering.template_engine import PREFIX, mail_engine, template_source

SCRIPT = "<script>alert(1)</script>"
MAIL_ROOT = Path(settings.BASE_DIR) / "gratitude" / "notifications" / "templates"


def _mail_template_names() -> list[str]:
    return sorted(
        path.relative_to(MAIL_ROOT).as_posix() for path in (MAIL_ROOT / PREFIX).rglob("*") if path.is_file()
    )


def test_every_mail_template_compiles_in_the_mail_engine():
    names = _mail_template_names()
    assert "notifications/email/gift_alert/body.html" in names
    assert "notifications/email/footer.txt" in names
    for name in names:
        assert mail_engine().get_template(name) is not None, name
        assert "autoescape" not in template_source(name), f"{name}: the engine escapes by extension"


def test_the_mail_engine_serves_mail_templates_only():
    # A page template next door is Django's: this engine never renders it.
    with pytest.raises(TemplateDoesNotExist):
        mail_engine().get_template("notifications/mail/centre.html")
    with pytest.raises(TemplateDoesNotExist):
        template_source("notifications/mail/centre.html")
    assert all(name.startswith(PREFIX) for name in mail_engine().env.list_templates())


@pytest.mark.django_db
def test_html_is_escaped_and_text_is_as_typed():
    """What a giver typed reaches the HTML part escaped (no markup of theirs runs in a mail client), the text
    part as typed (it has no link to defang), and never the subject (docs/safety.md promise 16)."""
    with sample_rows("gift_alert") as (declared, rows):
        assert rows[0].gift_id is not None
        Gift.objects.filter(pk=rows[0].gift_id).update(
            giver_name=SCRIPT, message=f"Line one {SCRIPT}\n<b>& line two</b>"
        )
        rows[0].refresh_from_db()
        rendered = render(rows, declared)

    assert rendered.subject == "A gift from “Alex & Sam's wedding”"
    assert f"{SCRIPT} gave 1 ×" in rendered.text
    assert f"Line one {SCRIPT}\n<b>& line two</b>" in rendered.text
    assert "<script" not in rendered.html and "<b>&" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; gave 1 ×" in rendered.html
    # linebreaksbr: escaped first, then each line break a <br>.
    assert "Line one &lt;script&gt;alert(1)&lt;/script&gt;<br>&lt;b&gt;&amp; line two&lt;/b&gt;" in (
        rendered.html
    )


@pytest.mark.django_db
def test_a_forwarded_name_is_escaped_in_html_only():
    with sample_rows("email_verify") as (declared, rows):
        rendered = render(rows, declared, forwarded_to=SCRIPT)

    assert rendered.text.startswith(f"Sent to you, {SCRIPT}, on behalf of")
    assert "Sent to you, &lt;script&gt;alert(1)&lt;/script&gt;, on behalf of" in rendered.html


def test_autoescape_follows_the_extension():
    env = mail_engine().env
    assert env.autoescape("notifications/email/x/body.html") is True
    assert env.autoescape("notifications/email/x/body.txt") is False
    assert env.autoescape(None) is True


def _both(django_source: str, jinja_source: str, context: dict[str, Any]) -> tuple[str, str]:
    """The same template in Django's engine (as the mail was) and the mail engine (as it is)."""
    return (
        engines["django"].from_string("{% load tz %}" + django_source).render(context),
        mail_engine().from_string(jinja_source).render(context),
    )


# Just before midnight UTC: a day earlier in Los Angeles, a day later in Tokyo.
LATE = dt.datetime(2030, 3, 14, 23, 45, tzinfo=dt.UTC)


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Tokyo"])
@pytest.mark.parametrize(
    ("django_source", "jinja_source"),
    [
        ('{{ when|date:"j F Y" }}', '{{ when|date("j F Y") }}'),
        ('{{ when|date:"j F Y, H:i e" }}', '{{ when|date("j F Y, H:i e") }}'),
        ('{{ when|utc|date:"j F Y \\a\\t H:i" }}', '{{ when|utc|date("j F Y \\\\a\\\\t H:i") }}'),
        ('{{ day|date:"j F Y" }}', '{{ day|date("j F Y") }}'),
        (
            '[{{ nothing|date:"j F Y" }}][{{ missing|date:"j F Y" }}]',
            '[{{ nothing|date("j F Y") }}][{{ missing|date("j F Y") }}]',
        ),
        ('[{{ missing|utc|date:"j F Y" }}]', '[{{ missing|utc|date("j F Y") }}]'),
    ],
)
def test_date_is_djangos_in_the_active_time_zone(zone, django_source, jinja_source):
    context = {"when": LATE, "day": dt.date(2031, 6, 14), "nothing": None}
    with timezone.override(zone):
        django_output, jinja_output = _both(django_source, jinja_source, context)

    assert jinja_output == django_output


def test_date_converts_to_the_active_time_zone():
    with timezone.override("America/Los_Angeles"):
        assert render_jinja('{{ when|date("j F Y H:i") }}', when=LATE) == "14 March 2030 16:45"
        assert render_jinja('{{ when|utc|date("j F Y H:i") }}', when=LATE) == "14 March 2030 23:45"
    with timezone.override("Asia/Tokyo"):
        assert render_jinja('{{ when|date("j F Y H:i") }}', when=LATE) == "15 March 2030 08:45"


def render_jinja(source: str, **context: object) -> str:
    return mail_engine().from_string(source).render(context)


@pytest.mark.parametrize("value", [0, 1, 2, 1.0, "1", "3", [], ["a"], ["a", "b"], None, "x"])
def test_pluralize_is_djangos(value):
    django_output, jinja_output = _both(
        '{{ n|pluralize }}|{{ n|pluralize:"is,are" }}|{{ n|pluralize:"person,people" }}|'
        '{{ n|pluralize:"es" }}|{{ n|pluralize:"a,b,c" }}',
        '{{ n|pluralize }}|{{ n|pluralize("is,are") }}|{{ n|pluralize("person,people") }}|'
        '{{ n|pluralize("es") }}|{{ n|pluralize("a,b,c") }}',
        {"n": value},
    )
    assert jinja_output == django_output


def test_pluralize_says_what_the_reminder_says():
    assert render_jinja('{{ n }} gift{{ n|pluralize }} {{ n|pluralize("is,are") }}', n=1) == "1 gift is"
    assert render_jinja('{{ n }} {{ n|pluralize("person,people") }}', n=3) == "3 people"
    assert render_jinja("[{{ missing|pluralize }}]") == "[]"


@pytest.mark.parametrize(
    "value",
    ["plain", "one\ntwo", "one\r\ntwo\rthree", "<b>bold</b> & \"quoted\" 'single'\nnext", "", None],
)
def test_linebreaksbr_is_djangos(value):
    django_output, jinja_output = _both(
        "{{ v|linebreaksbr }}|{% autoescape off %}{{ v|linebreaksbr }}{% endautoescape %}",
        "{{ v|linebreaksbr }}|{% autoescape false %}{{ v|linebreaksbr }}{% endautoescape %}",
        {"v": value},
    )
    assert jinja_output == django_output


def test_linebreaksbr_escapes_before_it_breaks():
    assert render_jinja("{{ v|linebreaksbr }}", v="<i>a</i>\nb") == "&lt;i&gt;a&lt;/i&gt;<br>b"


@pytest.mark.parametrize("value", [[], [1], [1, 2, 3], "abc", None, 5])
def test_length_is_djangos(value):
    django_output, jinja_output = _both(
        "{{ v|length }}{% if v|length > 1 %} many{% endif %}",
        "{{ v|length }}{% if v|length > 1 %} many{% endif %}",
        {"v": value},
    )
    assert jinja_output == django_output


def test_a_missing_variable_renders_empty_as_in_django():
    django_output, jinja_output = _both(
        "[{{ missing }}][{{ missing.attr.deeper }}][{{ obj.nope }}][{{ missing|length }}]"
        "{% if missing.attr %}yes{% endif %}",
        "[{{ missing }}][{{ missing.attr.deeper }}][{{ obj.nope }}][{{ missing|length }}]"
        "{% if missing.attr %}yes{% endif %}",
        {"obj": object()},
    )
    assert jinja_output == django_output == "[][][][0]"


@pytest.mark.parametrize(
    ("fmt", "reads_only_the_day"),
    [
        ("j F Y", True),
        ("D, j M y", True),
        ("j F Y, H:i e", False),
        (r"j F Y \a\t", True),
        ("jS F", True),
        ("j F Y P", False),
        ("c", False),
        ("U", False),
    ],
)
def test_only_formats_that_read_the_day_alone_are_remembered_by_day(fmt, reads_only_the_day):
    """Two moments of one day: a format that reads only the day says the same for both, and is answered
    from memory; any other format is Django's own each time (a wrong guess here would reuse one time)."""
    from gratitude.notifications.rendering import template_engine

    morning, evening = LATE.replace(hour=1, minute=5), LATE.replace(hour=22, minute=10)
    assert template_engine._reads_only_the_day(fmt) is reads_only_the_day
    with timezone.override("UTC"):
        for moment in (morning, evening):
            django_output, jinja_output = _both(
                "{{ when|date:fmt }}", "{{ when|date(fmt) }}", {"when": moment, "fmt": fmt}
            )
            assert jinja_output == django_output
