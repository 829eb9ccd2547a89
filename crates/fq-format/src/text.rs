//! Text interchange renderings of q values: JSON (`.j.j`, `.j.jd`) and delimited text
//! (`"," 0: t`, `.h.cd`, `.h.td`), as kdb+ 4.x writes them.
//!
//! Both write temporal values as ISO 8601 (`2024-01-02`, `2024-01`): JSON joins a
//! timestamp's date and time with `T`, delimited text keeps q's `D`. Numbers follow `\P`
//! as `string` does.

use crate::Settings;
use fq_value::{QError, QResult, QType, Sym, Table, Value};

/// Nesting deeper than this is refused (`'stack`) rather than risking the native stack.
pub const MAX_DEPTH: usize = 512;

/// Options of `.j.jd`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonOptions {
    /// `null0w`: write float infinities as `null` (else `inf` / `-inf`).
    pub null0w: bool,
}

/// A temporal atom as ISO 8601 text: the date part's dots become dashes; a timestamp or
/// datetime keeps q's `D`/`T` between date and time unless `t_sep`, when both use `T`.
/// Other atoms give their `string` text. Nulls give `""`.
pub fn iso_text(v: &Value, s: &Settings, t_sep: bool) -> String {
    let text = crate::atom_text(v, s);
    let date_len = match v {
        Value::Date(_) | Value::Month(_) | Value::Timestamp(_) | Value::Datetime(_) => {
            text.find(['D', 'T']).unwrap_or(text.len())
        }
        _ => return text,
    };
    let mut out: Vec<u8> = text.into_bytes();
    for b in &mut out[..date_len] {
        if *b == b'.' {
            *b = b'-';
        }
    }
    if t_sep && date_len < out.len() && out[date_len] == b'D' {
        out[date_len] = b'T';
    }
    String::from_utf8(out).unwrap_or_default()
}

/// `.j.j x` / `.j.jd (x;d)`: the JSON text of a q value.
///
/// Booleans are `true`/`false`; numbers are written as `string` writes them (floats to
/// `\P` digits) and numeric nulls as `null`; float infinities are `inf`/`-inf` (or `null`
/// under [`JsonOptions::null0w`]); symbols, chars, strings, guids, bytes and temporal
/// values are JSON strings; dictionaries are objects; tables are arrays of row objects,
/// one row per line (`[{..},\n {..}]`); `::` is `null`.
pub fn to_json(v: &Value, s: &Settings, opts: JsonOptions) -> QResult<String> {
    let mut w = JsonWriter { s, opts, out: Vec::new() };
    w.value(v, 0)?;
    String::from_utf8(w.out).map_err(|_| QError::internal("json output not utf-8"))
}

struct JsonWriter<'a> {
    s: &'a Settings,
    opts: JsonOptions,
    out: Vec<u8>,
}

/// Write `b` as a JSON string body with kdb+'s escapes (bytes above 0x7f pass through).
fn push_json_str(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'"');
    for &c in b {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c if c < 0x20 => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

/// Item `i` of a list-like value.
fn item(v: &Value, i: usize) -> Option<Value> {
    match v {
        Value::Vector(x) => x.get(i),
        Value::List(l) => l.items().get(i).cloned(),
        _ => None,
    }
}

impl JsonWriter<'_> {
    fn value(&mut self, v: &Value, depth: usize) -> QResult<()> {
        if depth > MAX_DEPTH {
            return Err(QError::Stack);
        }
        match v {
            Value::Bool(b) => self.out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Short(x) => self.int(i64::from(*x), *x == i16::MIN),
            Value::Int(x) => self.int(i64::from(*x), *x == i32::MIN),
            Value::Long(x) => self.int(*x, *x == i64::MIN),
            Value::Real(x) => self.float(f64::from(*x), v),
            Value::Float(x) => self.float(*x, v),
            Value::Char(c) => push_json_str(&mut self.out, &[*c]),
            Value::Symbol(s) => push_json_str(&mut self.out, s.as_bytes()),
            Value::Guid(_) | Value::Byte(_) => {
                let t = crate::atom_text(v, self.s);
                push_json_str(&mut self.out, t.as_bytes());
            }
            Value::Timestamp(_)
            | Value::Month(_)
            | Value::Date(_)
            | Value::Datetime(_)
            | Value::Timespan(_)
            | Value::Minute(_)
            | Value::Second(_)
            | Value::Time(_) => {
                if v.is_null() {
                    self.out.extend_from_slice(b"null");
                } else {
                    let t = iso_text(v, self.s, true);
                    push_json_str(&mut self.out, t.as_bytes());
                }
            }
            Value::Vector(x) if x.ty() == QType::CHAR => push_json_str(&mut self.out, x.as_bytes()),
            Value::Vector(x) => {
                self.out.push(b'[');
                for i in 0..x.len() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    if let Some(a) = x.get(i) {
                        self.value(&a, depth + 1)?;
                    }
                }
                self.out.push(b']');
            }
            Value::List(l) => {
                self.out.push(b'[');
                for (i, a) in l.items().iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.value(a, depth + 1)?;
                }
                self.out.push(b']');
            }
            Value::Enum(e) => self.value(&e.resolve()?, depth + 1)?,
            Value::Table(t) => self.table(t, depth)?,
            Value::Dict(d) => {
                if let (Value::Table(k), Value::Table(vals)) = (&d.keys, &d.values) {
                    // A keyed table is written as the table it unkeys to.
                    let mut names = k.names().as_slice::<Sym>().to_vec();
                    names.extend_from_slice(vals.names().as_slice::<Sym>());
                    let mut cols = k.columns().to_vec();
                    cols.extend_from_slice(vals.columns());
                    let t = Table::new(fq_value::Vector::syms(&names), cols)?;
                    return self.table(&t, depth);
                }
                self.out.push(b'{');
                let n = d.keys.count();
                for i in 0..n {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    let k = match &d.keys {
                        Value::Vector(_) | Value::List(_) => item(&d.keys, i),
                        Value::Enum(e) => item(&e.resolve()?, i),
                        _ => None,
                    }
                    .ok_or(QError::Type)?;
                    self.key(&k);
                    self.out.push(b':');
                    let val = match &d.values {
                        Value::Table(t) => row_dict(t, i)?,
                        vals => item(vals, i).ok_or(QError::Length)?,
                    };
                    self.value(&val, depth + 1)?;
                }
                self.out.push(b'}');
            }
            v if v.is_generic_null() => self.out.extend_from_slice(b"null"),
            other => {
                let t = crate::repr(other, self.s);
                push_json_str(&mut self.out, t.as_bytes());
            }
        }
        Ok(())
    }

    fn key(&mut self, k: &Value) {
        match k {
            Value::Symbol(s) => push_json_str(&mut self.out, s.as_bytes()),
            Value::Vector(x) if x.ty() == QType::CHAR => push_json_str(&mut self.out, x.as_bytes()),
            other => {
                let t = crate::atom_text(other, self.s);
                push_json_str(&mut self.out, t.as_bytes());
            }
        }
    }

    fn int(&mut self, x: i64, null: bool) {
        if null {
            self.out.extend_from_slice(b"null");
        } else {
            push_digits(&mut self.out, x);
        }
    }

    fn float(&mut self, x: f64, v: &Value) {
        if x.is_nan() || (x.is_infinite() && self.opts.null0w) {
            self.out.extend_from_slice(b"null");
        } else if x.is_infinite() {
            self.out.extend_from_slice(if x > 0.0 { b"inf" } else { b"-inf" });
        } else {
            self.out.extend_from_slice(crate::atom_text(v, self.s).as_bytes());
        }
    }

    fn table(&mut self, t: &Table, depth: usize) -> QResult<()> {
        // Per column: its `"name":` prefix, and the column with enumerations resolved
        // once (not per cell).
        let mut prefixes = Vec::with_capacity(t.columns().len());
        let mut cols = Vec::with_capacity(t.columns().len());
        for (k, (name, col)) in t.names().as_slice::<Sym>().iter().zip(t.columns()).enumerate() {
            let mut p = Vec::new();
            if k > 0 {
                p.push(b',');
            }
            push_json_str(&mut p, name.as_bytes());
            p.push(b':');
            prefixes.push(p);
            cols.push(match col {
                Value::Enum(e) => e.resolve()?,
                col => col.clone(),
            });
        }
        self.out.push(b'[');
        for r in 0..t.rows() {
            if r > 0 {
                self.out.extend_from_slice(b",\n ");
            }
            self.out.push(b'{');
            for (p, col) in prefixes.iter().zip(&cols) {
                self.out.extend_from_slice(p);
                self.cell(col, r, depth)?;
            }
            self.out.push(b'}');
        }
        self.out.push(b']');
        Ok(())
    }

    /// Item `r` of a table column, with fast paths for the common vector types.
    fn cell(&mut self, col: &Value, r: usize, depth: usize) -> QResult<()> {
        if let Value::Vector(x) = col {
            if r >= x.len() {
                return Err(QError::Length);
            }
            match x.ty() {
                QType::LONG => {
                    let v = x.as_slice::<i64>()[r];
                    self.int(v, v == i64::MIN);
                    return Ok(());
                }
                QType::INT => {
                    let v = x.as_slice::<i32>()[r];
                    self.int(i64::from(v), v == i32::MIN);
                    return Ok(());
                }
                QType::SYMBOL => {
                    push_json_str(&mut self.out, x.as_slice::<Sym>()[r].as_bytes());
                    return Ok(());
                }
                _ => {}
            }
        }
        if let Value::List(l) = col {
            if let Some(Value::Vector(x)) = l.items().get(r) {
                if x.ty() == QType::CHAR {
                    push_json_str(&mut self.out, x.as_bytes());
                    return Ok(());
                }
            }
        }
        let cell = item(col, r).ok_or(QError::Length)?;
        self.value(&cell, depth + 1)
    }
}

/// Row `r` of a table as a dictionary.
fn row_dict(t: &Table, r: usize) -> QResult<Value> {
    let cells: Option<Vec<Value>> = t.columns().iter().map(|c| item(c, r)).collect();
    let cells = cells.ok_or(QError::Length)?;
    Value::dict(Value::Vector(t.names().clone()), Value::list(cells))
}

/// The text of one delimited-text cell (before quoting): strings as they are, symbols by
/// name, temporal values in ISO 8601, numbers as `string` gives them, nulls empty.
fn cell_text(v: &Value, s: &Settings) -> QResult<Vec<u8>> {
    Ok(match v {
        Value::Vector(x) if x.ty() == QType::CHAR => x.as_bytes().to_vec(),
        Value::Symbol(sym) => sym.as_bytes().to_vec(),
        Value::Char(c) => vec![*c],
        a if a.is_atom() && !matches!(a, Value::Enum(_)) && a.qtype().is_base_atom() => {
            iso_text(a, s, false).into_bytes()
        }
        _ => return Err(QError::Type),
    })
}

/// Append `cell` to `line`, in double quotes (embedded quotes doubled) when it holds the
/// delimiter or a newline.
fn push_cell(line: &mut Vec<u8>, cell: &[u8], delim: u8) {
    if cell.iter().any(|&c| c == delim || c == b'\n') {
        line.push(b'"');
        for &c in cell {
            if c == b'"' {
                line.push(b'"');
            }
            line.push(c);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(cell);
    }
}

/// A column ready to be written cell by cell.
enum Cells<'a> {
    Chars(&'a [u8]),
    Syms(std::borrow::Cow<'a, [Sym]>),
    Longs(&'a [i64]),
    Ints(&'a [i32]),
    Strings(Vec<&'a [u8]>),
    Other(&'a fq_value::Vector),
}

impl<'a> Cells<'a> {
    /// A vector, or a list of strings; `'type` for any other column.
    fn of(col: &'a Value) -> QResult<Cells<'a>> {
        Ok(match col {
            Value::Vector(x) => match x.ty() {
                QType::CHAR => Cells::Chars(x.as_bytes()),
                QType::SYMBOL => Cells::Syms(x.as_slice::<Sym>().into()),
                QType::LONG => Cells::Longs(x.as_slice()),
                QType::INT => Cells::Ints(x.as_slice()),
                _ => Cells::Other(x),
            },
            Value::Enum(e) => match e.resolve()? {
                Value::Vector(x) if x.ty() == QType::SYMBOL => {
                    Cells::Syms(x.as_slice::<Sym>().to_vec().into())
                }
                _ => return Err(QError::Type),
            },
            Value::List(l) => Cells::Strings(
                l.items()
                    .iter()
                    .map(|a| match a {
                        Value::Vector(x) if x.ty() == QType::CHAR => Ok(x.as_bytes()),
                        _ => Err(QError::Type),
                    })
                    .collect::<QResult<_>>()?,
            ),
            _ => return Err(QError::Type),
        })
    }

    fn len(&self) -> usize {
        match self {
            Cells::Chars(x) => x.len(),
            Cells::Syms(x) => x.len(),
            Cells::Longs(x) => x.len(),
            Cells::Ints(x) => x.len(),
            Cells::Strings(x) => x.len(),
            Cells::Other(x) => x.len(),
        }
    }

    /// Append cell `r` to `line`.
    fn write(&self, r: usize, delim: u8, line: &mut Vec<u8>, s: &Settings) -> QResult<()> {
        match self {
            Cells::Chars(x) => push_cell(line, &x[r..=r], delim),
            Cells::Syms(x) => push_cell(line, x[r].as_bytes(), delim),
            Cells::Strings(x) => push_cell(line, x[r], delim),
            Cells::Longs(x) => push_int(line, x[r], i64::MIN, i64::MAX),
            Cells::Ints(x) => {
                push_int(line, i64::from(x[r]), i64::from(i32::MIN), i64::from(i32::MAX))
            }
            Cells::Other(x) => {
                let a = x.get(r).ok_or(QError::Index)?;
                push_cell(line, &cell_text(&a, s)?, delim);
            }
        }
        Ok(())
    }
}

/// An integer as `string` gives it: null empty, infinities `0W`/`-0W`.
fn push_int(line: &mut Vec<u8>, v: i64, null: i64, inf: i64) {
    if v == null {
    } else if v == inf {
        line.extend_from_slice(b"0W");
    } else if v == -inf {
        line.extend_from_slice(b"-0W");
    } else {
        push_digits(line, v);
    }
}

/// An integer's decimal digits (with `-` when negative).
fn push_digits(line: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut k = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        k -= 1;
        buf[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        line.push(b'-');
    }
    line.extend_from_slice(&buf[k..]);
}

/// Prepare Text (`delim 0: x`): a table as delimited lines with a header of its column
/// names, or a list of columns as lines without one. Columns must be vectors or lists
/// of strings (`'type`) of one length (`'length`). Cells holding the delimiter or a
/// newline are quoted with embedded `"` doubled.
pub fn delimited(
    delim: u8,
    names: Option<&[Sym]>,
    columns: &[Value],
    s: &Settings,
) -> QResult<Vec<Vec<u8>>> {
    let cells: Vec<Cells<'_>> = columns.iter().map(Cells::of).collect::<QResult<_>>()?;
    let rows = cells.first().map_or(0, Cells::len);
    if cells.iter().any(|c| c.len() != rows) {
        return Err(QError::Length);
    }
    let mut out = Vec::with_capacity(rows + 1);
    if let Some(names) = names {
        let mut line = Vec::new();
        for (k, n) in names.iter().enumerate() {
            if k > 0 {
                line.push(delim);
            }
            push_cell(&mut line, n.as_bytes(), delim);
        }
        out.push(line);
    }
    for r in 0..rows {
        let mut line = Vec::with_capacity(8 * cells.len());
        for (k, c) in cells.iter().enumerate() {
            if k > 0 {
                line.push(delim);
            }
            c.write(r, delim, &mut line, s)?;
        }
        out.push(line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fq_value::Vector;

    fn j(v: &Value) -> String {
        to_json(v, &Settings::default(), JsonOptions::default()).unwrap()
    }

    #[test]
    fn json_atoms_and_vectors() {
        assert_eq!(j(&Value::Long(3)), "3");
        assert_eq!(j(&Value::Long(i64::MIN)), "null");
        assert_eq!(j(&Value::Float(f64::NAN)), "null");
        assert_eq!(j(&Value::Float(f64::INFINITY)), "inf");
        assert_eq!(j(&Value::Float(1.5)), "1.5");
        assert_eq!(j(&Value::Bool(true)), "true");
        assert_eq!(j(&Value::string("a\"b\n")), "\"a\\\"b\\n\"");
        assert_eq!(j(&Value::Vector(Vector::longs(&[1, 2]))), "[1,2]");
        assert_eq!(j(&Value::Date(0)), "\"2000-01-01\"");
        assert_eq!(j(&Value::Timestamp(100)), "\"2000-01-01T00:00:00.000000100\"");
        let inf = to_json(
            &Value::Vector(Vector::floats(&[f64::NEG_INFINITY, 1.0])),
            &Settings::default(),
            JsonOptions { null0w: true },
        );
        assert_eq!(inf.unwrap(), "[null,1]");
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let mut v = Value::Long(1);
        for _ in 0..MAX_DEPTH + 5 {
            v = Value::list(vec![v]);
        }
        assert_eq!(to_json(&v, &Settings::default(), JsonOptions::default()), Err(QError::Stack));
    }

    #[test]
    fn csv_quoting() {
        let col = Value::list(vec![Value::string("a,b"), Value::string("q\"x")]);
        let lines = delimited(b',', Some(&[Sym::new("x")]), &[col], &Settings::default()).unwrap();
        assert_eq!(lines, vec![b"x".to_vec(), b"\"a,b\"".to_vec(), b"q\"x".to_vec()]);
    }
}
