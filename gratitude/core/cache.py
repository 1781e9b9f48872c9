"""The shared cache's Redis backend: Django's, with one Redis client per connection pool instead of a new
one for every cache call, and each thread's GETs on a connection of its own.

Why: Django's RedisCacheClient.get_client builds a redis.Redis object (with its table of ~170 response
callbacks) on every get, set or get_many: about 70 µs of CPU each, more than the round trip's own Python
work, paid by every rate limit, the login lockout and the kept share page. A redis.Redis client is safe to
share between threads (each command takes a connection from the pool), and its pool notices a fork (a
preloaded gunicorn worker) and opens its own connections.

A GET is the one call on every kept share page (its registry's version, gifts/guest_page.py) and in every
rate limit. Through redis.Redis it costs about 165 µs of CPU here: the pool's checkout (a second recv, a
peek at the socket to see it holds no stray data), its release and redis-py's observability hooks; the
same GET on a connection the thread keeps costs about 100 µs, most of it the socket's own system calls
(docs/benchmarks.md, "A GET on the thread's own connection"). The connection is made with the pool's own
settings (address, database, password, TLS, timeouts), opened lazily in the thread and the process that
use it (never inherited across a fork), and on any error it is closed, a reply half-read with it, and the
GET goes the pool's way, which answers or raises as Django's backend always did.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._held = threading.local()

    def get(self, key: Any, default: Any) -> Any:
        connection = self._held_connection()
        try:
            connection.send_command("GET", key)
            value = connection.read_response()
        except Exception:  # noqa: BLE001 - whatever it was, the pool's way decides (and raises as before)
            self._drop_held()
            return super().get(key, default)
        return default if value is None else self._serializer.loads(value)  # type: ignore[attr-defined]

    def _held_connection(self) -> Any:
        held = getattr(self._held, "connection", None)
        if held is not None and self._held.pid == os.getpid():
            return held
        pool = self._get_connection_pool(False)  # type: ignore[attr-defined]
        # Not taken from the pool: a connection kept for good would count against its limit forever.
        connection = pool.connection_class(**pool.connection_kwargs)
        self._held.connection, self._held.pid = connection, os.getpid()
        return connection  # it connects on its first command

    def _drop_held(self) -> None:
        held, self._held.connection = getattr(self._held, "connection", None), None
        if held is not None:
            held.disconnect()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))  # pools live as long as this object: their ids are stable
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
