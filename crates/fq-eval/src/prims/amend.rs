//! Amend and trap: `@[x;i;f]`, `@[x;i;f;y]`, `.[x;i;f;y]`, `x[i]:y`, `x[i]+:y`, and the
//! protected-evaluation forms `@[f;x;h]`, `.[f;args;h]`.

use super::index::{find_key, index1};
use crate::atomic::{collapse, items};
use crate::convert::atom_i64;
use crate::interp::Interp;
use fq_value::{QError, QResult, Table, Value, GENERIC_NULL};
use std::sync::Arc;

fn is_data(v: &Value) -> bool {
    matches!(v, Value::Vector(_) | Value::List(_) | Value::Dict(_) | Value::Table(_)) || v.is_atom()
}

/// Replace the item at `k` (a key or position) of `target` with `new`.
fn set_at(target: Value, k: &Value, new: Value) -> QResult<Value> {
    match target {
        Value::Vector(mut v) => {
            let p = atom_i64(k).ok_or(QError::Type)?;
            if p < 0 || p as usize >= v.len() {
                return Err(QError::Index);
            }
            let p = p as usize;
            if new.qtype() == v.ty().atom() {
                write_atom(&mut v, p, &new);
                return Ok(Value::Vector(v));
            }
            // A typed vector's item cannot become a list. (An atom of another type is let
            // through: qSQL's update writes a column's new type item by item this way.)
            if !new.is_atom() {
                return Err(QError::Type);
            }
            let mut its = items(&Value::Vector(v)).ok_or(QError::Type)?;
            its[p] = new;
            Ok(collapse(its))
        }
        Value::List(mut l) => {
            let p = atom_i64(k).ok_or(QError::Type)?;
            if p < 0 || p as usize >= l.len() {
                return Err(QError::Index);
            }
            l.make_mut()[p as usize] = new;
            Ok(collapse(l.items().to_vec()))
        }
        Value::Dict(d) => {
            let mut keys = items(&d.keys).ok_or(QError::Type)?;
            let mut vals = items(&d.values).ok_or(QError::Type)?;
            match find_key(&d.keys, k) {
                Some(p) => vals[p] = new,
                None => {
                    keys.push(k.clone());
                    vals.push(new);
                }
            }
            Value::dict(collapse(keys), collapse(vals))
        }
        Value::Table(t) => {
            let Value::Symbol(s) = k else { return Err(QError::Type) };
            let mut t = Arc::unwrap_or_clone(t);
            let names = t.names().clone();
            match names.as_slice::<fq_value::Sym>().iter().position(|n| n == s) {
                Some(p) => {
                    t.columns_mut()[p] = new;
                    Ok(Value::Table(Arc::new(Table::new(names, t.columns().to_vec())?)))
                }
                None => {
                    let mut ns = names.as_slice::<fq_value::Sym>().to_vec();
                    ns.push(*s);
                    let mut cols = t.columns().to_vec();
                    cols.push(new);
                    Ok(Value::Table(Arc::new(Table::new(fq_value::Vector::syms(&ns), cols)?)))
                }
            }
        }
        _ => Err(QError::Type),
    }
}

fn write_atom(v: &mut fq_value::Vector, p: usize, a: &Value) {
    match a {
        Value::Bool(b) => v.make_mut::<u8>()[p] = u8::from(*b),
        Value::Byte(x) | Value::Char(x) => v.make_mut::<u8>()[p] = *x,
        Value::Guid(g) => v.make_mut::<[u8; 16]>()[p] = **g,
        Value::Short(x) => v.make_mut::<i16>()[p] = *x,
        Value::Int(x)
        | Value::Month(x)
        | Value::Date(x)
        | Value::Minute(x)
        | Value::Second(x)
        | Value::Time(x) => v.make_mut::<i32>()[p] = *x,
        Value::Long(x) | Value::Timestamp(x) | Value::Timespan(x) => v.make_mut::<i64>()[p] = *x,
        Value::Real(x) => v.make_mut::<f32>()[p] = *x,
        Value::Float(x) | Value::Datetime(x) => v.make_mut::<f64>()[p] = *x,
        Value::Symbol(s) => v.make_mut::<fq_value::Sym>()[p] = *s,
        _ => {}
    }
}

/// Amend one level: `@[target; idx; f; y]` (`f` `None` means plain assignment of `y`).
pub fn amend1(
    i: &mut Interp,
    target: Value,
    idx: &Value,
    f: Option<&Value>,
    y: Option<&Value>,
) -> QResult<Value> {
    if idx.is_generic_null() {
        // Every item.
        let n = target.count();
        let all = Value::Vector(fq_value::Vector::longs(&(0..n as i64).collect::<Vec<_>>()));
        let keys = match &target {
            Value::Dict(d) => d.keys.clone(),
            _ => all,
        };
        return amend1(i, target, &keys, f, y);
    }
    let multi = !idx.is_atom();
    if !multi {
        let cur = index1(&target, idx)?;
        let new = combine(i, cur, f, y)?;
        return set_at(target, idx, new);
    }
    let idxs = items(idx).ok_or(QError::Type)?;
    let ys: Option<Vec<Value>> = match y {
        Some(yv) if !yv.is_atom() => {
            let v = items(yv).ok_or(QError::Type)?;
            if v.len() != idxs.len() {
                return Err(QError::Length);
            }
            Some(v)
        }
        _ => None,
    };
    let mut acc = target;
    for (n, k) in idxs.iter().enumerate() {
        let yk = match &ys {
            Some(v) => Some(&v[n]),
            None => y,
        };
        acc = amend1(i, acc, k, f, yk)?;
    }
    Ok(acc)
}

fn combine(i: &mut Interp, cur: Value, f: Option<&Value>, y: Option<&Value>) -> QResult<Value> {
    match (f, y) {
        (None, Some(y)) => Ok(y.clone()),
        (Some(Value::Binary(0)), Some(y)) => Ok(y.clone()),
        (Some(f), Some(y)) => i.apply(f, vec![cur, y.clone()]),
        (Some(f), None) => i.apply(f, vec![cur]),
        (None, None) => Ok(cur),
    }
}

/// Amend at depth: `.[target; (i;j;…); f; y]`.
pub fn amend_depth(
    i: &mut Interp,
    target: Value,
    path: &[Value],
    f: Option<&Value>,
    y: Option<&Value>,
) -> QResult<Value> {
    match path {
        [] => combine(i, target, f, y),
        [k] => amend1(i, target, k, f, y),
        [k, rest @ ..] => {
            if k.is_atom() {
                let cur = index1(&target, k)?;
                let new = amend_depth(i, cur, rest, f, y)?;
                set_at(target, k, new)
            } else {
                let ks = if k.is_generic_null() {
                    (0..target.count() as i64).map(Value::Long).collect()
                } else {
                    items(k).ok_or(QError::Type)?
                };
                // A non-atom y conforms to the index: one item per key.
                let ys = match y {
                    Some(yv) if !yv.is_atom() => {
                        let v = items(yv).ok_or(QError::Type)?;
                        if v.len() != ks.len() {
                            return Err(QError::Length);
                        }
                        Some(v)
                    }
                    _ => None,
                };
                let mut acc = target;
                for (n, kk) in ks.into_iter().enumerate() {
                    let cur = index1(&acc, &kk)?;
                    let yk = match &ys {
                        Some(v) => Some(&v[n]),
                        None => y,
                    };
                    let new = amend_depth(i, cur, rest, f, yk)?;
                    acc = set_at(acc, &kk, new)?;
                }
                Ok(acc)
            }
        }
    }
}

/// `x[i;j]:y` and `x[i]+:y`.
pub fn amend_indexed(
    i: &mut Interp,
    target: Value,
    idx: Vec<Option<Value>>,
    op: Option<&Value>,
    y: Value,
) -> QResult<Value> {
    let path: Vec<Value> = idx.into_iter().map(|v| v.unwrap_or(GENERIC_NULL)).collect();
    amend_depth(i, target, &path, op, Some(&y))
}

/// Resolve a symbol naming a global for in-place amends (`@[`x;…]`).
fn with_global(
    i: &mut Interp,
    x: &Value,
    f: impl FnOnce(&mut Interp, Value) -> QResult<Value>,
) -> QResult<Value> {
    if let Value::Symbol(s) = x {
        let cur =
            i.get(*s).cloned().ok_or_else(|| QError::Undefined(Arc::from(s.name().as_ref())))?;
        let new = f(i, cur)?;
        i.assign(*s, new)?;
        return Ok(x.clone());
    }
    f(i, x.clone())
}

fn error_text(e: &QError) -> Value {
    Value::string(e.text())
}

/// `@[x;i;f]`, `@[x;i;f;y]`, and trap `@[f;x;h]`.
pub fn at_variadic(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    match args.as_slice() {
        [x, a, h] if !is_data(x) && !matches!(x, Value::Symbol(_)) => {
            match i.apply(x, vec![a.clone()]) {
                Ok(v) => Ok(v),
                Err(e) if e.is_internal() => Err(e),
                Err(e) => handle(i, h, &e),
            }
        }
        [x, idx, f] => with_global(i, x, |i, t| amend1(i, t, idx, Some(f), None)),
        [x, idx, f, y] => with_global(i, x, |i, t| amend1(i, t, idx, Some(f), Some(y))),
        _ => Err(QError::Rank),
    }
}

fn handle(i: &mut Interp, h: &Value, e: &QError) -> QResult<Value> {
    match h {
        Value::Lambda(_)
        | Value::Projection(_)
        | Value::Unary(_)
        | Value::Binary(_)
        | Value::Composition(_)
        | Value::Derived(_) => i.apply(h, vec![error_text(e)]),
        other => Ok(other.clone()),
    }
}

/// `.[x;i;f]`, `.[x;i;f;y]`, and trap `.[f;args;h]`.
pub fn dot_variadic(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    match args.as_slice() {
        [x, a, h] if !is_data(x) && !matches!(x, Value::Symbol(_)) => {
            let r = super::index::dot(i, x.clone(), a.clone());
            match r {
                Ok(v) => Ok(v),
                Err(e) if e.is_internal() => Err(e),
                Err(e) => handle(i, h, &e),
            }
        }
        [x, idx, f] => {
            let path =
                if idx.is_atom() { vec![idx.clone()] } else { items(idx).ok_or(QError::Type)? };
            with_global(i, x, |i, t| amend_depth(i, t, &path, Some(f), None))
        }
        [x, idx, f, y] => {
            let path =
                if idx.is_atom() { vec![idx.clone()] } else { items(idx).ok_or(QError::Type)? };
            with_global(i, x, |i, t| amend_depth(i, t, &path, Some(f), Some(y)))
        }
        _ => Err(QError::Rank),
    }
}
