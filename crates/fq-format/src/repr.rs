//! `-3!x` (`.Q.s1`): the one-line form of any value.
//!
//! Output is written left to right into an [`Out`] with a byte cap; once the cap is
//! reached writers stop early, so what is produced is always a prefix of the full text.
//! The console uses this to format a million-item vector in time proportional to the
//! screen width.

use crate::func;
use crate::item::{push_guid, push_raw_bytes, with_atom, Items, Style};
use crate::Ctx;
use fq_value::{Attr, Dict, Enumeration, QType, Sym, Table, Value, Vector};

/// A string being built, with a soft length cap.
pub(crate) struct Out {
    /// The text so far.
    pub(crate) s: String,
    /// Writers stop once `s` is at least this long.
    pub(crate) cap: usize,
}

impl Out {
    /// An empty output with a cap (`usize::MAX` for none).
    pub(crate) fn new(cap: usize) -> Out {
        Out { s: String::new(), cap }
    }
    /// True once the cap is reached.
    pub(crate) fn full(&self) -> bool {
        self.s.len() >= self.cap
    }
    fn push_str(&mut self, t: &str) {
        self.s.push_str(t);
    }
    fn push(&mut self, c: char) {
        self.s.push(c);
    }
}

/// The `-3!` text of `v`, stopping once `cap` bytes are written.
pub(crate) fn repr_capped(v: &Value, ctx: &Ctx, cap: usize) -> String {
    let mut o = Out::new(cap);
    write(&mut o, v, ctx);
    o.s
}

/// Write the `-3!` form of `v`.
pub(crate) fn write(o: &mut Out, v: &Value, ctx: &Ctx) {
    if o.full() {
        return;
    }
    match v {
        Value::Vector(vec) => write_vector(o, vec, ctx),
        Value::List(l) => write_list(o, l.items(), l.attr(), ctx),
        Value::Enum(e) => write_enum(o, e, ctx),
        Value::Dict(d) => write_dict(o, d, ctx),
        Value::Table(t) => write_table(o, t, ctx),
        Value::Lambda(l) => o.push_str(&l.source_text()),
        Value::Unary(c) => o.push_str(&func::unary(*c)),
        Value::Binary(c) => o.push_str(&func::binary(*c)),
        Value::Iterator(c) => o.push_str(&func::iterator(*c)),
        Value::Projection(parts) => write_projection(o, parts, ctx),
        Value::Composition(parts) => write_composition(o, parts, ctx),
        Value::Derived(d) => {
            // A composition is bracketed so that the iterator applies to all of it.
            let paren = matches!(d.function, Value::Composition(_));
            if paren {
                o.push('(');
            }
            write(o, &d.function, ctx);
            if paren {
                o.push(')');
            }
            o.push_str(d.adverb.glyph());
        }
        atom => {
            let _ = with_atom(atom, |it| write_items(o, it, ctx));
        }
    }
}

/// `` `s# `` and friends.
fn write_attr(o: &mut Out, attr: Attr) {
    if let Some(c) = attr.letter() {
        o.push('`');
        o.push(c);
        o.push('#');
    }
}

/// A typed vector: `1 2 3`, `,1`, `` `long$() ``, `"abc"`, `` `s#1 2 3 ``.
pub(crate) fn write_vector(o: &mut Out, v: &Vector, ctx: &Ctx) {
    write_attr(o, v.attr());
    let Some(items) = Items::of(v) else { return };
    match items.len() {
        0 => write_empty(o, v.ty()),
        1 => {
            o.push(',');
            write_items(o, &items, ctx);
        }
        _ => write_items(o, &items, ctx),
    }
}

/// The empty vector of a type: `` `long$() ``, `""` for char.
fn write_empty(o: &mut Out, ty: QType) {
    if ty == QType::CHAR {
        o.push_str("\"\"");
    } else {
        o.push('`');
        o.push_str(ty.name());
        o.push_str("$()");
    }
}

/// The items of an atom or of a non-empty vector, with the type's decoration.
fn write_items(o: &mut Out, it: &Items<'_>, ctx: &Ctx) {
    let n = it.len();
    match it {
        Items::Bool(_) => {
            for i in 0..n {
                if o.full() {
                    return;
                }
                it.push(i, &mut o.s, Style::Show, ctx);
            }
            o.push('b');
        }
        Items::Byte(_) => {
            o.push_str("0x");
            for i in 0..n {
                if o.full() {
                    return;
                }
                it.push(i, &mut o.s, Style::Show, ctx);
            }
        }
        Items::Char(s) => {
            o.push('"');
            push_escaped(o, s);
            if !o.full() {
                o.push('"');
            }
        }
        Items::Sym(s) => fq_value::sym::with_names(|names| {
            for sym in s.iter() {
                if o.full() {
                    return;
                }
                o.push('`');
                let bytes = names.get(sym.id() as usize).copied().unwrap_or(b"");
                push_raw_bytes(&mut o.s, bytes);
            }
        }),
        Items::Guid(g) => {
            for (i, x) in g.iter().enumerate() {
                if o.full() {
                    return;
                }
                if i > 0 {
                    o.push(' ');
                }
                push_guid(&mut o.s, x);
            }
        }
        _ => write_spaced(o, it, ctx),
    }
}

/// Space-separated numeric or temporal items, then the type suffix q needs to read the
/// text back as the same type.
fn write_spaced(o: &mut Out, it: &Items<'_>, ctx: &Ctx) {
    let mut all_special = true;
    let mut float_marked = false;
    for i in 0..it.len() {
        if o.full() {
            return;
        }
        if i > 0 {
            o.push(' ');
        }
        let start = o.s.len();
        let special = it.push(i, &mut o.s, Style::Show, ctx);
        all_special &= special;
        if let Items::Float(_) = it {
            float_marked |= o.s.as_bytes()[start..].iter().any(|b| b".enw".contains(b));
        }
    }
    let suffix = match it.ty() {
        // Always: the digits alone would read as a long (or a float, for months).
        QType::SHORT => Some('h'),
        QType::INT => Some('i'),
        QType::REAL => Some('e'),
        QType::MONTH => Some('m'),
        // Never: long is the default integral type.
        QType::LONG => None,
        // Only when no item shows a point, exponent or 0n/0w.
        QType::FLOAT => (!float_marked).then_some('f'),
        // The temporal forms identify themselves; only nulls and infinities need the letter.
        t => all_special.then(|| t.letter()),
    };
    if let Some(c) = suffix {
        o.push(c);
    }
}

/// Escape a string's bytes as q prints them between double quotes.
fn push_escaped(o: &mut Out, bytes: &[u8]) {
    let mut i = 0;
    while i < bytes.len() {
        if o.full() {
            return;
        }
        let b = bytes[i];
        match b {
            b'"' => o.push_str("\\\""),
            b'\\' => o.push_str("\\\\"),
            b'\n' => o.push_str("\\n"),
            b'\r' => o.push_str("\\r"),
            b'\t' => o.push_str("\\t"),
            0..=31 | 127 => {
                let _ = std::fmt::Write::write_fmt(&mut o.s, format_args!("\\{b:03o}"));
            }
            32..=126 => o.push(char::from(b)),
            _ => {
                // A run of non-ASCII bytes goes through as text.
                let end = bytes[i..].iter().position(|&c| c < 128).map_or(bytes.len(), |p| i + p);
                push_raw_bytes(&mut o.s, &bytes[i..end]);
                i = end;
                continue;
            }
        }
        i += 1;
    }
}

/// A general list: `(1;`a)`, `,x` for one item, `()` for none.
fn write_list(o: &mut Out, items: &[Value], attr: Attr, ctx: &Ctx) {
    write_attr(o, attr);
    match items {
        [] => o.push_str("()"),
        [x] => {
            o.push(',');
            write(o, x, ctx);
        }
        _ => {
            o.push('(');
            for (i, x) in items.iter().enumerate() {
                if o.full() {
                    return;
                }
                if i > 0 {
                    o.push(';');
                }
                write(o, x, ctx);
            }
            o.push(')');
        }
    }
}

/// An enumeration: `` `sym$`a`b ``, `` `sym$,`a ``, `` `sym$`a ``.
fn write_enum(o: &mut Out, e: &Enumeration, ctx: &Ctx) {
    write_attr(o, e.indices.attr());
    o.push('`');
    push_raw_bytes(&mut o.s, e.domain_name.as_bytes());
    if !e.is_symbolic() {
        // A foreign key into a table keyed by another type shows its row indices.
        o.push('!');
        write(o, &enum_indices(e), ctx);
        return;
    }
    o.push('$');
    // kdb+ shows the attribute again on the symbols.
    write_attr(o, e.indices.attr());
    let syms = resolve_lossy(e);
    let items = Items::Sym(&syms);
    if e.ty.code() < 0 {
        write_items(o, &items, ctx);
        return;
    }
    match syms.len() {
        0 => write_empty(o, QType::SYMBOL),
        1 => {
            o.push(',');
            write_items(o, &items, ctx);
        }
        _ => write_items(o, &items, ctx),
    }
}

/// An enumeration's indices as a long atom or vector (how an enumeration over a domain
/// that is not a symbol list shows).
pub(crate) fn enum_indices(e: &Enumeration) -> Value {
    if e.ty.code() < 0 {
        return e.indices.get(0).unwrap_or(Value::Long(i64::MIN));
    }
    Value::Vector(e.indices.clone())
}

/// The symbols of an enumeration; indices outside the domain show as the null symbol.
pub(crate) fn resolve_lossy(e: &Enumeration) -> Vec<Sym> {
    let domain = e.domain.get();
    let dom = domain.try_slice::<Sym>().unwrap_or(&[]);
    let idx = e.indices.try_slice::<i64>().unwrap_or(&[]);
    idx.iter()
        .map(|&i| usize::try_from(i).ok().and_then(|i| dom.get(i)).copied().unwrap_or(Sym::EMPTY))
        .collect()
}

/// True when the left side of `!` must be bracketed to read back: anything that is not a
/// plain vector of two or more items, a general list of other than one item, or an atom.
fn key_needs_parens(keys: &Value) -> bool {
    match keys {
        Value::Vector(v) => v.len() < 2,
        Value::List(l) => l.len() == 1 || l.attr() != Attr::None,
        Value::Enum(_) | Value::Dict(_) | Value::Table(_) => true,
        v => v.qtype().is_function(),
    }
}

/// A dictionary: `` `a`b!1 2 ``, `(,`a)!,1`; a keyed table `(+(,`k)!,1 2)!+(,`v)!,3 4`.
fn write_dict(o: &mut Out, d: &Dict, ctx: &Ctx) {
    let paren = d.is_keyed_table() || key_needs_parens(&d.keys);
    if paren {
        o.push('(');
    }
    write(o, &d.keys, ctx);
    if paren {
        o.push(')');
    }
    o.push('!');
    write(o, &d.values, ctx);
}

/// A table: the flip of its column dictionary, `+`a`b!(1 2;3 4)`, `+(,`a)!,1 2`.
fn write_table(o: &mut Out, t: &Table, ctx: &Ctx) {
    write_attr(o, t.attr());
    o.push('+');
    let names = t.names();
    let paren = names.len() < 2;
    if paren {
        o.push('(');
    }
    write_vector(o, names, ctx);
    if paren {
        o.push(')');
    }
    o.push('!');
    write_list(o, t.columns(), Attr::None, ctx);
}

/// A projection: the function, then its arguments in brackets with elided ones empty:
/// `{x+y}[3]`, `$["b"]`, `.[;();:;]`.
fn write_projection(o: &mut Out, parts: &[Value], ctx: &Ctx) {
    let Some((f, args)) = parts.split_first() else { return };
    write(o, f, ctx);
    o.push('[');
    for (i, a) in args.iter().enumerate() {
        if o.full() {
            return;
        }
        if i > 0 {
            o.push(';');
        }
        if !a.is_generic_null() {
            write(o, a, ctx);
        }
    }
    o.push(']');
}

/// A composition: its functions side by side, every unary glyph but the last without its
/// colon, as q shows `rank` (`<<:`), `ceiling` (`-_-:`) and `any` (`max$["b"]`).
fn write_composition(o: &mut Out, parts: &[Value], ctx: &Ctx) {
    let last = parts.len().saturating_sub(1);
    for (i, p) in parts.iter().enumerate() {
        match p {
            Value::Unary(c @ 1..=19) if i < last => o.push(func::glyph(*c)),
            _ => write(o, p, ctx),
        }
    }
}
