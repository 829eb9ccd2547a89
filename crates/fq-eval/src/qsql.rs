//! qSQL: `select`, `exec`, `update` and `delete`, evaluated column-wise.
//!
//! A template runs against a *frame*: the table's columns and the rows in view (all rows,
//! the rows the where phrase kept so far, or one group's rows). Names in the template's
//! phrases compile to [`Node::Col`], which reads the column from the innermost frame,
//! gathering the rows in view on first use; names that are not columns fall back to
//! locals and globals, as q resolves them.

use crate::atomic::collapse;
use crate::grouping::Grouping;
use crate::interp::{Ctrl, Interp, R};
use crate::node::{Node, QueryNode};
use crate::prims::index::index1;
use crate::prims::list::grade;
use fq_syntax::QueryKind;
use fq_value::{QError, QResult, QType, Sym, Table, Value, Vector, GENERIC_NULL};
use std::sync::Arc;

/// The table a template is running on, and the rows in view.
pub(crate) struct QFrame {
    names: Vec<Sym>,
    cols: Vec<Value>,
    /// Absolute row numbers in view (a long vector); `None` for every row.
    rows: Option<Value>,
    /// Rows in view.
    n: usize,
    cache: Vec<Option<Value>>,
}

impl QFrame {
    fn new(names: &[Sym], cols: &[Value], rows: Option<Value>, total: usize) -> QFrame {
        let n = rows.as_ref().map_or(total, Value::count);
        QFrame {
            names: names.to_vec(),
            cols: cols.to_vec(),
            rows,
            n,
            cache: vec![None; cols.len()],
        }
    }
}

fn longs(v: Vec<i64>) -> Value {
    Value::Vector(Vector::from_vec(QType::LONG, v))
}

fn row_slice(v: &Value) -> &[i64] {
    match v {
        Value::Vector(x) if x.ty() == QType::LONG => x.as_slice::<i64>(),
        _ => &[],
    }
}

/// The column `s` of the innermost frame (rows in view), or `i` the row numbers; `None`
/// when there is no frame or no such column.
pub(crate) fn column(i: &mut Interp, s: Sym) -> Option<QResult<Value>> {
    let f = i.qframes.last_mut()?;
    if let Some(p) = f.names.iter().position(|&n| n == s) {
        if let Some(v) = &f.cache[p] {
            return Some(Ok(v.clone()));
        }
        let v = match &f.rows {
            None => Ok(f.cols[p].clone()),
            Some(r) => index1(&f.cols[p], r),
        };
        if let Ok(v) = &v {
            f.cache[p] = Some(v.clone());
        }
        return Some(v);
    }
    if s.as_bytes() == b"i" {
        return Some(Ok(match &f.rows {
            Some(r) => r.clone(),
            None => longs((0..f.n as i64).collect()),
        }));
    }
    None
}

/// `col.field`: a temporal part of a column (`time.minute`, `date.month`).
pub(crate) fn column_field(i: &mut Interp, col: Sym, field: Sym) -> Option<QResult<Value>> {
    let v = match column(i, col)? {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    // A foreign key: the column of the keyed table the enumeration points into.
    if let Value::Enum(e) = &v {
        if let Some(Value::Dict(d)) = i.get(e.domain_name) {
            if let (Value::Table(k), Value::Table(vt)) = (&d.keys, &d.values) {
                let target = vt.column(field).or_else(|| k.column(field)).cloned();
                return Some(match target {
                    Some(c) => index1(&c, &Value::Vector(e.indices.clone())),
                    None => Err(QError::Undefined(Arc::from(field.name().as_ref()))),
                });
            }
        }
    }
    let cast = fq_value::prim::binary_code("$").unwrap_or(10);
    Some(crate::prims::call_binary(i, cast, Value::Symbol(field), v))
}

/// Evaluate `n` with `frame` as the innermost frame.
fn in_frame(i: &mut Interp, frame: QFrame, n: &Node, fr: &mut [Value]) -> R {
    i.qframes.push(frame);
    let r = i.eval(n, fr);
    i.qframes.pop();
    r
}

/// A table expression, flattened: column names and columns, how many of the first columns
/// are keys (keyed tables), and the global it came from when given by name.
struct Source {
    names: Vec<Sym>,
    cols: Vec<Value>,
    nkeys: usize,
    rows: usize,
    name: Option<Sym>,
    attr: fq_value::Attr,
}

fn table_parts(t: &Table) -> (Vec<Sym>, Vec<Value>) {
    (t.names().as_slice::<Sym>().to_vec(), t.columns().to_vec())
}

fn source_of(i: &mut Interp, v: Value) -> QResult<Source> {
    let (v, name) = match v {
        Value::Symbol(s) => {
            let g = i.eval_str(&s.name())?;
            (g, Some(s))
        }
        v => (v, None),
    };
    match &v {
        Value::Table(t) => {
            let (names, cols) = table_parts(t);
            Ok(Source { names, cols, nkeys: 0, rows: t.rows(), name, attr: t.attr() })
        }
        Value::Dict(d) => match (&d.keys, &d.values) {
            (Value::Table(k), Value::Table(vt)) => {
                let (mut names, mut cols) = table_parts(k);
                let (n2, c2) = table_parts(vt);
                names.extend(n2);
                cols.extend(c2);
                Ok(Source {
                    names,
                    cols,
                    nkeys: k.names().len(),
                    rows: k.rows(),
                    name,
                    attr: fq_value::Attr::None,
                })
            }
            _ => Err(QError::Type),
        },
        _ => Err(QError::Type),
    }
}

fn make_table(names: Vec<Sym>, cols: Vec<Value>) -> QResult<Value> {
    Ok(Value::Table(Arc::new(Table::new(Vector::syms(&names), cols)?)))
}

/// A table, keyed on its first `nkeys` columns when there are any.
fn make_keyed(names: Vec<Sym>, cols: Vec<Value>, nkeys: usize) -> QResult<Value> {
    if nkeys == 0 || nkeys >= names.len() {
        return make_table(names, cols);
    }
    let (kn, vn) = names.split_at(nkeys);
    let (kc, vc) = cols.split_at(nkeys);
    let k = Table::new(Vector::syms(kn), kc.to_vec())?;
    let v = Table::new(Vector::syms(vn), vc.to_vec())?;
    Value::keyed_table(k, v)
}

/// True for an expression that only reads variables (not columns of the table): a
/// constant, a local or global, or a list of those. Reading it early changes nothing.
fn lookup_only(n: &Node, names: &[Sym]) -> bool {
    match n {
        Node::Const(_) | Node::Local(_) | Node::Global(_) => true,
        Node::Col(s, fb) => !names.contains(s) && s.as_bytes() != b"i" && lookup_only(fb, names),
        Node::List(xs) => xs.iter().all(|x| lookup_only(x, names)),
        _ => false,
    }
}

/// Rows kept by the where phrase (absolute row numbers), `None` when there is none.
fn apply_wheres(i: &mut Interp, q: &QueryNode, src: &Source, fr: &mut [Value]) -> R {
    let mut rows: Option<Value> = None;
    // `col op y` where y only reads variables (`sym=s`, `time within (t0;t1)`): read y
    // now, so the kernels see a constant.
    let resolved: Vec<Node> = q
        .wheres
        .iter()
        .map(|w| match w {
            Node::Dyad(code, a, b)
                if lookup_only(b, &src.names) && !matches!(**b, Node::Const(_)) =>
            {
                let frame = QFrame::new(&src.names, &src.cols, None, src.rows);
                match in_frame(i, frame, b, fr) {
                    Ok(v) => Node::Dyad(*code, a.clone(), Box::new(Node::Const(v))),
                    Err(_) => w.clone(),
                }
            }
            w => w.clone(),
        })
        .collect();
    // Constraints the kernels evaluate are pure, so within the leading run of them the
    // ones answered by a binary search or an index go first: same rows, less work.
    let lead = resolved
        .iter()
        .take_while(|w| crate::grouping::is_fast_where(w, &src.names, &src.cols))
        .count();
    let mut order: Vec<&Node> = resolved.iter().collect();
    order[..lead].sort_by_key(|w| !crate::grouping::is_indexed_where(w, &src.names, &src.cols));
    // An `s#` within then a symbol constraint: the symbol is looked for in the within's
    // run of rows in place, without a list of the run's rows.
    let mut done = 0;
    if let [w0, w1, ..] = order.as_slice() {
        if let Some(run) = crate::grouping::sorted_within_run(w0, &src.names, &src.cols) {
            if let Some(keep) = crate::grouping::fast_where_in_run(w1, &src.names, &src.cols, run) {
                rows = Some(longs(keep));
                done = 2;
            }
        }
    }
    for w in order.into_iter().skip(done) {
        if let Some(keep) =
            crate::grouping::fast_where(w, &src.names, &src.cols, rows.as_ref().map(row_slice))
        {
            rows = Some(longs(keep));
            continue;
        }
        let frame = QFrame::new(&src.names, &src.cols, rows.clone(), src.rows);
        let n = frame.n;
        let b = in_frame(i, frame, w, fr)?;
        let keep: Vec<i64> = match &b {
            Value::Bool(true) => match &rows {
                Some(r) => row_slice(r).to_vec(),
                None => (0..n as i64).collect(),
            },
            Value::Bool(false) => Vec::new(),
            Value::Vector(v) if v.ty() == QType::BOOLEAN => {
                if v.len() != n {
                    return Err(QError::Length.into());
                }
                let m = v.as_slice::<u8>();
                match &rows {
                    Some(r) => {
                        let r = row_slice(r);
                        m.iter().zip(r).filter(|(&b, _)| b != 0).map(|(_, &x)| x).collect()
                    }
                    None => m
                        .iter()
                        .enumerate()
                        .filter(|(_, &b)| b != 0)
                        .map(|(k, _)| k as i64)
                        .collect(),
                }
            }
            _ => return Err(QError::Type.into()),
        };
        rows = Some(longs(keep));
    }
    Ok(rows.unwrap_or(GENERIC_NULL))
}

fn opt_rows(v: Value) -> Option<Value> {
    (!v.is_generic_null()).then_some(v)
}

/// Run a template.
pub(crate) fn run(i: &mut Interp, q: &QueryNode, fr: &mut [Value]) -> R {
    let from = i.eval(&q.from, fr)?;
    if matches!(q.kind, QueryKind::Delete) && !q.delete_cols.is_empty() && q.wheres.is_empty() {
        if let Some(r) = delete_entries(i, &q.delete_cols, &from)? {
            return Ok(r);
        }
    }
    let src = source_of(i, from)?;
    let rows = opt_rows(apply_wheres(i, q, &src, fr)?);
    let out = match q.kind {
        QueryKind::Select if q.distinct => {
            let t = select(i, q, &src, rows, fr)?;
            crate::qsql_distinct::distinct_result(i, t, q.by.is_some())?
        }
        QueryKind::Select => select(i, q, &src, rows, fr)?,
        QueryKind::Exec => exec(i, q, &src, rows, fr)?,
        QueryKind::Update => update(i, q, &src, rows, fr)?,
        QueryKind::Delete => delete(q, &src, rows)?,
    };
    if let (Some(name), QueryKind::Update | QueryKind::Delete) = (src.name, q.kind) {
        i.set_global(name, out);
        return Ok(Value::Symbol(name));
    }
    Ok(out)
}

/// Evaluate the select/exec phrase's columns on a view: each column's value.
fn eval_cols(
    i: &mut Interp,
    cols: &[(Sym, Node)],
    src: &Source,
    rows: Option<Value>,
    fr: &mut [Value],
) -> QResult<Vec<Value>> {
    i.qframes.push(QFrame::new(&src.names, &src.cols, rows, src.rows));
    let mut out = Vec::with_capacity(cols.len());
    for (_, e) in cols {
        match i.eval(e, fr) {
            Ok(v) => out.push(v),
            Err(Ctrl::Err(e)) => {
                i.qframes.pop();
                return Err(e);
            }
            Err(Ctrl::Ret(_)) => {
                i.qframes.pop();
                return Err(QError::Type);
            }
        }
    }
    i.qframes.pop();
    Ok(out)
}

/// A column of `n` rows from a computed value: an atom stretches, a list must have `n`
/// items (`'length`).
fn stretch(v: Value, n: usize) -> QResult<Value> {
    if v.is_atom() {
        crate::prims::list::take_n(&v, n as i64)
    } else if v.count() != n {
        Err(QError::Length)
    } else {
        Ok(v)
    }
}

/// Columns of one table: atoms stretch to the others' length; lengths must agree.
fn conform(vals: Vec<Value>, n_default: Option<usize>) -> QResult<Vec<Value>> {
    let n = vals.iter().filter(|v| !v.is_atom()).map(Value::count).next();
    let n = match (n, n_default) {
        (Some(n), _) => n,
        (None, Some(_)) | (None, None) => {
            // All atoms: one row.
            return Ok(vals.iter().map(crate::convert::enlist_atom).collect());
        }
    };
    vals.into_iter().map(|v| stretch(v, n)).collect()
}

fn all_rows(src: &Source, rows: &Option<Value>) -> Vec<i64> {
    match rows {
        Some(r) => row_slice(r).to_vec(),
        None => (0..src.rows as i64).collect(),
    }
}

/// `select[n]` / `select[>c]`: reorder and cut the rows in view.
fn limit_rows(
    i: &mut Interp,
    q: &QueryNode,
    src: &Source,
    rows: Option<Value>,
    fr: &mut [Value],
) -> QResult<Option<Value>> {
    if q.limit_n.is_none() && q.order.is_none() {
        return Ok(rows);
    }
    let mut r = all_rows(src, &rows);
    if let Some((desc, key)) = &q.order {
        let frame = QFrame::new(&src.names, &src.cols, Some(longs(r.clone())), src.rows);
        let k = in_frame(i, frame, key, fr).map_err(ctrl_err)?;
        let mut g = grade(&k)?;
        if *desc {
            g = crate::prims::table::stable_desc(&k, g)?;
        }
        r = g.iter().map(|&p| r[p as usize]).collect();
    }
    if let Some(n) = &q.limit_n {
        let nv = i.eval(n, fr).map_err(ctrl_err)?;
        let len = r.len() as i64;
        let (start, count) = match &nv {
            Value::Vector(v) if v.len() == 2 => {
                let x = crate::convert::vector_i64(v).ok_or(QError::Type)?;
                (x[0], x[1])
            }
            a => {
                let k = crate::convert::atom_i64(a).ok_or(QError::Type)?;
                if k >= 0 {
                    (0, k)
                } else {
                    ((len + k).max(0), -k)
                }
            }
        };
        let s = start.clamp(0, len) as usize;
        let e = (start.saturating_add(count)).clamp(0, len) as usize;
        r = r[s..e.max(s)].to_vec();
    }
    Ok(Some(longs(r)))
}

/// The columns `cols` at the rows `rows` (each `cols[k] rows`), with the last column of
/// plain 8-byte items (long, float, timestamp, timespan, datetime; no attribute) computed
/// in the memory of `rows` itself: the list of rows becomes a column of the result
/// instead of being held beside it, so a selection's peak memory is its result. Used for
/// `select … where …` and `aj`'s new columns.
pub(crate) fn take_rows(cols: &[Value], rows: Value) -> QResult<Vec<Value>> {
    let eligible = |c: &Value| {
        matches!(c, Value::Vector(v) if matches!(v.ty().code(), 7 | 9 | 12 | 15 | 16)
            && v.attr() == fq_value::Attr::None)
    };
    let last = cols.iter().rposition(eligible);
    let mut rv = match (last, rows) {
        (Some(_), Value::Vector(rv)) if rv.ty() == QType::LONG => rv,
        (_, rows) => return cols.iter().map(|c| index1(c, &rows)).collect(),
    };
    let j = last.unwrap_or_default();
    // Own the rows' memory now (a copy only when they are shared or foreign), before the
    // other columns are gathered, so no copy is held beside the result.
    rv.make_mut::<i64>();
    let rows = Value::Vector(rv);
    let mut out = Vec::with_capacity(cols.len());
    for (k, c) in cols.iter().enumerate() {
        out.push(if k == j { GENERIC_NULL } else { index1(c, &rows)? });
    }
    let (Value::Vector(mut rv), Value::Vector(c)) = (rows, &cols[j]) else {
        return Err(QError::Type);
    };
    let src = c.as_slice::<i64>();
    let null = match c.ty().code() {
        9 | 15 => fq_value::null::NULL_F64.to_bits() as i64,
        _ => fq_value::null::NULL_I64,
    };
    for x in rv.make_mut::<i64>() {
        *x = usize::try_from(*x).ok().and_then(|r| src.get(r)).copied().unwrap_or(null);
    }
    let buf = rv.buffer().clone();
    drop(rv);
    out[j] = Value::Vector(Vector::from_buffer(c.ty(), buf)?);
    Ok(out)
}

fn ctrl_err(c: Ctrl) -> QError {
    match c {
        Ctrl::Err(e) => e,
        Ctrl::Ret(_) => QError::Type,
    }
}

fn select(i: &mut Interp, q: &QueryNode, src: &Source, rows: Option<Value>, fr: &mut [Value]) -> R {
    let rows = limit_rows(i, q, src, rows, fr)?;
    if let Some(by) = &q.by {
        return Ok(select_by(i, q, by, src, rows, fr)?);
    }
    if q.cols.is_empty() {
        let all = rows.is_none();
        let cols: QResult<Vec<Value>> = match rows {
            None => Ok(src.cols.clone()),
            Some(r) => take_rows(&src.cols, r),
        };
        let t = make_keyed(src.names.clone(), cols?, src.nkeys)?;
        return Ok(match t {
            Value::Table(t) if src.attr != fq_value::Attr::None && all => {
                Value::Table(Arc::new(t.as_ref().clone().with_attr(src.attr)))
            }
            t => t,
        });
    }
    let vals = eval_cols(i, &q.cols, src, rows, fr)?;
    let vals = conform(vals, None)?;
    Ok(make_table(q.cols.iter().map(|(n, _)| *n).collect(), vals)?)
}

/// Group the rows in view by the by phrase's values (sorted by key when asked).
fn group_rows(
    i: &mut Interp,
    by: &[(Sym, Node)],
    src: &Source,
    rows: &Option<Value>,
    fr: &mut [Value],
    sort: bool,
) -> QResult<Grouping> {
    let keys = eval_cols(i, by, src, rows.clone(), fr)?;
    let n = rows.as_ref().map_or(src.rows, Value::count);
    let keys: Vec<Value> = keys
        .into_iter()
        .map(|k| if k.is_atom() { crate::prims::list::take_n(&k, n as i64) } else { Ok(k) })
        .collect::<QResult<_>>()?;
    if keys.iter().any(|k| k.count() != n) {
        return Err(QError::Length);
    }
    let view = rows.as_ref().map(|r| row_slice(r).to_vec());
    Grouping::new(keys, view, sort)
}

/// Dense group ids (first-seen order) of the rows of several equal-length key columns,
/// and how many groups.
pub(crate) fn group_ids(keys: &[Value]) -> QResult<(Vec<u32>, usize)> {
    crate::grouping::group_ids(keys)
}

/// Each group's value of each column expression.
fn per_group(
    i: &mut Interp,
    cols: &[(Sym, Node)],
    src: &Source,
    groups: &[Vec<i64>],
    fr: &mut [Value],
) -> QResult<Vec<Vec<Value>>> {
    let mut out: Vec<Vec<Value>> = vec![Vec::with_capacity(groups.len()); cols.len()];
    for g in groups {
        i.tick()?;
        let vals = eval_cols(i, cols, src, Some(longs(g.clone())), fr)?;
        for (c, v) in out.iter_mut().zip(vals) {
            c.push(v);
        }
    }
    Ok(out)
}

fn select_by(
    i: &mut Interp,
    q: &QueryNode,
    by: &[(Sym, Node)],
    src: &Source,
    rows: Option<Value>,
    fr: &mut [Value],
) -> QResult<Value> {
    let knames: Vec<Sym> = by.iter().map(|(n, _)| *n).collect();
    if let Some((key, vals)) = crate::grouping::first_last_by(
        &q.cols,
        by,
        &src.names,
        &src.cols,
        rows.as_ref().map(row_slice),
    )? {
        let k = Table::new(Vector::syms(&knames), vec![key])?;
        let names: Vec<Sym> = q.cols.iter().map(|(n, _)| *n).collect();
        let v = Table::new(Vector::syms(&names), vals)?;
        return Value::keyed_table(k, v);
    }
    let g = group_rows(i, by, src, &rows, fr, true)?;
    let (vnames, vcols): (Vec<Sym>, Vec<Value>) = if q.cols.is_empty() {
        // No select phrase: the last row of each group.
        let lasts = longs(
            g.last_rows()
                .iter()
                .map(|&p| g.view.as_ref().map_or(i64::from(p), |v| v[p as usize]))
                .collect(),
        );
        let mut names = Vec::new();
        let mut cols = Vec::new();
        for (n, c) in src.names.iter().zip(&src.cols).skip(src.nkeys) {
            if !knames.contains(n) {
                names.push(*n);
                cols.push(index1(c, &lasts)?);
            }
        }
        (names, cols)
    } else if let Some(vals) = crate::grouping::fast_aggregates(&q.cols, &src.names, &src.cols, &g)?
    {
        (q.cols.iter().map(|(n, _)| *n).collect(), vals)
    } else {
        let vals = per_group(i, &q.cols, src, &g.rows(), fr)?;
        (q.cols.iter().map(|(n, _)| *n).collect(), vals.into_iter().map(collapse).collect())
    };
    let kcols = g.keys;
    if vnames.is_empty() {
        return make_table(knames, kcols);
    }
    let k = Table::new(Vector::syms(&knames), kcols)?;
    let v = Table::new(Vector::syms(&vnames), vcols)?;
    Value::keyed_table(k, v)
}

fn exec(i: &mut Interp, q: &QueryNode, src: &Source, rows: Option<Value>, fr: &mut [Value]) -> R {
    if let Some(by) = &q.by {
        if let [(_, Node::Const(Value::Bool(false)))] = by.as_slice() {
            // `by 0b`: the columns as a table.
            let vals = eval_cols(i, &q.cols, src, rows, fr)?;
            return Ok(make_table(q.cols.iter().map(|(n, _)| *n).collect(), conform(vals, None)?)?);
        }
        let g = group_rows(i, by, src, &rows, fr, true)?;
        let vals: Vec<Value> =
            match crate::grouping::fast_aggregates(&q.cols, &src.names, &src.cols, &g)? {
                Some(v) => v,
                None => {
                    per_group(i, &q.cols, src, &g.rows(), fr)?.into_iter().map(collapse).collect()
                }
            };
        let kcols = g.keys;
        let keys = if by.len() == 1 && q.by_plain {
            kcols.into_iter().next().unwrap_or(GENERIC_NULL)
        } else {
            make_table(by.iter().map(|(n, _)| *n).collect(), kcols)?
        };
        let values = if q.exec_single {
            vals.into_iter().next().unwrap_or(GENERIC_NULL)
        } else {
            make_table(q.cols.iter().map(|(n, _)| *n).collect(), vals)?
        };
        return Ok(Value::dict(keys, values)?);
    }
    if q.cols.is_empty() {
        // The last record.
        let n = rows.as_ref().map_or(src.rows, Value::count);
        let last = match &rows {
            Some(r) => row_slice(r).last().copied(),
            None => n.checked_sub(1).map(|x| x as i64),
        };
        let vals: Vec<Value> = match last {
            Some(l) => {
                src.cols.iter().map(|c| index1(c, &Value::Long(l))).collect::<QResult<_>>()?
            }
            None => Vec::new(),
        };
        return Ok(Value::dict(Value::Vector(Vector::syms(&src.names)), collapse(vals))?);
    }
    let vals = eval_cols(i, &q.cols, src, rows, fr)?;
    if q.exec_single {
        return Ok(vals.into_iter().next().unwrap_or(GENERIC_NULL));
    }
    let names: Vec<Sym> = q.cols.iter().map(|(n, _)| *n).collect();
    Ok(Value::dict(Value::Vector(Vector::syms(&names)), collapse(vals))?)
}

/// A column of nulls shaped like `like`'s items, `n` long.
fn null_column(like: &Value, n: usize) -> QResult<Value> {
    let proto = match like {
        Value::Vector(v) => Value::null_of(v.ty()).unwrap_or(GENERIC_NULL),
        a if a.is_atom() => Value::null_of(a.qtype()).unwrap_or(GENERIC_NULL),
        Value::List(l) => match l.items().first() {
            Some(Value::Vector(v)) => Value::Vector(Vector::empty(v.ty())),
            Some(a) if a.is_atom() => Value::null_of(a.qtype()).unwrap_or(GENERIC_NULL),
            _ => Value::list(vec![]),
        },
        _ => GENERIC_NULL,
    };
    if proto.is_atom() {
        return crate::prims::list::take_n(&proto, n as i64);
    }
    Ok(Value::list(vec![proto; n]))
}

fn update(i: &mut Interp, q: &QueryNode, src: &Source, rows: Option<Value>, fr: &mut [Value]) -> R {
    if rows.is_none() && q.by.is_none() {
        // Every row: the new columns replace (or join) the old ones whole.
        let vals = eval_cols(i, &q.cols, src, None, fr)?;
        let mut names = src.names.clone();
        let mut cols = src.cols.clone();
        for ((name, _), v) in q.cols.iter().zip(vals) {
            let v = stretch(v, src.rows)?;
            match names.iter().position(|n| n == name) {
                Some(p) => cols[p] = v,
                None => {
                    names.push(*name);
                    cols.push(v);
                }
            }
        }
        return Ok(make_keyed(names, cols, src.nkeys)?);
    }
    let view = all_rows(src, &rows);
    // New values for the rows in view (in view order), per column.
    let (targets, vals): (Vec<i64>, Vec<Value>) = match &q.by {
        None => {
            let vals = eval_cols(i, &q.cols, src, rows.clone(), fr)?;
            let n = view.len();
            let vals = vals.into_iter().map(|v| stretch(v, n)).collect::<QResult<Vec<_>>>()?;
            (view.clone(), vals)
        }
        Some(by) => {
            let groups = group_rows(i, by, src, &rows, fr, false)?.rows();
            let per = per_group(i, &q.cols, src, &groups, fr)?;
            let targets: Vec<i64> = groups.iter().flatten().copied().collect();
            let mut cols = Vec::with_capacity(per.len());
            for col in per {
                let mut parts = Vec::with_capacity(col.len());
                for (v, g) in col.into_iter().zip(&groups) {
                    parts.push(stretch(v, g.len())?);
                }
                cols.push(raze_parts(i, parts)?);
            }
            (targets, cols)
        }
    };
    let mut names = src.names.clone();
    let mut cols = src.cols.clone();
    let whole = rows.is_none() && targets.iter().enumerate().all(|(k, &r)| r == k as i64);
    for ((name, _), v) in q.cols.iter().zip(vals) {
        let pos = names.iter().position(|n| n == name);
        let new = if whole && targets.len() == src.rows {
            v
        } else {
            let base = match pos {
                Some(p) => cols[p].clone(),
                None => null_column(&v, src.rows)?,
            };
            let at = fq_value::prim::binary_code("@").unwrap_or(18);
            let colon = Value::Binary(0);
            crate::prims::call_variadic(i, at, vec![base, longs(targets.clone()), colon, v])?
        };
        match pos {
            Some(p) => cols[p] = new,
            None => {
                names.push(*name);
                cols.push(new);
            }
        }
    }
    Ok(make_keyed(names, cols, src.nkeys)?)
}

/// Join per-group pieces into one list.
fn raze_parts(i: &mut Interp, parts: Vec<Value>) -> QResult<Value> {
    crate::prims::list::raze(i, Value::list(parts))
}

/// `delete a,b from x` where `x` is a dictionary (not a keyed table), a name holding one,
/// or a namespace (`` `. ``, `` `.ns ``): the entries go. `None` when `x` is a table.
fn delete_entries(i: &mut Interp, names: &[Sym], from: &Value) -> QResult<Option<Value>> {
    let Value::Symbol(s) = from else {
        return match from {
            Value::Dict(d) if !d.is_keyed_table() => Ok(Some(dict_without(d, names)?)),
            _ => Ok(None),
        };
    };
    let name = s.as_bytes();
    if name == b"." || (name.first() == Some(&b'.') && !name[1..].contains(&b'.')) {
        for n in names {
            let global = if name == b"." {
                *n
            } else {
                Sym::from_bytes(&[name, b".", n.as_bytes()].concat())
            };
            i.remove_global(global);
        }
        return Ok(Some(from.clone()));
    }
    match i.get(*s) {
        Some(Value::Dict(d)) if !d.is_keyed_table() => {
            let out = dict_without(d, names)?;
            i.set_global(*s, out);
            Ok(Some(from.clone()))
        }
        _ => Ok(None),
    }
}

/// A dictionary without the entries keyed by `names`.
fn dict_without(d: &fq_value::Dict, names: &[Sym]) -> QResult<Value> {
    let Value::Vector(k) = &d.keys else { return Err(QError::Type) };
    if k.ty() != QType::SYMBOL {
        return Err(QError::Type);
    }
    let keep: Vec<i64> = k
        .as_slice::<Sym>()
        .iter()
        .enumerate()
        .filter(|(_, s)| !names.contains(s))
        .map(|(p, _)| p as i64)
        .collect();
    let keep = longs(keep);
    Value::dict(index1(&d.keys, &keep)?, index1(&d.values, &keep)?)
}

fn delete(q: &QueryNode, src: &Source, rows: Option<Value>) -> QResult<Value> {
    if !q.delete_cols.is_empty() {
        let mut names = Vec::new();
        let mut cols = Vec::new();
        for (k, (n, c)) in src.names.iter().zip(&src.cols).enumerate() {
            if !q.delete_cols.contains(n) {
                names.push(*n);
                cols.push(c.clone());
            } else if k < src.nkeys {
                return Err(QError::Type);
            }
        }
        for d in &q.delete_cols {
            if !src.names.contains(d) {
                return Err(QError::Undefined(Arc::from(d.name().as_ref())));
            }
        }
        let nkeys = src.nkeys;
        return make_keyed(names, cols, nkeys);
    }
    let keep: Vec<i64> = match &rows {
        None if q.wheres.is_empty() => Vec::new(),
        None => (0..src.rows as i64).collect(),
        Some(r) => {
            let mut drop = vec![false; src.rows];
            for &x in row_slice(r) {
                drop[x as usize] = true;
            }
            (0..src.rows as i64).filter(|&x| !drop[x as usize]).collect()
        }
    };
    let kv = longs(keep);
    let cols: Vec<Value> = src.cols.iter().map(|c| index1(c, &kv)).collect::<QResult<_>>()?;
    make_keyed(src.names.clone(), cols, src.nkeys)
}
