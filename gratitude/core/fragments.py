"""The "fragments" template engine: Jinja2 macros for the long, repeated parts of web pages (a registry's
item rows, the console's per-minute charts), which Django's template engine would render too slowly.

Why: a share page with 500 items must answer in well under 50 ms (docs/benchmarks.md); at that size Django's
per-variable lookups alone would spend the budget. Jinja2 compiles a template to Python, so the markup lives
in a template (`<app>/jinja2/<app>/*.html`) at about the cost of the f-strings it replaces. The page around
the fragment stays a Django template, which prints the fragment as it is (it is already escaped).

What `environment` fixes, whatever the settings say:
- autoescape always on, and every printed value escaped as Django escapes it (`&#x27;`, `&quot;`), so a
  fragment's bytes are those a Django template would write;
- a missing variable is an error (StrictUndefined): a fragment receives exactly the rows it prints;
- trim_blocks and lstrip_blocks, so block tags on their own lines leave no blank lines.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, cast

import jinja2
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from markupsafe import Markup

ENGINE = "fragments"


def _escape_as_django(value: Any) -> Any:
    """Runs on every printed value before Jinja2's own escaping. markupsafe writes a quote as `&#39;` or
    `&#34;` where Django writes `&#x27;` or `&quot;`, and it agrees on `&`, `<` and `>`: so a text with a
    quote in it is escaped here, as Django does (the standard library's html.escape), and Jinja2 then leaves
    it alone; any other text goes to markupsafe's faster escape unchanged."""
    if type(value) is str:
        if "'" in value or '"' in value:
            # Safe: escaped on this line.
            return Markup(html.escape(value, quote=True))  # noqa: S704
        return value
    if isinstance(value, int | float) or hasattr(value, "__html__"):
        return value
    return _escape_as_django(str(value))


def environment(**options: Any) -> jinja2.Environment:
    """The engine's Jinja2 environment (TEMPLATES OPTIONS "environment"); see the module's docstring."""
    for fixed in ("autoescape", "undefined", "finalize", "trim_blocks", "lstrip_blocks"):
        options.pop(fixed, None)
    return jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_escape_as_django,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )


def macro(template_name: str, name: str) -> Callable[..., Markup]:
    """The macro `name` of the fragment template `template_name`. Looked up each time (the environment caches
    the compiled template), so a test that overrides TEMPLATES gets a fresh engine."""
    engine = cast(Jinja2, engines[ENGINE])
    return cast(Callable[..., Markup], getattr(engine.env.get_template(template_name).module, name))
