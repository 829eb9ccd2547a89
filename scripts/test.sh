#!/usr/bin/env bash
# Run every ferroq test: formatting, lints, and the whole workspace's tests (unit, golden
# IPC vectors, bad-input suites). Later suites (Python, real kdb+ clients, transcripts)
# are added here as they land; this script installs whatever they need itself.
#
# Usage: scripts/test.sh            (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo not found; install Rust (stable) first" >&2
  exit 1
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# fq-client's async client and pool live behind its `tokio` feature.
cargo clippy -p fq-client --all-targets --features tokio --locked -- -D warnings

echo "== cargo test"
mkdir -p target
cargo test --workspace --locked 2>&1 | tee target/test-output.txt
# fq-eval's optional `.arrow` namespace, on its own (the workspace run also builds it, since
# fq-cli enables the feature; this keeps it covered should that change).
cargo test -p fq-eval --features arrow --locked 2>&1 | tee -a target/test-output.txt
# fq-client with its `tokio` feature (the async client and pool tests).
cargo test -p fq-client --features tokio --locked 2>&1 | tee -a target/test-output.txt

# Refuse a run that executed no test at all.
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' target/test-output.txt | awk '{s+=$4} END {print s+0}')
if [ "$passed" -eq 0 ]; then
  echo "scripts/test.sh: no test ran" >&2
  exit 1
fi
# Real kdb+ clients from PyPI (pykx, qpython3, kola, aiokdb, qroissant) against a real
# ferroq server; installs Python venvs itself. FQ_SKIP_CLIENTS=1 skips it locally.
if [ "${FQ_SKIP_CLIENTS:-0}" != 1 ]; then
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "== installing python3-venv (apt-get)"
    sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq python3-venv python3-pip
  fi
  echo "== real kdb+ clients"
  tests/clients/run.sh
fi
echo "== all suites passed"
echo "rust: $passed passed, 0 failed"
