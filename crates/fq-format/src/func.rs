//! Display names of primitives by their kdb+ byte code (types 101, 102, 103).
//!
//! Codes 0..=19 follow the glyph order `:+-*%&|^=<>$,#_~!?@.`: operator (102) code `i` is
//! the glyph, unary (101) code `i` is the glyph with a colon (`-:` is `neg`, `~:` is `not`,
//! `@:` is `type`; code 0 is `::`). Higher codes are k's named primitives; their order
//! follows kdb+'s reserved-word list (`.Q.res` in q.k 2.x) and is pinned by two facts from
//! real kdb+ bytes: `insert` is operator 28 (`insert[1]` in the qPython fixtures) and `any`
//! is the composition of unary 28 with `$["b"]` (it displays as `max$["b"]`).

use std::borrow::Cow;

/// The glyphs of codes 0..=19.
const GLYPHS: &[u8; 20] = b":+-*%&|^=<>$,#_~!?@.";

/// Unary primitives 23..=41 (20..=22 are `0::` `1::` `2::`).
const UNARY_NAMES: [&str; 19] = [
    "avg", "last", "sum", "prd", "min", "max", "abs", "sqrt", "log", "exp", "sin", "asin", "cos",
    "acos", "tan", "atan", "exit", "getenv", "enlist",
];

/// Operators 23..=36 (20..=22 are `0:` `1:` `2:`).
const BINARY_NAMES: [&str; 14] = [
    "in", "within", "like", "bin", "ss", "insert", "wsum", "wavg", "div", "xexp", "setenv", "binr",
    "cov", "cor",
];

/// The glyph of code `c` (< 20).
pub(crate) fn glyph(c: u8) -> char {
    char::from(GLYPHS[usize::from(c)])
}

/// How a unary primitive (type 101) displays: `::`, `-:`, `0::`, `max`, `enlist`.
pub(crate) fn unary(c: u8) -> Cow<'static, str> {
    match c {
        0..=19 => Cow::Owned(format!("{}:", glyph(c))),
        20..=22 => Cow::Owned(format!("{}::", c - 20)),
        23..=41 => Cow::Borrowed(UNARY_NAMES[usize::from(c - 23)]),
        // Not a code this build knows: show it unambiguously rather than guess.
        _ => Cow::Owned(format!("unary#{c}")),
    }
}

/// How an operator (type 102) displays: `+`, `:`, `0:`, `insert`.
pub(crate) fn binary(c: u8) -> Cow<'static, str> {
    match c {
        0..=19 => Cow::Owned(glyph(c).to_string()),
        20..=22 => Cow::Owned(format!("{}:", c - 20)),
        23..=36 => Cow::Borrowed(BINARY_NAMES[usize::from(c - 23)]),
        _ => Cow::Owned(format!("binary#{c}")),
    }
}

/// How an iterator (type 103) displays: `'` `/` `\` `':` `/:` `\:`.
pub(crate) fn iterator(c: u8) -> Cow<'static, str> {
    match c {
        0 => Cow::Borrowed("'"),
        1 => Cow::Borrowed("/"),
        2 => Cow::Borrowed("\\"),
        3 => Cow::Borrowed("':"),
        4 => Cow::Borrowed("/:"),
        5 => Cow::Borrowed("\\:"),
        _ => Cow::Owned(format!("iterator#{c}")),
    }
}
