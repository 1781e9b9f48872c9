"""The shared cache's Redis backend: Django's, with one Redis client per connection pool instead of a new
one for every cache call.

Why: Django's RedisCacheClient.get_client builds a redis.Redis object (with its table of ~170 response
callbacks) on every get, set or get_many: about 70 µs of CPU each, more than the round trip's own Python
work, paid by every rate limit, the login lockout and the kept share page. A redis.Redis client is safe to
share between threads (each command takes a connection from the pool), and its pool notices a fork (a
preloaded gunicorn worker) and opens its own connections.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

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
