#!/usr/bin/env bash
# One command to run the whole test suite (installs first, like serve.sh).
# PostgreSQL tests use CASEWORK_TEST_POSTGRES_URL (CI sets it), else a throw-away pgserver.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev   # the dev extra: pytest, ruff, and the torch runtime
.venv/bin/ruff check .
# Two processes (pytest-xdist): much of the suite waits on PostgreSQL, Redis, Celery and the
# parser sandbox, and two processes overlap those waits (1,270 tests in 17 min on a quiet
# 2-core machine, 2026-12-07; CI adds the install, about 4 min on a new machine). Every test
# makes its own databases, Redis namespace and DATA_DIR, so the two never share state. (A
# scale-out test that starts two in-process Celery workers once stalled under xdist; the cause,
# kombu's one-per-process event loop shared by both, is gone: tests/fixtures/scaleout.py.)
# --durations: the slowest tests are printed at the end, where a CI log shows what to speed up.
exec .venv/bin/python -m pytest -n 2 --durations=25 "$@"
