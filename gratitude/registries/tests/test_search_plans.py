"""Search answers the same, as privately, whichever way it reads: a rare word's few registries read by key
and sorted in Python, a common word's by walking the order index, several common words intersected first."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gratitude.accounts.services import quiet_mode_enable
from gratitude.registries import compiled_queries, selectors
from gratitude.registries.models import Registry, RegistrySearchName, Visibility
from gratitude.registries.selectors import registry_search, stepped_back
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_registry, make_user

pytestmark = pytest.mark.django_db

# 0: every word is "common" (walk, or intersect several); 2: some rare, some common; 10,000: every word rare.
THRESHOLDS = [0, 2, 10_000]
QUERIES = ["maria", "mari", "ma", "rivera", "maria rivera", "rivera mari", "ma ri", "okafor", "nobody", "zz"]


def _registry(title: str, owner_name: str, **fields: object) -> Registry:
    fields.setdefault("visibility", "public")
    return make_registry(owner=make_user(display_name=owner_name), title=title, **fields)


@pytest.fixture
def registries() -> list[Registry]:
    made = [
        _registry("Maria R, June", "Maria Rivera", event_date=date(2031, 6, 1)),
        _registry("Maria R, June again", "Maria Rivera", event_date=date(2031, 6, 1)),  # a tie: by id
        _registry("Mariana, no date", "Mariana Rivera", event_date=None),
        _registry("Maria O, no date", "Maria Okafor", event_date=None),
        # Two words of one name start with "mari": the registry is counted once.
        _registry("Maria Mariana", "Maria Mariana Rivera", event_date=date(2030, 1, 1)),
        _registry("Marie, later", "Marie Okafor", event_date=date(2032, 3, 3)),
        _registry("Link only", "Maria Rivera", visibility="link", event_date=date(2031, 1, 1)),
        _registry("Private", "Maria Rivera", visibility="private", event_date=date(2031, 1, 1)),
        _registry("Paused", "Maria Rivera", event_date=date(2031, 1, 1)),
        _registry("Archived", "Maria Rivera", event_date=date(2031, 1, 1)),
        _registry("Quiet owner", "Maria Rivera", event_date=date(2031, 1, 1)),
    ]
    Registry.objects.filter(title="Paused").update(paused_at=timezone.now())
    Registry.objects.filter(title="Archived").update(archived_at=timezone.now())
    quiet_mode_enable(user=Registry.objects.get(title="Quiet owner").members.get().user)
    # A co-registrant's name finds the registry too.
    registry_member_add(registry=made[5], user=make_user(display_name="Rita Rivera"))
    return made


def _reference(name: str, month: date | None = None, city: str = "") -> list[str]:
    """What search showed before the order index: every match read and sorted by the database."""
    terms = [t for t in selectors.search_terms(name) if len(t) >= selectors.SEARCH_MIN_LETTERS]
    if not terms:
        return []
    found = Registry.objects.filter(visibility=Visibility.PUBLIC, archived_at__isnull=True).exclude(
        stepped_back()
    )
    for term in terms:
        matching = RegistrySearchName.objects.filter(term__gte=term, term__lt=term + "\U0010ffff")
        found = found.filter(pk__in=matching.values("registry_id"))
    if month is not None:
        following = (
            month.replace(year=month.year + 1, month=1)
            if month.month == 12
            else month.replace(month=month.month + 1)
        )
        found = found.filter(event_date__gte=month, event_date__lt=following)
    if city:
        found = found.filter(show_city_region=True, city__iexact=city)
    return list(
        found.order_by("-event_date", "pk").values_list("title", flat=True)[: selectors.SEARCH_RESULTS_LIMIT]
    )


def _titles(name: str, **kwargs: object) -> list[str]:
    return [result.title for result in registry_search(name=name, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_every_plan_finds_the_same_registries_in_the_same_order(registries, monkeypatch, threshold):
    monkeypatch.setattr(selectors, "SEARCH_RARE_MATCHES", threshold)

    for query in QUERIES:
        assert _titles(query) == _reference(query), (threshold, query)
    hidden = {"Link only", "Private", "Paused", "Archived", "Quiet owner"}
    assert not hidden & set(_titles("maria")), threshold


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_every_plan_stops_at_the_page_size_and_keeps_the_order(registries, monkeypatch, threshold):
    monkeypatch.setattr(selectors, "SEARCH_RARE_MATCHES", threshold)
    monkeypatch.setattr(selectors, "SEARCH_RESULTS_LIMIT", 3)

    for query in QUERIES:
        assert _titles(query) == _reference(query), (threshold, query)
    assert len(_titles("ma")) == 3


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_every_plan_narrows_by_month_and_city(registries, monkeypatch, threshold):
    monkeypatch.setattr(selectors, "SEARCH_RARE_MATCHES", threshold)
    Registry.objects.filter(title="Maria R, June").update(city="Lyon", show_city_region=True)
    Registry.objects.filter(title="Maria R, June again").update(city="Lyon", show_city_region=False)

    june = date(2031, 6, 1)
    assert (
        _titles("maria", month=june)
        == _reference("maria", month=june)
        == ["Maria R, June", "Maria R, June again"]
    )
    assert _titles("maria", city="lyon") == _reference("maria", city="lyon") == ["Maria R, June"]
    assert _titles("maria rivera", month=date(2030, 1, 1)) == ["Maria Mariana"]


def test_a_rare_word_reads_its_registries_by_key_without_walking_the_order_index(registries):
    expected = _reference("okafor")
    with CaptureQueriesContext(connection) as queries:
        assert _titles("okafor") == expected

    registry_reads = [q["sql"] for q in queries.captured_queries if 'FROM "registries_registry"' in q["sql"]]
    assert len(registry_reads) == 1
    # Findable is worked out in the SELECT: a WHERE on visibility would send SQLite down the order index.
    where = registry_reads[0].split(" WHERE ", 1)[1]
    assert "visibility" not in where


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL plans by its statistics")
def test_on_sqlite_a_common_word_walks_the_order_index_and_a_rare_one_reads_by_key(registries, monkeypatch):
    def plans(name: str) -> str:
        with CaptureQueriesContext(connection) as queries:
            registry_search(name=name)
        [sql] = [q["sql"] for q in queries.captured_queries if 'FROM "registries_registry"' in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return " | ".join(str(row[-1]) for row in cursor.fetchall())

    assert "USING INTEGER PRIMARY KEY" in plans("okafor")
    assert "registry_search_order" not in plans("okafor")
    monkeypatch.setattr(selectors, "SEARCH_RARE_MATCHES", 0)
    walk = plans("maria")
    assert "registry_search_order" in walk
    assert "TEMP B-TREE FOR ORDER BY" not in walk  # the index gives the order: the walk stops at the page


# --- The statements compiled once per shape (compiled_queries.py) ---------------------------------------


@pytest.fixture
def fresh_statements(monkeypatch):
    """No statement kept from an earlier test: each is compiled here, by the first search of its shape."""
    monkeypatch.setattr(compiled_queries, "_compiled", {})


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_a_statement_compiled_for_one_search_answers_the_next_with_its_own_words(
    registries, monkeypatch, fresh_statements, threshold
):
    monkeypatch.setattr(selectors, "SEARCH_RARE_MATCHES", threshold)

    # Same shapes (one word, then two), different words: nothing of the first search is kept in the SQL.
    for query in ["maria", "okafor", "marie", "maria rivera", "marie okafor", "rita rivera"]:
        assert _titles(query) == _reference(query), (threshold, query)
    june, march = date(2031, 6, 1), date(2032, 3, 1)
    assert _titles("maria", month=june) == _reference("maria", month=june) != []
    assert _titles("marie", month=march) == _reference("marie", month=march) == ["Marie, later"]


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_a_city_is_matched_as_the_orm_matches_it_its_wildcards_as_letters(
    registries, monkeypatch, fresh_statements, threshold
):
    monkeypatch.setattr(selectors, "SEARCH_RARE_MATCHES", threshold)
    cities = {"Maria R, June": "Lyon", "Maria R, June again": "L%on", "Mariana, no date": "L_on"}
    for title, city in cities.items():
        Registry.objects.filter(title=title).update(city=city, show_city_region=True)
    Registry.objects.filter(title="Maria O, no date").update(city="Zürich", show_city_region=True)

    assert _titles("maria", city="l%on") == _reference("maria", city="l%on") == ["Maria R, June again"]
    assert _titles("maria", city="l_on") == _reference("maria", city="l_on") == ["Mariana, no date"]
    assert _titles("maria", city="LYON") == _reference("maria", city="LYON") == ["Maria R, June"]
    for city in ["l\\on", "%", "_", "zürich", "ZÜRICH"]:
        assert _titles("maria", city=city) == _reference("maria", city=city), (threshold, city)


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_every_result_shows_its_own_registrants_whatever_the_number_of_results(
    monkeypatch, fresh_statements, threshold
):
    """Ids are asked in lists padded to a power of two: 1, 3, 5 and 9 results each get their own names."""
    monkeypatch.setattr(selectors, "SEARCH_RARE_MATCHES", threshold)
    for n in range(9):
        registry = _registry(f"Greta {n}", f"Greta Berg{n}", event_date=date(2031, 1, 1 + n))
        if n % 2:
            registry_member_add(registry=registry, user=make_user(display_name=f"Partner {n}"))

    for query, count in [("greta berg0", 1), ("greta berg1", 1), ("greta", 9)]:
        results = registry_search(name=query)
        assert len(results) == count
        for result in results:
            n = int(result.title.split()[1])
            assert result.names == ([f"Greta Berg{n}", f"Partner {n}"] if n % 2 else [f"Greta Berg{n}"])
    monkeypatch.setattr(selectors, "SEARCH_RESULTS_LIMIT", 3)
    assert [r.names[0] for r in registry_search(name="greta")] == [
        "Greta Berg8",
        "Greta Berg7",
        "Greta Berg6",
    ]
    monkeypatch.setattr(selectors, "SEARCH_RESULTS_LIMIT", 5)
    assert [r.title for r in registry_search(name="greta")] == [f"Greta {n}" for n in (8, 7, 6, 5, 4)]


def test_a_value_the_compiled_statement_does_not_take_as_a_parameter_is_refused(fresh_statements):
    """A marker the ORM wrote into the SQL itself (or left out) would leave the first request's value in
    every later statement: refused when compiling."""
    with pytest.raises(ValueError, match="not parameters"):
        compiled_queries.compiled(
            "unused marker",
            lambda term: Registry.objects.values_list("pk"),
            {"term": compiled_queries.text_marker("term")},
            ["pk"],
        )
    with pytest.raises(ValueError, match="selects"):
        compiled_queries.compiled(
            "other columns",
            lambda term: Registry.objects.filter(title=term).values_list("title", "pk"),
            {"term": compiled_queries.text_marker("term")},
            ["pk", "title"],
        )
