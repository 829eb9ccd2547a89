#!/usr/bin/env bash
# Run fuzz targets one after another (one fuzzing process at a time), logging to
# fuzz/logs/<target>.<seconds>s.<UTC time>.log. Usage:
#   fuzz/run.sh SECONDS [TARGET...]     (default: every target)
# Extra libFuzzer flags can be passed in FUZZ_FLAGS.
set -uo pipefail
cd "$(dirname "$0")"
secs="${1:?usage: run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(decode_payload decode_message roundtrip stream compress_roundtrip decompress handshake)
fi
# A small ASan quarantine, returned to the OS: otherwise freed memory held for
# use-after-free detection makes RSS creep past libFuzzer's 2 GB limit over a long run.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=64:allocator_release_to_os_interval_ms=1000:malloc_context_size=10}"
mkdir -p logs
[ -d corpus ] || ./seed.sh
cargo +nightly fuzz build
for t in "${targets[@]}"; do
  log="logs/$t.${secs}s.$(date -u +%Y%m%dT%H%M%S).log"
  echo "== $t for ${secs}s -> $log"
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -max_len=65536 -timeout=60 -print_final_stats=1 ${FUZZ_FLAGS:-} >"$log" 2>&1
  echo "   exit $?: $(grep -E '^#[0-9]+' "$log" | tail -1)"
done
