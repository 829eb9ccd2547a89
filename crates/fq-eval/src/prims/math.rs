//! Numeric primitives: aggregates (`sum max avg var`...), uniform running functions
//! (`sums deltas fills`...), moving windows, and math (`sqrt exp log floor`...).

use super::arith::{arith, divide, minmax, unary, Op};
use super::compare::fcmp;
use crate::atomic::{atomic1, atomic2, collapse, items};
use crate::interp::Interp;
use crate::lane::{from_bool, from_f64, lane_f64, lane_i64, Lane, Unit};
use fq_value::null::QNull;
use fq_value::{QError, QResult, QType, Value, Vector};

fn f64s(v: &Value) -> QResult<Vec<f64>> {
    match lane_f64(v, Unit::None) {
        Some(Lane::Items(xs)) => Ok(xs.into_owned()),
        Some(Lane::Atom(x)) => Ok(vec![x]),
        None => Err(QError::Type),
    }
}

fn is_floaty(t: QType) -> bool {
    matches!(t.atom().code(), -8 | -9 | -15)
}

/// The columns of a matrix-like general list (items all lists of one length), so an
/// aggregate can apply down each column (`var m`, `dev m`).
fn matrix_columns(x: &Value) -> Option<Vec<Value>> {
    let Value::List(l) = x else { return None };
    let first = l.items().first()?.list_len()?;
    if l.items().iter().any(|r| r.list_len() != Some(first) || matches!(r, Value::Dict(_))) {
        return None;
    }
    let cols: Option<Vec<Value>> = (0..first as i64)
        .map(|c| {
            let col: Option<Vec<Value>> =
                l.items().iter().map(|r| super::index::index1(r, &Value::Long(c)).ok()).collect();
            col.map(collapse)
        })
        .collect();
    cols
}

/// Apply an aggregate down the columns of a matrix, or to a dictionary's values.
fn by_columns(x: &Value, f: &dyn Fn(&Value) -> QResult<Value>) -> QResult<Option<Value>> {
    if let Value::Dict(d) = x {
        return f(&d.values).map(Some);
    }
    match matrix_columns(x) {
        Some(cols) => {
            let out: QResult<Vec<Value>> = cols.iter().map(f).collect();
            Ok(Some(collapse(out?)))
        }
        None => Ok(None),
    }
}

/// `null x`.
pub fn null(_: &mut Interp, x: Value) -> QResult<Value> {
    // An enumeration is never null, not even of the null symbol.
    if let Value::Enum(e) = &x {
        return Ok(if e.ty.code() < 0 {
            Value::Bool(false)
        } else {
            Value::Vector(fq_value::Vector::bools(&vec![false; e.indices.len()]))
        });
    }
    atomic1(&x, &|v| match v {
        Value::Vector(vec) => {
            let out: Vec<bool> =
                (0..vec.len()).map(|i| vec.get(i).is_some_and(|a| a.is_null())).collect();
            Ok(from_bool(Err(out)))
        }
        a => Ok(Value::Bool(a.is_null())),
    })
}

/// `not x`: zero is true.
pub fn not(_: &mut Interp, x: Value) -> QResult<Value> {
    atomic1(&x, &|v| {
        if v.qtype().atom().code() == -11 {
            return Err(QError::Type);
        }
        if is_floaty(v.qtype()) {
            let l = lane_f64(v, Unit::None).ok_or(QError::Type)?;
            return Ok(from_bool(unary(&l, |a| a == 0.0)));
        }
        let l = lane_i64(v, Unit::None).ok_or(QError::Type)?;
        Ok(from_bool(unary(&l, |a| a == 0)))
    })
}

/// Apply a float function atomically.
pub fn float_fn(x: &Value, f: fn(f64) -> f64) -> QResult<Value> {
    atomic1(x, &|v| {
        let l = lane_f64(v, Unit::None).ok_or(QError::Type)?;
        Ok(from_f64(QType::FLOAT, unary(&l, f)))
    })
}

/// `sqrt x`.
pub fn sqrt(_: &mut Interp, x: Value) -> QResult<Value> {
    float_fn(&x, f64::sqrt)
}
/// `exp x`.
pub fn exp(_: &mut Interp, x: Value) -> QResult<Value> {
    float_fn(&x, f64::exp)
}
/// `log x`.
pub fn log(_: &mut Interp, x: Value) -> QResult<Value> {
    float_fn(&x, f64::ln)
}

fn round_fn(x: &Value, f: fn(f64) -> f64) -> QResult<Value> {
    atomic1(x, &|v| {
        let t = v.qtype().atom();
        if !is_floaty(t) {
            if t.code() == -1 {
                // Booleans round to ints.
                let l = lane_i64(v, Unit::None).ok_or(QError::Type)?;
                return Ok(crate::lane::from_i32(QType::INT, unary(&l, |a| a as i32)));
            }
            if matches!(t.code(), -7..=-4) {
                return Ok(v.clone());
            }
            return Err(QError::Type);
        }
        let l = lane_f64(v, Unit::None).ok_or(QError::Type)?;
        let r = unary(&l, |a| {
            if a.is_nan() {
                i64::MIN
            } else if a == f64::INFINITY {
                i64::MAX
            } else if a == f64::NEG_INFINITY {
                -i64::MAX
            } else {
                // Within comparison tolerance of an integer, that integer.
                let r = a.round();
                if super::compare::fcmp(a, r) == std::cmp::Ordering::Equal {
                    r as i64
                } else {
                    f(a) as i64
                }
            }
        });
        Ok(crate::lane::from_i64(QType::LONG, r))
    })
}

/// `floor x`.
pub fn floor(_: &mut Interp, x: Value) -> QResult<Value> {
    round_fn(&x, f64::floor)
}
/// `%:`: `reciprocal x`, and `ltime x` when `x` is a timestamp or datetime (the same
/// primitive in kdb+): UTC to local time by the host's offset.
pub fn reciprocal(i: &mut Interp, x: Value) -> QResult<Value> {
    if is_clock(&x) {
        return shift_clock(i, x, 1);
    }
    divide(&Value::Float(1.0), &x)
}

/// `gtime x`: a local timestamp or datetime to UTC.
pub fn gtime(i: &mut Interp, x: Value) -> QResult<Value> {
    if !is_clock(&x) {
        return Err(QError::Type);
    }
    shift_clock(i, x, -1)
}

fn is_clock(x: &Value) -> bool {
    matches!(x.qtype().code().abs(), 12 | 15)
}

/// A timestamp or datetime moved by `sign` times the host's UTC offset.
fn shift_clock(i: &mut Interp, x: Value, sign: i64) -> QResult<Value> {
    let secs = sign * i.host.utc_offset_secs();
    let by = if x.qtype().code().abs() == 12 {
        Value::Timespan(secs * 1_000_000_000)
    } else {
        Value::Float(secs as f64 / 86_400.0)
    };
    arith(Op::Add, &x, &by)
}

/// `ceiling x`.
pub fn ceiling(_: &mut Interp, x: Value) -> QResult<Value> {
    round_fn(&x, f64::ceil)
}

/// `abs x`.
pub fn abs(_: &mut Interp, x: Value) -> QResult<Value> {
    let n = super::arith::neg(&x)?;
    minmax(true, &x, &n)
}

/// `signum x`: -1, 0 or 1 as ints.
pub fn signum(_: &mut Interp, x: Value) -> QResult<Value> {
    atomic1(&x, &|v| {
        let l = lane_f64(v, Unit::None).ok_or(QError::Type)?;
        let r = unary(&l, |a| if a.is_nan() || a < 0.0 { -1i32 } else { i32::from(a > 0.0) });
        Ok(crate::lane::from_i32(QType::INT, r))
    })
}

/// Fold a list with a binary primitive function, for aggregates over general lists.
fn fold_items(
    x: &Value,
    init: Value,
    f: &dyn Fn(&Value, &Value) -> QResult<Value>,
) -> QResult<Value> {
    let its = items(x).ok_or(QError::Type)?;
    let mut acc = init;
    for (k, it) in its.iter().enumerate() {
        acc = if k == 0 { it.clone() } else { f(&acc, it)? };
    }
    Ok(acc)
}

/// Sum of floats skipping nulls, with independent accumulators so the adds pipeline.
fn sum_f64(xs: &[f64]) -> f64 {
    // Over the secondary threads: one partial sum per chunk, added in chunk order (the
    // last bits may differ from one sequential pass, as in kdb+ with -s).
    if let Some(parts) = crate::parallel::split(xs.len(), |r| sum_f64_seq(&xs[r])) {
        return parts.iter().sum();
    }
    sum_f64_seq(xs)
}

fn sum_f64_seq(xs: &[f64]) -> f64 {
    fq_kernels::agg::sum_slice_f64(xs)
}

/// Sum of the non-null longs (wrapping), split over the secondary threads when long.
fn sum_i64(xs: &[i64]) -> i64 {
    let seq = |xs: &[i64]| xs.iter().filter(|a| !a.is_null()).fold(0i64, |a, &b| a.wrapping_add(b));
    match crate::parallel::split(xs.len(), |r| seq(&xs[r])) {
        Some(parts) => parts.into_iter().fold(0i64, i64::wrapping_add),
        None => seq(xs),
    }
}

/// `sum x`.
pub fn sum(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Vector(v) => Ok(match v.ty().code() {
            1 | 4 | 5 | 6 | 7 => {
                let l = lane_i64(&x, Unit::None).ok_or(QError::Type)?;
                let s = match l {
                    Lane::Items(xs) => sum_i64(&xs),
                    Lane::Atom(a) => a,
                };
                match v.ty().code() {
                    1 | 4 | 5 | 6 => Value::Int(s as i32),
                    _ => Value::Long(s),
                }
            }
            8 => Value::Real(v.as_slice::<f32>().iter().filter(|a| !a.is_nan()).sum()),
            9 => Value::Float(sum_f64(v.as_slice::<f64>())),
            12 | 16 => Value::Timespan(sum_i64(v.as_slice::<i64>())),
            13 | 14 | 17 | 18 | 19 => {
                let s = v
                    .as_slice::<i32>()
                    .iter()
                    .filter(|a| !a.is_null())
                    .fold(0i32, |a, &b| a.wrapping_add(b));
                crate::lane::from_i32(v.ty().atom(), Ok(s))
            }
            15 => Value::Datetime(v.as_slice::<f64>().iter().filter(|a| !a.is_nan()).sum()),
            _ => return Err(QError::Type),
        }),
        Value::List(l) if l.is_empty() => Ok(Value::Long(0)),
        Value::List(_) => fold_items(&x, Value::Long(0), &|a, b| arith(Op::Add, a, b)),
        Value::Dict(d) => {
            let mut i = Interp::scratch();
            sum(&mut i, d.values.clone())
        }
        a if a.is_atom() => Ok(a.clone()),
        _ => Err(QError::Type),
    }
}

/// `prd x`.
pub fn prd(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Vector(v) if !matches!(v.ty().code(), 1 | 4..=9) => Err(QError::Type),
        Value::Dict(d) => prd(&mut Interp::scratch(), d.values.clone()),
        Value::Vector(v) if is_floaty(v.ty()) => {
            let xs = f64s(&x)?;
            Ok(Value::Float(xs.iter().filter(|a| !a.is_nan()).product()))
        }
        Value::Vector(v) => {
            let l = lane_i64(&x, Unit::None).ok_or(QError::Type)?;
            let p = match l {
                Lane::Items(xs) => {
                    xs.iter().filter(|a| !a.is_null()).fold(1i64, |a, &b| a.wrapping_mul(b))
                }
                Lane::Atom(a) => a,
            };
            Ok(if v.ty().code() < 7 { Value::Int(p as i32) } else { Value::Long(p) })
        }
        Value::List(l) if l.is_empty() => Ok(Value::Long(1)),
        Value::List(_) => fold_items(&x, Value::Long(1), &|a, b| arith(Op::Mul, a, b)),
        a if a.is_atom() => Ok(a.clone()),
        _ => Err(QError::Type),
    }
}

fn extreme(x: &Value, max: bool) -> QResult<Value> {
    match x {
        Value::Vector(v) => {
            let t = v.ty();
            if t == QType::SYMBOL || t == QType::GUID {
                return Err(QError::Type);
            }
            if v.is_empty() {
                // min of an empty list is the type's positive infinity, max the negative.
                return Ok(match t.code() {
                    9 => Value::Float(if max { f64::NEG_INFINITY } else { f64::INFINITY }),
                    8 => Value::Real(if max { f32::NEG_INFINITY } else { f32::INFINITY }),
                    6 => Value::Int(if max { -i32::MAX } else { i32::MAX }),
                    _ => Value::Long(if max { -i64::MAX } else { i64::MAX }),
                });
            }
            if is_floaty(t) {
                let xs = f64s(x)?;
                let mut acc = f64::NAN;
                for a in xs {
                    if a.is_nan() {
                        continue;
                    }
                    if acc.is_nan() || (max && a > acc) || (!max && a < acc) {
                        acc = a;
                    }
                }
                return Ok(match t.code() {
                    8 => Value::Real(acc as f32),
                    15 => Value::Datetime(acc),
                    _ => Value::Float(acc),
                });
            }
            let l = lane_i64(x, Unit::None).ok_or(QError::Type)?;
            let Lane::Items(xs) = l else { return Err(QError::Type) };
            let mut acc = None::<i64>;
            for &a in xs.iter() {
                if a.is_null() && t.code() != 1 && t.code() != 4 && t.code() != 10 {
                    continue;
                }
                acc = Some(match acc {
                    None => a,
                    Some(b) => {
                        if max {
                            a.max(b)
                        } else {
                            a.min(b)
                        }
                    }
                });
            }
            // Nothing but nulls: the identity of the fold at the list's width, as q gives
            // (`min 0N 0N` is 0W, `max 0N 0Ni` is -0Wi).
            let r = acc.unwrap_or(if max { -i64::MAX } else { i64::MAX });
            let narrow = |m: i64| match acc {
                None if max => -m,
                None => m,
                Some(_) if r == i64::MIN => i64::MIN,
                Some(_) => r,
            };
            Ok(match v.get(0) {
                Some(Value::Bool(_)) => Value::Bool(r != 0),
                Some(Value::Byte(_)) => Value::Byte(r as u8),
                Some(Value::Char(_)) => Value::Char(r as u8),
                Some(Value::Short(_)) => {
                    let r = narrow(i64::from(i16::MAX));
                    Value::Short(if r == i64::MIN { i16::MIN } else { r as i16 })
                }
                Some(a) if matches!(a.qtype().code(), -6 | -13 | -14 | -17 | -18 | -19) => {
                    let r = narrow(i64::from(i32::MAX));
                    crate::lane::from_i32(
                        t.atom(),
                        Ok(if r == i64::MIN { i32::MIN } else { r as i32 }),
                    )
                }
                _ => crate::lane::from_i64(t.atom(), Ok(r)),
            })
        }
        Value::List(_) => fold_items(x, Value::Long(0), &|a, b| minmax(max, a, b)),
        Value::Dict(d) => extreme(&d.values, max),
        a if a.is_atom() => Ok(a.clone()),
        _ => Err(QError::Type),
    }
}

/// `min x`.
pub fn min(_: &mut Interp, x: Value) -> QResult<Value> {
    extreme(&x, false)
}
/// `max x`.
pub fn max(_: &mut Interp, x: Value) -> QResult<Value> {
    extreme(&x, true)
}

/// `avg x`: float mean ignoring nulls.
pub fn avg(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Vector(_) => {
            let xs = f64s(&x)?;
            let (s, n) =
                xs.iter().filter(|a| !a.is_nan()).fold((0.0, 0usize), |(s, n), &a| (s + a, n + 1));
            Ok(Value::Float(if n == 0 { f64::NAN } else { s / n as f64 }))
        }
        Value::List(l) if l.items().iter().all(Value::is_atom) => {
            let mut s = 0.0;
            let mut n = 0usize;
            for a in l.items() {
                match lane_f64(a, Unit::None) {
                    Some(Lane::Atom(v)) if !v.is_nan() => {
                        s += v;
                        n += 1;
                    }
                    Some(Lane::Atom(_)) => {}
                    _ => return Err(QError::Type),
                }
            }
            // Nulls add nothing but still count (`avg (1;0n;2;3)` is 1.5).
            let _ = n;
            Ok(Value::Float(if l.is_empty() { f64::NAN } else { s / l.len() as f64 }))
        }
        Value::List(l) => {
            let mut i = Interp::scratch();
            let s = sum(&mut i, x.clone())?;
            divide(&s, &Value::Long(l.len() as i64))
        }
        Value::Dict(d) => {
            let mut i = Interp::scratch();
            avg(&mut i, d.values.clone())
        }
        a if a.is_atom() => divide(a, &Value::Long(1)),
        _ => Err(QError::Type),
    }
}

fn moments(x: &Value) -> QResult<(f64, f64, usize)> {
    let xs: Vec<f64> = f64s(x)?.into_iter().filter(|a| !a.is_nan()).collect();
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let ss = xs.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>();
    Ok((mean, ss, n))
}

/// `var x`: population variance (down the columns of a matrix).
pub fn var(i: &mut Interp, x: Value) -> QResult<Value> {
    if let Some(r) = by_columns(&x, &|c| var(&mut Interp::scratch(), c.clone()))? {
        return Ok(r);
    }
    let _ = i;
    let (_, ss, n) = moments(&x)?;
    Ok(Value::Float(if n == 0 { f64::NAN } else { ss / n as f64 }))
}
/// `dev x`.
pub fn dev(i: &mut Interp, x: Value) -> QResult<Value> {
    let v = var(i, x)?;
    sqrt(i, v)
}
/// `svar x`: sample variance.
pub fn svar(i: &mut Interp, x: Value) -> QResult<Value> {
    if let Some(r) = by_columns(&x, &|c| svar(&mut Interp::scratch(), c.clone()))? {
        return Ok(r);
    }
    let _ = i;
    let (_, ss, n) = moments(&x)?;
    Ok(Value::Float(if n < 2 { f64::NAN } else { ss / (n - 1) as f64 }))
}
/// `sdev x`.
pub fn sdev(i: &mut Interp, x: Value) -> QResult<Value> {
    let v = svar(i, x)?;
    sqrt(i, v)
}

/// `med x`.
pub fn med(i: &mut Interp, x: Value) -> QResult<Value> {
    if !matches!(x, Value::Vector(_)) && !x.is_atom() {
        // `avg x (iasc x) floor .5*-1 0+count x`: the middle item(s) of the sorted order
        // (rows of a table, values of a dictionary, items of a list).
        let its = match &x {
            Value::Dict(d) => d.values.clone(),
            _ => x.clone(),
        };
        let n = its.count() as i64;
        if n == 0 {
            return Ok(Value::Float(f64::NAN));
        }
        let g = match &its {
            // Rows of a table order lexicographically by their fields.
            Value::Table(t) => {
                let rows: QResult<Vec<Value>> = (0..n)
                    .map(|r| {
                        let f: QResult<Vec<Value>> = t
                            .columns()
                            .iter()
                            .map(|c| super::index::index1(c, &Value::Long(r)))
                            .collect();
                        f.map(Value::list)
                    })
                    .collect();
                super::list::grade(&Value::list(rows?))?
            }
            _ => super::list::grade(&its)?,
        };
        let mid = [g[((n - 1) / 2) as usize], g[(n / 2) as usize]];
        let picked: QResult<Vec<Value>> =
            mid.iter().map(|&r| super::index::index1(&its, &Value::Long(r))).collect();
        return avg(i, Value::list(picked?));
    }
    let mut xs: Vec<f64> = f64s(&x)?.into_iter().filter(|a| !a.is_nan()).collect();
    if xs.is_empty() {
        return Ok(Value::Float(f64::NAN));
    }
    xs.sort_by(|a, b| fcmp(*a, *b));
    let n = xs.len();
    Ok(Value::Float(if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }))
}

/// `all x`.
pub fn all(i: &mut Interp, x: Value) -> QResult<Value> {
    let b = not(i, x)?;
    Ok(Value::Bool(match &b {
        Value::Vector(v) => v.as_slice::<u8>().iter().all(|&a| a == 0),
        Value::Bool(a) => !a,
        _ => return Err(QError::Type),
    }))
}
/// `any x`.
pub fn any(i: &mut Interp, x: Value) -> QResult<Value> {
    let b = not(i, x)?;
    Ok(Value::Bool(match &b {
        Value::Vector(v) => v.as_slice::<u8>().contains(&0),
        Value::Bool(a) => !a,
        _ => return Err(QError::Type),
    }))
}

/// A running (scan) version of a binary function over a list's items.
fn running(x: &Value, f: &dyn Fn(&Value, &Value) -> QResult<Value>) -> QResult<Value> {
    let its = match x {
        Value::Dict(d) => return Value::dict(d.keys.clone(), running(&d.values, f)?),
        a if a.is_atom() => return Ok(a.clone()),
        _ => items(x).ok_or(QError::Type)?,
    };
    let mut out = Vec::with_capacity(its.len());
    for (k, it) in its.into_iter().enumerate() {
        let v = if k == 0 { it } else { f(&out[k - 1], &it)? };
        out.push(v);
    }
    Ok(collapse(out))
}

/// `sums x`.
pub fn sums(_: &mut Interp, x: Value) -> QResult<Value> {
    if let Value::Vector(v) = &x {
        match v.ty().code() {
            7 => {
                let mut acc = 0i64;
                let out: Vec<i64> = v
                    .as_slice::<i64>()
                    .iter()
                    .map(|&a| {
                        if !a.is_null() {
                            acc = acc.wrapping_add(a);
                        }
                        acc
                    })
                    .collect();
                return Ok(Value::Vector(Vector::longs(&out)));
            }
            9 => {
                let mut acc = 0.0;
                let out: Vec<f64> = v
                    .as_slice::<f64>()
                    .iter()
                    .map(|&a| {
                        if !a.is_nan() {
                            acc += a;
                        }
                        acc
                    })
                    .collect();
                return Ok(Value::Vector(Vector::floats(&out)));
            }
            _ => {}
        }
    }
    running(&x, &|a, b| arith(Op::Add, a, b))
}
/// A running fold over a typed vector, nulls skipped (the accumulator carries over them).
fn scan_vec<T: fq_value::Elem + QNull + Copy>(v: &Vector, init: T, f: impl Fn(T, T) -> T) -> Value {
    let mut acc = init;
    let out: Vec<T> = v
        .as_slice::<T>()
        .iter()
        .map(|&a| {
            if !a.is_null() {
                acc = f(acc, a);
            }
            acc
        })
        .collect();
    Value::Vector(Vector::from_vec(v.ty(), out))
}

/// `prds x`: nulls count as 1.
pub fn prds(_: &mut Interp, x: Value) -> QResult<Value> {
    if let Value::Vector(v) = &x {
        match v.ty().code() {
            5 => return Ok(scan_vec::<i16>(v, 1, i16::wrapping_mul)),
            6 => return Ok(scan_vec::<i32>(v, 1, i32::wrapping_mul)),
            7 => return Ok(scan_vec::<i64>(v, 1, i64::wrapping_mul)),
            8 => return Ok(scan_vec::<f32>(v, 1.0, |a, b| a * b)),
            9 => return Ok(scan_vec::<f64>(v, 1.0, |a, b| a * b)),
            2 | 10 | 11 | 12..=19 => return Err(QError::Type),
            _ => {}
        }
    }
    running(&x, &|a, b| arith(Op::Mul, a, b))
}

/// Running minimum or maximum of a vector: nulls are skipped, and leading nulls give the
/// infinity of the type (`mins 0N 5` is `0W 5`).
fn running_extreme(v: &Vector, max: bool) -> Option<Value> {
    fn go<T: fq_value::Elem + QNull + Copy + PartialOrd>(v: &Vector, max: bool) -> Value {
        let init = if max { T::NEG_INF } else { T::INF };
        scan_vec::<T>(v, init, |a, b| if (max && b > a) || (!max && b < a) { b } else { a })
    }
    Some(match v.ty().code() {
        5 => go::<i16>(v, max),
        6 | 13 | 14 | 17 | 18 | 19 => go::<i32>(v, max),
        7 | 12 | 16 => go::<i64>(v, max),
        8 => go::<f32>(v, max),
        9 | 15 => go::<f64>(v, max),
        _ => return None,
    })
}

/// `mins x`.
pub fn mins(_: &mut Interp, x: Value) -> QResult<Value> {
    if let Some(r) = match &x {
        Value::Vector(v) => running_extreme(v, false),
        _ => None,
    } {
        return Ok(r);
    }
    running(&x, &|a, b| minmax(false, a, b))
}
/// `maxs x`.
pub fn maxs(_: &mut Interp, x: Value) -> QResult<Value> {
    if let Some(r) = match &x {
        Value::Vector(v) => running_extreme(v, true),
        _ => None,
    } {
        return Ok(r);
    }
    running(&x, &|a, b| minmax(true, a, b))
}

/// `avgs x`: running mean, nulls skipped.
pub fn avgs(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Dict(d) => {
            let mut i = Interp::scratch();
            Value::dict(d.keys.clone(), avgs(&mut i, d.values.clone())?)
        }
        Value::Vector(_) => {
            let xs = f64s(&x)?;
            let (mut s, mut n) = (0.0, 0usize);
            let out: Vec<f64> = xs
                .iter()
                .map(|&a| {
                    if !a.is_nan() {
                        s += a;
                        n += 1;
                    }
                    s / n as f64
                })
                .collect();
            Ok(Value::Vector(Vector::floats(&out)))
        }
        a if a.is_atom() => divide(a, &Value::Long(1)),
        _ => {
            let its = items(&x).ok_or(QError::Type)?;
            let mut i = Interp::scratch();
            let mut out = Vec::with_capacity(its.len());
            for k in 1..=its.len() {
                out.push(avg(&mut i, Value::list(its[..k].to_vec()))?);
            }
            Ok(collapse(out))
        }
    }
}

/// `deltas x`: differences from the previous item (the first item kept).
pub fn deltas(_: &mut Interp, x: Value) -> QResult<Value> {
    if let Value::Vector(v) = &x {
        if v.ty() == QType::LONG {
            let s = v.as_slice::<i64>();
            let mut out = Vector::zeroed(QType::LONG, s.len());
            for (i, o) in out.make_mut::<i64>().iter_mut().enumerate() {
                *o = if i == 0 { s[0] } else { s[i].wrapping_sub(s[i - 1]) };
            }
            return Ok(Value::Vector(out));
        }
        if v.ty() == QType::FLOAT {
            let s = v.as_slice::<f64>();
            let mut out = Vector::zeroed(QType::FLOAT, s.len());
            for (i, o) in out.make_mut::<f64>().iter_mut().enumerate() {
                *o = if i == 0 { s[0] } else { s[i] - s[i - 1] };
            }
            return Ok(Value::Vector(out));
        }
    }
    let its = items(&x).ok_or(QError::Type)?;
    let mut out = Vec::with_capacity(its.len());
    for k in 0..its.len() {
        out.push(if k == 0 { its[0].clone() } else { arith(Op::Sub, &its[k], &its[k - 1])? });
    }
    Ok(collapse(out))
}

/// `ratios x`.
pub fn ratios(_: &mut Interp, x: Value) -> QResult<Value> {
    if let Value::Dict(d) = &x {
        return Value::dict(d.keys.clone(), ratios(&mut Interp::scratch(), d.values.clone())?);
    }
    let its = items(&x).ok_or(QError::Type)?;
    let mut out = Vec::with_capacity(its.len());
    for k in 0..its.len() {
        out.push(if k == 0 {
            divide(&its[0], &Value::Long(1))?
        } else {
            divide(&its[k], &its[k - 1])?
        });
    }
    Ok(collapse(out))
}

/// `fills x`: nulls replaced by the previous non-null.
pub fn fills(_: &mut Interp, x: Value) -> QResult<Value> {
    let its = match &x {
        Value::Vector(_) => items(&x).ok_or(QError::Type)?,
        Value::List(_) => items(&x).ok_or(QError::Type)?,
        a => return Ok(a.clone()),
    };
    let mut out: Vec<Value> = Vec::with_capacity(its.len());
    for it in its {
        if it.is_null() {
            if let Some(p) = out.last() {
                let p = p.clone();
                out.push(p);
                continue;
            }
        }
        out.push(it);
    }
    Ok(match &x {
        Value::Vector(v) => {
            crate::convert::atoms_to_vector(v.ty(), &out).unwrap_or_else(|| collapse(out))
        }
        _ => collapse(out),
    })
}

/// `x^y`: fill nulls in `y` with `x`.
pub fn fill(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    atomic2(&x, &y, &|a, b| {
        // The result takes the wider of two numeric types (`5^0n 2 3i` is long).
        const ORDER: [i16; 8] = [-1, -4, -5, -6, -7, -8, -9, -10];
        let rank = |t: QType| ORDER.iter().position(|&c| c == t.atom().code());
        let (ta, tb) = (a.qtype(), b.qtype());
        if let (Some(ra), Some(rb)) = (rank(ta), rank(tb)) {
            if ra > rb {
                let to = ta.atom();
                let wide = match b {
                    Value::Vector(v) => {
                        let its: Vec<Value> = (0..v.len()).filter_map(|k| v.get(k)).collect();
                        let conv: QResult<Vec<Value>> = its
                            .iter()
                            .map(|it| {
                                if it.is_null() {
                                    Value::null_of(to).ok_or(QError::Type)
                                } else {
                                    super::list::cast_atom(to, it)
                                }
                            })
                            .collect();
                        crate::convert::atoms_to_vector(to.vector(), &conv?).ok_or(QError::Type)?
                    }
                    it if it.is_null() => Value::null_of(to).ok_or(QError::Type)?,
                    it => super::list::cast_atom(to, it)?,
                };
                return fill_same(a, &wide);
            }
        }
        fill_same(a, b)
    })
}

fn fill_same(a: &Value, b: &Value) -> QResult<Value> {
    match (a, b) {
        (_, Value::Vector(v)) => {
            let its: Vec<Value> = (0..v.len()).filter_map(|i| v.get(i)).collect();
            let fillers = items(a);
            if let Some(f) = &fillers {
                if f.len() != its.len() {
                    return Err(QError::Length);
                }
            }
            let mut out = Vec::with_capacity(its.len());
            for (k, it) in its.into_iter().enumerate() {
                let fv = match &fillers {
                    Some(f) => f[k].clone(),
                    None => a.clone(),
                };
                out.push(if it.is_null() { coerce_like(&fv, &it)? } else { it });
            }
            Ok(crate::convert::atoms_to_vector(v.ty(), &out).unwrap_or_else(|| collapse(out)))
        }
        (Value::Vector(_), _) => {
            let f = items(a).ok_or(QError::Type)?;
            let out: QResult<Vec<Value>> = f
                .iter()
                .map(|fv| if b.is_null() { coerce_like(fv, b) } else { Ok(b.clone()) })
                .collect();
            Ok(collapse(out?))
        }
        _ => Ok(if b.is_null() { coerce_like(a, b)? } else { b.clone() }),
    }
}

/// Convert atom `v` to the type of atom `like` (numeric widening only).
fn coerce_like(v: &Value, like: &Value) -> QResult<Value> {
    if v.qtype() == like.qtype() {
        return Ok(v.clone());
    }
    super::list::cast_atom(like.qtype().atom(), v)
}

/// `x xexp y`.
pub fn xexp(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    atomic2(&x, &y, &|a, b| {
        let (p, q) = (
            lane_f64(a, Unit::None).ok_or(QError::Type)?,
            lane_f64(b, Unit::None).ok_or(QError::Type)?,
        );
        Ok(from_f64(QType::FLOAT, crate::lane::zip(&p, &q, f64::powf)))
    })
}

/// `x xlog y`.
pub fn xlog(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    atomic2(&x, &y, &|a, b| {
        let (p, q) = (
            lane_f64(a, Unit::None).ok_or(QError::Type)?,
            lane_f64(b, Unit::None).ok_or(QError::Type)?,
        );
        Ok(from_f64(QType::FLOAT, crate::lane::zip(&p, &q, |m, n| n.ln() / m.ln())))
    })
}

/// `x xbar y`: round `y` down to a multiple of `x`.
pub fn xbar(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    atomic2(&x, &y, &|a, b| {
        let tb = b.qtype().atom();
        if is_floaty(a.qtype()) || is_floaty(tb) {
            let (p, q) = (
                lane_f64(a, Unit::None).ok_or(QError::Type)?,
                lane_f64(b, Unit::None).ok_or(QError::Type)?,
            );
            let r = crate::lane::zip(&p, &q, |m, n| m * (n / m).floor());
            return Ok(if is_floaty(tb) { from_f64(tb, r) } else { from_f64(QType::FLOAT, r) });
        }
        let (p, q) = (
            lane_i64(a, Unit::None).ok_or(QError::Type)?,
            lane_i64(b, Unit::None).ok_or(QError::Type)?,
        );
        let r = crate::lane::zip(&p, &q, |m, n| {
            if n.is_null() || m == 0 {
                i64::MIN
            } else {
                m * n.div_euclid(m)
            }
        });
        Ok(match tb.code() {
            -7 | -12 | -16 => crate::lane::from_i64(tb, r),
            -6 | -13 | -14 | -17 | -18 | -19 | -5 => {
                let narrow = |v: i64| if v == i64::MIN { i32::MIN } else { v as i32 };
                let rt = if tb.code() == -5 { QType::INT.atom() } else { tb };
                crate::lane::from_i32(
                    rt,
                    match r {
                        Ok(v) => Ok(narrow(v)),
                        Err(vs) => Err(vs.into_iter().map(narrow).collect()),
                    },
                )
            }
            _ => crate::lane::from_i64(QType::LONG, r),
        })
    })
}

fn pair_f64(x: &Value, y: &Value) -> QResult<(Vec<f64>, Vec<f64>)> {
    let (a, b) = (f64s(x)?, f64s(y)?);
    if a.len() != b.len() {
        return Err(QError::Length);
    }
    Ok((a, b))
}

/// Both arguments float vectors of one length: the kernels' case for `wsum`/`wavg`.
fn float_pair(x: &Value, y: &Value) -> bool {
    matches!((x, y), (Value::Vector(a), Value::Vector(b))
        if a.len() == b.len() && matches!(a.ty().code(), 1 | 4..=9) && matches!(b.ty().code(), 1 | 4..=9))
}

/// `x wsum y`: `sum x*y`.
pub fn wsum(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    if !float_pair(&x, &y) {
        let p = arith(Op::Mul, &x, &y)?;
        return sum(i, p);
    }
    let (w, v) = pair_f64(&x, &y)?;
    Ok(Value::Float(
        w.iter().zip(&v).filter(|(a, b)| !a.is_nan() && !b.is_nan()).map(|(a, b)| a * b).sum(),
    ))
}

/// `x wavg y`: `(sum x*y)%sum x`, an atom weight repeating.
pub fn wavg(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    if !float_pair(&x, &y) {
        let w = if x.is_atom() { super::list::take_n(&x, y.count() as i64)? } else { x };
        let p = arith(Op::Mul, &w, &y)?;
        let (num, den) = (sum(i, p)?, sum(i, w)?);
        return divide(&num, &den);
    }
    let (w, v) = pair_f64(&x, &y)?;
    let (s, ws) = w
        .iter()
        .zip(&v)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .fold((0.0, 0.0), |(s, ws), (a, b)| (s + a * b, ws + a));
    Ok(Value::Float(s / ws))
}

fn covariance(x: &Value, y: &Value, sample: bool) -> QResult<f64> {
    let (a, b) = pair_f64(x, y)?;
    // Pairs with a null on either side are ignored.
    let (a, b): (Vec<f64>, Vec<f64>) =
        a.iter().zip(&b).filter(|(p, q)| !p.is_nan() && !q.is_nan()).map(|(p, q)| (*p, *q)).unzip();
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let s: f64 = a.iter().zip(&b).map(|(p, q)| (p - ma) * (q - mb)).sum();
    Ok(s / if sample { n - 1.0 } else { n })
}

/// `x cov y`.
pub fn cov(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    Ok(Value::Float(covariance(&x, &y, false)?))
}
/// `x scov y`.
pub fn scov(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    Ok(Value::Float(covariance(&x, &y, true)?))
}
/// `x cor y`.
pub fn cor(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let (a, b) = pair_f64(&x, &y)?;
    let (a, b): (Vec<f64>, Vec<f64>) =
        a.iter().zip(&b).filter(|(p, q)| !p.is_nan() && !q.is_nan()).map(|(p, q)| (*p, *q)).unzip();
    let (x, y) = (Value::Vector(Vector::floats(&a)), Value::Vector(Vector::floats(&b)));
    let c = covariance(&x, &y, false)?;
    let (sx, sy) = (covariance(&x, &x, false)?.sqrt(), covariance(&y, &y, false)?.sqrt());
    Ok(Value::Float(c / (sx * sy)))
}

/// A uniform binary function of a window size over a dictionary (its values), a table
/// (each column) or a keyed table (the value columns).
fn uniform_window(
    i: &mut Interp,
    n: Value,
    x: Value,
    f: fn(&mut Interp, Value, Value) -> QResult<Value>,
) -> QResult<Value> {
    match &x {
        Value::Dict(d) => {
            let v = uniform_window(i, n, d.values.clone(), f)?;
            Value::dict(d.keys.clone(), v)
        }
        Value::Table(t) => {
            let cols: QResult<Vec<Value>> =
                t.columns().iter().map(|c| uniform_window(i, n.clone(), c.clone(), f)).collect();
            Ok(Value::Table(std::sync::Arc::new(fq_value::Table::new(t.names().clone(), cols?)?)))
        }
        _ => f(i, n, x),
    }
}

/// Sliding-window minimum or maximum with a monotonic deque; `before(a, b)` is the strict
/// order that decides which item wins.
fn sliding<T: Copy + fq_value::Elem>(v: &Vector, k: usize, wins: impl Fn(T, T) -> bool) -> Value {
    let xs = v.as_slice::<T>();
    let mut dq: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut out = Vec::with_capacity(xs.len());
    for (j, &a) in xs.iter().enumerate() {
        while dq.back().is_some_and(|&b| !wins(xs[b], a)) {
            dq.pop_back();
        }
        dq.push_back(j);
        while dq.front().is_some_and(|&f| f + k <= j) {
            dq.pop_front();
        }
        out.push(dq.front().map_or(a, |&f| xs[f]));
    }
    Value::Vector(Vector::from_vec(v.ty(), out))
}

/// `n mmin x` / `n mmax x` on a vector: nulls order below every value (so a null in the
/// window is the minimum).
fn moving_extreme(k: usize, v: &Vector, max: bool) -> Option<Value> {
    let k = k.max(1);
    fn ord<T: PartialOrd + QNull + Copy>(a: T, b: T, max: bool) -> bool {
        // true when a beats b strictly
        // Nulls order below everything: they win a minimum and lose a maximum.
        let (an, bn) = (a.is_null(), b.is_null());
        let lt = match (an, bn) {
            (true, true) => false,
            (true, false) => true,
            (false, true) => false,
            (false, false) => a < b,
        };
        let gt = match (an, bn) {
            (true, _) => false,
            (false, true) => true,
            (false, false) => a > b,
        };
        if max {
            gt
        } else {
            lt
        }
    }
    // A maximum over nothing but nulls is the type's negative infinity.
    fn floor_nulls<T: QNull + Copy + fq_value::Elem>(r: Value, max: bool) -> Value {
        match r {
            Value::Vector(mut v) if max => {
                for a in v.make_mut::<T>() {
                    if a.is_null() {
                        *a = T::NEG_INF;
                    }
                }
                Value::Vector(v)
            }
            r => r,
        }
    }
    Some(match v.ty().code() {
        5 => floor_nulls::<i16>(sliding::<i16>(v, k, |a, b| ord(a, b, max)), max),
        6 | 13 | 14 | 17 | 18 | 19 => {
            floor_nulls::<i32>(sliding::<i32>(v, k, |a, b| ord(a, b, max)), max)
        }
        7 | 12 | 16 => floor_nulls::<i64>(sliding::<i64>(v, k, |a, b| ord(a, b, max)), max),
        8 => floor_nulls::<f32>(sliding::<f32>(v, k, |a, b| ord(a, b, max)), max),
        9 | 15 => floor_nulls::<f64>(sliding::<f64>(v, k, |a, b| ord(a, b, max)), max),
        _ => return None,
    })
}

fn window(x: &Value) -> QResult<usize> {
    crate::convert::atom_i64(x).filter(|&n| n >= 0).map(|n| n as usize).ok_or(QError::Type)
}

/// `n mavg x`.
pub fn mavg(_: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    let (n, xs) = (window(&n)?, f64s(&x)?);
    let out: Vec<f64> = (0..xs.len())
        .map(|i| {
            let lo = (i + 1).saturating_sub(n);
            let w: Vec<f64> = xs[lo..=i].iter().copied().filter(|a| !a.is_nan()).collect();
            if w.is_empty() {
                f64::NAN
            } else {
                w.iter().sum::<f64>() / w.len() as f64
            }
        })
        .collect();
    Ok(Value::Vector(Vector::floats(&out)))
}

/// `n msum x`.
pub fn msum(i: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    uniform_window(i, n, x, msum1)
}

fn msum1(i: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    let k = window(&n)?;
    let its = items(&x).ok_or(QError::Type)?;
    let mut out = Vec::with_capacity(its.len());
    for j in 0..its.len() {
        let lo = (j + 1).saturating_sub(k);
        let w = collapse(its[lo..=j].to_vec());
        out.push(sum(i, w)?);
    }
    Ok(collapse(out))
}

fn moving(x: &Value, n: &Value, f: &dyn Fn(&Value) -> QResult<Value>) -> QResult<Value> {
    let k = window(n)?;
    let its = items(x).ok_or(QError::Type)?;
    let mut out = Vec::with_capacity(its.len());
    for j in 0..its.len() {
        let lo = (j + 1).saturating_sub(k);
        out.push(f(&collapse(its[lo..=j].to_vec()))?);
    }
    Ok(collapse(out))
}

/// `n mmin x`.
pub fn mmin(i: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    uniform_window(i, n, x, |_, n, x| {
        let k = window(&n)?;
        if let Some(r) = match &x {
            Value::Vector(v) => moving_extreme(k, v, false),
            _ => None,
        } {
            return Ok(r);
        }
        moving(&x, &n, &|w| fold_items(w, Value::Long(0), &|a, b| minmax(false, a, b)))
    })
}
/// `n mmax x`.
pub fn mmax(i: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    uniform_window(i, n, x, |_, n, x| {
        let k = window(&n)?;
        if let Some(r) = match &x {
            Value::Vector(v) => moving_extreme(k, v, true),
            _ => None,
        } {
            return Ok(r);
        }
        moving(&x, &n, &|w| fold_items(w, Value::Long(0), &|a, b| minmax(true, a, b)))
    })
}
/// `n mdev x`.
pub fn mdev(i: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    uniform_window(i, n, x, |_, n, x| {
        moving(&x, &n, &|w| {
            let mut i = Interp::scratch();
            dev(&mut i, w.clone())
        })
    })
}
/// `n mcount x`: non-null items in each window.
pub fn mcount(i: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    uniform_window(i, n, x, |_, n, x| {
        moving(&x, &n, &|w| {
            if let Some(cols) = matrix_columns(w) {
                let c: Vec<i64> = cols
                    .iter()
                    .map(|c| {
                        items(c).map_or(0, |v| v.iter().filter(|a| !a.is_null()).count()) as i64
                    })
                    .collect();
                return Ok(Value::Vector(Vector::longs(&c)));
            }
            let c = items(w).map_or(0, |v| v.iter().filter(|a| !a.is_null()).count());
            Ok(Value::Long(c as i64))
        })
    })
}

/// `a ema x`: exponential moving average with smoothing `a`.
pub fn ema(_: &mut Interp, a: Value, x: Value) -> QResult<Value> {
    let xs = f64s(&x)?;
    let alpha = f64s(&a)?;
    let mut out = Vec::with_capacity(xs.len());
    for (i, &v) in xs.iter().enumerate() {
        let al = if alpha.len() == 1 { alpha[0] } else { *alpha.get(i).ok_or(QError::Length)? };
        out.push(if i == 0 { v } else { al * v + (1.0 - al) * out[i - 1] });
    }
    Ok(Value::Vector(Vector::floats(&out)))
}

/// A float vector's items, or the rows of a float matrix.
enum Mat<'a> {
    Vec(&'a [f64]),
    Rows(Vec<&'a [f64]>),
}

fn as_mat(v: &Value) -> QResult<Mat<'_>> {
    match v {
        Value::Vector(x) if x.ty() == QType::FLOAT => Ok(Mat::Vec(x.as_slice::<f64>())),
        Value::List(l) => {
            let rows: QResult<Vec<&[f64]>> = l
                .items()
                .iter()
                .map(|r| match r {
                    Value::Vector(x) if x.ty() == QType::FLOAT => Ok(x.as_slice::<f64>()),
                    _ => Err(QError::Type),
                })
                .collect();
            let rows = rows?;
            if rows.windows(2).any(|w| w[0].len() != w[1].len()) {
                return Err(QError::Length);
            }
            Ok(Mat::Rows(rows))
        }
        _ => Err(QError::Type),
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// `x mmu y`: matrix product (dot product of two vectors).
pub fn mmu(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let (a, b) = (as_mat(&x)?, as_mat(&y)?);
    let floats = |v: Vec<f64>| Value::Vector(Vector::floats(&v));
    // `y` as columns: item j of row k.
    let col = |rows: &[&[f64]], j: usize| -> Vec<f64> { rows.iter().map(|r| r[j]).collect() };
    match (a, b) {
        (Mat::Vec(p), Mat::Vec(q)) => {
            if p.len() != q.len() {
                return Err(QError::Length);
            }
            Ok(Value::Float(dot(p, q)))
        }
        (Mat::Rows(rs), Mat::Vec(q)) => {
            if rs.first().is_some_and(|r| r.len() != q.len()) {
                return Err(QError::Length);
            }
            Ok(floats(rs.iter().map(|r| dot(r, q)).collect()))
        }
        (Mat::Vec(p), Mat::Rows(rs)) => {
            if rs.len() != p.len() {
                return Err(QError::Length);
            }
            let w = rs.first().map_or(0, |r| r.len());
            Ok(floats((0..w).map(|j| dot(p, &col(&rs, j))).collect()))
        }
        (Mat::Rows(ra), Mat::Rows(rb)) => {
            if ra.first().is_some_and(|r| r.len() != rb.len()) {
                return Err(QError::Length);
            }
            let w = rb.first().map_or(0, |r| r.len());
            let cols: Vec<Vec<f64>> = (0..w).map(|j| col(&rb, j)).collect();
            Ok(Value::list(
                ra.iter().map(|r| floats(cols.iter().map(|c| dot(r, c)).collect())).collect(),
            ))
        }
    }
}
