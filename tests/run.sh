#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need on a fresh machine, then runs
# the linters and the whole suite, browser tests included. Safe to run again: installed things are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

echo "== installing adamviz with its test extra"
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== ruff"
python3 -m ruff check .
python3 -m ruff format --check .

echo "== pytest"
python3 -m pytest -p no:cacheprovider "$@"
