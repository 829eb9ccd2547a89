"""Checks a real kdb+ client library against a running ferroq server.

Every client adapter (clients/<name>.py) turns what its library decodes into one
canonical Python form, so all clients are held to the same expectations, which come
from q's definitions (datatypes.md), not from ferroq:

- integers, booleans and bytes: int, with q's null and infinity sentinels as ints
  (0Nh = -32768, 0W = 2**63-1 ...); reals and floats: float (nan for null);
- chars: bytes; symbols: str; guids: str (canonical uuid text);
- temporal types: their raw count since 2000.01.01 (timestamp/timespan ns, month
  months, date days, minute/second/time in their units; datetime float days);
- vectors: lists; dicts: ("dict", keys, values); tables: {column: list}.

A client that cannot represent something (kola turns vector nulls into None, a
temporal null into the Unix epoch...) says so in its adapter with `lossy(...)`.
"""

import math
import sys
import threading
import time
import traceback
import uuid
from datetime import datetime, timedelta

D2000 = datetime(2000, 1, 1)
NS = 1_000_000_000
DAY_NS = 86400 * NS
NH, WH = -(2**15), 2**15 - 1
NI, WI = -(2**31), 2**31 - 1
NJ, WJ = -(2**63), 2**63 - 1
NAN, INF = float("nan"), float("inf")
GUID = "8c680a01-5a49-5aab-5a65-d4bfddb6a661"


def ts(*a, ns=0):
    """Raw timestamp of a datetime (ns since 2000.01.01)."""
    d = datetime(*a) - D2000
    return (d.days * 86400 + d.seconds) * NS + d.microseconds * 1000 + ns


def days(*a):
    return (datetime(*a) - D2000).days


# (q expression, q type number, canonical raw value)
CASES = [
    ("1b", -1, 1),
    ("101b", 1, [1, 0, 1]),
    ('"G"$"%s"' % GUID, -2, GUID),
    ("0Ng", -2, str(uuid.UUID(int=0))),
    ("0x2a", -4, 42),
    ("0x00ff", 4, [0, 255]),
    ("1h", -5, 1),
    ("0Nh", -5, NH),
    ("0Wh", -5, WH),
    ("-0Wh", -5, -WH),
    ("1 0N 0W -0Wh", 5, [1, NH, WH, -WH]),
    ("7i", -6, 7),
    ("0Ni", -6, NI),
    ("0Wi", -6, WI),
    ("1 0N 0Wi", 6, [1, NI, WI]),
    ("42", -7, 42),
    ("0N", -7, NJ),
    ("0W", -7, WJ),
    ("-0W", -7, -WJ),
    ("1 0N 0W -0W", 7, [1, NJ, WJ, -WJ]),
    ("1.5e", -8, 1.5),
    ("0Ne", -8, NAN),
    ("0we", -8, INF),
    ('"e"$1.5 0n 0w', 8, [1.5, NAN, INF]),
    ("1.5", -9, 1.5),
    ("0n", -9, NAN),
    ("0w", -9, INF),
    ("-0w", -9, -INF),
    ("1.5 0n 0w -0w", 9, [1.5, NAN, INF, -INF]),
    ('"a"', -10, b"a"),
    ('"abc"', 10, b"abc"),
    ("`abc", -11, "abc"),
    ("`", -11, ""),
    ("`a`bc`", 11, ["a", "bc", ""]),
    ("2024.01.02D03:04:05.123456789", -12, ts(2024, 1, 2, 3, 4, 5, ns=123456789)),
    ("0Np", -12, NJ),
    ("2024.01.02D03:04:05.123456789 0Np", 12, [ts(2024, 1, 2, 3, 4, 5, ns=123456789), NJ]),
    ("2024.01m", -13, 288),
    ("0Nm", -13, NI),
    ("2024.01.02", -14, days(2024, 1, 2)),
    ("0Nd", -14, NI),
    ("2024.01.02 0N 1999.12.31", 14, [days(2024, 1, 2), NI, -1]),
    ("2024.01.02T03:04:05.123", -15, days(2024, 1, 2) + (3 * 3600 + 4 * 60 + 5.123) / 86400),
    ("0D01:02:03.123456789", -16, 3723 * NS + 123456789),
    ("0Nn", -16, NJ),
    ("01:02", -17, 62),
    ("01:02:03", -18, 3723),
    ("01:02:03.004", -19, 3723004),
    ("0Nt", -19, NI),
    ("01:02:03.004 0Nt", 19, [3723004, NI]),
    ("`a`b!1 2", 99, ("dict", ["a", "b"], [1, 2])),
    ("([]a:1 2;b:`x`y;c:1.5 2.5)", 98, {"a": [1, 2], "b": ["x", "y"], "c": [1.5, 2.5]}),
]

KEYED = "([k:`a`b]v:1 2)"
BIG = "([]a:til 1000000;b:1000000#0.5 1.5;s:1000000#`a`b`c`d)"


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return False
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


class Failures:
    def __init__(self, client):
        self.client, self.items, self.passed = client, [], 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.items.append(f"{what}: {detail}")

    def run(self, what, fn):
        try:
            fn()
        except Exception as e:  # a client exception is a failure, with its story
            self.items.append(f"{what}: raised {type(e).__name__}: {e}\n{traceback.format_exc()}")


def run(adapter, host, port, auth_port, remote_host):
    """Run every check with `adapter` (see clients/*.py); exit non-zero on failure."""
    f = Failures(adapter.NAME)
    c = adapter.connect(host, port)

    for expr, qtype, want in CASES:
        if expr in getattr(adapter, "SKIP", {}):
            continue

        def value(expr=expr, qtype=qtype, want=want):
            got = adapter.canon(adapter.query(c, expr), qtype)
            if hasattr(adapter, "expect"):
                want = adapter.expect(expr, qtype, want)
            f.check(f"value {expr}", same(got, want), f"got {got!r}, want {want!r}")

        f.run(f"value {expr}", value)

    def keyed():
        got = adapter.keyed(adapter.query(c, KEYED))
        f.check("keyed table", same(got, {"k": ["a", "b"], "v": [1, 2]}), f"got {got!r}")

    f.run("keyed table", keyed)

    def big():
        t0 = time.time()
        cols = adapter.table(adapter.query(c, BIG))
        f.check("1M rows: count", len(cols["a"]) == 1_000_000, str(len(cols["a"])))
        f.check("1M rows: a", cols["a"][999_999] == 999_999 and sum(cols["a"]) == 499999500000, "")
        f.check("1M rows: b", abs(sum(cols["b"]) - 1_000_000) < 1e-6, str(sum(cols["b"])))
        f.check("1M rows: s", cols["s"][:5] == ["a", "b", "c", "d", "a"], str(cols["s"][:5]))
        print(f"  {adapter.NAME}: 1M-row table in {time.time() - t0:.2f}s")

    f.run("1M-row table", big)

    def errors():
        for expr, text in [("1+`a", "type"), ("'`boom", "boom"), ("undefined_name", "undefined_name"),
                           ("til -1", "domain"), ('1 2+3 4 5', "length")]:
            msg = adapter.error(c, expr)
            f.check(f"error {expr}", msg == text, f"got {msg!r}, want {text!r}")
        f.check("after errors", adapter.canon(adapter.query(c, "1+1"), -7) == 2, "")

    f.run("errors", errors)

    unsupported = getattr(adapter, "UNSUPPORTED", set())

    def async_then_sync():
        if "async" in unsupported:
            return
        adapter.async_(c, "asyncx:42")
        got = adapter.canon(adapter.query(c, "asyncx"), -7)
        f.check("async set, sync get", got == 42, f"got {got!r}")

    f.run("async", async_then_sync)

    def send_table():
        if "send_table" in unsupported:
            return
        adapter.send_table(c)  # client-side table -> `uploaded set x`
        n = adapter.canon(adapter.query(c, "count uploaded"), -7)
        total = adapter.canon(adapter.query(c, "exec sum x from uploaded"), -7)
        first = adapter.canon(adapter.query(c, "exec first s from uploaded"), -11)
        types = adapter.canon(adapter.query(c, "exec t from meta uploaded"), 10)
        f.check("table from client", [n, total, first] == [3, 6, "a"], f"got {[n, total, first, types]!r}")
        print(f"  {adapter.NAME}: uploaded table's column types {types!r}")

    f.run("table from client", send_table)

    def compressed():
        # Over a non-loopback address the server compresses (kdb+'s rule) and the client
        # decompresses; the client compresses what it sends if it does so at all.
        r = adapter.connect(remote_host, port)
        got = adapter.canon(adapter.query(r, "1000000#`a`b"), 11)
        f.check("compressed reply", len(got) == 1_000_000 and got[:3] == ["a", "b", "a"], str(got[:3]))
        if "send_big" not in unsupported:
            n = adapter.send_big(r)
            f.check("large message to server", n == 2_000_000, f"got {n!r}")
        adapter.close(r)

    f.run("compression", compressed)

    def two_at_once():
        errs = []

        def worker(k):
            try:
                cc = adapter.connect(host, port)
                for j in range(50):
                    v = adapter.canon(adapter.query(cc, f"{k}+{j}"), -7)
                    if v != k + j:
                        errs.append(f"{k}+{j} gave {v}")
                adapter.close(cc)
            except Exception as e:
                errs.append(repr(e))

        ts_ = [threading.Thread(target=worker, args=(k * 1000,)) for k in (1, 2)]
        [t.start() for t in ts_]
        [t.join() for t in ts_]
        f.check("two clients at once", not errs, "; ".join(errs[:3]))

    f.run("two clients", two_at_once)

    def auth():
        ok = adapter.connect(host, auth_port, "alice", "secret")
        f.check("auth: good password", adapter.canon(adapter.query(ok, "2+2"), -7) == 4, "")
        adapter.close(ok)
        rejected = False
        try:
            bad = adapter.connect(host, auth_port, "alice", "wrong")
            adapter.query(bad, "2+2")
        except Exception:
            rejected = True
        f.check("auth: wrong password rejected", rejected, "connected anyway")

    f.run("auth", auth)
    adapter.close(c)
    print(f"{adapter.NAME}: {f.passed} checks passed, {len(f.items)} failed")
    for it in f.items:
        print(f"  FAIL {it}")
    return 1 if f.items else 0


if __name__ == "__main__":
    import importlib

    name, host, port, auth_port, remote = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    sys.path.insert(0, __file__.rsplit("/", 1)[0] + "/clients")
    sys.exit(run(importlib.import_module(name), host, port, auth_port, remote))
