//! List, dictionary and table primitives: `til count first last , # _ ! ? where group
//! distinct asc iasc in within except union cut sv vs $` and friends.

pub use super::cast::cast_atom;
use super::compare::{atom_cmp, fcmp, sym_cmp};
use super::index::{gather, index1};
use crate::atomic::{atomic1, collapse, empty_like, items};
use crate::convert::{atom_i64, enlist_atom, vector_i64};
use crate::interp::Interp;
use fq_value::{Attr, Dict, QError, QResult, QType, Sym, Table, Value, Vector, GENERIC_NULL};
use std::cmp::Ordering;
use std::sync::Arc;

fn longs(v: Vec<i64>) -> Value {
    Value::Vector(Vector::from_vec(QType::LONG, v))
}

fn count_of(v: &Value) -> usize {
    v.count()
}

/// `til n`.
pub fn til(_: &mut Interp, x: Value) -> QResult<Value> {
    let n = atom_i64(&x).ok_or(QError::Type)?;
    if n < 0 {
        return Err(QError::Domain);
    }
    crate::limits::check(n as u64, 8)?;
    let mut v = Vector::zeroed(QType::LONG, n as usize);
    for (i, s) in v.make_mut::<i64>().iter_mut().enumerate() {
        *s = i as i64;
    }
    Ok(Value::Vector(v))
}

/// `first x`.
pub fn first(_: &mut Interp, x: Value) -> QResult<Value> {
    Ok(match &x {
        Value::Dict(d) => match &d.values {
            Value::Table(_) => index1(&d.values, &Value::Long(0))?,
            v => first_item(v),
        },
        Value::Table(_) => index1(&x, &Value::Long(0))?,
        v if v.is_atom() => v.clone(),
        v => first_item(v),
    })
}

fn first_item(v: &Value) -> Value {
    match v {
        Value::Vector(x) if x.is_empty() => Value::null_of(x.ty()).unwrap_or(GENERIC_NULL),
        Value::List(l) if l.is_empty() => GENERIC_NULL,
        _ => index1(v, &Value::Long(0)).unwrap_or(GENERIC_NULL),
    }
}

/// `last x`.
pub fn last(_: &mut Interp, x: Value) -> QResult<Value> {
    let n = count_of(&x) as i64;
    Ok(match &x {
        Value::Dict(d) => index1(&d.values, &Value::Long(n - 1))?,
        v if v.is_atom() => v.clone(),
        Value::Vector(v) if v.is_empty() => Value::null_of(v.ty()).unwrap_or(GENERIC_NULL),
        Value::List(l) if l.is_empty() => GENERIC_NULL,
        v => index1(v, &Value::Long(n - 1))?,
    })
}

/// `reverse x`.
pub fn reverse(_: &mut Interp, x: Value) -> QResult<Value> {
    Ok(match &x {
        Value::Vector(v) => {
            let idx: Vec<i64> = (0..v.len() as i64).rev().collect();
            gather(v, &idx)
        }
        Value::List(l) => Value::list(l.items().iter().rev().cloned().collect()),
        Value::Dict(d) => {
            let mut i = Interp::scratch();
            Value::dict(reverse(&mut i, d.keys.clone())?, reverse(&mut i, d.values.clone())?)?
        }
        Value::Table(t) => {
            let mut i = Interp::scratch();
            let cols: QResult<Vec<Value>> =
                t.columns().iter().map(|c| reverse(&mut i, c.clone())).collect();
            Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?))
        }
        a => a.clone(),
    })
}

/// `where x`: indices repeated by count (booleans: the true positions).
pub fn where_(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Vector(v) => {
            if v.ty() == QType::BOOLEAN {
                let out: Vec<i64> = v
                    .as_slice::<u8>()
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| b != 0)
                    .map(|(i, _)| i as i64)
                    .collect();
                return Ok(longs(out));
            }
            let ns = vector_i64(v).ok_or(QError::Type)?;
            let total = ns.iter().fold(0u64, |a, &n| a.saturating_add(n.max(0) as u64));
            crate::limits::check(total, 8)?;
            let mut out = Vec::new();
            for (i, &n) in ns.iter().enumerate() {
                if n < 0 {
                    return Err(QError::Domain);
                }
                out.extend(std::iter::repeat_n(i as i64, n as usize));
            }
            Ok(longs(out))
        }
        Value::Dict(d) => {
            let mut i = Interp::scratch();
            let w = where_(&mut i, d.values.clone())?;
            index1(&d.keys, &w)
        }
        Value::Bool(true) => Ok(longs(vec![0])),
        Value::Bool(false) => Ok(longs(vec![])),
        a => {
            let n = atom_i64(a).ok_or(QError::Type)?;
            crate::limits::check(n.max(0) as u64, 8)?;
            Ok(longs(vec![0; n.max(0) as usize]))
        }
    }
}

/// Sort order of a list's items (stable), ascending.
pub fn grade(x: &Value) -> QResult<Vec<i64>> {
    let n = count_of(x);
    let mut idx: Vec<i64> = (0..n as i64).collect();
    match x {
        Value::Vector(v) => match v.ty().code() {
            1 | 4 | 10 => {
                let s = v.as_slice::<u8>();
                idx.sort_by_key(|&i| s[i as usize]);
            }
            5 => {
                let s = v.as_slice::<i16>();
                idx.sort_by_key(|&i| s[i as usize]);
            }
            6 | 13 | 14 | 17 | 18 | 19 => {
                let s = v.as_slice::<i32>();
                idx.sort_by_key(|&i| s[i as usize]);
            }
            7 | 12 | 16 => {
                // Sort (key, index) pairs: unstable sorting is stable here because the
                // index breaks ties, and the keys are read sequentially once.
                let s = v.as_slice::<i64>();
                let mut pairs: Vec<(i64, i64)> =
                    s.iter().enumerate().map(|(i, &k)| (k, i as i64)).collect();
                pairs.sort_unstable();
                for (slot, (_, i)) in idx.iter_mut().zip(pairs) {
                    *slot = i;
                }
            }
            8 => {
                let s = v.as_slice::<f32>();
                idx.sort_by(|&a, &b| fcmp(f64::from(s[a as usize]), f64::from(s[b as usize])));
            }
            9 | 15 => {
                let s = v.as_slice::<f64>();
                idx.sort_by(|&a, &b| total(s[a as usize], s[b as usize]));
            }
            11 => {
                let s = v.as_slice::<Sym>();
                idx.sort_by(|&a, &b| sym_cmp(s[a as usize], s[b as usize]));
            }
            2 => {
                let s = v.as_slice::<[u8; 16]>();
                idx.sort_by_key(|&i| s[i as usize]);
            }
            _ => return Err(QError::Type),
        },
        Value::List(l) => {
            let its = l.items();
            idx.sort_by(|&a, &b| list_cmp(&its[a as usize], &its[b as usize]));
        }
        Value::Dict(d) => return grade(&d.values),
        Value::Enum(e) => return grade(&e.resolve()?),
        Value::Table(t) => {
            // By the first column, ties by the next...: stable sorts from the last column.
            for c in t.columns().iter().rev() {
                let k = index1(c, &longs(idx.clone()))?;
                idx = grade(&k)?.into_iter().map(|p| idx[p as usize]).collect();
            }
        }
        _ => return Err(QError::Type),
    }
    Ok(idx)
}

fn total(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// Order of two list items for sorting: atoms by value, lists lexicographically.
pub fn list_cmp(a: &Value, b: &Value) -> Ordering {
    match (a.is_atom(), b.is_atom()) {
        // Atoms of different types order by type (boolean, guid, byte... ascending).
        (true, true) if a.qtype() != b.qtype() => b.qtype().cmp(&a.qtype()),
        (true, true) => atom_cmp(a, b),
        _ => {
            // Values with no items (dicts, tables, functions) order by type only: splitting
            // them further would recurse forever.
            let itemless = |v: &Value| !v.is_atom() && items(v).is_none();
            if itemless(a) || itemless(b) {
                return a.qtype().cmp(&b.qtype());
            }
            let (x, y) = (
                items(a).unwrap_or_else(|| vec![a.clone()]),
                items(b).unwrap_or_else(|| vec![b.clone()]),
            );
            for (p, q) in x.iter().zip(&y) {
                let o = list_cmp(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
    }
}

/// `iasc x`.
pub fn iasc(_: &mut Interp, x: Value) -> QResult<Value> {
    // q: k){$[0h>@x;'`rank;<x]}
    if x.is_atom() {
        return Err(QError::Rank);
    }
    if let Value::Dict(d) = &x {
        let g = grade(&d.values)?;
        return index1(&d.keys, &longs(g));
    }
    Ok(longs(grade(&x)?))
}

/// `idesc x`: descending, stable.
pub fn idesc(_: &mut Interp, x: Value) -> QResult<Value> {
    if x.is_atom() {
        return Err(QError::Rank);
    }
    if let Value::Dict(d) = &x {
        let g = grade_desc(&d.values)?;
        return index1(&d.keys, &longs(g));
    }
    Ok(longs(grade_desc(&x)?))
}

/// Sort order of a list's items (stable), descending: equal items keep their order.
pub fn grade_desc(x: &Value) -> QResult<Vec<i64>> {
    let g = grade(x)?;
    let n = g.len();
    let mut out = Vec::with_capacity(n);
    let mut k = n;
    let item = |p: i64| -> Value {
        match x {
            Value::Table(t) => Value::list(
                t.columns()
                    .iter()
                    .map(|c| index1(c, &Value::Long(p)).unwrap_or(GENERIC_NULL))
                    .collect(),
            ),
            _ => index1(x, &Value::Long(p)).unwrap_or(GENERIC_NULL),
        }
    };
    let items_eq = |a: i64, b: i64| -> bool {
        let (p, q) = (item(a), item(b));
        p.qtype() == q.qtype() && list_cmp(&p, &q) == Ordering::Equal
    };
    while k > 0 {
        let mut j = k - 1;
        while j > 0 && items_eq(g[j - 1], g[k - 1]) {
            j -= 1;
        }
        out.extend_from_slice(&g[j..k]);
        k = j;
    }
    Ok(out)
}

/// `asc x`: sorted, with `s#` on the result (a table gets `p#` on its first column, or
/// `s#` when it has only one). A list already in order is marked in place.
pub fn asc(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Dict(d) => {
            let g = longs(grade(&d.values)?);
            Value::dict(index1(&d.keys, &g)?, set_sorted(index1(&d.values, &g)?))
        }
        Value::Table(_) => Ok(set_sorted(index1(&x, &longs(grade(&x)?))?)),
        v if v.is_atom() => Ok(v.clone()),
        Value::Vector(v) if super::attrs::vector_sorted(v) => {
            super::attrs::mark_sorted_in_place(&x);
            Ok(x)
        }
        Value::List(l) if l.items().windows(2).all(|w| list_cmp(&w[0], &w[1]).is_le()) => {
            super::attrs::mark_sorted_in_place(&x);
            Ok(x)
        }
        v => Ok(set_sorted(index1(v, &longs(grade(v)?))?)),
    }
}

fn set_sorted(v: Value) -> Value {
    match v {
        Value::Vector(x) => Value::Vector(x.with_attr(Attr::Sorted)),
        Value::List(l) => Value::List(l.with_attr(Attr::Sorted)),
        Value::Table(t) => {
            let mut t = t.as_ref().clone();
            let single = t.columns().len() == 1;
            if let Some(c) = t.columns_mut().first_mut() {
                if let Value::Vector(v) = c {
                    let a = if single { Attr::Sorted } else { Attr::Parted };
                    *c = Value::Vector(v.clone().with_attr(a));
                }
            }
            Value::Table(Arc::new(t))
        }
        other => other,
    }
}

/// `desc x`.
pub fn desc(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Dict(d) => {
            let g = longs(grade_desc(&d.values)?);
            Value::dict(index1(&d.keys, &g)?, index1(&d.values, &g)?)
        }
        v if v.is_atom() => Ok(v.clone()),
        v => index1(v, &longs(grade_desc(v)?)),
    }
}

/// `rank x`: position of each item in the sorted order.
pub fn rank(_: &mut Interp, x: Value) -> QResult<Value> {
    let g = grade(&x)?;
    let mut r = vec![0i64; g.len()];
    for (pos, &i) in g.iter().enumerate() {
        r[i as usize] = pos as i64;
    }
    Ok(longs(r))
}

/// Distinct items in first-seen order, and for each item its group.
fn group_positions(x: &Value) -> QResult<(Vec<usize>, Vec<Vec<i64>>)> {
    let mut firsts: Vec<usize> = Vec::new();
    let mut groups: Vec<Vec<i64>> = Vec::new();
    match x {
        // An enumeration groups by its indices (one domain, so equal indices, equal items).
        Value::Enum(e) if e.ty.code() > 0 => {
            return group_positions(&Value::Vector(e.indices.clone()))
        }
        Value::Vector(v) if v.elem_size() <= 8 && !matches!(v.ty().code(), 8 | 9 | 15) => {
            let keys: Vec<i64> = match v.ty().code() {
                11 => v.as_slice::<Sym>().iter().map(|s| i64::from(s.id())).collect(),
                1 | 4 | 10 => v.as_slice::<u8>().iter().map(|&b| i64::from(b)).collect(),
                5 => v.as_slice::<i16>().iter().map(|&b| i64::from(b)).collect(),
                6 | 13 | 14 | 17 | 18 | 19 => {
                    v.as_slice::<i32>().iter().map(|&b| i64::from(b)).collect()
                }
                _ => v.as_slice::<i64>().to_vec(),
            };
            let mut map: fq_value::hash::FxHashMap<i64, usize> =
                fq_value::hash::FxHashMap::default();
            for (i, k) in keys.iter().enumerate() {
                let g = *map.entry(*k).or_insert_with(|| {
                    firsts.push(i);
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[g].push(i as i64);
            }
        }
        _ => {
            let its = row_items(x)?;
            for (i, it) in its.iter().enumerate() {
                match firsts.iter().position(|&f| &its[f] == it) {
                    Some(g) => groups[g].push(i as i64),
                    None => {
                        firsts.push(i);
                        groups.push(vec![i as i64]);
                    }
                }
            }
        }
    }
    Ok((firsts, groups))
}

/// Items of a list, rows of a table (as dictionaries), values of a dictionary.
fn row_items(x: &Value) -> QResult<Vec<Value>> {
    match x {
        Value::Table(_) => (0..x.count() as i64).map(|r| index1(x, &Value::Long(r))).collect(),
        Value::Dict(d) if !d.is_keyed_table() => row_items(&d.values),
        a if a.is_atom() => Ok(vec![a.clone()]),
        _ => items(x).ok_or(QError::Type),
    }
}

/// `distinct x`.
pub fn distinct(_: &mut Interp, x: Value) -> QResult<Value> {
    if x.is_atom() {
        return Err(QError::Type);
    }
    let (firsts, _) = group_positions(&x)?;
    index1(&x, &longs(firsts.iter().map(|&i| i as i64).collect()))
}

/// `group x`: dict of distinct items to their positions.
pub fn group(_: &mut Interp, x: Value) -> QResult<Value> {
    let (firsts, groups) = group_positions(&x)?;
    let keys = index1(&x, &longs(firsts.iter().map(|&i| i as i64).collect()))?;
    let vals = Value::list(groups.into_iter().map(longs).collect());
    Value::dict(keys, vals)
}

/// `differ x`: true where an item differs from its predecessor.
pub fn differ(_: &mut Interp, x: Value) -> QResult<Value> {
    let its = items(&x).ok_or(QError::Type)?;
    let out: Vec<bool> = (0..its.len()).map(|i| i == 0 || its[i] != its[i - 1]).collect();
    Ok(Value::Vector(Vector::bools(&out)))
}

/// `prev x`.
pub fn prev(_: &mut Interp, x: Value) -> QResult<Value> {
    shift(&x, 1)
}
/// `next x`.
pub fn next(_: &mut Interp, x: Value) -> QResult<Value> {
    shift(&x, -1)
}

fn shift(x: &Value, by: i64) -> QResult<Value> {
    let n = count_of(x) as i64;
    let idx: Vec<i64> = (0..n).map(|i| i.saturating_sub(by)).collect();
    match x {
        Value::List(l) => {
            let its: Vec<Value> = idx
                .iter()
                .map(|&i| {
                    if i >= 0 && i < n {
                        l.items()[i as usize].clone()
                    } else {
                        empty_of(l.items().first())
                    }
                })
                .collect();
            Ok(Value::list(its))
        }
        _ => index1(x, &longs(idx)),
    }
}

fn empty_of(v: Option<&Value>) -> Value {
    match v {
        Some(a) if a.is_atom() => Value::null_of(a.qtype()).unwrap_or(GENERIC_NULL),
        Some(Value::Vector(x)) => Value::Vector(Vector::empty(x.ty())),
        _ => GENERIC_NULL,
    }
}

/// `x xprev y`.
pub fn xprev(_: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    let k = atom_i64(&n).ok_or(QError::Type)?;
    shift(&x, k)
}

/// `enlist x`.
pub fn enlist(_: &mut Interp, x: Value) -> QResult<Value> {
    Ok(match &x {
        Value::Dict(d) if !d.is_keyed_table() => {
            // enlist of a dict with symbol keys is a one-row table.
            match (&d.keys, items(&d.values)) {
                (Value::Vector(k), Some(vals)) if k.ty() == QType::SYMBOL => {
                    let cols: Vec<Value> = vals.iter().map(enlist_atom_or_list).collect();
                    Value::Table(Arc::new(Table::new(k.clone(), cols)?))
                }
                _ => Value::list(vec![x.clone()]),
            }
        }
        a if a.is_atom() => enlist_atom(a),
        _ => Value::list(vec![x.clone()]),
    })
}

fn enlist_atom_or_list(v: &Value) -> Value {
    if v.is_atom() {
        enlist_atom(v)
    } else {
        Value::list(vec![v.clone()])
    }
}

/// `key x`.
pub fn key(i: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Dict(d) => Ok(d.keys.clone()),
        Value::Table(_) => Err(QError::Type),
        Value::Symbol(s) => {
            // key of a namespace: its names; of a variable name: itself if defined.
            let name = s.as_bytes();
            if let Some(Value::Dict(d)) =
                (name == b".q").then(|| crate::qnamespace::var(*s)).flatten()
            {
                return Ok(d.keys.clone());
            }
            // `` `..a ``: the name `a` in the root namespace, itself when defined.
            if let Some(root) =
                name.strip_prefix(b"..").filter(|r| r.first().is_some_and(|c| *c != b'.'))
            {
                return Ok(match i.get(Sym::from_bytes(root)) {
                    Some(Value::Dict(d)) => d.keys.clone(),
                    Some(_) => x.clone(),
                    None => Value::list(vec![]),
                });
            }
            if name.first() == Some(&b'.') || name.is_empty() {
                let prefix = if name.is_empty() || name == b"." {
                    Vec::new()
                } else {
                    [name, b"."].concat()
                };
                let names: Vec<Sym> = i
                    .global_names()
                    .into_iter()
                    .filter_map(|g| {
                        let b = g.as_bytes();
                        let rest = b.strip_prefix(prefix.as_slice())?;
                        if prefix.is_empty() && b.first() == Some(&b'.') {
                            return None;
                        }
                        (!rest.contains(&b'.')).then(|| Sym::from_bytes(rest))
                    })
                    .collect();
                let mut all = vec![Sym::EMPTY];
                all.extend(names);
                return Ok(Value::Vector(Vector::syms(&all)));
            }
            // A name holding a dictionary gives its keys.
            match i.get(*s) {
                Some(Value::Dict(d)) => Ok(d.keys.clone()),
                Some(_) => Ok(x.clone()),
                None => Ok(Value::list(vec![])),
            }
        }
        // A typed vector gives the name of its type, an enumeration its domain's name.
        Value::Vector(v) => Ok(Value::Symbol(Sym::new(v.ty().name()))),
        Value::Enum(e) => Ok(Value::Symbol(e.domain_name)),
        a => til(i, a.clone()),
    }
}

/// `value x`.
pub fn value(i: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Dict(d) => Ok(d.values.clone()),
        Value::Symbol(s) => i.eval_str(&s.name()),
        Value::Vector(v) if v.ty() == QType::CHAR => {
            let text = String::from_utf8_lossy(v.as_bytes());
            if text.starts_with('\\') {
                // `value"\\p"`: a system command, as at the console.
                return i.eval_line(&text).map(|o| o.unwrap_or(GENERIC_NULL));
            }
            i.eval_str(&text)
        }
        Value::Lambda(l) => {
            let params = crate::compile::lambda_params(l)?;
            let locals = crate::compile::lambda_locals(l)?;
            Ok(Value::list(vec![
                Value::Vector(Vector::bytes(&[])),
                Value::Vector(Vector::syms(&params)),
                Value::Vector(Vector::syms(&locals)),
                Value::list(vec![Value::Symbol(l.context)]),
                Value::string(&l.source_text()),
            ]))
        }
        Value::Projection(items) | Value::Composition(items) => {
            Ok(Value::list(items.as_ref().clone()))
        }
        Value::Derived(d) => Ok(d.function.clone()),
        // kdb+'s own primitives give their internal code.
        Value::Unary(c) | Value::Binary(c) if *c < fq_value::prim::NATIVE_BASE => {
            Ok(Value::Long(i64::from(*c)))
        }
        Value::Enum(e) => e.resolve(),
        Value::List(_) => {
            let its = items(&x).ok_or(QError::Type)?;
            let (f, args) = its.split_first().ok_or(QError::Type)?;
            let f = match f {
                Value::Symbol(s) => i.eval_str(&s.name())?,
                Value::Vector(v) if v.ty() == QType::CHAR => {
                    i.eval_str(&String::from_utf8_lossy(v.as_bytes()))?
                }
                other => other.clone(),
            };
            i.apply(&f, args.to_vec())
        }
        a => Ok(a.clone()),
    }
}

/// `string x`.
pub fn string(i: &mut Interp, x: Value) -> QResult<Value> {
    let s = fq_format::Settings {
        rows: i.console.rows,
        cols: i.console.cols,
        precision: i.console.precision,
    };
    fn one(v: &Value, s: &fq_format::Settings) -> QResult<Value> {
        match v {
            Value::Char(c) => Ok(Value::Vector(Vector::chars(&[*c]))),
            Value::Vector(x) if x.ty() == QType::CHAR => Ok(Value::list(
                x.as_bytes().iter().map(|c| Value::Vector(Vector::chars(&[*c]))).collect(),
            )),
            Value::Vector(x) => {
                let out: QResult<Vec<Value>> =
                    (0..x.len()).filter_map(|k| x.get(k)).map(|a| one(&a, s)).collect();
                Ok(Value::list(out?))
            }
            Value::Symbol(sy) => Ok(Value::Vector(Vector::chars(sy.as_bytes()))),
            a if a.is_atom() => Ok(Value::string(&fq_format::atom_text(a, s))),
            Value::List(l) => {
                let out: QResult<Vec<Value>> = l.items().iter().map(|a| one(a, s)).collect();
                Ok(Value::list(out?))
            }
            Value::Dict(d) => Value::dict(d.keys.clone(), one(&d.values, s)?),
            Value::Table(t) => {
                let cols: QResult<Vec<Value>> = t.columns().iter().map(|c| one(c, s)).collect();
                Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
            }
            other => Ok(Value::string(&fq_format::repr(other, s))),
        }
    }
    one(&x, &s)
}

fn map_chars(x: &Value, f: fn(u8) -> u8) -> QResult<Value> {
    atomic1(x, &|v| match v {
        Value::Char(c) => Ok(Value::Char(f(*c))),
        Value::Symbol(s) => Ok(Value::Symbol(Sym::from_bytes(
            &s.as_bytes().iter().map(|&c| f(c)).collect::<Vec<_>>(),
        ))),
        Value::Vector(x) if x.ty() == QType::CHAR => Ok(Value::Vector(Vector::chars(
            &x.as_bytes().iter().map(|&c| f(c)).collect::<Vec<_>>(),
        ))),
        Value::Vector(x) if x.ty() == QType::SYMBOL => {
            let out: Vec<Sym> = x
                .as_slice::<Sym>()
                .iter()
                .map(|s| Sym::from_bytes(&s.as_bytes().iter().map(|&c| f(c)).collect::<Vec<_>>()))
                .collect();
            Ok(Value::Vector(Vector::syms(&out)))
        }
        _ => Err(QError::Type),
    })
}

/// `lower x`.
pub fn lower(_: &mut Interp, x: Value) -> QResult<Value> {
    map_chars(&x, |c| c.to_ascii_lowercase())
}
/// `upper x`.
pub fn upper(_: &mut Interp, x: Value) -> QResult<Value> {
    map_chars(&x, |c| c.to_ascii_uppercase())
}

fn trim_with(x: &Value, left: bool, right: bool) -> QResult<Value> {
    let t = |b: &[u8]| -> Vec<u8> {
        let mut s = b;
        if left {
            while let [b' ', rest @ ..] = s {
                s = rest;
            }
        }
        if right {
            while let [rest @ .., b' '] = s {
                s = rest;
            }
        }
        s.to_vec()
    };
    match x {
        Value::Vector(v) if v.ty() == QType::CHAR => {
            Ok(Value::Vector(Vector::chars(&t(v.as_bytes()))))
        }
        Value::List(l) => {
            let out: QResult<Vec<Value>> =
                l.items().iter().map(|a| trim_with(a, left, right)).collect();
            Ok(Value::list(out?))
        }
        Value::Char(c) => {
            Ok(if *c == b' ' { Value::Vector(Vector::chars(&[])) } else { x.clone() })
        }
        // Other vectors lose their leading/trailing nulls.
        Value::Vector(v) => {
            let n = v.len();
            let null_at = |k: usize| v.get(k).is_some_and(|a| a.is_null());
            let mut lo = 0;
            if left {
                while lo < n && null_at(lo) {
                    lo += 1;
                }
            }
            let mut hi = n;
            if right {
                while hi > lo && null_at(hi - 1) {
                    hi -= 1;
                }
            }
            Ok(Value::Vector(v.slice(lo, hi - lo).ok_or(QError::Length)?))
        }
        Value::Dict(d) => Value::dict(d.keys.clone(), trim_with(&d.values, left, right)?),
        Value::Table(t) => {
            let cols: QResult<Vec<Value>> =
                t.columns().iter().map(|c| trim_with(c, left, right)).collect();
            Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
        }
        a if a.is_atom() => Ok(a.clone()),
        _ => Err(QError::Type),
    }
}
/// `trim x`.
pub fn trim(_: &mut Interp, x: Value) -> QResult<Value> {
    trim_with(&x, true, true)
}
/// `ltrim x`.
pub fn ltrim(_: &mut Interp, x: Value) -> QResult<Value> {
    trim_with(&x, true, false)
}
/// `rtrim x`.
pub fn rtrim(_: &mut Interp, x: Value) -> QResult<Value> {
    trim_with(&x, false, true)
}

/// `cols t`.
pub fn cols(i: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Table(t) => Ok(Value::Vector(t.names().clone())),
        Value::Dict(d) if d.is_keyed_table() => {
            let (Value::Table(k), Value::Table(v)) = (&d.keys, &d.values) else {
                return Err(QError::Type);
            };
            let mut n = k.names().as_slice::<Sym>().to_vec();
            n.extend_from_slice(v.names().as_slice::<Sym>());
            Ok(Value::Vector(Vector::syms(&n)))
        }
        Value::Symbol(s) => {
            let v = i
                .get(*s)
                .cloned()
                .ok_or_else(|| QError::Undefined(Arc::from(s.name().as_ref())))?;
            cols(i, v)
        }
        _ => Err(QError::Type),
    }
}

/// `keys t`.
pub fn keys(i: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Dict(d) if d.is_keyed_table() => {
            let Value::Table(k) = &d.keys else { return Err(QError::Type) };
            Ok(Value::Vector(k.names().clone()))
        }
        Value::Table(_) => Ok(Value::Vector(Vector::syms(&[]))),
        Value::Symbol(s) => {
            let v = i
                .get(*s)
                .cloned()
                .ok_or_else(|| QError::Undefined(Arc::from(s.name().as_ref())))?;
            keys(i, v)
        }
        _ => Err(QError::Type),
    }
}

/// `attr x`.
pub fn attr(_: &mut Interp, x: Value) -> QResult<Value> {
    Ok(Value::Symbol(match x.attr().letter() {
        Some(c) => Sym::new(&c.to_string()),
        None => Sym::EMPTY,
    }))
}

/// `raze x`: join the items.
pub fn raze(i: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::List(l) => {
            let mut acc: Option<Value> = None;
            for it in l.items() {
                acc = Some(match acc {
                    None => {
                        if it.is_atom() {
                            enlist_atom(it)
                        } else {
                            it.clone()
                        }
                    }
                    Some(a) => join(i, a, it.clone())?,
                });
            }
            Ok(acc.unwrap_or_else(|| Value::list(vec![])))
        }
        Value::Dict(d) => raze(i, d.values.clone()),
        a if a.is_atom() => Ok(enlist_atom(a)),
        other => Ok(other.clone()),
    }
}

/// `flip x`: dict of columns ↔ table; matrix transpose.
pub fn flip(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Dict(d) => {
            let Value::Vector(k) = &d.keys else { return Err(QError::Type) };
            if k.ty() != QType::SYMBOL {
                return Err(QError::Type);
            }
            let vals = items(&d.values).ok_or(QError::Type)?;
            let n = vals.iter().filter(|v| !v.is_atom()).map(Value::count).next().unwrap_or(1);
            let cols: QResult<Vec<Value>> = vals
                .into_iter()
                .map(|v| if v.is_atom() { take_n(&v, n as i64) } else { Ok(v) })
                .collect();
            Ok(Value::Table(Arc::new(Table::new(k.clone(), cols?)?)))
        }
        Value::Table(t) => {
            Value::dict(Value::Vector(t.names().clone()), Value::list(t.columns().to_vec()))
        }
        Value::List(l) => {
            let rows: Vec<Vec<Value>> =
                l.items().iter().map(|r| items(r).unwrap_or_else(|| vec![r.clone()])).collect();
            let n = rows.iter().filter(|r| r.len() != 1).map(Vec::len).next().unwrap_or(1);
            if rows.iter().any(|r| r.len() != n && r.len() != 1) {
                return Err(QError::Length);
            }
            let out: Vec<Value> = (0..n)
                .map(|j| {
                    collapse(
                        rows.iter()
                            .map(|r| if r.len() == 1 { r[0].clone() } else { r[j].clone() })
                            .collect(),
                    )
                })
                .collect();
            Ok(Value::list(out))
        }
        Value::Vector(_) => Ok(x.clone()),
        _ => Err(QError::Rank),
    }
}

/// `n#x` with an atom count (repeating or cycling the source).
pub fn take_n(x: &Value, n: i64) -> QResult<Value> {
    // Bytes per item of the result: the element's for a typed vector or atom, a general
    // list item's otherwise.
    let per = match x {
        Value::Vector(v) => v.elem_size().max(1),
        a if a.is_atom() => a.qtype().vector().elem_size().unwrap_or(16).max(1),
        _ => 16,
    };
    crate::limits::check(n.unsigned_abs(), per)?;
    let len = n.unsigned_abs() as usize;
    match x {
        a if a.is_atom() => {
            let v = enlist_atom(a);
            take_n(&v, n)
        }
        Value::Table(t) => {
            let cols: QResult<Vec<Value>> = t.columns().iter().map(|c| take_n(c, n)).collect();
            Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
        }
        Value::Dict(d) => Value::dict(take_n(&d.keys, n)?, take_n(&d.values, n)?),
        _ => {
            let c = count_of(x);
            if c == 0 {
                return Ok(match x {
                    Value::Vector(v) => Value::null_of(v.ty())
                        .map_or_else(|| x.clone(), |a| take_n(&a, n).unwrap_or(GENERIC_NULL)),
                    _ => Value::list(vec![GENERIC_NULL; len]),
                });
            }
            let idx: Vec<i64> = if n >= 0 {
                (0..len).map(|i| (i % c) as i64).collect()
            } else {
                let start = (c as i64 - (len % c) as i64) % c as i64;
                (0..len).map(|i| ((start as usize + i) % c) as i64).collect()
            };
            match x {
                Value::Vector(v) => Ok(gather(v, &idx)),
                Value::List(l) => {
                    Ok(Value::list(idx.iter().map(|&i| l.items()[i as usize].clone()).collect()))
                }
                _ => Err(QError::Type),
            }
        }
    }
}

/// `x#y`: take.
pub fn take(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    if let Some(n) = atom_i64(&x) {
        return take_n(&y, n);
    }
    if let Value::Symbol(a) = x {
        return super::attrs::set_attribute(a, y);
    }
    match (&x, &y) {
        (Value::Vector(k), Value::Table(t)) if k.ty() == QType::SYMBOL => {
            let cols: QResult<Vec<Value>> = k
                .as_slice::<Sym>()
                .iter()
                .map(|s| {
                    t.column(*s)
                        .cloned()
                        .ok_or_else(|| QError::Undefined(Arc::from(s.name().as_ref())))
                })
                .collect();
            Ok(Value::Table(Arc::new(Table::new(k.clone(), cols?)?)))
        }
        (Value::Vector(_) | Value::List(_), Value::Dict(_)) => {
            let ks = items(&x).ok_or(QError::Type)?;
            let vals: QResult<Vec<Value>> = ks.iter().map(|k| index1(&y, k)).collect();
            Value::dict(x.clone(), collapse(vals?))
        }
        (Value::Vector(shape), _) => reshape(shape, &y),
        _ => Err(QError::Type),
    }
}

/// `m n#y`, `2 3 4#y`, `enlist[n]#y`: reshape. A null in a 2-item shape makes that
/// dimension maximal (the last row or column absorbs the remainder).
fn reshape(shape: &Vector, y: &Value) -> QResult<Value> {
    let dims = vector_i64(shape).ok_or(QError::Type)?;
    let rows_of = |flat: &Value, bounds: &[(i64, i64)]| -> QResult<Value> {
        let rows: QResult<Vec<Value>> =
            bounds.iter().map(|&(a, b)| index1(flat, &longs((a..b).collect()))).collect();
        Ok(Value::list(rows?))
    };
    match dims.as_slice() {
        [] => Err(QError::Length),
        [k] => take_n(y, *k),
        [r, c] if *r == i64::MIN && *c == i64::MIN => Err(QError::Domain),
        [r, c] if *r == i64::MIN => {
            if *c <= 0 {
                return Err(QError::Domain);
            }
            let flat = if y.is_atom() { take_n(y, 1)? } else { y.clone() };
            let n = count_of(&flat) as i64;
            let bounds: Vec<(i64, i64)> =
                (0..(n + c - 1) / c).map(|i| (i * c, ((i + 1) * c).min(n))).collect();
            rows_of(&flat, &bounds)
        }
        [r, c] if *c == i64::MIN => {
            if *r < 0 {
                return Err(QError::Domain);
            }
            let flat = if y.is_atom() { take_n(y, 1)? } else { y.clone() };
            let n = count_of(&flat) as i64;
            let w = if *r == 0 { 0 } else { n / r };
            let bounds: Vec<(i64, i64)> =
                (0..*r).map(|i| (i * w, if i + 1 == *r { n } else { (i + 1) * w })).collect();
            rows_of(&flat, &bounds)
        }
        _ => {
            let last = dims.len() - 1;
            for (j, &d) in dims.iter().enumerate() {
                if d < 0 || (d == 0 && j != last && dims.len() > 2) {
                    return Err(QError::Domain);
                }
            }
            let total = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
            let total = total.ok_or(QError::Limit)?;
            crate::limits::check(total, 16)?;
            let flat = take_n(y, total as i64)?;
            fn build(flat: &Value, dims: &[i64], at: i64) -> QResult<Value> {
                match dims {
                    [d] => index1(flat, &longs((at..at + d).collect())),
                    [d, rest @ ..] => {
                        let stride: i64 = rest.iter().product();
                        let items: QResult<Vec<Value>> =
                            (0..*d).map(|i| build(flat, rest, at + i * stride)).collect();
                        Ok(Value::list(items?))
                    }
                    [] => Ok(flat.clone()),
                }
            }
            build(&flat, &dims, 0)
        }
    }
}

/// `x _ y`: drop (count), cut (indices), or delete (item/key).
pub fn drop(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    if let Some(n) = atom_i64(&x) {
        return drop_n(&y, n);
    }
    match (&x, &y) {
        // Keys to drop from a dictionary, columns to drop from a table.
        (k, Value::Dict(d))
            if !d.is_keyed_table()
                && (k.is_atom() || matches!(k, Value::Vector(_) | Value::List(_))) =>
        {
            let ks: Vec<Value> =
                if k.is_atom() { vec![k.clone()] } else { items(k).ok_or(QError::Type)? };
            let keys = items(&d.keys).ok_or(QError::Type)?;
            let keep: Vec<i64> =
                (0..keys.len() as i64).filter(|&p| !ks.contains(&keys[p as usize])).collect();
            Value::dict(index1(&d.keys, &longs(keep.clone()))?, index1(&d.values, &longs(keep))?)
        }
        (Value::Vector(k), Value::Table(t)) if k.ty() == QType::SYMBOL => {
            let drop: &[Sym] = k.as_slice::<Sym>();
            let names = t.names().as_slice::<Sym>();
            let keep: Vec<usize> =
                (0..names.len()).filter(|&c| !drop.contains(&names[c])).collect();
            let kept: Vec<Sym> = keep.iter().map(|&c| names[c]).collect();
            let cols: Vec<Value> = keep.iter().map(|&c| t.columns()[c].clone()).collect();
            Ok(Value::Table(Arc::new(Table::new(Vector::syms(&kept), cols)?)))
        }
        (Value::Symbol(_), Value::Table(_)) => Err(QError::Type),
        (Value::Dict(_), Value::Vector(_) | Value::List(_)) => Err(QError::Type),
        (Value::Vector(_), _) if !y.is_atom() && matches!(x.qtype().code(), 5..=7) => cut(i, x, y),
        (Value::Dict(d), k) => {
            let ks: Vec<Value> =
                if k.is_atom() { vec![k.clone()] } else { items(k).ok_or(QError::Type)? };
            let keys = items(&d.keys).ok_or(QError::Type)?;
            let keep: Vec<i64> =
                (0..keys.len() as i64).filter(|&p| !ks.contains(&keys[p as usize])).collect();
            Value::dict(index1(&d.keys, &longs(keep.clone()))?, index1(&d.values, &longs(keep))?)
        }
        (Value::Vector(_) | Value::List(_), k) if k.is_atom() => {
            let p = atom_i64(k).ok_or(QError::Type)?;
            let n = count_of(&x) as i64;
            let keep: Vec<i64> = (0..n).filter(|&j| j != p).collect();
            index1(&x, &longs(keep))
        }
        (Value::Table(_), Value::Vector(k)) if k.ty() == QType::SYMBOL => Err(QError::Type),
        _ => Err(QError::Type),
    }
}

fn drop_n(y: &Value, n: i64) -> QResult<Value> {
    let c = count_of(y) as i64;
    let (start, end) = if n >= 0 { (n.min(c), c) } else { (0, (c + n).max(0)) };
    let idx = longs((start..end).collect());
    match y {
        Value::Dict(d) => Value::dict(index1(&d.keys, &idx)?, index1(&d.values, &idx)?),
        Value::Table(t) => {
            let cols: QResult<Vec<Value>> =
                t.columns().iter().map(|col| index1(col, &idx)).collect();
            Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
        }
        a if a.is_atom() => Err(QError::Type),
        _ => {
            let r = index1(y, &idx)?;
            Ok(match (y, r) {
                (Value::Vector(v), Value::Vector(out)) if v.attr() == Attr::Sorted => {
                    Value::Vector(out.with_attr(Attr::Sorted))
                }
                (_, r) => r,
            })
        }
    }
}

/// `x,y`: join.
pub fn join(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    match (&x, &y) {
        // An atom does not join a dictionary.
        (a, Value::Dict(d)) | (Value::Dict(d), a)
            if !d.is_keyed_table() && (a.is_atom() || matches!(a, Value::Vector(_))) =>
        {
            Err(QError::Type)
        }
        (Value::Vector(a), Value::Vector(b)) if a.ty() == b.ty() => {
            let out = Value::Vector(join_vectors(a, b));
            Ok(match super::attrs::join_attr(&x, &out) {
                Attr::None => out,
                keep => set_attr_value(out, keep),
            })
        }
        (Value::Vector(a), b) if a.attr() != Attr::None && b.qtype() == a.ty().atom() => {
            let Value::Vector(bv) = enlist_atom(b) else { return Err(QError::Type) };
            let out = Value::Vector(join_vectors(a, &bv));
            Ok(match super::attrs::join_attr(&x, &out) {
                Attr::None => out,
                keep => set_attr_value(out, keep),
            })
        }
        (Value::Enum(_), _) | (_, Value::Enum(_)) => join_enums(&x, &y),
        (Value::Dict(a), Value::Dict(b)) => {
            let mut keys = items(&a.keys).ok_or(QError::Type)?;
            let mut vals = items(&a.values).ok_or(QError::Type)?;
            for (k, v) in items(&b.keys)
                .ok_or(QError::Type)?
                .into_iter()
                .zip(items(&b.values).ok_or(QError::Type)?)
            {
                match keys.iter().position(|e| *e == k) {
                    Some(p) => vals[p] = v,
                    None => {
                        keys.push(k);
                        vals.push(v);
                    }
                }
            }
            Value::dict(collapse(keys), collapse(vals))
        }
        (Value::Table(a), Value::Table(b)) => {
            if !a.names().same_items(b.names()) {
                return Err(QError::Mismatch);
            }
            let mut i = Interp::scratch();
            let cols: QResult<Vec<Value>> = a
                .columns()
                .iter()
                .zip(b.columns())
                .map(|(p, q)| join(&mut i, p.clone(), q.clone()))
                .collect();
            Ok(Value::Table(Arc::new(Table::new(a.names().clone(), cols?)?)))
        }
        _ => {
            let as_items = |v: &Value| -> Vec<Value> {
                match v {
                    a if a.is_atom() => vec![a.clone()],
                    Value::Table(_) | Value::Dict(_) => vec![v.clone()],
                    other => items(other).unwrap_or_else(|| vec![other.clone()]),
                }
            };
            let mut its = as_items(&x);
            its.extend(as_items(&y));
            Ok(collapse(its))
        }
    }
}

fn join_vectors(a: &Vector, b: &Vector) -> Vector {
    let mut out = a.clone();
    match a.elem_size() {
        1 => out.extend(b.as_slice::<u8>()),
        2 => out.extend(b.as_slice::<i16>()),
        4 => out.extend(b.as_slice::<i32>()),
        8 => out.extend(b.as_slice::<i64>()),
        _ => out.extend(b.as_slice::<[u8; 16]>()),
    }
    out
}

fn set_attr_value(v: Value, a: Attr) -> Value {
    match v {
        Value::Vector(x) => Value::Vector(x.with_attr(a)),
        other => other,
    }
}

/// `,` with an enumeration on either side: the same domain stays enumerated; symbols and
/// other domains join as symbols when either side is a list; two atoms make a list.
fn join_enums(x: &Value, y: &Value) -> QResult<Value> {
    let is_sym = |v: &Value| {
        matches!(v, Value::Enum(_) | Value::Symbol(_))
            || matches!(v, Value::Vector(s) if s.ty() == QType::SYMBOL)
    };
    if let (Value::Enum(a), Value::Enum(b)) = (x, y) {
        if a.domain_name == b.domain_name {
            let mut idx = a.indices.as_slice::<i64>().to_vec();
            idx.extend_from_slice(b.indices.as_slice::<i64>());
            let longer = b.domain.get().len() > a.domain.get().len();
            let domain = if longer { &b.domain } else { &a.domain };
            return Ok(Value::Enum(Arc::new(fq_value::Enumeration {
                ty: QType(20),
                domain_name: a.domain_name,
                domain: domain.clone(),
                indices: Vector::from_vec(QType::LONG, idx),
            })));
        }
    }
    let resolved = |v: &Value| -> QResult<Value> {
        match v {
            Value::Enum(e) => e.resolve(),
            other => Ok(other.clone()),
        }
    };
    if is_sym(x) && is_sym(y) && !(x.is_atom() && y.is_atom()) {
        let (a, b) = (enlist_sym(resolved(x)?), enlist_sym(resolved(y)?));
        if let (Value::Vector(a), Value::Vector(b)) = (&a, &b) {
            return Ok(Value::Vector(join_vectors(a, b)));
        }
    }
    let split = |v: &Value| -> QResult<Vec<Value>> {
        Ok(match v {
            Value::Enum(e) if e.ty.code() > 0 => (0..e.indices.len())
                .map(|k| {
                    Value::Enum(Arc::new(fq_value::Enumeration {
                        ty: QType(-20),
                        indices: Vector::longs(&e.indices.as_slice::<i64>()[k..=k]),
                        ..e.as_ref().clone()
                    }))
                })
                .collect(),
            a if a.is_atom() => vec![a.clone()],
            Value::Table(_) | Value::Dict(_) => vec![v.clone()],
            other => items(other).unwrap_or_else(|| vec![other.clone()]),
        })
    };
    let mut its = split(x)?;
    its.extend(split(y)?);
    Ok(Value::list(its))
}

fn enlist_sym(v: Value) -> Value {
    match v {
        Value::Symbol(_) => enlist_atom(&v),
        other => other,
    }
}

/// `x!y`: make a dictionary; `n!t` keys a table; `0!kt` unkeys.
pub fn bang(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let internal = match &x {
        Value::Long(n @ -30..=-1) => Some(*n as i32),
        Value::Int(n @ -30..=-1) => Some(*n),
        _ => None,
    };
    if let Some(n) = internal {
        return crate::internal::call(i, n, y);
    }
    if matches!(x, Value::Long(i64::MIN)) {
        // `0N!x`: show x and return it.
        let s = fq_format::Settings {
            rows: i.console.rows,
            cols: i.console.cols,
            precision: i.console.precision,
        };
        let mut text = fq_format::repr(&y, &s);
        text.push('\n');
        i.host.stdout(&text);
        return Ok(y);
    }
    if let (Some(n), Value::Table(t)) = (atom_i64(&x), &y) {
        let n = n as usize;
        if n == 0 {
            return Ok(y.clone());
        }
        let names = t.names();
        if n > names.len() {
            return Err(QError::Length);
        }
        let kn = names.slice(0, n).ok_or(QError::Length)?;
        let vn = names.slice(n, names.len() - n).ok_or(QError::Length)?;
        let k = Table::new(kn, t.columns()[..n].to_vec())?;
        let v = Table::new(vn, t.columns()[n..].to_vec())?;
        return Value::keyed_table(k, v);
    }
    if let (Some(0), Value::Dict(d)) = (atom_i64(&x), &y) {
        if let (Value::Table(k), Value::Table(v)) = (&d.keys, &d.values) {
            let mut names = k.names().as_slice::<Sym>().to_vec();
            names.extend_from_slice(v.names().as_slice::<Sym>());
            let mut cols = k.columns().to_vec();
            cols.extend_from_slice(v.columns());
            return Ok(Value::Table(Arc::new(Table::new(Vector::syms(&names), cols)?)));
        }
    }
    if let (Value::Symbol(d), Value::Vector(v)) = (&x, &y) {
        if !d.is_null() && matches!(v.ty().code(), 5..=7) {
            return super::table::enumerate_indices(i, *d, &y);
        }
    }
    let keys = if x.is_atom() { enlist_atom(&x) } else { x };
    let vals = if y.is_atom() { take_n(&y, keys.count() as i64)? } else { y };
    if keys.count() != vals.count() {
        return Err(QError::Length);
    }
    Ok(Value::Dict(Arc::new(Dict::new(keys, vals)?)))
}

/// `x?y`: find (first position, or count when absent); `d?v` reverse lookup; `n?x` random.
pub fn find(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    match (&x, &y) {
        (Value::Dict(d), _) => {
            let p = find(i, d.values.clone(), y.clone())?;
            index1(&d.keys, &p)
        }
        (a, _) if a.is_atom() => {
            let n = atom_i64(a).ok_or(QError::Type)?;
            random(i, n, &y)
        }
        (Value::Vector(xv), Value::Symbol(_) | Value::Vector(_)) if xv.ty() == QType::SYMBOL => {
            // Symbols: the g#/u#/p# index when there is one, else a scan of the ids.
            let xs = xv.as_slice::<Sym>();
            let n = xs.len() as i64;
            let one: Box<dyn Fn(Sym) -> i64> = if crate::grouping::indexed(xv) {
                let ix = crate::grouping::sym_index(xv);
                Box::new(move |s: Sym| {
                    ix.rows_of(s.id() as usize).first().map_or(n, |&r| i64::from(r))
                })
            } else {
                Box::new(move |s: Sym| xs.iter().position(|&e| e == s).map_or(n, |p| p as i64))
            };
            match &y {
                Value::Symbol(s) => Ok(Value::Long(one(*s))),
                Value::Vector(yv) if yv.ty() == QType::SYMBOL => {
                    if yv.len() > 8 && !crate::grouping::indexed(xv) {
                        let mut first: fq_value::hash::FxHashMap<Sym, i64> =
                            fq_value::hash::FxHashMap::default();
                        for (k, s) in xs.iter().enumerate().rev() {
                            first.insert(*s, k as i64);
                        }
                        return Ok(longs(
                            yv.as_slice::<Sym>()
                                .iter()
                                .map(|s| *first.get(s).unwrap_or(&n))
                                .collect(),
                        ));
                    }
                    Ok(longs(yv.as_slice::<Sym>().iter().map(|&s| one(s)).collect()))
                }
                Value::Vector(yv) => Ok(longs(vec![n; yv.len()])),
                _ => Err(QError::Type),
            }
        }
        _ => {
            let its = items(&x).ok_or(QError::Type)?;
            let n = its.len() as i64;
            let find_one =
                |v: &Value| -> i64 { its.iter().position(|e| e == v).map_or(n, |p| p as i64) };
            // Functions are found whole, as atoms are (`` .q?(~:) ``).
            let whole = |v: &Value| v.is_atom() || v.qtype().code() >= 100;
            if whole(&y)
                || (matches!(x, Value::List(_))
                    && matches!(y, Value::Vector(_))
                    && its.iter().any(|e| !e.is_atom()))
            {
                return Ok(Value::Long(find_one(&y)));
            }
            match &y {
                Value::Vector(yv) if matches!(&x, Value::Vector(xv) if xv.ty() == yv.ty()) => {
                    let mut map: fq_value::hash::FxHashMap<Vec<u8>, i64> =
                        fq_value::hash::FxHashMap::default();
                    let xv = match &x {
                        Value::Vector(v) => v,
                        _ => unreachable!(),
                    };
                    let size = xv.elem_size();
                    for (k, chunk) in xv.as_bytes().chunks_exact(size).enumerate().rev() {
                        map.insert(chunk.to_vec(), k as i64);
                    }
                    let out: Vec<i64> = yv
                        .as_bytes()
                        .chunks_exact(size)
                        .map(|c| *map.get(c).unwrap_or(&n))
                        .collect();
                    Ok(longs(out))
                }
                _ => {
                    let ys = items(&y).ok_or(QError::Type)?;
                    let out: Vec<Value> = ys
                        .iter()
                        .map(|v| {
                            if whole(v) {
                                Value::Long(find_one(v))
                            } else {
                                find(&mut Interp::scratch(), x.clone(), v.clone())
                                    .unwrap_or(Value::Long(n))
                            }
                        })
                        .collect();
                    Ok(collapse(out))
                }
            }
        }
    }
}

/// A deterministic generator for `?` (q seeds its generator the same way every session).
fn next_rand(i: &mut Interp) -> u64 {
    i.rng ^= i.rng << 13;
    i.rng ^= i.rng >> 7;
    i.rng ^= i.rng << 17;
    i.rng
}

fn random(i: &mut Interp, n: i64, y: &Value) -> QResult<Value> {
    let deal = n < 0;
    // `0W?x` asks for more items than memory holds: 'wsfull, not an allocator abort.
    crate::limits::check(n.unsigned_abs(), 8)?;
    let cnt = n.unsigned_abs() as usize;
    match y {
        Value::Long(m) | Value::Timestamp(m) if *m > 0 => {
            let m = *m as u64;
            let out: Vec<i64> = if deal {
                if cnt as u64 > m {
                    return Err(QError::Length);
                }
                crate::limits::check(m, 8)?;
                let mut pool: Vec<i64> = (0..m as i64).collect();
                for k in 0..cnt {
                    let j = k + (next_rand(i) % (m - k as u64)) as usize;
                    pool.swap(k, j);
                }
                pool.truncate(cnt);
                pool
            } else {
                (0..cnt).map(|_| (next_rand(i) % m) as i64).collect()
            };
            Ok(longs(out))
        }
        Value::Int(m) if *m > 0 => {
            let out: Vec<i32> = (0..cnt).map(|_| (next_rand(i) % *m as u64) as i32).collect();
            Ok(Value::Vector(Vector::ints(&out)))
        }
        Value::Float(f) => {
            let out: Vec<f64> =
                (0..cnt).map(|_| (next_rand(i) >> 11) as f64 / (1u64 << 53) as f64 * f).collect();
            Ok(Value::Vector(Vector::floats(&out)))
        }
        Value::Bool(_) => {
            let out: Vec<bool> = (0..cnt).map(|_| next_rand(i) & 1 == 1).collect();
            Ok(Value::Vector(Vector::bools(&out)))
        }
        v if !v.is_atom() => {
            let m = count_of(v) as i64;
            if m == 0 {
                return Err(QError::Length);
            }
            let idx = random(i, n, &Value::Long(m))?;
            index1(v, &idx)
        }
        _ => Err(QError::Type),
    }
}

/// `?[c;a;b]` vector conditional; functional select comes with qSQL.
pub fn query_variadic(_: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    match args.as_slice() {
        [Value::Vector(c), a, b] if c.ty() == QType::BOOLEAN => {
            let (xs, ys) = (items(a), items(b));
            let out: QResult<Vec<Value>> = c
                .as_slice::<u8>()
                .iter()
                .enumerate()
                .map(|(k, &f)| {
                    let pick = |v: &Value, its: &Option<Vec<Value>>| match its {
                        Some(l) => l.get(k).cloned().ok_or(QError::Length),
                        None => Ok(v.clone()),
                    };
                    if f != 0 {
                        pick(a, &xs)
                    } else {
                        pick(b, &ys)
                    }
                })
                .collect();
            Ok(collapse(out?))
        }
        _ => Err(QError::Nyi),
    }
}

/// `x in y`.
pub fn in_(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    // Enumerations are looked up by their symbols.
    if let Value::Enum(e) = &x {
        return in_(i, e.resolve()?, y);
    }
    if let Value::Enum(e) = &y {
        return in_(i, x, e.resolve()?);
    }
    match &y {
        // A general list: is x (whole) an item of y? When y's items are atoms and x is a
        // list, iterate through x instead (as Find does).
        Value::List(l) => {
            let first_atom = l.items().first().is_some_and(Value::is_atom);
            if first_atom && x.list_len().is_some() {
                let xs = items(&x).ok_or(QError::Type)?;
                let out: QResult<Vec<Value>> =
                    xs.into_iter().map(|v| in_(i, v, y.clone())).collect();
                return Ok(collapse(out?));
            }
            if x.is_atom() && !first_atom {
                return Ok(Value::Bool(false));
            }
            Ok(Value::Bool(l.items().contains(&x)))
        }
        // An atom or a 1-item vector admits mixed types: compare as Equal does.
        _ if (y.is_atom() || matches!(&y, Value::Vector(v) if v.len() == 1))
            && !matches!(x, Value::List(_)) =>
        {
            let a = if y.is_atom() { y.clone() } else { index1(&y, &Value::Long(0))? };
            let r = super::compare::compare(super::compare::Cmp::Eq, &x, &a)?;
            Ok(match r {
                Value::Vector(v) if x.is_atom() => v.get(0).unwrap_or(Value::Bool(false)),
                r => r,
            })
        }
        Value::Vector(yv) => match &x {
            Value::Vector(xv) if xv.ty() != yv.ty() => Err(QError::Type),
            a if a.is_atom() && a.qtype() != yv.ty().atom() => Err(QError::Type),
            _ => {
                if x.is_atom() {
                    match find(i, y.clone(), x)? {
                        Value::Long(k) => Ok(Value::Bool(k < yv.len() as i64)),
                        _ => Err(QError::Type),
                    }
                } else if let Value::Vector(_) = x {
                    let n = yv.len() as i64;
                    match find(i, y.clone(), x)? {
                        Value::Vector(p) => Ok(Value::Vector(Vector::from_vec(
                            QType::BOOLEAN,
                            p.as_slice::<i64>().iter().map(|&k| u8::from(k < n)).collect(),
                        ))),
                        _ => Err(QError::Type),
                    }
                } else {
                    let xs = items(&x).ok_or(QError::Type)?;
                    let out: QResult<Vec<Value>> =
                        xs.into_iter().map(|v| in_(i, v, y.clone())).collect();
                    Ok(collapse(out?))
                }
            }
        },
        _ => {
            let n = count_of(&y) as i64;
            if x.is_atom() {
                return match find(i, y.clone(), x)? {
                    Value::Long(k) => Ok(Value::Bool(k < n)),
                    _ => Err(QError::Type),
                };
            }
            let xs = items(&x).ok_or(QError::Type)?;
            let out: QResult<Vec<Value>> = xs.into_iter().map(|v| in_(i, v, y.clone())).collect();
            Ok(collapse(out?))
        }
    }
}

/// `x within (lo;hi)`.
pub fn within(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let b = items(&y).ok_or(QError::Type)?;
    if b.len() != 2 {
        return Err(QError::Length);
    }
    let ge = super::compare::compare(super::compare::Cmp::Ge, &x, &b[0])?;
    let le = super::compare::compare(super::compare::Cmp::Le, &x, &b[1])?;
    super::arith::minmax(false, &ge, &le)
}

fn like_match(s: &[u8], p: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|k| like_match(&s[k..], rest)),
        Some((b'?', rest)) => !s.is_empty() && like_match(&s[1..], rest),
        Some((b'[', rest)) => {
            let Some(end) = rest.iter().position(|&c| c == b']') else { return false };
            let (set, after) = (&rest[..end], &rest[end + 1..]);
            let Some((&c, srest)) = s.split_first() else { return false };
            let (neg, set) = match set.split_first() {
                Some((b'^', s2)) => (true, s2),
                _ => (false, set),
            };
            let mut hit = false;
            let mut k = 0;
            while k < set.len() {
                if k + 2 < set.len() && set[k + 1] == b'-' {
                    hit |= c >= set[k] && c <= set[k + 2];
                    k += 3;
                } else {
                    hit |= c == set[k];
                    k += 1;
                }
            }
            hit != neg && like_match(srest, after)
        }
        Some((b'\\', rest)) if !rest.is_empty() => {
            s.first() == Some(&rest[0]) && like_match(&s[1..], &rest[1..])
        }
        Some((&c, rest)) => s.first() == Some(&c) && like_match(&s[1..], rest),
    }
}

/// `x like pattern`.
pub fn like(_: &mut Interp, x: Value, p: Value) -> QResult<Value> {
    let pat: Vec<u8> = match &p {
        Value::Vector(v) if v.ty() == QType::CHAR => v.as_bytes().to_vec(),
        Value::Char(c) => vec![*c],
        Value::Symbol(s) => s.as_bytes().to_vec(),
        _ => return Err(QError::Type),
    };
    fn go(x: &Value, pat: &[u8]) -> QResult<Value> {
        match x {
            Value::Symbol(s) => Ok(Value::Bool(like_match(s.as_bytes(), pat))),
            Value::Vector(v) if v.ty() == QType::CHAR => {
                Ok(Value::Bool(like_match(v.as_bytes(), pat)))
            }
            Value::Char(c) => Ok(Value::Bool(like_match(&[*c], pat))),
            Value::Vector(v) if v.ty() == QType::SYMBOL => {
                let out: Vec<bool> =
                    v.as_slice::<Sym>().iter().map(|s| like_match(s.as_bytes(), pat)).collect();
                Ok(Value::Vector(Vector::bools(&out)))
            }
            Value::List(l) => {
                let out: QResult<Vec<Value>> = l.items().iter().map(|a| go(a, pat)).collect();
                Ok(collapse(out?))
            }
            Value::Dict(d) => Value::dict(d.keys.clone(), go(&d.values, pat)?),
            _ => Err(QError::Type),
        }
    }
    go(&x, &pat)
}

fn bin_search(x: &Value, y: &Value, right: bool) -> QResult<Value> {
    let xs = items(x).ok_or(QError::Type)?;
    let one = |v: &Value| -> i64 {
        // Last position whose item is <= v (bin), or first >= v (binr).
        let (mut lo, mut hi) = (0usize, xs.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let o = atom_cmp(&xs[mid], v);
            let go_right = if right { o == Ordering::Less } else { o != Ordering::Greater };
            if go_right {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        if right {
            lo as i64
        } else {
            lo as i64 - 1
        }
    };
    if y.is_atom() {
        return Ok(Value::Long(one(y)));
    }
    let ys = items(y).ok_or(QError::Type)?;
    Ok(longs(ys.iter().map(one).collect()))
}

/// `x bin y`.
pub fn bin(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    bin_search(&x, &y, false)
}
/// `x binr y`.
pub fn binr(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    bin_search(&x, &y, true)
}

fn as_items(v: &Value) -> Vec<Value> {
    if v.is_atom() {
        vec![v.clone()]
    } else {
        items(v).unwrap_or_default()
    }
}

/// `x except y`.
pub fn except(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let ys = as_items(&y);
    let keep: Vec<i64> = as_items(&x)
        .iter()
        .enumerate()
        .filter(|(_, v)| !ys.contains(v))
        .map(|(k, _)| k as i64)
        .collect();
    let src = if x.is_atom() { enlist_atom(&x) } else { x };
    index1(&src, &longs(keep))
}

/// `x inter y`.
pub fn inter(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let ys = row_items(&y)?;
    let keep: Vec<i64> = row_items(&x)?
        .iter()
        .enumerate()
        .filter(|(_, v)| ys.contains(v))
        .map(|(k, _)| k as i64)
        .collect();
    let src = match x {
        a if a.is_atom() => enlist_atom(&a),
        Value::Dict(d) if !d.is_keyed_table() => d.values.clone(),
        x => x,
    };
    index1(&src, &longs(keep))
}

/// `x union y`.
pub fn union(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let j = join(i, x, y)?;
    distinct(i, j)
}

/// `x cross y`.
pub fn cross(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    if let (Value::Table(a), Value::Table(b)) = (&x, &y) {
        // Every row of x with every row of y, columns side by side.
        let (n, m) = (a.rows() as i64, b.rows() as i64);
        crate::limits::check((n as u64).saturating_mul(m as u64), 16)?;
        let left = longs((0..n * m).map(|k| k / m.max(1)).collect());
        let right = longs((0..n * m).map(|k| k % m.max(1)).collect());
        let mut names: Vec<Sym> = a.names().as_slice::<Sym>().to_vec();
        let mut cols: Vec<Value> =
            a.columns().iter().map(|c| index1(c, &left)).collect::<QResult<_>>()?;
        for (nm, c) in b.names().as_slice::<Sym>().iter().zip(b.columns()) {
            let col = index1(c, &right)?;
            match names.iter().position(|s| s == nm) {
                Some(p) => cols[p] = col,
                None => {
                    names.push(*nm);
                    cols.push(col);
                }
            }
        }
        return Ok(Value::Table(Arc::new(Table::new(Vector::syms(&names), cols)?)));
    }
    let (xs, ys) = (as_items(&x), as_items(&y));
    crate::limits::check((xs.len() as u64).saturating_mul(ys.len() as u64), 16)?;
    let mut out = Vec::with_capacity(xs.len() * ys.len());
    for a in &xs {
        for b in &ys {
            let pair = if a.is_atom() && b.is_atom() {
                collapse(vec![a.clone(), b.clone()])
            } else {
                join(i, a.clone(), b.clone())?
            };
            out.push(pair);
        }
    }
    Ok(Value::list(out))
}

/// `` `name set v ``.
pub fn set(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    match &x {
        Value::Symbol(s) if s.as_bytes().first() != Some(&b':') => {
            i.assign(*s, y)?;
            Ok(x)
        }
        Value::Symbol(_) => Err(QError::Nyi),
        _ => Err(QError::Type),
    }
}

fn split_bytes<'a>(b: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let (mut start, mut k) = (0, 0);
    while !sep.is_empty() && k + sep.len() <= b.len() {
        if b[k..k + sep.len()] == *sep {
            parts.push(&b[start..k]);
            k += sep.len();
            start = k;
        } else {
            k += 1;
        }
    }
    parts.push(&b[start..]);
    parts
}

/// The bits or big-endian bytes of a numeric atom (`0b vs`, `0x0 vs`).
fn int_bits(n: &Value, bits: bool) -> QResult<Value> {
    if let Value::Guid(g) = n {
        if !bits {
            return Ok(Value::Vector(Vector::bytes(&g[..])));
        }
        let out: Vec<bool> =
            g.iter().flat_map(|b| (0..8).rev().map(move |k| b >> k & 1 == 1)).collect();
        return Ok(Value::Vector(Vector::bools(&out)));
    }
    let (v, width): (u64, usize) = match n {
        Value::Short(x) => (*x as u16 as u64, 2),
        Value::Int(x) => (*x as u32 as u64, 4),
        Value::Long(x) => (*x as u64, 8),
        Value::Byte(x) => (u64::from(*x), 1),
        Value::Real(x) if !bits => (u64::from(x.to_bits()), 4),
        Value::Float(x) if !bits => (x.to_bits(), 8),
        _ => return Err(QError::Type),
    };
    if bits {
        let out: Vec<bool> = (0..width * 8).rev().map(|k| v >> k & 1 == 1).collect();
        return Ok(Value::Vector(Vector::bools(&out)));
    }
    let out: Vec<u8> = (0..width).rev().map(|k| (v >> (8 * k)) as u8).collect();
    Ok(Value::Vector(Vector::bytes(&out)))
}

/// `x vs y`: split a string, a symbol or bytes; encode a number in a base or as bits/bytes.
pub fn vs(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    vs_of(x, y)
}

fn vs_of(x: Value, y: Value) -> QResult<Value> {
    let text = |v: &Value| -> Option<Vec<u8>> {
        match v {
            Value::Char(c) => Some(vec![*c]),
            Value::Vector(s) if s.ty() == QType::CHAR => Some(s.as_bytes().to_vec()),
            _ => None,
        }
    };
    match (&x, &y) {
        (Value::Symbol(_) | Value::Char(_), Value::Vector(t))
            if t.ty() == QType::BYTE
                && (x.qtype() == QType::CHAR.atom()
                    || matches!(&x, Value::Symbol(s) if s.is_null())) =>
        {
            // Bytes split as text: the result's type follows the left argument.
            vs_of(x.clone(), Value::Vector(Vector::chars(t.as_bytes())))
        }
        (Value::Vector(c), Value::Vector(t)) if c.ty() == QType::CHAR && t.ty() == QType::BYTE => {
            vs_of(x.clone(), Value::Vector(Vector::chars(t.as_bytes())))
        }
        (Value::Symbol(s), Value::Vector(t)) if s.is_null() && t.ty() == QType::CHAR => {
            // Lines: split at \n, drop \r before it and a final empty line.
            let mut lines: Vec<&[u8]> = split_bytes(t.as_bytes(), b"\n");
            if lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            Ok(Value::list(
                lines
                    .into_iter()
                    .map(|l| Value::Vector(Vector::chars(l.strip_suffix(b"\r").unwrap_or(l))))
                    .collect(),
            ))
        }
        (Value::Symbol(s), Value::Symbol(t)) if s.is_null() => {
            let b = t.as_bytes();
            if b.first() == Some(&b':') {
                // A file handle: directory and file name.
                let cut = b.iter().rposition(|&c| c == b'/').ok_or(QError::Domain)?;
                return Ok(Value::Vector(Vector::syms(&[
                    Sym::from_bytes(&b[..cut]),
                    Sym::from_bytes(&b[cut + 1..]),
                ])));
            }
            let parts: Vec<Sym> = b.split(|&c| c == b'.').map(Sym::from_bytes).collect();
            Ok(Value::Vector(Vector::syms(&parts)))
        }
        (Value::Bool(false), n) => int_bits(n, true),
        (Value::Byte(0), n) if !matches!(n, Value::Vector(_)) => int_bits(n, false),
        (Value::Byte(_) | Value::Vector(_), Value::Vector(t))
            if t.ty() == QType::BYTE && matches!(&x, Value::Byte(_))
                || matches!(&x, Value::Vector(v) if v.ty() == QType::BYTE) =>
        {
            let sep: Vec<u8> = match &x {
                Value::Byte(b) => vec![*b],
                Value::Vector(v) => v.as_bytes().to_vec(),
                _ => return Err(QError::Type),
            };
            Ok(Value::list(
                split_bytes(t.as_bytes(), &sep)
                    .into_iter()
                    .map(|p| Value::Vector(Vector::bytes(p)))
                    .collect(),
            ))
        }
        _ if text(&x).is_some() && text(&y).is_some() => {
            let (sep, b) = (text(&x).unwrap_or_default(), text(&y).unwrap_or_default());
            Ok(Value::list(
                split_bytes(&b, &sep)
                    .into_iter()
                    .map(|p| Value::Vector(Vector::chars(p)))
                    .collect(),
            ))
        }
        (b, n) if (b.is_atom() || matches!(b, Value::Vector(_))) && !n.is_atom() => {
            // Encode each integer of a list: item k of the result is digit k of every
            // integer, in the shape of y.
            let base: Option<Vec<i64>> = match b {
                Value::Vector(v) => Some(vector_i64(v).ok_or(QError::Type)?),
                _ => None,
            };
            let b0 = if base.is_none() { atom_i64(b).ok_or(QError::Type)? } else { 0 };
            let digits = |v: i64| -> QResult<Vec<i64>> {
                let r = match &base {
                    Some(_) => vs_of(b.clone(), Value::Long(v))?,
                    None => vs_of(Value::Long(b0), Value::Long(v))?,
                };
                match r {
                    Value::Vector(d) => vector_i64(&d).ok_or(QError::Type),
                    _ => Err(QError::Type),
                }
            };
            fn leaves(v: &Value, out: &mut Vec<i64>) -> QResult<()> {
                match v {
                    Value::List(l) => l.items().iter().try_for_each(|x| leaves(x, out)),
                    Value::Vector(x) => {
                        out.extend(vector_i64(x).ok_or(QError::Type)?);
                        Ok(())
                    }
                    a => {
                        out.push(atom_i64(a).ok_or(QError::Type)?);
                        Ok(())
                    }
                }
            }
            let mut all = Vec::new();
            leaves(n, &mut all)?;
            let ds: Vec<Vec<i64>> = all.iter().map(|&v| digits(v)).collect::<QResult<_>>()?;
            let width = ds.iter().map(Vec::len).max().unwrap_or(0);
            // Left-pad shorter encodings with zeros.
            let ds: Vec<Vec<i64>> = ds
                .into_iter()
                .map(|d| std::iter::repeat_n(0, width - d.len()).chain(d).collect())
                .collect();
            fn shape(v: &Value, vals: &mut std::slice::Iter<'_, i64>) -> Value {
                match v {
                    Value::List(l) => {
                        Value::list(l.items().iter().map(|x| shape(x, vals)).collect())
                    }
                    Value::Vector(x) => longs(vals.by_ref().take(x.len()).copied().collect()),
                    _ => Value::Long(vals.next().copied().unwrap_or(0)),
                }
            }
            let rows: Vec<Value> = (0..width)
                .map(|k| {
                    let col: Vec<i64> = ds.iter().map(|d| d[k]).collect();
                    shape(n, &mut col.iter())
                })
                .collect();
            Ok(Value::list(rows))
        }
        (Value::Vector(bases), n) if n.is_atom() => {
            // Mixed radix: the last base is the least significant digit.
            let bs = vector_i64(bases).ok_or(QError::Type)?;
            let mut v = atom_i64(n).ok_or(QError::Type)?;
            let mut out = vec![0i64; bs.len()];
            for (slot, &b) in out.iter_mut().zip(&bs).rev() {
                if b <= 0 {
                    return Err(QError::Domain);
                }
                *slot = v.rem_euclid(b);
                v = v.div_euclid(b);
            }
            Ok(longs(out))
        }
        (b, n) if b.is_atom() => {
            let base = atom_i64(b).ok_or(QError::Type)?;
            let mut v = atom_i64(n).ok_or(QError::Type)?;
            if base < 2 {
                return Err(QError::Domain);
            }
            let mut digits = Vec::new();
            while v > 0 {
                digits.push(v % base);
                v /= base;
            }
            digits.reverse();
            Ok(longs(digits))
        }
        _ => Err(QError::Type),
    }
}

/// `x sv y`: join strings, lines, symbols or paths; decode digits, bits or bytes.
pub fn sv(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    match (&x, &y) {
        (Value::Symbol(s), Value::Vector(v)) if s.is_null() && v.ty() == QType::SYMBOL => {
            let names: Vec<&[u8]> = v.as_slice::<Sym>().iter().map(|s| s.as_bytes()).collect();
            let sep: &[u8] =
                if names.first().is_some_and(|n| n.first() == Some(&b':')) { b"/" } else { b"." };
            Ok(Value::Symbol(Sym::from_bytes(&names.join(sep))))
        }
        (Value::Symbol(s), Value::List(l)) if s.is_null() => {
            let mut out = Vec::new();
            for it in l.items() {
                match it {
                    Value::Vector(v) if v.ty() == QType::CHAR => {
                        out.extend_from_slice(v.as_bytes())
                    }
                    Value::Char(c) => out.push(*c),
                    _ => return Err(QError::Type),
                }
                out.push(b'\n');
            }
            Ok(Value::Vector(Vector::chars(&out)))
        }
        (Value::Bool(false), Value::Vector(v)) if v.ty() == QType::BOOLEAN && v.len() == 128 => {
            let mut g = [0u8; 16];
            for (k, &b) in v.as_slice::<u8>().iter().enumerate() {
                g[k / 8] |= u8::from(b != 0) << (7 - k % 8);
            }
            Ok(Value::Guid(Box::new(g)))
        }
        (Value::Byte(0), Value::Vector(v)) if v.ty() == QType::BYTE && v.len() == 16 => {
            let mut g = [0u8; 16];
            g.copy_from_slice(v.as_bytes());
            Ok(Value::Guid(Box::new(g)))
        }
        (Value::Byte(_) | Value::Vector(_), Value::List(l))
            if x.qtype() == QType::BYTE.atom() || x.qtype() == QType::BYTE =>
        {
            // Join byte vectors with a byte separator.
            let sep: Vec<u8> = match &x {
                Value::Byte(b) => vec![*b],
                Value::Vector(v) => v.as_bytes().to_vec(),
                _ => return Err(QError::Type),
            };
            let mut out = Vec::new();
            for (k, it) in l.items().iter().enumerate() {
                if k > 0 {
                    out.extend_from_slice(&sep);
                }
                match it {
                    Value::Vector(v) if v.ty() == QType::BYTE => {
                        out.extend_from_slice(v.as_bytes())
                    }
                    Value::Byte(b) => out.push(*b),
                    _ => return Err(QError::Type),
                }
            }
            Ok(Value::Vector(Vector::bytes(&out)))
        }
        (Value::Bool(false), Value::Vector(v)) if v.ty() == QType::BOOLEAN => {
            let bits = v.as_slice::<u8>();
            let n = bits.iter().fold(0u64, |a, &b| a << 1 | u64::from(b != 0));
            Ok(match bits.len() {
                8 => Value::Byte(n as u8),
                16 => Value::Short(n as u16 as i16),
                32 => Value::Int(n as u32 as i32),
                64 => Value::Long(n as i64),
                _ => return Err(QError::Length),
            })
        }
        (Value::Byte(0), Value::Vector(v)) if v.ty() == QType::BYTE => {
            let b = v.as_bytes();
            let n = b.iter().fold(0u64, |a, &c| a << 8 | u64::from(c));
            Ok(match b.len() {
                2 => Value::Short(n as u16 as i16),
                4 => Value::Int(n as u32 as i32),
                8 => Value::Long(n as i64),
                _ => return Err(QError::Length),
            })
        }
        (Value::Char(_) | Value::Vector(_), Value::List(l)) => {
            let sep: Vec<u8> = match &x {
                Value::Char(c) => vec![*c],
                Value::Vector(v) if v.ty() == QType::CHAR => v.as_bytes().to_vec(),
                _ => return Err(QError::Type),
            };
            let mut out = Vec::new();
            for (k, it) in l.items().iter().enumerate() {
                if k > 0 {
                    out.extend_from_slice(&sep);
                }
                match it {
                    Value::Vector(v) if v.ty() == QType::CHAR => {
                        out.extend_from_slice(v.as_bytes())
                    }
                    Value::Char(c) => out.push(*c),
                    _ => return Err(QError::Type),
                }
            }
            Ok(Value::Vector(Vector::chars(&out)))
        }
        (Value::Vector(bases), Value::Vector(v)) => {
            let (bs, ds) =
                (vector_i64(bases).ok_or(QError::Type)?, vector_i64(v).ok_or(QError::Type)?);
            if bs.len() != ds.len() {
                return Err(QError::Length);
            }
            Ok(Value::Long(
                bs.iter().zip(&ds).fold(0i64, |a, (&b, &d)| a.wrapping_mul(b).wrapping_add(d)),
            ))
        }
        (b, Value::Vector(v)) if b.is_atom() => {
            let base = atom_i64(b).ok_or(QError::Type)?;
            let ds = vector_i64(v).ok_or(QError::Type)?;
            Ok(Value::Long(ds.iter().fold(0i64, |a, &d| a.wrapping_mul(base).wrapping_add(d))))
        }
        _ => Err(QError::Type),
    }
}

/// `n cut x` / `indices cut x`.
pub fn cut(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let c = count_of(&y) as i64;
    let starts: Vec<i64> = match atom_i64(&x) {
        Some(n) if n > 0 => (0..c).step_by(n as usize).collect(),
        Some(_) => return Err(QError::Domain),
        None => match &x {
            Value::Vector(v) => vector_i64(v).ok_or(QError::Type)?,
            _ => return Err(QError::Type),
        },
    };
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(c);
        if s > e || s > c {
            return Err(QError::Domain);
        }
        out.push(index1(&y, &longs((s..e).collect()))?);
    }
    Ok(Value::list(out))
}

/// `n sublist x` / `(start;n) sublist x`.
pub fn sublist(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    sublist_of(x, y)
}

fn sublist_of(x: Value, y: Value) -> QResult<Value> {
    if let Value::Dict(d) = &y {
        // A dictionary gives a sub-dictionary of its entries.
        let k = sublist_of(x.clone(), d.keys.clone())?;
        let v = sublist_of(x, d.values.clone())?;
        return Value::dict(k, v);
    }
    let c = count_of(&y) as i64;
    let (s, n) = match atom_i64(&x) {
        Some(n) if n >= 0 => (0, n.min(c)),
        Some(n) => ((c + n).max(0), -n.max(-c)),
        None => {
            let v = items(&x).ok_or(QError::Type)?;
            let (s, n) =
                (atom_i64(&v[0]).ok_or(QError::Type)?, atom_i64(&v[1]).ok_or(QError::Type)?);
            (s.min(c), n.min(c - s.min(c)))
        }
    };
    index1(&y, &longs((s..s + n).collect()))
}

/// `n rotate x`.
pub fn rotate(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let n = atom_i64(&x).ok_or(QError::Type)?;
    let c = count_of(&y) as i64;
    if c == 0 {
        return Ok(y);
    }
    index1(&y, &longs((0..c).map(|k| (k + n).rem_euclid(c)).collect()))
}

/// `n xrank x`.
pub fn xrank(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let n = atom_i64(&x).ok_or(QError::Type)?;
    let g = grade(&y)?;
    let c = g.len() as i64;
    let mut r = vec![0i64; g.len()];
    for (pos, &k) in g.iter().enumerate() {
        r[k as usize] = n * pos as i64 / c.max(1);
    }
    Ok(longs(r))
}

/// `ssr[s;find;replace]`.
pub fn ssr(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    let [s, f, r] = <[Value; 3]>::try_from(args).map_err(|_| QError::Rank)?;
    let (s, pat) = (text_of(&s)?, Pattern::new(&text_of(&f)?));
    if pat.0.is_empty() {
        return Ok(Value::Vector(Vector::chars(&s)));
    }
    let fixed = if r.qtype().is_function() { None } else { Some(text_of(&r)?) };
    let mut out = Vec::new();
    let mut k = 0;
    while k < s.len() {
        if pat.matches_at(&s, k) {
            let m = &s[k..k + pat.0.len()];
            match &fixed {
                Some(t) => out.extend_from_slice(t),
                None => out.extend_from_slice(&text_of(
                    &i.apply(&r, vec![Value::Vector(Vector::chars(m))])?,
                )?),
            }
            k += pat.0.len();
        } else {
            out.push(s[k]);
            k += 1;
        }
    }
    Ok(Value::Vector(Vector::chars(&out)))
}

fn text_of(v: &Value) -> QResult<Vec<u8>> {
    match v {
        Value::Vector(x) if x.ty() == QType::CHAR => Ok(x.as_bytes().to_vec()),
        Value::Char(c) => Ok(vec![*c]),
        _ => Err(QError::Type),
    }
}

/// One position of an `ss`/`ssr` pattern.
enum PatItem {
    Any,
    Lit(u8),
    Set(bool, Vec<(u8, u8)>),
}

/// An `ss` pattern: literals, `?` and `[..]` classes (no `*`); every item matches one byte.
struct Pattern(Vec<PatItem>);

impl Pattern {
    fn new(p: &[u8]) -> Pattern {
        let mut items = Vec::new();
        let mut k = 0;
        while k < p.len() {
            match p[k] {
                b'?' => items.push(PatItem::Any),
                b'[' if p[k + 1..].contains(&b']') => {
                    let end = k + 1 + p[k + 1..].iter().position(|&c| c == b']').unwrap_or(0);
                    let mut set = &p[k + 1..end];
                    let neg = set.first() == Some(&b'^');
                    if neg {
                        set = &set[1..];
                    }
                    let mut ranges = Vec::new();
                    let mut j = 0;
                    while j < set.len() {
                        if j + 2 < set.len() && set[j + 1] == b'-' {
                            ranges.push((set[j], set[j + 2]));
                            j += 3;
                        } else {
                            ranges.push((set[j], set[j]));
                            j += 1;
                        }
                    }
                    items.push(PatItem::Set(neg, ranges));
                    k = end;
                }
                c => items.push(PatItem::Lit(c)),
            }
            k += 1;
        }
        Pattern(items)
    }

    fn matches_at(&self, s: &[u8], at: usize) -> bool {
        s.len() >= at + self.0.len()
            && self.0.iter().zip(&s[at..]).all(|(p, &c)| match p {
                PatItem::Any => true,
                PatItem::Lit(l) => *l == c,
                PatItem::Set(neg, rs) => rs.iter().any(|&(a, b)| c >= a && c <= b) != *neg,
            })
    }
}

/// `x ss y`: positions of the (non-overlapping) matches of pattern `y` in string `x`.
pub fn ss(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let (s, pat) = (text_of(&x)?, Pattern::new(&text_of(&y)?));
    if pat.0.is_empty() {
        return Err(QError::Length);
    }
    let mut out = Vec::new();
    let mut k = 0;
    while k < s.len() {
        if pat.matches_at(&s, k) {
            out.push(k as i64);
            k += pat.0.len();
        } else {
            k += 1;
        }
    }
    Ok(longs(out))
}

/// `$[c;a;b]` called as a function.
pub fn cond_variadic(_: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    let mut k = 0;
    while k + 1 < args.len() {
        if crate::interp::truthy(&args[k])? {
            return Ok(args[k + 1].clone());
        }
        k += 2;
    }
    Ok(args.get(k).cloned().unwrap_or(GENERIC_NULL))
}

/// `parse x`: the parse tree of a string (nyi beyond what `value` needs).
pub fn parse(_: &mut Interp, _x: Value) -> QResult<Value> {
    Err(QError::Nyi)
}

/// `eval x`: evaluate a parse tree.
pub fn eval(i: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::List(_) => value(i, x),
        Value::Symbol(s) => i.eval_str(&s.name()),
        other => Ok(other.clone()),
    }
}

/// `show x`: print to the console, return `::`.
pub fn show(i: &mut Interp, x: Value) -> QResult<Value> {
    let s = fq_format::Settings {
        rows: i.console.rows,
        cols: i.console.cols,
        precision: i.console.precision,
    };
    let mut text = fq_format::show(&x, &s);
    text.push('\n');
    i.host.stdout(&text);
    Ok(GENERIC_NULL)
}

/// `tables[]`: names of global tables in the root.
pub fn tables(i: &mut Interp, x: Value) -> QResult<Value> {
    // `tables[]` and `` tables`. `` list the root; `` tables`.ns `` that namespace.
    let prefix: Vec<u8> = match &x {
        Value::Symbol(s) if !s.is_null() && s.as_bytes() != b"." => [s.as_bytes(), b"."].concat(),
        _ => Vec::new(),
    };
    let mut names: Vec<Sym> = i
        .global_names()
        .into_iter()
        .filter_map(|n| {
            let rest = n.as_bytes().strip_prefix(prefix.as_slice())?;
            if rest.contains(&b'.') || (prefix.is_empty() && rest.first() == Some(&b'.')) {
                return None;
            }
            let is_table = match i.get(n) {
                Some(Value::Table(_)) => true,
                Some(Value::Dict(d)) => d.is_keyed_table(),
                _ => false,
            };
            is_table.then(|| Sym::from_bytes(rest))
        })
        .collect();
    names.sort_by(|a, b| sym_cmp(*a, *b));
    Ok(Value::Vector(Vector::syms(&names)))
}

/// `system "cmd"`.
pub fn system(i: &mut Interp, x: Value) -> QResult<Value> {
    if let Value::Char(c) = x {
        return crate::system::command(i, &char::from(c).to_string());
    }
    let Value::Vector(v) = &x else { return Err(QError::Type) };
    if v.ty() != QType::CHAR {
        return Err(QError::Type);
    }
    crate::system::command(i, &String::from_utf8_lossy(v.as_bytes()))
}

/// `getenv `NAME`.
pub fn getenv(i: &mut Interp, x: Value) -> QResult<Value> {
    let Value::Symbol(s) = x else { return Err(QError::Type) };
    Ok(Value::string(&i.host.getenv(&s.name()).unwrap_or_default()))
}

/// An empty list of the same kind as `v`.
pub fn empty_list(v: &Value) -> Value {
    empty_like(v.qtype())
}
