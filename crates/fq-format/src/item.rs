//! Text of single items of the elementary types, in the two styles q uses.
//!
//! - [`Style::Show`] is the item text inside `-3!` and the console: nulls print as `0N`
//!   (`0n` for floats), infinities as `0W`/`-0W` (`0w`/`-0w` for floating types).
//! - [`Style::Blank`] is q's `string` (k's `$`), used for table cells and dictionary
//!   columns: nulls print as nothing, so a null cell is blank.
//!
//! Type suffixes, quotes and backticks are added by the callers ([`crate::repr`]).

use crate::float::push_g;
use crate::temporal;
use crate::Ctx;
use fq_value::{QType, Sym, Value, Vector};
use std::fmt::Write;

/// How nulls are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `0N`, `0n`: the console and `-3!`.
    Show,
    /// Empty: `string` and table cells.
    Blank,
}

/// A borrowed view of the elements of an elementary vector (or of one atom).
#[derive(Clone, Copy)]
pub(crate) enum Items<'a> {
    Bool(&'a [u8]),
    Guid(&'a [[u8; 16]]),
    Byte(&'a [u8]),
    Short(&'a [i16]),
    Int(&'a [i32]),
    Long(&'a [i64]),
    Real(&'a [f32]),
    Float(&'a [f64]),
    Char(&'a [u8]),
    Sym(&'a [Sym]),
    Timestamp(&'a [i64]),
    Month(&'a [i32]),
    Date(&'a [i32]),
    Datetime(&'a [f64]),
    Timespan(&'a [i64]),
    Minute(&'a [i32]),
    Second(&'a [i32]),
    Time(&'a [i32]),
}

impl<'a> Items<'a> {
    /// The items of a typed vector.
    pub(crate) fn of(v: &'a Vector) -> Option<Items<'a>> {
        Some(match v.ty() {
            QType::BOOLEAN => Items::Bool(v.as_bytes()),
            QType::GUID => Items::Guid(v.try_slice()?),
            QType::BYTE => Items::Byte(v.as_bytes()),
            QType::SHORT => Items::Short(v.try_slice()?),
            QType::INT => Items::Int(v.try_slice()?),
            QType::LONG => Items::Long(v.try_slice()?),
            QType::REAL => Items::Real(v.try_slice()?),
            QType::FLOAT => Items::Float(v.try_slice()?),
            QType::CHAR => Items::Char(v.as_bytes()),
            QType::SYMBOL => Items::Sym(v.try_slice()?),
            QType::TIMESTAMP => Items::Timestamp(v.try_slice()?),
            QType::MONTH => Items::Month(v.try_slice()?),
            QType::DATE => Items::Date(v.try_slice()?),
            QType::DATETIME => Items::Datetime(v.try_slice()?),
            QType::TIMESPAN => Items::Timespan(v.try_slice()?),
            QType::MINUTE => Items::Minute(v.try_slice()?),
            QType::SECOND => Items::Second(v.try_slice()?),
            QType::TIME => Items::Time(v.try_slice()?),
            _ => return None,
        })
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        match self {
            Items::Bool(s) | Items::Byte(s) | Items::Char(s) => s.len(),
            Items::Guid(s) => s.len(),
            Items::Short(s) => s.len(),
            Items::Int(s) | Items::Month(s) | Items::Date(s) => s.len(),
            Items::Minute(s) | Items::Second(s) | Items::Time(s) => s.len(),
            Items::Long(s) | Items::Timestamp(s) | Items::Timespan(s) => s.len(),
            Items::Real(s) => s.len(),
            Items::Float(s) | Items::Datetime(s) => s.len(),
            Items::Sym(s) => s.len(),
        }
    }

    /// The vector type these items belong to.
    pub(crate) fn ty(&self) -> QType {
        match self {
            Items::Bool(_) => QType::BOOLEAN,
            Items::Guid(_) => QType::GUID,
            Items::Byte(_) => QType::BYTE,
            Items::Short(_) => QType::SHORT,
            Items::Int(_) => QType::INT,
            Items::Long(_) => QType::LONG,
            Items::Real(_) => QType::REAL,
            Items::Float(_) => QType::FLOAT,
            Items::Char(_) => QType::CHAR,
            Items::Sym(_) => QType::SYMBOL,
            Items::Timestamp(_) => QType::TIMESTAMP,
            Items::Month(_) => QType::MONTH,
            Items::Date(_) => QType::DATE,
            Items::Datetime(_) => QType::DATETIME,
            Items::Timespan(_) => QType::TIMESPAN,
            Items::Minute(_) => QType::MINUTE,
            Items::Second(_) => QType::SECOND,
            Items::Time(_) => QType::TIME,
        }
    }

    /// Append item `i` (bools as `0`/`1`, bytes as two hex digits, chars raw, symbols
    /// without the backtick). Returns true when the item is a null or an infinity.
    pub(crate) fn push(&self, i: usize, out: &mut String, style: Style, ctx: &Ctx) -> bool {
        match *self {
            Items::Bool(s) => {
                out.push(if s[i] != 0 { '1' } else { '0' });
                false
            }
            Items::Byte(s) => {
                let _ = write!(out, "{:02x}", s[i]);
                false
            }
            Items::Char(s) => {
                push_raw_bytes(out, &s[i..=i]);
                false
            }
            Items::Sym(s) => {
                push_raw_bytes(out, s[i].as_bytes());
                s[i].is_null()
            }
            Items::Guid(s) => {
                push_guid(out, &s[i]);
                s[i] == [0; 16]
            }
            Items::Short(s) => push_integral(out, i64::from(s[i]), i64::from(i16::MIN), style),
            Items::Int(s) => push_integral(out, i64::from(s[i]), i64::from(i32::MIN), style),
            Items::Long(s) => push_integral(out, s[i], i64::MIN, style),
            Items::Real(s) => push_float(out, f64::from(s[i]), false, style, ctx.real_digits),
            Items::Float(s) => push_float(out, s[i], true, style, ctx.digits),
            Items::Timestamp(s) => push_special_i64(out, s[i], style).unwrap_or_else(|| {
                temporal::push_timestamp(out, s[i]);
                false
            }),
            Items::Timespan(s) => push_special_i64(out, s[i], style).unwrap_or_else(|| {
                temporal::push_timespan(out, s[i]);
                false
            }),
            Items::Month(s) => push_special_i32(out, s[i], style).unwrap_or_else(|| {
                temporal::push_month(out, s[i]);
                false
            }),
            Items::Date(s) => push_special_i32(out, s[i], style).unwrap_or_else(|| {
                temporal::push_date(out, i64::from(s[i]));
                false
            }),
            Items::Minute(s) => push_special_i32(out, s[i], style).unwrap_or_else(|| {
                temporal::push_minute(out, s[i]);
                false
            }),
            Items::Second(s) => push_special_i32(out, s[i], style).unwrap_or_else(|| {
                temporal::push_second(out, s[i]);
                false
            }),
            Items::Time(s) => push_special_i32(out, s[i], style).unwrap_or_else(|| {
                temporal::push_time(out, s[i]);
                false
            }),
            Items::Datetime(s) => {
                let x = s[i];
                if x.is_finite() {
                    temporal::push_datetime(out, x);
                    false
                } else {
                    // The float specials, as datetime is a float: 0Nz, 0wz, -0wz.
                    push_float(out, x, false, style, ctx.digits)
                }
            }
        }
    }
}

/// Run `f` on a one-item view of an elementary atom; `None` for other values.
pub(crate) fn with_atom<R>(v: &Value, f: impl FnOnce(&Items<'_>) -> R) -> Option<R> {
    use std::slice::from_ref;
    Some(match v {
        Value::Bool(b) => f(&Items::Bool(&[u8::from(*b)])),
        Value::Guid(g) => f(&Items::Guid(from_ref(&**g))),
        Value::Byte(b) => f(&Items::Byte(from_ref(b))),
        Value::Short(x) => f(&Items::Short(from_ref(x))),
        Value::Int(x) => f(&Items::Int(from_ref(x))),
        Value::Long(x) => f(&Items::Long(from_ref(x))),
        Value::Real(x) => f(&Items::Real(from_ref(x))),
        Value::Float(x) => f(&Items::Float(from_ref(x))),
        Value::Char(c) => f(&Items::Char(from_ref(c))),
        Value::Symbol(s) => f(&Items::Sym(from_ref(s))),
        Value::Timestamp(x) => f(&Items::Timestamp(from_ref(x))),
        Value::Month(x) => f(&Items::Month(from_ref(x))),
        Value::Date(x) => f(&Items::Date(from_ref(x))),
        Value::Datetime(x) => f(&Items::Datetime(from_ref(x))),
        Value::Timespan(x) => f(&Items::Timespan(from_ref(x))),
        Value::Minute(x) => f(&Items::Minute(from_ref(x))),
        Value::Second(x) => f(&Items::Second(from_ref(x))),
        Value::Time(x) => f(&Items::Time(from_ref(x))),
        _ => return None,
    })
}

/// Integral item with min = null, max = `0W`, min+1 = `-0W`. Returns true for specials.
fn push_integral(out: &mut String, x: i64, min: i64, style: Style) -> bool {
    let max = -(min + 1);
    if x == min {
        if style == Style::Show {
            out.push_str("0N");
        }
    } else if x == max {
        out.push_str("0W");
    } else if x == min + 1 {
        out.push_str("-0W");
    } else {
        let _ = write!(out, "{x}");
        return false;
    }
    true
}

/// Null/infinity text of a 64-bit temporal item, or `None` for an ordinary value.
fn push_special_i64(out: &mut String, x: i64, style: Style) -> Option<bool> {
    (x == i64::MIN || x == i64::MAX || x == i64::MIN + 1)
        .then(|| push_integral(out, x, i64::MIN, style))
}

/// Null/infinity text of a 32-bit temporal item, or `None` for an ordinary value.
fn push_special_i32(out: &mut String, x: i32, style: Style) -> Option<bool> {
    (x == i32::MIN || x == i32::MAX || x == i32::MIN + 1)
        .then(|| push_integral(out, i64::from(x), i64::from(i32::MIN), style))
}

/// Floating item: NaN is null (`0n` for floats; `0N` for reals and datetimes, whose
/// suffix follows), infinities `0w`/`-0w`, finite values `%.{digits}g`.
fn push_float(out: &mut String, x: f64, is_float: bool, style: Style, digits: usize) -> bool {
    if x.is_nan() {
        if style == Style::Show {
            out.push_str(if is_float { "0n" } else { "0N" });
        }
        true
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "0w" } else { "-0w" });
        true
    } else {
        push_g(out, x, digits);
        false
    }
}

/// `8c680a01-5a49-5aab-5a65-d4bfddb6a661`.
pub(crate) fn push_guid(out: &mut String, g: &[u8; 16]) {
    for (i, b) in g.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{b:02x}");
    }
}

/// Append bytes as text (q strings and symbols are bytes; invalid UTF-8 is replaced).
pub(crate) fn push_raw_bytes(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}
