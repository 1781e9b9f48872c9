"""The shared cache's backend (core/cache.py) keeps one Redis client per pool and still reads and writes."""

from __future__ import annotations

from django.core.cache import caches

from gratitude.core.cache import RedisCache


def test_the_shared_cache_reuses_its_client_and_works():
    cache = caches["default"]
    assert isinstance(cache, RedisCache)  # tests run on Redis, as production does
    client = cache._cache  # type: ignore[attr-defined]
    assert client.get_client() is client.get_client(write=True)
    cache.set("core-cache-test", {"n": 1}, timeout=30)
    assert cache.get_many(["core-cache-test", "core-cache-missing"]) == {"core-cache-test": {"n": 1}}
    cache.delete("core-cache-test")
    assert cache.get("core-cache-test") is None
