//! Iterators: each `'`, over `/`, scan `\`, each-prior `':`, each-right `/:`, each-left `\:`.

use crate::atomic::{collapse, items};
use crate::interp::Interp;
use fq_value::{Adverb, QError, QResult, QType, Value, Vector};

pub(crate) fn item_list(v: &Value) -> QResult<Vec<Value>> {
    match v {
        Value::Dict(d) => items(&d.values).ok_or(QError::Type),
        Value::Table(_) => {
            let n = v.count();
            (0..n).map(|i| crate::prims::index::index1(v, &Value::Long(i as i64))).collect()
        }
        a if a.is_atom() => Ok(vec![a.clone()]),
        _ => items(v).ok_or(QError::Type),
    }
}

/// Apply a derived function to its arguments.
pub fn apply_derived(
    i: &mut Interp,
    adverb: Adverb,
    f: &Value,
    args: Vec<Value>,
) -> QResult<Value> {
    if !f.qtype().is_function() && !matches!(f, Value::Symbol(_)) {
        match (adverb, args.len()) {
            (Adverb::Each, _) => return case(f, args),
            (Adverb::EachRight, 1) => return crate::prims::list::sv(i, f.clone(), one(args)),
            (Adverb::EachLeft, 1) => return crate::prims::list::vs(i, f.clone(), one(args)),
            _ => {}
        }
    }
    match adverb {
        Adverb::Each => each(i, f, args),
        Adverb::Over => over_scan(i, f, args, false),
        Adverb::Scan => over_scan(i, f, args, true),
        // `f':` of a unary `f` is each-parallel; of a binary, each-prior.
        Adverb::EachPrior if args.len() == 1 && i.valence(f) == 1 => {
            crate::parallel::peach(i, f, one(args))
        }
        Adverb::EachPrior => prior(i, f, args),
        Adverb::EachRight => {
            let [x, y] = two(args)?;
            let ys = item_list(&y)?;
            let out: QResult<Vec<Value>> =
                ys.into_iter().map(|b| i.apply(f, vec![x.clone(), b])).collect();
            Ok(keep_dict(&y, collapse(out?)))
        }
        Adverb::EachLeft => {
            let [x, y] = two(args)?;
            let xs = item_list(&x)?;
            let out: QResult<Vec<Value>> =
                xs.into_iter().map(|a| i.apply(f, vec![a, y.clone()])).collect();
            Ok(keep_dict(&x, collapse(out?)))
        }
    }
}

/// An iterator applied as a function: `'[f;g]` composes; `/[f]`, `'[f]`... derive.
pub fn apply_iterator(code: u8, args: Vec<Value>) -> QResult<Value> {
    let adverb = Adverb::from_qtype(fq_value::QType(106 + i16::from(code))).ok_or(QError::Type)?;
    match (adverb, args.len()) {
        (_, 1) => {
            let function = args.into_iter().next().unwrap_or(fq_value::GENERIC_NULL);
            Ok(Value::Derived(std::sync::Arc::new(fq_value::Derived { adverb, function })))
        }
        (Adverb::Each, 2) => Ok(Value::Composition(std::sync::Arc::new(args))),
        _ => Err(QError::Rank),
    }
}

fn one(args: Vec<Value>) -> Value {
    args.into_iter().next().unwrap_or(fq_value::GENERIC_NULL)
}

/// Case: `0 1 0'[a;b]` picks item `k` of argument `int[k]`; atoms repeat; dictionaries
/// must share their keys.
fn case(f: &Value, args: Vec<Value>) -> QResult<Value> {
    let sel = match f {
        Value::Vector(v) => crate::convert::vector_i64(v).ok_or(QError::Type)?,
        a if a.is_atom() => vec![crate::convert::atom_i64(a).ok_or(QError::Type)?],
        _ => return Err(QError::Type),
    };
    let n = sel.len();
    let mut keys: Option<&Value> = None;
    let mut cols: Vec<Option<Vec<Value>>> = Vec::with_capacity(args.len());
    for a in &args {
        if let Value::Dict(d) = a {
            match keys {
                Some(k) if k != &d.keys => {
                    return Err(if k.count() == d.keys.count() {
                        QError::Domain
                    } else {
                        QError::Length
                    });
                }
                _ => keys = Some(&d.keys),
            }
        }
        if a.list_len().is_none() {
            cols.push(None);
        } else {
            let xs = item_list(a)?;
            if xs.len() != n {
                return Err(QError::Length);
            }
            cols.push(Some(xs));
        }
    }
    let mut out = Vec::with_capacity(n);
    for (k, &s) in sel.iter().enumerate() {
        let j = usize::try_from(s).map_err(|_| QError::Index)?;
        let a = args.get(j).ok_or(QError::Index)?;
        out.push(match &cols[j] {
            Some(xs) => xs[k].clone(),
            None => a.clone(),
        });
    }
    Ok(collapse(out))
}

/// How many arguments data takes when iterated: a matrix indexes at depth 2.
fn data_valence(f: &Value) -> usize {
    match f {
        Value::List(l) if l.items().first().is_some_and(|x| x.list_len().is_some()) => 2,
        _ => 1,
    }
}

fn two(args: Vec<Value>) -> QResult<[Value; 2]> {
    <[Value; 2]>::try_from(args).map_err(|_| QError::Rank)
}

pub(crate) fn keep_dict(src: &Value, out: Value) -> Value {
    match src {
        Value::Dict(d) => Value::dict(d.keys.clone(), out.clone()).unwrap_or(out),
        _ => out,
    }
}

fn each(i: &mut Interp, f: &Value, args: Vec<Value>) -> QResult<Value> {
    if args.len() == 1 {
        let x = &args[0];
        if x.list_len().is_none() {
            return i.apply(f, args);
        }
        let xs = item_list(x)?;
        let out: QResult<Vec<Value>> = xs.into_iter().map(|a| i.apply(f, vec![a])).collect();
        return Ok(keep_dict(x, collapse(out?)));
    }
    // Each-both: atoms extend, lists must conform.
    let n = args.iter().filter_map(Value::list_len).next();
    let Some(n) = n else { return i.apply(f, args) };
    let lists: Vec<Option<Vec<Value>>> = args
        .iter()
        .map(|a| if a.list_len().is_none() { Ok(None) } else { item_list(a).map(Some) })
        .collect::<QResult<_>>()?;
    if lists.iter().flatten().any(|l| l.len() != n) {
        return Err(QError::Length);
    }
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let a: Vec<Value> = args
            .iter()
            .zip(&lists)
            .map(|(x, l)| match l {
                Some(l) => l[k].clone(),
                None => x.clone(),
            })
            .collect();
        out.push(i.apply(f, a)?);
    }
    Ok(collapse(out))
}

fn over_scan(i: &mut Interp, f: &Value, args: Vec<Value>, scan: bool) -> QResult<Value> {
    if let (true, Value::Vector(b), [Value::Float(a), Value::Vector(c)]) = (scan, f, &args[..]) {
        if b.ty() == QType::FLOAT && c.ty() == QType::FLOAT {
            return linear_recurrence(*a, b, c);
        }
    }
    let valence = match f {
        // Iterating an ambivalent derived function (`(,/)over x`) uses it as a unary.
        Value::Derived(d)
            if args.len() == 1
                && matches!(d.adverb, Adverb::Over | Adverb::Scan | Adverb::EachPrior) =>
        {
            1
        }
        _ if !f.qtype().is_function() && !matches!(f, Value::Symbol(_)) => data_valence(f),
        _ => i.valence(f),
    };
    if valence == 1 {
        return unary_iterate(i, f, args, scan);
    }
    match args.len() {
        1 => {
            // Reduce.
            let x = &args[0];
            if let (Some(fast), false) = (fast_reduce(i, f, x)?, scan) {
                return Ok(fast);
            }
            let xs = item_list(x)?;
            let mut it = xs.into_iter();
            let Some(mut acc) = it.next() else {
                // Data gives an empty list of its own type.
                return if f.qtype().is_function() {
                    Ok(empty_reduce(f))
                } else {
                    crate::prims::list::take_n(f, 0)
                };
            };
            if scan && matches!(f, Value::Binary(12)) {
                // `,` has identity `()`: the first item of `(,\)x` is `(),first x`.
                acc = crate::prims::list::join(i, Value::list(vec![]), acc)?;
            }
            let mut out = vec![acc.clone()];
            for b in it {
                acc = i.apply(f, vec![acc, b])?;
                if scan {
                    out.push(acc.clone());
                }
            }
            Ok(if scan { keep_dict(x, collapse(out)) } else { acc })
        }
        2 => {
            let [seed, x] = two(args)?;
            let xs = item_list(&x)?;
            let mut acc = seed;
            let mut out = Vec::with_capacity(xs.len());
            for b in xs {
                acc = i.apply(f, vec![acc, b])?;
                if scan {
                    out.push(acc.clone());
                }
            }
            Ok(if scan { collapse(out) } else { acc })
        }
        n if n == valence && n > 2 => {
            // Multi-argument over: the first is the seed, the rest conform.
            let seed = args[0].clone();
            let lists: Vec<Option<Vec<Value>>> = args[1..]
                .iter()
                .map(|a| if a.list_len().is_none() { Ok(None) } else { item_list(a).map(Some) })
                .collect::<QResult<_>>()?;
            let len = lists.iter().flatten().map(Vec::len).max().unwrap_or(0);
            if lists.iter().flatten().any(|l| l.len() != len) {
                return Err(QError::Length);
            }
            let mut acc = seed;
            let mut out = Vec::new();
            for k in 0..len {
                let mut a = vec![acc];
                for (l, x) in lists.iter().zip(&args[1..]) {
                    a.push(match l {
                        Some(l) => l[k].clone(),
                        None => x.clone(),
                    });
                }
                acc = i.apply(f, a)?;
                if scan {
                    out.push(acc.clone());
                }
            }
            Ok(if scan { collapse(out) } else { acc })
        }
        _ => Err(QError::Rank),
    }
}

/// `a b\c` for a float `a` and float vectors `b`, `c`: kdb+'s built-in for `{z+x*y}\[a;b;c]`,
/// each item `c[i]+b[i]*` the previous (`a` before the first).
fn linear_recurrence(a: f64, b: &Vector, c: &Vector) -> QResult<Value> {
    if b.len() != c.len() {
        return Err(QError::Length);
    }
    let mut acc = a;
    let out: Vec<f64> = b
        .as_slice::<f64>()
        .iter()
        .zip(c.as_slice::<f64>())
        .map(|(m, k)| {
            acc = k + acc * m;
            acc
        })
        .collect();
    Ok(Value::Vector(Vector::from_vec(QType::FLOAT, out)))
}

/// `+/` (or `+\`) of an empty list is the identity of `+`; without a known identity
/// the result is the empty list `()`.
fn empty_reduce(f: &Value) -> Value {
    match f {
        Value::Binary(1) => Value::Long(0),
        Value::Binary(3) => Value::Long(1),
        _ => Value::list(vec![]),
    }
}

/// Reductions with a kernel: `+/ */ |/ &/` on vectors.
fn fast_reduce(i: &mut Interp, f: &Value, x: &Value) -> QResult<Option<Value>> {
    if !matches!(x, Value::Vector(_)) {
        return Ok(None);
    }
    Ok(match f {
        Value::Binary(1) => Some(crate::prims::math::sum(i, x.clone())?),
        Value::Binary(3) => Some(crate::prims::math::prd(i, x.clone())?),
        Value::Binary(6) => Some(crate::prims::math::max(i, x.clone())?),
        Value::Binary(5) => Some(crate::prims::math::min(i, x.clone())?),
        _ => None,
    })
}

/// Unary over/scan: converge, do (`n f/x`) or while (`cond f/x`).
fn unary_iterate(i: &mut Interp, f: &Value, args: Vec<Value>, scan: bool) -> QResult<Value> {
    match args.len() {
        1 => {
            // Converge: until the result matches the previous one or the first.
            let first = args.into_iter().next().unwrap_or(fq_value::GENERIC_NULL);
            let mut prev = first.clone();
            let mut out = vec![first.clone()];
            loop {
                i.tick()?;
                let next = i.apply(f, vec![prev.clone()])?;
                if next == prev || next == first {
                    break;
                }
                if scan {
                    out.push(next.clone());
                }
                prev = next;
            }
            Ok(if scan { collapse(out) } else { prev })
        }
        2 => {
            let [n, x] = two(args)?;
            let mut acc = x;
            let mut out = vec![acc.clone()];
            if let Some(count) = crate::convert::atom_i64(&n) {
                for _ in 0..count.max(0) {
                    i.tick()?;
                    acc = i.apply(f, vec![acc])?;
                    if scan {
                        out.push(acc.clone());
                    }
                }
            } else {
                loop {
                    i.tick()?;
                    let c = i.apply(&n, vec![acc.clone()])?;
                    if !crate::interp::truthy(&c)? {
                        break;
                    }
                    acc = i.apply(f, vec![acc])?;
                    if scan {
                        out.push(acc.clone());
                    }
                }
            }
            Ok(if scan { collapse(out) } else { acc })
        }
        _ => Err(QError::Rank),
    }
}

fn prior(i: &mut Interp, f: &Value, args: Vec<Value>) -> QResult<Value> {
    let (seed, x) = match args.len() {
        1 => (None, args.into_iter().next().unwrap_or(fq_value::GENERIC_NULL)),
        2 => {
            let [s, x] = two(args)?;
            (Some(s), x)
        }
        _ => return Err(QError::Rank),
    };
    let xs = item_list(&x)?;
    let mut out = Vec::with_capacity(xs.len());
    for k in 0..xs.len() {
        let prev = if k == 0 {
            match &seed {
                Some(s) => s.clone(),
                None => {
                    // Without a seed the first item pairs with the null of its type
                    // (for `-':` this keeps the first item).
                    match f {
                        // Operators with an identity (`+ - * ,`) keep the first item.
                        Value::Binary(1 | 2 | 3 | 12) => {
                            out.push(xs[0].clone());
                            continue;
                        }
                        _ => fq_value::Value::null_of(xs[0].qtype())
                            .unwrap_or(fq_value::GENERIC_NULL),
                    }
                }
            }
        } else {
            xs[k - 1].clone()
        };
        out.push(i.apply(f, vec![xs[k].clone(), prev])?);
    }
    Ok(keep_dict(&x, collapse(out)))
}
