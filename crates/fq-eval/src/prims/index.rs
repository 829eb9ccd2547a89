//! Indexing and application: `x[i]`, `x@i`, `x . i`, with q's out-of-range nulls,
//! dictionary lookup, table rows and columns, and indexing at depth.

use crate::atomic::{collapse, items};
use crate::convert::{atom_i64, vector_i64};
use crate::interp::Interp;
use fq_value::{QError, QResult, QType, Sym, Table, Value, Vector, GENERIC_NULL};
use std::sync::Arc;

/// The null that indexing out of range gives for a list of this kind.
fn oob_null(v: &Value) -> Value {
    match v {
        Value::Vector(x) => Value::null_of(x.ty()).unwrap_or(GENERIC_NULL),
        Value::List(l) => match l.items().first() {
            Some(a) if a.is_atom() => Value::null_of(a.qtype()).unwrap_or(GENERIC_NULL),
            Some(Value::Vector(x)) => Value::Vector(Vector::empty(x.ty())),
            _ => GENERIC_NULL,
        },
        _ => GENERIC_NULL,
    }
}

/// Gather items of a vector at positions (nulls where out of range).
pub fn gather(v: &Vector, idx: &[i64]) -> Value {
    let n = v.len() as i64;
    macro_rules! g {
        ($t:ty, $null:expr) => {{
            let s = v.as_slice::<$t>();
            let at = |&i: &i64| if i >= 0 && i < n { s[i as usize] } else { $null };
            let out: Vec<$t> =
                crate::parallel::map_slice(idx, at).unwrap_or_else(|| idx.iter().map(at).collect());
            Vector::from_vec(v.ty(), out)
        }};
    }
    let out = match v.ty().code() {
        1 | 4 => g!(u8, 0),
        10 => g!(u8, b' '),
        2 => g!([u8; 16], [0; 16]),
        5 => g!(i16, i16::MIN),
        6 | 13 | 14 | 17 | 18 | 19 => g!(i32, i32::MIN),
        7 | 12 | 16 => g!(i64, i64::MIN),
        8 => g!(f32, fq_value::null::NULL_F32),
        9 | 15 => g!(f64, fq_value::null::NULL_F64),
        11 => g!(Sym, Sym::EMPTY),
        _ => return Value::list(vec![]),
    };
    Value::Vector(out)
}

/// Find `key` among `keys` (a list-like value): its position or `None`.
pub fn find_key(keys: &Value, key: &Value) -> Option<usize> {
    match (keys, key) {
        (Value::Vector(v), Value::Symbol(s)) if v.ty() == QType::SYMBOL => {
            v.as_slice::<Sym>().iter().position(|x| x == s)
        }
        (Value::Vector(v), k) if v.ty() == QType::LONG => {
            let k = atom_i64(k)?;
            v.as_slice::<i64>().iter().position(|&x| x == k)
        }
        (Value::Table(t), Value::Dict(d)) => {
            // A key-table row given as a dict.
            let n = t.rows();
            (0..n).find(|&i| {
                let row = row_dict(t, i);
                matches!(&row, Value::Dict(r) if r.values == d.values)
            })
        }
        (Value::Table(t), k) => {
            // A key-table row given as its values.
            let n = t.rows();
            let target = match items(k) {
                Some(v) if t.columns().len() > 1 => v,
                _ => vec![k.clone()],
            };
            (0..n).find(|&i| {
                t.columns()
                    .iter()
                    .zip(&target)
                    .all(|(c, want)| index1(c, &Value::Long(i as i64)).ok().as_ref() == Some(want))
            })
        }
        _ => items(keys)?.iter().position(|x| x == key),
    }
}

/// One row of a table as a dictionary.
pub fn row_dict(t: &Table, i: usize) -> Value {
    let vals: Vec<Value> = t
        .columns()
        .iter()
        .map(|c| index1(c, &Value::Long(i as i64)).unwrap_or(GENERIC_NULL))
        .collect();
    Value::dict(Value::Vector(t.names().clone()), collapse(vals)).unwrap_or(GENERIC_NULL)
}

/// Index one level: `v[i]` where `i` may be an atom, a vector, or a nested list of indices.
pub fn index1(v: &Value, i: &Value) -> QResult<Value> {
    if i.is_generic_null() {
        return Ok(v.clone());
    }
    match v {
        Value::Vector(x) => match i {
            Value::Vector(iv) if iv.ty() == QType::LONG => Ok(gather(x, iv.as_slice::<i64>())),
            Value::Vector(iv) => {
                let idx = vector_i64(iv).ok_or(QError::Type)?;
                Ok(gather(x, &idx))
            }
            Value::List(l) => {
                // A nested index can share sub-lists, so its expansion may be far larger
                // than the index itself: stop at the memory limit.
                if crate::limits::memory_over(1) {
                    return Err(QError::Wsfull);
                }
                let out: QResult<Vec<Value>> = l.items().iter().map(|j| index1(v, j)).collect();
                Ok(collapse(out?))
            }
            Value::Dict(d) => Value::dict(d.keys.clone(), index1(v, &d.values)?),
            a => {
                let k = atom_i64(a).ok_or(QError::Type)?;
                Ok(if k >= 0 && (k as usize) < x.len() {
                    x.get(k as usize).unwrap_or(GENERIC_NULL)
                } else {
                    oob_null(v)
                })
            }
        },
        Value::List(l) => match i {
            Value::Vector(_) | Value::List(_) => {
                if crate::limits::memory_over(1) {
                    return Err(QError::Wsfull);
                }
                let is = items(i).ok_or(QError::Type)?;
                let out: QResult<Vec<Value>> = is.iter().map(|j| index1(v, j)).collect();
                Ok(collapse(out?))
            }
            a => {
                let k = atom_i64(a).ok_or(QError::Type)?;
                Ok(if k >= 0 && (k as usize) < l.len() {
                    l.items()[k as usize].clone()
                } else {
                    oob_null(v)
                })
            }
        },
        Value::Dict(d) => {
            if d.is_keyed_table() {
                let Value::Table(vt) = &d.values else { return Err(QError::Type) };
                // Several keys: a list of key values (one key column) or of key tuples.
                let nk = match &d.keys {
                    Value::Table(kt) => kt.columns().len(),
                    _ => 1,
                };
                let many = match i {
                    Value::Vector(_) => nk == 1,
                    Value::List(l) => {
                        nk == 1 || (!l.is_empty() && l.items().iter().all(|k| !k.is_atom()))
                    }
                    _ => false,
                };
                if many {
                    let is = items(i).ok_or(QError::Type)?;
                    let out: QResult<Vec<Value>> = is.iter().map(|j| index1(v, j)).collect();
                    return Ok(collapse(out?));
                }
                let found = find_key(&d.keys, i).or_else(|| {
                    d.is_sorted().then(|| super::attrs::step_find(&d.keys, i)).flatten()
                });
                return match found {
                    Some(p) => Ok(row_dict(vt, p)),
                    None => {
                        // Missing key: a row of nulls.
                        let nulls: Vec<Value> = vt.columns().iter().map(oob_null).collect();
                        Value::dict(Value::Vector(vt.names().clone()), collapse(nulls))
                    }
                };
            }
            // A non-atom index maps over its items, unless the keys are lists themselves
            // and the index is one such key.
            let one_list_key = matches!(d.keys, Value::List(_)) && matches!(i, Value::Vector(_));
            if !i.is_atom() && !one_list_key {
                let is = items(i).ok_or(QError::Type)?;
                let out: QResult<Vec<Value>> = is.iter().map(|j| index1(v, j)).collect();
                return Ok(collapse(out?));
            }
            let found = find_key(&d.keys, i)
                .or_else(|| d.is_sorted().then(|| super::attrs::step_find(&d.keys, i)).flatten());
            match found {
                Some(p) => index1(&d.values, &Value::Long(p as i64)),
                None => Ok(oob_null(&d.values)),
            }
        }
        Value::Table(t) => match i {
            Value::Symbol(s) => {
                t.column(*s).cloned().ok_or_else(|| QError::Undefined(Arc::from(s.name().as_ref())))
            }
            Value::Vector(iv) if iv.ty() == QType::SYMBOL => {
                let cols: QResult<Vec<Value>> =
                    iv.as_slice::<Sym>().iter().map(|s| index1(v, &Value::Symbol(*s))).collect();
                Ok(Value::list(cols?))
            }
            Value::Vector(iv) => {
                if vector_i64(iv).is_none() {
                    return Err(QError::Type);
                }
                let cols: QResult<Vec<Value>> = t.columns().iter().map(|c| index1(c, i)).collect();
                Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
            }
            a => {
                let k = atom_i64(a).ok_or(QError::Type)?;
                if k < 0 || k as usize >= t.rows() {
                    let nulls: Vec<Value> = t.columns().iter().map(oob_null).collect();
                    return Value::dict(Value::Vector(t.names().clone()), collapse(nulls));
                }
                Ok(row_dict(t, k as usize))
            }
        },
        Value::Enum(e) => {
            // Indexing an enumeration keeps it enumerated, while every index is in range.
            let ix = index1(&Value::Vector(e.indices.clone()), i)?;
            let wrap = |indices: Vector, atom: bool| {
                Value::Enum(Arc::new(fq_value::Enumeration {
                    ty: fq_value::QType(if atom { -e.ty.code().abs() } else { e.ty.code().abs() }),
                    domain_name: e.domain_name,
                    domain: e.domain.clone(),
                    indices,
                }))
            };
            let dlen = e.domain.get().len() as i64;
            let in_range = |x: i64| x >= 0 && x < dlen;
            match &ix {
                Value::Long(x) if in_range(*x) => Ok(wrap(Vector::longs(&[*x]), true)),
                Value::Vector(v)
                    if v.ty() == QType::LONG
                        && v.as_slice::<i64>().iter().all(|&x| in_range(x)) =>
                {
                    Ok(wrap(v.clone(), false))
                }
                _ => index1(&e.resolve()?, i),
            }
        }
        _ => Err(QError::Type),
    }
}

/// `v[i;j;…]`: index at depth, elided positions (`::`) taking everything.
pub fn index_depth(i: &mut Interp, v: &Value, args: &[Value]) -> QResult<Value> {
    match args {
        [] => Ok(v.clone()),
        [a] => index1(v, a),
        [a, rest @ ..] => {
            if let Value::Table(_) = v {
                // t[rows;cols]: select the rows, then the columns.
                let rows = index1(v, a)?;
                return match rows {
                    Value::Dict(_) => index_depth(i, &rows, rest),
                    Value::Table(_) => index1(&rows, &rest[0]),
                    _ => Err(QError::Type),
                };
            }
            let first = index1(v, a)?;
            if a.is_atom() && !a.is_generic_null() {
                return index_depth(i, &first, rest);
            }
            // An elided or list index selects several items: index each with the rest.
            match &first {
                Value::Dict(d) => Value::dict(d.keys.clone(), each_rest(i, &d.values, rest)?),
                other => each_rest(i, other, rest),
            }
        }
    }
}

fn each_rest(i: &mut Interp, its: &Value, rest: &[Value]) -> QResult<Value> {
    let xs = items(its).ok_or(QError::Type)?;
    let out: QResult<Vec<Value>> = xs.iter().map(|x| index_depth(i, x, rest)).collect();
    Ok(collapse(out?))
}

fn is_data(v: &Value) -> bool {
    matches!(
        v,
        Value::Vector(_) | Value::List(_) | Value::Dict(_) | Value::Table(_) | Value::Enum(_)
    )
}

/// `x@y`: index data, or apply a function to one argument.
pub fn at(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    if is_data(&x) {
        return index1(&x, &y);
    }
    if let Value::Symbol(s) = &x {
        let name = s.name();
        let v = i.eval_str(&name)?;
        return at(i, v, y);
    }
    i.apply(&x, vec![y])
}

/// `x . y`: apply a function to a list of arguments, or index at depth.
pub fn dot(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let args = match &y {
        a if a.is_atom() => return Err(QError::Type),
        _ => items(&y).ok_or(QError::Type)?,
    };
    if is_data(&x) {
        return index_depth(i, &x, &args);
    }
    if args.is_empty() {
        return i.apply(&x, vec![GENERIC_NULL]);
    }
    i.apply(&x, args)
}
