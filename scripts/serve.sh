#!/usr/bin/env bash
# One command to run casework on the embedded default: install, migrate, serve on :8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/casework serve "$@"
