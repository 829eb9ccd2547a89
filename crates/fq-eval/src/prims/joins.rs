//! Joins: `lj ljf ij ijf pj uj ujf ej aj aj0 ajf ajf0 asof wj wj1`, with kdb+'s column and
//! null rules.

use crate::interp::Interp;
use crate::prims::index::index1;
use crate::prims::list::{join, take_n};
use crate::prims::table::{build, flat, upsert_value};
use fq_value::{QError, QResult, QType, Sym, Value, Vector};
use std::sync::Arc;

fn longs(v: Vec<i64>) -> Value {
    Value::Vector(Vector::from_vec(QType::LONG, v))
}

fn undefined(s: Sym) -> QError {
    QError::Undefined(Arc::from(s.name().as_ref()))
}

fn col<'a>(names: &[Sym], cols: &'a [Value], n: Sym) -> QResult<&'a Value> {
    names.iter().position(|&m| m == n).map(|p| &cols[p]).ok_or_else(|| undefined(n))
}

fn syms_of(x: &Value) -> QResult<Vec<Sym>> {
    match x {
        Value::Symbol(s) => Ok(vec![*s]),
        Value::Vector(v) if v.ty() == QType::SYMBOL => Ok(v.as_slice::<Sym>().to_vec()),
        _ => Err(QError::Type),
    }
}

/// Group ids shared by the rows of `build` then `probe` key columns (same count of
/// columns): ids of the build rows, ids of the probe rows, and the number of ids.
fn shared_ids(
    i: &mut Interp,
    build_cols: &[&Value],
    probe_cols: &[&Value],
) -> QResult<(Vec<u32>, Vec<u32>, usize)> {
    let nb = build_cols.first().map_or(0, |c| c.count());
    let mut combined = Vec::with_capacity(build_cols.len());
    for (b, p) in build_cols.iter().zip(probe_cols) {
        let b = plain(b)?;
        let p = plain(p)?;
        if let (Value::Vector(x), Value::Vector(y)) = (&b, &p) {
            if x.ty() != y.ty() && !x.is_empty() && !y.is_empty() {
                return Err(QError::Type);
            }
        }
        combined.push(join(i, b, p)?);
    }
    let (ids, n) = crate::qsql::group_ids(&combined)?;
    let (b, p) = ids.split_at(nb.min(ids.len()));
    Ok((b.to_vec(), p.to_vec(), n))
}

/// Enumerations compare as their symbols.
fn plain(v: &Value) -> QResult<Value> {
    match v {
        Value::Enum(e) => e.resolve(),
        v => Ok(v.clone()),
    }
}

/// For each probe row, the first build row with the same key (-1 when none).
fn first_match(i: &mut Interp, build_cols: &[&Value], probe_cols: &[&Value]) -> QResult<Vec<i64>> {
    let (b, p, n) = shared_ids(i, build_cols, probe_cols)?;
    let mut first = vec![-1i64; n];
    for (r, &id) in b.iter().enumerate() {
        if first[id as usize] < 0 {
            first[id as usize] = r as i64;
        }
    }
    Ok(p.iter().map(|&id| first[id as usize]).collect())
}

#[derive(Clone, Copy, PartialEq)]
enum Lj {
    Left,
    Inner,
    Plus,
}

/// Overwrite `base` at rows where `pos >= 0` with `vals` there; `fill`: only where the
/// new value is not null.
fn merge(i: &mut Interp, base: &Value, vals: &Value, pos: &[i64], fill: bool) -> QResult<Value> {
    let rows: Vec<i64> = (0..pos.len() as i64).filter(|&r| pos[r as usize] >= 0).collect();
    let rows: Vec<i64> = if fill {
        let nulls = crate::prims::math::null(i, vals.clone())?;
        let Value::Vector(nv) = nulls else { return Err(QError::Type) };
        let nv = nv.as_slice::<u8>();
        rows.into_iter().filter(|&r| nv[r as usize] == 0).collect()
    } else {
        rows
    };
    if rows.is_empty() {
        return Ok(base.clone());
    }
    let rv = longs(rows);
    let new = index1(vals, &rv)?;
    let at = fq_value::prim::binary_code("@").unwrap_or(18);
    let base = match base {
        Value::Vector(v) => Value::Vector(v.clone().with_attr(fq_value::Attr::None)),
        b => b.clone(),
    };
    crate::prims::call_variadic(i, at, vec![base, rv, Value::Binary(0), new])
}

fn left_join(i: &mut Interp, x: Value, y: Value, kind: Lj, fill: bool) -> QResult<Value> {
    let (yn, yc, nk) = flat(&y)?;
    if nk == 0 {
        return Err(QError::Type);
    }
    let (mut xn, mut xc, xk) = flat(&x)?;
    let xkeys: Vec<&Value> = yn[..nk].iter().map(|&n| col(&xn, &xc, n)).collect::<QResult<_>>()?;
    let ykeys: Vec<&Value> = yc[..nk].iter().collect();
    let mut pos = first_match(i, &ykeys, &xkeys)?;
    if kind == Lj::Inner {
        let keep: Vec<i64> = (0..pos.len() as i64).filter(|&r| pos[r as usize] >= 0).collect();
        let kv = longs(keep.clone());
        xc = xc.iter().map(|c| index1(c, &kv)).collect::<QResult<_>>()?;
        pos = keep.iter().map(|&r| pos[r as usize]).collect();
    }
    let pv = longs(pos);
    let pos: &[i64] = match &pv {
        Value::Vector(v) => v.as_slice::<i64>(),
        _ => &[],
    };
    for (n, c) in yn[nk..].iter().zip(&yc[nk..]) {
        let vals = index1(c, &pv)?;
        match xn.iter().position(|m| m == n) {
            Some(p) => {
                xc[p] = match kind {
                    Lj::Plus => {
                        let zero = fill_zero(i, &vals)?;
                        crate::prims::arith::arith(crate::prims::arith::Op::Add, &xc[p], &zero)?
                    }
                    _ => merge(i, &xc[p], &vals, pos, fill)?,
                }
            }
            None => {
                xn.push(*n);
                xc.push(if kind == Lj::Plus { fill_zero(i, &vals)? } else { vals });
            }
        }
    }
    build(xn, xc, xk)
}

fn fill_zero(i: &mut Interp, v: &Value) -> QResult<Value> {
    crate::prims::math::fill(i, Value::Long(0), v.clone())
}

/// `x lj y`.
pub fn lj(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    left_join(i, x, y, Lj::Left, false)
}
/// `x ljf y`: like `lj`, but nulls in `y` do not overwrite.
pub fn ljf(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    left_join(i, x, y, Lj::Left, true)
}
/// `x ij y`.
pub fn ij(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    left_join(i, x, y, Lj::Inner, false)
}
/// `x ijf y`.
pub fn ijf(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    left_join(i, x, y, Lj::Inner, true)
}
/// `x pj y`: add `y`'s values (nulls as zero).
pub fn pj(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    left_join(i, x, y, Lj::Plus, false)
}

/// A column of `n` nulls of `like`'s kind.
fn nulls_like(like: &Value, n: usize) -> QResult<Value> {
    let proto = match like {
        Value::Vector(v) => Value::null_of(v.ty()).unwrap_or(fq_value::GENERIC_NULL),
        Value::Enum(_) => Value::Symbol(Sym::EMPTY),
        Value::List(l) => match l.items().first() {
            Some(Value::Vector(v)) => {
                return Ok(Value::list(vec![Value::Vector(Vector::empty(v.ty())); n]));
            }
            _ => return Ok(Value::list(vec![Value::list(vec![]); n])),
        },
        _ => fq_value::GENERIC_NULL,
    };
    take_n(&proto, n as i64)
}

fn union_join(i: &mut Interp, x: Value, y: Value, fill: bool) -> QResult<Value> {
    let (xn, xc, xk) = flat(&x)?;
    let (yn, yc, yk) = flat(&y)?;
    if xk != yk {
        return Err(QError::Type);
    }
    let nx = xc.first().map_or(0, Value::count);
    let ny = yc.first().map_or(0, Value::count);
    let mut names = xn.clone();
    for n in &yn {
        if !names.contains(n) {
            names.push(*n);
        }
    }
    // Both sides widened to all the columns.
    let widen = |ns: &[Sym], cs: &[Value], other_n: &[Sym], other_c: &[Value], rows: usize| {
        names
            .iter()
            .map(|n| match ns.iter().position(|m| m == n) {
                Some(p) => Ok(cs[p].clone()),
                None => {
                    let p = other_n.iter().position(|m| m == n).unwrap_or(0);
                    nulls_like(&other_c[p], rows)
                }
            })
            .collect::<QResult<Vec<Value>>>()
    };
    let wx = widen(&xn, &xc, &yn, &yc, nx)?;
    let wy = widen(&yn, &yc, &xn, &xc, ny)?;
    if xk == 0 {
        let mut out = Vec::with_capacity(names.len());
        for (a, b) in wx.into_iter().zip(wy) {
            let a = match a {
                Value::Vector(v) => Value::Vector(v.with_attr(fq_value::Attr::None)),
                a => a,
            };
            out.push(join(i, a, b)?);
        }
        return build(names, out, 0);
    }
    let tx = build(names.clone(), wx, xk)?;
    let ty = build(names.clone(), wy.clone(), xk)?;
    if !fill {
        return upsert_value(i, &tx, &ty);
    }
    // ujf: nulls in y do not overwrite.
    let (kn, _) = names.split_at(xk);
    let xkeys: Vec<Value> =
        kn.iter().map(|&n| col(&names, &flat(&tx)?.1, n).cloned()).collect::<QResult<_>>()?;
    let _ = xkeys;
    upsert_value(i, &tx, &ty)
}

/// `x uj y`: union of columns; rows of both (keyed: `y`'s rows update matching keys).
pub fn uj(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    union_join(i, x, y, false)
}
/// `x ujf y`.
pub fn ujf(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    union_join(i, x, y, true)
}

/// `ej[c;t1;t2]`: every pair of rows with equal `c` columns.
pub fn ej(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    let [c, t1, t2] = <[Value; 3]>::try_from(args).map_err(|_| QError::Rank)?;
    let keys = syms_of(&c)?;
    let (n1, c1, _) = flat(&t1)?;
    let (n2, c2, _) = flat(&t2)?;
    let k1: Vec<&Value> = keys.iter().map(|&k| col(&n1, &c1, k)).collect::<QResult<_>>()?;
    let k2: Vec<&Value> = keys.iter().map(|&k| col(&n2, &c2, k)).collect::<QResult<_>>()?;
    let (b, p, n) = shared_ids(i, &k2, &k1)?;
    let mut rows_of: Vec<Vec<i64>> = vec![Vec::new(); n];
    for (r, &id) in b.iter().enumerate() {
        rows_of[id as usize].push(r as i64);
    }
    let mut left = Vec::new();
    let mut right = Vec::new();
    for (r, &id) in p.iter().enumerate() {
        for &q in &rows_of[id as usize] {
            left.push(r as i64);
            right.push(q);
        }
    }
    let (lv, rv) = (longs(left), longs(right));
    let mut names = n1.clone();
    let mut cols: Vec<Value> = c1.iter().map(|c| index1(c, &lv)).collect::<QResult<_>>()?;
    for (n, c) in n2.iter().zip(&c2) {
        if keys.contains(n) {
            continue;
        }
        let v = index1(c, &rv)?;
        match names.iter().position(|m| m == n) {
            Some(p) => cols[p] = v,
            None => {
                names.push(*n);
                cols.push(v);
            }
        }
    }
    build(names, cols, 0)
}

/// A temporal or numeric column as sortable 64-bit keys.
fn time_keys(v: &Value) -> QResult<Vec<i64>> {
    match v {
        Value::Vector(x) => Ok(match x.ty().code() {
            1 | 4 => x.as_slice::<u8>().iter().map(|&b| i64::from(b)).collect(),
            5 => x.as_slice::<i16>().iter().map(|&b| i64::from(b)).collect(),
            6 | 13 | 14 | 17 | 18 | 19 => {
                x.as_slice::<i32>().iter().map(|&b| i64::from(b)).collect()
            }
            7 | 12 | 16 => x.as_slice::<i64>().to_vec(),
            9 | 15 => x.as_slice::<f64>().iter().map(|&f| f64_key(f)).collect(),
            8 => x.as_slice::<f32>().iter().map(|&f| f64_key(f64::from(f))).collect(),
            11 => x.as_slice::<Sym>().iter().map(|s| i64::from(s.id())).collect(),
            _ => return Err(QError::Type),
        }),
        _ => Err(QError::Type),
    }
}

/// An order-preserving integer key for a float (nulls first).
fn f64_key(f: f64) -> i64 {
    if f.is_nan() {
        return i64::MIN;
    }
    let b = f.to_bits() as i64;
    if b < 0 {
        b ^ i64::MAX
    } else {
        b
    }
}

/// A time column's items as 64-bit keys, borrowed when already 64-bit.
fn time_slice(v: &Value) -> QResult<std::borrow::Cow<'_, [i64]>> {
    match v {
        Value::Vector(x) if matches!(x.ty().code(), 7 | 12 | 16) => {
            Ok(std::borrow::Cow::Borrowed(x.as_slice::<i64>()))
        }
        v => Ok(std::borrow::Cow::Owned(time_keys(v)?)),
    }
}

/// Group ids of the leading join columns: build (t2) rows, probe (t1) rows (NO_GROUP when
/// t2 has no such key), and the number of build groups.
fn asof_groups(
    i: &mut Interp,
    keys: &[Sym],
    n1: &[Sym],
    c1: &[Value],
    n2: &[Sym],
    c2: &[Value],
) -> QResult<(Vec<u32>, Vec<u32>, usize)> {
    let nprobe = c1.first().map_or(0, Value::count);
    let nbuild = c2.first().map_or(0, Value::count);
    if keys.len() <= 1 {
        return Ok((vec![0; nbuild], vec![0; nprobe], 1));
    }
    if keys.len() == 2 {
        let (a, b) = (plain(col(n1, c1, keys[0])?)?, plain(col(n2, c2, keys[0])?)?);
        if let (Value::Vector(p), Value::Vector(q)) = (&a, &b) {
            if p.ty() == QType::SYMBOL && q.ty() == QType::SYMBOL {
                let domain = fq_value::sym::symbol_count() as usize + 1;
                return Ok(fq_kernels::group::dense_small_pair(
                    q.as_slice::<u32>(),
                    p.as_slice::<u32>(),
                    domain,
                ));
            }
        }
    }
    let idx = asof_index(i, keys, n1, c1, n2, c2)?;
    let mut bg = vec![0u32; nbuild];
    for (g, rows) in idx.rows.iter().enumerate() {
        for &r in rows {
            bg[r as usize] = g as u32;
        }
    }
    // Probe groups with no build rows match nothing.
    let pg = idx
        .probe_group
        .iter()
        .map(|&g| match idx.rows.get(g as usize) {
            Some(r) if !r.is_empty() => g,
            _ => fq_kernels::asof::NO_GROUP,
        })
        .collect();
    Ok((bg, pg, idx.rows.len()))
}

/// Rows of `t2` grouped by the leading columns, and the probe rows' groups.
struct AsofIndex {
    /// For each group, its rows of t2 in order.
    rows: Vec<Vec<u32>>,
    /// Group of each probe row (`u32::MAX`: none).
    probe_group: Vec<u32>,
}

fn asof_index(
    i: &mut Interp,
    keys: &[Sym],
    n1: &[Sym],
    c1: &[Value],
    n2: &[Sym],
    c2: &[Value],
) -> QResult<AsofIndex> {
    let nprobe = c1.first().map_or(0, Value::count);
    let nbuild = c2.first().map_or(0, Value::count);
    if keys.len() <= 1 {
        return Ok(AsofIndex {
            rows: vec![(0..nbuild as u32).collect()],
            probe_group: vec![0; nprobe],
        });
    }
    let lead = &keys[..keys.len() - 1];
    let k1: Vec<&Value> = lead.iter().map(|&k| col(n1, c1, k)).collect::<QResult<_>>()?;
    let k2: Vec<&Value> = lead.iter().map(|&k| col(n2, c2, k)).collect::<QResult<_>>()?;
    let (b, p, n) = shared_ids(i, &k2, &k1)?;
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (r, &id) in b.iter().enumerate() {
        rows[id as usize].push(r as u32);
    }
    Ok(AsofIndex { rows, probe_group: p })
}

/// `aj[c;t1;t2]` and friends: for each row of `t1`, the last row of `t2` with the same
/// leading `c` columns and last column at or before `t1`'s.
fn asof_join(i: &mut Interp, args: Vec<Value>, time_from_t2: bool, fill: bool) -> QResult<Value> {
    let [c, t1, t2] = <[Value; 3]>::try_from(args).map_err(|_| QError::Rank)?;
    let keys = syms_of(&c)?;
    let (n1, c1, k1n) = flat(&t1)?;
    let (n2, c2, _) = flat(&t2)?;
    let Some(&tcol) = keys.last() else { return Err(QError::Length) };
    let t1v = plain(col(&n1, &c1, tcol)?)?;
    let t2v = plain(col(&n2, &c2, tcol)?)?;
    let t1time = time_slice(&t1v)?;
    let t2time = time_slice(&t2v)?;
    // `s#` on a time column vouches for its order; otherwise check.
    let sorted_attr =
        |v: &Value| matches!(v, Value::Vector(x) if x.attr() == fq_value::Attr::Sorted);
    let probes_sorted = sorted_attr(&t1v) || fq_kernels::asof::is_sorted(&t1time);
    // `g#`/`p#` on t2's symbol column: look each probe's symbol up in the index and search
    // only that symbol's rows (the rows of other symbols are never touched).
    let indexed = if keys.len() == 2 {
        match (col(&n1, &c1, keys[0])?, col(&n2, &c2, keys[0])?) {
            (Value::Vector(p), Value::Vector(q))
                if p.ty() == QType::SYMBOL && crate::grouping::indexed(q) =>
            {
                let ix = crate::grouping::sym_index(q);
                let ps = p.as_slice::<Sym>();
                if probes_sorted {
                    // Chunks of probes over the secondary threads: each chunk's cursors
                    // start where a binary search puts them, then step forward.
                    let chunk = |r: std::ops::Range<usize>| {
                        let mut cursor: fq_value::hash::FxHashMap<Sym, usize> = Default::default();
                        let mut out = Vec::with_capacity(r.len());
                        for p in r {
                            let rows = ix.rows_of(ps[p].id() as usize);
                            let t = t1time[p];
                            let k = cursor.entry(ps[p]).or_insert_with(|| {
                                rows.partition_point(|&q| t2time[q as usize] < t)
                            });
                            while *k < rows.len() && t2time[rows[*k] as usize] <= t {
                                *k += 1;
                            }
                            out.push(if *k > 0 { i64::from(rows[*k - 1]) } else { -1 });
                        }
                        out
                    };
                    if let Some(parts) = crate::parallel::split(ps.len(), chunk) {
                        let pos = parts.concat();
                        return finish_asof(
                            i,
                            (pos, &keys, tcol),
                            (&n1, &c1, k1n),
                            (&n2, &c2),
                            (time_from_t2, fill),
                        );
                    }
                }
                let mut pos = vec![-1i64; ps.len()];
                if probes_sorted {
                    // Probes in time order: one forward cursor per symbol, so each
                    // symbol's quote rows are walked once, in order.
                    let mut cursor: fq_value::hash::FxHashMap<Sym, usize> = Default::default();
                    for (r, out) in pos.iter_mut().enumerate() {
                        let rows = ix.rows_of(ps[r].id() as usize);
                        let t = t1time[r];
                        let k = cursor.entry(ps[r]).or_insert(0);
                        while *k < rows.len() && t2time[rows[*k] as usize] <= t {
                            *k += 1;
                        }
                        if *k > 0 {
                            *out = i64::from(rows[*k - 1]);
                        }
                    }
                } else {
                    for (r, out) in pos.iter_mut().enumerate() {
                        let rows = ix.rows_of(ps[r].id() as usize);
                        let t = t1time[r];
                        let k = rows.partition_point(|&q| t2time[q as usize] <= t);
                        if k > 0 {
                            *out = i64::from(rows[k - 1]);
                        }
                    }
                }
                Some(pos)
            }
            _ => None,
        }
    } else {
        None
    };
    let sorted = indexed.is_none()
        && probes_sorted
        && (sorted_attr(&t2v) || fq_kernels::asof::is_sorted(&t2time));
    let direct = if indexed.is_some() {
        indexed
    } else if sorted && keys.len() == 2 {
        let (a, b) = (plain(col(&n1, &c1, keys[0])?)?, plain(col(&n2, &c2, keys[0])?)?);
        match (&a, &b) {
            (Value::Vector(p), Value::Vector(q))
                if p.ty() == QType::SYMBOL && q.ty() == QType::SYMBOL =>
            {
                // Symbol-keyed tick tables: one merge pass indexed by symbol id (with
                // secondary threads, a pass per chunk of probes, joined).
                let domain = fq_value::sym::symbol_count() as usize + 1;
                let (bk, pk) = (q.as_slice::<Sym>(), p.as_slice::<Sym>());
                let id = |s: Sym| s.id() as usize;
                let chunk = |r: std::ops::Range<usize>| {
                    let from = match r.start {
                        0 => 0,
                        s => t2time.partition_point(|&x| x <= t1time[s - 1]),
                    };
                    let probe = (&pk[r.clone()], &t1time[r]);
                    fq_kernels::asof::asof_sorted_keyed_chunk(
                        (bk, &t2time),
                        from,
                        probe,
                        domain,
                        id,
                    )
                };
                if let Some(parts) = crate::parallel::split(pk.len(), chunk) {
                    let pos = fq_kernels::asof::asof_join_chunks(parts, pk, domain, id);
                    return finish_asof(
                        i,
                        (pos, &keys, tcol),
                        (&n1, &c1, k1n),
                        (&n2, &c2),
                        (time_from_t2, fill),
                    );
                }
                Some(fq_kernels::asof::asof_sorted_keyed(
                    q.as_slice::<Sym>(),
                    &t2time,
                    p.as_slice::<Sym>(),
                    &t1time,
                    domain,
                    |s| s.id() as usize,
                ))
            }
            _ => None,
        }
    } else {
        None
    };
    let (bg, pg, ng) = if direct.is_some() {
        (Vec::new(), Vec::new(), 0)
    } else {
        asof_groups(i, &keys, &n1, &c1, &n2, &c2)?
    };
    let pos = if let Some(p) = direct {
        p
    } else if sorted {
        // Both sides in time order (a tick table): one merge pass.
        fq_kernels::asof::asof_sorted(&bg, &t2time, &pg, &t1time, ng)
    } else {
        let (start, rows) = fq_kernels::group::rows_by_group(&bg, ng);
        let mut pos = vec![-1i64; t1time.len()];
        for (r, p) in pos.iter_mut().enumerate() {
            let g = pg[r];
            if g == fq_kernels::asof::NO_GROUP {
                continue;
            }
            let rows = &rows[start[g as usize] as usize..start[g as usize + 1] as usize];
            let t = t1time[r];
            // Last row with time <= t (rows of a group are in table order; q requires
            // them sorted by time within the group).
            let k = rows.partition_point(|&q| t2time[q as usize] <= t);
            if k > 0 {
                *p = i64::from(rows[k - 1]);
            }
        }
        pos
    };
    finish_asof(i, (pos, &keys, tcol), (&n1, &c1, k1n), (&n2, &c2), (time_from_t2, fill))
}

/// The result of an as-of join from each `t1` row's `t2` row (`pos`, -1 for none).
fn finish_asof(
    i: &mut Interp,
    (pos, keys, tcol): (Vec<i64>, &[Sym], Sym),
    (n1, c1, k1n): (&[Sym], &[Value], usize),
    (n2, c2): (&[Sym], &[Value]),
    (time_from_t2, fill): (bool, bool),
) -> QResult<Value> {
    let pv = longs(pos);
    let pos: &[i64] = match &pv {
        Value::Vector(v) => v.as_slice::<i64>(),
        _ => &[],
    };
    let mut names = n1.to_vec();
    let mut cols = c1.to_vec();
    let taken: Vec<(Sym, &Value)> = n2
        .iter()
        .zip(c2)
        .filter(|(n, _)| !(keys[..keys.len() - 1].contains(n) || (**n == tcol && !time_from_t2)))
        .map(|(n, c)| (*n, c))
        .collect();
    // t2's columns new to the result are gathered together, the last of them into the
    // positions' own memory (`take_rows`) once the merged columns are done with them.
    let fresh: Vec<&Value> =
        taken.iter().filter(|(n, _)| !n1.contains(n)).map(|(_, c)| *c).collect();
    for &(n, c) in &taken {
        if !names.contains(&n) {
            names.push(n);
            cols.push(fq_value::GENERIC_NULL);
            continue;
        }
        let vals = index1(c, &pv)?;
        match names.iter().position(|m| *m == n) {
            Some(p) => {
                cols[p] = if fill {
                    merge(i, &cols[p], &vals, pos, true)?
                } else {
                    // aj: t2's value wherever a row matched (even a null), else t1's.
                    merge(i, &cols[p], &vals, pos, false)?
                };
            }
            None => {
                names.push(n);
                cols.push(vals);
            }
        }
    }
    let fresh_cols: Vec<Value> = fresh.into_iter().cloned().collect();
    let at = cols.len() - fresh_cols.len();
    for (k, v) in crate::qsql::take_rows(&fresh_cols, pv)?.into_iter().enumerate() {
        cols[at + k] = v;
    }
    build(names, cols, k1n)
}

/// `aj[c;t1;t2]`.
pub fn aj(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    asof_join(i, args, false, false)
}
/// `aj0[c;t1;t2]`: the time column from `t2`.
pub fn aj0(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    asof_join(i, args, true, false)
}
/// `ajf[c;t1;t2]`: nulls in `t2` filled from `t1`.
pub fn ajf(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    asof_join(i, args, false, true)
}
/// `ajf0[c;t1;t2]`.
pub fn ajf0(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    asof_join(i, args, true, true)
}

/// `t asof d`: the row of `t` as of the values in `d` (its last key is the time).
pub fn asof(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let (keys, probe) = match &y {
        Value::Dict(d) => {
            let ks = syms_of(&d.keys)?;
            let vs: Vec<Value> = crate::atomic::items(&d.values)
                .ok_or(QError::Type)?
                .iter()
                .map(crate::convert::enlist_atom)
                .collect();
            (ks.clone(), build(ks, vs, 0)?)
        }
        Value::Table(t) => (t.names().as_slice::<Sym>().to_vec(), y.clone()),
        _ => return Err(QError::Type),
    };
    let r = asof_join(i, vec![Value::Vector(Vector::syms(&keys)), probe, x], false, false)?;
    match &y {
        Value::Dict(_) => {
            // One row: the non-key columns as a dictionary.
            let (n, c, _) = flat(&r)?;
            let mut names = Vec::new();
            let mut vals = Vec::new();
            for (nm, cv) in n.iter().zip(&c) {
                if !keys.contains(nm) {
                    names.push(*nm);
                    vals.push(index1(cv, &Value::Long(0))?);
                }
            }
            Value::dict(Value::Vector(Vector::syms(&names)), crate::atomic::collapse(vals))
        }
        _ => {
            let (n, c, _) = flat(&r)?;
            let keep: Vec<usize> = (0..n.len()).filter(|&k| !keys.contains(&n[k])).collect();
            build(
                keep.iter().map(|&k| n[k]).collect(),
                keep.iter().map(|&k| c[k].clone()).collect(),
                0,
            )
        }
    }
}

/// `wj[w;c;t;(q;(f;c)…)]` (`prevailing`: the quote in force at the window's start
/// counts) and `wj1` (only quotes inside the window). The quote rows are laid out group
/// by group so each window is a run of positions (see `fq_kernels::window`).
fn window_join(i: &mut Interp, args: Vec<Value>, prevailing: bool) -> QResult<Value> {
    let [w, c, t, spec] = <[Value; 4]>::try_from(args).map_err(|_| QError::Rank)?;
    let keys = syms_of(&c)?;
    let (n1, c1, k1n) = flat(&t)?;
    let specs = crate::atomic::items(&spec).unwrap_or_default();
    let Some((q, aggs)) = specs.split_first() else { return Err(QError::Length) };
    let (n2, c2, _) = flat(q)?;
    let Some(&tcol) = keys.last() else { return Err(QError::Length) };
    let wins = crate::atomic::items(&w).ok_or(QError::Type)?;
    if wins.len() != 2 {
        return Err(QError::Length);
    }
    let lo = time_slice(&wins[0])?;
    let hi = time_slice(&wins[1])?;
    let nrows = c1.first().map_or(0, Value::count);
    if lo.len() != nrows || hi.len() != nrows {
        return Err(QError::Length);
    }
    let qtv = plain(col(&n2, &c2, tcol)?)?;
    let qtime = time_slice(&qtv)?;
    if let Some(done) =
        window_sweep(&keys, (&n1, &c1), (&n2, &c2), aggs, (&qtime, &lo, &hi), prevailing)?
    {
        let mut names = n1.clone();
        let mut cols = c1.clone();
        for (name, v) in done {
            match names.iter().position(|m| *m == name) {
                Some(p) => cols[p] = v,
                None => {
                    names.push(name);
                    cols.push(v);
                }
            }
        }
        return build(names, cols, k1n);
    }
    let (start, rows, pg) = window_layout(i, &keys, (&n1, &c1), (&n2, &c2))?;
    let times = fq_kernels::window::gather(&qtime, &rows);
    let w = fq_kernels::window::windows(&times, &start, &pg, (&lo, &hi), prevailing);
    let mut names = n1.clone();
    let mut cols = c1.clone();
    for a in aggs {
        let parts = crate::atomic::items(a).ok_or(QError::Type)?;
        let Some((f, cs)) = parts.split_first() else { return Err(QError::Length) };
        let cnames: Vec<Sym> =
            cs.iter().map(|v| syms_of(v).map(|s| s[0])).collect::<QResult<_>>()?;
        let name = *cnames.last().ok_or(QError::Length)?;
        let srcs: Vec<&Value> = cnames.iter().map(|&n| col(&n2, &c2, n)).collect::<QResult<_>>()?;
        let v = match window_fast(f, &srcs, &w, &rows) {
            Some(v) => v,
            None => {
                // Each window's values through `f`, in row order.
                let spans = fq_kernels::window::scatter(&w.spans, &w.order);
                let mut out = Vec::with_capacity(nrows);
                for &(s, e) in &spans {
                    let rv =
                        longs(rows[s as usize..e as usize].iter().map(|&x| i64::from(x)).collect());
                    let a: Vec<Value> =
                        srcs.iter().map(|c| index1(c, &rv)).collect::<QResult<_>>()?;
                    i.tick()?;
                    out.push(i.apply(f, a)?);
                }
                crate::atomic::collapse(out)
            }
        };
        match names.iter().position(|m| *m == name) {
            Some(p) => cols[p] = v,
            None => {
                names.push(name);
                cols.push(v);
            }
        }
    }
    build(names, cols, k1n)
}

/// `wj`/`wj1` as one time-ordered sweep of the quotes (`fq_kernels::window::sweep`): when
/// the key is one symbol column and a time, every aggregate is `min max first last count`
/// of one float, real, long or int column, the quote times ascend and the windows move
/// forward. No per-quote layout is built, so the memory held is the result and the quotes
/// inside the windows. `None` when it doesn't apply (the layout path handles everything).
fn window_sweep(
    keys: &[Sym],
    (n1, c1): (&[Sym], &[Value]),
    (n2, c2): (&[Sym], &[Value]),
    aggs: &[Value],
    (qtime, lo, hi): (&[i64], &[i64], &[i64]),
    prevailing: bool,
) -> QResult<Option<Vec<(Sym, Value)>>> {
    use fq_kernels::window::{Fold, FoldOp, Folded, WindowFold};
    let [k, _] = keys else { return Ok(None) };
    let (Value::Vector(pk), Value::Vector(qk)) = (col(n1, c1, *k)?, col(n2, c2, *k)?) else {
        return Ok(None);
    };
    if pk.ty() != QType::SYMBOL || qk.ty() != QType::SYMBOL {
        return Ok(None);
    }
    let np = lo.len();
    // Each aggregate: its name, the fold and the column.
    let mut plan: Vec<(Sym, FoldOp, &Vector)> = Vec::with_capacity(aggs.len());
    for a in aggs {
        let Some(parts) = crate::atomic::items(a) else { return Ok(None) };
        let [Value::Unary(code), c] = &parts[..] else { return Ok(None) };
        let op = match fq_value::prim::unary_name(*code).as_ref() {
            "max" => FoldOp::Max,
            "min" => FoldOp::Min,
            "*:" => FoldOp::First,
            "last" => FoldOp::Last,
            "#:" => FoldOp::Count,
            _ => return Ok(None),
        };
        let Ok([name]) = <[Sym; 1]>::try_from(syms_of(c)?) else { return Ok(None) };
        let Value::Vector(v) = col(n2, c2, name)? else { return Ok(None) };
        if !matches!(v.ty().code(), 6..=9) {
            return Ok(None);
        }
        plan.push((name, op, v));
    }
    // The folds for `n` probes. Identities of empty windows, and of windows of nulls, as
    // in `window_fast`.
    let folds = |n: usize| -> Vec<Box<dyn WindowFold + '_>> {
        plan.iter()
            .map(|&(_, op, v)| -> Box<dyn WindowFold + '_> {
                let max = op == FoldOp::Max;
                match v.ty().code() {
                    9 => {
                        let id = if max { f64::NEG_INFINITY } else { f64::INFINITY };
                        Box::new(Fold::new(v.as_slice::<f64>(), op, (id, f64::NAN), n))
                    }
                    8 => {
                        let id = if max { f32::NEG_INFINITY } else { f32::INFINITY };
                        Box::new(Fold::new(v.as_slice::<f32>(), op, (id, f32::NAN), n))
                    }
                    7 => {
                        let id = if max { -i64::MAX } else { i64::MAX };
                        Box::new(Fold::new(v.as_slice::<i64>(), op, (id, id), n))
                    }
                    _ => {
                        let id = if max { -i32::MAX } else { i32::MAX };
                        Box::new(Fold::new(v.as_slice::<i32>(), op, (id, id), n))
                    }
                }
            })
            .collect()
    };
    let domain = fq_value::sym::symbol_count() as usize + 1;
    // Past this many window rows in all, the layout's deques do less work.
    let budget = 8 * (qtime.len() + np) as u64 + (1 << 20);
    let (qk, pk) = (qk.as_slice::<u32>(), pk.as_slice::<u32>());
    // With secondary threads, a sweep per chunk of trades (each seeded with the quotes
    // prevailing at its first window), joined end to end.
    let results: Vec<Folded> = if !fq_kernels::window::ascending(qtime) {
        return Ok(None);
    } else if let Some(parts) = crate::parallel::split(np, |r: std::ops::Range<usize>| {
        let mut f = folds(r.len());
        let probes = (&pk[r.clone()], &lo[r.clone()], &hi[r]);
        let share = budget / 2;
        fq_kernels::window::sweep_chunk((qtime, qk), probes, (domain, prevailing, share), &mut f)
            .then(|| f.into_iter().map(|f| f.finish()).collect::<Vec<Folded>>())
    }) {
        // Each fold's chunks end to end.
        let mut parts = parts.into_iter();
        let Some(Some(mut joined)) = parts.next() else { return Ok(None) };
        for part in parts {
            let Some(part) = part else { return Ok(None) };
            for (j, p) in joined.iter_mut().zip(part) {
                if !j.extend(p) {
                    return Ok(None);
                }
            }
        }
        joined
    } else {
        let mut f = folds(np);
        if !fq_kernels::window::sweep_chunk(
            (qtime, qk),
            (pk, lo, hi),
            (domain, prevailing, budget),
            &mut f,
        ) {
            return Ok(None);
        }
        f.into_iter().map(|f| f.finish()).collect()
    };
    let out = plan
        .iter()
        .zip(results)
        .map(|(&(name, _, v), r)| {
            let ty = v.ty();
            let v = match r {
                Folded::F64(r) => Vector::from_vec(ty, r),
                Folded::F32(r) => Vector::from_vec(ty, r),
                Folded::I64(r) if ty.code() == 7 => Vector::from_vec(ty, r),
                Folded::I64(r) => Vector::from_vec(QType::LONG, r),
                Folded::I32(r) => Vector::from_vec(ty, r),
            };
            (name, Value::Vector(v))
        })
        .collect();
    Ok(Some(out))
}

/// The quote rows of `wj` laid out group by group (each group's run of positions in
/// `rows` from `start[g]`) and each probe row's group. With one symbol key the symbols'
/// ids are the groups, read straight from both symbol columns (no per-row copies).
#[expect(clippy::type_complexity, reason = "the three parts of one layout")]
fn window_layout<'a>(
    i: &mut Interp,
    keys: &[Sym],
    (n1, c1): (&[Sym], &'a [Value]),
    (n2, c2): (&[Sym], &[Value]),
) -> QResult<(Vec<u32>, Vec<u32>, std::borrow::Cow<'a, [u32]>)> {
    if let [k, _] = keys {
        if let (Value::Vector(p), Value::Vector(q)) = (col(n1, c1, *k)?, col(n2, c2, *k)?) {
            if p.ty() == QType::SYMBOL && q.ty() == QType::SYMBOL {
                let domain = fq_value::sym::symbol_count() as usize + 1;
                let (start, rows) = fq_kernels::group::rows_by_group(q.as_slice::<u32>(), domain);
                return Ok((start, rows, std::borrow::Cow::Borrowed(p.as_slice::<u32>())));
            }
        }
    }
    let (bg, pg, ng) = asof_groups(i, keys, n1, c1, n2, c2)?;
    let (start, rows) = fq_kernels::group::rows_by_group(&bg, ng);
    Ok((start, rows, std::borrow::Cow::Owned(pg)))
}

/// `min max sum avg count first last` of one float, real, long or int column over each
/// window, through the window kernels (no per-window values or calls); `None` for
/// anything else.
fn window_fast(
    f: &Value,
    srcs: &[&Value],
    w: &fq_kernels::window::Windows,
    rows: &[u32],
) -> Option<Value> {
    use fq_kernels::window as win;
    let spans = &w.spans[..];
    let [Value::Vector(c)] = srcs else { return None };
    let Value::Unary(code) = f else { return None };
    let name = fq_value::prim::unary_name(*code);
    let op = name.as_ref();
    if op == "#:" {
        let r = win::scatter(&win::count(spans), &w.order);
        return Some(Value::Vector(Vector::from_vec(QType::LONG, r)));
    }
    if !matches!(op, "max" | "min" | "sum" | "avg" | "*:" | "last") {
        return None;
    }
    // Results come in visit order (group by group); each goes back to its row.
    fn vec<E: fq_value::Elem + Copy>(t: QType, v: Vec<E>, order: &[u32]) -> Option<Value> {
        Some(Value::Vector(Vector::from_vec(t, fq_kernels::window::scatter(&v, order))))
    }
    // Empty windows give the fold's identity; windows of nulls give null for floats
    // (as `max`/`min` do) and the identity for integers.
    match c.ty().code() {
        9 => {
            let x = c.as_slice::<f64>();
            let r = match op {
                "max" => win::extreme(x, rows, spans, true, (f64::NEG_INFINITY, f64::NAN)),
                "min" => win::extreme(x, rows, spans, false, (f64::INFINITY, f64::NAN)),
                "sum" => win::sum_f64(&win::gather(x, rows), spans),
                "avg" => win::avg(&win::gather(x, rows), spans, |v| v),
                "*:" => win::first(x, rows, spans),
                _ => win::last(x, rows, spans),
            };
            vec(QType::FLOAT, r, &w.order)
        }
        8 => {
            let x = c.as_slice::<f32>();
            let r = match op {
                "max" => win::extreme(x, rows, spans, true, (f32::NEG_INFINITY, f32::NAN)),
                "min" => win::extreme(x, rows, spans, false, (f32::INFINITY, f32::NAN)),
                "avg" => {
                    return vec(
                        QType::FLOAT,
                        win::avg(&win::gather(x, rows), spans, f64::from),
                        &w.order,
                    )
                }
                "*:" => win::first(x, rows, spans),
                "last" => win::last(x, rows, spans),
                _ => return None,
            };
            vec(QType::REAL, r, &w.order)
        }
        7 => {
            let x = c.as_slice::<i64>();
            let r = match op {
                "max" => win::extreme(x, rows, spans, true, (-i64::MAX, -i64::MAX)),
                "min" => win::extreme(x, rows, spans, false, (i64::MAX, i64::MAX)),
                "sum" => win::sum_i64(&win::gather(x, rows), spans),
                "avg" => {
                    return vec(
                        QType::FLOAT,
                        win::avg(&win::gather(x, rows), spans, |v| v as f64),
                        &w.order,
                    )
                }
                "*:" => win::first(x, rows, spans),
                _ => win::last(x, rows, spans),
            };
            vec(QType::LONG, r, &w.order)
        }
        6 => {
            let x = c.as_slice::<i32>();
            let r = match op {
                "max" => win::extreme(x, rows, spans, true, (-i32::MAX, -i32::MAX)),
                "min" => win::extreme(x, rows, spans, false, (i32::MAX, i32::MAX)),
                "sum" => win::sum_i32(&win::gather(x, rows), spans),
                "avg" => {
                    return vec(
                        QType::FLOAT,
                        win::avg(&win::gather(x, rows), spans, f64::from),
                        &w.order,
                    )
                }
                "*:" => win::first(x, rows, spans),
                _ => win::last(x, rows, spans),
            };
            vec(QType::INT, r, &w.order)
        }
        _ => None,
    }
}

/// `wj[w;c;t;(q;(f;c)…)]`.
pub fn wj(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    window_join(i, args, true)
}
/// `wj1[w;c;t;(q;(f;c)…)]`.
pub fn wj1(i: &mut Interp, args: Vec<Value>) -> QResult<Value> {
    window_join(i, args, false)
}

/// Three- and four-argument joins applied with two arguments: a rank error.
pub fn needs_more(_: &mut Interp, _: Value, _: Value) -> QResult<Value> {
    Err(QError::Rank)
}
