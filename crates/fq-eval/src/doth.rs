//! The `.h` namespace (KX ref: doth): markup, delimited text and HTTP responses — and the
//! entry point of the text-format natives behind `.h` and `.j`.
//!
//! As `.Q` does (see `dotq.rs`), names are materialised on first read: constants
//! (`.h.sa`, `.h.ty`…) are plain values, functions are lambdas in context `.h` calling
//! ferroq's internal function `-1200!(`name;args…)`. A user's assignment (`.h.d:"*"`)
//! takes precedence, since globals are looked up first; the natives read `.h.d`, `.h.ty`,
//! `.h.sa` and `.h.sb` through the workspace for the same reason.

use crate::interp::Interp;
use fq_value::{Lambda, QError, QResult, QType, Sym, Table, Value, Vector};
use std::sync::Arc;

/// ferroq's internal function behind `.h` and `.j`: `-1200!(`name;args…)`.
pub const NATIVE: i64 = -1200;

const SA: &str =
    "a{text-decoration:none}a:link{color:024C7E}a:visited{color:024C7E}a:active{color:958600}";
const SB: &str = "body{font:10pt verdana;text-align:justify}";
const SC: &str = "$-.+!*'(),abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";

/// `.h.ty`: content types by file type.
const TY: &[(&str, &str)] = &[
    ("htm", "text/html"),
    ("html", "text/html"),
    ("csv", "text/comma-separated-values"),
    ("txt", "text/plain"),
    ("xml", "text/plain"),
    ("xls", "application/msexcel"),
    ("gif", "image/gif"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("svg", "image/svg+xml"),
    ("ico", "image/x-icon"),
    ("css", "text/css"),
    ("js", "application/javascript"),
    ("json", "application/json"),
    ("pdf", "application/pdf"),
    ("wasm", "application/wasm"),
];

/// Native functions by name (without the namespace) and arity. `.j` names are `j.`-
/// prefixed in the call so one code serves both namespaces.
static FUNCTIONS: &[(&str, u8)] = &[
    ("cd", 1),
    ("td", 1),
    ("xd", 1),
    ("code", 1),
    ("hc", 1),
    ("he", 1),
    ("hp", 1),
    ("hr", 1),
    ("html", 1),
    ("http", 1),
    ("hu", 1),
    ("hug", 1),
    ("ka", 1),
    ("iso8601", 1),
    ("nbr", 1),
    ("pre", 1),
    ("text", 1),
    ("uh", 1),
    ("xmp", 1),
    ("xs", 1),
    ("ha", 2),
    ("hb", 2),
    ("hta", 2),
    ("htc", 2),
    ("hy", 2),
    ("xt", 2),
    ("htac", 3),
    ("hn", 3),
    ("fram", 3),
];

/// `.h.tx`: conversions by file type, as q lambdas.
const TX: &[(&str, &str)] = &[
    ("json", "{.j.j each $[.Q.qt x;0!x;x]}"),
    ("csv", "{.h.cd x}"),
    ("txt", "{.h.td x}"),
    ("xml", "{.h.xd x}"),
];

fn lambda(ctx: &str, src: String) -> Value {
    Value::Lambda(Arc::new(Lambda::new(Sym::new(ctx), src)))
}

fn native_lambda(call: &str, arity: u8) -> String {
    let args = ["x", "y", "z"][..usize::from(arity)].join(";");
    format!("{{{NATIVE}!(`{call};{args})}}")
}

fn strings(items: &[&str]) -> Value {
    Value::list(items.iter().map(|s| Value::string(s)).collect())
}

/// The value of a `.h.`, `.j.` or `.q.csv` name ferroq defines, if `s` is one.
pub fn var(s: Sym) -> Option<Value> {
    let name = s.as_bytes();
    if name == b"csv" || name == b".q.csv" {
        return Some(Value::Char(b','));
    }
    if let Some(j) = name.strip_prefix(b".j.") {
        let f = match j {
            b"j" => "j.j",
            b"jd" => "j.jd",
            b"k" => "j.k",
            _ => return None,
        };
        return Some(lambda(".j", native_lambda(f, 1)));
    }
    let name = std::str::from_utf8(name.strip_prefix(b".h.")?).ok()?;
    Some(match name {
        "br" => Value::string("<br>"),
        "c0" => Value::sym("024C7E"),
        "c1" => Value::sym("958600"),
        "d" => Value::Char(b' '),
        "HOME" => Value::string("html"),
        "logo" => Value::string(""),
        "sa" => Value::string(SA),
        "sb" => Value::string(SB),
        "sc" => Value::string(SC),
        "val" => crate::prims::keyword("value")?,
        "ty" => {
            let keys: Vec<&str> = TY.iter().map(|(k, _)| *k).collect();
            let vals: Vec<&str> = TY.iter().map(|(_, v)| *v).collect();
            Value::dict(Value::Vector(Vector::sym_names(&keys)), strings(&vals)).ok()?
        }
        "tx" => {
            let mut keys = vec!["raw"];
            let mut vals = vec![crate::prims::glyph_unary(",")?];
            for (k, src) in TX {
                keys.push(k);
                vals.push(lambda(".h", (*src).to_string()));
            }
            Value::dict(Value::Vector(Vector::sym_names(&keys)), Value::list(vals)).ok()?
        }
        _ => {
            let (_, arity) = FUNCTIONS.iter().find(|(n, _)| *n == name)?;
            lambda(".h", native_lambda(name, *arity))
        }
    })
}

/// A `.h` setting: the workspace's value when the user has set one, else the default.
fn setting(i: &Interp, name: &str) -> Option<Value> {
    let s = Sym::new(name);
    i.get(s).cloned().or_else(|| var(s))
}

fn setting_text(i: &Interp, name: &str) -> Vec<u8> {
    setting(i, name).and_then(|v| text(&v).ok()).unwrap_or_default()
}

/// The characters of a string (a char atom is one character; `()` is empty).
fn text(v: &Value) -> QResult<Vec<u8>> {
    match v {
        Value::Vector(x) if matches!(x.ty().code(), 4 | 10) => Ok(x.as_bytes().to_vec()),
        Value::Char(c) => Ok(vec![*c]),
        Value::List(l) if l.is_empty() => Ok(vec![]),
        _ => Err(QError::Type),
    }
}

/// A tag or type name: a symbol, or a string.
fn name_arg(v: &Value) -> QResult<Vec<u8>> {
    match v {
        Value::Symbol(s) => Ok(s.as_bytes().to_vec()),
        v => text(v),
    }
}

/// The lines of a list of strings (a string's characters are one-character lines).
fn lines(v: &Value) -> QResult<Vec<Vec<u8>>> {
    match v {
        Value::List(l) => l.items().iter().map(text).collect(),
        Value::Vector(x) if x.ty() == QType::CHAR => {
            Ok(x.as_bytes().iter().map(|c| vec![*c]).collect())
        }
        _ => Err(QError::Type),
    }
}

fn string_value(b: Vec<u8>) -> Value {
    Value::Vector(Vector::chars(&b))
}

fn string_list(ls: Vec<Vec<u8>>) -> Value {
    Value::list(ls.into_iter().map(string_value).collect())
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// `<x>y</x>`.
fn htc(x: &[u8], y: &[u8]) -> Vec<u8> {
    cat(&[b"<", x, b">", y, b"</", x, b">"])
}

/// `<x a="v" b=s…>`: string values quoted, others as `string` gives them.
fn hta(i: &Interp, x: &[u8], attrs: &Value) -> QResult<Vec<u8>> {
    let mut out = cat(&[b"<", x]);
    let Value::Dict(d) = attrs else { return Err(QError::Type) };
    let keys = crate::atomic::items(&d.keys).ok_or(QError::Type)?;
    let vals = crate::atomic::items(&d.values).ok_or(QError::Type)?;
    if keys.len() != vals.len() {
        return Err(QError::Length);
    }
    for (k, v) in keys.iter().zip(&vals) {
        out.push(b' ');
        out.extend_from_slice(&name_arg(k)?);
        out.push(b'=');
        match v {
            Value::Vector(s) if s.ty() == QType::CHAR => {
                out.extend_from_slice(&cat(&[b"\"", s.as_bytes(), b"\""]));
            }
            v => out
                .extend_from_slice(fq_format::atom_text(v, &crate::textio::settings(i)).as_bytes()),
        }
    }
    out.push(b'>');
    Ok(out)
}

fn xs(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        match c {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn hc(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        if c == b'<' {
            out.extend_from_slice(b"&lt;");
        } else {
            out.push(c);
        }
    }
    out
}

fn hex_digit(n: u8) -> u8 {
    b"0123456789abcdef"[usize::from(n & 15)]
}

/// `%xx` for each character not in `safe`.
fn hu(b: &[u8], safe: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        if safe.contains(&c) {
            out.push(c);
        } else {
            out.extend_from_slice(&[b'%', hex_digit(c >> 4), hex_digit(c)]);
        }
    }
    out
}

fn uh(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut k = 0;
    while k < b.len() {
        if b[k] == b'%' && k + 2 < b.len() {
            let hex = std::str::from_utf8(&b[k + 1..k + 3]).ok();
            if let Some(n) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(n);
                k += 3;
                continue;
            }
        }
        out.push(b[k]);
        k += 1;
    }
    out
}

/// `.h.hn[status;type;content]`: an HTTP response.
fn hn(i: &Interp, status: &[u8], ty: &Value, content: &[u8]) -> QResult<Vec<u8>> {
    let ty = match ty {
        Value::Symbol(s) => *s,
        _ => return Err(QError::Type),
    };
    let mime = match setting(i, ".h.ty") {
        Some(Value::Dict(d)) => match (&d.keys, crate::atomic::items(&d.values)) {
            (Value::Vector(k), Some(vals)) if k.ty() == QType::SYMBOL => k
                .as_slice::<Sym>()
                .iter()
                .position(|s| *s == ty)
                .and_then(|p| vals.get(p).and_then(|v| text(v).ok())),
            _ => None,
        },
        _ => None,
    }
    .unwrap_or_else(|| b"application/octet-stream".to_vec());
    Ok(cat(&[
        b"HTTP/1.1 ",
        status,
        b"\r\nContent-Type: ",
        &mime,
        b"\r\nConnection: close\r\nContent-Length: ",
        content.len().to_string().as_bytes(),
        b"\r\n\r\n",
        content,
    ]))
}

fn pre_like(tag: &[u8], v: &Value) -> QResult<Vec<u8>> {
    let mut body = Vec::new();
    for l in lines(v)? {
        body.extend_from_slice(&l);
        body.push(b'\n');
    }
    Ok(htc(tag, &body))
}

fn unkey(v: &Value) -> QResult<Option<Arc<Table>>> {
    match v {
        Value::Table(t) => Ok(Some(t.clone())),
        Value::Dict(d) => match (&d.keys, &d.values) {
            (Value::Table(k), Value::Table(vals)) => {
                let mut names = k.names().as_slice::<Sym>().to_vec();
                names.extend_from_slice(vals.names().as_slice::<Sym>());
                let mut cols = k.columns().to_vec();
                cols.extend_from_slice(vals.columns());
                Ok(Some(Arc::new(Table::new(Vector::syms(&names), cols)?)))
            }
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

/// `.h.cd x`: CSV lines of a table (nested columns joined by `.h.d`) or of a list of
/// columns.
fn cd(i: &Interp, x: &Value, delim: u8) -> QResult<Value> {
    let s = crate::textio::settings(i);
    let Some(t) = unkey(x)? else {
        return crate::textio::prepare_text(i, delim, x);
    };
    let sep = setting_text(i, ".h.d");
    let mut cols = Vec::with_capacity(t.columns().len());
    for c in t.columns() {
        let nested = match c {
            Value::List(l) => l
                .items()
                .iter()
                .any(|a| !matches!(a, Value::Vector(v) if v.ty() == QType::CHAR) && !a.is_atom()),
            _ => false,
        };
        if !nested {
            cols.push(c.clone());
            continue;
        }
        let Value::List(l) = c else { continue };
        let mut out = Vec::with_capacity(l.len());
        for cell in l.items() {
            let parts = match cell {
                Value::Vector(v) if v.ty() == QType::CHAR => vec![v.as_bytes().to_vec()],
                Value::Vector(v) => (0..v.len())
                    .map(|k| v.get(k).map(|a| fq_format::atom_text(&a, &s).into_bytes()))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(QError::Type)?,
                Value::List(items) => {
                    items.items().iter().map(|a| fq_format::atom_text(a, &s).into_bytes()).collect()
                }
                a => vec![fq_format::atom_text(a, &s).into_bytes()],
            };
            out.push(string_value(parts.join(&sep[..])));
        }
        cols.push(Value::list(out));
    }
    let t = Table::new(t.names().clone(), cols)?;
    crate::textio::prepare_text(i, delim, &Value::Table(Arc::new(t)))
}

/// `.h.xd x`: a table as XML lines.
fn xd(i: &Interp, x: &Value) -> QResult<Value> {
    let s = crate::textio::settings(i);
    let t = unkey(x)?.ok_or(QError::Type)?;
    let names = t.names().as_slice::<Sym>();
    let mut cells: Vec<Vec<Vec<u8>>> = Vec::with_capacity(names.len());
    for c in t.columns() {
        let col: Vec<Vec<u8>> = match c {
            Value::Vector(v) => (0..v.len())
                .map(|k| v.get(k).map(|a| fq_format::atom_text(&a, &s).into_bytes()))
                .collect::<Option<Vec<_>>>()
                .ok_or(QError::Type)?,
            Value::Enum(e) => match e.resolve()? {
                Value::Vector(v) => {
                    v.as_slice::<Sym>().iter().map(|s| s.as_bytes().to_vec()).collect()
                }
                _ => return Err(QError::Type),
            },
            Value::List(l) => l.items().iter().map(text).collect::<QResult<_>>()?,
            _ => return Err(QError::Type),
        };
        cells.push(col);
    }
    let mut out = vec![b"<R>".to_vec()];
    for r in 0..t.rows() {
        let mut line = b"<r>".to_vec();
        for (n, col) in names.iter().zip(&cells) {
            let cell = col.get(r).ok_or(QError::Length)?;
            line.extend_from_slice(&htc(n.as_bytes(), &xs(cell)));
        }
        line.extend_from_slice(b"</r>");
        out.push(line);
    }
    out.push(b"</R>".to_vec());
    Ok(string_list(out))
}

/// `.h.code x`: tab-separated segments, every second one as code.
fn code(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, seg) in b.split(|c| *c == b'\t').enumerate() {
        if k > 0 {
            out.push(b' ');
        }
        if k % 2 == 1 {
            out.extend_from_slice(&htc(b"code", &htc(b"nobr", seg)));
        } else {
            out.extend_from_slice(seg);
        }
    }
    out
}

/// `.h.http x`: `http://…` links (up to a blank) made anchors.
fn http(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut k = 0;
    while k < b.len() {
        if b[k..].starts_with(b"http://") {
            let end = b[k..].iter().position(|c| *c == b' ').map_or(b.len(), |e| k + e);
            let url = &b[k..end];
            out.extend_from_slice(&cat(&[b"<a href=\"", url, b"\">", url, b"</a>"]));
            k = end;
        } else {
            out.push(b[k]);
            k += 1;
        }
    }
    out
}

/// Nanoseconds since 2000.01.01 as ISO 8601.
fn iso8601(i: &Interp, x: &Value) -> QResult<Value> {
    let ns = match x {
        Value::Timestamp(n) | Value::Long(n) => *n,
        Value::Int(n) => i64::from(*n),
        Value::Short(n) => i64::from(*n),
        _ => return Err(QError::Type),
    };
    let s = crate::textio::settings(i);
    Ok(Value::string(&fq_format::text::iso_text(&Value::Timestamp(ns), &s, true)))
}

/// `-1200!(`name;args…)`: the natives behind `.h` and `.j`.
pub fn call(i: &mut Interp, y: Value) -> QResult<Value> {
    let args = crate::atomic::items(&y).ok_or(QError::Type)?;
    let (Some(Value::Symbol(f)), rest) = (args.first(), &args[1.min(args.len())..]) else {
        return Err(QError::Type);
    };
    let name = f.name();
    let arg = |k: usize| rest.get(k).ok_or(QError::Rank);
    let s = |b: Vec<u8>| Ok(string_value(b));
    match name.as_ref() {
        "j.j" => crate::dotj::j(i, arg(0)?),
        "j.jd" => crate::dotj::jd(i, arg(0)?),
        "j.k" => crate::dotj::k(arg(0)?),
        "cd" => cd(i, arg(0)?, b','),
        "td" => cd(i, arg(0)?, b'\t'),
        "xd" => xd(i, arg(0)?),
        "code" => s(code(&text(arg(0)?)?)),
        "hc" => s(hc(&text(arg(0)?)?)),
        "xs" => s(xs(&text(arg(0)?)?)),
        "hr" => s(vec![b'-'; text(arg(0)?)?.len()]),
        "nbr" => s(htc(b"nobr", &text(arg(0)?)?)),
        "pre" => s(pre_like(b"pre", arg(0)?)?),
        "xmp" => s(pre_like(b"xmp", arg(0)?)?),
        "text" => {
            let mut out = Vec::new();
            for l in lines(arg(0)?)? {
                out.extend_from_slice(&htc(b"p", &l));
                out.push(b'\n');
            }
            s(out)
        }
        "html" => {
            let style = cat(&[&setting_text(i, ".h.sa"), &setting_text(i, ".h.sb")]);
            let head = htc(b"head", &htc(b"style", &style));
            s(htc(b"html", &cat(&[&head, &htc(b"body", &text(arg(0)?)?)])))
        }
        "http" => s(http(&text(arg(0)?)?)),
        "hu" => s(hu(&text(arg(0)?)?, &setting_text(i, ".h.sc"))),
        "hug" => {
            let safe = text(arg(0)?)?;
            let keys: Vec<u8> = (0..=255).collect();
            let vals = keys.iter().map(|&c| string_value(hu(&[c], &safe))).collect();
            Value::dict(Value::Vector(Vector::chars(&keys)), Value::list(vals))
        }
        "uh" => s(uh(&text(arg(0)?)?)),
        "ka" => {
            let ms = crate::convert::atom_i64(arg(0)?).ok_or(QError::Type)?;
            Ok(Value::string(if ms == 0 { "close" } else { "keep-alive" }))
        }
        "iso8601" => iso8601(i, arg(0)?),
        "htc" => s(htc(&name_arg(arg(0)?)?, &text(arg(1)?)?)),
        "hta" => s(hta(i, &name_arg(arg(0)?)?, arg(1)?)?),
        "htac" => {
            let tag = name_arg(arg(0)?)?;
            let open = hta(i, &tag, arg(1)?)?;
            s(cat(&[&open, &text(arg(2)?)?, b"</", &tag, b">"]))
        }
        "ha" | "hb" => {
            let href = arg(0)?;
            let mut keys = vec![Sym::new("href")];
            let mut vals = vec![href.clone()];
            if name == "hb" {
                keys.insert(0, Sym::new("target"));
                vals.insert(0, Value::sym("v"));
            }
            let attrs = Value::dict(Value::Vector(Vector::syms(&keys)), Value::list(vals))?;
            let open = hta(i, b"a", &attrs)?;
            s(cat(&[&open, &text(arg(1)?)?, b"</a>"]))
        }
        "hn" => s(hn(i, &text(arg(0)?)?, arg(1)?, &text(arg(2)?)?)?),
        "hy" => s(hn(i, b"200 OK", arg(0)?, &text(arg(1)?)?)?),
        "hp" => {
            let head = htc(b"head", &htc(b"style", &setting_text(i, ".h.sb")));
            let page = htc(b"html", &cat(&[&head, &htc(b"body", &pre_like(b"pre", arg(0)?)?)]));
            s(hn(i, b"200 OK", &Value::sym("htm"), &page)?)
        }
        "he" => {
            let body = cat(&[b"'", &hc(&text(arg(0)?)?)]);
            s(hn(i, b"400 Bad Request", &Value::sym("txt"), &body)?)
        }
        "fram" => {
            let title = text(arg(0)?)?;
            let width = lines(arg(1)?)?.iter().map(Vec::len).max().unwrap_or(0);
            let srcs = lines(arg(2)?)?;
            let [l, r] = srcs.as_slice() else { return Err(QError::Length) };
            s(cat(&[
                b"<html><head><title>",
                &title,
                b"</title><frameset cols=\"",
                (26 + 10 * width).to_string().as_bytes(),
                b",*\"><frame src=\"",
                l,
                b"\"><frame name=v src=\"",
                r,
                b"\"></frameset></head></html>",
            ]))
        }
        "xt" => {
            match arg(0)? {
                Value::Symbol(t) if t.as_bytes() == b"json" => {}
                Value::Symbol(_) => return Err(QError::Domain),
                _ => return Err(QError::Type),
            }
            let docs = crate::atomic::items(arg(1)?).ok_or(QError::Type)?;
            let out: QResult<Vec<Value>> = docs.iter().map(crate::dotj::k).collect();
            Ok(Value::list(out?))
        }
        _ => Err(QError::Nyi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(hu(b"http://www.kx.com", SC.as_bytes()), b"http%3a%2f%2fwww.kx.com");
        assert_eq!(uh(b"http%3a%2f%2fwww.kx.com"), b"http://www.kx.com");
        assert_eq!(uh(b"%"), b"%");
        assert_eq!(uh(b"a%4"), b"a%4");
        assert_eq!(uh(b"%zz%41"), b"%zzA");
        assert_eq!(xs(b"Arthur & Co."), b"Arthur &amp; Co.");
        assert_eq!(code(b"foo\tbar"), b"foo <code><nobr>bar</nobr></code>");
    }

    #[test]
    fn hosts_resolve_the_names_by_name() {
        let mut i = Interp::scratch();
        for name in [".j.j", ".j.k", ".h.cd", ".h.hy", ".h.tx", "csv"] {
            assert!(i.resolve(Sym::new(name)).is_some(), "{name}");
        }
        let f = i.resolve(Sym::new(".j.j")).unwrap();
        let v = i.apply(&f, vec![Value::Vector(Vector::longs(&[1, 2]))]).unwrap();
        assert_eq!(v, Value::string("[1,2]"));
        i.set(Sym::new(".h.d"), Value::Char(b'*'));
        assert_eq!(i.resolve(Sym::new(".h.d")), Some(Value::Char(b'*')));
    }
}
