//! `$` with a type on the left (KX ref: cast, tok, pad): cast between types (`"j"$`,
//! `` `long$ ``, `7h$`), interpret strings (`"J"$"42"`, `-7h$"42"`), extract temporal
//! fields (`` `hh`uu`ss$ ``), and pad strings (`9$"foo"`).
//!
//! A list on the left applies each of its items to the matching item of the right (or to
//! the whole right when that is an atom): `12 13h$42`, `"BXH"$("42";"42";"42")`.

use crate::atomic::collapse;
use crate::convert::atoms_to_vector;
use crate::interp::Interp;
use fq_value::temporal::{days_from_ymd, is_valid_ymd, ymd_from_days, NANOS_PER_DAY};
use fq_value::{QError, QResult, QType, Sym, Table, Value, Vector, GENERIC_NULL};
use std::sync::Arc;

/// A temporal field named by a symbol: `` `year`mm`dd`week`hh`uu`ss ``.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    Year,
    Mm,
    Dd,
    Week,
    Hh,
    Uu,
    Ss,
}

/// What the left argument of `$` asks for.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// `0h`, `"*"`: the right argument unchanged.
    Identity,
    /// Cast to an atom type.
    Cast(QType),
    /// Interpret strings as an atom type.
    Tok(QType),
    /// A temporal field.
    Part(Part),
    /// Pad strings to a length (a long on the left).
    Pad(i64),
}

fn valid_type(code: i16) -> QResult<QType> {
    match code.abs() {
        1 | 2 | 4..=19 => Ok(QType(-code.abs())),
        _ => Err(QError::Type),
    }
}

/// The target named by an atom left argument of `$`; `None` for a symbol that names no
/// type or field (an enumeration domain).
fn target(x: &Value) -> QResult<Option<Target>> {
    Ok(Some(match x {
        Value::Char(b'*') => Target::Identity,
        Value::Char(c) => {
            let t = QType::from_letter(c.to_ascii_lowercase() as char).ok_or(QError::Type)?;
            let t = valid_type(t.code())?;
            if c.is_ascii_uppercase() {
                Target::Tok(t)
            } else {
                Target::Cast(t)
            }
        }
        Value::Symbol(s) if s.is_null() => Target::Tok(QType(-11)),
        Value::Symbol(s) => {
            let n = s.name();
            match n.as_ref() {
                "year" => Target::Part(Part::Year),
                "mm" => Target::Part(Part::Mm),
                "dd" => Target::Part(Part::Dd),
                "week" => Target::Part(Part::Week),
                "hh" => Target::Part(Part::Hh),
                "uu" => Target::Part(Part::Uu),
                "ss" => Target::Part(Part::Ss),
                name => match fq_value::BASE_TYPES.iter().find(|t| t.name() == name) {
                    Some(t) => Target::Cast(t.atom()),
                    None => return Ok(None),
                },
            }
        }
        Value::Short(0) | Value::Int(0) => Target::Identity,
        Value::Short(n) if *n < 0 => Target::Tok(valid_type(*n)?),
        Value::Short(n) => Target::Cast(valid_type(*n)?),
        Value::Int(n) => {
            let n = i16::try_from(*n).map_err(|_| QError::Type)?;
            if n < 0 {
                Target::Tok(valid_type(n)?)
            } else {
                Target::Cast(valid_type(n)?)
            }
        }
        Value::Long(n) => Target::Pad(*n),
        _ => return Err(QError::Type),
    }))
}

/// Items of a list left argument.
fn left_items(x: &Value) -> Option<Vec<Value>> {
    match x {
        Value::Vector(v) => Some((0..v.len()).filter_map(|k| v.get(k)).collect()),
        Value::List(l) => Some(l.items().to_vec()),
        _ => None,
    }
}

/// `x$y`.
pub fn cast(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    dollar(x, y)
}

fn dollar(x: Value, y: Value) -> QResult<Value> {
    if let Some(xs) = left_items(&x) {
        // A list of targets: each applies to the matching item of y (or to an atom y).
        let out: QResult<Vec<Value>> = if y.is_atom() {
            xs.into_iter().map(|t| dollar(t, y.clone())).collect()
        } else {
            let ys = crate::atomic::items(&y).ok_or(QError::Type)?;
            if ys.len() != xs.len() {
                return Err(QError::Length);
            }
            xs.into_iter().zip(ys).map(|(t, a)| dollar(t, a)).collect()
        };
        return Ok(collapse(out?));
    }
    let Some(t) = target(&x)? else {
        // Enumeration against a domain is not a cast.
        return Err(QError::Nyi);
    };
    match t {
        Target::Identity => Ok(y),
        Target::Cast(t) => cast_value(t, &y),
        Target::Tok(t) => tok(t, &y),
        Target::Part(p) => part_value(p, &y),
        Target::Pad(n) => pad(n, &y),
    }
}

/// Cast every item of `y` to atom type `t`.
fn cast_value(t: QType, y: &Value) -> QResult<Value> {
    match y {
        // An enumeration casts to a number as its indices (`"i"$e`).
        Value::Enum(e) if matches!(t.code(), -9..=-5) => {
            let idx = Value::Vector(e.indices.clone());
            let idx = if e.ty.code() < 0 {
                crate::prims::index::index1(&idx, &Value::Long(0))?
            } else {
                idx
            };
            cast_value(t, &idx)
        }
        Value::Vector(v) => {
            if v.ty() == t.vector() {
                return Ok(y.clone());
            }
            if t.code() == -11 && v.ty() == QType::CHAR {
                return Ok(Value::Symbol(Sym::from_bytes(v.as_bytes())));
            }
            if let Some(out) = timestamps_to(t, v)? {
                return Ok(out);
            }
            let its: QResult<Vec<Value>> =
                (0..v.len()).filter_map(|k| v.get(k)).map(|a| cast_atom(t, &a)).collect();
            let its = its?;
            Ok(atoms_to_vector(t.vector(), &its).unwrap_or_else(|| collapse(its)))
        }
        Value::List(l) => {
            let out: QResult<Vec<Value>> = l.items().iter().map(|a| cast_value(t, a)).collect();
            let out = out?;
            Ok(atoms_to_vector(t.vector(), &out).unwrap_or_else(|| collapse(out)))
        }
        Value::Dict(d) => Value::dict(d.keys.clone(), cast_value(t, &d.values)?),
        Value::Table(tb) => map_columns(tb, |c| cast_value(t, c)),
        a if a.is_atom() => cast_atom(t, a),
        _ => Err(QError::Type),
    }
}

/// Timestamps to a date or a time of day, a vector at a time (`time.minute` in queries).
fn timestamps_to(t: QType, v: &fq_value::Vector) -> QResult<Option<Value>> {
    if v.ty().code() != 12 {
        return Ok(None);
    }
    let per = match t.code() {
        -14 => NANOS_PER_DAY,
        -17 => 60_000_000_000,
        -18 => 1_000_000_000,
        -19 => 1_000_000,
        _ => return Ok(None),
    };
    let day = NANOS_PER_DAY / per;
    let xs = v.as_slice::<i64>();
    let mut out: Vec<i32> = Vec::with_capacity(xs.len());
    for &x in xs {
        out.push(if x == i64::MIN {
            i32::MIN
        } else if x == i64::MAX || x == -i64::MAX {
            // Infinities take the atom path's rules.
            match cast_atom(t, &Value::Timestamp(x))? {
                Value::Date(d) | Value::Minute(d) | Value::Second(d) | Value::Time(d) => d,
                _ => return Err(QError::Type),
            }
        } else if t.code() == -14 {
            x.div_euclid(per) as i32
        } else {
            x.div_euclid(per).rem_euclid(day) as i32
        });
    }
    Ok(Some(Value::Vector(fq_value::Vector::from_vec(t.vector(), out))))
}

fn map_columns(t: &Table, f: impl Fn(&Value) -> QResult<Value>) -> QResult<Value> {
    let cols: QResult<Vec<Value>> = t.columns().iter().map(f).collect();
    Ok(Value::Table(Arc::new(Table::new(t.names().clone(), cols?)?)))
}

/// An integral reading of an atom: its value and whether it is null. Temporal types
/// stored as integers read as their count; infinities are just their bit pattern.
fn integral(a: &Value) -> Option<(i64, bool)> {
    Some(match a {
        Value::Bool(b) => (i64::from(*b), false),
        Value::Byte(x) => (i64::from(*x), false),
        Value::Char(x) => (i64::from(*x), false),
        Value::Short(x) => (i64::from(*x), *x == i16::MIN),
        Value::Int(x)
        | Value::Month(x)
        | Value::Date(x)
        | Value::Minute(x)
        | Value::Second(x)
        | Value::Time(x) => (i64::from(*x), *x == i32::MIN),
        Value::Long(x) | Value::Timestamp(x) | Value::Timespan(x) => (*x, *x == i64::MIN),
        _ => return None,
    })
}

/// Width in bytes of an integral atom's storage.
fn width(a: &Value) -> u32 {
    match a {
        Value::Bool(_) | Value::Byte(_) | Value::Char(_) => 1,
        Value::Short(_) => 2,
        Value::Long(_) | Value::Timestamp(_) | Value::Timespan(_) => 8,
        _ => 4,
    }
}

/// The largest value (the infinity) of the signed integer type of `w` bytes.
fn max(w: u32) -> i64 {
    if w >= 8 {
        i64::MAX
    } else {
        (1i64 << (8 * w - 1)) - 1
    }
}

/// Narrow an integral value of `from` bytes to `to` bytes: nulls stay null, infinities of
/// the wider type become infinities of the narrower, anything else keeps its low bits.
fn narrow(x: i64, null: bool, from: u32, to: u32) -> i64 {
    if null {
        return -max(to) - 1;
    }
    if from > to && to < 8 {
        if x == max(from) {
            return max(to);
        }
        if x == -max(from) {
            return -max(to);
        }
    }
    x
}

/// A float rounded to the integer type of `to` bytes: NaN is null, infinities are
/// infinities.
fn float_to_int(f: f64, to: u32) -> i64 {
    let max = max(to);
    if f.is_nan() {
        -max - 1
    } else if f.is_infinite() {
        if f > 0.0 {
            max
        } else {
            -max
        }
    } else {
        f.round() as i64
    }
}

fn float_of(a: &Value) -> Option<f64> {
    match a {
        Value::Real(x) => Some(f64::from(*x)),
        Value::Float(x) | Value::Datetime(x) => Some(*x),
        _ => None,
    }
}

/// Cast one atom to atom type `t`.
pub fn cast_atom(t: QType, a: &Value) -> QResult<Value> {
    if a.qtype() == t {
        return Ok(a.clone());
    }
    let code = t.code();
    if matches!(code, -1 | -10..=-4) {
        return cast_number(code, a);
    }
    match code {
        -2 => Err(QError::Type),
        -11 => match a {
            Value::Char(c) => Ok(Value::Symbol(Sym::from_bytes(&[*c]))),
            _ => Err(QError::Type),
        },
        _ => cast_temporal(t, a),
    }
}

/// Casts to boolean, byte, short, int, long, real, float and char.
fn cast_number(code: i16, a: &Value) -> QResult<Value> {
    if let Some(f) = float_of(a) {
        let i = |w| float_to_int(f, w);
        return Ok(match code {
            -1 => Value::Bool(f != 0.0),
            -4 => Value::Byte(i(8).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as u8),
            -5 => Value::Short(i(2) as i16),
            -6 => Value::Int(i(4) as i32),
            -7 => Value::Long(i(8)),
            -8 => Value::Real(f as f32),
            -9 => Value::Float(f),
            _ => Value::Char(i(8) as u8),
        });
    }
    let (x, null) = integral(a).ok_or(QError::Type)?;
    let w = width(a);
    let as_float = || if null { f64::NAN } else { x as f64 };
    Ok(match code {
        -1 => Value::Bool(x != 0),
        // Longs beyond the int range saturate there first (kdb+: above 0Wi gives 0xff).
        -4 => Value::Byte(x.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as u8),
        -5 => Value::Short(narrow(x, null, w, 2) as i16),
        -6 => Value::Int(narrow(x, null, w, 4) as i32),
        -7 => Value::Long(narrow(x, null, w, 8)),
        -8 => Value::Real(as_float() as f32),
        -9 => Value::Float(as_float()),
        _ => Value::Char(x as u8),
    })
}

/// Casts to the temporal types: instants keep their meaning, scaled between units.
fn cast_temporal(t: QType, a: &Value) -> QResult<Value> {
    use crate::lane::{lane_f64, lane_i64, unit_of, Lane, Unit};
    let src = a.qtype().atom();
    if !src.is_temporal() && integral(a).is_none() && float_of(a).is_none() {
        return Err(QError::Type);
    }
    // Temporal conversions keep the instant: scale by units.
    let unit = if src.is_temporal() && t.is_temporal() { unit_of(t) } else { Unit::None };
    let floaty = matches!(src.code(), -8 | -9 | -15);
    let as_i = || -> QResult<i64> {
        if floaty {
            let Some(Lane::Atom(f)) = lane_f64(a, Unit::None) else { return Err(QError::Type) };
            if f.is_nan() {
                return Ok(i64::MIN);
            }
            if f.is_infinite() {
                return Ok(if f > 0.0 { i64::MAX } else { -i64::MAX });
            }
            // q rounds to nearest when casting floats to integers.
            let scaled = if src.code() == -15 && unit != Unit::None {
                let per_day = match unit {
                    Unit::Nanos => 86_400e9,
                    Unit::Millis => 86_400e3,
                    Unit::Seconds => 86_400.0,
                    Unit::Minutes => 1440.0,
                    _ => 1.0,
                };
                f * per_day
            } else {
                f
            };
            return Ok(scaled.round() as i64);
        }
        match lane_i64(a, unit) {
            Some(Lane::Atom(x)) => Ok(x),
            _ => Err(QError::Type),
        }
    };
    let n32 = |x: i64| narrow(x, x == i64::MIN, 8, 4) as i32;
    Ok(match t.code() {
        -12 => Value::Timestamp(as_i()?),
        -13 => {
            if src.code() == -14 || src.code() == -12 || src.code() == -15 {
                // Date/timestamp to month: calendar month of the day.
                let days = match a {
                    Value::Timestamp(_) => as_i_days(a)?,
                    Value::Datetime(f) => {
                        if f.is_nan() {
                            i64::MIN
                        } else {
                            f.floor() as i64
                        }
                    }
                    _ => lane_i64(a, Unit::None)
                        .and_then(|l| if let Lane::Atom(x) = l { Some(x) } else { None })
                        .ok_or(QError::Type)?,
                };
                if days == i64::MIN {
                    Value::Month(i32::MIN)
                } else {
                    let (y, m, _) = ymd_from_days(days as i32);
                    Value::Month((y - 2000) * 12 + m as i32 - 1)
                }
            } else {
                Value::Month(n32(as_i()?))
            }
        }
        -14 => {
            if src.code() == -12 {
                Value::Date(n32(as_i_days(a)?))
            } else if src.code() == -15 {
                let Some(Lane::Atom(f)) = lane_f64(a, Unit::None) else { return Err(QError::Type) };
                Value::Date(if f.is_nan() { i32::MIN } else { f.floor() as i32 })
            } else {
                Value::Date(n32(as_i()?))
            }
        }
        -15 => match lane_f64(a, Unit::Days) {
            Some(Lane::Atom(f)) => Value::Datetime(f),
            _ => return Err(QError::Type),
        },
        -16 => Value::Timespan(as_i()?),
        -17 => Value::Minute(n32(time_of_day(src, as_i()?, 60_000_000_000)?)),
        -18 => Value::Second(n32(time_of_day(src, as_i()?, 1_000_000_000)?)),
        -19 => Value::Time(n32(time_of_day(src, as_i()?, 1_000_000)?)),
        _ => return Err(QError::Type),
    })
}

fn as_i_days(a: &Value) -> QResult<i64> {
    match a {
        Value::Timestamp(ns) => {
            Ok(if *ns == i64::MIN { i64::MIN } else { ns.div_euclid(NANOS_PER_DAY) })
        }
        _ => Err(QError::Type),
    }
}

/// Timestamps and datetimes cast to a time of day keep only the time within the day.
fn time_of_day(src: QType, scaled: i64, per: i64) -> QResult<i64> {
    if matches!(src.code(), -12 | -15) && scaled != i64::MIN && scaled.abs() != i64::MAX {
        // `scaled` is already in the target unit; wrap at a day.
        let day = NANOS_PER_DAY / per;
        return Ok(scaled.rem_euclid(day));
    }
    Ok(scaled)
}

// ---------------------------------------------------------------------------------------
// Temporal fields: `year`mm`dd`week`hh`uu`ss

fn part_value(p: Part, y: &Value) -> QResult<Value> {
    match y {
        Value::Vector(v) => {
            let its: QResult<Vec<Value>> =
                (0..v.len()).filter_map(|k| v.get(k)).map(|a| part_atom(p, &a)).collect();
            let its = its?;
            let ty = if p == Part::Week { QType::DATE } else { QType::INT };
            Ok(atoms_to_vector(ty, &its).unwrap_or_else(|| collapse(its)))
        }
        Value::List(l) => {
            let out: QResult<Vec<Value>> = l.items().iter().map(|a| part_value(p, a)).collect();
            Ok(collapse(out?))
        }
        Value::Dict(d) => Value::dict(d.keys.clone(), part_value(p, &d.values)?),
        Value::Table(tb) => map_columns(tb, |c| part_value(p, c)),
        a if a.is_atom() => part_atom(p, a),
        _ => Err(QError::Type),
    }
}

fn part_atom(p: Part, a: &Value) -> QResult<Value> {
    const NS_H: i64 = 3_600_000_000_000;
    // Days since 2000.01.01 for the date-bearing types (None for null).
    let day = || -> QResult<Option<i64>> {
        Ok(match a {
            Value::Timestamp(x) => (*x != i64::MIN).then(|| x.div_euclid(NANOS_PER_DAY)),
            Value::Date(x) => (*x != i32::MIN).then_some(i64::from(*x)),
            Value::Datetime(f) => (!f.is_nan()).then(|| f.floor() as i64),
            _ => return Err(QError::Type),
        })
    };
    // Nanoseconds into the day (timestamps, datetimes) or in all (times, spans).
    let nanos = || -> QResult<Option<i64>> {
        Ok(match a {
            Value::Timestamp(x) => (*x != i64::MIN).then(|| x.rem_euclid(NANOS_PER_DAY)),
            Value::Datetime(f) => {
                (!f.is_nan()).then(|| ((f - f.floor()) * 86_400_000.0).round() as i64 * 1_000_000)
            }
            Value::Timespan(x) => (*x != i64::MIN).then_some(*x),
            Value::Minute(x) => (*x != i32::MIN).then(|| i64::from(*x) * 60_000_000_000),
            Value::Second(x) => (*x != i32::MIN).then(|| i64::from(*x) * 1_000_000_000),
            Value::Time(x) => (*x != i32::MIN).then(|| i64::from(*x) * 1_000_000),
            _ => return Err(QError::Type),
        })
    };
    let int = |v: Option<i64>| Value::Int(v.map_or(i32::MIN, |x| x as i32));
    Ok(match p {
        Part::Year | Part::Mm => {
            let month = match a {
                Value::Month(m) => (*m != i32::MIN).then_some(i64::from(*m)),
                _ => day()?.map(|d| {
                    let (y, m, _) = ymd_from_days(d as i32);
                    i64::from(y - 2000) * 12 + i64::from(m) - 1
                }),
            };
            int(month.map(|m| {
                if p == Part::Year {
                    2000 + m.div_euclid(12)
                } else {
                    m.rem_euclid(12) + 1
                }
            }))
        }
        Part::Dd => int(day()?.map(|d| i64::from(ymd_from_days(d as i32).2))),
        Part::Week => Value::Date(day()?.map_or(i32::MIN, |d| (d - (d + 5).rem_euclid(7)) as i32)),
        Part::Hh => int(nanos()?.map(|n| n.div_euclid(NS_H))),
        Part::Uu => int(nanos()?.map(|n| n.div_euclid(60_000_000_000).rem_euclid(60))),
        Part::Ss => int(nanos()?.map(|n| n.div_euclid(1_000_000_000).rem_euclid(60))),
    })
}

// ---------------------------------------------------------------------------------------
// Pad: `n$"abc"`

fn pad(n: i64, y: &Value) -> QResult<Value> {
    crate::limits::check(n.unsigned_abs(), 1)?;
    let fit = |b: &[u8]| -> Value {
        let len = n.unsigned_abs() as usize;
        let mut out = vec![b' '; len];
        if n >= 0 {
            let k = b.len().min(len);
            out[..k].copy_from_slice(&b[..k]);
        } else {
            // Right-aligned: keep the last `len` characters.
            let k = b.len().min(len);
            out[len - k..].copy_from_slice(&b[b.len() - k..]);
        }
        Value::Vector(Vector::chars(&out))
    };
    match y {
        Value::Vector(v) if v.ty() == QType::CHAR => Ok(fit(v.as_bytes())),
        Value::Char(c) => Ok(fit(&[*c])),
        Value::List(l) => {
            let out: QResult<Vec<Value>> = l.items().iter().map(|a| pad(n, a)).collect();
            Ok(Value::list(out?))
        }
        Value::Dict(d) => Value::dict(d.keys.clone(), pad(n, &d.values)?),
        Value::Table(tb) => map_columns(tb, |c| pad(n, c)),
        _ => Err(QError::Type),
    }
}

// ---------------------------------------------------------------------------------------
// Tok: interpreting strings

/// Interpret `y` as atom type `t`; recursion stops at strings.
fn tok(t: QType, y: &Value) -> QResult<Value> {
    match y {
        Value::Vector(v) if v.ty() == QType::CHAR => Ok(tok_str(t, v.as_bytes())),
        Value::Char(c) => Ok(tok_str(t, &[*c])),
        Value::List(l) => {
            let out: QResult<Vec<Value>> = l.items().iter().map(|a| tok(t, a)).collect();
            let out = out?;
            if t.code() == -10 && !out.is_empty() {
                return Ok(Value::list(out));
            }
            Ok(atoms_to_vector(t.vector(), &out).unwrap_or_else(|| collapse(out)))
        }
        Value::Dict(d) => Value::dict(d.keys.clone(), tok(t, &d.values)?),
        Value::Table(tb) => map_columns(tb, |c| tok(t, c)),
        _ => Err(QError::Type),
    }
}

fn null_of(t: QType) -> Value {
    Value::null_of(t).unwrap_or(GENERIC_NULL)
}

/// Interpret one string as atom type `t` (null when it does not read as one).
pub fn tok_str(t: QType, b: &[u8]) -> Value {
    let t = t.atom();
    if t.code() == -10 {
        return Value::Vector(Vector::chars(b));
    }
    let s = trim(b);
    if t.code() == -11 {
        return Value::Symbol(Sym::from_bytes(s));
    }
    let s = std::str::from_utf8(s).unwrap_or("");
    tok_atom(t, s).unwrap_or_else(|| null_of(t))
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| *c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|c| *c != b' ').map_or(start, |e| e + 1);
    &b[start..end]
}

fn tok_atom(t: QType, s: &str) -> Option<Value> {
    Some(match t.code() {
        -1 => Value::Bool(s.bytes().next().is_some_and(|c| b"1tTxXyY".contains(&c))),
        -2 => Value::Guid(Box::new(parse_guid(s)?)),
        -4 => {
            if s.is_empty() || s.len() > 2 {
                return None;
            }
            Value::Byte(u8::from_str_radix(s, 16).ok()?)
        }
        -5 => Value::Short(parse_int(s, 2)? as i16),
        -6 => match parse_ipv4(s) {
            Some(ip) => Value::Int(ip as i32),
            None => Value::Int(parse_int(s, 4)? as i32),
        },
        -7 => Value::Long(parse_int(s, 8)?),
        -8 => Value::Real(parse_float(s)? as f32),
        -9 => Value::Float(parse_float(s)?),
        -12 => Value::Timestamp(parse_timestamp(s)?),
        -13 => Value::Month(parse_month(s)?),
        -14 => Value::Date(i32::try_from(parse_date(s)?).ok()?),
        -15 => Value::Datetime(parse_datetime(s)?),
        -16 => Value::Timespan(parse_timespan(s)?),
        -17 => Value::Minute(i32::try_from(parse_time(s)? / 60_000_000_000).ok()?),
        -18 => Value::Second(i32::try_from(parse_time(s)? / 1_000_000_000).ok()?),
        -19 => Value::Time(i32::try_from(parse_time(s)? / 1_000_000).ok()?),
        _ => return None,
    })
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// A decimal integer for a type of `w` bytes; out of range is null (`None`).
fn parse_int(s: &str, w: u32) -> Option<i64> {
    let max = max(w);
    match s {
        "0N" => return Some(-max - 1),
        "0W" => return Some(max),
        "-0W" => return Some(-max),
        _ => {}
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if !all_digits(digits) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    if v > max {
        return None;
    }
    Some(if neg { -v } else { v })
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "0n" | "0N" => return Some(f64::NAN),
        "0w" | "0W" => return Some(f64::INFINITY),
        "-0w" | "-0W" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    if !s.bytes().any(|c| c.is_ascii_digit())
        || !s.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        return None;
    }
    s.parse().ok()
}

/// `a.b.c.d` as a big-endian u32.
fn parse_ipv4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = 0u32;
    for p in parts {
        if !all_digits(p) || p.len() > 3 {
            return None;
        }
        out = (out << 8) | u32::from(p.parse::<u8>().ok()?);
    }
    Some(out)
}

/// A guid: 32 hex digits (dashes allowed), an IPv4 address (as `::ffff:a.b.c.d`), or an
/// IPv6 address.
fn parse_guid(s: &str) -> Option<[u8; 16]> {
    let mut g = [0u8; 16];
    if let Some(ip) = parse_ipv4(s) {
        g[10] = 0xff;
        g[11] = 0xff;
        g[12..].copy_from_slice(&ip.to_be_bytes());
        return Some(g);
    }
    if s.contains(':') {
        return parse_ipv6(s);
    }
    let hex: Vec<u8> = s.bytes().filter(|c| *c != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    for (k, slot) in g.iter_mut().enumerate() {
        let pair = std::str::from_utf8(&hex[2 * k..2 * k + 2]).ok()?;
        *slot = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(g)
}

fn parse_ipv6(s: &str) -> Option<[u8; 16]> {
    // Groups of 16 bits; an embedded IPv4 address counts as two.
    fn groups(part: &str) -> Option<Vec<u16>> {
        if part.is_empty() {
            return Some(vec![]);
        }
        let mut out = vec![];
        let fields: Vec<&str> = part.split(':').collect();
        for (k, f) in fields.iter().enumerate() {
            if k + 1 == fields.len() && f.contains('.') {
                let ip = parse_ipv4(f)?;
                out.push((ip >> 16) as u16);
                out.push(ip as u16);
            } else {
                if f.is_empty() || f.len() > 4 {
                    return None;
                }
                out.push(u16::from_str_radix(f, 16).ok()?);
            }
        }
        Some(out)
    }
    let words = match s.split_once("::") {
        Some((head, tail)) => {
            let (h, t) = (groups(head)?, groups(tail)?);
            if h.len() + t.len() > 7 {
                return None;
            }
            let mut w = h;
            w.resize(8 - t.len(), 0);
            w.extend(t);
            w
        }
        None => groups(s)?,
    };
    if words.len() != 8 {
        return None;
    }
    let mut g = [0u8; 16];
    for (k, w) in words.iter().enumerate() {
        g[2 * k..2 * k + 2].copy_from_slice(&w.to_be_bytes());
    }
    Some(g)
}

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month_name(s: &str) -> Option<u32> {
    let l = s.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == l).map(|k| k as u32 + 1)
}

/// A month number from digits (`12`) or a name (`Dec`).
fn month_field(s: &str) -> Option<u32> {
    if all_digits(s) && s.len() <= 2 {
        s.parse().ok()
    } else {
        month_name(s)
    }
}

/// A year from 4 digits, or 2 (`yy`: 00–49 are 20yy, 50–99 are 19yy).
fn year_field(s: &str) -> Option<i32> {
    if !all_digits(s) {
        return None;
    }
    let y: i32 = s.parse().ok()?;
    match s.len() {
        4 => Some(y),
        2 => Some(if y < 50 { 2000 + y } else { 1900 + y }),
        _ => None,
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<i64> {
    is_valid_ymd(y, m, d).then(|| days_from_ymd(y, m, d))
}

/// A date as days since 2000.01.01: `yyyy.mm.dd`, `yyyy-mm-dd`, `[yy]yymmdd`,
/// `ddMMM[yy]yy`, `yyyy/[mm|MMM]/dd`, `[mm|MMM]/dd/[yy]yy`.
fn parse_date(s: &str) -> Option<i64> {
    for sep in ['.', '-', '/'] {
        let f: Vec<&str> = s.split(sep).collect();
        if f.len() != 3 {
            continue;
        }
        if f[0].len() == 4 {
            let d = if all_digits(f[2]) && f[2].len() <= 2 { f[2].parse().ok()? } else { 0 };
            return ymd(year_field(f[0])?, month_field(f[1])?, d);
        }
        if sep == '/' {
            let d = if all_digits(f[1]) && f[1].len() <= 2 { f[1].parse().ok()? } else { 0 };
            return ymd(year_field(f[2])?, month_field(f[0])?, d);
        }
        return None;
    }
    if all_digits(s) {
        let (y, rest) = match s.len() {
            8 => (year_field(&s[..4])?, &s[4..]),
            6 => (year_field(&s[..2])?, &s[2..]),
            _ => return None,
        };
        return ymd(y, rest[..2].parse().ok()?, rest[2..].parse().ok()?);
    }
    // ddMMM[yy]yy
    if s.len() >= 7 && s.is_char_boundary(2) && s.is_char_boundary(5) {
        let (d, m, y) = (&s[..2], &s[2..5], &s[5..]);
        if all_digits(d) {
            return ymd(year_field(y)?, month_name(m)?, d.parse().ok()?);
        }
    }
    None
}

fn parse_month(s: &str) -> Option<i32> {
    let s = s.strip_suffix('m').unwrap_or(s);
    let (y, m) = if let Some((y, m)) = s.split_once(['.', '-', '/']) {
        if m.contains(['.', '-', '/']) {
            let d = parse_date(s)?;
            let (y, m, _) = ymd_from_days(i32::try_from(d).ok()?);
            (y, m)
        } else {
            (year_field(y)?, month_field(m)?)
        }
    } else if all_digits(s) && s.len() == 6 {
        (year_field(&s[..4])?, s[4..].parse().ok()?)
    } else {
        return None;
    };
    if !(1..=12).contains(&m) {
        return None;
    }
    i32::try_from(i64::from(y - 2000) * 12 + i64::from(m) - 1).ok()
}

/// Nanoseconds from a fraction of a second's digits (`123` → 123 ms).
fn fraction(f: &str) -> Option<i64> {
    if !f.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut ns = 0i64;
    for (k, c) in f.bytes().take(9).enumerate() {
        ns += i64::from(c - b'0') * 10i64.pow(8 - k as u32);
    }
    Some(ns)
}

/// A time of day (or a span without days) in nanoseconds: `hh:mm[:ss[.fff]]` or digits
/// `hh[mm[ss[fff…]]]`.
fn parse_time(s: &str) -> Option<i64> {
    const NS_S: i64 = 1_000_000_000;
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) => (m, fraction(f)?),
        None => (s, 0),
    };
    let (h, m, sec) = if main.contains(':') {
        let f: Vec<&str> = main.split(':').collect();
        if f.len() > 3 || f.iter().any(|x| !all_digits(x)) {
            return None;
        }
        let n = |k: usize| -> Option<i64> { f.get(k).map_or(Some(0), |x| x.parse().ok()) };
        (n(0)?, n(1)?, n(2)?)
    } else {
        // Digits beyond hhmmss are the fraction.
        let (hms, extra) = main.split_at(main.len().min(6));
        if !all_digits(main) || hms.len() % 2 == 1 {
            return None;
        }
        let frac = if extra.is_empty() { frac } else { fraction(extra)? };
        let n = |k: usize| -> i64 { hms.get(k..k + 2).and_then(|x| x.parse().ok()).unwrap_or(0) };
        return (n(2) < 60 && n(4) < 60).then(|| (n(0) * 3600 + n(2) * 60 + n(4)) * NS_S + frac);
    };
    if m >= 60 || sec >= 60 {
        return None;
    }
    h.checked_mul(3600)?.checked_add(m * 60 + sec)?.checked_mul(NS_S)?.checked_add(frac)
}

/// A timespan: `[-][dD]time`.
fn parse_timespan(s: &str) -> Option<i64> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let v = match s.split_once('D') {
        Some((d, t)) => {
            if !all_digits(d) {
                return None;
            }
            let t = if t.is_empty() { 0 } else { parse_time(t)? };
            d.parse::<i64>().ok()?.checked_mul(NANOS_PER_DAY)?.checked_add(t)?
        }
        None => parse_time(s)?,
    };
    Some(if neg { -v } else { v })
}

/// Split a timestamp or datetime into its date and time parts: at a `D` or `T` between
/// digits, at a blank, or at the `-` after an 8-digit date.
fn split_instant(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    for k in 1..b.len() {
        if matches!(b[k], b'D' | b'T' | b' ')
            && b[k - 1].is_ascii_digit()
            && b.get(k + 1).is_none_or(u8::is_ascii_digit)
        {
            return (&s[..k], &s[k + 1..]);
        }
    }
    if b.len() > 9 && b[8] == b'-' && all_digits(&s[..8]) {
        return (&s[..8], &s[9..]);
    }
    (s, "")
}

/// Nanoseconds since 2000.01.01 of a date and time, or of seconds since the Unix epoch
/// (9 to 11 digits, optionally with a fraction).
fn parse_instant(s: &str) -> Option<(i64, i64)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if all_digits(int) && (9..=11).contains(&int.len()) {
        let secs: i64 = int.parse().ok()?;
        let days = (secs.div_euclid(86_400)) - fq_value::temporal::EPOCH_OFFSET_DAYS;
        let ns = secs.rem_euclid(86_400) * 1_000_000_000 + fraction(frac)?;
        return Some((days, ns));
    }
    let (d, t) = split_instant(s);
    let days = parse_date(d)?;
    let ns = if t.is_empty() { 0 } else { parse_time(t)? };
    Some((days, ns))
}

fn parse_timestamp(s: &str) -> Option<i64> {
    let (days, ns) = parse_instant(s)?;
    days.checked_mul(NANOS_PER_DAY)?.checked_add(ns)
}

fn parse_datetime(s: &str) -> Option<f64> {
    let (days, ns) = parse_instant(s)?;
    Some(days as f64 + (ns / 1_000_000) as f64 / 86_400_000.0)
}
