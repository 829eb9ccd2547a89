//! Display names of primitives by their kdb+ byte code (types 101, 102, 103).
//!
//! Codes 0..=19 follow the glyph order `:+-*%&|^=<>$,#_~!?@.`: operator (102) code `i` is
//! the glyph, unary (101) code `i` is the glyph with a colon (`-:` is `neg`, `~:` is `not`,
//! `@:` is `type`; code 0 is `::`). Higher codes are k's named primitives; their order
//! follows kdb+'s reserved-word list (`.Q.res` in q.k 2.x) and is pinned by two facts from
//! real kdb+ bytes: `insert` is operator 28 (`insert[1]` in the qPython fixtures) and `any`
//! is the composition of unary 28 with `$["b"]` (it displays as `max$["b"]`).

use std::borrow::Cow;

/// The glyph of code `c` (< 20).
pub(crate) fn glyph(c: u8) -> char {
    char::from(fq_value::prim::GLYPHS[usize::from(c)])
}

/// How a unary primitive (type 101) displays: `::`, `-:`, `0::`, `max`, `enlist`.
pub(crate) fn unary(c: u8) -> Cow<'static, str> {
    fq_value::prim::unary_name(c)
}

/// How an operator (type 102) displays: `+`, `:`, `0:`, `insert`.
pub(crate) fn binary(c: u8) -> Cow<'static, str> {
    fq_value::prim::binary_name(c)
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
