//! Arithmetic: `+ - * %`, `neg`, `abs`, `&` `|` (min/max), `mod`, `div` and friends, with
//! kdb+'s result types (the tables from the KX reference pages for Add, Subtract,
//! Multiply) and null semantics (a null operand gives null: `sum (1 2;0N 4)` is `0N 6`; otherwise
//! integer arithmetic wraps, so `0W+1` is `0N`; float nulls propagate).

use crate::atomic::{atomic1, atomic2};
use crate::lane::{
    from_bool, from_f32, from_f64, from_i32, from_i64, lane_f32, lane_f64, lane_i32, lane_i64,
    unit_of, zip, Lane, Unit,
};
use fq_value::{QError, QResult, QType, Value};

const ADD: [&str; 18] = [
    "i.iiijef..pmdznuvt",
    "..................",
    "i.iiijef..pmdznuvt",
    "i.iiijef..pmdznuvt",
    "i.iiijef..pmdznuvt",
    "j.jjjjef..pmdznuvt",
    "e.eeeeef..pmdznuvt",
    "f.fffffff.ffzzffff",
    ".......f..pmdznuvt",
    "..................",
    "p.pppppfp.n...pppp",
    "m.mmmmmfm..i..pppp",
    "d.dddddzd...i.pppp",
    "z.zzzzzzz....fpzzz",
    "n.nnnnnfn.ppppnnnn",
    "u.uuuuufu.pppznuvt",
    "v.vvvvvfv.pppznvvt",
    "t.tttttft.pppznttt",
];

const SUB: [&str; 18] = [
    "i.iiijefi.pmdznuvt",
    "..................",
    "i.iiijefi.pmdznuvt",
    "i.iiijefi.pmdznuvt",
    "i.iiijefi.pmdznuvt",
    "j.jjjjefj.pmdznuvt",
    "e.eeeeefe.pmdznuvt",
    "f.fffffff.ffzzffff",
    ".......f..pmdznuvt",
    "..................",
    "p.pppppfp.n...pppp",
    "m.mmmmmfm..i..pppp",
    "d.dddddzd...i.pppp",
    "z.zzzzzzz....fpzzz",
    "n.nnnnnfn.ppppnnnn",
    "u.uuuuufu.pppznuvt",
    "v.vvvvvfv.pppznvvt",
    "t.tttttft.pppznttt",
];

const MUL: [&str; 18] = [
    "i.iiijef..pmdznuvt",
    "..................",
    "i.iiijef..pmdznuvt",
    "i.iiijef..pmdznuvt",
    "i.iiijef..pmdznuvt",
    "j.jjjjef..pmdznuvt",
    "e.eeeeef..pmdznuvt",
    "f.fffffff.ffzzffff",
    ".......f..pmdznuvt",
    "..................",
    "p.pppppfp.........",
    "m.mmmmmfm.........",
    "d.dddddzd.........",
    "z.zzzzzzz.........",
    "n.nnnnnfn.........",
    "u.uuuuufu.........",
    "v.vvvvvfv.........",
    "t.tttttft.........",
];

fn letter_index(t: QType) -> Option<usize> {
    // Position in LETTERS by type number (1..=19; there is no type 3).
    const BY_TYPE: [u8; 20] =
        [255, 0, 1, 255, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
    let i = *BY_TYPE.get(usize::from(t.vector().code().unsigned_abs()))?;
    (i != 255).then_some(usize::from(i))
}

fn table_type(table: &[&str; 18], a: QType, b: QType) -> QResult<QType> {
    let (i, j) = (letter_index(a).ok_or(QError::Type)?, letter_index(b).ok_or(QError::Type)?);
    let c = table[i].as_bytes().get(j).copied().unwrap_or(b'.');
    if c == b'.' {
        return Err(QError::Type);
    }
    QType::from_letter(c as char).map(QType::atom).ok_or(QError::Type)
}

/// The four arithmetic operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
}

/// An integer operation where a null operand gives null (`1+0N` is `0N`); otherwise the
/// operation wraps, so `0W+1` is `0N` too.
#[inline]
fn null_or<T: Copy + PartialEq>(null: T, f: fn(T, T) -> T) -> impl Fn(T, T) -> T {
    move |p, q| if p == null || q == null { null } else { f(p, q) }
}

fn check_len(a: &Value, b: &Value) -> QResult<()> {
    if let (Some(x), Some(y)) = (vec_len(a), vec_len(b)) {
        if x != y {
            return Err(QError::Length);
        }
    }
    Ok(())
}

fn vec_len(v: &Value) -> Option<usize> {
    match v {
        Value::Vector(x) => Some(x.len()),
        _ => None,
    }
}

fn simple_arith(op: Op, a: &Value, b: &Value) -> QResult<Value> {
    let table = match op {
        Op::Add => &ADD,
        Op::Sub => &SUB,
        Op::Mul => &MUL,
    };
    let rt = table_type(table, a.qtype().atom(), b.qtype().atom())?;
    check_len(a, b)?;
    let unit = unit_of(rt);
    let t = QError::Type;
    match rt.code() {
        -6 | -13 | -14 | -17 | -18 | -19 => {
            let (x, y) = (lane_i32(a, unit).ok_or(t.clone())?, lane_i32(b, unit).ok_or(t)?);
            Ok(from_i32(
                rt,
                match op {
                    Op::Add => zip(&x, &y, null_or(i32::MIN, i32::wrapping_add)),
                    Op::Sub => zip(&x, &y, null_or(i32::MIN, i32::wrapping_sub)),
                    Op::Mul => zip(&x, &y, null_or(i32::MIN, i32::wrapping_mul)),
                },
            ))
        }
        -7 | -12 | -16 => {
            let (x, y) = (lane_i64(a, unit).ok_or(t.clone())?, lane_i64(b, unit).ok_or(t)?);
            Ok(from_i64(
                rt,
                match op {
                    Op::Add => zip(&x, &y, null_or(i64::MIN, i64::wrapping_add)),
                    Op::Sub => zip(&x, &y, null_or(i64::MIN, i64::wrapping_sub)),
                    Op::Mul => zip(&x, &y, null_or(i64::MIN, i64::wrapping_mul)),
                },
            ))
        }
        -9 | -15 => {
            let (x, y) = (lane_f64(a, unit).ok_or(t.clone())?, lane_f64(b, unit).ok_or(t)?);
            Ok(from_f64(
                rt,
                match op {
                    Op::Add => zip(&x, &y, |p, q| p + q),
                    Op::Sub => zip(&x, &y, |p, q| p - q),
                    Op::Mul => zip(&x, &y, |p, q| p * q),
                },
            ))
        }
        -8 => {
            let (x, y) = (lane_f32(a).ok_or(t.clone())?, lane_f32(b).ok_or(t)?);
            Ok(from_f32(match op {
                Op::Add => zip(&x, &y, |p, q| p + q),
                Op::Sub => zip(&x, &y, |p, q| p - q),
                Op::Mul => zip(&x, &y, |p, q| p * q),
            }))
        }
        _ => Err(QError::Type),
    }
}

/// `x+y`, `x-y`, `x*y`.
pub fn arith(op: Op, a: &Value, b: &Value) -> QResult<Value> {
    // Atom pairs of the commonest types skip the general machinery.
    let f = |x: f64, y: f64| match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
    };
    match (a, b) {
        (Value::Long(x), Value::Long(y)) if *x != i64::MIN && *y != i64::MIN => {
            return Ok(Value::Long(match op {
                Op::Add => x.wrapping_add(*y),
                Op::Sub => x.wrapping_sub(*y),
                Op::Mul => x.wrapping_mul(*y),
            }))
        }
        (Value::Float(x), Value::Float(y)) => return Ok(Value::Float(f(*x, *y))),
        (Value::Long(x), Value::Float(y)) if *x != i64::MIN && x.unsigned_abs() < 1 << 53 => {
            return Ok(Value::Float(f(*x as f64, *y)))
        }
        (Value::Float(x), Value::Long(y)) if *y != i64::MIN && y.unsigned_abs() < 1 << 53 => {
            return Ok(Value::Float(f(*x, *y as f64)))
        }
        (Value::Dict(x), Value::Dict(y))
            if op == Op::Sub && !x.is_keyed_table() && !y.is_keyed_table() =>
        {
            // Keys only on the right are subtracted from nothing: they come out negated.
            let r = atomic2(a, b, &|x, y| simple_arith(op, x, y))?;
            let n = x.keys.count();
            let Value::Dict(rd) = &r else { return Ok(r) };
            if rd.keys.count() <= n {
                return Ok(r);
            }
            let mut vals = crate::atomic::items(&rd.values).ok_or(QError::Type)?;
            for v in vals.iter_mut().skip(n) {
                *v = neg(v)?;
            }
            return Value::dict(rd.keys.clone(), crate::atomic::collapse(vals));
        }
        _ => {}
    }
    atomic2(a, b, &|x, y| simple_arith(op, x, y))
}

fn numeric_or_temporal(t: QType) -> bool {
    matches!(t.atom().code(), -1 | -9..=-4 | -19..=-12)
}

/// `x%y`: always float.
pub fn divide(a: &Value, b: &Value) -> QResult<Value> {
    atomic2(a, b, &|x, y| {
        if !numeric_or_temporal(x.qtype()) && x.qtype().atom().code() != -10
            || !numeric_or_temporal(y.qtype()) && y.qtype().atom().code() != -10
        {
            return Err(QError::Type);
        }
        check_len(x, y)?;
        let (p, q) = (
            lane_f64(x, Unit::None).ok_or(QError::Type)?,
            lane_f64(y, Unit::None).ok_or(QError::Type)?,
        );
        Ok(from_f64(QType::FLOAT, zip(&p, &q, |m, n| m / n)))
    })
}

/// `neg x`.
pub fn neg(a: &Value) -> QResult<Value> {
    atomic1(a, &|x| {
        let t = x.qtype().atom();
        match t.code() {
            -1 | -4 | -6 => {
                let l = lane_i32(x, Unit::None).ok_or(QError::Type)?;
                Ok(from_i32(QType::INT.atom(), unary(&l, i32::wrapping_neg)))
            }
            -5 => {
                let l = lane_i64(x, Unit::None).ok_or(QError::Type)?;
                let r = unary(&l, |v| if v == i64::MIN { v } else { -v });
                Ok(match r {
                    Ok(v) => Value::Short(if v == i64::MIN { i16::MIN } else { v as i16 }),
                    Err(vs) => {
                        let s: Vec<i16> = vs
                            .iter()
                            .map(|&v| if v == i64::MIN { i16::MIN } else { v as i16 })
                            .collect();
                        Value::Vector(fq_value::Vector::shorts(&s))
                    }
                })
            }
            -13 | -14 | -17 | -18 | -19 => {
                let l = lane_i32(x, unit_of(t)).ok_or(QError::Type)?;
                Ok(from_i32(t, unary(&l, i32::wrapping_neg)))
            }
            -7 | -12 | -16 => {
                let l = lane_i64(x, unit_of(t)).ok_or(QError::Type)?;
                Ok(from_i64(t, unary(&l, i64::wrapping_neg)))
            }
            -8 => Ok(from_f32(unary(&lane_f32(x).ok_or(QError::Type)?, |v| -v))),
            -9 | -15 => {
                Ok(from_f64(t, unary(&lane_f64(x, unit_of(t)).ok_or(QError::Type)?, |v| -v)))
            }
            _ => Err(QError::Type),
        }
    })
}

/// Map a lane with a unary function.
pub fn unary<T: Copy, R>(l: &Lane<'_, T>, f: impl Fn(T) -> R) -> Result<R, Vec<R>> {
    match l {
        Lane::Atom(x) => Ok(f(*x)),
        Lane::Items(xs) => Err(xs.iter().map(|&x| f(x)).collect()),
    }
}

/// Result type of `&` / `|` (min / max): the common type, booleans staying boolean.
fn minmax_type(a: QType, b: QType) -> QResult<QType> {
    if a == b {
        return Ok(a);
    }
    // A char with a boolean or a number is a char (`98|"a"` is "b").
    let numeric = |t: QType| matches!(t.code(), -1 | -9..=-4);
    if (a.code() == -10 && numeric(b)) || (b.code() == -10 && numeric(a)) {
        return Ok(QType::CHAR.atom());
    }
    table_type(&ADD, a, b)
}

/// Chars as bytes, so the integer lanes read them.
fn char_codes(v: &Value) -> Option<Value> {
    match v {
        Value::Char(c) => Some(Value::Byte(*c)),
        Value::Vector(c) if c.ty() == QType::CHAR => {
            Some(Value::Vector(fq_value::Vector::bytes(c.as_bytes())))
        }
        _ => None,
    }
}

/// `x&y` (and / lesser) and `x|y` (or / greater).
pub fn minmax(max: bool, a: &Value, b: &Value) -> QResult<Value> {
    atomic2(a, b, &|x, y| {
        let (ta, tb) = (x.qtype().atom(), y.qtype().atom());
        let rt = minmax_type(ta, tb)?;
        check_len(x, y)?;
        let (xc, yc) = if rt.code() == -10 { (char_codes(x), char_codes(y)) } else { (None, None) };
        let (x, y) = (xc.as_ref().unwrap_or(x), yc.as_ref().unwrap_or(y));
        let unit = unit_of(rt);
        match rt.code() {
            -1 => {
                let (p, q) = (
                    lane_i32(x, unit).ok_or(QError::Type)?,
                    lane_i32(y, unit).ok_or(QError::Type)?,
                );
                Ok(from_bool(zip(&p, &q, |m, n| if max { m.max(n) != 0 } else { m.min(n) != 0 })))
            }
            -4 | -10 => {
                let (p, q) = (
                    lane_i64(x, unit).ok_or(QError::Type)?,
                    lane_i64(y, unit).ok_or(QError::Type)?,
                );
                let r = zip(&p, &q, |m, n| if max { m.max(n) } else { m.min(n) });
                Ok(match r {
                    Ok(v) => {
                        if rt.code() == -4 {
                            Value::Byte(v as u8)
                        } else {
                            Value::Char(v as u8)
                        }
                    }
                    Err(vs) => {
                        let b: Vec<u8> = vs.iter().map(|&v| v as u8).collect();
                        Value::Vector(fq_value::Vector::new(rt.vector(), &b))
                    }
                })
            }
            -5 => {
                let (p, q) = (
                    lane_i64(x, unit).ok_or(QError::Type)?,
                    lane_i64(y, unit).ok_or(QError::Type)?,
                );
                let r = zip(&p, &q, |m, n| if max { m.max(n) } else { m.min(n) });
                let narrow = |v: i64| {
                    if v == i64::MIN {
                        i16::MIN
                    } else if v == i64::MAX {
                        i16::MAX
                    } else {
                        v as i16
                    }
                };
                Ok(match r {
                    Ok(v) => Value::Short(narrow(v)),
                    Err(vs) => Value::Vector(fq_value::Vector::shorts(
                        &vs.iter().map(|&v| narrow(v)).collect::<Vec<_>>(),
                    )),
                })
            }
            -6 | -13 | -14 | -17 | -18 | -19 => {
                let (p, q) = (
                    lane_i32(x, unit).ok_or(QError::Type)?,
                    lane_i32(y, unit).ok_or(QError::Type)?,
                );
                Ok(from_i32(rt, zip(&p, &q, |m, n| if max { m.max(n) } else { m.min(n) })))
            }
            -7 | -12 | -16 => {
                let (p, q) = (
                    lane_i64(x, unit).ok_or(QError::Type)?,
                    lane_i64(y, unit).ok_or(QError::Type)?,
                );
                Ok(from_i64(rt, zip(&p, &q, |m, n| if max { m.max(n) } else { m.min(n) })))
            }
            -8 => {
                let (p, q) = (lane_f32(x).ok_or(QError::Type)?, lane_f32(y).ok_or(QError::Type)?);
                Ok(from_f32(zip(&p, &q, |m, n| fminmax(max, f64::from(m), f64::from(n)) as f32)))
            }
            -9 | -15 => {
                let (p, q) = (
                    lane_f64(x, unit).ok_or(QError::Type)?,
                    lane_f64(y, unit).ok_or(QError::Type)?,
                );
                Ok(from_f64(rt, zip(&p, &q, |m, n| fminmax(max, m, n))))
            }
            _ => Err(QError::Type),
        }
    })
}

/// Min/max with q's ordering, where a float null is below every number.
fn fminmax(max: bool, a: f64, b: f64) -> f64 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => a,
        (true, false) => {
            if max {
                b
            } else {
                a
            }
        }
        (false, true) => {
            if max {
                a
            } else {
                b
            }
        }
        _ => {
            if max {
                a.max(b)
            } else {
                a.min(b)
            }
        }
    }
}

/// `x mod y` and `x div y`: integer results floor toward negative infinity.
pub fn moddiv(is_mod: bool, a: &Value, b: &Value) -> QResult<Value> {
    atomic2(a, b, &|x, y| {
        // Chars divide by their codes.
        let (xb, yb) = (char_codes(x), char_codes(y));
        let (x, y) = (xb.as_ref().unwrap_or(x), yb.as_ref().unwrap_or(y));
        let (ta, tb) = (x.qtype().atom(), y.qtype().atom());
        check_len(x, y)?;
        let floaty = |t: QType| matches!(t.code(), -8 | -9 | -15);
        if floaty(ta) || floaty(tb) {
            let (p, q) = (
                lane_f64(x, Unit::None).ok_or(QError::Type)?,
                lane_f64(y, Unit::None).ok_or(QError::Type)?,
            );
            return Ok(from_f64(
                QType::FLOAT,
                zip(&p, &q, |m, n| if is_mod { m - n * (m / n).floor() } else { (m / n).floor() }),
            ));
        }
        let mut rt = table_type(&ADD, ta, tb)?;
        if !is_mod {
            // div keeps the type of its left argument; booleans, bytes, chars and shorts
            // give ints.
            rt = match ta.code() {
                -1 | -4 | -5 | -6 => QType::INT.atom(),
                -7 => QType::LONG.atom(),
                _ => rt,
            };
        }
        let (p, q) = (
            lane_i64(x, Unit::None).ok_or(QError::Type)?,
            lane_i64(y, Unit::None).ok_or(QError::Type)?,
        );
        let r = zip(&p, &q, |m, n| {
            if n == 0 || m == i64::MIN || n == i64::MIN {
                return i64::MIN;
            }
            let (quot, rem) = (m.wrapping_div(n), m.wrapping_rem(n));
            let adjust = rem != 0 && ((rem < 0) != (n < 0));
            if is_mod {
                if adjust {
                    rem + n
                } else {
                    rem
                }
            } else if adjust {
                quot - 1
            } else {
                quot
            }
        });
        Ok(match rt.code() {
            -6 | -13 | -14 | -17 | -18 | -19 | -5 | -1 | -4 => match r {
                Ok(v) => from_i32(
                    if rt.code() > -6 { QType::INT.atom() } else { rt },
                    Ok(if v == i64::MIN { i32::MIN } else { v as i32 }),
                ),
                Err(vs) => from_i32(
                    if rt.code() > -6 { QType::INT.atom() } else { rt },
                    Err(vs
                        .iter()
                        .map(|&v| if v == i64::MIN { i32::MIN } else { v as i32 })
                        .collect()),
                ),
            },
            _ => from_i64(rt, r),
        })
    })
}
