"""qpython3 (finos/qPython): numpy-based, capability 6, legacy-handshake retry."""
import uuid

import numpy as np
import pandas as pd
from qpython import qconnection
from qpython.qcollection import QDictionary, QKeyedTable, QTable, QTemporalList
from qpython.qtemporal import QTemporal
from qpython.qtype import QException

NAME = "qpython3"
EPOCH = {12: ("2000-01-01T00:00:00", "ns"), 13: ("2000-01", "M"), 14: ("2000-01-01", "D")}


def connect(host, port, user=None, password=None):
    q = qconnection.QConnection(host=host, port=port, username=user, password=password)
    q.open()
    return q


def query(c, expr):
    return c.sendSync(expr)


def _temporal_raw(v, qtype):
    t = abs(qtype)
    if t in (12, 13, 14):
        base, unit = EPOCH[t]
        if np.isnat(v):
            return -(2**63) if t == 12 else -(2**31)
        return int((v - np.datetime64(base, unit)).astype(f"timedelta64[{unit}]").astype(np.int64))
    if t == 15:
        if np.isnat(v):
            return float("nan")
        return (v - np.datetime64("2000-01-01T00:00:00", "ms")).astype("timedelta64[ms]").astype(np.int64) / 86400000
    if np.isnat(v):
        return -(2**63) if t == 16 else -(2**31)
    return int(v.astype(np.int64))


def _one(v):
    if isinstance(v, np.bytes_):
        return bytes(v).decode()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def canon(x, qtype=None):
    if isinstance(x, QTemporal):
        return _temporal_raw(x.raw, qtype)
    if isinstance(x, QTemporalList):
        # The list keeps q's raw values; raw(i) reads one.
        return [_one(x.raw(i)) for i in range(len(x))]
    if isinstance(x, QTable):
        return table(x)
    if isinstance(x, QDictionary):
        return ("dict", canon(x.keys), canon(x.values))
    if qtype == -11 and isinstance(x, bytes):
        return bytes(x).decode()
    if qtype in (4, -4):
        return [v & 0xFF for v in canon(x)] if qtype == 4 else int(x) & 0xFF
    if isinstance(x, bytes):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "S":
            return [bytes(v).decode() for v in x]
        if x.dtype == object:
            return [canon(v) for v in x]
        return [_one(v) for v in x]
    if isinstance(x, list):
        return [canon(v) for v in x]
    if qtype == -11 and isinstance(x, np.bytes_):
        return bytes(x).decode()
    return _one(x)


def table(x):
    return {name: canon(x[name]) for name in x.dtype.names}


def keyed(x):
    return {**table(x.keys), **table(x.values)}


def error(c, expr):
    try:
        c.sendSync(expr)
    except QException as e:
        return e.args[0].decode() if isinstance(e.args[0], bytes) else str(e.args[0])
    return None


def async_(c, expr):
    c.sendAsync(expr)


def send_table(c):
    df = pd.DataFrame({"x": np.array([1, 2, 3], dtype=np.int64), "s": np.array([b"a", b"b", b"c"]), "f": [0.5, 1.5, 2.5]})
    df.meta = None
    from qpython.qcollection import qtable
    from qpython.qtype import QSYMBOL_LIST, QLONG_LIST, QFLOAT_LIST
    t = qtable(["x", "s", "f"], [np.array([1, 2, 3], dtype=np.int64), np.array(["a", "b", "c"], dtype="S"), np.array([0.5, 1.5, 2.5])],
               x=QLONG_LIST, s=QSYMBOL_LIST, f=QFLOAT_LIST)
    c.sendSync("{`uploaded set x}", t)


def send_big(c):
    return int(c.sendSync("{count x}", np.zeros(2_000_000, dtype=np.int64)))


def close(c):
    c.close()
