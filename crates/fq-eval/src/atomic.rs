//! Implicit iteration of atomic functions over lists, dictionaries and tables.

use fq_value::{QError, QResult, Table, Value, Vector};
use std::sync::Arc;

/// True for atoms and typed vectors: what the typed kernels take directly.
pub fn is_simple(v: &Value) -> bool {
    matches!(v, Value::Vector(_)) || (v.is_atom() && !matches!(v, Value::Enum(_)))
}

/// Items of a list-like value as values (vectors split into atoms).
pub fn items(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::List(l) => Some(l.items().to_vec()),
        Value::Vector(vec) => Some((0..vec.len()).filter_map(|i| vec.get(i)).collect()),
        _ => None,
    }
}

/// Turn a list of results into a vector when every item is an atom of one type, as q
/// does for the results of iteration.
pub fn collapse(items: Vec<Value>) -> Value {
    let Some(first) = items.first() else { return Value::list(items) };
    if let Value::Dict(d0) = first {
        // Dictionaries with the same symbol keys make a table.
        if let Value::Vector(k) = &d0.keys {
            if k.ty() == fq_value::QType::SYMBOL
                && items.iter().all(|v| matches!(v, Value::Dict(d) if d.keys == d0.keys))
            {
                if let Some(t) = dicts_to_table(k, &items) {
                    return t;
                }
            }
        }
        return Value::list(items);
    }
    let t = first.qtype();
    if !t.is_base_atom() || items.iter().any(|v| v.qtype() != t) {
        return Value::list(items);
    }
    crate::convert::atoms_to_vector(t.vector(), &items).unwrap_or_else(|| Value::list(items))
}

fn dicts_to_table(keys: &Vector, rows: &[Value]) -> Option<Value> {
    let ncols = keys.len();
    let mut cols: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); ncols];
    for r in rows {
        let Value::Dict(d) = r else { return None };
        let vals = items(&d.values)?;
        for (c, v) in cols.iter_mut().zip(vals) {
            c.push(v);
        }
    }
    let cols: Vec<Value> = cols.into_iter().map(collapse).collect();
    Table::new(keys.clone(), cols).ok().map(|t| Value::Table(Arc::new(t)))
}

/// Apply a binary atomic function with q's implicit iteration.
pub fn atomic2(
    a: &Value,
    b: &Value,
    f: &dyn Fn(&Value, &Value) -> QResult<Value>,
) -> QResult<Value> {
    if is_simple(a) && is_simple(b) {
        return f(a, b);
    }
    // Enumerations compute as their symbols.
    if let Value::Enum(e) = a {
        return atomic2(&e.resolve()?, b, f);
    }
    if let Value::Enum(e) = b {
        return atomic2(a, &e.resolve()?, f);
    }
    match (a, b) {
        (Value::Dict(d), _) if !matches!(b, Value::Dict(_)) => {
            if d.is_keyed_table() {
                let v = atomic2(&d.values, b, f)?;
                return Value::dict(d.keys.clone(), v);
            }
            let v = atomic2(&d.values, b, f)?;
            Value::dict(d.keys.clone(), v)
        }
        (_, Value::Dict(d)) if !matches!(a, Value::Dict(_)) => {
            let v = atomic2(a, &d.values, f)?;
            Value::dict(d.keys.clone(), v)
        }
        (Value::Dict(x), Value::Dict(y)) if x.is_keyed_table() && y.is_keyed_table() => {
            crate::prims::table::keyed_pair(x, y, f)
        }
        (Value::Dict(x), Value::Dict(y)) => dict_dict(x, y, f),
        (Value::Table(t), _) if !matches!(b, Value::Table(_)) => {
            let cols: QResult<Vec<Value>> = t.columns().iter().map(|c| atomic2(c, b, f)).collect();
            Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
        }
        (_, Value::Table(t)) if !matches!(a, Value::Table(_)) => {
            let cols: QResult<Vec<Value>> = t.columns().iter().map(|c| atomic2(a, c, f)).collect();
            Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
        }
        (Value::Table(x), Value::Table(y)) => {
            if x.columns().len() != y.columns().len() {
                return Err(QError::Length);
            }
            let cols: QResult<Vec<Value>> =
                x.columns().iter().zip(y.columns()).map(|(c, d)| atomic2(c, d, f)).collect();
            Ok(Value::Table(Arc::new(Table::new(x.names().clone(), cols?)?)))
        }
        _ => {
            let (xa, xb) = (items(a), items(b));
            let out: Vec<Value> = match (xa, xb) {
                (Some(xs), Some(ys)) => {
                    if xs.len() != ys.len() {
                        return Err(QError::Length);
                    }
                    xs.iter().zip(&ys).map(|(x, y)| atomic2(x, y, f)).collect::<QResult<_>>()?
                }
                (Some(xs), None) => xs.iter().map(|x| atomic2(x, b, f)).collect::<QResult<_>>()?,
                (None, Some(ys)) => ys.iter().map(|y| atomic2(a, y, f)).collect::<QResult<_>>()?,
                (None, None) => return Err(QError::Type),
            };
            Ok(collapse(out))
        }
    }
}

fn dict_dict(
    x: &fq_value::Dict,
    y: &fq_value::Dict,
    f: &dyn Fn(&Value, &Value) -> QResult<Value>,
) -> QResult<Value> {
    // Upsert semantics: common keys combine, others carry over.
    let (xk, yk) = (items(&x.keys).ok_or(QError::Type)?, items(&y.keys).ok_or(QError::Type)?);
    let (xv, yv) = (items(&x.values).ok_or(QError::Type)?, items(&y.values).ok_or(QError::Type)?);
    let mut keys = xk.clone();
    let mut vals = xv;
    for (k, v) in yk.iter().zip(yv) {
        match xk.iter().position(|e| e == k) {
            Some(i) => vals[i] = atomic2(&vals[i], &v, f)?,
            None => {
                keys.push(k.clone());
                vals.push(v);
            }
        }
    }
    Value::dict(collapse(keys), collapse(vals))
}

/// Apply a unary atomic function with implicit iteration.
pub fn atomic1(a: &Value, f: &dyn Fn(&Value) -> QResult<Value>) -> QResult<Value> {
    if is_simple(a) {
        return f(a);
    }
    match a {
        Value::Enum(e) => atomic1(&e.resolve()?, f),
        Value::Dict(d) => Value::dict(d.keys.clone(), atomic1(&d.values, f)?),
        Value::Table(t) => {
            let cols: QResult<Vec<Value>> = t.columns().iter().map(|c| atomic1(c, f)).collect();
            Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
        }
        Value::List(l) => {
            let out: QResult<Vec<Value>> = l.items().iter().map(|x| atomic1(x, f)).collect();
            Ok(collapse(out?))
        }
        _ => Err(QError::Type),
    }
}

/// An empty vector of an atom's type, or an empty list.
pub fn empty_like(t: fq_value::QType) -> Value {
    if t.vector().is_base_vector() {
        Value::Vector(Vector::empty(t.vector()))
    } else {
        Value::list(vec![])
    }
}
