//! File Text `0:` (KX ref: file-text) and `read0`/`read1`: prepare, save and load text.
//!
//! - Prepare Text `delim 0: t`: a table (header first) or a list of columns as
//!   delimited lines ([`fq_format::text::delimited`]).
//! - Save Text `` `:file 0: lines ``: the lines, each ended by a newline, through the
//!   interpreter's host.
//! - Load CSV `(types;delim[;flag]) 0: y` and Load Fixed `(types;widths) 0: y`: `y` is a
//!   string, a list of strings, a file symbol or `(file;offset[;length])`; an enlisted
//!   delimiter reads the first record as column names and gives a table.
//! - Key-Value Pairs `"S=;" 0: string`.
//!
//! Loading is column-wise: each field is parsed straight into its column's typed buffer
//! (symbols through a per-column intern cache), so a million-row file does not allocate a
//! value per cell. Field parsing is `"X"$`'s ([`crate::prims::cast::tok_str`]), with fast
//! paths for plain integers, floats and symbols.

use crate::interp::Interp;
use crate::prims::cast::tok_str;
use fq_value::hash::FxHashMap;
use fq_value::{QError, QResult, QType, Sym, Table, Value, Vector};
use std::borrow::Cow;
use std::sync::Arc;

/// The interpreter's console settings, for `string`-style number text.
pub(crate) fn settings(i: &Interp) -> fq_format::Settings {
    fq_format::Settings {
        rows: i.console.rows,
        cols: i.console.cols,
        precision: i.console.precision,
    }
}

/// kdb+'s text for a failed file operation: `'path. OS reports: reason`.
fn os_error(path: &str, e: &std::io::Error) -> QError {
    use std::io::ErrorKind;
    let reason = match e.kind() {
        ErrorKind::NotFound => "No such file or directory".to_string(),
        ErrorKind::PermissionDenied => "Permission denied".to_string(),
        ErrorKind::IsADirectory => "Is a directory".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    QError::Signal(format!("{path}. OS reports: {reason}").into())
}

/// The path of a file symbol (`` `:a/b.csv `` or `` `a.csv ``).
fn file_path(v: &Value) -> Option<String> {
    match v {
        Value::Symbol(s) => {
            let b = s.as_bytes();
            let b = b.strip_prefix(b":").unwrap_or(b);
            Some(String::from_utf8_lossy(b).into_owned())
        }
        _ => None,
    }
}

fn read_file(i: &mut Interp, path: &str) -> QResult<Vec<u8>> {
    i.host.read_file(path).map_err(|e| os_error(path, &e))
}

/// A file's bytes, or `(file;offset[;length])`'s range of them.
fn file_bytes(i: &mut Interp, y: &Value) -> QResult<Option<Vec<u8>>> {
    if let Some(p) = file_path(y) {
        return read_file(i, &p).map(Some);
    }
    let Value::List(l) = y else { return Ok(None) };
    let items = l.items();
    if !(2..=3).contains(&items.len()) {
        return Ok(None);
    }
    let Some(p) = file_path(&items[0]) else { return Ok(None) };
    let off = crate::convert::atom_i64(&items[1]).ok_or(QError::Type)?;
    let len = match items.get(2) {
        Some(n) => Some(crate::convert::atom_i64(n).ok_or(QError::Type)?),
        None => None,
    };
    if off < 0 || len.is_some_and(|n| n < 0) {
        return Err(QError::Domain);
    }
    let data = read_file(i, &p)?;
    let start = (off as usize).min(data.len());
    let end = match len {
        Some(n) => start.saturating_add(n as usize).min(data.len()),
        None => data.len(),
    };
    Ok(Some(data[start..end].to_vec()))
}

/// The lines of text: split at LF, a CR before it removed, no empty line after a final LF.
fn split_lines(b: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = b.split(|c| *c == b'\n').collect();
    if out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    for l in &mut out {
        if let Some(s) = l.strip_suffix(b"\r") {
            *l = s;
        }
    }
    out
}

fn string_list(lines: &[&[u8]]) -> Value {
    Value::list(lines.iter().map(|l| Value::Vector(Vector::chars(l))).collect())
}

/// `read0 x`: a file's lines; `(file;offset[;length])` gives that range as a string.
pub fn read0(i: &mut Interp, x: Value) -> QResult<Value> {
    if let Some(p) = file_path(&x) {
        let data = read_file(i, &p)?;
        return Ok(string_list(&split_lines(&data)));
    }
    match file_bytes(i, &x)? {
        Some(mut data) => {
            if data.last() == Some(&b'\n') {
                data.pop();
            }
            Ok(Value::Vector(Vector::chars(&data)))
        }
        None => Err(QError::Type),
    }
}

/// `read1 x`: a file's bytes (or a range of them).
pub fn read1(i: &mut Interp, x: Value) -> QResult<Value> {
    match file_bytes(i, &x)? {
        Some(data) => Ok(Value::Vector(Vector::bytes(&data))),
        None => Err(QError::Type),
    }
}

/// `x 0: y`.
pub fn file_text(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    match &x {
        Value::Char(d) => prepare_text(i, *d, &y),
        Value::Symbol(_) => save_text(i, &x, &y),
        Value::Vector(v) if v.ty() == QType::CHAR => key_value(v.as_bytes(), &y),
        Value::List(l) if (2..=3).contains(&l.len()) => load(i, l.items(), &y),
        _ => Err(QError::Type),
    }
}

/// Prepare Text: `delim 0: y` for a table (keyed tables are unkeyed) or list of columns.
pub fn prepare_text(i: &Interp, delim: u8, y: &Value) -> QResult<Value> {
    let s = settings(i);
    let lines = match y {
        Value::Table(t) => {
            fq_format::text::delimited(delim, Some(t.names().as_slice()), t.columns(), &s)?
        }
        Value::Dict(d) => match (&d.keys, &d.values) {
            (Value::Table(k), Value::Table(v)) => {
                let mut names = k.names().as_slice::<Sym>().to_vec();
                names.extend_from_slice(v.names().as_slice::<Sym>());
                let mut cols = k.columns().to_vec();
                cols.extend_from_slice(v.columns());
                fq_format::text::delimited(delim, Some(&names), &cols, &s)?
            }
            _ => return Err(QError::Type),
        },
        Value::List(l) => fq_format::text::delimited(delim, None, l.items(), &s)?,
        _ => return Err(QError::Type),
    };
    Ok(Value::list(lines.into_iter().map(|l| Value::Vector(Vector::chars(&l))).collect()))
}

/// Save Text: `` `:file 0: lines ``, each line ended by a newline; gives the file symbol.
fn save_text(i: &mut Interp, x: &Value, y: &Value) -> QResult<Value> {
    let path = file_path(x).ok_or(QError::Type)?;
    let mut out = Vec::new();
    match y {
        Value::List(l) => {
            for item in l.items() {
                match item {
                    Value::Vector(v) if v.ty() == QType::CHAR => {
                        out.extend_from_slice(v.as_bytes())
                    }
                    Value::Char(c) => out.push(*c),
                    _ => return Err(QError::Type),
                }
                out.push(b'\n');
            }
        }
        _ => return Err(QError::Type),
    }
    i.host.write_file(&path, &out).map_err(|e| os_error(&path, &e))?;
    Ok(x.clone())
}

/// Key-Value Pairs: `"S=;" 0: "a=1;b=2"` (key type, field separator, `*` when values may
/// be quoted, record separator).
fn key_value(spec: &[u8], y: &Value) -> QResult<Value> {
    let (kt, fsep, quoted, rsep) = match spec {
        [k, f, r] => (*k, *f, false, *r),
        [k, f, b'*', r] => (*k, *f, true, *r),
        _ => return Err(QError::Length),
    };
    let key_type = match kt {
        b'S' => QType::SYMBOL,
        b'I' => QType::INT,
        b'J' => QType::LONG,
        _ => return Err(QError::Type),
    };
    let text: &[u8] = match y {
        Value::Vector(v) if v.ty() == QType::CHAR => v.as_bytes(),
        Value::Char(c) => std::slice::from_ref(c),
        _ => return Err(QError::Type),
    };
    let mut keys = Vec::new();
    let mut vals = Vec::new();
    let mut k = 0;
    while k < text.len() {
        // The key, up to the field separator.
        let kstart = k;
        while k < text.len() && text[k] != fsep && text[k] != rsep {
            k += 1;
        }
        if k >= text.len() || text[k] == rsep {
            // A record without a field separator is skipped.
            k += 1;
            continue;
        }
        let key = &text[kstart..k];
        k += 1;
        let mut val = Vec::new();
        if quoted && text.get(k) == Some(&b'"') {
            k += 1;
            while k < text.len() && text[k] != b'"' {
                val.push(text[k]);
                k += 1;
            }
            k += 1;
            while k < text.len() && text[k] != rsep {
                k += 1;
            }
        } else {
            while k < text.len() && text[k] != rsep {
                val.push(text[k]);
                k += 1;
            }
        }
        k += 1;
        keys.push(tok_str(key_type, key));
        vals.push(Value::Vector(Vector::chars(&val)));
    }
    let keys = if keys.is_empty() {
        Value::Vector(Vector::empty(key_type))
    } else {
        crate::atomic::collapse(keys)
    };
    Ok(Value::list(vec![keys, Value::list(vals)]))
}

/// One column being loaded, in its typed buffer.
enum Col {
    Skip,
    Bytes(QType, Vec<u8>),
    Short(Vec<i16>),
    I32(QType, Vec<i32>),
    I64(QType, Vec<i64>),
    Real(Vec<f32>),
    F64(QType, Vec<f64>),
    Guid(Vec<[u8; 16]>),
    Sym(Vec<Sym>, FxHashMap<Vec<u8>, Sym>),
    Str(Vec<Value>),
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| *c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|c| *c != b' ').map_or(start, |e| e + 1);
    &b[start..end]
}

/// A plain decimal integer (`-?[0-9]{1,18}`), else `None` for the general parser.
fn fast_int(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(if neg { -v } else { v })
}

/// A plain decimal float (digits, `.`, exponent), else `None` for the general parser.
fn fast_float(b: &[u8]) -> Option<f64> {
    if b.is_empty()
        || !b.iter().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
        || !b.iter().any(u8::is_ascii_digit)
    {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Forms Load Fixed meets in fixed-format records that `"X"$` does not read: a date
/// written `dd Mon yyyy` (as in RFC 822 timestamps), and a signed time of day or zone
/// offset (`+0900`, `-0500`), which reads as a time that may be negative. Gives the
/// rewritten field and whether its value is to be negated.
fn alternative_form(t: QType, f: &[u8]) -> Option<(Vec<u8>, bool)> {
    match t.code() {
        14 | 15 | 12 => {
            // `dd Mon yyyy[ rest]` → `ddMonyyyy[ rest]`.
            let sp1 = f.iter().position(|c| *c == b' ')?;
            let sp2 = sp1 + 1 + f[sp1 + 1..].iter().position(|c| *c == b' ')?;
            let (d, m) = (&f[..sp1], &f[sp1 + 1..sp2]);
            if d.is_empty() || d.len() > 2 || !d.iter().all(u8::is_ascii_digit) || m.len() != 3 {
                return None;
            }
            let mut out = Vec::with_capacity(f.len());
            if d.len() == 1 {
                out.push(b'0');
            }
            out.extend_from_slice(d);
            out.extend_from_slice(m);
            out.extend_from_slice(&f[sp2 + 1..]);
            Some((out, false))
        }
        16..=19 => match f.split_first() {
            Some((b'+', rest)) => Some((rest.to_vec(), false)),
            Some((b'-', rest)) if !rest.contains(&b'D') => Some((rest.to_vec(), true)),
            _ => None,
        },
        _ => None,
    }
}

/// The negation of a time-like atom read from a `-`-prefixed field.
fn negate(a: &Value) -> Option<Value> {
    Some(match a {
        Value::Time(x) if *x != i32::MIN => Value::Time(-x),
        Value::Second(x) if *x != i32::MIN => Value::Second(-x),
        Value::Minute(x) if *x != i32::MIN => Value::Minute(-x),
        _ => return None,
    })
}

impl Col {
    fn new(t: u8, rows: usize) -> QResult<Col> {
        let ty = |c: char| QType::from_letter(c).ok_or(QError::Type);
        Ok(match t {
            b' ' => Col::Skip,
            b'*' => Col::Str(Vec::with_capacity(rows)),
            b'B' | b'X' | b'C' => {
                Col::Bytes(ty(char::from(t.to_ascii_lowercase()))?, Vec::with_capacity(rows))
            }
            b'G' => Col::Guid(Vec::with_capacity(rows)),
            b'H' => Col::Short(Vec::with_capacity(rows)),
            b'I' | b'M' | b'D' | b'U' | b'V' | b'T' => {
                Col::I32(ty(char::from(t.to_ascii_lowercase()))?, Vec::with_capacity(rows))
            }
            b'J' | b'P' | b'N' => {
                Col::I64(ty(char::from(t.to_ascii_lowercase()))?, Vec::with_capacity(rows))
            }
            b'E' => Col::Real(Vec::with_capacity(rows)),
            b'F' | b'Z' => {
                Col::F64(ty(char::from(t.to_ascii_lowercase()))?, Vec::with_capacity(rows))
            }
            b'S' => Col::Sym(Vec::with_capacity(rows), FxHashMap::default()),
            _ => return Err(QError::Type),
        })
    }

    /// Parse one field into the column.
    fn push(&mut self, field: &[u8]) {
        match self {
            Col::Skip => {}
            Col::Str(v) => v.push(Value::Vector(Vector::chars(field))),
            Col::Bytes(t, v) if *t == QType::CHAR => v.push(field.first().copied().unwrap_or(b' ')),
            Col::Sym(v, cache) => {
                let f = trim(field);
                let s = match cache.get(f) {
                    Some(s) => *s,
                    None => {
                        let s = Sym::from_bytes(f);
                        cache.insert(f.to_vec(), s);
                        s
                    }
                };
                v.push(s);
            }
            Col::I64(t, v) if *t == QType::LONG => {
                let f = trim(field);
                let x = if f.is_empty() { Some(i64::MIN) } else { fast_int(f) };
                v.push(match x {
                    Some(x) => x,
                    None => match tok_str(QType::LONG, f) {
                        Value::Long(x) => x,
                        _ => i64::MIN,
                    },
                });
            }
            Col::I32(t, v) if *t == QType::INT => {
                let f = trim(field);
                let x = if f.is_empty() {
                    Some(i32::MIN)
                } else {
                    fast_int(f).and_then(|x| i32::try_from(x).ok()).filter(|x| *x != i32::MIN)
                };
                v.push(match x {
                    Some(x) => x,
                    None => match tok_str(QType::INT, f) {
                        Value::Int(x) => x,
                        _ => i32::MIN,
                    },
                });
            }
            Col::F64(t, v) if *t == QType::FLOAT => {
                let f = trim(field);
                let x = if f.is_empty() { Some(f64::NAN) } else { fast_float(f) };
                v.push(match x {
                    Some(x) => x,
                    None => match tok_str(QType::FLOAT, f) {
                        Value::Float(x) => x,
                        _ => f64::NAN,
                    },
                });
            }
            col => col.push_general(field),
        }
    }

    /// Parse with `"X"$`'s rules and store the atom.
    fn push_general(&mut self, field: &[u8]) {
        let t = match self {
            Col::Bytes(t, _) | Col::I32(t, _) | Col::I64(t, _) | Col::F64(t, _) => *t,
            Col::Short(_) => QType::SHORT,
            Col::Real(_) => QType::REAL,
            Col::Guid(_) => QType::GUID,
            _ => return,
        };
        let mut a = tok_str(t, field);
        if a.is_null() {
            if let Some((b, neg)) = alternative_form(t, trim(field)) {
                a = tok_str(t, &b);
                if neg {
                    a = negate(&a).unwrap_or(a);
                }
            }
        }
        match (self, a) {
            (Col::Bytes(_, v), Value::Bool(b)) => v.push(u8::from(b)),
            (Col::Bytes(_, v), Value::Byte(b)) => v.push(b),
            (Col::Short(v), Value::Short(x)) => v.push(x),
            (
                Col::I32(_, v),
                Value::Int(x)
                | Value::Month(x)
                | Value::Date(x)
                | Value::Minute(x)
                | Value::Second(x)
                | Value::Time(x),
            ) => v.push(x),
            (Col::I64(_, v), Value::Long(x) | Value::Timestamp(x) | Value::Timespan(x)) => {
                v.push(x)
            }
            (Col::Real(v), Value::Real(x)) => v.push(x),
            (Col::F64(_, v), Value::Float(x) | Value::Datetime(x)) => v.push(x),
            (Col::Guid(v), Value::Guid(g)) => v.push(*g),
            // Unreachable for the types above (tok_str gives the type asked for or its
            // null); keep the column's length right regardless.
            (Col::Bytes(_, v), _) => v.push(0),
            (Col::Short(v), _) => v.push(i16::MIN),
            (Col::I32(_, v), _) => v.push(i32::MIN),
            (Col::I64(_, v), _) => v.push(i64::MIN),
            (Col::Real(v), _) => v.push(f32::NAN),
            (Col::F64(_, v), _) => v.push(f64::NAN),
            (Col::Guid(v), _) => v.push([0; 16]),
            _ => {}
        }
    }

    /// The finished column (`None` for a skipped one).
    fn finish(self) -> Option<Value> {
        Some(match self {
            Col::Skip => return None,
            Col::Str(v) => Value::list(v),
            Col::Bytes(t, v) => Value::Vector(Vector::from_vec(t, v)),
            Col::Short(v) => Value::Vector(Vector::from_vec(QType::SHORT, v)),
            Col::I32(t, v) => Value::Vector(Vector::from_vec(t, v)),
            Col::I64(t, v) => Value::Vector(Vector::from_vec(t, v)),
            Col::Real(v) => Value::Vector(Vector::from_vec(QType::REAL, v)),
            Col::F64(t, v) => Value::Vector(Vector::from_vec(t, v)),
            Col::Guid(v) => Value::Vector(Vector::guids(&v)),
            Col::Sym(v, _) => Value::Vector(Vector::syms(&v)),
        })
    }
}

/// Split one record at `delim` into `out`; a field starting with `"` runs to the closing
/// quote (`""` is a quote) and what follows it up to the delimiter is dropped.
fn split_record<'a>(rec: &'a [u8], delim: u8, out: &mut Vec<Cow<'a, [u8]>>) {
    out.clear();
    let mut k = 0;
    loop {
        if rec.get(k) == Some(&b'"') {
            let mut field = Vec::new();
            k += 1;
            while k < rec.len() {
                if rec[k] == b'"' {
                    if rec.get(k + 1) == Some(&b'"') {
                        field.push(b'"');
                        k += 2;
                        continue;
                    }
                    k += 1;
                    break;
                }
                field.push(rec[k]);
                k += 1;
            }
            while k < rec.len() && rec[k] != delim {
                k += 1;
            }
            out.push(Cow::Owned(field));
        } else {
            let start = k;
            while k < rec.len() && rec[k] != delim {
                k += 1;
            }
            out.push(Cow::Borrowed(&rec[start..k]));
        }
        if k >= rec.len() {
            return;
        }
        k += 1;
    }
}

/// Records of a text where quoted fields may hold newlines (Load CSV's flag 1).
fn split_quoted_records(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (k, &c) in b.iter().enumerate() {
        if c == b'"' {
            quoted = !quoted;
        } else if c == b'\n' && !quoted {
            let rec = &b[start..k];
            out.push(rec.strip_suffix(b"\r").unwrap_or(rec));
            start = k + 1;
        }
    }
    if start < b.len() {
        out.push(&b[start..]);
    }
    out
}

/// The records of Load CSV's or Load Fixed's right argument, and whether it was a single
/// record given as one string (whose fields are then atoms).
enum Input {
    Text(Vec<u8>),
    Lines(Vec<Value>),
}

fn load_input(i: &mut Interp, y: &Value) -> QResult<Input> {
    if let Some(b) = file_bytes(i, y)? {
        return Ok(Input::Text(b));
    }
    match y {
        Value::Vector(v) if v.ty() == QType::CHAR => Ok(Input::Text(v.as_bytes().to_vec())),
        Value::List(l) => Ok(Input::Lines(l.items().to_vec())),
        _ => Err(QError::Type),
    }
}

fn line_bytes(v: &Value) -> QResult<&[u8]> {
    match v {
        Value::Vector(x) if x.ty() == QType::CHAR => Ok(x.as_bytes()),
        Value::Char(c) => Ok(std::slice::from_ref(c)),
        _ => Err(QError::Type),
    }
}

/// Load CSV / Load Fixed: `(types;delim[;flag]) 0: y` or `(types;widths) 0: y`.
fn load(i: &mut Interp, spec: &[Value], y: &Value) -> QResult<Value> {
    let types: Vec<u8> = match &spec[0] {
        Value::Vector(v) if v.ty() == QType::CHAR => v.as_bytes().to_vec(),
        Value::Char(c) => vec![*c],
        _ => return Err(QError::Type),
    };
    enum Layout {
        Delimited { delim: u8, header: bool },
        Fixed(Vec<usize>),
    }
    let layout = match &spec[1] {
        Value::Char(d) => Layout::Delimited { delim: *d, header: false },
        Value::Vector(v) if v.ty() == QType::CHAR && v.len() == 1 => {
            Layout::Delimited { delim: v.as_bytes()[0], header: true }
        }
        Value::Vector(v) => {
            let w = crate::convert::vector_i64(v).ok_or(QError::Type)?;
            if w.len() != types.len() {
                return Err(QError::Length);
            }
            if w.iter().any(|x| *x < 0) {
                return Err(QError::Domain);
            }
            Layout::Fixed(w.into_iter().map(|x| x as usize).collect())
        }
        _ => return Err(QError::Type),
    };
    let multiline = match spec.get(2) {
        Some(f) => crate::convert::atom_i64(f).ok_or(QError::Type)? != 0,
        None => false,
    };
    let input = load_input(i, y)?;
    // A single string without a newline is one record, read as atoms.
    let single = matches!((&input, y), (Input::Text(t), Value::Vector(_)) if !t.contains(&b'\n'))
        && matches!(layout, Layout::Delimited { header: false, .. });
    let text_records: Vec<&[u8]>;
    let records: Vec<&[u8]> = match &input {
        Input::Text(t) => {
            text_records = match &layout {
                Layout::Fixed(w) if !t.contains(&b'\n') => {
                    let size: usize = w.iter().sum();
                    if size == 0 {
                        return Err(QError::Length);
                    }
                    t.chunks(size).collect()
                }
                Layout::Delimited { .. } if multiline => split_quoted_records(t),
                _ => split_lines(t),
            };
            text_records
        }
        Input::Lines(ls) => ls.iter().map(line_bytes).collect::<QResult<_>>()?,
    };
    let mut cols: Vec<Col> =
        types.iter().map(|&t| Col::new(t, records.len())).collect::<QResult<_>>()?;
    let mut names = Vec::new();
    match &layout {
        Layout::Delimited { delim, header } => {
            let mut fields = Vec::with_capacity(types.len());
            let mut body = &records[..];
            if *header {
                let Some((first, rest)) = records.split_first() else {
                    return Err(QError::Length);
                };
                split_record(first, *delim, &mut fields);
                for (k, &t) in types.iter().enumerate() {
                    if t != b' ' {
                        let n = fields.get(k).map_or(&b""[..], |f| trim(f));
                        names.push(Sym::from_bytes(n));
                    }
                }
                body = rest;
            }
            for rec in body {
                split_record(rec, *delim, &mut fields);
                for (k, c) in cols.iter_mut().enumerate() {
                    c.push(fields.get(k).map_or(&b""[..], |f| f));
                }
            }
        }
        Layout::Fixed(widths) => {
            for rec in &records {
                let mut off = 0usize;
                for (c, &w) in cols.iter_mut().zip(widths) {
                    let start = off.min(rec.len());
                    let end = off.saturating_add(w).min(rec.len());
                    c.push(&rec[start..end]);
                    off = off.saturating_add(w);
                }
            }
        }
    }
    let out: Vec<Value> = cols.into_iter().filter_map(Col::finish).collect();
    if matches!(layout, Layout::Delimited { header: true, .. }) {
        return Ok(Value::Table(Arc::new(Table::new(Vector::syms(&names), out)?)));
    }
    if single {
        let atoms: Vec<Value> = out
            .iter()
            .map(|c| match c {
                Value::Vector(v) => v.get(0).ok_or(QError::Length),
                Value::List(l) => l.items().first().cloned().ok_or(QError::Length),
                _ => Err(QError::Type),
            })
            .collect::<QResult<_>>()?;
        return Ok(Value::list(atoms));
    }
    Ok(Value::list(out))
}

/// `x 1: y`, File Binary. Read: `x` is `(types;widths)` (little-endian fields) or
/// `(widths;types)` (big-endian), `y` a file, `(file;offset;length)`, a string or bytes;
/// the result is one column per type of the records (as many whole records as `y` holds;
/// a space type skips its field). Write: `` `:file 1: bytes ``.
pub fn file_binary(i: &mut Interp, x: Value, y: Value) -> QResult<Value> {
    if let Some(p) = file_path(&x) {
        let bytes = match &y {
            Value::Vector(v) if matches!(v.ty().code(), 4 | 10) => v.as_bytes().to_vec(),
            Value::Byte(b) | Value::Char(b) => vec![*b],
            _ => return Err(QError::Type),
        };
        i.host.write_file(&p, &bytes).map_err(|e| os_error(&p, &e))?;
        return Ok(x);
    }
    let Value::List(spec) = &x else { return Err(QError::Type) };
    let [a, b] = spec.items() else { return Err(QError::Length) };
    let text = |v: &Value| match v {
        Value::Vector(v) if v.ty() == QType::CHAR => Some(v.as_bytes().to_vec()),
        Value::Char(c) => Some(vec![*c]),
        _ => None,
    };
    let widths = |v: &Value| -> QResult<Vec<usize>> {
        let w = match v {
            Value::Vector(v) => crate::convert::vector_i64(v).ok_or(QError::Type)?,
            a => vec![crate::convert::atom_i64(a).ok_or(QError::Type)?],
        };
        w.into_iter().map(|w| usize::try_from(w).map_err(|_| QError::Domain)).collect()
    };
    let (types, widths, big) = match (text(a), text(b)) {
        (Some(t), None) => (t, widths(b)?, false),
        (None, Some(t)) => (t, widths(a)?, true),
        _ => return Err(QError::Type),
    };
    if types.len() != widths.len() {
        return Err(QError::Length);
    }
    let data = match file_bytes(i, &y)? {
        Some(d) => d,
        None => match &y {
            Value::Vector(v) if matches!(v.ty().code(), 4 | 10) => v.as_bytes().to_vec(),
            Value::Byte(b) | Value::Char(b) => vec![*b],
            _ => return Err(QError::Type),
        },
    };
    let record = widths.iter().try_fold(0usize, |a, &w| a.checked_add(w)).ok_or(QError::Limit)?;
    let n = data.len().checked_div(record).unwrap_or(0);
    let mut cols = Vec::new();
    let mut at = 0usize;
    for (&t, &w) in types.iter().zip(&widths) {
        if t != b' ' {
            let field = |r: usize| -> Vec<u8> {
                let s = r * record + at;
                let mut f = data[s..s + w].to_vec();
                if big {
                    f.reverse();
                }
                f
            };
            cols.push(binary_column(t, w, n, field)?);
        }
        at += w;
    }
    Ok(Value::list(cols))
}

/// One column of [`file_binary`]: `n` fields of width `w` read as type `t` (`field(r)`:
/// record `r`'s bytes, little-endian).
fn binary_column(t: u8, w: usize, n: usize, field: impl Fn(usize) -> Vec<u8>) -> QResult<Value> {
    fn fixed<const N: usize>(
        w: usize,
        n: usize,
        field: &dyn Fn(usize) -> Vec<u8>,
    ) -> QResult<Vec<[u8; N]>> {
        if w != N {
            return Err(QError::Length);
        }
        Ok((0..n).map(|r| field(r).try_into().unwrap_or([0; N])).collect())
    }
    let f: &dyn Fn(usize) -> Vec<u8> = &field;
    let ty = match t {
        b'b' => QType::BOOLEAN,
        b'x' => QType::BYTE,
        b'c' => QType::CHAR,
        b'h' => QType::SHORT,
        b'i' => QType::INT,
        b'j' => QType::LONG,
        b'e' => QType::REAL,
        b'f' => QType::FLOAT,
        b'g' => QType::GUID,
        b'p' => QType::TIMESTAMP,
        b'm' => QType::MONTH,
        b'd' => QType::DATE,
        b'z' => QType::DATETIME,
        b'n' => QType::TIMESPAN,
        b'u' => QType::MINUTE,
        b'v' => QType::SECOND,
        b't' => QType::TIME,
        b's' => {
            let syms: Vec<fq_value::Sym> = (0..n)
                .map(|r| {
                    let b = field(r);
                    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                    fq_value::Sym::from_bytes(&b[..end])
                })
                .collect();
            return Ok(Value::Vector(Vector::syms(&syms)));
        }
        _ => return Err(QError::Type),
    };
    let bytes: Vec<u8> = match ty.elem_size() {
        Some(1) => fixed::<1>(w, n, f)?.concat(),
        Some(2) => fixed::<2>(w, n, f)?.concat(),
        Some(4) => fixed::<4>(w, n, f)?.concat(),
        Some(8) => fixed::<8>(w, n, f)?.concat(),
        Some(16) => fixed::<16>(w, n, f)?.concat(),
        _ => return Err(QError::Type),
    };
    let mut v = Vector::from_buffer(ty, fq_value::Buffer::from_slice(&bytes))?;
    if ty == QType::BOOLEAN {
        // Any non-zero byte is true.
        for b in v.make_mut::<u8>() {
            *b = u8::from(*b != 0);
        }
    }
    Ok(Value::Vector(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split() {
        let mut f = Vec::new();
        split_record(b"a,\"b,\"\"c\"\",d\",e", b',', &mut f);
        let got: Vec<&[u8]> = f.iter().map(|c| &c[..]).collect();
        assert_eq!(got, vec![&b"a"[..], b"b,\"c\",d", b"e"]);
        split_record(b"", b',', &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(split_lines(b"a\r\nb\n"), vec![&b"a"[..], b"b"]);
        assert_eq!(split_quoted_records(b"0,\"a\nb\"\n1,c\n"), vec![&b"0,\"a\nb\""[..], b"1,c"]);
    }

    #[test]
    fn fast_paths_agree_with_tok() {
        for s in ["0", "-12", "123456789012345678", "1x", "", "-"] {
            let fast = fast_int(s.as_bytes());
            if let Some(v) = fast {
                assert_eq!(tok_str(QType::LONG, s.as_bytes()), Value::Long(v), "{s}");
            }
        }
        for s in ["1.5", "-2e3", "1e", "."] {
            if let Some(v) = fast_float(s.as_bytes()) {
                assert_eq!(tok_str(QType::FLOAT, s.as_bytes()), Value::Float(v), "{s}");
            }
        }
    }
}
