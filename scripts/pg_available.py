"""Exit 0 if a PostgreSQL server answers at the URL given (used by scripts/run-tests.sh)."""

import sys

import psycopg

try:
    psycopg.connect(sys.argv[1] + "/postgres", connect_timeout=3).close()
except psycopg.Error:
    sys.exit(1)
