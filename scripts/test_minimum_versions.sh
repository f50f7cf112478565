#!/usr/bin/env bash
# Run the test suite on the oldest Python and dependency versions pyproject.toml allows
# (Python 3.10, numpy 1.24.4, scipy 1.10.1, matplotlib 3.7.0, tqdm 4.64.0, threadpoolctl 3.1.0).
# Without torch: the parity tests check the golden files. Usage: scripts/test_minimum_versions.sh [python3.10]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3.10}
venv=$(mktemp -d)/venv
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[test]" \
    "numpy==1.24.4" "scipy==1.10.1" "matplotlib==3.7.0" "tqdm==4.64.0" "threadpoolctl==3.1.0"
"$venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning
