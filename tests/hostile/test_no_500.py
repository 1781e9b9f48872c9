"""Hostile input never gets a 500: every URL pattern of the site, walked as a guest, a registrant and an
operator, with hostile path values and every form field it shows (or accepts) filled with hostile values:
huge and negative numbers, far dates, NUL, invalid UTF-8, very long text. After each URL's walk, the
registry's own pages and its share page still open, so nothing stored by the walk broke them.

Runs on SQLite and, in the PostgreSQL pass of scripts/run-tests.sh, on PostgreSQL (integer overflows differ:
SQLite fails past 2^63, PostgreSQL past 2^31 for an integer column).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gratitude.gifts.services import gift_record, reservation_create
from gratitude.registries.models import MemberRole
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
NUMBERS = [HUGE, str(2**63), str(2**31), str(2**63 - 1), "-1", "-" + HUGE, "0", "1e1000", "NaN", "²"]
DATES = ["9999-12-31", "9999-12", "0001-01-01", "10000-01-01", "2031-02-30"]
TEXT = ["a\x00b", "x" * 20_000, "\u202e\ufeffé", "<script>x</script>", "'\"; --", "e:x@example.test"]
HOSTILE_VALUES = NUMBERS + DATES + TEXT
# One field at a time (the others as the page filled them): the values that reach a different code path.
# 2^62 twice: two rows of it sum past 2^63, which SQLite cannot add up (a page showing the sum breaks).
PER_FIELD = [HUGE, str(2**63), str(2**62), str(2**62), str(2**31), "-1", "1e1000", "9999-12-31", "0001-01-01"]
PER_FIELD += ["a\x00b", "x" * 20_000]
# Path segments: numbers past what an id holds, and strings with NUL, invalid UTF-8 and lengths no link has.
HOSTILE_INTS = [HUGE, "0", str(2**63)]
HOSTILE_STRS = ["%00", "%FF%FE", "x" * 3000, "..%2F..", "%3Cb%3E"]
# Posted as raw bytes: not UTF-8 at all.
RAW_BODIES = [b"title=%FF%FE&quantity=%FF&name=%C0%AF", b"\xff\xfe\x00garbage"]
# For views that only accept POST (no form of their own to read): the names forms use across the site.
COMMON_FIELDS = [
    "action", "quantity", "amount", "gift", "giver", "note", "reason", "email", "name", "title", "message",
    "giver_name", "giver_email", "event_date", "reveal_on", "month", "direction", "batch", "category", "role",
    "alerts", "address", "status", "received", "query", "back_to_gift", "fingerprint", "kind", "since",
    "until", "password", "username", "token", "occasion", "price", "currency", "url", "days",
]  # fmt: skip


@dataclass
class World:
    """Everything the walk needs real values of: a registry with its members, items, a gift and a hold."""

    owner: Any
    staff: Any
    values: dict[str, list[str]] = field(default_factory=dict)
    registry_id: int = 0
    share_key: str = ""


def _world() -> World:
    owner = make_user(display_name="Alex Rivera", password="walker-passphrase-41")
    staff = make_user(display_name="Olive Operator")
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    registry = make_registry(owner=owner, title="Alex & Sam", visibility="public")
    co = make_user(display_name="Sam Lee")
    member = registry_member_add(registry=registry, user=co, role=MemberRole.CO_REGISTRANT)
    plain = make_item(registry=registry, title="Teapot", quantity=3)
    group = make_item(registry=registry, title="Stroller", quantity=1, price=Decimal("200"), group_gift=True)
    gift = gift_record(item=plain, giver_name="Robin", giver_email="robin@example.test")
    hold = reservation_create(item=plain, giver_name="Kim")
    world = World(owner=owner, staff=staff, registry_id=registry.pk, share_key=registry.share_key)
    world.values = {
        "registry_id": [str(registry.pk)],
        "item_id": [str(plain.pk), str(group.pk)],
        "gift_id": [str(gift.pk)],
        "member_id": [str(member.pk)],
        "person_id": [str(co.pk)],
        "share_key": [registry.share_key],
        "token": [hold.token],
        "direction": ["up"],
        "kind": ["gift_alert"],
    }
    return world


# --- Which URLs exist ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    parts: tuple[tuple[str, str], ...]  # ("text", "...") or (converter, parameter name)


_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _split(route: str) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    last = 0
    for match in _PARAM.finditer(route):
        parts.append(("text", route[last : match.start()]))
        parts.append((match["conv"] or "str", match["name"]))
        last = match.end()
    parts.append(("text", route[last:]))
    return parts


def _routes(patterns: list[Any], prefix: tuple[tuple[str, str], ...] = (), ns: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if getattr(pattern, "app_name", None) == "admin" or str(pattern.pattern) == "admin/":
                continue  # walked by the admin test below, model by model
            route = str(pattern.pattern)
            inner_ns = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            yield from _routes(pattern.url_patterns, prefix + tuple(_split(route)), inner_ns)
        elif isinstance(pattern, URLPattern):
            yield Route(
                name=f"{ns}{pattern.name or pattern.lookup_str}",
                parts=prefix + tuple(_split(str(pattern.pattern))),
            )


ROUTES = {route.name: route for route in _routes(get_resolver().url_patterns)}


def _paths(route: Route, world: World) -> Iterator[tuple[str, bool]]:
    """(path, is_the_real_one): the path with real values, then with each parameter made hostile."""
    params = [(conv, name) for conv, name in route.parts if conv != "text"]

    def build(chosen: dict[str, str]) -> str:
        return "/" + "".join(value if conv == "text" else chosen[value] for conv, value in route.parts)

    real = {
        name: (world.values.get(name) or ["1" if conv in ("int", "id") else "x"])[0] for conv, name in params
    }
    yield build(real), True
    for conv, name in params:
        for other in world.values.get(name, [])[1:]:
            yield build({**real, name: other}), True
        for hostile in HOSTILE_INTS if conv in ("int", "id") else HOSTILE_STRS:
            yield build({**real, name: hostile}), False


# --- Which forms a page shows -------------------------------------------------------------------------


# What a person would type into an empty field of each kind, so that one hostile field at a time reaches
# the code behind a form that is otherwise valid.
PLAUSIBLE = {
    "email": "robin@example.test",
    "number": "1",
    "date": "2031-06-14",
    "month": "2031-06",
    "url": "https://example.test/teapot",
    "password": "walker-passphrase-41",
    "checkbox": "on",
    "radio": "",
}


class _Forms(HTMLParser):
    """The POST forms of a page: their action (None: the page itself) and field names with their values
    (an empty field gets what a person would type into it; a select its first option)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str | None, dict[str, str]]] = []
        self._current: dict[str, str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        name = attr.get("name") or ""
        if tag == "form" and (attr.get("method") or "get").lower() == "post":
            self._current = {}
            self.forms.append((attr.get("action") or None, self._current))
        elif self._current is None:
            return
        elif tag == "select" and name:
            self._select = name
            self._current.setdefault(name, "")
        elif tag == "option" and self._select and not self._current.get(self._select):
            self._current[self._select] = attr.get("value") or ""
        elif tag in ("input", "textarea") and name:
            kind = (attr.get("type") or "text").lower()
            value = attr.get("value") or ""
            if kind in ("checkbox", "radio") and name in self._current:
                return
            self._current[name] = value or PLAUSIBLE.get(kind, "Robin")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def _forms_of(content: bytes) -> list[tuple[str | None, dict[str, str]]]:
    parser = _Forms()
    parser.feed(content.decode(errors="replace"))
    return parser.forms


QUERY_NAMES = (
    "q",
    "name",
    "month",
    "city",
    "page",
    "given_from",
    "given_to",
    "giver",
    "p",
    "status",
    "kind",
    "since",
)

# Argon2 is slow by design; what is walked here is input handling, not hashing.
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- The walk -----------------------------------------------------------------------------------------


@dataclass
class Walk:
    world: World
    client: Client
    who: str
    failures: list[str] = field(default_factory=list)

    def login(self) -> None:
        self.client.logout()
        if self.who == "registrant":
            self.client.force_login(self.world.owner)
        elif self.who == "operator":
            self.client.force_login(self.world.staff)

    def check(self, method: str, path: str, response: Any, what: str = "") -> None:
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            cause = f"{exc[0].__name__}: {str(exc[1])[:120]}" if exc else ""
            self.failures.append(
                f"{self.who} {method} {path[:120]} {what[:60]!r} -> {response.status_code} {cause}"
            )

    def get(self, path: str, query: dict[str, str] | None = None) -> Any:
        response = self.client.get(path, query or {})
        self.check("GET", path, response, str(query or ""))
        return response

    def post(self, path: str, data: dict[str, str], what: str) -> Any:
        response = self.client.post(path, data)
        self.check("POST", path, response, what)
        return response

    def post_raw(self, path: str, body: bytes) -> None:
        response = self.client.generic("POST", path, body, content_type="application/x-www-form-urlencoded")
        self.check("POST", path, response, "raw bytes")

    def route(self, route: Route, *, fields_one_by_one: bool) -> None:
        for path, real in _paths(route, self.world):
            self.login()
            page = self.get(path)
            self.post_raw(path, RAW_BODIES[0])
            if not real:
                self.post(path, {}, "empty")
                continue
            self.check(
                "GET", path, self.client.get(f"{path}?q=%FF%FE&name=%C0%AF&month=%00"), "invalid UTF-8"
            )
            for value in (HUGE, "9999-12-31", "a\x00b", "x" * 20_000):
                self.get(path, dict.fromkeys(QUERY_NAMES, value))
            self.post_raw(path, RAW_BODIES[1])
            fields = self._fields_for(path, page)
            for value in HOSTILE_VALUES:
                self.post(path, dict.fromkeys(fields, value), f"all={value[:20]}")
            if fields_one_by_one:
                for name in fields:
                    for value in PER_FIELD:
                        self.post(path, {**fields, name: value}, f"{name}={value[:20]}")
            self.login()  # a POST may have ended the session (a left registry, a changed password)

    def _fields_for(self, path: str, page: Any) -> dict[str, str]:
        """The fields of the form that posts to `path`: on its own page, else on the page one or two levels
        up (a POST-only view's form lives on its parent page); else the site's usual field names."""
        pages = [page]
        parent = path
        for _ in range(2):
            parent = parent.rstrip("/").rpartition("/")[0] + "/"
            pages.append(self.client.get(parent))
        for candidate in pages:
            if candidate.status_code != 200 or candidate.streaming:
                continue
            for action, fields in _forms_of(candidate.content):
                target = urlsplit(action).path if action else (path if candidate is page else None)
                if target == path and fields:
                    return {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"}
        return dict.fromkeys(COMMON_FIELDS, "1")

    def still_whole(self) -> None:
        """The walk stored nothing that breaks the registry's pages (an overflowing quantity would)."""
        self.client.force_login(self.world.owner)
        for path in (
            reverse("registries:detail", args=[self.world.registry_id]),
            reverse("thanks:list", args=[self.world.registry_id]),
            reverse("member_gifts:list", args=[self.world.registry_id]),
        ):
            self.check("GET", path, self.client.get(path), "after the walk")
        self.client.logout()
        shared = reverse("gifts:shared_registry", args=[self.world.share_key])
        self.check("GET", shared, self.client.get(shared), "after the walk")


SKIPPED = {
    # Logging out ends the session the walk runs in; it takes no input.
    "accounts:logout",
}


def _params() -> list[Any]:
    params = []
    for name in sorted(ROUTES):
        if name in SKIPPED:
            continue
        params.append(pytest.param(name, id=name))
    return params


@pytest.mark.parametrize("name", _params())
@pytest.mark.parametrize("who", ["guest", "registrant", "operator"])
def test_no_url_answers_500_to_hostile_input(name: str, who: str, settings: Any) -> None:
    """A registrant walks every form field by field; a guest and an operator (staff) walk every URL and
    every form with all fields hostile at once (field by field too for the operator console)."""
    settings.GRATITUDE_DEV_MAILBOX = True  # the dev pages exist in dev: walk them too
    settings.PASSWORD_HASHERS = FAST_HASHER  # every login and sign-up form is posted dozens of times
    world = _world()
    walk = Walk(world=world, client=Client(raise_request_exception=False), who=who)
    one_by_one = who == "registrant" or (who == "operator" and name.startswith("operations:"))
    walk.route(ROUTES[name], fields_one_by_one=one_by_one)
    walk.still_whole()
    assert walk.failures == [], "\n".join(walk.failures[:20])


@pytest.mark.parametrize("model", [f"{m._meta.app_label}.{m._meta.model_name}" for m in admin_site._registry])
def test_no_admin_page_answers_500_to_hostile_input(model: str, settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHER
    world = _world()
    walk = Walk(world=world, client=Client(raise_request_exception=False), who="operator")
    app_label, model_name = model.split(".")
    changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
    walk.login()
    for value in ("", HUGE, "a\x00b", "x" * 5000, "9999-12-31", "-1"):
        walk.get(changelist, {"q": value, "p": value, "o": value, "e": value})
    for object_id in [HUGE, quote("a\x00b"), "x" * 3000, "-1", "1"]:
        change = f"{changelist}{object_id}/change/"
        page = walk.get(change)
        fields = walk._fields_for(change, page)
        for value in HOSTILE_VALUES:
            walk.post(change, dict.fromkeys(fields, value), f"all={value[:20]}")
        walk.get(f"{changelist}{object_id}/history/")
    add = f"{changelist}add/"
    page = walk.get(add)
    fields = walk._fields_for(add, page)
    for value in HOSTILE_VALUES:
        walk.post(add, dict.fromkeys(fields, value), f"all={value[:20]}")
    assert walk.failures == [], "\n".join(walk.failures[:20])
