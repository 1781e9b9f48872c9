"""The "fragments" template engine: Jinja2 macros for the long, repeated parts of web pages (a registry's
item rows, the console's per-minute charts), which Django's template engine would render too slowly.

Why: a share page with 500 items must answer in well under 50 ms (docs/benchmarks.md); at that size Django's
per-variable lookups alone would spend the budget. Jinja2 compiles a template to Python, so the markup lives
in a template (`<app>/jinja2/<app>/*.html`) at about the cost of the f-strings it replaces. The page around
the fragment stays a Django template, which prints the fragment as it is (it is already escaped).

What `environment` fixes, whatever the settings say:
- autoescape always on; `macro` and `render` then write quotes as Django does (`&#x27;`, `&quot;`), so a
  fragment's bytes are those a Django template would write (render fragments through them, not the engine);
- a missing variable is an error (StrictUndefined): a fragment receives exactly the rows it prints;
- trim_blocks and lstrip_blocks, so block tags on their own lines leave no blank lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import jinja2
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.utils.safestring import SafeString

ENGINE = "fragments"


def as_django_escaped(html: str) -> SafeString:
    """A rendered fragment, with every quote escaped as Django writes it. markupsafe writes a quote as `&#39;`
    or `&#34;` where Django writes `&#x27;` or `&quot;`, and agrees on `&`, `<` and `>`. An escaped value's
    own `&` became `&amp;`, so every `&#39;` or `&#34;` left in the output is an escaped quote: two replaces
    on the whole row cost less than a finalize on each value."""
    # str() first: Markup's own replace() would escape the replacement.
    return SafeString(str.replace(str.replace(html, "&#39;", "&#x27;"), "&#34;", "&quot;"))


def environment(**options: Any) -> jinja2.Environment:
    """The engine's Jinja2 environment (TEMPLATES OPTIONS "environment"); see the module's docstring."""
    for fixed in ("autoescape", "undefined", "trim_blocks", "lstrip_blocks"):
        options.pop(fixed, None)
    return jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )


def _engine() -> Jinja2:
    # Looked up each time (the environment caches compiled templates): a test that overrides TEMPLATES gets
    # a fresh engine.
    return cast(Jinja2, engines[ENGINE])


def macro(template_name: str, name: str) -> Callable[..., SafeString]:
    """The macro `name` of the fragment template `template_name`, returning Django-escaped HTML."""
    jinja_macro = getattr(_engine().env.get_template(template_name).module, name)
    return lambda *args: as_django_escaped(jinja_macro(*args))


def render(template_name: str, context: dict[str, Any]) -> SafeString:
    """The fragment template `template_name` rendered with `context`, Django-escaped."""
    return as_django_escaped(_engine().get_template(template_name).render(context))
