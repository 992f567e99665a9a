#!/usr/bin/env bash
# Create .venv and install casework into it; a no-op when nothing changed since last time.
#   bootstrap.sh        casework alone: the ONNX embedding runtime, no torch (serve.sh)
#   bootstrap.sh dev    plus the dev extra, which brings the torch runtime (test.sh, CI)
# torch, when wanted, is installed first and pinned, so pip takes the CPU build rather
# than a CUDA one.
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRA=${1:-}
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "casework needs Python 3.11+"'
  "$PYTHON" -m venv .venv
fi
stamp=$( (cat pyproject.toml scripts/bootstrap.sh; echo "$EXTRA") | sha256sum | cut -c1-16)
if [ "$(cat .venv/.install-stamp 2>/dev/null)" != "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$EXTRA" = dev ]; then
    .venv/bin/python -m pip install --quiet "torch==2.13.0"
    .venv/bin/python -m pip install --quiet -e ".[dev]"
  else
    .venv/bin/python -m pip install --quiet -e .
  fi
  echo "$stamp" > .venv/.install-stamp
fi
