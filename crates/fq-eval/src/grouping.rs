//! Grouping for qSQL `by`, joins and `group`-like verbs: key columns to dense group ids
//! through the `fq-kernels` tables, the ascending order of groups by key, and aggregates
//! computed for every group in one pass when the select phrase is made of plain
//! aggregates of columns (`sum size`, `max price`, `last time`, `count i`, `w wavg p`…).

use crate::node::Node;
use crate::prims::index::index1;
use fq_kernels::{agg, group};
use fq_value::{prim, QError, QResult, QType, Sym, Value, Vector};

fn longs(v: Vec<i64>) -> Value {
    Value::Vector(Vector::from_vec(QType::LONG, v))
}

/// Dense ids (first-seen order) of one key column's items, and how many distinct.
pub fn key_ids(k: &Value) -> QResult<(Vec<u32>, usize)> {
    match k {
        Value::Vector(v) => match v.ty().code() {
            11 => {
                let s = v.as_slice::<Sym>();
                let domain = fq_value::sym::symbol_count() as usize + 1;
                if domain <= (s.len() * 4).max(1 << 20) {
                    if let Some(r) = dense_syms_parallel(s, domain) {
                        return Ok(r);
                    }
                    return Ok(group::dense_small_by(s, domain, |x| x.id() as usize));
                }
                let ids: Vec<i64> = s.iter().map(|x| i64::from(x.id())).collect();
                Ok(group::dense_hash(&ids))
            }
            1 | 4 | 10 => {
                let ids: Vec<u32> = v.as_slice::<u8>().iter().map(|&b| u32::from(b)).collect();
                Ok(group::dense_small(&ids, 256))
            }
            5 => {
                let ids: Vec<u32> =
                    v.as_slice::<i16>().iter().map(|&b| (i32::from(b) + 32768) as u32).collect();
                Ok(group::dense_small(&ids, 65536))
            }
            6 | 13 | 14 | 17 | 18 | 19 => Ok(group::dense_i32(v.as_slice::<i32>())),
            7 | 12 | 16 => Ok(group::dense_i64(v.as_slice::<i64>())),
            8 => {
                let b: Vec<i64> =
                    v.as_slice::<f32>().iter().map(|&f| i64::from(norm32(f).to_bits())).collect();
                Ok(group::dense_hash(&b))
            }
            9 | 15 => {
                let b: Vec<i64> =
                    v.as_slice::<f64>().iter().map(|&f| norm64(f).to_bits() as i64).collect();
                Ok(group::dense_hash(&b))
            }
            _ => generic_ids(k),
        },
        Value::Enum(e) => Ok(group::dense_i64(e.indices.as_slice::<i64>())),
        _ => generic_ids(k),
    }
}

/// [`group::dense_small_by`] of symbols over the secondary threads: each chunk numbers its
/// symbols in its own first-seen order, the chunks' numberings are merged in row order
/// (which is the global first-seen order), then every chunk renumbers its rows. `None`
/// when the input is short or no secondary threads are in use.
fn dense_syms_parallel(s: &[Sym], domain: usize) -> Option<(Vec<u32>, usize)> {
    let mut ids = vec![0u32; s.len()];
    let locals = std::sync::Mutex::new(Vec::new());
    let split = crate::parallel::fill(&mut ids, |c, r, out| {
        let keys = group::dense_small_into(&s[r], domain, |x| x.id() as usize, out);
        locals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((c, keys));
    });
    if !split {
        return None;
    }
    let mut locals = locals.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    locals.sort_by_key(|(c, _)| *c);
    let mut global = vec![u32::MAX; domain];
    let mut n = 0u32;
    let remaps: Vec<Vec<u32>> = locals
        .iter()
        .map(|(_, keys)| {
            keys.iter()
                .map(|&k| {
                    let slot = &mut global[k];
                    if *slot == u32::MAX {
                        *slot = n;
                        n += 1;
                    }
                    *slot
                })
                .collect()
        })
        .collect();
    crate::parallel::fill(&mut ids, |c, _, out| {
        let remap = &remaps[c];
        for x in out {
            *x = remap[*x as usize];
        }
    });
    Some((ids, n as usize))
}

fn norm64(f: f64) -> f64 {
    if f.is_nan() {
        f64::NAN
    } else if f == 0.0 {
        0.0
    } else {
        f
    }
}

fn norm32(f: f32) -> f32 {
    if f.is_nan() {
        f32::NAN
    } else if f == 0.0 {
        0.0
    } else {
        f
    }
}

/// Any list: sort, then number runs of equal items, in first-seen order.
fn generic_ids(k: &Value) -> QResult<(Vec<u32>, usize)> {
    let n = k.count();
    let items = crate::atomic::items(k).ok_or(QError::Type)?;
    let order = crate::prims::list::grade(k)?;
    let mut run_of = vec![0u32; n];
    let mut runs = 0u32;
    for (p, &o) in order.iter().enumerate() {
        if p > 0 && items[order[p - 1] as usize] != items[o as usize] {
            runs += 1;
        }
        run_of[o as usize] = runs;
    }
    Ok(group::dense_small(&run_of, runs as usize + 1))
}

/// Dense ids of the rows of several equal-length key columns, and how many groups.
pub fn group_ids(keys: &[Value]) -> QResult<(Vec<u32>, usize)> {
    let Some((first, rest)) = keys.split_first() else { return Ok((Vec::new(), 0)) };
    // A leading symbol key (`by sym, minute`): its symbol ids combine into the next key's
    // ids read in place, instead of taking 4 bytes a row of their own. Groups are numbered
    // in first-seen order of the rows' key tuples either way.
    if let (Value::Vector(s), Some((second, more))) = (first, rest.split_first()) {
        let domain = fq_value::sym::symbol_count() as usize + 1;
        if s.ty() == QType::SYMBOL && syms_as_slots(s.len(), domain) {
            let (mut ids, kn) = key_ids(second)?;
            if ids.len() != s.len() {
                return Err(QError::Length);
            }
            let mut n = group::combine(&mut ids, kn, s.as_slice::<u32>(), domain);
            for k in more {
                let (kid, kn) = key_ids(k)?;
                if kid.len() != ids.len() {
                    return Err(QError::Length);
                }
                n = group::combine(&mut ids, n, &kid, kn);
            }
            return Ok((ids, n));
        }
    }
    let (mut ids, mut n) = key_ids(first)?;
    for k in rest {
        let (kid, kn) = key_ids(k)?;
        if kid.len() != ids.len() {
            return Err(QError::Length);
        }
        n = group::combine(&mut ids, n, &kid, kn);
    }
    Ok((ids, n))
}

/// Ascending ranks of a column's items (equal items, equal ranks) and how many ranks.
fn ranks(v: &Value) -> QResult<(Vec<u32>, usize)> {
    if let Value::Vector(x) = v {
        if x.ty() == QType::SYMBOL {
            // Rank the distinct symbols by name once, then look each item up.
            let (ids, n) = key_ids(v)?;
            let firsts = group::first_rows(&ids, n);
            let s = x.as_slice::<Sym>();
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.sort_by(|&a, &b| {
                s[firsts[a as usize] as usize]
                    .as_bytes()
                    .cmp(s[firsts[b as usize] as usize].as_bytes())
            });
            let mut rank_of = vec![0u32; n];
            for (r, &g) in order.iter().enumerate() {
                rank_of[g as usize] = r as u32;
            }
            return Ok((ids.iter().map(|&g| rank_of[g as usize]).collect(), n));
        }
        if let Some(keys) = order_keys(x) {
            let mut idx: Vec<u32> = (0..keys.len() as u32).collect();
            idx.sort_unstable_by_key(|&i| keys[i as usize]);
            let mut out = vec![0u32; keys.len()];
            let mut r = 0u32;
            for (p, &i) in idx.iter().enumerate() {
                if p > 0 && keys[idx[p - 1] as usize] != keys[i as usize] {
                    r += 1;
                }
                out[i as usize] = r;
            }
            return Ok((out, r as usize + 1));
        }
    }
    if let Value::Enum(e) = v {
        return ranks(&e.resolve()?);
    }
    let items = crate::atomic::items(v).ok_or(QError::Type)?;
    let g = crate::prims::list::grade(v)?;
    let mut out = vec![0u32; items.len()];
    let mut r = 0u32;
    for (p, &i) in g.iter().enumerate() {
        if p > 0 && items[g[p - 1] as usize] != items[i as usize] {
            r += 1;
        }
        out[i as usize] = r;
    }
    Ok((out, r as usize + 1))
}

/// Order-preserving 64-bit keys for numeric and temporal vectors.
fn order_keys(x: &Vector) -> Option<Vec<i64>> {
    Some(match x.ty().code() {
        1 | 4 | 10 => x.as_slice::<u8>().iter().map(|&b| i64::from(b)).collect(),
        5 => x.as_slice::<i16>().iter().map(|&b| i64::from(b)).collect(),
        6 | 13 | 14 | 17 | 18 | 19 => x.as_slice::<i32>().iter().map(|&b| i64::from(b)).collect(),
        7 | 12 | 16 => x.as_slice::<i64>().to_vec(),
        9 | 15 => x.as_slice::<f64>().iter().map(|&f| f64_key(f)).collect(),
        8 => x.as_slice::<f32>().iter().map(|&f| f64_key(f64::from(f))).collect(),
        _ => return None,
    })
}

fn f64_key(f: f64) -> i64 {
    if f.is_nan() {
        return i64::MIN;
    }
    let b = norm64(f).to_bits() as i64;
    if b < 0 {
        b ^ i64::MAX
    } else {
        b
    }
}

/// The ascending order of rows over key columns (first column most significant): the
/// row at each sorted position.
pub fn sorted_order(cols: &[Value]) -> QResult<Vec<u32>> {
    let n = cols.first().map_or(0, Value::count);
    let mut composite: Vec<u64> = vec![0; n];
    let mut span: u128 = 1;
    let mut lexi: Vec<Vec<u32>> = Vec::new();
    for c in cols {
        let (r, k) = ranks(c)?;
        span = span.saturating_mul(k as u128);
        if span <= u128::from(u64::MAX) && lexi.is_empty() {
            for (acc, &x) in composite.iter_mut().zip(&r) {
                *acc = *acc * k as u64 + u64::from(x);
            }
        } else {
            lexi.push(r);
        }
    }
    let mut idx: Vec<u32> = (0..n as u32).collect();
    if lexi.is_empty() {
        idx.sort_unstable_by_key(|&i| (composite[i as usize], i));
    } else {
        idx.sort_by(|&a, &b| {
            composite[a as usize].cmp(&composite[b as usize]).then_with(|| {
                lexi.iter()
                    .map(|r| r[a as usize].cmp(&r[b as usize]))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        });
    }
    Ok(idx)
}

/// Groups of a view: each view row's group (numbered in ascending key order when sorted),
/// the key columns with one row per group, and the view's absolute rows.
pub struct Grouping {
    /// Each view row's group, directly or through its symbol.
    ids: GroupIds,
    /// Number of groups.
    pub n: usize,
    /// Key values per group.
    pub keys: Vec<Value>,
    /// Absolute row of each view row (`None`: the view is every row, in order).
    pub view: Option<Vec<i64>>,
}

/// How a [`Grouping`] maps rows to groups.
enum GroupIds {
    /// The group of each view row (4 bytes a row).
    Dense(Vec<u32>),
    /// One symbol key: the key column's own symbol ids index the aggregates' accumulators
    /// (one slot per interned symbol), so no per-row vector is built; `slots[g]` is group
    /// `g`'s symbol id.
    Syms { col: Vector, domain: usize, slots: Vec<u32> },
}

/// A one-symbol-key grouping uses the symbol ids as slots when the interned symbols are at
/// most half the rows: then an accumulator per symbol (8 bytes) costs no more than the
/// dense ids it replaces (4 bytes a row).
fn syms_as_slots(rows: usize, domain: usize) -> bool {
    domain <= rows / 2
}

impl Grouping {
    /// Group the view rows by key columns (already evaluated on the view).
    /// The key columns are taken so that computed ones (`0D00:01 xbar time`) are freed
    /// once the groups' keys are picked, before the groups are sorted.
    pub fn new(keys: Vec<Value>, view: Option<Vec<i64>>, sort: bool) -> QResult<Grouping> {
        if let [Value::Vector(k)] = keys.as_slice() {
            let domain = fq_value::sym::symbol_count() as usize + 1;
            if k.ty() == QType::SYMBOL && syms_as_slots(k.len(), domain) {
                return Ok(Grouping::by_symbol(k, domain, view, sort));
            }
        }
        let (mut ids, n) = group_ids(&keys)?;
        let firsts = group::first_rows(&ids, n);
        let fv = longs(firsts.iter().map(|&r| i64::from(r)).collect());
        let mut kcols: Vec<Value> = keys.iter().map(|k| index1(k, &fv)).collect::<QResult<_>>()?;
        drop(keys);
        if sort && n > 1 {
            let order = sorted_order(&kcols)?;
            let ov = longs(order.iter().map(|&r| i64::from(r)).collect());
            kcols = kcols.iter().map(|k| index1(k, &ov)).collect::<QResult<_>>()?;
            let mut rank = vec![0u32; n];
            for (p, &g) in order.iter().enumerate() {
                rank[g as usize] = p as u32;
            }
            let renumber = |ids: &mut [u32]| {
                for g in ids.iter_mut() {
                    *g = rank[*g as usize];
                }
            };
            if !crate::parallel::fill(&mut ids, |_, _, out| renumber(out)) {
                renumber(&mut ids);
            }
        }
        Ok(Grouping { ids: GroupIds::Dense(ids), n, keys: kcols, view })
    }

    /// One symbol key: the symbols present (one pass noting each symbol's first row), in
    /// ascending name order when sorted, else in first-seen order.
    fn by_symbol(k: &Vector, domain: usize, view: Option<Vec<i64>>, sort: bool) -> Grouping {
        let ids = k.as_slice::<u32>();
        let firsts = group::first_rows(ids, domain);
        let mut slots: Vec<u32> =
            (0..domain as u32).filter(|&s| firsts[s as usize] != u32::MAX).collect();
        if sort {
            slots.sort_by_key(|&s| Sym::from_id(s).map_or(&[][..], Sym::as_bytes));
        } else {
            slots.sort_by_key(|&s| firsts[s as usize]);
        }
        let syms: Vec<Sym> = slots.iter().filter_map(|&s| Sym::from_id(s)).collect();
        Grouping {
            n: slots.len(),
            ids: GroupIds::Syms { col: k.clone(), domain, slots },
            keys: vec![Value::Vector(Vector::syms(&syms))],
            view,
        }
    }

    /// Ids for the aggregate kernels and how many accumulators they need: each row's
    /// group, or (one symbol key) each row's symbol id; results go through
    /// [`Grouping::per_group`].
    pub fn kernel_ids(&self) -> (&[u32], usize) {
        match &self.ids {
            GroupIds::Dense(ids) => (ids, self.n),
            GroupIds::Syms { col, domain, .. } => (col.as_slice::<u32>(), *domain),
        }
    }

    /// Per-group values from the kernels' per-accumulator values.
    pub fn per_group<T: Copy>(&self, acc: Vec<T>) -> Vec<T> {
        match &self.ids {
            GroupIds::Dense(_) => acc,
            GroupIds::Syms { slots, .. } => slots.iter().map(|&s| acc[s as usize]).collect(),
        }
    }

    /// The group of each view row (built for a one-symbol grouping).
    pub fn dense_ids(&self) -> std::borrow::Cow<'_, [u32]> {
        match &self.ids {
            GroupIds::Dense(ids) => std::borrow::Cow::Borrowed(ids),
            GroupIds::Syms { col, domain, slots } => {
                let mut group = vec![0u32; *domain];
                for (g, &s) in slots.iter().enumerate() {
                    group[s as usize] = g as u32;
                }
                std::borrow::Cow::Owned(
                    col.as_slice::<u32>().iter().map(|&s| group[s as usize]).collect(),
                )
            }
        }
    }

    /// The view row of each group's last row.
    pub fn last_rows(&self) -> Vec<u32> {
        let (ids, n) = self.kernel_ids();
        self.per_group(agg::last_row(ids, n))
    }

    /// Absolute row numbers of each group.
    pub fn rows(&self) -> Vec<Vec<i64>> {
        let (start, rows) = group::rows_by_group(&self.dense_ids(), self.n);
        (0..self.n)
            .map(|g| {
                rows[start[g] as usize..start[g + 1] as usize]
                    .iter()
                    .map(|&p| self.abs(p as usize))
                    .collect()
            })
            .collect()
    }

    fn abs(&self, p: usize) -> i64 {
        match &self.view {
            Some(v) => v[p],
            None => p as i64,
        }
    }

    /// A source column restricted to the view.
    fn column(&self, col: &Value) -> QResult<Value> {
        match &self.view {
            None => Ok(col.clone()),
            Some(v) => index1(col, &longs(v.clone())),
        }
    }
}

/// An aggregate the one-pass path computes.
#[derive(Clone, Copy, PartialEq)]
enum Agg {
    Count,
    Sum,
    Max,
    Min,
    First,
    Last,
    Avg,
}

fn agg_of(code: u8) -> Option<Agg> {
    let is = |name: &str| prim::unary_code(name) == Some(code);
    Some(if is("count") {
        Agg::Count
    } else if is("sum") {
        Agg::Sum
    } else if is("max") {
        Agg::Max
    } else if is("min") {
        Agg::Min
    } else if is("first") {
        Agg::First
    } else if is("last") {
        Agg::Last
    } else if is("avg") {
        Agg::Avg
    } else {
        return None;
    })
}

/// A column of the source by name, unless the name means something else here.
fn source_col<'a>(names: &[Sym], cols: &'a [Value], n: &Node) -> Option<&'a Value> {
    let Node::Col(s, _) = n else { return None };
    names.iter().position(|x| x == s).map(|p| &cols[p])
}

fn is_virtual_i(names: &[Sym], n: &Node) -> bool {
    matches!(n, Node::Col(s, _) if s.as_bytes() == b"i" && !names.contains(s))
}

fn f64s(v: &Value) -> Option<std::borrow::Cow<'_, [f64]>> {
    let Value::Vector(x) = v else { return None };
    Some(std::borrow::Cow::Owned(match x.ty().code() {
        9 => return Some(std::borrow::Cow::Borrowed(x.as_slice::<f64>())),
        7 => x
            .as_slice::<i64>()
            .iter()
            .map(|&a| if a == i64::MIN { f64::NAN } else { a as f64 })
            .collect(),
        6 => x
            .as_slice::<i32>()
            .iter()
            .map(|&a| if a == i32::MIN { f64::NAN } else { f64::from(a) })
            .collect(),
        8 => x.as_slice::<f32>().iter().map(|&a| f64::from(a)).collect(),
        _ => return None,
    }))
}

/// Every select-phrase column computed per group in one pass each, or `None` when some
/// column is not a plain aggregate of a column the kernels handle.
pub fn fast_aggregates(
    cols: &[(Sym, Node)],
    names: &[Sym],
    src_cols: &[Value],
    g: &Grouping,
) -> QResult<Option<Vec<Value>>> {
    // Check every column first: no work unless all qualify.
    for (_, e) in cols {
        let ok = match e {
            Node::Monad(code, a) => match agg_of(*code) {
                Some(Agg::Count) => is_virtual_i(names, a) || source_col(names, src_cols, a).is_some(),
                Some(Agg::First | Agg::Last) => source_col(names, src_cols, a).is_some(),
                Some(k @ (Agg::Sum | Agg::Max | Agg::Min | Agg::Avg)) => matches!(
                    source_col(names, src_cols, a),
                    Some(Value::Vector(v)) if match k {
                        Agg::Sum => matches!(v.ty().code(), 7 | 9 | 16),
                        Agg::Avg => matches!(v.ty().code(), 7 | 9),
                        _ => matches!(v.ty().code(), 7 | 9 | 12 | 16),
                    }
                ),
                None => false,
            },
            Node::Dyad(code, w, v) => {
                Some(*code) == prim::binary_code("wavg")
                    && [w, v].iter().all(|x| {
                        matches!(source_col(names, src_cols, x), Some(Value::Vector(c)) if matches!(c.ty().code(), 6..=9))
                    })
            }
            _ => false,
        };
        if !ok {
            return Ok(None);
        }
    }
    let mut out = Vec::with_capacity(cols.len());
    for (_, e) in cols {
        out.push(match e {
            Node::Monad(code, a) => {
                let kind = agg_of(*code).ok_or(QError::Type)?;
                if kind == Agg::Count {
                    let (ids, n) = g.kernel_ids();
                    longs(g.per_group(by_chunks(ids.len(), |r| agg::count(&ids[r], n), add_i64)))
                } else {
                    let col = source_col(names, src_cols, a).ok_or(QError::Type)?;
                    one(kind, col, g)?
                }
            }
            Node::Dyad(_, w, v) => {
                let wc = g.column(source_col(names, src_cols, w).ok_or(QError::Type)?)?;
                let vc = g.column(source_col(names, src_cols, v).ok_or(QError::Type)?)?;
                let vf = f64s(&vc).ok_or(QError::Type)?;
                let (ids, n) = g.kernel_ids();
                let parts = match &wc {
                    Value::Vector(w) if w.ty() == QType::LONG => {
                        let w = w.as_slice::<i64>();
                        by_chunks(
                            ids.len(),
                            |r| agg::wavg_parts_i64(&w[r.clone()], &vf[r.clone()], &ids[r], n),
                            agg::combine_parts,
                        )
                    }
                    _ => {
                        let w = f64s(&wc).ok_or(QError::Type)?;
                        by_chunks(
                            ids.len(),
                            |r| agg::wavg_parts(&w[r.clone()], &vf[r.clone()], &ids[r], n),
                            agg::combine_parts,
                        )
                    }
                };
                let out = g.per_group(agg::wavg_finish(&parts));
                Value::Vector(Vector::from_vec(QType::FLOAT, out))
            }
            _ => return Err(QError::Type),
        });
    }
    Ok(Some(out))
}

fn one(kind: Agg, col: &Value, g: &Grouping) -> QResult<Value> {
    match kind {
        Agg::First | Agg::Last => {
            let (ids, n) = g.kernel_ids();
            let rows = g.per_group(if kind == Agg::First {
                agg::first_row(ids, n)
            } else {
                agg::last_row(ids, n)
            });
            let abs: Vec<i64> = rows.iter().map(|&p| g.abs(p as usize)).collect();
            index1(col, &longs(abs))
        }
        _ => {
            let c = g.column(col)?;
            let Value::Vector(v) = &c else { return Err(QError::Type) };
            let ty = v.ty();
            let (ids, n) = g.kernel_ids();
            let len = ids.len();
            let max = kind == Agg::Max;
            // Each aggregate runs per chunk of rows (in parallel when long) and the
            // chunks' partials combine in row order.
            let i64s = || v.as_slice::<i64>();
            let f64s = || v.as_slice::<f64>();
            Ok(match (kind, ty.code()) {
                (Agg::Sum, 7 | 16) => Value::Vector(Vector::from_vec(
                    ty,
                    g.per_group(by_chunks(
                        len,
                        |r| agg::sum_i64(&i64s()[r.clone()], &ids[r], n),
                        add_i64,
                    )),
                )),
                (Agg::Sum, 9) => Value::Vector(Vector::from_vec(
                    QType::FLOAT,
                    g.per_group(by_chunks(
                        len,
                        |r| agg::sum_f64(&f64s()[r.clone()], &ids[r], n),
                        add_f64,
                    )),
                )),
                (Agg::Max | Agg::Min, 7 | 12 | 16) => Value::Vector(Vector::from_vec(
                    ty,
                    g.per_group(by_chunks(
                        len,
                        |r| agg::extreme_i64(&i64s()[r.clone()], &ids[r], n, max),
                        |a: &mut Vec<i64>, b| {
                            for (x, y) in a.iter_mut().zip(b) {
                                *x = if max { (*x).max(y) } else { (*x).min(y) };
                            }
                        },
                    )),
                )),
                (Agg::Max | Agg::Min, 9) => Value::Vector(Vector::from_vec(
                    QType::FLOAT,
                    g.per_group(by_chunks(
                        len,
                        |r| agg::extreme_f64(&f64s()[r.clone()], &ids[r], n, max),
                        |a: &mut Vec<f64>, b| {
                            for (x, y) in a.iter_mut().zip(b) {
                                *x = if max { x.max(y) } else { x.min(y) };
                            }
                        },
                    )),
                )),
                (Agg::Avg, 7) => Value::Vector(Vector::from_vec(
                    QType::FLOAT,
                    g.per_group(agg::avg_finish(&by_chunks(
                        len,
                        |r| agg::avg_parts_i64(&i64s()[r.clone()], &ids[r], n),
                        agg::combine_parts,
                    ))),
                )),
                (Agg::Avg, 9) => Value::Vector(Vector::from_vec(
                    QType::FLOAT,
                    g.per_group(agg::avg_finish(&by_chunks(
                        len,
                        |r| agg::avg_parts_f64(&f64s()[r.clone()], &ids[r], n),
                        agg::combine_parts,
                    ))),
                )),
                _ => return Err(QError::Type),
            })
        }
    }
}

/// A per-group result over rows `0..len`: `f` of each chunk of rows, split over the
/// secondary threads when long, the partials merged in row order; `f` of every row
/// otherwise.
fn by_chunks<P: Send>(
    len: usize,
    f: impl Fn(std::ops::Range<usize>) -> P + Sync,
    merge: impl Fn(&mut P, P),
) -> P {
    match crate::parallel::split(len, &f) {
        Some(parts) => {
            let mut it = parts.into_iter();
            match it.next() {
                Some(mut acc) => {
                    for p in it {
                        merge(&mut acc, p);
                    }
                    acc
                }
                None => f(0..len),
            }
        }
        None => f(0..len),
    }
}

#[expect(clippy::ptr_arg, reason = "a merge step of `by_chunks`: it takes the partial itself")]
fn add_i64(a: &mut Vec<i64>, b: Vec<i64>) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = x.wrapping_add(y);
    }
}

#[expect(clippy::ptr_arg, reason = "a merge step of `by_chunks`: it takes the partial itself")]
fn add_f64(a: &mut Vec<f64>, b: Vec<f64>) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The `g#` (or `p#`, `u#`) index of a symbol vector: built on first use, kept with the
/// vector until it changes.
pub fn sym_index(v: &Vector) -> std::sync::Arc<group::GroupIndex> {
    v.cached(|v| {
        let domain = fq_value::sym::symbol_count() as usize + 1;
        group::GroupIndex::build_by(v.as_slice::<Sym>(), domain, |s| s.id() as usize)
    })
}

/// True for a symbol vector whose attribute promises an index.
pub fn indexed(v: &Vector) -> bool {
    v.ty() == QType::SYMBOL
        && matches!(
            v.attr(),
            fq_value::Attr::Grouped | fq_value::Attr::Parted | fq_value::Attr::Unique
        )
}

/// True for the types whose `p#` vectors keep a run index ([`part_runs`]): integral and
/// temporal types with an integer representation (symbols keep [`sym_index`]).
fn runs_type(code: i16) -> bool {
    matches!(code, 1 | 4 | 5 | 6 | 7 | 10 | 12 | 13 | 14 | 16 | 17 | 18 | 19)
}

/// Items of a vector of a [`runs_type`] as 64-bit keys: the bits widened, so nulls are
/// their sentinels and a null matches only a null, as `=` and `in` compare.
fn run_keys(v: &Vector) -> Option<Vec<i64>> {
    Some(match v.ty().code() {
        1 | 4 | 10 => v.as_slice::<u8>().iter().map(|&x| i64::from(x)).collect(),
        5 => v.as_slice::<i16>().iter().map(|&x| i64::from(x)).collect(),
        6 | 13 | 14 | 17 | 18 | 19 => v.as_slice::<i32>().iter().map(|&x| i64::from(x)).collect(),
        7 | 12 | 16 => v.as_slice::<i64>().to_vec(),
        _ => return None,
    })
}

/// The index of a `p#` vector of an integral or temporal type: each value's one run of
/// rows `[start, end)`.
pub struct PartRuns(fq_value::hash::FxHashMap<i64, (u32, u32)>);

/// The run index of a `p#` vector (built on first use, kept with the vector until it
/// changes); `None` for other attributes and types.
pub fn part_runs(v: &Vector) -> Option<std::sync::Arc<PartRuns>> {
    if v.attr() != fq_value::Attr::Parted || !runs_type(v.ty().code()) {
        return None;
    }
    Some(v.cached(|v| {
        let mut map = fq_value::hash::FxHashMap::default();
        let keys = run_keys(v).unwrap_or_default();
        let mut start = 0usize;
        while start < keys.len() {
            let k = keys[start];
            let end = start + keys[start..].iter().take_while(|&&x| x == k).count();
            map.insert(k, (start as u32, end as u32));
            start = end;
        }
        PartRuns(map)
    }))
}

/// The keys a `=`/`in` constraint on a `p#` column looks up, when its right side has the
/// column's type (an atom for `=`, a vector for `in`).
fn part_probe(v: &Vector, k: &Value, eq: bool, isin: bool) -> Option<Vec<i64>> {
    match k {
        Value::Vector(s) if isin && s.ty() == v.ty() => run_keys(s),
        k if eq && k.is_atom() && k.qtype().code() == -v.ty().code() => {
            match crate::convert::enlist_atom(k) {
                Value::Vector(s) => run_keys(&s),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Rows of a `p#` column equal to one of `keys`: their runs in row order, narrowed to the
/// rows in view (ascending) when given.
fn part_rows(runs: &PartRuns, keys: &[i64], rows: Option<&[i64]>) -> Vec<i64> {
    let mut spans: Vec<(u32, u32)> = keys.iter().filter_map(|k| runs.0.get(k).copied()).collect();
    spans.sort_unstable();
    spans.dedup();
    match rows {
        None => spans.iter().flat_map(|&(a, b)| i64::from(a)..i64::from(b)).collect(),
        Some(r) => spans
            .iter()
            .flat_map(|&(a, b)| {
                let lo = r.partition_point(|&x| x < i64::from(a));
                let hi = r.partition_point(|&x| x < i64::from(b));
                r[lo..hi].iter().copied()
            })
            .collect(),
    }
}

/// True when [`fast_where`] answers `w` (without evaluating anything).
pub fn is_fast_where(w: &Node, names: &[Sym], cols: &[Value]) -> bool {
    let Node::Dyad(code, a, b) = w else { return false };
    let (Some(Value::Vector(v)), Node::Const(k)) = (source_col(names, cols, a), &**b) else {
        return false;
    };
    let eq = Some(*code) == prim::binary_code("=");
    let within = Some(*code) == prim::binary_code("within");
    let isin = Some(*code) == prim::binary_code("in");
    if v.attr() == fq_value::Attr::Parted
        && runs_type(v.ty().code())
        && part_probe(v, k, eq, isin).is_some()
    {
        return true;
    }
    match (v.ty().code(), k) {
        (11, Value::Symbol(_)) => eq,
        (11, Value::Vector(s)) => isin && s.ty() == QType::SYMBOL,
        (7 | 12 | 16, k) if eq => k.qtype().code() == -v.ty().code(),
        (7 | 12 | 16 | 6 | 13 | 14 | 17 | 18 | 19, Value::Vector(lh)) => {
            within && lh.ty() == v.ty() && lh.len() == 2
        }
        _ => false,
    }
}

/// True when `w` is answered by a binary search (`s#` within) or an index (`g#` =, in).
pub fn is_indexed_where(w: &Node, names: &[Sym], cols: &[Value]) -> bool {
    let Node::Dyad(code, a, _) = w else { return false };
    let Some(Value::Vector(v)) = source_col(names, cols, a) else { return false };
    if Some(*code) == prim::binary_code("within") {
        return v.attr() == fq_value::Attr::Sorted;
    }
    indexed(v) || (v.attr() == fq_value::Attr::Parted && runs_type(v.ty().code()))
}

/// Rows kept by a simple constraint on a column, computed without building a boolean
/// vector: `c=atom` (symbols, integral and temporal types of the atom's own type),
/// `c within (lo;hi)` (a binary search when `c` is `s#`), `c in syms`. `rows`: the rows
/// still in view. `None` when the constraint is not of these shapes.
pub fn fast_where(
    w: &Node,
    names: &[Sym],
    cols: &[Value],
    rows: Option<&[i64]>,
) -> Option<Vec<i64>> {
    let Node::Dyad(code, a, b) = w else { return None };
    let col = source_col(names, cols, a)?;
    let Node::Const(k) = &**b else { return None };
    let Value::Vector(v) = col else { return None };
    let eq = Some(*code) == prim::binary_code("=");
    let within = Some(*code) == prim::binary_code("within");
    let isin = Some(*code) == prim::binary_code("in");
    let n = v.len();
    let pick = |f: &(dyn Fn(usize) -> bool + Sync)| -> Vec<i64> { pick_rows(n, rows, f) };
    // Rows in view that form one run (as after a binary search on `s#`): scan the slice.
    let run = rows.and_then(|r| match (r.first(), r.last()) {
        (Some(&a), Some(&b)) if b - a + 1 == r.len() as i64 => Some((a as usize, b as usize + 1)),
        _ => None,
    });
    if let Some(runs) = part_runs(v) {
        if let Some(keys) = part_probe(v, k, eq, isin) {
            return Some(part_rows(&runs, &keys, rows));
        }
    }
    match (v.ty().code(), k) {
        (11, Value::Symbol(s)) if eq && rows.is_none() && indexed(v) => {
            let ix = sym_index(v);
            Some(ix.rows_of(s.id() as usize).iter().map(|&r| i64::from(r)).collect())
        }
        (11, Value::Vector(set))
            if isin && rows.is_none() && indexed(v) && set.ty() == QType::SYMBOL =>
        {
            let ix = sym_index(v);
            let mut out: Vec<i64> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for s in set.as_slice::<Sym>() {
                if seen.insert(*s) {
                    out.extend(ix.rows_of(s.id() as usize).iter().map(|&r| i64::from(r)));
                }
            }
            out.sort_unstable();
            Some(out)
        }
        (11, Value::Symbol(s)) if eq => {
            let xs = v.as_slice::<Sym>();
            Some(match (rows, run) {
                (None, _) => scan(xs, |x| x == *s),
                (Some(_), Some((a, b))) => {
                    let mut out = scan(&xs[a..b], |x| x == *s);
                    out.iter_mut().for_each(|r| *r += a as i64);
                    out
                }
                (Some(_), None) => pick(&|r| xs[r] == *s),
            })
        }
        (11, Value::Vector(set)) if isin && set.ty() == QType::SYMBOL => {
            let set = set.as_slice::<Sym>();
            let xs = v.as_slice::<Sym>();
            if set.len() <= 4 {
                return Some(match rows {
                    None => scan(xs, |x| set.contains(&x)),
                    Some(_) => pick(&|r| set.contains(&xs[r])),
                });
            }
            // Membership by symbol id: one table load per row.
            let domain = fq_value::sym::symbol_count() as usize + 1;
            let mut member = vec![false; domain];
            for s in set {
                member[s.id() as usize] = true;
            }
            Some(match rows {
                None => scan(xs, |x| member.get(x.id() as usize).copied().unwrap_or(false)),
                Some(_) => pick(&|r| member.get(xs[r].id() as usize).copied().unwrap_or(false)),
            })
        }
        (7 | 12 | 16, k) if eq && k.qtype().code() == -v.ty().code() => {
            let x = crate::convert::atom_i64(k)?;
            let xs = v.as_slice::<i64>();
            Some(pick(&|r| xs[r] == x))
        }
        (7 | 12 | 16, Value::Vector(lh)) if within && lh.ty() == v.ty() && lh.len() == 2 => {
            let (lo, hi) = (lh.as_slice::<i64>()[0], lh.as_slice::<i64>()[1]);
            let xs = v.as_slice::<i64>();
            if rows.is_none() && v.attr() == fq_value::Attr::Sorted {
                let s = xs.partition_point(|&x| x < lo);
                let e = xs.partition_point(|&x| x <= hi);
                return Some((s as i64..e.max(s) as i64).collect());
            }
            Some(match rows {
                None => scan(xs, |x| x >= lo && x <= hi),
                Some(_) => pick(&|r| xs[r] >= lo && xs[r] <= hi),
            })
        }
        (6 | 13 | 14 | 17 | 18 | 19, Value::Vector(lh))
            if within && lh.ty() == v.ty() && lh.len() == 2 =>
        {
            let (lo, hi) = (lh.as_slice::<i32>()[0], lh.as_slice::<i32>()[1]);
            let xs = v.as_slice::<i32>();
            if rows.is_none() && v.attr() == fq_value::Attr::Sorted {
                let s = xs.partition_point(|&x| x < lo);
                let e = xs.partition_point(|&x| x <= hi);
                return Some((s as i64..e.max(s) as i64).collect());
            }
            Some(pick(&|r| xs[r] >= lo && xs[r] <= hi))
        }
        _ => None,
    }
}

/// The rows of an `s#` column `within (lo;hi)`: one run `(start, end)` found by binary
/// search. `None` for any other constraint.
pub fn sorted_within_run(w: &Node, names: &[Sym], cols: &[Value]) -> Option<(usize, usize)> {
    fn run<T: Copy + PartialOrd>(xs: &[T], lo: T, hi: T) -> (usize, usize) {
        let s = xs.partition_point(|&x| x < lo);
        let e = xs.partition_point(|&x| x <= hi);
        (s, e.max(s))
    }
    let Node::Dyad(code, a, b) = w else { return None };
    let Some(Value::Vector(v)) = source_col(names, cols, a) else { return None };
    let Node::Const(Value::Vector(lh)) = &**b else { return None };
    if Some(*code) != prim::binary_code("within")
        || v.attr() != fq_value::Attr::Sorted
        || lh.ty() != v.ty()
        || lh.len() != 2
    {
        return None;
    }
    match v.ty().code() {
        7 | 12 | 16 => {
            let lh = lh.as_slice::<i64>();
            Some(run(v.as_slice::<i64>(), lh[0], lh[1]))
        }
        6 | 13 | 14 | 17 | 18 | 19 => {
            let lh = lh.as_slice::<i32>();
            Some(run(v.as_slice::<i32>(), lh[0], lh[1]))
        }
        _ => None,
    }
}

/// The rows of the run `start..end` (from [`sorted_within_run`]) kept by `c=sym` or
/// `c in syms` on a symbol column, scanned in place: no list of the run's rows is built.
/// `None` for other constraints.
pub fn fast_where_in_run(
    w: &Node,
    names: &[Sym],
    cols: &[Value],
    (start, end): (usize, usize),
) -> Option<Vec<i64>> {
    let Node::Dyad(code, a, b) = w else { return None };
    let Some(Value::Vector(v)) = source_col(names, cols, a) else { return None };
    let Node::Const(k) = &**b else { return None };
    if v.ty() != QType::SYMBOL {
        return None;
    }
    let xs = v.as_slice::<Sym>().get(start..end)?;
    let mut out = match k {
        Value::Symbol(s) if Some(*code) == prim::binary_code("=") => scan(xs, |x| x == *s),
        Value::Vector(set)
            if Some(*code) == prim::binary_code("in") && set.ty() == QType::SYMBOL =>
        {
            let domain = fq_value::sym::symbol_count() as usize + 1;
            let mut member = vec![false; domain];
            for s in set.as_slice::<Sym>() {
                if let Some(m) = member.get_mut(s.id() as usize) {
                    *m = true;
                }
            }
            scan(xs, |x| member.get(x.id() as usize).copied().unwrap_or(false))
        }
        _ => return None,
    };
    out.iter_mut().for_each(|r| *r += start as i64);
    Some(out)
}

fn pick_rows(n: usize, rows: Option<&[i64]>, f: &(dyn Fn(usize) -> bool + Sync)) -> Vec<i64> {
    let seq = |range: std::ops::Range<usize>| -> Vec<i64> {
        kept(range, |k| {
            let x = rows.map_or(k as i64, |r| r[k]);
            (x, f(x as usize))
        })
    };
    let len = rows.map_or(n, <[i64]>::len);
    match crate::parallel::split(len, seq) {
        Some(parts) => parts.concat(),
        None => seq(0..len),
    }
}

/// The values `at(k)` gives for the positions `k` of `range` whose test it passes: blocks
/// of 1,024, every value written and the count advanced by the test, so the loop has no
/// branch on the data (a kept row costs the same as a skipped one, however they
/// alternate); each block's kept values then go out.
#[inline]
fn kept(range: std::ops::Range<usize>, at: impl Fn(usize) -> (i64, bool)) -> Vec<i64> {
    let mut out = Vec::new();
    let mut buf = [0i64; 1024];
    let mut start = range.start;
    while start < range.end {
        let end = (start + 1024).min(range.end);
        let mut n = 0usize;
        for k in start..end {
            let (x, keep) = at(k);
            buf[n] = x;
            n += usize::from(keep);
        }
        out.extend_from_slice(&buf[..n]);
        start = end;
    }
    out
}

/// Positions of the items satisfying `f`, in a tight loop over the slice (over the
/// secondary threads, chunk by chunk, when long).
#[inline]
fn scan<T: Copy + Sync>(xs: &[T], f: impl Fn(T) -> bool + Sync) -> Vec<i64> {
    let seq = |r: std::ops::Range<usize>| kept(r, |k| (k as i64, f(xs[k])));
    match crate::parallel::split(xs.len(), seq) {
        Some(parts) => parts.concat(),
        None => seq(0..xs.len()),
    }
}

/// `select first c, last c, count i… by s from t` with one symbol key: first and last
/// rows and counts per symbol in one pass (no per-row group ids), then the columns
/// gathered at those rows. `None` when the query is not of that shape.
pub fn first_last_by(
    cols: &[(Sym, Node)],
    by: &[(Sym, Node)],
    names: &[Sym],
    src_cols: &[Value],
    rows: Option<&[i64]>,
) -> QResult<Option<(Value, Vec<Value>)>> {
    let [(_, key)] = by else { return Ok(None) };
    let Some(Value::Vector(kv)) = source_col(names, src_cols, key) else { return Ok(None) };
    if kv.ty() != QType::SYMBOL || cols.is_empty() {
        return Ok(None);
    }
    for (_, e) in cols {
        let ok = match e {
            Node::Monad(code, a) => match agg_of(*code) {
                Some(Agg::First | Agg::Last) => source_col(names, src_cols, a).is_some(),
                Some(Agg::Count) => {
                    is_virtual_i(names, a) || source_col(names, src_cols, a).is_some()
                }
                _ => false,
            },
            _ => false,
        };
        if !ok {
            return Ok(None);
        }
    }
    let syms = kv.as_slice::<Sym>();
    let domain = fq_value::sym::symbol_count() as usize + 1;
    let only_last =
        cols.iter().all(|(_, e)| matches!(e, Node::Monad(c, _) if agg_of(*c) == Some(Agg::Last)));
    let (firsts, lasts, counts) = if only_last {
        // `last` alone: one store per row, no ids, no counts.
        let lasts = group::last_by(syms, rows, domain, |s: Sym| s.id() as usize);
        (lasts.clone(), lasts, Vec::new())
    } else {
        group::first_last_count_by(syms, rows, domain, |s: Sym| s.id() as usize)
    };
    // Groups in ascending symbol order.
    let mut order: Vec<usize> = (0..firsts.len()).collect();
    order.sort_by(|&a, &b| {
        syms[firsts[a] as usize].as_bytes().cmp(syms[firsts[b] as usize].as_bytes())
    });
    let pick = |v: &[u32]| longs(order.iter().map(|&g| i64::from(v[g])).collect());
    let key_col = index1(&Value::Vector(kv.clone()), &pick(&firsts))?;
    let mut out = Vec::with_capacity(cols.len());
    for (_, e) in cols {
        let Node::Monad(code, a) = e else { return Err(QError::Type) };
        out.push(match agg_of(*code) {
            Some(Agg::Count) => longs(order.iter().map(|&g| counts[g]).collect()),
            Some(kind) => {
                let c = source_col(names, src_cols, a).ok_or(QError::Type)?;
                index1(c, &pick(if kind == Agg::First { &firsts } else { &lasts }))?
            }
            None => return Err(QError::Type),
        });
    }
    Ok(Some((key_col, out)))
}
