#!/usr/bin/env python3
"""tick.py -- ferroq against DuckDB, Polars and pandas on one trading day of ticks.

One run: generate the trades/quotes day (seeded, deterministic), write it as Arrow IPC
files, run every query on every engine (each engine in its own process), check that all
engines agree (row counts and column checksums), and print times and ferroq / best-peer
ratios.  Started by bench/tick/run.sh, which makes the venv and builds ferroq.

Data: one trading day 2024-01-02 09:30-16:00, nanosecond-sorted unique times, --syms
symbols (default 1000) with Zipf(--skew) activity; quote(time, sym, bid, ask, bsize,
asize), trade(time, sym, price, size).

Queries (the q is what ferroq runs, see tick.q):
  Q1 build the tables from Arrow      .arrow.read, `s#time
  Q2 one symbol, one hour             select from trade where sym=`S, time within t0 t1
  Q3 group-by VWAP                    select n:count i, vol:sum size, vwap:size wavg price,
                                        hi:max price by sym from trade
  Q4 1-minute OHLCV bars              select o:first price,h:max price,l:min price,
                                        c:last price,v:sum size by sym,minute:0D00:01 xbar time
  Q5 as-of join                       aj[`sym`time;trade;select time,sym,bid,ask from quote]
  Q6 last quote per symbol            select last time,last bid,last ask by sym from quote
  Q7 window join, preceding second    wj[-1000000000 0+\:trade.time;`sym`time;trade;
                                        (select time,sym,bid,ask from quote;(min;`ask);(max;`bid))]
                                        (min ask / max bid over each trade's quotes in
                                        [time-1s, time] plus the quote prevailing at time-1s;
                                        an empty window gives 0w / -0w)
  Q8 Q5 for 10 symbols' trades        aj over `g#sym quotes

Timing: one warm-up, then the best of --reps.  Results are materialised inside the timed
region.  ferroq times itself (.z.n) and writes each result as Arrow; the checksums of all
engines are computed here from Arrow, the same way.

Memory (ferroq): after its timed runs, each query Q2..Q8 runs once more with the heap's
high-water mark reset (.fq.resetpeak[]); its extra memory is the mark less the heap bytes in
use before (.Q.w[], from ferroq's counting allocator), printed beside the result's column
bytes and the number of groups (result rows for by-queries, quote symbols for joins).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

DAY = "2024-01-02"
OPEN = np.datetime64(f"{DAY}T09:30:00", "ns")
CLOSE = np.datetime64(f"{DAY}T16:00:00", "ns")
T0 = np.datetime64(f"{DAY}T10:00:00", "ns")
T1 = np.datetime64(f"{DAY}T11:00:00", "ns")
QUERIES = ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8"]
NAMES = {"Q1": "build tables from Arrow", "Q2": "filter sym + hour", "Q3": "group-by VWAP",
         "Q4": "1-min OHLCV bars", "Q5": "as-of join", "Q6": "last quote per sym", "Q7": "window join (1s)",
         "Q8": "as-of join, 10 syms"}
CHECK = {
    "Q1": ["quote_rows", "trade_rows"],
    "Q2": ["time", "price", "size"],
    "Q3": ["n", "vol", "vwap", "hi"],
    "Q4": ["minute", "o", "h", "l", "c", "v"],
    "Q5": ["time", "price", "size", "bid", "ask"],
    "Q6": ["time", "bid", "ask"],
    "Q7": ["time", "price", "size", "ask", "bid"],
    "Q8": ["time", "price", "size", "bid", "ask"],
}
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


# ------------------------------------------------------------------ data
def symbol_names(n, rng):
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    seen = {}
    while len(seen) < n:
        seen.setdefault("".join(rng.choice(letters, int(rng.integers(2, 6)))), None)
    return list(seen)


def sorted_times(n, rng):
    span = int(CLOSE - OPEN)
    t = np.sort(rng.integers(0, span - n, size=n, dtype=np.int64)) + np.arange(n, dtype=np.int64)
    return (t + OPEN.astype(np.int64)).view("datetime64[ns]")


def generate(nq, nt, nsyms, skew, seed):
    import pyarrow as pa
    rng = np.random.default_rng(seed)
    names = symbol_names(nsyms, rng)
    w = 1.0 / np.arange(1, nsyms + 1, dtype=np.float64) ** skew
    w /= w.sum()
    base = np.round(rng.uniform(5.0, 500.0, nsyms), 2)
    dictionary = pa.array(names, pa.string())

    def syms(n):
        codes = rng.choice(nsyms, size=n, p=w).astype(np.int32)
        return codes, pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), dictionary)

    qt = sorted_times(nq, rng)
    qc, qs = syms(nq)
    mid = base[qc] * (1.0 + 0.002 * rng.standard_normal(nq))
    half = np.maximum(0.01, np.round(base[qc] * 0.0002 * rng.integers(1, 5, nq), 2))
    bid = np.round(mid - half, 2)
    ask = np.round(bid + 2 * half, 2)
    quote = pa.table({"time": pa.array(qt), "sym": qs, "bid": bid, "ask": ask,
                      "bsize": rng.integers(1, 50, nq, dtype=np.int64) * 100,
                      "asize": rng.integers(1, 50, nq, dtype=np.int64) * 100})
    tt = sorted_times(nt, rng)
    tc, ts = syms(nt)
    price = np.round(base[tc] * (1.0 + 0.002 * rng.standard_normal(nt)), 2)
    size = (rng.integers(1, 30, nt, dtype=np.int64) ** 2) * 10
    trade = pa.table({"time": pa.array(tt), "sym": ts, "price": price, "size": size})
    # Q8: the 10 symbols ranked 11-20 by activity (busy but not the busiest).
    q8 = names[10:20]
    return quote, trade, {"sym": names[0], "q8": q8}


# ------------------------------------------------------------------ peers
class DuckDB:
    name = "duckdb"

    def __init__(self):
        import duckdb
        self.con = duckdb.connect()
        self.con.execute("SET threads = 1")
        self.version = duckdb.__version__

    def arrow(self, sql):
        rel = self.con.sql(sql)
        for m in ("to_arrow_table", "fetch_arrow_table", "arrow"):
            if hasattr(rel, m):
                out = getattr(rel, m)()
                return out.read_all() if hasattr(out, "read_all") else out
        raise RuntimeError("no arrow fetch")

    def q1(self, quote, trade):
        self.con.register("quote_src", quote)
        self.con.register("trade_src", trade)
        names = dict.fromkeys(quote.column("sym").chunk(0).dictionary.to_pylist())
        self.con.execute("DROP TABLE IF EXISTS quote; DROP TABLE IF EXISTS trade; DROP TYPE IF EXISTS sym_t")
        self.con.execute("CREATE TYPE sym_t AS ENUM (" + ", ".join("'" + n + "'" for n in names) + ")")
        self.con.execute("CREATE TABLE quote AS SELECT time, sym::VARCHAR::sym_t AS sym, bid, ask, bsize, asize FROM quote_src")
        self.con.execute("CREATE TABLE trade AS SELECT time, sym::VARCHAR::sym_t AS sym, price, size FROM trade_src")
        self.con.unregister("quote_src")
        self.con.unregister("trade_src")
        return {"quote_rows": self.con.execute("SELECT count(*) FROM quote").fetchall()[0][0],
                "trade_rows": self.con.execute("SELECT count(*) FROM trade").fetchall()[0][0]}

    def q2(self, m):
        return self.arrow(f"SELECT * FROM trade WHERE sym = '{m['sym']}' AND time BETWEEN "
                          f"'{T0}'::TIMESTAMP_NS AND '{T1}'::TIMESTAMP_NS")

    def q3(self, m):
        return self.arrow("SELECT sym, count(*) AS n, sum(size) AS vol, sum(price * size) / sum(size) AS vwap, "
                          "max(price) AS hi FROM trade GROUP BY sym")

    def q4(self, m):
        return self.arrow("SELECT sym, date_trunc('minute', time) AS minute, arg_min(price, time) AS o, "
                          "max(price) AS h, min(price) AS l, arg_max(price, time) AS c, sum(size) AS v "
                          "FROM trade GROUP BY ALL")

    def q5(self, m):
        return self.arrow("SELECT t.time, t.sym, t.price, t.size, q.bid, q.ask FROM trade t "
                          "ASOF LEFT JOIN quote q ON t.sym = q.sym AND t.time >= q.time")

    def q6(self, m):
        return self.arrow("SELECT sym, max(time) AS time, arg_max(bid, time) AS bid, arg_max(ask, time) AS ask "
                          "FROM quote GROUP BY sym")

    def q7(self, m):
        # Quotes in [time-1s, time]: a RANGE window over quotes and trades by sym in time
        # order (trades carry null prices); the quote prevailing at time-1s: an ASOF join.
        return self.arrow("""
            WITH u AS (
                SELECT sym, time, ask, bid, NULL::BIGINT AS tid FROM quote
                UNION ALL
                SELECT sym, time, NULL::DOUBLE, NULL::DOUBLE, rowid FROM trade),
            w AS (
                SELECT tid, min(ask) OVER win AS wask, max(bid) OVER win AS wbid FROM u
                WINDOW win AS (PARTITION BY sym ORDER BY time
                               RANGE BETWEEN INTERVAL 1 SECOND PRECEDING AND CURRENT ROW)
                QUALIFY tid IS NOT NULL),
            p AS (
                SELECT t.rowid AS tid, t.time, t.sym, t.price, t.size, q.ask AS pask, q.bid AS pbid
                FROM (SELECT rowid, *, time - INTERVAL 1 SECOND AS lo FROM trade) t
                ASOF LEFT JOIN quote q ON t.sym = q.sym AND t.lo >= q.time)
            SELECT p.time, p.sym, p.price, p.size,
                least(coalesce(w.wask, 'inf'::DOUBLE), coalesce(p.pask, 'inf'::DOUBLE)) AS ask,
                greatest(coalesce(w.wbid, '-inf'::DOUBLE), coalesce(p.pbid, '-inf'::DOUBLE)) AS bid
            FROM p JOIN w USING (tid)""")

    def q8(self, m):
        syms = ", ".join(f"'{s}'" for s in m["q8"])
        return self.arrow("SELECT t.time, t.sym, t.price, t.size, q.bid, q.ask FROM "
                          f"(SELECT * FROM trade WHERE sym IN ({syms})) t "
                          "ASOF LEFT JOIN quote q ON t.sym = q.sym AND t.time >= q.time")


class Polars:
    name = "polars"

    def __init__(self):
        import polars as pl
        self.pl = pl
        self.version = pl.__version__

    def q1(self, quote, trade):
        pl = self.pl
        self.quote = pl.from_arrow(quote).with_columns(pl.col("time").set_sorted())
        self.trade = pl.from_arrow(trade).with_columns(pl.col("time").set_sorted())
        return {"quote_rows": self.quote.height, "trade_rows": self.trade.height}

    def q2(self, m):
        pl = self.pl
        lo, hi = (x.astype("datetime64[us]").item() for x in (T0, T1))
        return self.trade.filter((pl.col("sym") == m["sym"]) & pl.col("time").is_between(lo, hi, closed="both"))

    def q3(self, m):
        pl = self.pl
        return self.trade.group_by("sym").agg(
            n=pl.len(), vol=pl.col("size").sum(),
            vwap=(pl.col("price") * pl.col("size")).sum() / pl.col("size").sum(), hi=pl.col("price").max())

    def q4(self, m):
        pl = self.pl
        return self.trade.group_by("sym", pl.col("time").dt.truncate("1m").alias("minute")).agg(
            o=pl.col("price").first(), h=pl.col("price").max(), l=pl.col("price").min(),
            c=pl.col("price").last(), v=pl.col("size").sum())

    def _asof(self, trade):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return trade.join_asof(self.quote.select("time", "sym", "bid", "ask"), on="time", by="sym",
                                   strategy="backward")

    def q5(self, m):
        return self._asof(self.trade)

    def q6(self, m):
        pl = self.pl
        return self.quote.group_by("sym").agg(pl.col("time").last(), pl.col("bid").last(), pl.col("ask").last())

    def q7(self, m):
        # Quotes in [time-1s, time]: rolling min/max by time per sym over quotes merged
        # with the trades (null prices, after quotes of the same time); the quote
        # prevailing at time-1s: join_asof.
        import warnings
        pl = self.pl
        q = self.quote.select("time", "sym", "ask", "bid").with_columns(tid=pl.lit(None, pl.UInt32))
        t = self.trade.select("time", "sym", pl.lit(None, pl.Float64).alias("ask"),
                              pl.lit(None, pl.Float64).alias("bid"),
                              pl.int_range(pl.len(), dtype=pl.UInt32).alias("tid"))
        w = q.merge_sorted(t, key="time").select(
            pl.col("tid"),
            pl.col("ask").rolling_min_by("time", window_size="1s", closed="both").over("sym").alias("wask"),
            pl.col("bid").rolling_max_by("time", window_size="1s", closed="both").over("sym").alias("wbid"),
        ).filter(pl.col("tid").is_not_null())
        lo = self.trade.with_columns(lo=pl.col("time") - pl.duration(seconds=1, time_unit="ns")).with_columns(
            pl.col("lo").set_sorted())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = lo.join_asof(q.select(qtime="time", sym="sym", pask="ask", pbid="bid"),
                             left_on="lo", right_on="qtime", by="sym", strategy="backward")
        inf = float("inf")
        # Trades keep their order through the merge, so w's rows line up with p's.
        return p.select("time", "sym", "price", "size").with_columns(
            ask=pl.min_horizontal(w["wask"].fill_null(inf), p["pask"].fill_null(inf)),
            bid=pl.max_horizontal(w["wbid"].fill_null(-inf), p["pbid"].fill_null(-inf)))

    def q8(self, m):
        pl = self.pl
        return self._asof(self.trade.filter(pl.col("sym").is_in(m["q8"])))


class Pandas:
    name = "pandas"

    def __init__(self):
        import pandas as pd
        self.pd = pd
        self.version = pd.__version__

    def q1(self, quote, trade):
        self.quote = quote.to_pandas()
        self.trade = trade.to_pandas()
        return {"quote_rows": len(self.quote), "trade_rows": len(self.trade)}

    def q2(self, m):
        t = self.trade
        return t[(t["sym"] == m["sym"]) & t["time"].between(self.pd.Timestamp(T0), self.pd.Timestamp(T1))]

    def q3(self, m):
        t = self.trade
        g = t.assign(pv=t["price"] * t["size"]).groupby("sym", observed=True).agg(
            n=("size", "size"), vol=("size", "sum"), pv=("pv", "sum"), hi=("price", "max"))
        g["vwap"] = g["pv"] / g["vol"]
        return g.drop(columns="pv").reset_index()

    def q4(self, m):
        t = self.trade
        return t.groupby(["sym", t["time"].dt.floor("min").rename("minute")], observed=True, sort=False).agg(
            o=("price", "first"), h=("price", "max"), l=("price", "min"),
            c=("price", "last"), v=("size", "sum")).reset_index()

    def q5(self, m):
        return self.pd.merge_asof(self.trade, self.quote[["time", "sym", "bid", "ask"]], on="time", by="sym",
                                  direction="backward")

    def q6(self, m):
        return self.quote.groupby("sym", observed=True)[["time", "bid", "ask"]].last().reset_index()

    def q7(self, m):
        # Quotes sorted by (sym, time) under one int64 key; each trade's window is a run
        # [s, e) found by searchsorted (s: the quote prevailing at time-1s, else the first
        # at or after it); min/max over the runs from a sparse table of power-of-two
        # blocks.
        q, t = self.quote, self.trade
        assert list(q["sym"].cat.categories) == list(t["sym"].cat.categories)
        base = (OPEN - np.timedelta64(2, "s")).astype(np.int64)
        qc = q["sym"].cat.codes.to_numpy().astype(np.int64)
        order = np.argsort(qc, kind="stable")
        qc = qc[order]
        qkey = (qc << 46) | (q["time"].to_numpy().view(np.int64)[order] - base)
        tc = t["sym"].cat.codes.to_numpy().astype(np.int64)
        tt = t["time"].to_numpy().view(np.int64) - base
        r = np.searchsorted(qkey, (tc << 46) | (tt - 1_000_000_000), "right")
        prev = np.maximum(r - 1, 0)
        s = np.where((r > 0) & (qc[prev] == tc), r - 1, r)
        e = np.searchsorted(qkey, (tc << 46) | tt, "right")
        ask = sparse_range(q["ask"].to_numpy()[order], s, e, np.fmin, np.inf)
        bid = sparse_range(q["bid"].to_numpy()[order], s, e, np.fmax, -np.inf)
        return t.assign(ask=ask, bid=bid)

    def q8(self, m):
        t = self.trade
        t = t[t["sym"].isin(m["q8"])]
        return self.pd.merge_asof(t, self.quote[["time", "sym", "bid", "ask"]], on="time", by="sym",
                                  direction="backward")


def sparse_range(vals, s, e, fn, empty):
    """fn (np.fmin / np.fmax: nulls skipped) over vals[s:e] for each run; empty for none."""
    out = np.full(len(s), empty)
    ok = e > s
    s, n = s[ok], (e - s)[ok]
    if len(n) == 0:
        return out
    k = np.frexp(n.astype(np.float64))[1] - 1      # floor(log2 n)
    level = vals
    res = np.empty(len(n))
    for j in range(int(k.max()) + 1):
        if j:
            h = 1 << (j - 1)
            level = fn(level[:-h], level[h:])      # level[i]: fn over vals[i : i + 2^j]
        sel = np.flatnonzero(k == j)
        if len(sel):
            a, b = s[sel], s[sel] + n[sel] - (1 << j)
            res[sel] = fn(level[a], level[b])
    out[ok] = res
    return out


PEERS = {"duckdb": DuckDB, "polars": Polars, "pandas": Pandas}


# ------------------------------------------------------------------ checksums
def column(res, col):
    import pyarrow as pa
    import pyarrow.compute as pc
    if isinstance(res, dict):
        return np.array([res[col]]), "i"
    if not isinstance(res, (pa.Table, pa.RecordBatch)):
        if type(res).__module__.startswith("polars"):
            res = res.select(col).to_arrow()
        else:
            res = pa.Table.from_pandas(res[[col]], preserve_index=False)
    arr = res.column(col)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_timestamp(arr.type):
        arr = pc.cast(pc.cast(arr, pa.timestamp("ns", arr.type.tz)), pa.int64())
        kind = "i"
    elif pa.types.is_integer(arr.type):
        kind = "i"
    else:
        kind = "f"
    vals = arr.drop_null().to_numpy(zero_copy_only=False)
    if kind == "i":
        # q's long null (-2^63) counts as a null.
        vals = vals.astype(np.int64)
        vals = vals[vals != np.iinfo(np.int64).min]
    else:
        vals = vals.astype(np.float64)
        vals = vals[~np.isnan(vals)]
    return vals, kind


def float_sum(vals):
    """Sum of the finite values, with the infinities counted apart (0w / -0w results)."""
    fin = np.isfinite(vals)
    return [float(np.sum(vals[fin], dtype=np.float64)), int(np.sum(vals == np.inf)), int(np.sum(vals == -np.inf))]


def exact_sum(v):
    v = v.astype(np.int64)
    return int(np.sum(v >> 32, dtype=np.int64)) * (1 << 32) + int(np.sum(v & 0xFFFFFFFF, dtype=np.int64))


def checksum(q, res):
    rows = 1 if isinstance(res, dict) else int(res.num_rows if hasattr(res, "num_rows") else len(res))
    cols = {}
    for c in CHECK[q]:
        vals, kind = column(res, c)
        cols[c] = {"sum": exact_sum(vals) if kind == "i" else float_sum(vals),
                   "nulls": rows - len(vals) if not isinstance(res, dict) else 0}
    return {"rows": rows, "cols": cols}


def disagreements(a, b, rtol=1e-9):
    bad = []
    if a["rows"] != b["rows"]:
        bad.append(f"rows {a['rows']} != {b['rows']}")
    for c, ca in a["cols"].items():
        cb = b["cols"][c]
        if ca["nulls"] != cb["nulls"]:
            bad.append(f"{c}.nulls {ca['nulls']} != {cb['nulls']}")
        x, y = ca["sum"], cb["sum"]
        # Float sums carry their infinities' counts; an engine may give an integer
        # column (DuckDB's hugeint sums) as floats.
        inf_x = x[1:] if isinstance(x, list) else [0, 0]
        inf_y = y[1:] if isinstance(y, list) else [0, 0]
        if inf_x != inf_y:
            bad.append(f"{c}.infinities {inf_x} != {inf_y}")
        x, y = (x[0] if isinstance(x, list) else x), (y[0] if isinstance(y, list) else y)
        if isinstance(x, int) and isinstance(y, int):
            if x != y:
                bad.append(f"{c}.sum {x} != {y}")
        elif abs(x - y) > rtol * max(1.0, abs(x), abs(y)):
            bad.append(f"{c}.sum {x!r} != {y!r}")
    return bad


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# ------------------------------------------------------------------ workers
def best_of(fn, reps):
    res = fn()
    times = []
    for _ in range(reps):
        res = None
        t = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t)
    return min(times), res


def peer_worker(args):
    import pyarrow as pa
    import pyarrow.ipc as ipc
    quote = ipc.open_file(pa.memory_map(os.path.join(args.data, "quote.arrow"))).read_all()
    trade = ipc.open_file(pa.memory_map(os.path.join(args.data, "trade.arrow"))).read_all()
    quote, trade = quote.combine_chunks(), trade.combine_chunks()
    meta = json.load(open(os.path.join(args.data, "meta.json")))
    eng = PEERS[args.worker]()
    out = {"engine": eng.name, "version": eng.version, "ms": {}, "checksums": {}}
    r0 = rss_mb()
    best, res = best_of(lambda: eng.q1(quote, trade), args.reps)
    out["ms"]["Q1"] = best * 1e3
    out["tables_mb"] = rss_mb() - r0
    out["checksums"]["Q1"] = checksum("Q1", res)
    for q in QUERIES[1:]:
        best, res = best_of(lambda: getattr(eng, q.lower())(meta), args.reps)
        out["ms"][q] = best * 1e3
        out["checksums"][q] = checksum(q, res)
        print(f"[{eng.name}] {q} {best*1e3:9.2f} ms", file=sys.stderr, flush=True)
    return out


def ferroq_worker(args):
    import pyarrow as pa
    import pyarrow.ipc as ipc
    exe = os.path.join(ROOT, "target", "release", "ferroq")
    meta = json.load(open(os.path.join(args.data, "meta.json")))
    env = dict(os.environ, FQ_BENCH_DIR=args.data, FQ_BENCH_REPS=str(args.reps),
               FQ_BENCH_SYM=meta["sym"], FQ_BENCH_Q8=",".join(meta["q8"]))
    p = subprocess.run([exe, "-q", os.path.join(HERE, "tick.q")], env=env, capture_output=True, text=True)
    sys.stderr.write(p.stderr)
    out = {"engine": "ferroq", "version": "main", "ms": {}, "checksums": {}}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in QUERIES:
            out["ms"][parts[0]] = float(parts[1])
        elif len(parts) == 2 and parts[0] == "tables_mb":
            out["tables_mb"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("raw_mb", "tables_heap_mb"):
            out[parts[0]] = float(parts[1])
        elif len(parts) == 5 and parts[0] == "mem" and parts[1] in QUERIES:
            out.setdefault("mem", {})[parts[1]] = {"extra": int(parts[2]), "result": int(parts[3]),
                                                   "groups": int(parts[4])}
        elif line.startswith("'"):
            print(f"[ferroq] error: {line}", file=sys.stderr)
    for q in QUERIES:
        f = os.path.join(args.data, f"fq_{q}.arrow")
        if os.path.exists(f):
            out["checksums"][q] = checksum(q, ipc.open_file(pa.memory_map(f)).read_all())
    if p.returncode != 0:
        out["error"] = p.stderr[-2000:]
    return out


# ------------------------------------------------------------------ memory
# The bound checked: a query's extra memory <= its result + O(groups), with this many
# bytes per group (a hash-table slot, the group's key and a few accumulators).
GROUP_BYTES = 64


def memory_table(mem):
    """ferroq's extra memory per query (peak heap bytes during the query less the bytes in
    use before: .fq.resetpeak[] then .Q.w[]) against its result's column bytes and groups."""
    if not mem:
        return []
    lines = ["", f"ferroq memory per query: extra = peak heap during the query - heap before "
             f"(includes the result); bound = result + groups × {GROUP_BYTES} B",
             "", "| query | extra MB | result MB | groups | extra ÷ bound |", "|---|---|---|---|---|"]
    for q in QUERIES:
        m = mem.get(q)
        if m is None:
            continue
        bound = m["result"] + m["groups"] * GROUP_BYTES
        ratio = f"{m['extra'] / bound:.2f}" if bound else "-"
        lines.append(f"| {q} {NAMES[q]} | {m['extra']/1e6:.2f} | {m['result']/1e6:.2f} | {m['groups']:,} | {ratio} |")
    return lines


# ------------------------------------------------------------------ driver
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quotes", type=int, default=1_000_000)
    ap.add_argument("--trades", type=int, default=200_000)
    ap.add_argument("--syms", type=int, default=1000)
    ap.add_argument("--skew", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--engines", default="duckdb,polars,pandas,ferroq")
    ap.add_argument("--out", help="write results.json and results.md here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(peer_worker(args)))
        return

    import pyarrow as pa
    import pyarrow.ipc as ipc
    tmp = tempfile.mkdtemp(prefix="fq-tick-")
    t = time.perf_counter()
    quote, trade, meta = generate(args.quotes, args.trades, args.syms, args.skew, args.seed)
    for name, tbl in (("quote", quote), ("trade", trade)):
        with ipc.new_file(os.path.join(tmp, f"{name}.arrow"), tbl.schema) as w:
            w.write_table(tbl)
    meta.update(t0=str(T0), t1=str(T1))
    json.dump(meta, open(os.path.join(tmp, "meta.json"), "w"))
    with open(os.path.join(tmp, "q8syms.txt"), "w") as f:
        f.write("\n".join(meta["q8"]) + "\n")
    del quote, trade
    # Let the kernel write the files back before anything is timed (writeback competes
    # for the CPU and memory bandwidth).
    os.sync()
    time.sleep(2)
    print(f"data: {args.quotes:,} quotes, {args.trades:,} trades, {args.syms} syms "
          f"(generated in {time.perf_counter()-t:.1f} s, {tmp})", file=sys.stderr)

    results = {}
    for e in args.engines.split(","):
        if e == "ferroq":
            results[e] = ferroq_worker(argparse.Namespace(data=tmp, reps=args.reps))
            continue
        # One thread per engine (Polars reads its pool size at import).
        env = dict(os.environ, POLARS_MAX_THREADS="1", OMP_NUM_THREADS="1")
        p = subprocess.run([sys.executable, __file__, "--worker", e, "--data", tmp, "--reps", str(args.reps)],
                           capture_output=True, text=True, env=env)
        sys.stderr.write(p.stderr)
        if p.returncode != 0:
            print(f"[{e}] failed", file=sys.stderr)
            continue
        results[e] = json.loads(p.stdout.strip().splitlines()[-1])

    # Agreement: every engine against the first peer that has the query.
    problems = []
    for q in QUERIES:
        ref = next((r for r in results.values() if q in r["checksums"]), None)
        for e, r in results.items():
            if q not in r["checksums"]:
                problems.append(f"{e} {q}: no result")
                continue
            for d in disagreements(ref["checksums"][q], r["checksums"][q]):
                problems.append(f"{e} {q}: {d}")

    engines = ["ferroq"] + [e for e in results if e != "ferroq"] if "ferroq" in results else list(results)
    lines = [f"ticks: {args.quotes:,} quotes / {args.trades:,} trades, {args.syms} syms, one thread, "
             f"best of {args.reps}, ms",
             "", "| query | " + " | ".join(engines) + " | ferroq ÷ best peer |",
             "|---|" + "---|" * (len(engines) + 1)]
    for q in QUERIES:
        row = [f"{q} {NAMES[q]}"]
        for e in engines:
            ms = results[e]["ms"].get(q)
            row.append("-" if ms is None else f"{ms:.2f}")
        peers = [results[e]["ms"][q] for e in engines if e != "ferroq" and q in results[e]["ms"]]
        fq = results.get("ferroq", {}).get("ms", {}).get(q)
        row.append(f"{min(peers)/fq:.2f}× faster" if peers and fq else "-")
        lines.append("| " + " | ".join(row) + " |")
    mem = [f"{e}: {results[e].get('tables_mb', 0):.0f} MB" for e in engines]
    lines += ["", "tables held after Q1 (RSS growth): " + ", ".join(mem)]
    if "raw_mb" in results.get("ferroq", {}):
        lines.append(f"raw column bytes: {results['ferroq']['raw_mb']:.0f} MB")
    if "tables_heap_mb" in results.get("ferroq", {}):
        lines.append(f"ferroq heap bytes of the tables (.Q.w used): {results['ferroq']['tables_heap_mb']:.0f} MB")
    lines += memory_table(results.get("ferroq", {}).get("mem", {}))
    lines += ["", "all engines agree" if not problems else "DISAGREEMENTS:\n  " + "\n  ".join(problems)]
    text = "\n".join(lines)
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        json.dump(results, open(os.path.join(args.out, "results.json"), "w"), indent=1)
        open(os.path.join(args.out, "results.md"), "w").write(text + "\n")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
