"""Peer number for fq-arrow's `arrow_to_q` bench: Polars' `pl.from_arrow` on the same
trade table (time Timestamp(ns) sorted, sym Dictionary(Int32, Utf8) of 1000 names,
price Float64, size Int64).

    python3 bench/arrow_from_arrow.py [rows]        (needs polars and pyarrow)

Run it next to `FQ_ARROW_BENCH_ROWS=<rows> cargo bench -p fq-arrow` on the same machine.
"""

import sys
import time

import numpy as np
import polars as pl
import pyarrow as pa

n = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000_000
rng = np.random.default_rng(1)
start = 1_704_187_800_000_000_000
table = pa.table(
    {
        "time": pa.array(start + np.cumsum(rng.integers(0, 4000, n)), pa.timestamp("ns")),
        "sym": pa.DictionaryArray.from_arrays(
            pa.array(rng.integers(0, 1000, n).astype(np.int32)),
            pa.array([f"SYM{i:04}" for i in range(1000)]),
        ),
        "price": pa.array(100.0 + rng.integers(0, 10_000, n) / 100.0),
        "size": pa.array(rng.integers(0, 1000, n) * 100),
    }
)
best = float("inf")
for _ in range(7):
    t = time.perf_counter()
    df = pl.from_arrow(table)
    best = min(best, time.perf_counter() - t)
    del df
print(f"polars from_arrow: {n} rows in {best * 1e3:.2f} ms (best of 7) = {n / best / 1e6:.0f} M rows/s")
