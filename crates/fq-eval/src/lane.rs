//! Lanes: an operand of an atomic primitive seen as an atom or a slice of one machine
//! type, converted (with q's null and infinity mapping, and temporal unit scaling) only
//! when its stored type differs from the one the operation computes in.

use fq_value::null::QNull;
use fq_value::{QType, Value, Vector};
use std::borrow::Cow;

/// An operand: one value broadcast, or one per item.
pub enum Lane<'a, T: Clone> {
    /// An atom.
    Atom(T),
    /// Items.
    Items(Cow<'a, [T]>),
}

impl<T: Copy> Lane<'_, T> {
    /// Item count, `None` for an atom.
    pub fn len(&self) -> Option<usize> {
        match self {
            Lane::Atom(_) => None,
            Lane::Items(v) => Some(v.len()),
        }
    }
}

/// Zip two lanes with `f`: an atom when both are atoms, else items (`'length` checked by
/// the caller).
/// Long operands are split over the secondary threads (see [`crate::parallel`]).
pub fn zip<T: Copy + Send + Sync, R: Send>(
    a: &Lane<'_, T>,
    b: &Lane<'_, T>,
    f: impl Fn(T, T) -> R + Sync + Send,
) -> Result<R, Vec<R>> {
    use crate::parallel::{map_pairs, map_slice};
    match (a, b) {
        (Lane::Atom(x), Lane::Atom(y)) => Ok(f(*x, *y)),
        (Lane::Items(xs), Lane::Atom(y)) => {
            Err(map_slice(xs, |&x| f(x, *y))
                .unwrap_or_else(|| xs.iter().map(|&x| f(x, *y)).collect()))
        }
        (Lane::Atom(x), Lane::Items(ys)) => {
            Err(map_slice(ys, |&y| f(*x, y))
                .unwrap_or_else(|| ys.iter().map(|&y| f(*x, y)).collect()))
        }
        (Lane::Items(xs), Lane::Items(ys)) => Err(map_pairs(xs, ys, |&x, &y| f(x, y))
            .unwrap_or_else(|| xs.iter().zip(ys.iter()).map(|(&x, &y)| f(x, y)).collect())),
    }
}

/// The time unit of a temporal type, in nanoseconds (months and dates are calendar units).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Unit {
    /// Unitless numbers.
    None,
    /// Nanoseconds (timestamp, timespan).
    Nanos,
    /// Months.
    Months,
    /// Days (date; datetime in float days).
    Days,
    /// Minutes.
    Minutes,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Millis,
}

/// The unit a type counts in.
pub fn unit_of(t: QType) -> Unit {
    match t.atom().code() {
        -12 | -16 => Unit::Nanos,
        -13 => Unit::Months,
        -14 | -15 => Unit::Days,
        -17 => Unit::Minutes,
        -18 => Unit::Seconds,
        -19 => Unit::Millis,
        _ => Unit::None,
    }
}

fn nanos_per(u: Unit) -> Option<i64> {
    Some(match u {
        Unit::Nanos => 1,
        Unit::Days => 86_400_000_000_000,
        Unit::Minutes => 60_000_000_000,
        Unit::Seconds => 1_000_000_000,
        Unit::Millis => 1_000_000,
        Unit::None | Unit::Months => return None,
    })
}

/// How to convert between two units: an integer factor (multiply or divide).
#[derive(Clone, Copy, Debug)]
pub enum Scale {
    /// Keep as is.
    Same,
    /// Multiply.
    Mul(i64),
    /// Divide (truncating toward negative infinity, as q's casts do).
    Div(i64),
    /// Months to days or finer: calendar conversion, then multiply.
    MonthsTo(i64),
}

/// The scale from `from` to `to`; unitless operands are never scaled.
pub fn scale(from: Unit, to: Unit) -> Scale {
    if from == to || from == Unit::None || to == Unit::None {
        return Scale::Same;
    }
    if from == Unit::Months {
        return Scale::MonthsTo(match to {
            Unit::Days => 1,
            other => nanos_per(other).map_or(1, |n| 86_400_000_000_000 / n),
        });
    }
    match (nanos_per(from), nanos_per(to)) {
        (Some(f), Some(t)) if f >= t => Scale::Mul(f / t),
        (Some(f), Some(t)) => Scale::Div(t / f),
        _ => Scale::Same,
    }
}

fn month_days(m: i64) -> i64 {
    let y = 2000 + m.div_euclid(12);
    let mo = m.rem_euclid(12) + 1;
    fq_value::temporal::days_from_ymd(y as i32, mo as u32, 1)
}

#[inline]
fn scale_i64(x: i64, s: Scale) -> i64 {
    if x.is_null() || x == i64::MAX || x == -i64::MAX {
        return x;
    }
    match s {
        Scale::Same => x,
        Scale::Mul(k) => x.wrapping_mul(k),
        Scale::Div(k) => x.div_euclid(k),
        Scale::MonthsTo(k) => month_days(x).wrapping_mul(k),
    }
}

#[inline]
fn widen32(x: i32) -> i64 {
    // Only the null maps; infinities widen to their (finite) value, as in kdb+.
    match x {
        i32::MIN => i64::MIN,
        x => i64::from(x),
    }
}

#[inline]
fn widen16(x: i16) -> i64 {
    match x {
        i16::MIN => i64::MIN,
        x => i64::from(x),
    }
}

#[inline]
fn narrow32(x: i64) -> i32 {
    match x {
        i64::MIN => i32::MIN,
        i64::MAX => i32::MAX,
        x if x == -i64::MAX => -i32::MAX,
        x => x as i32,
    }
}

#[inline]
fn i_to_f(x: i64) -> f64 {
    match x {
        i64::MIN => f64::NAN,
        x => x as f64,
    }
}

/// Items of a simple value as i64, or `None` when the type has no integral reading.
fn raw_i64(v: &Value) -> Option<Lane<'_, i64>> {
    Some(match v {
        Value::Bool(b) => Lane::Atom(i64::from(*b)),
        Value::Byte(x) => Lane::Atom(i64::from(*x)),
        Value::Short(x) => Lane::Atom(widen16(*x)),
        Value::Int(x)
        | Value::Month(x)
        | Value::Date(x)
        | Value::Minute(x)
        | Value::Second(x)
        | Value::Time(x) => Lane::Atom(widen32(*x)),
        Value::Long(x) | Value::Timestamp(x) | Value::Timespan(x) => Lane::Atom(*x),
        Value::Char(c) => Lane::Atom(i64::from(*c)),
        Value::Vector(vec) => Lane::Items(match vec.ty().code() {
            1 | 4 | 10 => Cow::Owned(vec.as_slice::<u8>().iter().map(|&x| i64::from(x)).collect()),
            5 => Cow::Owned(vec.as_slice::<i16>().iter().map(|&x| widen16(x)).collect()),
            6 | 13 | 14 | 17 | 18 | 19 => {
                Cow::Owned(vec.as_slice::<i32>().iter().map(|&x| widen32(x)).collect())
            }
            7 | 12 | 16 => Cow::Borrowed(vec.as_slice::<i64>()),
            _ => return None,
        }),
        _ => return None,
    })
}

/// An operand as i64 in the unit `to` (null and infinities kept).
pub fn lane_i64(v: &Value, to: Unit) -> Option<Lane<'_, i64>> {
    let s = scale(unit_of(v.qtype()), to);
    let lane = raw_i64(v)?;
    Some(match (lane, s) {
        (l, Scale::Same) => l,
        (Lane::Atom(x), s) => Lane::Atom(scale_i64(x, s)),
        (Lane::Items(xs), s) => {
            Lane::Items(Cow::Owned(xs.iter().map(|&x| scale_i64(x, s)).collect()))
        }
    })
}

/// An operand as i32 in the unit `to`.
pub fn lane_i32(v: &Value, to: Unit) -> Option<Lane<'_, i32>> {
    let s = scale(unit_of(v.qtype()), to);
    if let (Scale::Same, Value::Vector(vec)) = (s, v) {
        if matches!(vec.ty().code(), 6 | 13 | 14 | 17 | 18 | 19) {
            return Some(Lane::Items(Cow::Borrowed(vec.as_slice::<i32>())));
        }
    }
    Some(match lane_i64(v, to)? {
        Lane::Atom(x) => Lane::Atom(narrow32(x)),
        Lane::Items(xs) => Lane::Items(Cow::Owned(xs.iter().map(|&x| narrow32(x)).collect())),
    })
}

/// An operand as f64 in the unit `to` (datetime counts in days).
pub fn lane_f64(v: &Value, to: Unit) -> Option<Lane<'_, f64>> {
    let from = unit_of(v.qtype());
    let factor = match (nanos_per(from), nanos_per(to)) {
        (Some(f), Some(t)) if from != to && to != Unit::None => f as f64 / t as f64,
        _ => 1.0,
    };
    let float = match v {
        Value::Real(x) => Some(Lane::Atom(f64::from(*x))),
        Value::Float(x) | Value::Datetime(x) => Some(Lane::Atom(*x)),
        Value::Vector(vec) => match vec.ty().code() {
            8 => Some(Lane::Items(Cow::Owned(
                vec.as_slice::<f32>().iter().map(|&x| f64::from(x)).collect(),
            ))),
            9 | 15 => Some(Lane::Items(Cow::Borrowed(vec.as_slice::<f64>()))),
            _ => None,
        },
        _ => None,
    };
    let lane = match float {
        Some(l) => l,
        None => match raw_i64(v)? {
            Lane::Atom(x) => Lane::Atom(i_to_f(x)),
            Lane::Items(xs) => Lane::Items(Cow::Owned(xs.iter().map(|&x| i_to_f(x)).collect())),
        },
    };
    if factor == 1.0 {
        return Some(lane);
    }
    Some(match lane {
        Lane::Atom(x) => Lane::Atom(x * factor),
        Lane::Items(xs) => Lane::Items(Cow::Owned(xs.iter().map(|&x| x * factor).collect())),
    })
}

/// An operand as f32.
pub fn lane_f32(v: &Value) -> Option<Lane<'_, f32>> {
    if let Value::Vector(vec) = v {
        if vec.ty() == QType::REAL {
            return Some(Lane::Items(Cow::Borrowed(vec.as_slice::<f32>())));
        }
    }
    if let Value::Real(x) = v {
        return Some(Lane::Atom(*x));
    }
    Some(match lane_f64(v, Unit::None)? {
        Lane::Atom(x) => Lane::Atom(x as f32),
        Lane::Items(xs) => Lane::Items(Cow::Owned(xs.iter().map(|&x| x as f32).collect())),
    })
}

/// Build an atom or vector of type `ty` (an atom type) from an i64 result.
pub fn from_i64(ty: QType, r: Result<i64, Vec<i64>>) -> Value {
    match r {
        Ok(x) => match ty.atom().code() {
            -12 => Value::Timestamp(x),
            -16 => Value::Timespan(x),
            _ => Value::Long(x),
        },
        Err(xs) => Value::Vector(Vector::from_vec(ty.vector(), xs)),
    }
}

/// Build from an i32 result.
pub fn from_i32(ty: QType, r: Result<i32, Vec<i32>>) -> Value {
    match r {
        Ok(x) => match ty.atom().code() {
            -13 => Value::Month(x),
            -14 => Value::Date(x),
            -17 => Value::Minute(x),
            -18 => Value::Second(x),
            -19 => Value::Time(x),
            _ => Value::Int(x),
        },
        Err(xs) => Value::Vector(Vector::from_vec(ty.vector(), xs)),
    }
}

/// Build from an f64 result; a real (`e`) type narrows to f32.
pub fn from_f64(ty: QType, r: Result<f64, Vec<f64>>) -> Value {
    match (ty.atom().code(), r) {
        (-8, Ok(x)) => Value::Real(x as f32),
        (-8, Err(xs)) => {
            Value::Vector(Vector::from_vec(QType::REAL, xs.into_iter().map(|x| x as f32).collect()))
        }
        (-15, Ok(x)) => Value::Datetime(x),
        (_, Ok(x)) => Value::Float(x),
        (-15, Err(xs)) => Value::Vector(Vector::from_vec(QType::DATETIME, xs)),
        (_, Err(xs)) => Value::Vector(Vector::from_vec(QType::FLOAT, xs)),
    }
}

/// Build from an f32 result.
pub fn from_f32(r: Result<f32, Vec<f32>>) -> Value {
    match r {
        Ok(x) => Value::Real(x),
        Err(xs) => Value::Vector(Vector::from_vec(QType::REAL, xs)),
    }
}

/// Build a boolean result.
pub fn from_bool(r: Result<bool, Vec<bool>>) -> Value {
    match r {
        Ok(x) => Value::Bool(x),
        Err(xs) => {
            let bytes: Vec<u8> = xs.into_iter().map(u8::from).collect();
            Value::Vector(Vector::from_vec(QType::BOOLEAN, bytes))
        }
    }
}
