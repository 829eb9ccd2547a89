"""pykx_throughput.py -- a large table from a ferroq (or kdb+) server into pykx.

    PYKX_UNLICENSED=true python bench/ipc/pykx_throughput.py HOST PORT [--rows N] [--reps N] [--unix]

Builds the same table as fq-client's `throughput` example on the server
(long, float, symbol, timestamp columns), then per repetition times:

- receive: `conn("fqbench")`, the message read and turned into a pykx Table
  (pykx's own deserialiser);
- pandas: `.pd()` on that Table (pykx's conversion, no network);
- arrow: `.pa()` on that Table, when pykx can;

and once, pykx's deserialiser alone on the same message bytes already in memory (fetched
with a plain socket): the ceiling of `receive` whatever the server does.

MB/s is of the message bytes (`-22!fqbench`).  Prints one line per repetition and a
final `best receive MB/s` line for bench/ipc/run.sh to pick up.
"""
import argparse
import os
import socket
import struct
import time

os.environ.setdefault("PYKX_UNLICENSED", "true")
import pykx as kx  # noqa: E402


def raw_fetch(host, port, query):
    """The response message to `query`, as bytes, over a plain kdb+ IPC socket."""
    s = socket.create_connection((host, port))
    s.sendall(b"bench:\x03\x00")
    if len(s.recv(1)) != 1:
        raise RuntimeError("handshake refused")
    q = query.encode()
    payload = bytes([10, 0]) + struct.pack("<i", len(q)) + q
    s.sendall(bytes([1, 1, 0, 0]) + struct.pack("<I", 8 + len(payload)) + payload)
    head = b""
    while len(head) < 8:
        head += s.recv(8 - len(head))
    size = struct.unpack("<I", head[4:8])[0]
    buf = bytearray(size)
    buf[:8] = head
    view = memoryview(buf)[8:]
    while len(view):
        n = s.recv_into(view, len(view))
        if n == 0:
            raise RuntimeError("closed")
        view = view[n:]
    s.close()
    return buf


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
    raw = raw_fetch("127.0.0.1" if a.host == "localhost" else a.host, a.port, "fqbench")
    ceiling = 0.0
    for _ in range(a.reps):
        t = time.perf_counter()
        tab = kx.deserialize(raw)  # what pykx runs on a received message (kpn, okx, d9)
        d = time.perf_counter() - t
        assert len(tab) == n
        del tab
        ceiling = max(ceiling, size / d / 1e6)
    print(f"pykx deserialising the {size / 1e6:.1f} MB message from memory (no network): "
          f"best {ceiling:.0f} MB/s")
    c("fqbench:0")
    print(f"best receive MB/s: {best:.0f}")


if __name__ == "__main__":
    main()
