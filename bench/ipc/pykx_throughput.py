"""pykx_throughput.py -- a large table from a ferroq (or kdb+) server into pykx.

    PYKX_UNLICENSED=true python bench/ipc/pykx_throughput.py HOST PORT [--rows N] [--reps N] [--unix]

Builds the same table as fq-client's `throughput` example on the server
(long, float, symbol, timestamp columns), then per repetition times:

- receive: `conn("fqbench")`, the message read and turned into a pykx Table
  (pykx's own deserialiser);
- pandas: `.pd()` on that Table (pykx's conversion, no network);
- arrow: `.pa()` on that Table, when pykx can.

MB/s is of the message bytes (`-22!fqbench`).  Prints one line per repetition and a
final `best receive MB/s` line for bench/ipc/run.sh to pick up.
"""
import argparse
import os
import time

os.environ.setdefault("PYKX_UNLICENSED", "true")
import pykx as kx  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--unix", action="store_true", help="over kdb+'s Unix socket /tmp/kx.PORT")
    a = ap.parse_args()
    c = kx.SyncQConnection(a.host, a.port, no_ctx=True, unix=a.unix)
    n = a.rows
    c(f"fqbench:([] a:til {n}; b:{n}#1.5 2.5 0n; s:{n}#`a`bb`ccc`dddd; p:{n}#2000.01.01D0)")
    size = int(c("-22!fqbench").py())
    best = 0.0
    for rep in range(1, a.reps + 1):
        t = time.perf_counter()
        tab = c("fqbench")
        recv = time.perf_counter() - t
        assert len(tab) == n
        t = time.perf_counter()
        df = tab.pd()
        pd_s = time.perf_counter() - t
        assert len(df) == n
        del df
        try:
            t = time.perf_counter()
            pa = tab.pa()
            pa_s = f"{time.perf_counter() - t:.3f}s"
            del pa
        except Exception as e:  # pyarrow missing or unsupported in unlicensed mode
            pa_s = f"n/a ({type(e).__name__})"
        del tab
        mbs = size / recv / 1e6
        best = max(best, mbs)
        print(f"rep {rep}: {size / 1e6:.1f} MB | receive {recv:.3f}s {mbs:6.0f} MB/s"
              f" | .pd() {pd_s:.3f}s | end to end to pandas {size / (recv + pd_s) / 1e6:6.0f} MB/s"
              f" | .pa() {pa_s}", flush=True)
    c("fqbench:0")
    print(f"best receive MB/s: {best:.0f}")


if __name__ == "__main__":
    main()
