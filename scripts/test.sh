#!/usr/bin/env bash
# One command to run the whole test suite (installs first, like serve.sh).
# PostgreSQL tests use CASEWORK_TEST_POSTGRES_URL (CI sets it), else a throw-away pgserver.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev   # the dev extra: pytest, ruff, and the torch runtime
.venv/bin/ruff check .
# One process: under pytest-xdist the scale-out tests' in-process Celery test worker once
# failed to stop and once hung at start (tests/search/test_tenant_isolation.py, scaleout);
# `-n 2` (pytest-xdist is installed) is for trying that again, not yet for CI.
# --durations: the slowest tests are printed at the end, where a CI log shows what to speed up.
exec .venv/bin/python -m pytest --durations=25 "$@"
