"""pykx (KX's own C API underneath, unlicensed IPC mode)."""
import os

os.environ.setdefault("PYKX_UNLICENSED", "true")
import numpy as np
import pandas as pd
import pykx as kx

NAME = "pykx"


def connect(host, port, user="", password=""):
    return kx.SyncQConnection(host, port, username=user, password=password, no_ctx=True)


def query(c, expr):
    return c(expr)


def _raw(x):
    if isinstance(x, (bytes, np.bytes_)):
        return bytes(x)
    if isinstance(x, np.generic):
        return x.item()
    return x


def canon(x, qtype=None):
    if isinstance(x, kx.Dictionary) and not isinstance(x, kx.KeyedTable):
        return ("dict", canon(x.keys()), canon(x.values()))
    if isinstance(x, kx.Table):
        t = table(x)
        return {k: [v.decode() if isinstance(v, bytes) else v for v in vs] for k, vs in t.items()}
    if isinstance(x, (kx.SymbolAtom, kx.SymbolVector)):
        r = x.py()
        return r if isinstance(r, str) else list(r)
    if isinstance(x, (kx.GUIDAtom,)):
        return str(x.py())
    if isinstance(x, kx.CharAtom):
        return bytes(x.py())
    if isinstance(x, kx.List):
        return [canon(v) for v in x]
    r = x.py(raw=True)
    if isinstance(r, list):
        return [_raw(v) for v in r]
    if isinstance(r, np.ndarray):
        return [_raw(v) for v in r.tolist()]
    return _raw(r)


def table(x):
    # Unlicensed pykx cannot run q locally, so columns come through .py().
    return {_s(k): [_s(_raw(v)) for v in vs] for k, vs in x.py(raw=True).items()}


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def keyed(x):
    d = x.py(raw=True)
    out = {}
    for k, v in d.items():
        for name, val in zip(["k"], k):
            out.setdefault(name, []).append(val)
        for name, val in v.items():
            out.setdefault(name, []).append(val)
    return {k: [v.decode() if isinstance(v, bytes) else v for v in vs] for k, vs in out.items()}


def error(c, expr):
    try:
        c(expr)
    except kx.QError as e:
        return str(e)
    return None


def async_(c, expr):
    c(expr, wait=False)


def send_table(c):
    df = pd.DataFrame({"x": [1, 2, 3], "s": ["a", "b", "c"], "f": [0.5, 1.5, 2.5]})
    c("{`uploaded set x}", df)


def send_big(c):
    # 2M zeros: compressible; the KX C API compresses it on non-loopback links.
    return c("{count x}", np.zeros(2_000_000, dtype=np.int64)).py()


def close(c):
    c.close()
