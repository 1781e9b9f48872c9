"""The copy lint (docs/safety.md promise 10): no template asserts a life event that nobody declared.

"Congratulations on your new arrival" sent to someone who never said they were expecting is the 2017 email
all over again. `PHRASES` lists wording that asserts a life event; each names the registry occasions that
make it true. A template may use such a phrase only inside a block gated on the registrant's own declared
occasion. The gate convention, the only form the lint accepts:

    {% if registry.occasion == "baby" %}...the new arrival...{% endif %}

- the condition compares `<anything>.registry.occasion` or `registry.occasion` with `==` to one quoted slug
  from `registries.models.Occasion`; it may be one of several conditions joined by `and` (all must hold),
  never by `or` (then the phrase could show without the occasion);
- only the branch right after that `if` (or an `elif` with such a condition) is gated, never an `{% else %}`;
- a phrase whose occasions are empty (calendar occasions no registry declares, words of condolence) is never
  allowed: nobody's registry declares a loss or Mother's Day.

`lint_template` checks one template's source; `project_templates` lists every template the site renders,
mail and pages (the test-only bait templates excepted); gratitude/notifications/tests/test_copy_lint.py runs
the lint over all of them. See docs/notifications.md, "Copy that declares nothing".

Mail templates are Jinja2 (notifications/rendering/template_engine.py), pages are Django's. One reader serves
both: Django's lexer splits either into text, `{{ }}`, `{% %}` and one-line `{# #}` the same way, and the gate
is written alike in both. Jinja2's whitespace markers (`{%- if ... -%}`) are read past; a Jinja2 comment over
several lines is read as text, so its words are checked too (stricter, never looser).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType

from gratitude.core.occasions import Occasion


@dataclass(frozen=True)
class Phrase:
    text: str
    # The registry occasions under whose gate the phrase is true; empty: never allowed in a template.
    occasions: frozenset[str]


def _phrases(occasions: tuple[str, ...], *texts: str) -> tuple[Phrase, ...]:
    return tuple(Phrase(text, frozenset(occasions)) for text in texts)


_BABY = (Occasion.BABY.value,)
_WEDDING = (Occasion.WEDDING.value,)
_BIRTHDAY = (Occasion.BIRTHDAY.value,)
_HOUSEWARMING = (Occasion.HOUSEWARMING.value,)
_GRADUATION = (Occasion.GRADUATION.value,)
_NEVER: tuple[str, ...] = ()

PHRASES: tuple[Phrase, ...] = (
    *_phrases(
        _BABY,
        "new arrival",
        "congratulations on your baby",
        "your baby",
        "new baby",
        "your little one",
        "little one",
        "baby on the way",
        "baby is on the way",
        "expecting a baby",
        "you're expecting",
        "you are expecting",
        "mom-to-be",
        "mum-to-be",
        "mother-to-be",
        "dad-to-be",
        "father-to-be",
        "parents-to-be",
        "due date",
        "your pregnancy",
        "newborn",
        "bundle of joy",
        "baby shower",
    ),
    *_phrases(
        _WEDDING,
        "you're getting married",
        "you are getting married",
        "bride-to-be",
        "groom-to-be",
        "wife-to-be",
        "husband-to-be",
        "your wedding",
        "your big day",
        "your engagement",
        "your fiancé",
        "your fiancée",
        "newlyweds",
        "newlywed",
        "happy couple",
        "just married",
    ),
    *_phrases(_BIRTHDAY, "happy birthday", "your birthday", "many happy returns"),
    *_phrases(_HOUSEWARMING, "your new home", "your new house", "your new place"),
    *_phrases(
        _GRADUATION,
        "your graduation",
        "congratulations on graduating",
        "congratulations, graduate",
        "you graduated",
        "you're graduating",
    ),
    # Calendar occasions: no registry declares them, so no template may assume them of anyone.
    *_phrases(
        _NEVER,
        "happy mother's day",
        "happy father's day",
        "happy valentine's day",
        "happy holidays",
        "merry christmas",
    ),
    # A loss nobody told us of: no condolence words, ever (quiet mode: no "we're sorry for your loss" mail).
    *_phrases(
        _NEVER,
        "sorry for your loss",
        "condolences",
        "this difficult time",
        "thoughts are with you",
    ),
)


def _pattern(text: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(word) for word in text.split())
    return re.compile(rf"(?<![\w-]){words}(?![\w-])")


_PATTERNS = tuple((phrase, _pattern(phrase.text)) for phrase in PHRASES)

_GATE = re.compile(r"""^(?:\w+\.)*registry\.occasion\s*==\s*(["'])(?P<slug>\w+)\1$""")
_QUOTED = re.compile(r""""([^"]*)"|'([^']*)'""")
_TAG = re.compile(r"<[^>]*>")


def gate_of(condition: str) -> str | None:
    """The occasion an `{% if %}` / `{% elif %}` condition gates on, or None if it is not a gate."""
    if re.search(r"\bor\b", condition):
        return None
    for part in re.split(r"\band\b", condition):
        match = _GATE.match(part.strip())
        if match is not None and match["slug"] in Occasion.values:
            return match["slug"]
    return None


def normalise(text: str) -> str:
    """What a reader sees, for matching: entities decoded, tags dropped, quotes straight, lower case. Line
    breaks are kept where they were, so a finding can name its line."""
    text = _TAG.sub(lambda tag: " " + "\n" * tag.group(0).count("\n"), html.unescape(text))
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').lower()


@dataclass(frozen=True)
class Match:
    phrase: Phrase
    # Line breaks in the text before the match.
    line_offset: int


def phrases_in(text: str) -> list[Match]:
    """Every phrase in `text`, the longest only where phrases overlap ("your little one", not also "little
    one"), in the order they appear."""
    seen = normalise(text)
    spans = sorted(
        (
            (found.start(), -found.end(), phrase)
            for phrase, pattern in _PATTERNS
            for found in pattern.finditer(seen)
        ),
        key=lambda span: (span[0], span[1]),
    )
    matches: list[Match] = []
    covered_to = -1
    for start, negative_end, phrase in spans:
        if -negative_end <= covered_to:
            continue  # inside a longer phrase already reported
        covered_to = -negative_end
        matches.append(Match(phrase, seen.count("\n", 0, start)))
    return matches


@dataclass(frozen=True)
class Finding:
    origin: str
    line: int
    phrase: str
    occasions: frozenset[str]

    def __str__(self) -> str:
        if self.occasions:
            needs = " or ".join(f'{{% if registry.occasion == "{o}" %}}' for o in sorted(self.occasions))
            return f"{self.origin}:{self.line}: {self.phrase!r} outside {needs}"
        return f"{self.origin}:{self.line}: {self.phrase!r} asserts what nobody declares; never allowed"


@dataclass
class _Branch:
    tag: str
    gate: str | None


def lint_template(source: str, origin: str = "<template>") -> list[Finding]:
    """Every phrase in `source` that sits outside a gate on an occasion that makes it true."""
    findings: list[Finding] = []
    stack: list[_Branch] = []
    in_comment = False
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.COMMENT:
            continue
        literal_text = token.contents
        if token.token_type == TokenType.BLOCK:
            # Jinja2's whitespace control: `{%- endif -%}` is the tag `endif`.
            tag, _, rest = token.contents.strip("-+").strip().partition(" ")
            rest = rest.strip()
            if in_comment:
                in_comment = tag != "endcomment"
                continue
            if tag == "comment":
                in_comment = True
                continue
            if tag in {"if", "ifchanged"}:
                stack.append(_Branch(tag, gate_of(rest) if tag == "if" else None))
            elif tag == "elif" and stack:
                stack[-1].gate = gate_of(rest)
            elif tag == "else" and stack:
                stack[-1].gate = None
            elif tag in {"endif", "endifchanged"} and stack:
                stack.pop()
        if in_comment:
            continue
        if token.token_type in (TokenType.BLOCK, TokenType.VAR):
            # Words can hide in a tag's or a filter's string arguments: {{ x|default:"your little one" }}.
            literal_text = " ".join(a or b for a, b in _QUOTED.findall(token.contents))
        gates = {branch.gate for branch in stack if branch.gate is not None}
        for match in phrases_in(literal_text):
            if not match.phrase.occasions & gates:
                line = (token.lineno or 0) + match.line_offset
                findings.append(Finding(origin, line, match.phrase.text, match.phrase.occasions))
    return findings


def project_templates() -> list[Path]:
    """Every template file the site renders, mail and pages: the project's template folder and each app's
    `templates/` (the test-only bait templates live under tests/ and are never rendered in production)."""
    root = Path(settings.BASE_DIR) / "gratitude"
    folders = [root / "templates", *sorted(root.glob("*/templates"))]
    return sorted(path for folder in folders for path in folder.rglob("*") if path.is_file())


def lint_files(paths: list[Path]) -> list[Finding]:
    base = Path(settings.BASE_DIR)
    findings: list[Finding] = []
    for path in paths:
        origin = str(path.relative_to(base)) if path.is_relative_to(base) else str(path)
        findings += lint_template(path.read_text(encoding="utf-8"), origin)
    return findings


# --- Words typed by others (docs/safety.md promise 16) -------------------------------------------

# Fields that hold words typed by someone other than the reader of a message: a giver's name, message and
# address, a hand-typed description, titles (a registry's, an item's: a registrant's or a store page's
# words), a welcome note, and the names of other people. A mail template prints them only through the
# `defang` / `defang_text` filters (rendering/template_engine.py), and a Subject holds none but the registry's
# title.
UNTRUSTED_FIELDS = frozenset(
    {
        "giver_name",
        "giver_address",
        "message",
        "description",
        "title",
        "welcome_note",
        "display_name",
        "inviter_name",
        "registrant_name",
        "person_name",
        "name",
    }
)
DEFANG_FILTERS = frozenset({"defang", "defang_text"})
# The one typed field a Subject may hold: the registry's title, defanged.
SUBJECT_FIELDS = frozenset({"registry.title"})
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*")


@dataclass(frozen=True)
class UntrustedFinding:
    origin: str
    line: int
    expression: str
    problem: str

    def __str__(self) -> str:
        return f"{self.origin}:{self.line}: {{{{ {self.expression} }}}} {self.problem}"


def _fields(expression: str) -> list[str]:
    """The dotted names an expression reads, with indexes dropped (`gifts[0].giver_name` reads
    `gifts.giver_name`), leaving string literals out."""
    bare = _QUOTED.sub(" ", expression)
    return [re.sub(r"\[\d+\]", "", found) for found in _IDENTIFIER.findall(bare)]


def _untrusted(field: str) -> bool:
    # The reader's own account (`recipient.name`): a display name is only ever the one its owner chose
    # (accounts never keep a name someone else typed), so it is the reader's own words.
    return field.rpartition(".")[2] in UNTRUSTED_FIELDS and not field.startswith("recipient.")


def lint_untrusted(
    source: str, origin: str = "<template>", *, subject: bool = False
) -> list[UntrustedFinding]:
    """Every `{{ }}` in a mail template that prints a typed field without `defang` / `defang_text` as its
    first filter; in a Subject (`subject=True`), also every typed field but the registry's title."""
    findings: list[UntrustedFinding] = []
    for token in Lexer(source).tokenize():
        if token.token_type != TokenType.VAR:
            continue
        expression = token.contents.strip("-+").strip()
        value, *filters = (part.strip() for part in expression.split("|"))
        # A filter's arguments are printed undefanged whatever comes first: {{ "%s"|format(gift.message) }}.
        in_arguments = [
            field for part in filters for field in _fields(part.partition("(")[2]) if _untrusted(field)
        ]
        untrusted = [field for field in _fields(value) if _untrusted(field)] + in_arguments
        if not untrusted:
            continue
        first_filter = filters[0].partition("(")[0].strip() if filters else ""
        line = token.lineno or 0
        if in_arguments or first_filter not in DEFANG_FILTERS:
            findings.append(UntrustedFinding(origin, line, expression, "prints typed words without |defang"))
        if subject and any(field not in SUBJECT_FIELDS for field in untrusted):
            findings.append(
                UntrustedFinding(
                    origin, line, expression, "puts typed words in a Subject (only registry.title)"
                )
            )
    return findings


def mail_templates() -> list[Path]:
    """Every mail template (notifications/email/), where the typed-words rule applies."""
    return [path for path in project_templates() if "notifications/email/" in path.as_posix()]


def lint_untrusted_files(paths: list[Path]) -> list[UntrustedFinding]:
    base = Path(settings.BASE_DIR)
    findings: list[UntrustedFinding] = []
    for path in paths:
        origin = str(path.relative_to(base)) if path.is_relative_to(base) else str(path)
        source = path.read_text(encoding="utf-8")
        findings += lint_untrusted(source, origin, subject=path.name == "subject.txt")
    return findings
