#!/usr/bin/env bash
# Run the pytest suite on SQLite, then the database tests again on a throw-away PostgreSQL database.
# With CI=true nothing may be skipped for want of PostgreSQL or Chromium (the root conftest.py enforces it).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== pytest on SQLite"
env -u DATABASE_URL "$BIN/pytest" "$@"

PG_URL_BASE="${GRATITUDE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
if "$BIN/python" scripts/pg_available.py "$PG_URL_BASE"; then
  # pytest-django creates test_<name> and drops it afterwards; the name is unique per run.
  DB_NAME="gratitude_run_$$_$(date +%s)"
  echo "== pytest on PostgreSQL (database tests, throw-away database test_${DB_NAME})"
  # The 10,000-message campaign drill proves halting and recall, not concurrency; it runs once, on SQLite.
  DATABASE_URL="${PG_URL_BASE}/${DB_NAME}" "$BIN/pytest" -m "not browser" \
    --ignore=tests/drills/test_campaign_drill.py "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required in CI but not reachable at ${PG_URL_BASE}" >&2
  exit 1
else
  echo "SKIPPED: the PostgreSQL run (no server at ${PG_URL_BASE}; set GRATITUDE_TEST_POSTGRES)"
fi
