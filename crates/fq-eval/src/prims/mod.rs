//! The primitive table: every built-in function by code, with its name.
//!
//! Codes follow kdb+ where kdb+ has one (the glyphs `:+-*%&|^=<>$,#_~!?@.` are binary
//! codes 0–19 and their monadic forms unary codes 0–19, so `count` is `#:`, unary 13);
//! keywords kdb+ defines in q itself are native here, with codes from 64 up.

pub mod amend;
pub mod arith;
pub mod attrs;
pub mod cast;
pub mod compare;
pub mod index;
pub mod ipc;
pub mod joins;
pub mod list;
pub mod math;
pub mod table;

use crate::interp::Interp;
use arith::Op;
use compare::Cmp;
use fq_value::{prim, Adverb, QError, QResult, Sym, Value};

/// A unary primitive.
pub type UnaryFn = fn(&mut Interp, Value) -> QResult<Value>;
/// A binary primitive.
pub type BinaryFn = fn(&mut Interp, Value, Value) -> QResult<Value>;
/// A primitive taking three or more arguments.
pub type VariadicFn = fn(&mut Interp, Vec<Value>) -> QResult<Value>;

fn nyi1(_: &mut Interp, _: Value) -> QResult<Value> {
    Err(QError::Nyi)
}

fn nyi2(_: &mut Interp, _: Value, _: Value) -> QResult<Value> {
    Err(QError::Nyi)
}

/// Unary implementations by keyword (codes from `fq_value::prim`); `::` is code 0.
static UNARY_IMPLS: &[(&str, UnaryFn)] = &[
    ("flip", list::flip),
    ("neg", |_, x| arith::neg(&x)),
    ("first", list::first),
    ("reciprocal", math::reciprocal),
    ("where", list::where_),
    ("reverse", list::reverse),
    ("null", math::null),
    ("group", list::group),
    ("iasc", list::iasc),
    ("idesc", list::idesc),
    ("string", list::string),
    ("count", |_, x| Ok(Value::Long(x.count() as i64))),
    ("floor", math::floor),
    ("not", math::not),
    ("key", list::key),
    ("distinct", list::distinct),
    ("type", |_, x| Ok(Value::Short(x.qtype().code()))),
    ("value", list::value),
    ("avg", |i, x| per_column(i, x, math::avg)),
    ("last", list::last),
    ("sum", |i, x| per_column(i, x, math::sum)),
    ("prd", |i, x| per_column(i, x, math::prd)),
    ("min", |i, x| per_column(i, x, math::min)),
    ("max", |i, x| per_column(i, x, math::max)),
    ("abs", math::abs),
    ("sqrt", math::sqrt),
    ("log", math::log),
    ("exp", math::exp),
    ("sin", |_, x| math::float_fn(&x, f64::sin)),
    ("asin", |_, x| math::float_fn(&x, f64::asin)),
    ("cos", |_, x| math::float_fn(&x, f64::cos)),
    ("acos", |_, x| math::float_fn(&x, f64::acos)),
    ("tan", |_, x| math::float_fn(&x, f64::tan)),
    ("atan", |_, x| math::float_fn(&x, f64::atan)),
    ("exit", ipc::exit),
    ("getenv", list::getenv),
    ("hopen", ipc::hopen),
    ("hclose", ipc::hclose),
    ("enlist", list::enlist),
    ("til", list::til),
    ("sums", |i, x| per_column(i, x, math::sums)),
    ("prds", |i, x| per_column(i, x, math::prds)),
    ("mins", |i, x| per_column(i, x, math::mins)),
    ("maxs", |i, x| per_column(i, x, math::maxs)),
    ("deltas", |i, x| per_column(i, x, math::deltas)),
    ("ratios", |i, x| per_column(i, x, math::ratios)),
    ("fills", |i, x| per_column(i, x, math::fills)),
    ("prev", list::prev),
    ("next", list::next),
    ("asc", list::asc),
    ("desc", list::desc),
    ("rank", list::rank),
    ("differ", list::differ),
    ("all", |i, x| per_column(i, x, math::all)),
    ("any", |i, x| per_column(i, x, math::any)),
    ("med", math::med),
    ("avgs", |i, x| per_column(i, x, math::avgs)),
    ("var", |i, x| per_column(i, x, math::var)),
    ("dev", |i, x| per_column(i, x, math::dev)),
    ("svar", |i, x| per_column(i, x, math::svar)),
    ("sdev", |i, x| per_column(i, x, math::sdev)),
    ("lower", list::lower),
    ("upper", list::upper),
    ("trim", list::trim),
    ("ltrim", list::ltrim),
    ("rtrim", list::rtrim),
    ("cols", list::cols),
    ("raze", list::raze),
    ("attr", list::attr),
    ("inv", nyi1),
    ("keys", list::keys),
    ("get", list::value),
    ("ceiling", math::ceiling),
    ("parse", crate::ptree::parse),
    ("eval", crate::ptree::eval),
    ("show", list::show),
    ("tables", list::tables),
    ("view", |i, x| match x {
        Value::Symbol(s) => i.view_text(s).ok_or(QError::Type),
        _ => Err(QError::Type),
    }),
    ("views", |i, _| Ok(i.view_names())),
    ("system", list::system),
    ("hcount", nyi1),
    ("signum", math::signum),
    ("meta", table::meta),
    ("ungroup", table::ungroup),
    ("md5", nyi1),
    ("read0", crate::textio::read0),
    ("read1", crate::textio::read1),
    ("gtime", math::gtime),
];

/// Apply an aggregate or uniform function to each column of a table: aggregates give a
/// dictionary of column results, uniform functions a table (as q does: `sum t`, `sums t`).
fn per_column(i: &mut Interp, x: Value, f: UnaryFn) -> QResult<Value> {
    if let Value::Dict(d) = &x {
        if d.is_keyed_table() {
            // A keyed table: aggregates give a dictionary, uniform functions keep the keys.
            let r = per_column(i, d.values.clone(), f)?;
            return match r {
                Value::Table(_) => Value::dict(d.keys.clone(), r),
                r => Ok(r),
            };
        }
    }
    let Value::Table(t) = &x else { return f(i, x) };
    let mut out = Vec::with_capacity(t.columns().len());
    for c in t.columns() {
        out.push(f(i, c.clone())?);
    }
    if out.iter().all(Value::is_atom) {
        return Value::dict(Value::Vector(t.names().clone()), crate::atomic::collapse(out));
    }
    Ok(Value::Table(std::sync::Arc::new(fq_value::Table::new(t.names().clone(), out)?)))
}

/// Binary implementations by glyph or keyword, with their variadic forms.
type BinaryImpl = (&'static str, BinaryFn, Option<VariadicFn>);

static BINARY_IMPLS: &[BinaryImpl] = &[
    (":", |_, _, y| Ok(y), None),
    ("+", |_, x, y| arith::arith(Op::Add, &x, &y), None),
    ("-", |_, x, y| arith::arith(Op::Sub, &x, &y), None),
    ("*", |_, x, y| arith::arith(Op::Mul, &x, &y), None),
    ("%", |_, x, y| arith::divide(&x, &y), None),
    ("&", |_, x, y| arith::minmax(false, &x, &y), None),
    ("|", |_, x, y| arith::minmax(true, &x, &y), None),
    ("^", math::fill, None),
    ("=", |_, x, y| compare::compare(Cmp::Eq, &x, &y), None),
    ("<", |_, x, y| compare::compare(Cmp::Lt, &x, &y), None),
    (">", |_, x, y| compare::compare(Cmp::Gt, &x, &y), None),
    (
        "$",
        |i, x, y| match table::try_enumerate(i, &x, &y) {
            Some(r) => r,
            None => cast::cast(i, x, y),
        },
        Some(list::cond_variadic),
    ),
    (",", list::join, None),
    ("#", list::take, None),
    ("_", list::drop, None),
    ("~", |_, x, y| Ok(Value::Bool(x == y)), None),
    ("!", crate::dotq::bang, Some(|i, args| crate::ptree::functional_update(i, &args))),
    (
        "?",
        |i, x, y| match table::try_enum_extend(i, &x, &y) {
            Some(r) => r,
            None => list::find(i, x, y),
        },
        Some(|i, args| match args.first() {
            Some(Value::Table(_) | Value::Dict(_) | Value::Symbol(_)) if args.len() >= 3 => {
                crate::ptree::functional_select(i, &args)
            }
            _ => list::query_variadic(i, args),
        }),
    ),
    ("@", index::at, Some(amend::at_variadic)),
    (".", index::dot, Some(amend::dot_variadic)),
    ("0:", crate::textio::file_text, None),
    ("1:", crate::textio::file_binary, None),
    ("2:", nyi2, None),
    ("in", list::in_, None),
    ("within", list::within, None),
    ("like", list::like, None),
    ("bin", list::bin, None),
    ("ss", list::ss, None),
    ("insert", table::insert, None),
    ("wsum", math::wsum, None),
    ("wavg", math::wavg, None),
    ("div", |_, x, y| arith::moddiv(false, &x, &y), None),
    ("xexp", math::xexp, None),
    ("setenv", nyi2, None),
    ("binr", list::binr, None),
    ("cov", math::cov, None),
    ("cor", math::cor, None),
    ("<>", |_, x, y| compare::compare(Cmp::Ne, &x, &y), None),
    ("<=", |_, x, y| compare::compare(Cmp::Le, &x, &y), None),
    (">=", |_, x, y| compare::compare(Cmp::Ge, &x, &y), None),
    ("mod", |_, x, y| arith::moddiv(true, &x, &y), None),
    ("except", list::except, None),
    ("inter", list::inter, None),
    ("union", list::union, None),
    ("cross", list::cross, None),
    ("xlog", math::xlog, None),
    ("set", list::set, None),
    ("each", |i, f, x| crate::iter::apply_derived(i, Adverb::Each, &f, vec![x]), None),
    ("over", |i, f, x| crate::iter::apply_derived(i, Adverb::Over, &f, vec![x]), None),
    ("scan", |i, f, x| crate::iter::apply_derived(i, Adverb::Scan, &f, vec![x]), None),
    ("prior", |i, f, x| crate::iter::apply_derived(i, Adverb::EachPrior, &f, vec![x]), None),
    ("sv", list::sv, None),
    ("vs", list::vs, None),
    ("cut", list::cut, None),
    ("sublist", list::sublist, None),
    ("rotate", list::rotate, None),
    ("xbar", math::xbar, None),
    ("xprev", list::xprev, None),
    ("mavg", math::mavg, None),
    ("msum", math::msum, None),
    ("mmin", math::mmin, None),
    ("mmax", math::mmax, None),
    ("mdev", math::mdev, None),
    ("mcount", math::mcount, None),
    ("mmu", math::mmu, None),
    ("ema", math::ema, None),
    ("xrank", list::xrank, None),
    ("upsert", table::upsert, None),
    ("xcol", table::xcol, None),
    ("xcols", table::xcols, None),
    ("xkey", table::xkey, None),
    ("xasc", table::xasc, None),
    ("xdesc", table::xdesc, None),
    ("peach", |i, f, x| crate::parallel::peach(i, &f, x), None),
    ("scov", math::scov, None),
    ("ssr", nyi2, Some(list::ssr)),
    ("xgroup", table::xgroup, None),
    ("fby", table::fby, None),
    ("lj", joins::lj, None),
    ("ljf", joins::ljf, None),
    ("ij", joins::ij, None),
    ("ijf", joins::ijf, None),
    ("pj", joins::pj, None),
    ("uj", joins::uj, None),
    ("ujf", joins::ujf, None),
    ("ej", joins::needs_more, Some(joins::ej)),
    ("aj", joins::needs_more, Some(joins::aj)),
    ("aj0", joins::needs_more, Some(joins::aj0)),
    ("ajf", joins::needs_more, Some(joins::ajf)),
    ("ajf0", joins::needs_more, Some(joins::ajf0)),
    ("asof", joins::asof, None),
    ("wj", joins::needs_more, Some(joins::wj)),
    ("wj1", joins::needs_more, Some(joins::wj1)),
];

struct Tables {
    unary: [Option<UnaryFn>; 256],
    binary: [Option<BinaryFn>; 256],
    variadic: [Option<VariadicFn>; 256],
}

fn tables() -> &'static Tables {
    static T: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = Tables { unary: [None; 256], binary: [None; 256], variadic: [None; 256] };
        t.unary[0] = Some(|_, x| Ok(x));
        // `,:` is enlist too.
        t.unary[12] = Some(list::enlist);
        for (name, f) in UNARY_IMPLS {
            if let Some(c) = prim::unary_code(name) {
                t.unary[c as usize] = Some(*f);
            }
        }
        for (name, f, v) in BINARY_IMPLS {
            if let Some(c) = prim::binary_code(name) {
                t.binary[c as usize] = Some(*f);
                t.variadic[c as usize] = *v;
            }
        }
        t
    })
}

/// Call a unary primitive.
#[inline]
pub fn call_unary(i: &mut Interp, code: u8, x: Value) -> QResult<Value> {
    match tables().unary[code as usize] {
        Some(f) => f(i, x),
        None => Err(QError::Nyi),
    }
}

/// Call a binary primitive.
#[inline]
pub fn call_binary(i: &mut Interp, code: u8, x: Value, y: Value) -> QResult<Value> {
    match tables().binary[code as usize] {
        Some(f) => f(i, x, y),
        None => Err(QError::Nyi),
    }
}

/// Call a binary primitive with three or more arguments (`@`, `.`, `?`, `$` and `ssr`).
pub fn call_variadic(i: &mut Interp, code: u8, args: Vec<Value>) -> QResult<Value> {
    match tables().variadic[code as usize] {
        Some(f) => f(i, args),
        None => Err(QError::Rank),
    }
}

/// True when `code` is a unary primitive ferroq implements (compiled to a direct call).
pub fn is_native_unary(code: u8) -> bool {
    tables().unary[code as usize].is_some()
}

/// The value of a keyword (`count`, `sum`, `in`...), if `name` is one.
pub fn keyword(name: &str) -> Option<Value> {
    static MAP: std::sync::OnceLock<fq_value::hash::FxHashMap<&'static str, Value>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = fq_value::hash::FxHashMap::default();
        for (k, c) in prim::unary_keywords() {
            m.insert(k, Value::Unary(c));
        }
        for (k, c) in prim::binary_keywords() {
            m.insert(k, Value::Binary(c));
        }
        m.insert("and", Value::Binary(5));
        m.insert("or", Value::Binary(6));
        // Names q.k gives to k primitives: `get` is `value` (`.:`); `ltime` is `%:`, which
        // is local time on temporal arguments and reciprocal otherwise.
        m.insert("get", Value::Unary(19));
        m.insert("ltime", Value::Unary(4));
        m
    })
    .get(name)
    .cloned()
}

/// A glyph's binary code (`+` → 1), including `<>`, `<=`, `>=` and the IO verbs.
pub fn glyph_binary_code(g: &str) -> Option<u8> {
    prim::binary_code(g)
}

/// A glyph's monadic code (`#` → 13, count).
pub fn glyph_unary_code(g: &str) -> Option<u8> {
    if g.len() == 1 {
        return prim::GLYPHS.iter().position(|&c| c == g.as_bytes()[0]).map(|i| i as u8);
    }
    None
}

/// The glyph as a function value (binary).
pub fn glyph_binary(g: &str) -> Option<Value> {
    glyph_binary_code(g).map(Value::Binary)
}

/// The glyph's explicit monadic form (`#:`) as a value.
pub fn glyph_unary(g: &str) -> Option<Value> {
    glyph_unary_code(g).map(Value::Unary)
}

/// System variables computed on read: `.z.p`, `.z.d`...
pub fn system_var(i: &mut Interp, s: Sym) -> Option<Value> {
    crate::system::zvar(i, s)
        .or_else(|| crate::dotq::var(s))
        .or_else(|| crate::doth::var(s))
        .or_else(|| crate::qnamespace::var(s))
        .or_else(|| crate::dotfq::var(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_implementation_has_a_code() {
        for (name, _) in UNARY_IMPLS {
            assert!(prim::unary_code(name).is_some(), "unary {name}");
        }
        for (name, _, _) in BINARY_IMPLS {
            assert!(prim::binary_code(name).is_some(), "binary {name}");
        }
    }
}
