//! Cast and tok: `x$y` converting between types (`"j"$`, `` `long$ ``, `7h$`) and
//! interpreting strings (`"J"$"42"`, `-7h$"42"`).

use crate::atomic::collapse;
use crate::convert::atoms_to_vector;
use crate::interp::Interp;
use fq_value::{QError, QResult, QType, Sym, Value, Vector, GENERIC_NULL};

/// The target type named by the left argument of `$`.
fn cast_target(x: &Value) -> QResult<(QType, bool)> {
    match x {
        Value::Char(c) => {
            let upper = c.is_ascii_uppercase();
            let t = match c.to_ascii_lowercase() {
                b'*' => return Ok((QType::CHAR, true)),
                l => QType::from_letter(l as char).ok_or(QError::Type)?,
            };
            Ok((t, upper))
        }
        Value::Symbol(s) => {
            let n = s.name();
            let t =
                fq_value::BASE_TYPES.iter().find(|t| t.name() == n).copied().ok_or(QError::Type)?;
            Ok((t, false))
        }
        Value::Short(n) => Ok((QType(n.abs()), false)),
        Value::Int(n) => Ok((QType(*n as i16), false)),
        Value::Long(n) => Ok((QType(*n as i16), false)),
        _ => Err(QError::Type),
    }
}

/// `x$y`: cast (`"j"$`, `` `long$ ``, `7h$`) or parse from text (`"J"$"42"`).
pub fn cast(_: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    if let Value::Symbol(s) = &x {
        if s.is_null() {
            // `` `$"abc" ``: strings to symbols.
            return match &y {
                Value::Vector(v) if v.ty() == QType::CHAR => {
                    Ok(Value::Symbol(Sym::from_bytes(v.as_bytes())))
                }
                Value::Char(c) => Ok(Value::Symbol(Sym::from_bytes(&[*c]))),
                Value::List(l) => {
                    let out: QResult<Vec<Value>> = l
                        .items()
                        .iter()
                        .map(|a| cast(&mut Interp::scratch(), x.clone(), a.clone()))
                        .collect();
                    Ok(collapse(out?))
                }
                Value::Symbol(_) => Ok(y.clone()),
                _ => Err(QError::Type),
            };
        }
        if cast_target(&x).is_err() {
            return Err(QError::Nyi);
        }
    }
    let (t, parse) = cast_target(&x)?;
    if parse {
        return parse_text(t, &y);
    }
    cast_value(t.atom(), &y)
}

fn cast_value(t: QType, y: &Value) -> QResult<Value> {
    match y {
        Value::Vector(v) => {
            if v.ty() == t.vector() {
                return Ok(y.clone());
            }
            if t.code() == -11 && v.ty() == QType::CHAR {
                return Ok(Value::Symbol(Sym::from_bytes(v.as_bytes())));
            }
            if t.code() == -10 && v.ty() == QType::SYMBOL {
                return Err(QError::Type);
            }
            let its: QResult<Vec<Value>> =
                (0..v.len()).filter_map(|k| v.get(k)).map(|a| cast_atom(t, &a)).collect();
            let its = its?;
            Ok(atoms_to_vector(t.vector(), &its).unwrap_or_else(|| collapse(its)))
        }
        Value::List(l) => {
            let out: QResult<Vec<Value>> = l.items().iter().map(|a| cast_value(t, a)).collect();
            Ok(collapse(out?))
        }
        Value::Dict(d) => Value::dict(d.keys.clone(), cast_value(t, &d.values)?),
        a if a.is_atom() => cast_atom(t, a),
        _ => Err(QError::Type),
    }
}

/// Cast one atom to atom type `t`.
pub fn cast_atom(t: QType, a: &Value) -> QResult<Value> {
    use crate::lane::{lane_f64, lane_i64, unit_of, Lane, Unit};
    if a.qtype() == t {
        return Ok(a.clone());
    }
    let src = a.qtype().atom();
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
    let narrow32 = |x: i64| -> i32 {
        if x == i64::MIN {
            i32::MIN
        } else if x == i64::MAX {
            i32::MAX
        } else if x == -i64::MAX {
            -i32::MAX
        } else {
            x as i32
        }
    };
    let narrow16 = |x: i64| -> i16 {
        if x == i64::MIN {
            i16::MIN
        } else if x == i64::MAX {
            i16::MAX
        } else if x == -i64::MAX {
            -i16::MAX
        } else {
            x as i16
        }
    };
    Ok(match t.code() {
        -1 => {
            if floaty {
                let Some(Lane::Atom(f)) = lane_f64(a, Unit::None) else { return Err(QError::Type) };
                Value::Bool(f != 0.0)
            } else {
                Value::Bool(as_i()? != 0)
            }
        }
        -4 => Value::Byte(as_i()? as u8),
        -5 => Value::Short(narrow16(as_i()?)),
        -6 => Value::Int(narrow32(as_i()?)),
        -7 => Value::Long(as_i()?),
        -8 => match lane_f64(a, Unit::None) {
            Some(Lane::Atom(f)) => Value::Real(f as f32),
            _ => return Err(QError::Type),
        },
        -9 => match lane_f64(a, Unit::None) {
            Some(Lane::Atom(f)) => Value::Float(f),
            _ => return Err(QError::Type),
        },
        -10 => Value::Char(as_i()? as u8),
        -11 => match a {
            Value::Char(c) => Value::Symbol(Sym::from_bytes(&[*c])),
            _ => return Err(QError::Type),
        },
        -12 => Value::Timestamp(as_i()?),
        -13 => {
            if src.code() == -14 || src.code() == -12 {
                // Date/timestamp to month: calendar month of the day.
                let days = if src.code() == -12 { as_i_days(a)? } else { as_i()? };
                if days == i64::MIN {
                    Value::Month(i32::MIN)
                } else {
                    let (y, m, _) = fq_value::temporal::ymd_from_days(days as i32);
                    Value::Month((y - 2000) * 12 + m as i32 - 1)
                }
            } else {
                Value::Month(narrow32(as_i()?))
            }
        }
        -14 => {
            if src.code() == -12 {
                Value::Date(narrow32(as_i_days(a)?))
            } else if src.code() == -15 {
                let Some(Lane::Atom(f)) = lane_f64(a, Unit::None) else { return Err(QError::Type) };
                Value::Date(if f.is_nan() { i32::MIN } else { f.floor() as i32 })
            } else {
                Value::Date(narrow32(as_i()?))
            }
        }
        -15 => match lane_f64(a, Unit::Days) {
            Some(Lane::Atom(f)) => Value::Datetime(f),
            _ => return Err(QError::Type),
        },
        -16 => Value::Timespan(as_i()?),
        -17 => Value::Minute(narrow32(time_of_day(src, as_i()?, 60_000_000_000, unit)?)),
        -18 => Value::Second(narrow32(time_of_day(src, as_i()?, 1_000_000_000, unit)?)),
        -19 => Value::Time(narrow32(time_of_day(src, as_i()?, 1_000_000, unit)?)),
        _ => return Err(QError::Type),
    })
}

fn as_i_days(a: &Value) -> QResult<i64> {
    match a {
        Value::Timestamp(ns) => {
            Ok(if *ns == i64::MIN { i64::MIN } else { ns.div_euclid(86_400_000_000_000) })
        }
        _ => Err(QError::Type),
    }
}

/// Timestamps cast to a time of day keep only the time within the day.
fn time_of_day(src: QType, scaled: i64, per: i64, _unit: crate::lane::Unit) -> QResult<i64> {
    if src.code() == -12 && scaled != i64::MIN {
        // `scaled` is already in the target unit; wrap at a day.
        let day = 86_400_000_000_000 / per;
        return Ok(scaled.rem_euclid(day));
    }
    Ok(scaled)
}

fn parse_text(t: QType, y: &Value) -> QResult<Value> {
    match y {
        Value::Vector(v) if v.ty() == QType::CHAR => parse_one(t, v.as_bytes()),
        Value::Char(c) => parse_one(t, &[*c]),
        Value::List(l) => {
            let out: QResult<Vec<Value>> = l.items().iter().map(|a| parse_text(t, a)).collect();
            let out = out?;
            Ok(atoms_to_vector(t.vector(), &out).unwrap_or_else(|| collapse(out)))
        }
        Value::Vector(v) if v.ty() == QType::SYMBOL => Err(QError::Type),
        _ => Err(QError::Type),
    }
}

fn parse_one(t: QType, b: &[u8]) -> QResult<Value> {
    let s = String::from_utf8_lossy(b);
    let s = s.trim();
    let t = t.atom();
    if t.code() == -11 {
        return Ok(Value::Symbol(Sym::new(s)));
    }
    if t.code() == -10 {
        return Ok(Value::Vector(Vector::chars(b)));
    }
    if s.is_empty() {
        return Ok(Value::null_of(t).unwrap_or(GENERIC_NULL));
    }
    if t.code() == -1 {
        return Ok(Value::Bool(matches!(s, "1" | "t" | "T" | "y" | "Y" | "true")));
    }
    if t.code() == -2 {
        let hex: String = s.chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 {
            return Ok(Value::Guid(Box::new([0; 16])));
        }
        let mut g = [0u8; 16];
        for (k, slot) in g.iter_mut().enumerate() {
            *slot = u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap_or(0);
        }
        return Ok(Value::Guid(Box::new(g)));
    }
    // Reuse the literal parser, then convert to the target type.
    let lit = fq_syntax::literal::parse_numeric(s)
        .or_else(|| fq_syntax::literal::parse_numeric(&format!("{s}{}", t.letter())));
    match lit {
        Some(v) if v.is_atom() => {
            cast_atom(t, &v).or_else(|_| Ok(Value::null_of(t).unwrap_or(GENERIC_NULL)))
        }
        _ => Ok(Value::null_of(t).unwrap_or(GENERIC_NULL)),
    }
}
