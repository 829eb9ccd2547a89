//! Comparison: `= <> < > <= >=`, with q's tolerant float comparison (relative 2^-43),
//! nulls below every value, symbols by name for ordering.

use crate::atomic::atomic2;
use crate::lane::{from_bool, lane_f64, lane_i64, unit_of, zip, Lane, Unit};
use fq_value::{QError, QResult, QType, Sym, Value};
use std::cmp::Ordering;

/// Which comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cmp {
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
}

const TOLERANCE: f64 = 1.0 / (1u64 << 43) as f64;

/// q's tolerant float order: nulls first, then tolerant equality.
pub fn fcmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    if a == b {
        return Ordering::Equal;
    }
    if a.is_finite() && b.is_finite() && (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()) {
        return Ordering::Equal;
    }
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

fn holds(c: Cmp, o: Ordering) -> bool {
    match c {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::Ne => o != Ordering::Equal,
        Cmp::Lt => o == Ordering::Less,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Le => o != Ordering::Greater,
        Cmp::Ge => o != Ordering::Less,
    }
}

enum Kind {
    Sym,
    Guid,
    Float,
    Int(Unit),
}

fn kind(a: QType, b: QType) -> QResult<Kind> {
    let (x, y) = (a.atom().code(), b.atom().code());
    if x == -11 || y == -11 {
        return if x == y { Ok(Kind::Sym) } else { Err(QError::Type) };
    }
    if x == -2 || y == -2 {
        return if x == y { Ok(Kind::Guid) } else { Err(QError::Type) };
    }
    let ok = |c: i16| matches!(c, -1 | -10..=-4 | -19..=-12);
    if !ok(x) || !ok(y) {
        return Err(QError::Type);
    }
    if matches!(x, -8 | -9 | -15) || matches!(y, -8 | -9 | -15) {
        return Ok(Kind::Float);
    }
    // Compare temporals of different units in the finer one.
    let (ua, ub) = (unit_of(a), unit_of(b));
    let unit = match (ua, ub) {
        (Unit::None, u) | (u, Unit::None) => u,
        (u, v) if u == v => u,
        _ => Unit::Nanos,
    };
    // Mixing a temporal with a plain number compares raw values.
    let unit = if ua == Unit::None || ub == Unit::None { Unit::None } else { unit };
    Ok(Kind::Int(unit))
}

fn sym_lane(v: &Value) -> Option<Lane<'_, Sym>> {
    match v {
        Value::Symbol(s) => Some(Lane::Atom(*s)),
        Value::Vector(x) if x.ty() == QType::SYMBOL => {
            Some(Lane::Items(std::borrow::Cow::Borrowed(x.as_slice::<Sym>())))
        }
        _ => None,
    }
}

fn guid_lane(v: &Value) -> Option<Lane<'_, [u8; 16]>> {
    match v {
        Value::Guid(g) => Some(Lane::Atom(**g)),
        Value::Vector(x) if x.ty() == QType::GUID => {
            Some(Lane::Items(std::borrow::Cow::Borrowed(x.as_slice::<[u8; 16]>())))
        }
        _ => None,
    }
}

/// Order of two symbols by name (bytes), as q's `<` does.
pub fn sym_cmp(a: Sym, b: Sym) -> Ordering {
    if a == b {
        Ordering::Equal
    } else {
        a.as_bytes().cmp(b.as_bytes())
    }
}

fn simple(c: Cmp, a: &Value, b: &Value) -> QResult<Value> {
    if let (Value::Vector(x), Value::Vector(y)) = (a, b) {
        if x.len() != y.len() {
            return Err(QError::Length);
        }
    }
    let t = QError::Type;
    Ok(from_bool(match kind(a.qtype(), b.qtype())? {
        Kind::Sym => {
            let (x, y) = (sym_lane(a).ok_or(t.clone())?, sym_lane(b).ok_or(t)?);
            if matches!(c, Cmp::Eq | Cmp::Ne) {
                zip(&x, &y, |p, q| (p == q) == (c == Cmp::Eq))
            } else {
                zip(&x, &y, |p, q| holds(c, sym_cmp(p, q)))
            }
        }
        Kind::Guid => {
            let (x, y) = (guid_lane(a).ok_or(t.clone())?, guid_lane(b).ok_or(t)?);
            zip(&x, &y, |p, q| holds(c, p.cmp(&q)))
        }
        Kind::Float => {
            let (x, y) =
                (lane_f64(a, Unit::None).ok_or(t.clone())?, lane_f64(b, Unit::None).ok_or(t)?);
            zip(&x, &y, |p, q| holds(c, fcmp(p, q)))
        }
        Kind::Int(u) => {
            let (x, y) = (lane_i64(a, u).ok_or(t.clone())?, lane_i64(b, u).ok_or(t)?);
            match c {
                Cmp::Eq => zip(&x, &y, |p, q| p == q),
                Cmp::Ne => zip(&x, &y, |p, q| p != q),
                Cmp::Lt => zip(&x, &y, |p, q| p < q),
                Cmp::Gt => zip(&x, &y, |p, q| p > q),
                Cmp::Le => zip(&x, &y, |p, q| p <= q),
                Cmp::Ge => zip(&x, &y, |p, q| p >= q),
            }
        }
    }))
}

/// The tolerant boundaries around a finite `y`: `x` compares Less than `y` exactly when
/// `x < lo`, Greater exactly when `x > hi` (for non-null `x`). Found from the exact
/// tolerance formula, then nudged one ulp at a time until [`fcmp`] agrees at the edges.
fn bounds(y: f64) -> (f64, f64) {
    let k = 1.0 - TOLERANCE;
    let (mut lo, mut hi) = if y > 0.0 {
        (y * k, y / k)
    } else if y < 0.0 {
        (y / k, y * k)
    } else {
        (0.0, 0.0)
    };
    while fcmp(lo, y) == Ordering::Less {
        lo = lo.next_up();
    }
    while fcmp(lo.next_down(), y) != Ordering::Less {
        lo = lo.next_down();
    }
    while fcmp(hi, y) == Ordering::Greater {
        hi = hi.next_down();
    }
    while fcmp(hi.next_up(), y) != Ordering::Greater {
        hi = hi.next_up();
    }
    (lo, hi)
}

/// A float vector against a finite float atom, branch-free per item.
fn float_vs_atom(c: Cmp, xs: &[f64], y: f64) -> Value {
    let (lo, hi) = bounds(y);
    let out: Vec<u8> = match c {
        Cmp::Lt => xs.iter().map(|&x| u8::from(x < lo || x.is_nan())).collect(),
        Cmp::Ge => xs.iter().map(|&x| u8::from(x >= lo)).collect(),
        Cmp::Gt => xs.iter().map(|&x| u8::from(x > hi)).collect(),
        Cmp::Le => xs.iter().map(|&x| u8::from(x <= hi || x.is_nan())).collect(),
        Cmp::Eq => xs.iter().map(|&x| u8::from(x >= lo && x <= hi)).collect(),
        Cmp::Ne => xs.iter().map(|&x| u8::from(!(x >= lo && x <= hi))).collect(),
    };
    Value::Vector(fq_value::Vector::from_vec(QType::BOOLEAN, out))
}

/// Apply a comparison with implicit iteration.
pub fn compare(c: Cmp, a: &Value, b: &Value) -> QResult<Value> {
    if let (Value::Vector(v), Value::Float(y)) = (a, b) {
        if v.ty() == QType::FLOAT && y.is_finite() {
            return Ok(float_vs_atom(c, v.as_slice::<f64>(), *y));
        }
    }
    match (a, b) {
        (Value::Long(x), Value::Long(y)) => return Ok(Value::Bool(holds(c, x.cmp(y)))),
        (Value::Float(x), Value::Float(y)) => return Ok(Value::Bool(holds(c, fcmp(*x, *y)))),
        _ => {}
    }
    atomic2(a, b, &|x, y| simple(c, x, y))
}

/// Total order of two atoms for sorting (`asc`, `iasc`, `rank`): nulls first.
pub fn atom_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Symbol(x), Value::Symbol(y)) => sym_cmp(*x, *y),
        (Value::Guid(x), Value::Guid(y)) => x.cmp(y),
        _ => match (lane_f64(a, Unit::None), lane_f64(b, Unit::None)) {
            (Some(Lane::Atom(x)), Some(Lane::Atom(y))) => {
                match (a.qtype().code(), b.qtype().code()) {
                    (-8 | -9 | -15, _) | (_, -8 | -9 | -15) => fcmp(x, y),
                    _ => match (lane_i64(a, Unit::None), lane_i64(b, Unit::None)) {
                        (Some(Lane::Atom(p)), Some(Lane::Atom(q))) => p.cmp(&q),
                        _ => fcmp(x, y),
                    },
                }
            }
            _ => a.qtype().cmp(&b.qtype()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_agree_with_fcmp() {
        for &y in &[1.0, -1.0, 0.0, 1e-300, 3.3, -7.25e12, 1e300, f64::MIN_POSITIVE] {
            let (lo, hi) = bounds(y);
            let near = [
                lo,
                lo.next_down(),
                lo.next_up(),
                hi,
                hi.next_up(),
                hi.next_down(),
                y,
                0.0,
                -y,
                2.0 * y,
            ];
            for &x in &near {
                let want = fcmp(x, y);
                let got = if x < lo {
                    Ordering::Less
                } else if x > hi {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                };
                assert_eq!(got, want, "x={x:e} y={y:e}");
            }
        }
        let xs = [0.1 + 0.2, 0.3, 0.31, f64::NAN, -1.0];
        let v = float_vs_atom(Cmp::Eq, &xs, 0.3);
        let Value::Vector(b) = v else { panic!() };
        assert_eq!(b.as_slice::<u8>(), &[1, 1, 0, 0, 0]);
        let Value::Vector(b) = float_vs_atom(Cmp::Lt, &xs, 0.3) else { panic!() };
        assert_eq!(b.as_slice::<u8>(), &[0, 0, 0, 1, 1]);
    }
}
