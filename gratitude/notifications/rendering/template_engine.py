r"""The mail template engine: Jinja2, as Zulip's emails use, through Django's own Jinja2 backend (the "mail"
engine in config/settings.py TEMPLATES); web pages stay Django templates.

Why: every message renders four templates on the send path (subject, text, footer, HTML). Django's engine
took about 0.31 ms a gift alert for them; Jinja2 compiles templates to Python and renders the same bytes in
about 0.15 ms, half of which is Django's date formatting (docs/notifications.md, "Templates are Jinja2").

What `environment` fixes, whatever the settings say:
- autoescape by extension: on for .html (and anything else), off for .txt, so the text templates need no
  `{% autoescape off %}` wrapper;
- a missing variable, or an attribute of one, renders as "" as in Django (ChainableUndefined, never
  StrictUndefined or the DebugUndefined the backend picks with DEBUG on);
- newlines exactly as written: the template's final newline kept, no trim_blocks / lstrip_blocks;
- only names under notifications/email/ are served, so a page template is never rendered by this engine;
- Django's filters the mail uses, with Django's meaning: `date` (in the active time zone, as Django's `date`
  filter converts), `utc` (Django's tz `utc`), `pluralize` (with "is,are" style arguments), `linebreaksbr`
  (escapes, then <br>) and `length` (0 for what has none). In Jinja2 syntax they take their argument in
  parentheses: `{{ gift.created_at|date("j F Y") }}`; a backslash in the format is written twice
  (`"H:i \\a\\t"`), since Jinja2 string literals read escapes;
- `defang` and `defang_text` for every word typed by someone other than the reader (a giver's name and
  message, a registry's title, a registrant's name): nothing in them a mail client would link
  (core/untrusted_text.py, docs/safety.md promise 16). `defang` also keeps the value on one line (names,
  titles, anything a Subject may hold); `defang_text` keeps its line breaks (messages, addresses). The copy
  lint (rendering/copy_lint.py) fails a template that prints such a field without one of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

import jinja2
from django.template import TemplateDoesNotExist, engines
from django.template.backends.jinja2 import Jinja2
from django.template.defaultfilters import date as django_date
from django.template.defaultfilters import length as django_length
from django.template.defaultfilters import pluralize as django_pluralize
from django.templatetags.tz import utc as django_utc
from django.utils.html import escape
from django.utils.text import normalize_newlines
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in django-stubs
from django.utils.translation import get_language
from markupsafe import Markup

from gratitude.core.untrusted_text import defang, single_line

ENGINE = "mail"
# Every mail template lives under this folder (test-only ones too, GRATITUDE_TEST_TEMPLATES).
PREFIX = "notifications/email/"


class MailLoader(jinja2.BaseLoader):
    """The backend's loader, limited to mail templates."""

    def __init__(self, loader: jinja2.BaseLoader) -> None:
        self.loader = loader

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if not template.startswith(PREFIX):
            raise jinja2.TemplateNotFound(template)
        return self.loader.get_source(environment, template)

    def list_templates(self) -> list[str]:
        return [name for name in self.loader.list_templates() if name.startswith(PREFIX)]


# Django's date format characters that read only the calendar day (not the time, not the zone's name).
_DAY_ONLY = frozenset("dDjlNSwzWFmMnbyYLtEo")


def _date(value: Any, arg: str | None = None) -> str:
    if isinstance(value, jinja2.Undefined):
        return ""
    # What Django's engine does before any filter marked expects_localtime (the `date` filter is).
    local = template_localtime(value)
    if arg and isinstance(local, datetime.date) and _reads_only_the_day(arg):
        # Most mail says only the day ("on 14 March 2031"), and Django's formatting of it cost more than
        # the rest of a template: the same day, format and language give the same words.
        day = local.date() if isinstance(local, datetime.datetime) else local
        return _day_in_words(day, arg, get_language())
    return str(django_date(local, arg))


@lru_cache(maxsize=64)
def _reads_only_the_day(arg: str) -> bool:
    escaped = False
    for char in arg:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char.isalpha() and char not in _DAY_ONLY:
            return False
    return True


@lru_cache(maxsize=1024)
def _day_in_words(day: datetime.date, arg: str, language: str | None) -> str:
    return str(django_date(day, arg))


def _utc(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        return ""
    return django_utc(value)


def _pluralize(value: Any, arg: str = "s") -> str:
    if isinstance(value, jinja2.Undefined):
        value = ""
    return str(django_pluralize(value, arg))


@jinja2.pass_eval_context
def _linebreaksbr(eval_ctx: jinja2.nodes.EvalContext, value: Any) -> Markup:
    """Django's `linebreaksbr`: every line break a <br>, the text escaped first where autoescape is on."""
    text = "" if isinstance(value, jinja2.Undefined) else value
    autoescape = eval_ctx.autoescape and not hasattr(text, "__html__")
    text = normalize_newlines(str(text))
    if autoescape:
        text = escape(text)
    # Safe: escaped just above wherever autoescape is on (where it is off, nothing is escaped anyway).
    return Markup(text.replace("\n", "<br>"))  # noqa: S704


def _length(value: Any) -> int:
    return 0 if isinstance(value, jinja2.Undefined) else int(django_length(value))


def _defang(value: Any) -> str:
    """Typed by someone other than the reader, for one line: inert, and never more than one line."""
    if isinstance(value, jinja2.Undefined) or value is None:
        return ""
    return _defanged(str(value), one_line=True)


def _defang_text(value: Any) -> str:
    """Typed by someone other than the reader, over several lines: inert, its line breaks kept."""
    if isinstance(value, jinja2.Undefined) or value is None:
        return ""
    return _defanged(str(value), one_line=False)


@lru_cache(maxsize=256)
def _defanged(text: str, *, one_line: bool) -> str:
    # A message prints the same words several times (the registry's title in the Subject, the text, the
    # HTML and the why line), and each defang normalises the text and runs the link finder over it: a
    # tenth of a render. The answer depends on the text alone; bounded, so a long run holds at most 256.
    defanged = defang(text)
    return single_line(defanged) if one_line else defanged


FILTERS: dict[str, Callable[..., Any]] = {
    "defang": _defang,
    "defang_text": _defang_text,
    "date": _date,
    "utc": _utc,
    "pluralize": _pluralize,
    "linebreaksbr": _linebreaksbr,
    "length": _length,
}


def environment(**options: Any) -> jinja2.Environment:
    """The engine's Jinja2 environment (TEMPLATES OPTIONS "environment"); see the module's docstring."""
    loader = options.pop("loader")
    for fixed in ("autoescape", "undefined", "keep_trailing_newline", "trim_blocks", "lstrip_blocks"):
        options.pop(fixed, None)
    env = jinja2.Environment(
        loader=MailLoader(loader),
        # Only the text parts go unescaped; a string template or any other file is escaped.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default_for_string=True, default=True
        ),
        undefined=jinja2.ChainableUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
        **options,
    )
    env.filters.update(FILTERS)
    return env


def mail_engine() -> Jinja2:
    # Looked up each time: a test that overrides TEMPLATES gets a fresh engine.
    return cast(Jinja2, engines[ENGINE])


def render_mail(name: str, context: dict[str, Any]) -> str:
    """One mail template (`notifications/email/...`) rendered with `context`. A missing template raises
    Django's TemplateDoesNotExist, a broken one Django's TemplateSyntaxError (the backend translates)."""
    return mail_engine().get_template(name).render(context)


def template_source(name: str) -> str:
    """A mail template's source as deployed (campaign approvals are bound to it: operations/campaigns/)."""
    env = mail_engine().env
    assert env.loader is not None
    try:
        return env.loader.get_source(env, name)[0]
    except jinja2.TemplateNotFound as exc:
        raise TemplateDoesNotExist(name, backend=mail_engine()) from exc
