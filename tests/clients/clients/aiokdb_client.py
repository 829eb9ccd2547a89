"""aiokdb (pure-Python asyncio client; demands the exact capability byte it asked for)."""
import asyncio

from aiokdb import KException, MessageType, TypeEnum, cv, kj, kk, ktn, xd, xt
from aiokdb.client import open_qipc_connection

NAME = "aiokdb"
import threading

_LOCAL = threading.local()


def _run(coro):
    # One event loop per thread (the two-clients check runs connections in threads).
    if not hasattr(_LOCAL, "loop"):
        _LOCAL.loop = asyncio.new_event_loop()
    return _LOCAL.loop.run_until_complete(coro)


def connect(host, port, user=None, password=None):
    r, w = _run(open_qipc_connection(host=host, port=port, user=user, password=password))
    return (r, w)


def query(c, expr):
    return _run(c[1].sync_req(cv(expr)))


def _call(c, f, arg):
    return _run(c[1].sync_req(kk(cv(f), arg)))


ATOM = {-1: "aG", -2: "aU", -4: "aG", -5: "aH", -6: "aI", -7: "aJ", -8: "aE", -9: "aF",
        -10: "aC", -11: "aS", -12: "aJ", -13: "aI", -14: "aI", -15: "aF", -16: "aJ",
        -17: "aI", -18: "aI", -19: "aI"}
VEC = {1: "kB", 2: "kU", 4: "kG", 5: "kH", 6: "kI", 7: "kJ", 8: "kE", 9: "kF", 11: "kS",
       12: "kJ", 13: "kI", 14: "kI", 15: "kF", 16: "kJ", 17: "kI", 18: "kI", 19: "kI"}


def canon(x, qtype=None):
    t = x.t
    if t < 0:
        v = getattr(x, ATOM[t])()
        if t == -2:
            return str(v)
        if t == -10:
            return v.encode()
        return v
    if t == 10:
        return x.aS().encode()
    if t == 0:
        return [canon(v) for v in x.kK()]
    if t == 99:
        return ("dict", canon(x.kkey()), canon(x.kvalue()))
    if t == 98:
        return table(x)
    vals = list(getattr(x, VEC[t])())
    if t == 1:
        return [int(v) for v in vals]
    if t == 2:
        return [str(v) for v in vals]
    return vals


def table(x):
    d = x.kvalue()
    names = d.kkey().kS()
    cols = d.kvalue().kK()
    return {n: canon(col) for n, col in zip(names, cols)}


def keyed(x):
    return {**table(x.kkey()), **table(x.kvalue())}


def error(c, expr):
    try:
        query(c, expr)
    except KException as e:
        return str(e)
    return None


def async_(c, expr):
    c[1].write(cv(expr), MessageType.ASYNC)
    _run(c[1].writer.drain()) if hasattr(c[1], "writer") else None


def send_table(c):
    x = ktn(TypeEnum.KJ)
    x.kJ().extend([1, 2, 3])
    s = ktn(TypeEnum.KS)
    s.appendS("a", "b", "c")
    f = ktn(TypeEnum.KF)
    f.kF().extend([0.5, 1.5, 2.5])
    names = ktn(TypeEnum.KS)
    names.appendS("x", "s", "f")
    _call(c, "{`uploaded set x}", xt(xd(names, kk(x, s, f))))


def send_big(c):
    z = ktn(TypeEnum.KJ, 2_000_000)
    return _call(c, "{count x}", z).aJ()


def close(c):
    c[1].close() if hasattr(c[1], "close") else None
