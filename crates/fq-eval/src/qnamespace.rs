//! The `.q` namespace (KX ref: key, funsql): the keywords kdb+ defines in q itself, by
//! name, in q.k's order. `.q` is a dictionary (`` ` `` ↦ `::` first, as every namespace),
//! `` .q`name `` and `.q.name` are the keyword's value, and `.q?f` names a primitive
//! (`` .q?(~:) `` is `` `not ``). Names ferroq does not implement are left out.

use crate::prims;
use fq_value::{Sym, Value, Vector, GENERIC_NULL};

/// q.k's names in the order kdb+ 4.x lists them (`key`.q`).
static NAMES: &[&str] = &[
    "neg",
    "not",
    "null",
    "string",
    "reciprocal",
    "floor",
    "ceiling",
    "signum",
    "mod",
    "xbar",
    "xlog",
    "and",
    "or",
    "each",
    "scan",
    "over",
    "prior",
    "mmu",
    "lsq",
    "inv",
    "md5",
    "ltime",
    "gtime",
    "count",
    "first",
    "var",
    "dev",
    "svar",
    "sdev",
    "scov",
    "med",
    "all",
    "any",
    "rand",
    "sums",
    "prds",
    "mins",
    "maxs",
    "fills",
    "deltas",
    "ratios",
    "avgs",
    "differ",
    "prev",
    "next",
    "rank",
    "reverse",
    "iasc",
    "idesc",
    "asc",
    "desc",
    "msum",
    "mcount",
    "mavg",
    "mdev",
    "xrank",
    "mmin",
    "mmax",
    "xprev",
    "rotate",
    "ema",
    "distinct",
    "group",
    "where",
    "flip",
    "type",
    "key",
    "til",
    "get",
    "value",
    "attr",
    "cut",
    "set",
    "upsert",
    "raze",
    "union",
    "inter",
    "except",
    "cross",
    "sv",
    "vs",
    "sublist",
    "read0",
    "read1",
    "hopen",
    "hclose",
    "hdel",
    "hsym",
    "hcount",
    "peach",
    "system",
    "ltrim",
    "rtrim",
    "trim",
    "lower",
    "upper",
    "ssr",
    "view",
    "tables",
    "views",
    "cols",
    "xcols",
    "keys",
    "xkey",
    "xcol",
    "xasc",
    "xdesc",
    "fkeys",
    "meta",
    "lj",
    "ljf",
    "pj",
    "aj",
    "aj0",
    "ajf",
    "ajf0",
    "ij",
    "ijf",
    "uj",
    "ujf",
    "ww",
    "wj",
    "wj1",
    "fby",
    "xgroup",
    "ungroup",
    "ej",
    "save",
    "load",
    "rsave",
    "rload",
    "dsave",
    "show",
    "csv",
    "parse",
    "eval",
    "reval",
];

/// The names ferroq implements, with their values.
fn entries() -> impl Iterator<Item = (&'static str, Value)> {
    NAMES.iter().filter_map(|&n| Some((n, name_value(n)?)))
}

fn name_value(n: &str) -> Option<Value> {
    match n {
        "csv" => Some(Value::Char(b',')),
        _ => prims::keyword(n),
    }
}

/// The `.q` dictionary.
fn dict() -> Value {
    let mut keys = vec![Sym::EMPTY];
    let mut vals = vec![GENERIC_NULL];
    for (n, v) in entries() {
        keys.push(Sym::new(n));
        vals.push(v);
    }
    Value::dict(Value::Vector(Vector::syms(&keys)), Value::list(vals)).unwrap_or(GENERIC_NULL)
}

/// The value of `.q` or `.q.name`, if `s` is one ferroq defines.
pub fn var(s: Sym) -> Option<Value> {
    let name = s.as_bytes();
    if name == b".q" {
        return Some(dict());
    }
    let n = std::str::from_utf8(name.strip_prefix(b".q.")?).ok()?;
    NAMES.contains(&n).then(|| name_value(n)).flatten()
}
