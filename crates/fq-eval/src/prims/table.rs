//! Table verbs: `xkey xcol xcols xasc xdesc meta insert upsert ungroup xgroup`, and
//! enumerations (`` `d$x ``, `` `d?x ``).

use crate::atomic::{collapse, items};
use crate::interp::Interp;
use crate::prims::index::index1;
use crate::prims::list::{grade, take_n};
use fq_value::{Attr, Dict, Enumeration, QError, QResult, QType, Sym, Table, Value, Vector};
use std::sync::Arc;

fn longs(v: Vec<i64>) -> Value {
    Value::Vector(Vector::from_vec(QType::LONG, v))
}

fn undefined(s: Sym) -> QError {
    QError::Undefined(Arc::from(s.name().as_ref()))
}

/// A table argument given by value or by name: the value and the name.
fn by_ref(i: &mut Interp, v: Value) -> QResult<(Value, Option<Sym>)> {
    match v {
        Value::Symbol(s) => {
            let g = i.get(s).cloned().ok_or_else(|| undefined(s))?;
            Ok((g, Some(s)))
        }
        v => Ok((v, None)),
    }
}

/// Store a result back under its name (returning the name) or return it.
fn give(i: &mut Interp, name: Option<Sym>, v: Value) -> Value {
    match name {
        Some(s) => {
            i.set_global(s, v);
            Value::Symbol(s)
        }
        None => v,
    }
}

/// Names and columns of a table or keyed table (keys first) and how many are keys.
pub fn flat(v: &Value) -> QResult<(Vec<Sym>, Vec<Value>, usize)> {
    match v {
        Value::Table(t) => Ok((t.names().as_slice::<Sym>().to_vec(), t.columns().to_vec(), 0)),
        Value::Dict(d) => match (&d.keys, &d.values) {
            (Value::Table(k), Value::Table(t)) => {
                let mut n = k.names().as_slice::<Sym>().to_vec();
                n.extend_from_slice(t.names().as_slice::<Sym>());
                let mut c = k.columns().to_vec();
                c.extend_from_slice(t.columns());
                Ok((n, c, k.names().len()))
            }
            _ => Err(QError::Type),
        },
        _ => Err(QError::Type),
    }
}

/// A table from names and columns, keyed on the first `nkeys`.
pub fn build(names: Vec<Sym>, cols: Vec<Value>, nkeys: usize) -> QResult<Value> {
    if nkeys == 0 {
        return Ok(Value::Table(Arc::new(Table::new(Vector::syms(&names), cols)?)));
    }
    if nkeys > names.len() {
        return Err(QError::Length);
    }
    let k = Table::new(Vector::syms(&names[..nkeys]), cols[..nkeys].to_vec())?;
    let v = Table::new(Vector::syms(&names[nkeys..]), cols[nkeys..].to_vec())?;
    Value::keyed_table(k, v)
}

fn sym_list(x: &Value) -> QResult<Vec<Sym>> {
    match x {
        Value::Symbol(s) => Ok(vec![*s]),
        Value::Vector(v) if v.ty() == QType::SYMBOL => Ok(v.as_slice::<Sym>().to_vec()),
        Value::Vector(v) if v.is_empty() => Ok(Vec::new()),
        Value::List(l) if l.is_empty() => Ok(Vec::new()),
        _ => Err(QError::Type),
    }
}

/// `` `k xkey t ``: key `t` on the named columns (moved to the front, in order).
pub fn xkey(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let keys = sym_list(&x)?;
    let (t, name) = by_ref(i, y)?;
    let (names, cols, _) = flat(&t)?;
    let mut n2 = Vec::with_capacity(names.len());
    let mut c2 = Vec::with_capacity(cols.len());
    for k in &keys {
        let p = names.iter().position(|n| n == k).ok_or_else(|| undefined(*k))?;
        n2.push(names[p]);
        c2.push(cols[p].clone());
    }
    for (n, c) in names.iter().zip(&cols) {
        if !keys.contains(n) {
            n2.push(*n);
            c2.push(c.clone());
        }
    }
    let out = build(n2, c2, keys.len())?;
    Ok(give(i, name, out))
}

/// `` `a`b xcol t `` renames the first columns; a dictionary renames by name.
pub fn xcol(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let (t, name) = by_ref(i, y)?;
    let (mut names, cols, nk) = flat(&t)?;
    match &x {
        Value::Dict(d) => {
            let from = sym_list(&d.keys)?;
            let to = sym_list(&d.values)?;
            // A name the table lacks is a 'length (as in kdb+ 4.x).
            for (f, t) in from.iter().zip(&to) {
                let p = names.iter().position(|n| n == f).ok_or(QError::Length)?;
                names[p] = *t;
            }
        }
        _ => {
            let new = sym_list(&x)?;
            if new.len() > names.len() {
                return Err(QError::Length);
            }
            names[..new.len()].copy_from_slice(&new);
        }
    }
    let out = build(names, cols, nk)?;
    Ok(give(i, name, out))
}

/// `` `c`a xcols t ``: the named columns first.
pub fn xcols(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let first = sym_list(&x)?;
    let (t, name) = by_ref(i, y)?;
    let Value::Table(_) = &t else { return Err(QError::Type) };
    let (names, cols, _) = flat(&t)?;
    let mut n2 = Vec::new();
    let mut c2 = Vec::new();
    for f in &first {
        let p = names.iter().position(|n| n == f).ok_or_else(|| undefined(*f))?;
        n2.push(names[p]);
        c2.push(cols[p].clone());
    }
    for (n, c) in names.iter().zip(&cols) {
        if !first.contains(n) {
            n2.push(*n);
            c2.push(c.clone());
        }
    }
    let out = build(n2, c2, 0)?;
    Ok(give(i, name, out))
}

/// Stable ascending order over several columns.
fn order_by(cols: &[&Value], desc: bool) -> QResult<Vec<i64>> {
    let n = cols.first().map_or(0, |c| c.count());
    let mut perm: Vec<i64> = (0..n as i64).collect();
    for c in cols.iter().rev() {
        let k = index1(c, &longs(perm.clone()))?;
        let mut g = grade(&k)?;
        if desc {
            g = stable_desc(&k, g)?;
        }
        perm = g.iter().map(|&p| perm[p as usize]).collect();
    }
    Ok(perm)
}

/// Reverse an ascending grade into a descending one that keeps ties in order.
pub fn stable_desc(k: &Value, asc: Vec<i64>) -> QResult<Vec<i64>> {
    let its = items(k);
    let same = |a: i64, b: i64| -> bool {
        match &its {
            Some(v) => v[a as usize] == v[b as usize],
            None => false,
        }
    };
    let mut out = Vec::with_capacity(asc.len());
    let mut end = asc.len();
    while end > 0 {
        let mut start = end - 1;
        while start > 0 && same(asc[start - 1], asc[end - 1]) {
            start -= 1;
        }
        out.extend_from_slice(&asc[start..end]);
        end = start;
    }
    Ok(out)
}

fn sort_table(i: &mut Interp, x: Value, y: Value, desc: bool) -> QResult<Value> {
    let by = sym_list(&x)?;
    let (t, name) = by_ref(i, y)?;
    let (names, cols, nk) = flat(&t)?;
    let mut keys = Vec::with_capacity(by.len());
    for b in &by {
        if by.iter().filter(|c| *c == b).count() > 1 {
            return Err(QError::Signal(Arc::from(format!("dup {}", b.name()).as_str())));
        }
        let p = names.iter().position(|n| n == b).ok_or_else(|| undefined(*b))?;
        keys.push(&cols[p]);
    }
    let perm = longs(order_by(&keys, desc)?);
    let mut out: Vec<Value> = cols.iter().map(|c| index1(c, &perm)).collect::<QResult<_>>()?;
    if !desc && nk == 0 {
        if let Some(b) = by.first() {
            let p = names.iter().position(|n| n == b).unwrap_or(0);
            out[p] = with_attr(out[p].clone(), Attr::Sorted);
        }
    }
    let r = build(names, out, nk)?;
    Ok(give(i, name, r))
}

fn with_attr(v: Value, a: Attr) -> Value {
    match v {
        Value::Vector(x) => Value::Vector(x.with_attr(a)),
        v => v,
    }
}

/// `` `c xasc t ``.
pub fn xasc(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    sort_table(i, x, y, false)
}

/// `` `c xdesc t ``.
pub fn xdesc(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    sort_table(i, x, y, true)
}

/// The type letter `meta` shows for a column.
fn type_letter(c: &Value) -> u8 {
    const T: &[u8; 20] = b" bg xhijefcspmdznuvt";
    match c {
        Value::Vector(v) => T.get(v.ty().code() as usize).copied().unwrap_or(b' '),
        Value::Enum(_) => b's',
        Value::List(l) => match l.items().first() {
            Some(Value::Vector(v)) => {
                T.get(v.ty().code() as usize).copied().unwrap_or(b' ').to_ascii_uppercase()
            }
            Some(Value::Enum(_)) => b'S',
            _ => b' ',
        },
        _ => b' ',
    }
}

/// `meta t`.
pub fn meta(i: &mut Interp, x: Value) -> QResult<Value> {
    let (t, _) = by_ref(i, x)?;
    let (names, cols, _) = flat(&t)?;
    let types: Vec<u8> = cols.iter().map(type_letter).collect();
    let fks: Vec<Sym> = cols
        .iter()
        .map(|c| match c {
            Value::Enum(e) if matches!(i.get(e.domain_name), Some(Value::Dict(d)) if d.is_keyed_table()) => {
                e.domain_name
            }
            _ => Sym::EMPTY,
        })
        .collect();
    let attrs: Vec<Sym> = cols
        .iter()
        .map(|c| match c.attr().letter() {
            Some(l) => Sym::new(&l.to_string()),
            None => Sym::EMPTY,
        })
        .collect();
    let k = Table::new(Vector::sym_names(&["c"]), vec![Value::Vector(Vector::syms(&names))])?;
    let v = Table::new(
        Vector::sym_names(&["t", "f", "a"]),
        vec![
            Value::Vector(Vector::chars(&types)),
            Value::Vector(Vector::syms(&fks)),
            Value::Vector(Vector::syms(&attrs)),
        ],
    )?;
    Value::keyed_table(k, v)
}

/// Rows to add to a table with columns `names`: from a table, a dictionary (one row), or
/// a list of column values (atoms for one row).
fn rows_of(names: &[Sym], y: &Value) -> QResult<Vec<Value>> {
    match y {
        Value::Table(t) => {
            let mut out = Vec::with_capacity(names.len());
            for n in names {
                out.push(t.column(*n).cloned().ok_or(QError::Mismatch)?);
            }
            if t.names().len() != names.len() {
                return Err(QError::Mismatch);
            }
            Ok(out)
        }
        Value::Dict(d) if d.is_keyed_table() => {
            let (n, c, _) = flat(y)?;
            let t = Table::new(Vector::syms(&n), c)?;
            rows_of(names, &Value::Table(Arc::new(t)))
        }
        Value::Dict(d) => {
            let ks = sym_list(&d.keys)?;
            let vs = items(&d.values).ok_or(QError::Type)?;
            let mut out = Vec::with_capacity(names.len());
            for n in names {
                match ks.iter().position(|k| k == n) {
                    Some(p) => out.push(crate::convert::enlist_atom(&vs[p])),
                    None => return Err(QError::Mismatch),
                }
            }
            Ok(out)
        }
        _ => {
            let its = match y {
                Value::List(l) => l.items().to_vec(),
                v if v.is_atom() => vec![v.clone()],
                v => items(v).ok_or(QError::Type)?,
            };
            if its.len() != names.len() {
                return Err(QError::Length);
            }
            let all_atoms = its.iter().all(Value::is_atom);
            Ok(its
                .into_iter()
                .map(|v| if all_atoms { crate::convert::enlist_atom(&v) } else { v })
                .collect())
        }
    }
}

/// Append `extra` to a column, keeping its type: `'type` when the types differ.
fn append(i: &mut Interp, col: &Value, extra: Value) -> QResult<Value> {
    let extra = if extra.is_atom() { crate::convert::enlist_atom(&extra) } else { extra };
    match (col, &extra) {
        (Value::Vector(a), Value::Vector(b)) if a.ty() != b.ty() && !a.is_empty() => {
            return Err(QError::Type);
        }
        (Value::Vector(a), Value::List(_)) if !a.is_empty() && extra.count() > 0 => {
            return Err(QError::Type);
        }
        (Value::Enum(e), _) => {
            let ext = enumerate_in(i, e.domain_name, &extra, false)?;
            return crate::prims::list::join(i, col.clone(), ext);
        }
        _ => {}
    }
    // `,` keeps what attribute it can (`s#` still in order, `u#` still unique, `g#`).
    crate::prims::list::join(i, col.clone(), extra)
}

/// Append the rows `y` to the simple table held by the global `name` in place, when every
/// column is a vector and `y` gives each a vector (or atom) of its type: the table is taken
/// out of the globals for the append, so its columns' buffers are its own and grow where
/// they are (amortised O(rows added), as kdb+'s appends; the general path copies every
/// column). The number of rows added, or `None` (nothing done) for anything else.
pub(crate) fn append_in_place(i: &mut Interp, name: Sym, y: &Value) -> QResult<Option<usize>> {
    if i.is_secondary() {
        return Ok(None);
    }
    let items = {
        let Some(Value::Table(t)) = i.get(name) else { return Ok(None) };
        let names: Vec<Sym> = t.names().as_slice::<Sym>().to_vec();
        let Ok(add) = rows_of(&names, y) else { return Ok(None) };
        let n = add.iter().find(|c| !c.is_atom()).map_or(1, Value::count);
        let mut items = Vec::with_capacity(add.len());
        for (c, a) in t.columns().iter().zip(add) {
            let a = if a.is_atom() { take_n(&a, n as i64)? } else { a };
            match (c, a) {
                (Value::Vector(cv), Value::Vector(av)) if cv.ty() == av.ty() && av.len() == n => {
                    match crate::prims::attrs::append_attr(cv, &av) {
                        Some(attr) => items.push((av, attr)),
                        None => return Ok(None),
                    }
                }
                _ => return Ok(None),
            }
        }
        items
    };
    // Out of the globals, the table's columns are its own: they grow where they are.
    let mut t = match i.take_raw(name) {
        Some(Value::Table(t)) => t,
        Some(other) => {
            i.put_raw(name, other);
            return Ok(None);
        }
        None => return Ok(None),
    };
    let cols = Arc::make_mut(&mut t).columns_mut();
    for (c, (a, attr)) in cols.iter_mut().zip(&items) {
        if let Value::Vector(cv) = c {
            cv.extend_from(a);
            cv.set_attr(*attr);
        }
    }
    i.put_raw(name, Value::Table(t));
    if i.watching {
        i.global_appended(name);
    }
    Ok(Some(items.first().map_or(0, |(a, _)| a.len())))
}

/// `` `t insert x ``: append rows to a global table; the new rows' indices.
pub fn insert(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let Value::Symbol(name) = x else { return Err(QError::Type) };
    let Some(t) = i.get(name).cloned() else {
        // Inserting a table (keyed or not) into an undefined name defines it.
        let is_table =
            matches!(&y, Value::Table(_)) || matches!(&y, Value::Dict(d) if d.is_keyed_table());
        if !is_table {
            return Err(undefined(name));
        }
        let n = y.count() as i64;
        i.set_global(name, y);
        return Ok(longs((0..n).collect()));
    };
    let (_, cols, nk) = flat(&t)?;
    let before = cols.first().map_or(0, Value::count);
    if nk == 0 && !matches!(y, Value::Table(_)) {
        drop((t, cols));
        if let Some(n) = append_in_place(i, name, &y)? {
            return Ok(longs((before as i64..(before + n) as i64).collect()));
        }
        let t = i.get(name).cloned().ok_or_else(|| undefined(name))?;
        return insert_rows(i, name, &t, y);
    }
    insert_rows(i, name, &t, y)
}

/// `insert` by the general path: every column appended by `,`.
fn insert_rows(i: &mut Interp, name: Sym, t: &Value, y: Value) -> QResult<Value> {
    let (names, cols, nk) = flat(t)?;
    let before = cols.first().map_or(0, Value::count);
    let add = rows_of(&names, &y)?;
    let n = add.iter().find(|c| !c.is_atom()).map_or(1, Value::count);
    if nk > 0 {
        // Keyed: new keys only.
        let keys = Table::new(Vector::syms(&names[..nk]), cols[..nk].to_vec())?;
        let addk: Vec<Value> = add[..nk].to_vec();
        for r in 0..n {
            let row: Vec<Value> =
                addk.iter().map(|c| index1(c, &Value::Long(r as i64))).collect::<QResult<_>>()?;
            if find_key(i, &keys, &row)?.is_some() {
                return Err(QError::Signal(Arc::from("insert")));
            }
        }
    }
    let mut out = Vec::with_capacity(cols.len());
    for (c, a) in cols.iter().zip(add) {
        let a = if a.is_atom() { take_n(&a, n as i64)? } else { a };
        out.push(append(i, c, a)?);
    }
    let r = build(names, out, nk)?;
    i.set_global(name, r);
    Ok(longs((before as i64..(before + n) as i64).collect()))
}

/// Position of a row (one value per key column) in a key table. One key column of a vector
/// type, looked up with an atom of its type, is searched as `?` does (a typed scan, or the
/// hash index of a `u#`/`g#` column); other keys row by row.
fn find_key(i: &mut Interp, keys: &Table, row: &[Value]) -> QResult<Option<usize>> {
    if let ([Value::Vector(k)], [a]) = (keys.columns(), row) {
        if a.is_atom() && a.qtype() == k.ty().atom() {
            let at = crate::prims::list::find(i, Value::Vector(k.clone()), a.clone())?;
            return Ok(match at {
                Value::Long(p) => usize::try_from(p).ok().filter(|&p| p < k.len()),
                _ => find_row(keys, row),
            });
        }
    }
    Ok(find_row(keys, row))
}

/// Position of a row (one value per key column) in a key table, row by row.
fn find_row(keys: &Table, row: &[Value]) -> Option<usize> {
    let n = keys.rows();
    (0..n).find(|&r| {
        keys.columns()
            .iter()
            .zip(row)
            .all(|(c, v)| index1(c, &Value::Long(r as i64)).map(|x| &x == v).unwrap_or(false))
    })
}

/// `t upsert x`: append to a simple table; update matching keys of a keyed table and
/// append the others.
pub fn upsert(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    // A row (not a table, nor a list of rows) onto a simple table: in place.
    let rows = match &y {
        Value::Table(_) | Value::Dict(_) => true,
        Value::List(l) => l.items().iter().all(|r| matches!(r, Value::List(_) | Value::Vector(_))),
        _ => false,
    };
    if let (Value::Symbol(s), false) = (&x, rows) {
        if append_in_place(i, *s, &y)?.is_some() {
            return Ok(x);
        }
    }
    let (t, name) = by_ref(i, x)?;
    // A step dictionary (`` `s#d ``) named by reference cannot be upserted in place.
    if let (Value::Dict(d), Some(_)) = (&t, name) {
        if d.is_sorted() && !d.is_keyed_table() {
            return Err(QError::Signal(Arc::from("step")));
        }
    }
    let out = upsert_value(i, &t, &y)?;
    Ok(give(i, name, out))
}

/// Upsert without names.
pub fn upsert_value(i: &mut Interp, t: &Value, y: &Value) -> QResult<Value> {
    let (names, cols, nk) = flat(t)?;
    if let (Value::Table(_), Value::List(l)) = (t, y) {
        // A list of rows?
        if l.items().iter().all(|r| matches!(r, Value::List(_) | Value::Vector(_)))
            && l.items().first().is_some_and(|r| r.count() == names.len())
            && l.len() != names.len()
        {
            let mut acc = t.clone();
            for r in l.items() {
                acc = upsert_value(i, &acc, r)?;
            }
            return Ok(acc);
        }
    }
    if nk == 0 {
        if let Value::Table(_) = y {
            // Columns by name, in any order; missing ones are null.
            return append_assign(i, t.clone(), y.clone());
        }
    }
    if nk > 0 {
        if let Some(add) = keyed_rows_of(&names, nk, y)? {
            return upsert_keyed(i, names, cols, nk, add);
        }
    }
    let add = rows_of(&names, y)?;
    if nk > 0 {
        return upsert_keyed(i, names, cols, nk, add.into_iter().map(Some).collect());
    }
    let n = add.iter().find(|c| !c.is_atom()).map_or(1, Value::count);
    {
        let mut out = Vec::with_capacity(cols.len());
        for (c, a) in cols.iter().zip(add) {
            let a = if a.is_atom() { take_n(&a, n as i64)? } else { a };
            out.push(append(i, c, a)?);
        }
        build(names, out, 0)
    }
}

/// The columns of a table or keyed table `y` upserted into a keyed table with columns
/// `names` (the first `nk` its keys): `None` for a value column `y` lacks (existing rows
/// keep theirs, new rows get nulls); `'mismatch` when `y` lacks a key or has a column the
/// table does not. `Ok(None)` when `y` is not a table.
fn keyed_rows_of(names: &[Sym], nk: usize, y: &Value) -> QResult<Option<Vec<Option<Value>>>> {
    if !matches!(y, Value::Table(_)) && !matches!(y, Value::Dict(d) if d.is_keyed_table()) {
        return Ok(None);
    }
    let (yn, yc, _) = flat(y)?;
    if yn.iter().any(|c| !names.contains(c)) {
        return Err(QError::Mismatch);
    }
    let add: Vec<Option<Value>> =
        names.iter().map(|n| yn.iter().position(|c| c == n).map(|p| yc[p].clone())).collect();
    if add[..nk].iter().any(Option::is_none) {
        return Err(QError::Mismatch);
    }
    Ok(Some(add))
}

/// Upsert rows by key into a keyed table's flat columns: a row whose key is present
/// replaces the given value columns, a new row is appended (nulls for missing columns).
fn upsert_keyed(
    i: &mut Interp,
    names: Vec<Sym>,
    cols: Vec<Value>,
    nk: usize,
    add: Vec<Option<Value>>,
) -> QResult<Value> {
    let n = add.iter().flatten().find(|c| !c.is_atom()).map_or(1, Value::count);
    let keys = Table::new(Vector::syms(&names[..nk]), cols[..nk].to_vec())?;
    let mut cols = cols;
    let mut appended: Vec<Vec<Value>> = vec![Vec::new(); names.len()];
    for r in 0..n {
        let row: Vec<Option<Value>> = add
            .iter()
            .map(|c| c.as_ref().map(|c| index1(c, &Value::Long(r as i64))).transpose())
            .collect::<QResult<_>>()?;
        let key: Vec<Value> = row[..nk].iter().flatten().cloned().collect();
        match find_key(i, &keys, &key)? {
            Some(p) => {
                for (k, v) in row.into_iter().enumerate().skip(nk) {
                    let Some(v) = v else { continue };
                    let at = fq_value::prim::binary_code("@").unwrap_or(18);
                    let c = std::mem::replace(&mut cols[k], Value::Long(0));
                    cols[k] = crate::prims::call_variadic(
                        i,
                        at,
                        vec![c, Value::Long(p as i64), Value::Binary(0), v],
                    )?;
                }
            }
            None => {
                for (k, v) in row.into_iter().enumerate() {
                    let v = match v {
                        Some(v) => v,
                        None => index1(&cols[k], &Value::Long(-1))?,
                    };
                    appended[k].push(v);
                }
            }
        }
    }
    if !appended[0].is_empty() {
        for (k, a) in appended.into_iter().enumerate() {
            let c = std::mem::replace(&mut cols[k], Value::Long(0));
            cols[k] = append(i, &c, collapse(a))?;
        }
    }
    build(names, cols, nk)
}

/// `ungroup t`: one row per item of the nested columns.
pub fn ungroup(_: &mut Interp, x: Value) -> QResult<Value> {
    let (names, cols, _) = flat(&x)?;
    let rows = cols.first().map_or(0, Value::count);
    let nested: Vec<bool> = cols
        .iter()
        .map(|c| matches!(c, Value::List(l) if l.items().iter().all(|v| !v.is_atom())))
        .collect();
    let mut counts = vec![0i64; rows];
    let mut set = false;
    for (c, &nst) in cols.iter().zip(&nested) {
        if !nst {
            continue;
        }
        let Value::List(l) = c else { continue };
        for (r, it) in l.items().iter().enumerate() {
            let n = it.count() as i64;
            if set && counts[r] != n {
                return Err(QError::Length);
            }
            counts[r] = n;
        }
        set = true;
    }
    if !set {
        return Ok(match x {
            Value::Dict(_) => build(names, cols, 0)?,
            t => t,
        });
    }
    let idx: Vec<i64> = counts
        .iter()
        .enumerate()
        .flat_map(|(r, &n)| std::iter::repeat_n(r as i64, n as usize))
        .collect();
    let iv = longs(idx);
    let mut out = Vec::with_capacity(cols.len());
    let mut i2 = Interp::scratch();
    for (c, &nst) in cols.iter().zip(&nested) {
        out.push(if nst { crate::prims::list::raze(&mut i2, c.clone())? } else { index1(c, &iv)? });
    }
    build(names, out, 0)
}

/// `` `k xgroup t ``: group the other columns by the named ones.
pub fn xgroup(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let keys = sym_list(&x)?;
    let (names, cols, _) = flat(&y)?;
    let kcols: Vec<&Value> = keys
        .iter()
        .map(|k| names.iter().position(|n| n == k).map(|p| &cols[p]).ok_or_else(|| undefined(*k)))
        .collect::<QResult<_>>()?;
    let n = kcols.first().map_or(0, |c| c.count());
    // Group in first-seen order.
    let kv: Vec<Value> = kcols.iter().map(|c| (*c).clone()).collect();
    let (ids, ng) = crate::qsql::group_ids(&kv)?;
    let mut firsts: Vec<usize> = vec![usize::MAX; ng];
    let mut groups: Vec<Vec<i64>> = vec![Vec::new(); ng];
    for (r, &g) in ids.iter().enumerate().take(n) {
        if firsts[g as usize] == usize::MAX {
            firsts[g as usize] = r;
        }
        groups[g as usize].push(r as i64);
    }
    let fv = longs(firsts.iter().map(|&f| f as i64).collect());
    let mut n2 = Vec::new();
    let mut c2 = Vec::new();
    for (k, c) in keys.iter().zip(&kcols) {
        n2.push(*k);
        c2.push(index1(c, &fv)?);
    }
    for (nm, c) in names.iter().zip(&cols) {
        if keys.contains(nm) {
            continue;
        }
        let per: Vec<Value> =
            groups.iter().map(|g| index1(c, &longs(g.clone()))).collect::<QResult<_>>()?;
        n2.push(*nm);
        c2.push(Value::list(per));
    }
    build(n2, c2, keys.len())
}

/// Enumerate `y` against the symbol list named `domain`; with `extend`, add missing
/// symbols to the domain first (`?`), else `'cast` when one is missing (`$`).
pub fn enumerate_in(i: &mut Interp, domain: Sym, y: &Value, extend: bool) -> QResult<Value> {
    let dom_val = i.get(domain).cloned();
    let mut dom: Vec<Sym> = match &dom_val {
        Some(Value::Vector(v)) if v.ty() == QType::SYMBOL => v.as_slice::<Sym>().to_vec(),
        Some(Value::Vector(v)) if v.is_empty() => Vec::new(),
        Some(Value::List(l)) if l.is_empty() => Vec::new(),
        Some(Value::Dict(d)) if d.is_keyed_table() => {
            // A foreign key: enumerate against the key column.
            let Value::Table(k) = &d.keys else { return Err(QError::Type) };
            match k.columns() {
                [Value::Vector(v)] if v.ty() == QType::SYMBOL => v.as_slice::<Sym>().to_vec(),
                [Value::Vector(v)] if !extend => return enumerate_keys(i, domain, v, y),
                _ => return Err(QError::Type),
            }
        }
        None if extend => Vec::new(),
        None => return Err(undefined(domain)),
        _ => return Err(QError::Type),
    };
    let (syms, atom): (Vec<Sym>, bool) = match y {
        Value::Symbol(s) => (vec![*s], true),
        Value::Vector(v) if v.ty() == QType::SYMBOL => (v.as_slice::<Sym>().to_vec(), false),
        Value::Vector(v) if v.is_empty() => (Vec::new(), false),
        Value::List(l) if l.is_empty() => (Vec::new(), false),
        Value::Enum(e) => match e.resolve()? {
            Value::Symbol(s) => (vec![s], true),
            Value::Vector(v) => (v.as_slice::<Sym>().to_vec(), false),
            _ => return Err(QError::Type),
        },
        _ => return Err(QError::Type),
    };
    let mut pos: fq_value::hash::FxHashMap<Sym, i64> =
        dom.iter().enumerate().map(|(k, s)| (*s, k as i64)).rev().collect();
    let mut idx = Vec::with_capacity(syms.len());
    let mut grew = false;
    for s in &syms {
        match pos.get(s) {
            Some(&p) => idx.push(p),
            None if extend => {
                let p = dom.len() as i64;
                dom.push(*s);
                pos.insert(*s, p);
                idx.push(p);
                grew = true;
            }
            None => return Err(QError::Signal(Arc::from("cast"))),
        }
    }
    if grew || dom_val.is_none() {
        i.set_global(domain, Value::Vector(Vector::syms(&dom)));
    }
    let ty = QType(if atom { -20 } else { 20 });
    // `?` keeps the attribute of what it enumerates; `$` does not.
    let attr = if extend { y.attr() } else { Attr::None };
    Ok(Value::Enum(Arc::new(Enumeration {
        ty,
        domain_name: domain,
        domain: i.domain_cell(domain, Vector::syms(&dom)),
        indices: Vector::from_vec(QType::LONG, idx).with_attr(attr),
    })))
}

/// `` `f$y `` where `f` is a table keyed by one column of a type other than symbol: the
/// rows of `f` whose keys are `y` (`'cast` when one is missing, `'type` when `y` is not of
/// the key's type).
fn enumerate_keys(i: &mut Interp, domain: Sym, keys: &Vector, y: &Value) -> QResult<Value> {
    let y = match y {
        Value::Enum(e) if e.domain_name == domain => return Ok(y.clone()),
        Value::Enum(e) => e.resolve()?,
        y => y.clone(),
    };
    let atom = y.is_atom();
    let same_type =
        if atom { y.qtype().code() == -keys.ty().code() } else { y.qtype() == keys.ty() };
    if !(same_type || (!atom && y.count() == 0)) {
        return Err(QError::Type);
    }
    let at = crate::prims::list::find(i, Value::Vector(keys.clone()), y)?;
    let idx: Vec<i64> = match &at {
        Value::Long(k) => vec![*k],
        Value::Vector(v) if v.ty() == QType::LONG => v.as_slice::<i64>().to_vec(),
        Value::Vector(v) if v.is_empty() => Vec::new(),
        Value::List(l) if l.is_empty() => Vec::new(),
        _ => return Err(QError::Type),
    };
    if idx.iter().any(|&k| usize::try_from(k).map_or(true, |k| k >= keys.len())) {
        return Err(QError::Signal(Arc::from("cast")));
    }
    Ok(Value::Enum(Arc::new(Enumeration {
        ty: QType(if atom { -20 } else { 20 }),
        domain_name: domain,
        domain: i.domain_cell(domain, keys.clone()),
        indices: Vector::from_vec(QType::LONG, idx),
    })))
}

/// `` `d!y ``: the enumeration over the symbol list named `d` whose indices are the
/// integers `y` (`'index` for one outside the domain).
pub fn enumerate_indices(i: &mut Interp, domain: Sym, y: &Value) -> QResult<Value> {
    let dom = match i.get(domain) {
        Some(Value::Vector(v)) if v.ty() == QType::SYMBOL => v.clone(),
        Some(_) => return Err(QError::Type),
        None => return Err(undefined(domain)),
    };
    let Value::Vector(v) = y else { return Err(QError::Type) };
    let idx = crate::convert::vector_i64(v).ok_or(QError::Type)?;
    if idx.iter().any(|&k| usize::try_from(k).map_or(true, |k| k >= dom.len())) {
        return Err(QError::Index);
    }
    Ok(Value::Enum(Arc::new(Enumeration {
        ty: QType(20),
        domain_name: domain,
        domain: i.domain_cell(domain, dom),
        indices: Vector::from_vec(QType::LONG, idx),
    })))
}

/// `` `d$y `` when `d` names a domain rather than a type; `None` when it names a type.
pub fn try_enumerate(i: &mut Interp, x: &Value, y: &Value) -> Option<QResult<Value>> {
    let Value::Symbol(s) = x else { return None };
    if s.is_null() || is_type_name(s) {
        return None;
    }
    let keyed = || matches!(i.get(*s), Some(Value::Dict(d)) if d.is_keyed_table());
    let enumerable =
        matches!(y, Value::Symbol(_) | Value::Vector(_) | Value::List(_) | Value::Enum(_));
    if !(enumerable || (y.is_atom() && keyed())) {
        return None;
    }
    Some(enumerate_in(i, *s, y, false))
}

/// `` `d?y ``: enumerate, extending the domain.
pub fn try_enum_extend(i: &mut Interp, x: &Value, y: &Value) -> Option<QResult<Value>> {
    let Value::Symbol(s) = x else { return None };
    if s.is_null() {
        return None;
    }
    Some(enumerate_in(i, *s, y, true))
}

fn is_type_name(s: &Sym) -> bool {
    const NAMES: &[&str] = &[
        "boolean",
        "guid",
        "byte",
        "short",
        "int",
        "long",
        "real",
        "float",
        "char",
        "symbol",
        "timestamp",
        "month",
        "date",
        "datetime",
        "timespan",
        "minute",
        "second",
        "time",
        "year",
        "mm",
        "dd",
        "hh",
        "uu",
        "ss",
        "week",
    ];
    NAMES.contains(&s.name().as_ref())
}

/// Keyed table with keyed table under an atomic function: rows match by key; unmatched
/// rows of either side carry over.
pub fn keyed_pair(
    x: &Dict,
    y: &Dict,
    f: &dyn Fn(&Value, &Value) -> QResult<Value>,
) -> QResult<Value> {
    let (Value::Table(xk), Value::Table(xv), Value::Table(yk), Value::Table(yv)) =
        (&x.keys, &x.values, &y.keys, &y.values)
    else {
        return Err(QError::Type);
    };
    let mut kcols: Vec<Vec<Value>> =
        xk.columns().iter().map(|c| items(c).unwrap_or_default()).collect();
    let mut vcols: Vec<Vec<Value>> = Vec::with_capacity(xv.columns().len());
    for (n, c) in xv.names().as_slice::<Sym>().iter().zip(xv.columns()) {
        let _ = n;
        vcols.push(items(c).ok_or(QError::Type)?);
    }
    let yvn = yv.names().as_slice::<Sym>();
    let xvn = xv.names().as_slice::<Sym>();
    for r in 0..yk.rows() {
        let row: Vec<Value> = yk
            .columns()
            .iter()
            .map(|c| index1(c, &Value::Long(r as i64)))
            .collect::<QResult<_>>()?;
        let pos = (0..kcols.first().map_or(0, Vec::len))
            .find(|&p| kcols.iter().zip(&row).all(|(c, v)| &c[p] == v));
        match pos {
            Some(p) => {
                for (k, n) in xvn.iter().enumerate() {
                    if let Some(yc) = yvn.iter().position(|m| m == n) {
                        let yvv = index1(&yv.columns()[yc], &Value::Long(r as i64))?;
                        vcols[k][p] = f(&vcols[k][p], &yvv)?;
                    }
                }
            }
            None => {
                for (c, v) in kcols.iter_mut().zip(row) {
                    c.push(v);
                }
                for (k, n) in xvn.iter().enumerate() {
                    let v = match yvn.iter().position(|m| m == n) {
                        Some(yc) => index1(&yv.columns()[yc], &Value::Long(r as i64))?,
                        None => return Err(QError::Mismatch),
                    };
                    vcols[k].push(v);
                }
            }
        }
    }
    let k = Table::new(xk.names().clone(), kcols.into_iter().map(collapse).collect())?;
    let v = Table::new(xv.names().clone(), vcols.into_iter().map(collapse).collect())?;
    Value::keyed_table(k, v)
}

/// `(f;c) fby g`: `f` applied to `c` within each group of `g` (a list, or a table of
/// several group columns), the group's result on each of its rows.
pub fn fby(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let parts = match &x {
        Value::List(l) if l.len() == 2 => l.items().to_vec(),
        _ => return Err(QError::Type),
    };
    let (f, c) = (&parts[0], &parts[1]);
    let keys: Vec<Value> = match &y {
        Value::Table(t) => t.columns().to_vec(),
        v => vec![v.clone()],
    };
    let n = keys.first().map_or(0, Value::count);
    if c.count() != n {
        return Err(QError::Length);
    }
    let (ids, ng) = crate::qsql::group_ids(&keys)?;
    let mut groups: Vec<Vec<i64>> = vec![Vec::new(); ng];
    for (r, &g) in ids.iter().enumerate() {
        groups[g as usize].push(r as i64);
    }
    let mut per = Vec::with_capacity(ng);
    for g in groups {
        i.tick()?;
        let part = index1(c, &longs(g))?;
        per.push(i.apply(f, vec![part])?);
    }
    let per = collapse(per);
    index1(&per, &longs(ids.iter().map(|&g| i64::from(g)).collect()))
}

/// `x,:y`: append in place, keeping `x`'s type: a typed vector takes only items of its
/// type (`'type`), an enumeration enumerates `y` against its domain (`'cast`), a list of
/// lists takes a vector as one item, a table takes rows (a row as a list of atoms or a
/// dictionary, several rows as a list of rows or a table, missing columns null), a keyed
/// table upserts, a dictionary upserts with values of its type.
pub fn append_assign(i: &mut Interp, cur: Value, y: Value) -> QResult<Value> {
    let join = |i: &mut Interp, a: Value, b: Value| crate::prims::list::join(i, a, b);
    match (&cur, &y) {
        (Value::Vector(cv), _) if !cv.is_empty() => {
            let ty = cv.ty();
            let ok = match &y {
                Value::Vector(yv) => yv.ty() == ty || yv.is_empty(),
                Value::Enum(_) => ty == QType::SYMBOL,
                Value::List(l) => l.items().iter().all(|x| x.qtype() == ty.atom()),
                a if a.is_atom() => a.qtype() == ty.atom(),
                _ => false,
            };
            if !ok {
                return Err(QError::Type);
            }
            let y = match y {
                Value::Enum(e) => e.resolve()?,
                y => y,
            };
            join(i, cur, y)
        }
        (Value::Enum(e), _) => {
            let ext = enumerate_in(i, e.domain_name, &y, false)?;
            let Value::Enum(x) = &ext else { return Err(QError::Type) };
            let mut idx = e.indices.as_slice::<i64>().to_vec();
            idx.extend_from_slice(x.indices.as_slice::<i64>());
            Ok(Value::Enum(Arc::new(Enumeration {
                ty: QType(20),
                domain_name: e.domain_name,
                domain: x.domain.clone(),
                indices: Vector::from_vec(QType::LONG, idx),
            })))
        }
        (Value::List(l), Value::Vector(_))
            if !l.is_empty() && l.items().iter().all(|x| !x.is_atom()) =>
        {
            let mut items = l.items().to_vec();
            items.push(y);
            Ok(Value::list(items))
        }
        (Value::Table(t), _) => {
            let names: Vec<Sym> = t.names().as_slice::<Sym>().to_vec();
            let rows = table_rows(&names, &y)?;
            let mut out = Vec::with_capacity(names.len());
            for (c, add) in t.columns().iter().zip(rows) {
                let add = match add {
                    // A missing column: nulls of the column's type.
                    Value::List(l) if l.items().iter().all(Value::is_generic_null) => {
                        index1(c, &longs(vec![-1; l.len()]))?
                    }
                    a => a,
                };
                out.push(append(i, c, add)?);
            }
            build(names, out, 0)
        }
        (Value::Dict(d), _) if d.is_keyed_table() => {
            let (names, _, _) = flat(&cur)?;
            let rows: Vec<Value> = match &y {
                Value::List(l) if l.items().iter().all(|r| matches!(r, Value::List(_))) => {
                    l.items().to_vec()
                }
                y => vec![y.clone()],
            };
            let mut acc = cur.clone();
            for r in rows {
                let r = match r {
                    Value::Dict(rd) if !rd.is_keyed_table() => {
                        let ks = sym_list(&rd.keys)?;
                        let vs = items(&rd.values).ok_or(QError::Type)?;
                        let row: Vec<Value> = names
                            .iter()
                            .map(|n| ks.iter().position(|k| k == n).map(|p| vs[p].clone()))
                            .collect::<Option<_>>()
                            .ok_or(QError::Mismatch)?;
                        Value::list(row)
                    }
                    r => r,
                };
                acc = upsert_value(i, &acc, &r)?;
            }
            Ok(acc)
        }
        (Value::Dict(d), Value::Dict(e)) => {
            if let (Value::Vector(dv), Value::Vector(ev)) = (&d.values, &e.values) {
                if dv.ty() != ev.ty() && !ev.is_empty() {
                    return Err(QError::Type);
                }
            }
            join(i, cur, y)
        }
        _ => join(i, cur, y),
    }
}

/// Rows to append to a table with columns `names`, one value per column (missing
/// columns get nulls later): a table, a dictionary (one row), a list of atoms (one row),
/// or a list of rows.
fn table_rows(names: &[Sym], y: &Value) -> QResult<Vec<Value>> {
    match y {
        Value::Table(t) => {
            let n = t.rows();
            names
                .iter()
                .map(|c| match t.column(*c) {
                    Some(v) => Ok(v.clone()),
                    None => missing(n),
                })
                .collect::<QResult<Vec<_>>>()
                .and_then(|cols| {
                    if t.names().as_slice::<Sym>().iter().any(|c| !names.contains(c)) {
                        Err(QError::Mismatch)
                    } else {
                        Ok(cols)
                    }
                })
        }
        Value::Dict(d) if !d.is_keyed_table() => {
            let ks = sym_list(&d.keys)?;
            let vs = items(&d.values).ok_or(QError::Type)?;
            if ks.iter().any(|k| !names.contains(k)) {
                return Err(QError::Mismatch);
            }
            names
                .iter()
                .map(|n| match ks.iter().position(|k| k == n) {
                    Some(p) => Ok(crate::convert::enlist_atom(&vs[p])),
                    None => missing(1),
                })
                .collect()
        }
        _ => {
            let its = match y {
                Value::List(l) => l.items().to_vec(),
                v => items(v).ok_or(QError::Type)?,
            };
            if its.iter().all(Value::is_atom) {
                if its.len() != names.len() {
                    return Err(QError::Length);
                }
                return Ok(its.iter().map(crate::convert::enlist_atom).collect());
            }
            // A list of rows: transpose.
            let mut cols: Vec<Vec<Value>> = vec![Vec::new(); names.len()];
            for r in &its {
                let cells = items(r).ok_or(QError::Type)?;
                if cells.len() != names.len() {
                    return Err(QError::Length);
                }
                for (c, v) in cols.iter_mut().zip(cells) {
                    c.push(v);
                }
            }
            Ok(cols.into_iter().map(collapse).collect())
        }
    }
}

/// A placeholder for a column missing from appended rows: `n` generic nulls, typed by
/// [`append`] from the column it joins.
fn missing(n: usize) -> QResult<Value> {
    Ok(Value::list(vec![fq_value::GENERIC_NULL; n]))
}
