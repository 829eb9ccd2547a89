//! Names and codes of primitive functions (types 101 unary and 102 operator).
//!
//! Codes 0–19 follow the glyph order `:+-*%&|^=<>$,#_~!?@.`: operator code `i` is the
//! glyph; unary code `i` is its monadic form (`#:` count, `-:` neg). Codes 20–41 are k's
//! named primitives in kdb+'s order (pinned by real kdb+ bytes: operator 28 is `insert`,
//! unary 28 is `max`). Keywords kdb+ defines in q itself are ferroq natives from code 64;
//! they travel over IPC with these codes, which only ferroq understands.

use std::borrow::Cow;

/// The glyphs of codes 0–19.
pub const GLYPHS: &[u8; 20] = b":+-*%&|^=<>$,#_~!?@.";

/// kdb+'s unary primitives 23–41 (20–22 are `0::` `1::` `2::`).
const KDB_UNARY: [&str; 19] = [
    "avg", "last", "sum", "prd", "min", "max", "abs", "sqrt", "log", "exp", "sin", "asin", "cos",
    "acos", "tan", "atan", "exit", "getenv", "enlist",
];

/// kdb+'s operators 23–36 (20–22 are `0:` `1:` `2:`).
const KDB_BINARY: [&str; 14] = [
    "in", "within", "like", "bin", "ss", "insert", "wsum", "wavg", "div", "xexp", "setenv", "binr",
    "cov", "cor",
];

/// Keyword names of the glyph monads 1–19.
const GLYPH_MONAD_KEYWORDS: [&str; 19] = [
    "flip",
    "neg",
    "first",
    "reciprocal",
    "where",
    "reverse",
    "null",
    "group",
    "iasc",
    "idesc",
    "string",
    "",
    "count",
    "floor",
    "not",
    "key",
    "distinct",
    "type",
    "value",
];

/// ferroq's native unary keywords, codes 64 onward.
const NATIVE_UNARY: [&str; 51] = [
    "til", "sums", "prds", "mins", "maxs", "deltas", "ratios", "fills", "prev", "next", "asc",
    "desc", "rank", "differ", "all", "any", "med", "var", "dev", "svar", "sdev", "lower", "upper",
    "trim", "ltrim", "rtrim", "cols", "raze", "attr", "inv", "keys", "get", "ceiling", "parse",
    "eval", "show", "tables", "system", "hcount", "signum", "meta", "md5", "hopen", "hclose",
    "read0", "read1", "ungroup", "avgs", "gtime", "view", "views",
];

/// ferroq's native operators, codes 64 onward.
const NATIVE_BINARY: [&str; 56] = [
    "<>", "<=", ">=", "mod", "except", "inter", "union", "cross", "xlog", "set", "each", "over",
    "scan", "prior", "sv", "vs", "cut", "sublist", "rotate", "xbar", "xprev", "mavg", "msum",
    "mmin", "mmax", "mdev", "mcount", "ema", "xrank", "upsert", "xcol", "xcols", "xkey", "xasc",
    "xdesc", "peach", "scov", "ssr", "lj", "ij", "uj", "pj", "aj", "fby", "xgroup", "ljf", "ijf",
    "ujf", "ej", "aj0", "ajf", "ajf0", "asof", "wj", "wj1", "mmu",
];

/// First native code.
pub const NATIVE_BASE: u8 = 64;

/// How a unary primitive displays: `::`, `-:`, `0::`, `max`, `til`.
pub fn unary_name(c: u8) -> Cow<'static, str> {
    match c {
        0..=19 => Cow::Owned(format!("{}:", char::from(GLYPHS[usize::from(c)]))),
        20..=22 => Cow::Owned(format!("{}::", c - 20)),
        23..=41 => Cow::Borrowed(KDB_UNARY[usize::from(c - 23)]),
        c if c >= NATIVE_BASE && usize::from(c - NATIVE_BASE) < NATIVE_UNARY.len() => {
            Cow::Borrowed(NATIVE_UNARY[usize::from(c - NATIVE_BASE)])
        }
        _ => Cow::Owned(format!("unary#{c}")),
    }
}

/// How an operator displays: `+`, `:`, `0:`, `insert`, `mod`.
pub fn binary_name(c: u8) -> Cow<'static, str> {
    match c {
        0..=19 => Cow::Owned(char::from(GLYPHS[usize::from(c)]).to_string()),
        20..=22 => Cow::Owned(format!("{}:", c - 20)),
        23..=36 => Cow::Borrowed(KDB_BINARY[usize::from(c - 23)]),
        c if c >= NATIVE_BASE && usize::from(c - NATIVE_BASE) < NATIVE_BINARY.len() => {
            Cow::Borrowed(NATIVE_BINARY[usize::from(c - NATIVE_BASE)])
        }
        _ => Cow::Owned(format!("binary#{c}")),
    }
}

/// The unary code of a keyword (`count` → 13, `sum` → 25, `til` → 64).
pub fn unary_code(name: &str) -> Option<u8> {
    if let Some(i) = GLYPH_MONAD_KEYWORDS.iter().position(|&k| k == name && !k.is_empty()) {
        return Some(i as u8 + 1);
    }
    if let Some(i) = KDB_UNARY.iter().position(|&k| k == name) {
        return Some(i as u8 + 23);
    }
    NATIVE_UNARY.iter().position(|&k| k == name).map(|i| i as u8 + NATIVE_BASE)
}

/// The operator code of a keyword or glyph (`+` → 1, `in` → 23, `mod` → 67, `0:` → 20).
pub fn binary_code(name: &str) -> Option<u8> {
    if name.len() == 1 {
        if let Some(i) = GLYPHS.iter().position(|&g| g == name.as_bytes()[0]) {
            return Some(i as u8);
        }
    }
    match name {
        "0:" => return Some(20),
        "1:" => return Some(21),
        "2:" => return Some(22),
        _ => {}
    }
    if let Some(i) = KDB_BINARY.iter().position(|&k| k == name) {
        return Some(i as u8 + 23);
    }
    NATIVE_BINARY.iter().position(|&k| k == name).map(|i| i as u8 + NATIVE_BASE)
}

/// Every unary keyword with its code.
pub fn unary_keywords() -> impl Iterator<Item = (&'static str, u8)> {
    let glyphs = GLYPH_MONAD_KEYWORDS
        .iter()
        .enumerate()
        .filter(|(_, k)| !k.is_empty())
        .map(|(i, &k)| (k, i as u8 + 1));
    let kdb = KDB_UNARY.iter().enumerate().map(|(i, &k)| (k, i as u8 + 23));
    let native = NATIVE_UNARY.iter().enumerate().map(|(i, &k)| (k, i as u8 + NATIVE_BASE));
    glyphs.chain(kdb).chain(native)
}

/// Every operator keyword (alphabetic names only) with its code.
pub fn binary_keywords() -> impl Iterator<Item = (&'static str, u8)> {
    let kdb = KDB_BINARY.iter().enumerate().map(|(i, &k)| (k, i as u8 + 23));
    let native = NATIVE_BINARY.iter().enumerate().map(|(i, &k)| (k, i as u8 + NATIVE_BASE));
    kdb.chain(native).filter(|(k, _)| k.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_agree() {
        assert_eq!(unary_code("count"), Some(13));
        assert_eq!(unary_name(13), "#:");
        assert_eq!(unary_code("max"), Some(28));
        assert_eq!(binary_code("insert"), Some(28));
        assert_eq!(binary_code("+"), Some(1));
        assert_eq!(binary_code("0:"), Some(20));
        for (k, c) in unary_keywords() {
            assert_eq!(unary_code(k), Some(c), "{k}");
            if c >= 20 {
                assert_eq!(unary_name(c), k);
            }
        }
        for (k, c) in binary_keywords() {
            assert_eq!(binary_code(k), Some(c), "{k}");
            assert_eq!(binary_name(c), k);
        }
        assert_eq!(binary_name(64), "<>");
        assert_eq!(binary_code("<>"), Some(64));
        assert_eq!(unary_name(200), "unary#200");
    }
}
