//! `select distinct … by …`: the distinct rows of each group.
//!
//! A grouped select keeps, in each group, only the first of the rows whose selected values
//! (the columns that are lists) agree, so the result is the grouping of the selection's
//! distinct rows (`select distinct s by c from t` lists each `s` once per `c`).

use crate::interp::Interp;
use crate::prims::index::index1;
use fq_value::{QError, QResult, Table, Value, Vector};

/// The distinct rows of `t`, a select's result: a table's distinct rows; in the keyed table
/// of a grouped select (`grouped`), each group's distinct rows of its list-valued columns.
pub(crate) fn distinct_result(i: &mut Interp, t: Value, grouped: bool) -> QResult<Value> {
    let (true, Value::Dict(d)) = (grouped, &t) else {
        return crate::prims::list::distinct(i, t);
    };
    let (Value::Table(keys), Value::Table(vals)) = (&d.keys, &d.values) else {
        return crate::prims::list::distinct(i, t);
    };
    let cols = vals.columns();
    let groups = vals.rows();
    let mut out: Vec<Vec<Value>> = vec![Vec::with_capacity(groups); cols.len()];
    for g in 0..groups {
        let cells: Vec<Value> =
            cols.iter().map(|c| index1(c, &Value::Long(g as i64))).collect::<QResult<_>>()?;
        let n = cells.first().map(Value::count);
        let lists = !cells.is_empty()
            && cells.iter().all(|c| !c.is_atom() && !matches!(c, Value::Dict(_) | Value::Table(_)))
            && cells.iter().all(|c| Some(c.count()) == n);
        let cells = if lists {
            let rows =
                Value::Table(std::sync::Arc::new(Table::new(vals.names().clone(), cells.clone())?));
            let firsts = first_positions(i, rows)?;
            cells.iter().map(|c| index1(c, &firsts)).collect::<QResult<Vec<_>>>()?
        } else {
            cells
        };
        for (col, cell) in out.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let columns: Vec<Value> = out.into_iter().map(crate::atomic::collapse).collect();
    Value::keyed_table((**keys).clone(), Table::new(vals.names().clone(), columns)?)
}

/// The positions of the first occurrence of each distinct row of table `rows`, in order.
fn first_positions(i: &mut Interp, rows: Value) -> QResult<Value> {
    let Value::Dict(g) = crate::prims::list::group(i, rows)? else {
        return Err(QError::Internal("group: not a dictionary".into()));
    };
    let positions = crate::atomic::items(&g.values).ok_or(QError::Type)?;
    let firsts: Vec<i64> = positions
        .iter()
        .map(|p| match index1(p, &Value::Long(0))? {
            Value::Long(x) => Ok(x),
            _ => Err(QError::Type),
        })
        .collect::<QResult<_>>()?;
    Ok(Value::Vector(Vector::longs(&firsts)))
}
