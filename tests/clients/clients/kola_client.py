"""kola (Rust core, polars interface). Its own conventions, declared here: vectors come
as polars Series with q's integer nulls and infinities as polars nulls, temporal atoms
as Python datetime/date/time/timedelta (microseconds), temporal nulls as the Unix epoch."""
import datetime as dt
import math

import kola
import numpy as np
import polars as pl

NAME = "kola"
D2000 = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def connect(host, port, user="user", password="pass"):
    q = kola.Q(host, port, user or "user", password or "")
    q.connect()
    return q


def query(c, expr):
    return c.sync(expr)


def _atom(v, qtype):
    t = abs(qtype)
    if isinstance(v, dt.datetime):
        v = v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)
        d = v - D2000
        us = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
        if t == 15:
            return us / 86_400_000_000
        return us * 1000
    if isinstance(v, dt.date):
        if t == 13:
            return (v.year - 2000) * 12 + v.month - 1
        return (v - dt.date(2000, 1, 1)).days
    if isinstance(v, dt.time):
        ms = ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000
        return {17: ms // 60000, 18: ms // 1000, 19: ms}[t]
    if isinstance(v, dt.timedelta):
        return (v.days * 86400 + v.seconds) * 1_000_000_000 + v.microseconds * 1000
    if t == 10 and isinstance(v, str):
        return v.encode()
    if isinstance(v, np.generic):
        return v.item()
    return v


def canon(x, qtype=None):
    if isinstance(x, pl.DataFrame):
        return table(x)
    if isinstance(x, pl.Series):
        return [_atom(v, qtype) for v in x.to_list()]
    if isinstance(x, dict):
        return ("dict", list(x.keys()), list(x.values()))
    if isinstance(x, (list, tuple)):
        return [canon(v, qtype) for v in x]
    return _atom(x, qtype)


def table(x):
    return {name: [_atom(v, 0) for v in x[name].to_list()] for name in x.columns}


def keyed(x):
    return table(x)


# Temporal nulls: kola converts the sentinel arithmetically (a date ~-2000 AD) or
# refuses it ("Not supported minus time"); nothing to compare.
SKIP = {"0Np", "0Nm", "0Nd", "0Nn", "0Nt", "01:02:03.004 0Nt"}


def _us(ns, rounded=False):
    # kola keeps microseconds: a timestamp atom rounds (Python datetime), vectors and
    # timespans truncate.
    return (ns + 500) // 1000 * 1000 if rounded else ns // 1000 * 1000


def expect(expr, qtype, want):
    """kola's declared conventions (see the module doc)."""
    nulls = {-(2**15), -(2**31), -(2**63)}
    if isinstance(want, list) and qtype in (5, 6, 7):
        lim = {5: 2**15 - 1, 6: 2**31 - 1, 7: 2**63 - 1}[qtype]
        return [None if (v in nulls or abs(v) == lim) else v for v in want]
    if isinstance(want, list) and qtype in (8, 9):
        return [None if isinstance(v, float) and math.isnan(v) else v for v in want]
    if isinstance(want, list) and qtype in (12, 13, 14, 16, 17, 18, 19):
        return [None if v in nulls else (_us(v) if qtype in (12, 16) else v) for v in want]
    if qtype in (-12, -16):
        return _us(want, qtype == -12)
    return want


def error(c, expr):
    try:
        c.sync(expr)
    except kola.KolaError as e:
        msg = str(e)
        # kola reports 'Internal Server Error - "type"'
        return msg.split('"')[1] if '"' in msg else msg
    return None


def async_(c, expr):
    c.asyn(expr)


def send_table(c):
    df = pl.DataFrame({"x": [1, 2, 3], "s": pl.Series(["a", "b", "c"], dtype=pl.Categorical), "f": [0.5, 1.5, 2.5]})
    c.sync("{`uploaded set x}", df)


def send_big(c):
    # 16 MB: kola compresses non-local messages of 10 MB or more.
    return c.sync("{count x}", pl.Series("z", np.zeros(2_000_000, dtype=np.int64)))


def close(c):
    c.disconnect()
