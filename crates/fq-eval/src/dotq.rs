//! The `.Q` namespace (KX ref: dotq): the basic utilities, materialised on first read.
//!
//! Constants (`.Q.a .Q.A .Q.n .Q.nA .Q.an .Q.b6 .Q.t`) are plain values. Functions are
//! lambdas in context `.Q`: the ones q.k writes in q are q here too (`.Q.fmt`,
//! `.Q.addmonths`, `.Q.qt`); the rest call ferroq's own internal functions `-1000!x`…
//! (the codes below), as q.k's do kdb+'s (`.Q.s1` is `-3!x`). A user's assignment to a
//! `.Q` name takes precedence, since globals are looked up first.

use crate::interp::Interp;
use fq_value::{Lambda, QError, QResult, QType, Sym, Table, Value, Vector, GENERIC_NULL};
use std::sync::Arc;

const A_LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const A_UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const N: &str = "0123456789";
const NA: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const AN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
const B6: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// Type letters by type number (20: enumerations display as symbols).
const T: &str = " bg xhijefcspmdznuvts";

/// ferroq's internal functions behind `.Q`, as `-n!x`.
const NATIVE_S: i64 = -1000;
const NATIVE_F: i64 = -1001;
const NATIVE_X10: i64 = -1002;
const NATIVE_J10: i64 = -1003;
const NATIVE_X12: i64 = -1004;
const NATIVE_J12: i64 = -1005;
const NATIVE_ID: i64 = -1006;
const NATIVE_TY: i64 = -1007;
const NATIVE_BTOA: i64 = -1008;
const NATIVE_ATOB: i64 = -1009;

/// Lambdas by name (without the `.Q.` prefix).
static LAMBDAS: &[(&str, &str)] = &[
    ("s", "{-1000!x}"),
    ("s1", "{-3!x}"),
    ("f", "{-1001!(x;y)}"),
    ("fmt", "{$[x<count y:.Q.f[y;z];x#\"*\";neg[x]$y]}"),
    ("addmonths", "{(\"d\"$m+y)+x-\"d\"$m:\"m\"$x}"),
    ("x10", "{-1002!x}"),
    ("j10", "{-1003!x}"),
    ("x12", "{-1004!x}"),
    ("j12", "{-1005!x}"),
    ("id", "{-1006!x}"),
    ("ty", "{-1007!x}"),
    ("btoa", "{-1008!x}"),
    ("atob", "{-1009!x}"),
    ("qt", "{$[99h=type x;98h=type key x;98h=type x]}"),
    // Parallel on cut: `x` (atomic) on one piece of `y` per secondary thread.
    // Memory stats (`\w`, `\w 0`) as a dictionary, as q.k defines it.
    ("w", "{`used`heap`peak`wmax`mmap`mphy`syms`symw!(system\"w\"),system\"w 0\"}"),
    ("fc", "{n:system\"s\";$[(n>0)&1<c:count y;raze x peach(ceiling c%n)cut y;x y]}"),
];

/// The value of `.Q.name`, if ferroq defines it.
pub fn var(s: Sym) -> Option<Value> {
    #[cfg(feature = "arrow")]
    if let Some(v) = crate::arrowq::var(s) {
        return Some(v);
    }
    let name = s.as_bytes().strip_prefix(b".Q.")?;
    let name = std::str::from_utf8(name).ok()?;
    let text = match name {
        "a" => A_LOWER,
        "A" => A_UPPER,
        "n" => N,
        "nA" => NA,
        "an" => AN,
        "b6" => B6,
        "t" => T,
        _ => {
            let (_, src) = LAMBDAS.iter().find(|(n, _)| *n == name)?;
            return Some(Value::Lambda(Arc::new(Lambda::new(Sym::new(".Q"), *src))));
        }
    };
    Some(Value::string(text))
}

/// `x!y`, with ferroq's internal functions for `.Q` taken out first.
pub fn bang(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    #[cfg(feature = "arrow")]
    if let Value::Long(n @ crate::arrowq::FIRST..=crate::arrowq::LAST) = x {
        return crate::arrowq::call(i, n, y);
    }
    if let Value::Long(crate::doth::NATIVE) = x {
        return crate::doth::call(i, y);
    }
    if let Value::Long(n @ crate::dotfq::RESET_PEAK) = x {
        return crate::dotfq::call(i, n, y);
    }
    let Value::Long(n @ -1009..=-1000) = x else { return crate::prims::list::bang(i, x, y) };
    match n {
        NATIVE_S => Ok(Value::string(&console_text(i, &y))),
        NATIVE_F => {
            let (d, v) = pair(&y)?;
            let d = crate::convert::atom_i64(&d).ok_or(QError::Type)?;
            let v = number(&v)?;
            Ok(Value::string(&fixed(i, d, v)))
        }
        NATIVE_X10 => encode(&y, B6.as_bytes(), 10),
        NATIVE_X12 => encode(&y, NA.as_bytes(), 12),
        NATIVE_J10 => decode(&y, B6.as_bytes()),
        NATIVE_J12 => decode(&y, NA.as_bytes()),
        NATIVE_ID => id(&y),
        NATIVE_TY => ty(&y),
        NATIVE_BTOA => Ok(Value::string(&btoa(text_bytes(&y)?))),
        NATIVE_ATOB => Ok(Value::Vector(Vector::bytes(&atob(text_bytes(&y)?)?))),
        _ => Err(QError::Nyi),
    }
}

fn pair(y: &Value) -> QResult<(Value, Value)> {
    match crate::atomic::items(y) {
        Some(v) if v.len() == 2 => {
            let mut it = v.into_iter();
            Ok((it.next().unwrap_or(GENERIC_NULL), it.next().unwrap_or(GENERIC_NULL)))
        }
        _ => Err(QError::Rank),
    }
}

fn settings(i: &Interp) -> fq_format::Settings {
    fq_format::Settings {
        rows: i.console.rows,
        cols: i.console.cols,
        precision: i.console.precision,
    }
}

/// `.Q.s x`: the console's text for `x`, each line ended by a newline.
fn console_text(i: &Interp, x: &Value) -> String {
    if x.is_generic_null() {
        return String::new();
    }
    let mut s = fq_format::show(x, &settings(i));
    s.push('\n');
    s
}

fn number(v: &Value) -> QResult<f64> {
    Ok(match v {
        Value::Real(x) => f64::from(*x),
        Value::Float(x) => *x,
        Value::Short(i16::MIN) | Value::Int(i32::MIN) | Value::Long(i64::MIN) => f64::NAN,
        v => crate::convert::atom_i64(v).ok_or(QError::Type)? as f64,
    })
}

/// `.Q.f[d;v]`: `v` with `d` decimals (q.k: scale by `10` `d` times, round, then place
/// the point; `$v` when the scaled value reaches 9e15).
fn fixed(i: &Interp, d: i64, v: f64) -> String {
    if v.is_nan() {
        return String::new();
    }
    if v < 0.0 {
        return format!("-{}", fixed(i, d, -v));
    }
    if v < 1.0 {
        return fixed(i, d, 10.0 + v)[1..].to_string();
    }
    let mut j = v;
    for _ in 0..d.max(0) {
        j *= 10.0;
        if j >= 9e15 {
            break;
        }
    }
    if j < 9e15 {
        let s = (j.round() as i64).to_string();
        let k = s.len().saturating_sub(d.max(0) as usize);
        return format!("{}.{}", &s[..k], &s[k..]);
    }
    fq_format::atom_text(&Value::Float(v), &settings(i))
}

/// `.Q.x10`/`.Q.x12`: a long as `width` digits of `alphabet`; atomic over lists.
fn encode(y: &Value, alphabet: &[u8], width: usize) -> QResult<Value> {
    if let Some(n) = crate::convert::atom_i64(y) {
        let base = alphabet.len() as i64;
        let mut out = vec![0u8; width];
        let mut n = n;
        for slot in out.iter_mut().rev() {
            *slot = alphabet[n.rem_euclid(base) as usize];
            n = n.div_euclid(base);
        }
        return Ok(Value::Vector(Vector::chars(&out)));
    }
    let items = crate::atomic::items(y).ok_or(QError::Type)?;
    let out: QResult<Vec<Value>> = items.iter().map(|a| encode(a, alphabet, width)).collect();
    Ok(Value::list(out?))
}

/// `.Q.j10`/`.Q.j12`: a string of `alphabet` digits as a long; atomic over strings.
fn decode(y: &Value, alphabet: &[u8]) -> QResult<Value> {
    let digits = |b: &[u8]| -> i64 {
        let base = alphabet.len() as i64;
        b.iter().fold(0i64, |acc, c| {
            let d = alphabet.iter().position(|a| a == c).unwrap_or(alphabet.len());
            acc.wrapping_mul(base).wrapping_add(d as i64)
        })
    };
    match y {
        Value::Vector(v) if v.ty() == QType::CHAR => Ok(Value::Long(digits(v.as_bytes()))),
        Value::Char(c) => Ok(Value::Long(digits(&[*c]))),
        Value::List(l) => {
            let out: QResult<Vec<Value>> = l.items().iter().map(|a| decode(a, alphabet)).collect();
            Ok(crate::atomic::collapse(out?))
        }
        _ => Err(QError::Type),
    }
}

/// A name made a valid q name: only `.Q.an` characters kept, and an `a` in front when
/// nothing is left or it starts with a digit or `_`.
fn clean_name(s: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = s.iter().copied().filter(|c| AN.as_bytes().contains(c)).collect();
    if out.first().is_none_or(|c| c.is_ascii_digit() || *c == b'_') {
        out.insert(0, b'a');
    }
    out
}

fn reserved(name: &[u8]) -> bool {
    const CONTROL: [&str; 7] = ["do", "if", "while", "select", "exec", "update", "delete"];
    let Ok(s) = std::str::from_utf8(name) else { return false };
    CONTROL.contains(&s) || crate::prims::keyword(s).is_some()
}

/// Column names cleaned, keywords suffixed with `1`, repeats numbered (`a`, `a1`, `a2`).
fn clean_columns(names: &[Sym]) -> Vec<Sym> {
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(names.len());
    for n in names {
        let mut c = clean_name(n.as_bytes());
        if reserved(&c) {
            c.push(b'1');
        }
        if out.contains(&c) {
            let mut k = 1;
            loop {
                let mut t = c.clone();
                t.extend_from_slice(k.to_string().as_bytes());
                if !out.contains(&t) {
                    c = t;
                    break;
                }
                k += 1;
            }
        }
        out.push(c);
    }
    out.iter().map(|b| Sym::from_bytes(b)).collect()
}

fn syms_of(v: &Value) -> Option<Vec<Sym>> {
    match v {
        Value::Vector(x) if x.ty() == QType::SYMBOL => Some(x.as_slice::<Sym>().to_vec()),
        _ => None,
    }
}

/// `.Q.id x`: a symbol, or a table's or dictionary's names, sanitised.
fn id(y: &Value) -> QResult<Value> {
    match y {
        Value::Symbol(s) => Ok(Value::Symbol(Sym::from_bytes(&clean_name(s.as_bytes())))),
        Value::Table(t) => {
            let names = syms_of(&Value::Vector(t.names().clone())).ok_or(QError::Type)?;
            let names = Vector::syms(&clean_columns(&names));
            Ok(Value::Table(Arc::new(Table::new(names, t.columns().to_vec())?)))
        }
        Value::Dict(d) => match (&d.keys, &d.values) {
            (Value::Table(_), Value::Table(_)) => Value::dict(id(&d.keys)?, id(&d.values)?),
            (k, v) => {
                let names = syms_of(k).ok_or(QError::Type)?;
                Value::dict(Value::Vector(Vector::syms(&clean_columns(&names))), v.clone())
            }
        },
        _ => Err(QError::Type),
    }
}

/// `.Q.ty x`: the type letter of a vector, upper case for a list of vectors of one type,
/// else a blank.
fn ty(y: &Value) -> QResult<Value> {
    let letter = |code: i16| -> u8 {
        T.as_bytes().get(code.unsigned_abs() as usize).copied().unwrap_or(b' ')
    };
    Ok(Value::Char(match y {
        Value::Vector(v) => letter(v.ty().code()),
        Value::List(l) => {
            let codes: Vec<i16> = l.items().iter().map(|a| a.qtype().code()).collect();
            match codes.first() {
                Some(&c) if c > 0 && c < 20 && codes.iter().all(|&k| k == c) => {
                    letter(c).to_ascii_uppercase()
                }
                _ => b' ',
            }
        }
        a if a.is_atom() => letter(a.qtype().code()),
        _ => b' ',
    }))
}

/// The bytes of a string or byte vector.
fn text_bytes(y: &Value) -> QResult<&[u8]> {
    match y {
        Value::Vector(v) if matches!(v.ty().code(), 4 | 10) => Ok(v.as_bytes()),
        _ => Err(QError::Type),
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `.Q.btoa`: base64 with padding.
fn btoa(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n =
            chunk.iter().enumerate().fold(0u32, |acc, (k, &c)| acc | u32::from(c) << (16 - 8 * k));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[(n >> (18 - 6 * k) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `.Q.atob`: decode padded base64 (`'domain` when malformed).
fn atob(b: &[u8]) -> QResult<Vec<u8>> {
    if !b.len().is_multiple_of(4) {
        return Err(QError::Domain);
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (q, quad) in b.chunks(4).enumerate() {
        let last = q + 1 == b.len() / 4;
        let pad = quad.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(QError::Domain);
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            let d = B64.iter().position(|x| *x == c).ok_or(QError::Domain)?;
            n = n << 6 | d as u32;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}
