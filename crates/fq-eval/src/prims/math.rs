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

/// `null x`.
pub fn null(_: &mut Interp, x: Value) -> QResult<Value> {
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
            if matches!(t.code(), -1 | -7..=-4) {
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
                f(a) as i64
            }
        });
        Ok(crate::lane::from_i64(QType::LONG, r))
    })
}

/// `floor x`.
pub fn floor(_: &mut Interp, x: Value) -> QResult<Value> {
    round_fn(&x, f64::floor)
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
    let mut acc = [0.0f64; 8];
    let mut chunks = xs.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] += if c[k].is_nan() { 0.0 } else { c[k] };
        }
    }
    let tail: f64 = chunks.remainder().iter().filter(|a| !a.is_nan()).sum();
    acc.iter().sum::<f64>() + tail
}

/// `sum x`.
pub fn sum(_: &mut Interp, x: Value) -> QResult<Value> {
    match &x {
        Value::Vector(v) => Ok(match v.ty().code() {
            1 | 4 | 5 | 6 | 7 => {
                let l = lane_i64(&x, Unit::None).ok_or(QError::Type)?;
                let s = match l {
                    Lane::Items(xs) => {
                        xs.iter().filter(|a| !a.is_null()).fold(0i64, |a, &b| a.wrapping_add(b))
                    }
                    Lane::Atom(a) => a,
                };
                match v.ty().code() {
                    1 | 4 | 5 | 6 => Value::Int(s as i32),
                    _ => Value::Long(s),
                }
            }
            8 => Value::Real(v.as_slice::<f32>().iter().filter(|a| !a.is_nan()).sum()),
            9 => Value::Float(sum_f64(v.as_slice::<f64>())),
            12 | 16 => {
                let s = v
                    .as_slice::<i64>()
                    .iter()
                    .filter(|a| !a.is_null())
                    .fold(0i64, |a, &b| a.wrapping_add(b));
                Value::Timespan(s)
            }
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
            // Nothing but nulls: the identity of the fold, as q gives (`min 0N 0N` is 0W).
            let r = acc.unwrap_or(if max { -i64::MAX } else { i64::MAX });
            Ok(match v.get(0) {
                Some(Value::Bool(_)) => Value::Bool(r != 0),
                Some(Value::Byte(_)) => Value::Byte(r as u8),
                Some(Value::Char(_)) => Value::Char(r as u8),
                Some(Value::Short(_)) => {
                    Value::Short(if r == i64::MIN { i16::MIN } else { r as i16 })
                }
                Some(a) if matches!(a.qtype().code(), -6 | -13 | -14 | -17 | -18 | -19) => {
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

/// `var x`: population variance.
pub fn var(_: &mut Interp, x: Value) -> QResult<Value> {
    let (_, ss, n) = moments(&x)?;
    Ok(Value::Float(if n == 0 { f64::NAN } else { ss / n as f64 }))
}
/// `dev x`.
pub fn dev(i: &mut Interp, x: Value) -> QResult<Value> {
    let v = var(i, x)?;
    sqrt(i, v)
}
/// `svar x`: sample variance.
pub fn svar(_: &mut Interp, x: Value) -> QResult<Value> {
    let (_, ss, n) = moments(&x)?;
    Ok(Value::Float(if n < 2 { f64::NAN } else { ss / (n - 1) as f64 }))
}
/// `sdev x`.
pub fn sdev(i: &mut Interp, x: Value) -> QResult<Value> {
    let v = svar(i, x)?;
    sqrt(i, v)
}

/// `med x`.
pub fn med(_: &mut Interp, x: Value) -> QResult<Value> {
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
/// `prds x`.
pub fn prds(_: &mut Interp, x: Value) -> QResult<Value> {
    running(&x, &|a, b| arith(Op::Mul, a, b))
}
/// `mins x`.
pub fn mins(_: &mut Interp, x: Value) -> QResult<Value> {
    running(&x, &|a, b| minmax(false, a, b))
}
/// `maxs x`.
pub fn maxs(_: &mut Interp, x: Value) -> QResult<Value> {
    running(&x, &|a, b| minmax(true, a, b))
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
    atomic2(&x, &y, &|a, b| match (a, b) {
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
    })
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

/// `x wsum y`.
pub fn wsum(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    let (w, v) = pair_f64(&x, &y)?;
    Ok(Value::Float(
        w.iter().zip(&v).filter(|(a, b)| !a.is_nan() && !b.is_nan()).map(|(a, b)| a * b).sum(),
    ))
}

/// `x wavg y`.
pub fn wavg(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
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
    let c = covariance(&x, &y, false)?;
    let (sx, sy) = (covariance(&x, &x, false)?.sqrt(), covariance(&y, &y, false)?.sqrt());
    Ok(Value::Float(c / (sx * sy)))
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
pub fn mmin(_: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    moving(&x, &n, &|w| extreme(w, false))
}
/// `n mmax x`.
pub fn mmax(_: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    moving(&x, &n, &|w| extreme(w, true))
}
/// `n mdev x`.
pub fn mdev(_: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    moving(&x, &n, &|w| {
        let (_, ss, c) = moments(w)?;
        Ok(Value::Float((ss / c as f64).sqrt()))
    })
}
/// `n mcount x`.
pub fn mcount(_: &mut Interp, n: Value, x: Value) -> QResult<Value> {
    moving(&x, &n, &|w| {
        let c = items(w).map_or(0, |v| v.iter().filter(|a| !a.is_null()).count());
        Ok(Value::Long(c as i64))
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
