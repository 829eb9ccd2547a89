//! Attributes: `` `s#x `` `` `u#x `` `` `p#x `` `` `g#x `` and `` `#x ``, the checks that
//! decide whether data qualifies for one, which results keep one, and the step lookup of
//! sorted dictionaries.
//!
//! Attributes are descriptive: setting one checks the data (`'s-fail`, `'u-fail`), and an
//! operation keeps it only while it still holds. As in kdb+, `` `s# `` set on (or cleared
//! from) data that is already sorted changes the object in place, so every name holding it
//! sees the change; the other attributes copy.

use super::compare::sym_cmp;
use super::index::index1;
use super::list::list_cmp;
use crate::atomic::items;
use fq_value::{Attr, Dict, Enumeration, QError, QResult, Sym, Table, Value, Vector};
use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

fn fail(name: &str) -> QError {
    QError::Signal(Arc::from(name))
}

/// The attribute a symbol names: `` ` `` none, `` `s`u`p`g ``; anything else is `'domain`.
fn attr_named(s: Sym) -> QResult<Attr> {
    Ok(match s.as_bytes() {
        b"" => Attr::None,
        b"s" => Attr::Sorted,
        b"u" => Attr::Unique,
        b"p" => Attr::Parted,
        b"g" => Attr::Grouped,
        _ => return Err(QError::Domain),
    })
}

/// `` a#y `` where `a` is a symbol: set (or with `` ` `` remove) an attribute.
pub fn set_attribute(a: Sym, y: Value) -> QResult<Value> {
    let attr = attr_named(a)?;
    match y {
        Value::Vector(v) => {
            let ok = match attr {
                Attr::None | Attr::Grouped => true,
                Attr::Sorted => vector_sorted(&v),
                Attr::Unique => vector_unique(&v),
                Attr::Parted => vector_parted(&v),
            };
            if !ok {
                return Err(fail(if attr == Attr::Sorted { "s-fail" } else { "u-fail" }));
            }
            Ok(Value::Vector(apply_vector(v, attr)))
        }
        Value::List(l) => {
            let its = l.items();
            match attr {
                Attr::Sorted if !its.windows(2).all(|w| list_cmp(&w[0], &w[1]).is_le()) => {
                    Err(fail("s-fail"))
                }
                Attr::Unique if !list_unique(its) => Err(fail("u-fail")),
                Attr::Parted | Attr::Grouped => Err(QError::Type),
                Attr::None | Attr::Sorted if matches!(l.attr(), Attr::None | Attr::Sorted) => {
                    l.set_attr_shared(attr);
                    Ok(Value::List(l))
                }
                _ => Ok(Value::List(l.with_attr(attr))),
            }
        }
        Value::Enum(e) if e.ty.code() > 0 => {
            let ok = match attr {
                Attr::None | Attr::Grouped => true,
                Attr::Sorted => match e.resolve()? {
                    Value::Vector(s) => vector_sorted(&s),
                    _ => false,
                },
                Attr::Unique => vector_unique(&e.indices),
                Attr::Parted => vector_parted(&e.indices),
            };
            if !ok {
                return Err(fail(if attr == Attr::Sorted { "s-fail" } else { "u-fail" }));
            }
            let indices = apply_vector(e.indices.clone(), attr);
            Ok(Value::Enum(Arc::new(Enumeration { indices, ..e.as_ref().clone() })))
        }
        Value::Dict(d) => match attr {
            Attr::Sorted if d.is_keyed_table() => {
                // The key table is marked in place; its columns keep their attributes.
                let Value::Table(k) = &d.keys else { return Err(QError::Type) };
                if !table_sorted(k) {
                    return Err(fail("s-fail"));
                }
                k.set_attr_shared(Attr::Sorted);
                let keys = Value::Table(Arc::new(k.as_ref().clone().with_attr(Attr::Sorted)));
                Ok(Value::Dict(Arc::new(Dict::new(keys, d.values.clone())?.with_attr(attr))))
            }
            Attr::Sorted | Attr::None => {
                let keys = set_attribute(a, d.keys.clone())?;
                Ok(Value::Dict(Arc::new(Dict::new(keys, d.values.clone())?.with_attr(attr))))
            }
            Attr::Unique if !d.is_keyed_table() => {
                let keys = set_attribute(a, d.keys.clone())?;
                Ok(Value::Dict(Arc::new(Dict::new(keys, d.values.clone())?)))
            }
            _ => Err(QError::Type),
        },
        Value::Table(t) => match attr {
            Attr::Sorted => {
                if !table_sorted(&t) {
                    return Err(fail("s-fail"));
                }
                // The table itself is marked in place (kdb+ copies only its outer object);
                // the result's first column is parted.
                t.set_attr_shared(Attr::Sorted);
                let mut out = t.as_ref().clone();
                if let Some(c) = out.columns_mut().first_mut() {
                    if let Value::Vector(v) = c {
                        *c = Value::Vector(v.clone().with_attr(Attr::Parted));
                    }
                }
                Ok(Value::Table(Arc::new(out.with_attr(Attr::Sorted))))
            }
            Attr::None => {
                if t.attr() == Attr::Sorted {
                    t.set_attr_shared(Attr::None);
                }
                Ok(Value::Table(Arc::new(t.as_ref().clone().with_attr(Attr::None))))
            }
            _ => Err(QError::Type),
        },
        _ => Err(QError::Type),
    }
}

/// Set a checked attribute on a vector: `s#` and `` `# `` on sorted data in place, the
/// others on a copy.
fn apply_vector(v: Vector, attr: Attr) -> Vector {
    let cur = v.attr();
    if cur == attr {
        return v;
    }
    if matches!(attr, Attr::None | Attr::Sorted) && matches!(cur, Attr::None | Attr::Sorted) {
        v.set_attr_shared(attr);
        return v;
    }
    v.with_attr(attr)
}

/// Mark a value that is known to be sorted with `` `s# `` in place (as `asc` does when
/// its argument is already in order). Other values are returned unchanged.
pub fn mark_sorted_in_place(v: &Value) {
    match v {
        Value::Vector(x) if x.attr() == Attr::None => x.set_attr_shared(Attr::Sorted),
        Value::List(l) if l.attr() == Attr::None => l.set_attr_shared(Attr::Sorted),
        _ => {}
    }
}

/// True when each adjacent pair of a typed vector satisfies `ok` under q's sort order
/// (nulls first, symbols by name).
fn adjacent(v: &Vector, ok: impl Fn(Ordering) -> bool) -> bool {
    macro_rules! win {
        ($t:ty, $cmp:expr) => {
            v.as_slice::<$t>().windows(2).all(|w| ok($cmp(&w[0], &w[1])))
        };
    }
    let fl = |a: f64, b: f64| match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    };
    match v.ty().code() {
        1 | 4 | 10 => win!(u8, |a: &u8, b: &u8| a.cmp(b)),
        2 => win!([u8; 16], |a: &[u8; 16], b: &[u8; 16]| a.cmp(b)),
        5 => win!(i16, |a: &i16, b: &i16| a.cmp(b)),
        6 | 13 | 14 | 17 | 18 | 19 => win!(i32, |a: &i32, b: &i32| a.cmp(b)),
        7 | 12 | 16 => win!(i64, |a: &i64, b: &i64| a.cmp(b)),
        8 => win!(f32, |a: &f32, b: &f32| fl(f64::from(*a), f64::from(*b))),
        9 | 15 => win!(f64, |a: &f64, b: &f64| fl(*a, *b)),
        11 => win!(Sym, |a: &Sym, b: &Sym| sym_cmp(*a, *b)),
        _ => false,
    }
}

/// True when a typed vector is in ascending order.
pub fn vector_sorted(v: &Vector) -> bool {
    if v.attr() == Attr::Sorted || v.cache_get::<fq_value::KnownAscending>().is_some() {
        return true;
    }
    match v.ty().code() {
        7 | 12 | 16 => ascending(v.as_slice::<i64>()),
        6 | 13 | 14 | 17 | 18 | 19 => ascending(v.as_slice::<i32>()),
        _ => adjacent(v, Ordering::is_le),
    }
}

/// Integers in ascending order, checked a block at a time without early exits inside a
/// block (so the compiler vectorises it).
fn ascending<T: Copy + PartialOrd>(xs: &[T]) -> bool {
    if xs.len() < 2 {
        return true;
    }
    let pairs = xs.len() - 1;
    let mut start = 0;
    while start < pairs {
        let end = (start + 4096).min(pairs);
        let ok = xs[start..end]
            .iter()
            .zip(&xs[start + 1..end + 1])
            .fold(true, |acc, (a, b)| acc & (a <= b));
        if !ok {
            return false;
        }
        start = end;
    }
    true
}

/// Each item of a typed vector as a 128-bit key: equal items (under `~`) give equal keys.
fn elem_keys(v: &Vector) -> Vec<u128> {
    let norm = |f: f64| -> u128 {
        if f.is_nan() {
            u128::from(f64::NAN.to_bits())
        } else if f == 0.0 {
            0
        } else {
            u128::from(f.to_bits())
        }
    };
    match v.ty().code() {
        2 => v.as_slice::<[u8; 16]>().iter().map(|g| u128::from_be_bytes(*g)).collect(),
        8 => v.as_slice::<f32>().iter().map(|&f| norm(f64::from(f))).collect(),
        9 | 15 => v.as_slice::<f64>().iter().map(|&f| norm(f)).collect(),
        _ => {
            let size = v.elem_size();
            v.as_bytes()
                .chunks_exact(size)
                .map(|c| {
                    let mut b = [0u8; 16];
                    b[..size].copy_from_slice(c);
                    u128::from_le_bytes(b)
                })
                .collect()
        }
    }
}

/// True when no two items of a typed vector are the same.
pub fn vector_unique(v: &Vector) -> bool {
    if v.attr() == Attr::Unique {
        return true;
    }
    let keys = elem_keys(v);
    let mut seen = HashSet::with_capacity(keys.len());
    keys.into_iter().all(|k| seen.insert(k))
}

/// True when equal items of a typed vector are adjacent.
pub fn vector_parted(v: &Vector) -> bool {
    let keys = elem_keys(v);
    let mut seen = HashSet::new();
    let mut prev = None;
    for k in keys {
        if prev != Some(k) {
            if !seen.insert(k) {
                return false;
            }
            prev = Some(k);
        }
    }
    true
}

fn list_unique(its: &[Value]) -> bool {
    let mut sorted: Vec<&Value> = its.iter().collect();
    sorted.sort_by(|a, b| list_cmp(a, b));
    sorted.windows(2).all(|w| *w[0] != *w[1])
}

/// One row of a table as a list of its fields.
fn row(t: &Table, i: usize) -> Vec<Value> {
    t.columns()
        .iter()
        .map(|c| index1(c, &Value::Long(i as i64)).unwrap_or(Value::Unary(0)))
        .collect()
}

fn rows_cmp(a: &[Value], b: &[Value]) -> Ordering {
    for (p, q) in a.iter().zip(b) {
        let o = list_cmp(p, q);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// True when a table's rows are in ascending order (by the first column, ties by the
/// next...).
fn table_sorted(t: &Table) -> bool {
    if t.attr() == Attr::Sorted {
        return true;
    }
    (1..t.rows()).all(|i| rows_cmp(&row(t, i - 1), &row(t, i)).is_le())
}

/// The position a step dictionary's keys give `key`: the last key not above it, `None`
/// when `key` is below the first.
pub fn step_find(keys: &Value, key: &Value) -> Option<usize> {
    let n = keys.count();
    let at = |p: usize| -> Ordering {
        match keys {
            Value::Table(t) => {
                let target = match items(key) {
                    Some(v) if t.columns().len() > 1 => v,
                    _ => vec![key.clone()],
                };
                rows_cmp(&row(t, p), &target)
            }
            k => match index1(k, &Value::Long(p as i64)) {
                Ok(item) => list_cmp(&item, key),
                Err(_) => Ordering::Greater,
            },
        }
    };
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at(mid).is_le() {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo.checked_sub(1)
}

/// The attribute `old` keeps when `add` is appended to it in place (`old,add` without a
/// copy), as [`join_attr`] decides for `,` but checking only the new items: `s#` while the
/// items stay in order (old's last to add's end), `g#` always, `p#` never. `None` for
/// `u#`, whose check needs every item (the caller then joins by the general path).
pub fn append_attr(old: &Vector, add: &Vector) -> Option<Attr> {
    match old.attr() {
        Attr::None | Attr::Parted => Some(Attr::None),
        Attr::Grouped => Some(Attr::Grouped),
        Attr::Sorted => {
            let edge = match old.len().checked_sub(1).and_then(|k| old.slice(k, 1)) {
                Some(last) => {
                    let mut e = last.with_attr(Attr::None);
                    e.extend_from(add);
                    e
                }
                None => add.clone(),
            };
            Some(if adjacent(&edge, Ordering::is_le) { Attr::Sorted } else { Attr::None })
        }
        Attr::Unique => None,
    }
}

/// The attribute `x,y` keeps from `x`: `s` while still sorted, `u` while still unique,
/// `g` always; `p` is lost.
pub fn join_attr(x: &Value, joined: &Value) -> Attr {
    let Value::Vector(j) = joined else { return Attr::None };
    match x.attr() {
        Attr::Sorted if adjacent(j, Ordering::is_le) => Attr::Sorted,
        Attr::Unique if vector_unique(&j.clone().with_attr(Attr::None)) => Attr::Unique,
        Attr::Grouped => Attr::Grouped,
        _ => Attr::None,
    }
}
