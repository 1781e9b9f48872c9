"""The shared cache's backend (core/cache.py) keeps one Redis client per pool and still reads and writes; a
GET on the thread's own connection answers exactly what the pool's way would, through a lost connection, a
reply cut off halfway and a fork."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
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


@pytest.fixture
def shared_cache() -> Any:
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    yield cache
    cache.delete_many(["held-a", "held-b", "held-int", "held-missing"])


def _held(cache: Any) -> Any:
    return cache._cache._held.connection


def test_a_get_on_the_threads_connection_answers_what_was_set(shared_cache):
    shared_cache.set("held-a", {"words": "a", "n": [1, 2]}, timeout=30)
    shared_cache.set("held-int", 7, timeout=30)  # Django keeps an int unpickled
    assert shared_cache.get("held-a") == {"words": "a", "n": [1, 2]}
    assert shared_cache.get("held-int") == 7
    assert shared_cache.get("held-missing") is None
    assert shared_cache.get("held-missing", "fallback") == "fallback"
    # Every GET after the first used the same connection, which the pool never lent.
    first = _held(shared_cache)
    shared_cache.get("held-a")
    assert _held(shared_cache) is first


def test_a_connection_the_server_closed_is_replaced_and_the_answer_is_right(shared_cache):
    shared_cache.set("held-a", "before", timeout=30)
    assert shared_cache.get("held-a") == "before"
    first = _held(shared_cache)
    first.disconnect()  # as if Redis had restarted or dropped us
    shared_cache.set("held-a", "after", timeout=30)
    assert shared_cache.get("held-a") == "after"


def test_a_reply_cut_off_halfway_never_answers_a_later_get(shared_cache, monkeypatch):
    """A GET whose reply was not read (a timeout) leaves that reply on the socket: the connection must go
    with it, or the next GET would read the previous key's value."""
    shared_cache.set("held-a", "value of a", timeout=30)
    shared_cache.set("held-b", "value of b", timeout=30)
    shared_cache.get("held-a")
    connection = _held(shared_cache)
    real_read = connection.read_response
    calls = []

    def timed_out(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("Timeout reading from socket")
        return real_read(*args, **kwargs)

    monkeypatch.setattr(connection, "read_response", timed_out)
    assert shared_cache.get("held-a") == "value of a"  # answered the pool's way
    assert _held(shared_cache) is not connection
    assert shared_cache.get("held-b") == "value of b"  # not a's reply, left on the old socket


def test_each_thread_and_each_process_gets_its_own_connection(shared_cache, monkeypatch):
    shared_cache.set("held-a", "shared", timeout=30)
    shared_cache.get("held-a")
    mine = _held(shared_cache)
    theirs: list[Any] = []

    def other_thread() -> None:
        theirs.append((shared_cache.get("held-a"), _held(shared_cache)))

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert theirs[0][0] == "shared" and theirs[0][1] is not mine
    # A forked child (a gunicorn worker) must not share its parent's socket.
    parent = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: parent + 1)
    assert shared_cache.get("held-a") == "shared"
    assert _held(shared_cache) is not mine
