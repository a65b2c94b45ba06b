#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need on a fresh machine, then runs
# the linters and the whole suite, browser tests included. Safe to run again: installed things are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)  # the browser tests
command -v node >/dev/null 2>&1 || missing+=(nodejs)  # the engine's own tests and ESLint
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian's ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== installing ESLint, esbuild, TypeScript and wabt (tests/js/package-lock.json)"
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error >/dev/null

echo "== installing torch 2.13.0, CPU build (adamviz.record's tests; this pin takes the wheel on disk)"
python3 -m pip install -q --disable-pip-version-check torch==2.13.0

echo "== installing adamviz with its test extra"
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== ruff"
python3 -m ruff check .
python3 -m ruff format --check .

echo "== eslint"
tests/js/node_modules/.bin/eslint --config tests/js/eslint.config.mjs assets/ tests/js/

echo "== tsc (the page's state and engine against contract.js's types)"
tests/js/node_modules/.bin/tsc -p tests/js/tsconfig.json

# (exit status 5: the selection left a pass no tests, as `bash tests/run.sh tests/one_file.py` may)
echo "== pytest (a worker per core, at most 4: pytest-xdist)"
python3 -m pytest -p no:cacheprovider -n auto --maxprocesses 4 -m "not alone" "$@" || [ $? -eq 5 ]
echo "== pytest, the real-time tests alone (marked 'alone': another worker's load drops their frames)"
python3 -m pytest -p no:cacheprovider -m alone "$@" || [ $? -eq 5 ]
