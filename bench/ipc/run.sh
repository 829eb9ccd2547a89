#!/usr/bin/env bash
# The IPC benchmark (issue 5's figures): a ferroq server on loopback against
#   - fq-client: `1+1` round trips from 1 and 8 clients (p50/p99, queries/s), and a
#     10M-row, 4-column table (long, float, symbol, timestamp; 275 MB on the wire);
#   - pykx (unlicensed, from PyPI): the same table received into pykx, then .pd().
#   bench/ipc/run.sh [--rows N] [--n N] [--reps N] [--spin US]
# Targets: p50 <= 30 us, >= 50k q/s with 8 clients, >= 1 GB/s for the table.
# Run it on a quiet machine: other load changes every figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=10000000 n=50000 reps=3 spin=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) rows="$2"; shift 2 ;;
        --n) n="$2"; shift 2 ;;
        --reps) reps="$2"; shift 2 ;;
        --spin) spin="--spin $2"; shift 2 ;;
        *) echo "usage: $0 [--rows N] [--n N] [--reps N] [--spin US]" >&2; exit 2 ;;
    esac
done
cargo build --release -q -p fq-cli
cargo build --release -q -p fq-client --example latency --example throughput
VENV=target/client-venvs/pykx          # shared with tests/clients/run.sh
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" 2>/dev/null || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$VENV"; }
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q pykx==4.2.0 pandas pyarrow
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
target/release/ferroq -q -p "$port" $spin </dev/null >/dev/null 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
echo "== ferroq -p $port $spin   ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "-- latency: fq-client, 1+1 (TCP, 1 and 8 clients; then a polling client; then the Unix socket)"
target/release/examples/latency "127.0.0.1:$port" --n "$n"
target/release/examples/latency "127.0.0.1:$port" --n "$n" --clients 1 --spin 200
target/release/examples/latency "unix://$port" --n "$n" --clients 1
echo "-- throughput: fq-client (TCP, then the Unix socket)"
target/release/examples/throughput "127.0.0.1:$port" --rows "$rows" --reps "$reps"
target/release/examples/throughput "unix://$port" --rows "$rows" --reps "$reps"
echo "-- throughput: pykx $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pykx"))') (TCP, then the Unix socket)"
PYKX_UNLICENSED=true "$VENV/bin/python" bench/ipc/pykx_throughput.py 127.0.0.1 "$port" --rows "$rows" --reps "$reps"
PYKX_UNLICENSED=true "$VENV/bin/python" bench/ipc/pykx_throughput.py 127.0.0.1 "$port" --rows "$rows" --reps "$reps" --unix
