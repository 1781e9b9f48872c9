"""gunicorn's production settings (README, "Run it at scale"): `gunicorn -c config/gunicorn.py config.wsgi`.

Not named gunicorn.conf.py at the top of the checkout on purpose: gunicorn would read that by itself, and
change the servers the benchmarks and tests start. Every choice can be changed by the environment variable
beside it; the defaults are the ones measured in docs/benchmarks.md ("The server").
"""

from __future__ import annotations

import os

_cores = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# A page is Python work on one core (the database is in-process SQLite or a short PostgreSQL round trip):
# one process per core, plus one to use a core while another waits on the database or a slow client.
workers = int(os.environ.get("GUNICORN_WORKERS", _cores + 1))
# Threads help only while a request waits (a slow upload behind no proxy buffering); Python work does not
# run in parallel in one process. gthread with 2 threads keeps keep-alive connections from the proxy open
# without tying a worker to one client.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# Behind a reverse proxy that keeps connections open: longer than the proxy's idle timeout would be wasted.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Imports once in the master, so a worker starts in milliseconds and shares the app's read-only pages.
preload_app = True
# A worker is replaced after this many requests (with jitter, so they do not all restart at once): a bound
# on anything that grows slowly in a long-lived process.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = 2000
# Several gunicorns on one machine must not share gunicorn 23+'s default control socket path.
control_socket_disable = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
