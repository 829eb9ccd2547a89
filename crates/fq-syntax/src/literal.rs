//! Numeric and temporal literals: `42`, `1.5e`, `0Nh`, `-0W`, `101b`, `0x0aff`,
//! `2000.01.01`, `2000.01m`, `12:30`, `0D12:00:00.000000001`, and vectors of them
//! (`1 2 3f`, `2000.01.01 2000.01.02`).
//!
//! The same functions parse the text of `"X"$"…"`-style casts in the interpreter.

use fq_value::null::{NULL_F32, NULL_F64, NULL_I16, NULL_I32, NULL_I64};
use fq_value::temporal::{days_from_ymd, is_valid_ymd};
use fq_value::{QType, Value, Vector};

/// One item of a numeric literal before its vector's type is known.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Item {
    /// An integer (no decimal point).
    Int(i64),
    /// A number with a decimal point or exponent.
    Float(f64),
    /// `0N` (typed by a suffix or the vector).
    Null,
    /// `0W`.
    Inf,
    /// `-0W`.
    NegInf,
    /// `0n`.
    FloatNull,
    /// `0w`.
    FloatInf,
    /// `-0w`.
    FloatNegInf,
    /// A fully typed atom (temporal literals, typed nulls, suffixed numbers).
    Typed(Typed),
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Typed {
    ty: QType,
    /// Integral payload (i64 holds every integral and temporal type).
    i: i64,
    /// Float payload for real/float/datetime.
    f: f64,
}

fn typed_i(ty: QType, i: i64) -> Item {
    Item::Typed(Typed { ty, i, f: 0.0 })
}
fn typed_f(ty: QType, f: f64) -> Item {
    Item::Typed(Typed { ty, i: 0, f })
}

/// Parse one literal token's text (`"1 2 3f"` is several items separated by spaces) into
/// an atom or a vector. `None` when the text is not a valid literal.
pub fn parse_numeric(text: &str) -> Option<Value> {
    let parts: Vec<&str> = text.split(' ').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => None,
        [one] => parse_single(one),
        many => parse_vector(many),
    }
}

fn parse_single(t: &str) -> Option<Value> {
    if let Some(hex) = t.strip_prefix("0x") {
        return parse_bytes(hex);
    }
    if let Some(bits) = t.strip_suffix('b') {
        if !bits.is_empty() && bits.bytes().all(|c| c == b'0' || c == b'1') {
            if bits.len() == 1 {
                return Some(Value::Bool(bits == "1"));
            }
            let v: Vec<bool> = bits.bytes().map(|c| c == b'1').collect();
            return Some(Value::Vector(Vector::bools(&v)));
        }
    }
    let (item, suffix) = parse_item(t)?;
    atom(item, suffix)
}

fn parse_bytes(hex: &str) -> Option<Value> {
    if hex.is_empty() {
        return Some(Value::Vector(Vector::bytes(&[])));
    }
    let digits = hex.as_bytes();
    // An odd count pads on the left: 0x1 is 0x01.
    let mut out = Vec::with_capacity(digits.len() / 2 + 1);
    let mut i = 0;
    if digits.len() % 2 == 1 {
        out.push(hex_digit(digits[0])?);
        i = 1;
    }
    while i < digits.len() {
        out.push(hex_digit(digits[i])? * 16 + hex_digit(digits[i + 1])?);
        i += 2;
    }
    if out.len() == 1 && hex.len() <= 2 {
        return Some(Value::Byte(out[0]));
    }
    Some(Value::Vector(Vector::bytes(&out)))
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

const SUFFIXES: &str = "hijefpmdznuvtg";

/// Split an item into its value and an explicit type suffix.
fn parse_item(t: &str) -> Option<(Item, Option<char>)> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    if body.is_empty() {
        return None;
    }
    // Nulls and infinities: 0N 0W 0n 0w with an optional type letter.
    if let Some(rest) = body.strip_prefix("0N").or_else(|| body.strip_prefix("0W")) {
        let inf = body.as_bytes()[1] == b'W';
        let suffix = match rest {
            "" => None,
            s if s.len() == 1 && SUFFIXES.contains(s) => s.chars().next(),
            _ => return None,
        };
        if neg && !inf {
            return None;
        }
        let item = match (inf, neg) {
            (false, _) => Item::Null,
            (true, false) => Item::Inf,
            (true, true) => Item::NegInf,
        };
        return Some((item, suffix));
    }
    match body {
        "0n" if !neg => return Some((Item::FloatNull, None)),
        "0w" => return Some((if neg { Item::FloatNegInf } else { Item::FloatInf }, None)),
        // kdb+ shows a real infinity as 0we and reads it back.
        "0we" => return Some((if neg { Item::NegInf } else { Item::Inf }, Some('e'))),
        _ => {}
    }
    if let Some(item) = parse_temporal(body, neg) {
        return Some((item, None));
    }
    // Plain numbers with an optional suffix.
    let last = body.chars().last()?;
    let (digits, suffix) = if last.is_ascii_alphabetic() {
        // `1e` is a real; `1e5` an exponent (ends in a digit, so not here).
        (&body[..body.len() - 1], Some(last))
    } else {
        (body, None)
    };
    if let Some(s) = suffix {
        if !"hijef".contains(s) && !matches!(s, 'p' | 'n' | 'd' | 'm' | 'z' | 'u' | 'v' | 't') {
            return None;
        }
    }
    let is_float_text = digits.contains(['.', 'e', 'E']);
    if digits.is_empty() || !digits.bytes().next()?.is_ascii_digit() && !digits.starts_with('.') {
        return None;
    }
    if !digits.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let item = if is_float_text {
        let f: f64 = digits.parse().ok()?;
        Item::Float(if neg { -f } else { f })
    } else {
        // Beyond i64 is not a valid literal.
        let i: i64 = digits.parse().ok()?;
        Item::Int(if neg { -i } else { i })
    };
    Some((item, suffix))
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Fractional digits scaled to `scale` digits (`"5"` at scale 3 is 500).
fn frac(s: &str, scale: u32) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let s = if s.len() > scale as usize { &s[..scale as usize] } else { s };
    let v: i64 = s.parse().ok()?;
    Some(v * 10i64.pow(scale - s.len() as u32))
}

/// `hh:mm[:ss[.fff]]` → (nanoseconds, how many fields, fraction digits).
fn clock(s: &str) -> Option<(i64, usize, usize)> {
    let (hms, fraction) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let fields: Vec<&str> = hms.split(':').collect();
    if fields.is_empty() || fields.len() > 3 {
        return None;
    }
    let h = num(fields[0])?;
    let m = if fields.len() > 1 { num(fields[1])? } else { 0 };
    let sec = if fields.len() > 2 { num(fields[2])? } else { 0 };
    if fields.len() > 1 && (fields[1].len() != 2 || m > 59) {
        return None;
    }
    if fields.len() > 2 && (fields[2].len() != 2 || sec > 59) {
        return None;
    }
    let mut ns = h.checked_mul(3600)?.checked_add(m * 60 + sec)?.checked_mul(1_000_000_000)?;
    let mut fd = 0;
    if let Some(f) = fraction {
        if fields.len() < 3 {
            return None;
        }
        ns = ns.checked_add(frac(f, 9)?)?;
        fd = f.len();
    }
    Some((ns, fields.len(), fd))
}

fn date_days(s: &str) -> Option<i64> {
    let p: Vec<&str> = s.split('.').collect();
    if p.len() != 3 || p[0].len() != 4 || p[1].len() != 2 || p[2].len() != 2 {
        return None;
    }
    let (y, m, d) = (num(p[0])? as i32, num(p[1])? as u32, num(p[2])? as u32);
    is_valid_ymd(y, m, d).then(|| days_from_ymd(y, m, d))
}

fn parse_temporal(body: &str, neg: bool) -> Option<Item> {
    let sign = if neg { -1 } else { 1 };
    // Month: 2000.01m
    if let Some(m) = body.strip_suffix('m') {
        let p: Vec<&str> = m.split('.').collect();
        if p.len() == 2 && p[0].len() == 4 && p[1].len() == 2 {
            let (y, mo) = (num(p[0])?, num(p[1])?);
            if (1..=12).contains(&mo) {
                return Some(typed_i(QType::MONTH, sign * ((y - 2000).checked_mul(12)? + mo - 1)));
            }
        }
        return None;
    }
    // Timestamp: date D time
    if let Some((d, t)) = body.split_once('D') {
        if d.contains('.') {
            let days = date_days(d)?;
            let ns = if t.is_empty() { 0 } else { clock(t)?.0 };
            let total = days.checked_mul(86_400_000_000_000)?.checked_add(ns)?;
            return Some(typed_i(QType::TIMESTAMP, sign * total));
        }
        // Timespan: [days]D[time]
        let days = if d.is_empty() { 0 } else { num(d)? };
        let ns = if t.is_empty() { 0 } else { clock(t)?.0 };
        let total = days.checked_mul(86_400_000_000_000)?.checked_add(ns)?;
        return Some(typed_i(QType::TIMESPAN, sign * total));
    }
    // Datetime: date T time
    if let Some((d, t)) = body.split_once('T') {
        let days = date_days(d)? as f64;
        let ms = if t.is_empty() { 0.0 } else { (clock(t)?.0 / 1_000_000) as f64 };
        return Some(typed_f(QType::DATETIME, sign as f64 * (days + ms / 86_400_000.0)));
    }
    if body.matches('.').count() == 2 && !body.contains(':') {
        return Some(typed_i(QType::DATE, sign * date_days(body)?));
    }
    if body.contains(':') {
        let (ns, fields, fd) = clock(body)?;
        let ns = sign * ns;
        return Some(match (fields, fd) {
            (2, _) => typed_i(QType::MINUTE, ns / 60_000_000_000),
            (3, 0) => typed_i(QType::SECOND, ns / 1_000_000_000),
            (3, 1..=3) => typed_i(QType::TIME, ns / 1_000_000),
            (3, _) => typed_i(QType::TIMESPAN, ns),
            _ => return None,
        });
    }
    None
}

/// The atom for an item under an optional suffix.
fn atom(item: Item, suffix: Option<char>) -> Option<Value> {
    let ty = match suffix {
        Some(c) => QType::from_letter(c)?.atom(),
        None => match item {
            Item::Int(_) | Item::Null | Item::Inf | Item::NegInf => QType::LONG.atom(),
            Item::Float(_) | Item::FloatNull | Item::FloatInf | Item::FloatNegInf => {
                QType::FLOAT.atom()
            }
            Item::Typed(t) => t.ty.atom(),
        },
    };
    convert(item, ty)
}

/// Convert an item to an atom of type `ty` (negative).
fn convert(item: Item, ty: QType) -> Option<Value> {
    let t = ty.atom().code();
    // Integral payload with nulls/infinities mapped per width.
    let int = |w: u32| -> Option<i64> {
        let (null, inf) = match w {
            16 => (i64::from(NULL_I16), i64::from(i16::MAX)),
            32 => (i64::from(NULL_I32), i64::from(i32::MAX)),
            _ => (NULL_I64, i64::MAX),
        };
        Some(match item {
            Item::Int(i) => i,
            Item::Null | Item::FloatNull => null,
            Item::Inf | Item::FloatInf => inf,
            Item::NegInf | Item::FloatNegInf => -inf,
            _ => return None,
        })
    };
    let float = || -> Option<f64> {
        Some(match item {
            Item::Int(i) => i as f64,
            Item::Float(f) => f,
            Item::Null | Item::FloatNull => f64::NAN,
            Item::Inf | Item::FloatInf => f64::INFINITY,
            Item::NegInf | Item::FloatNegInf => f64::NEG_INFINITY,
            Item::Typed(_) => return None,
        })
    };
    if let Item::Typed(tv) = item {
        if tv.ty.atom() != ty.atom() {
            return None;
        }
        return Some(match t {
            -12 => Value::Timestamp(tv.i),
            -13 => Value::Month(tv.i as i32),
            -14 => Value::Date(tv.i as i32),
            -15 => Value::Datetime(tv.f),
            -16 => Value::Timespan(tv.i),
            -17 => Value::Minute(tv.i as i32),
            -18 => Value::Second(tv.i as i32),
            -19 => Value::Time(tv.i as i32),
            _ => return None,
        });
    }
    Some(match t {
        -5 => Value::Short(i16::try_from(int(16)?).ok()?),
        -6 => Value::Int(i32::try_from(int(32)?).ok()?),
        -7 => Value::Long(int(64)?),
        -8 => Value::Real(match item {
            Item::Null | Item::FloatNull => NULL_F32,
            _ => float()? as f32,
        }),
        -9 => Value::Float(match item {
            Item::Null | Item::FloatNull => NULL_F64,
            _ => float()?,
        }),
        -2 if item == Item::Null => Value::Guid(Box::new([0; 16])),
        -12 => Value::Timestamp(int(64)?),
        -13 => Value::Month(i32::try_from(int(32)?).ok()?),
        -14 => Value::Date(i32::try_from(int(32)?).ok()?),
        -15 => Value::Datetime(match item {
            Item::Null => NULL_F64,
            _ => float()?,
        }),
        -16 => Value::Timespan(int(64)?),
        -17 => Value::Minute(i32::try_from(int(32)?).ok()?),
        -18 => Value::Second(i32::try_from(int(32)?).ok()?),
        -19 => Value::Time(i32::try_from(int(32)?).ok()?),
        _ => return None,
    })
}

fn parse_vector(parts: &[&str]) -> Option<Value> {
    // Boolean and byte items are not vectorised by spaces.
    let mut items = Vec::with_capacity(parts.len());
    let mut suffix = None;
    // `2017.05 2017.09m`: the month letter types the earlier items too.
    let months = parts.last().is_some_and(|p| p.ends_with('m'));
    for (i, p) in parts.iter().enumerate() {
        let (item, s) = if months && i + 1 != parts.len() && !p.starts_with("0N") {
            let (item, _) = parse_item(&format!("{p}m"))?;
            (item, None)
        } else {
            parse_item(p)?
        };
        if s.is_some() {
            if i + 1 != parts.len() {
                // Only the last item may carry the vector's type letter... except typed
                // nulls such as `1 0Ni 3`, which kdb+ rejects too; keep it strict.
                return None;
            }
            suffix = s;
        }
        items.push(item);
    }
    let ty = match suffix {
        Some(c) => QType::from_letter(c)?.atom(),
        None => {
            let mut ty = None::<QType>;
            let mut any_float = false;
            for it in &items {
                match it {
                    Item::Typed(t) => match ty {
                        None => ty = Some(t.ty.atom()),
                        Some(x) if x == t.ty.atom() => {}
                        Some(_) => return None,
                    },
                    Item::Float(_) | Item::FloatNull | Item::FloatInf | Item::FloatNegInf => {
                        any_float = true
                    }
                    _ => {}
                }
            }
            match ty {
                Some(t) => t,
                None if any_float => QType::FLOAT.atom(),
                None => QType::LONG.atom(),
            }
        }
    };
    let atoms: Vec<Value> = items.into_iter().map(|it| convert(it, ty)).collect::<Option<_>>()?;
    atoms_to_vector(ty.vector(), &atoms)
}

/// Build a typed vector from atoms of that type.
pub fn atoms_to_vector(ty: QType, atoms: &[Value]) -> Option<Value> {
    macro_rules! collect {
        ($variant:ident, $t:ty) => {{
            let v: Vec<$t> = atoms
                .iter()
                .map(|a| match a {
                    Value::$variant(x) => Some(*x),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            Vector::new(ty, &v)
        }};
    }
    let v = match ty.code() {
        5 => collect!(Short, i16),
        6 => collect!(Int, i32),
        7 => collect!(Long, i64),
        8 => collect!(Real, f32),
        9 => collect!(Float, f64),
        12 => collect!(Timestamp, i64),
        13 => collect!(Month, i32),
        14 => collect!(Date, i32),
        15 => collect!(Datetime, f64),
        16 => collect!(Timespan, i64),
        17 => collect!(Minute, i32),
        18 => collect!(Second, i32),
        19 => collect!(Time, i32),
        2 => {
            let v: Vec<[u8; 16]> = atoms
                .iter()
                .map(|a| match a {
                    Value::Guid(g) => Some(**g),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            Vector::guids(&v)
        }
        _ => return None,
    };
    Some(Value::Vector(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Value {
        parse_numeric(s).unwrap_or_else(|| panic!("{s} did not parse"))
    }

    #[test]
    fn atoms() {
        assert_eq!(p("42"), Value::Long(42));
        assert_eq!(p("-7"), Value::Long(-7));
        assert_eq!(p("42i"), Value::Int(42));
        assert_eq!(p("42h"), Value::Short(42));
        assert_eq!(p("42j"), Value::Long(42));
        assert_eq!(p("1.5"), Value::Float(1.5));
        assert_eq!(p("1.5e"), Value::Real(1.5));
        assert_eq!(p("2e"), Value::Real(2.0));
        assert_eq!(p("1e5"), Value::Float(100_000.0));
        assert_eq!(p("1e-2"), Value::Float(0.01));
        assert_eq!(p("3f"), Value::Float(3.0));
        assert_eq!(p(".5"), Value::Float(0.5));
        assert_eq!(p("1b"), Value::Bool(true));
        assert_eq!(p("0x2a"), Value::Byte(42));
        assert_eq!(p("0N"), Value::Long(NULL_I64));
        assert_eq!(p("0Nh"), Value::Short(NULL_I16));
        assert_eq!(p("0W"), Value::Long(i64::MAX));
        assert_eq!(p("-0W"), Value::Long(-i64::MAX));
        assert_eq!(p("-0Wi"), Value::Int(-i32::MAX));
        assert_eq!(p("0n"), Value::Float(f64::NAN));
        assert_eq!(p("-0w"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(p("0Ne"), Value::Real(f32::NAN));
        assert_eq!(p("0Nd"), Value::Date(NULL_I32));
        assert_eq!(p("0Np"), Value::Timestamp(NULL_I64));
        assert_eq!(p("0Wd"), Value::Date(i32::MAX));
        assert_eq!(p("0Ng"), Value::Guid(Box::new([0; 16])));
        assert!(parse_numeric("1x").is_none());
        assert!(parse_numeric("99999999999999999999").is_none());
        assert!(parse_numeric("70000h").is_none());
    }

    #[test]
    fn temporals() {
        assert_eq!(p("2001.01.01"), Value::Date(366));
        assert_eq!(p("2000.05.01"), Value::Date(121));
        assert_eq!(p("2001.01m"), Value::Month(12));
        assert_eq!(p("12:01"), Value::Minute(721));
        assert_eq!(p("12:05:00"), Value::Second(43_500));
        assert_eq!(p("12:04:59.123"), Value::Time(43_499_123));
        assert_eq!(p("2000.01.04D05:36:57.600"), Value::Timestamp(279_417_600_000_000));
        assert_eq!(p("0D05:36:57.600"), Value::Timespan(20_217_600_000_000));
        assert_eq!(p("2000.01.04T05:36:57.600"), Value::Datetime(3.234));
        assert_eq!(p("2000.01.01D"), Value::Timestamp(0));
        assert_eq!(p("1D"), Value::Timespan(86_400_000_000_000));
        assert_eq!(p("-0D00:00:01"), Value::Timespan(-1_000_000_000));
        assert_eq!(p("12:00:00.000000001"), Value::Timespan(43_200_000_000_001));
        assert!(parse_numeric("2001.02.30").is_none());
        assert!(parse_numeric("12:60").is_none());
        // Out of range for the representation: not a literal, never an overflow.
        assert!(parse_numeric("9999.01.01D").is_none());
        assert!(parse_numeric("99999999999999:00").is_none());
        assert!(parse_numeric("999999999999D").is_none());
    }

    #[test]
    fn vectors() {
        assert_eq!(p("1 2 3"), Value::Vector(Vector::longs(&[1, 2, 3])));
        assert_eq!(p("1 -2 3"), Value::Vector(Vector::longs(&[1, -2, 3])));
        assert_eq!(p("1 2 3i"), Value::Vector(Vector::ints(&[1, 2, 3])));
        assert_eq!(p("1 2.5"), Value::Vector(Vector::floats(&[1.0, 2.5])));
        assert_eq!(p("1 0N 3"), Value::Vector(Vector::longs(&[1, NULL_I64, 3])));
        assert_eq!(p("1 0n 3"), Value::Vector(Vector::floats(&[1.0, f64::NAN, 3.0])));
        assert_eq!(p("1 2f"), Value::Vector(Vector::floats(&[1.0, 2.0])));
        assert_eq!(p("5.5 8.5e"), Value::Vector(Vector::reals(&[5.5, 8.5])));
        assert_eq!(p("101b"), Value::Vector(Vector::bools(&[true, false, true])));
        assert_eq!(p("0x0102ff"), Value::Vector(Vector::bytes(&[1, 2, 255])));
        assert_eq!(
            p("2001.01.01 2000.05.01 0Nd"),
            Value::Vector(Vector::new(QType::DATE, &[366i32, 121, NULL_I32]))
        );
        assert_eq!(p("12:01 0Nu"), Value::Vector(Vector::new(QType::MINUTE, &[721i32, NULL_I32])));
        assert!(parse_numeric("1i 2").is_none());
        assert!(parse_numeric("2000.01.01 12:00").is_none());
    }
}
