#!/usr/bin/env bash
# The tick benchmark: ferroq against DuckDB, Polars and pandas on the same data, in one run.
#   bench/tick/run.sh                         # 1M quotes / 200k trades
#   bench/tick/run.sh --quotes 10000000 --trades 2000000 --out bench/tick/results-10m
# Makes a venv in bench/.venv (duckdb polars pandas pyarrow numpy), builds ferroq in
# release mode, generates the data, runs every engine on one thread and prints the times,
# the ferroq / best-peer ratios, and whether all engines' checksums agree (exit 1 if not).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=bench/.venv
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$VENV"; }
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q duckdb polars pandas pyarrow numpy
fi
cargo build --release -q -p fq-cli
exec "$VENV/bin/python" bench/tick/tick.py "$@"
