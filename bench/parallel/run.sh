#!/usr/bin/env bash
# -s 0 against -s 2 on a 10M-row table (ferroq's secondary threads):
#   bench/parallel/run.sh [rows] [reps]        # default 10000000 rows, best of 5
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p fq-cli
FQ_PAR_ROWS="${1:-10000000}" FQ_PAR_REPS="${2:-5}" \
    target/release/ferroq -q -s 2 bench/parallel/par.q < /dev/null
