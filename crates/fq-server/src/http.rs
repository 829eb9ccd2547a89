//! HTTP on the IPC port, as kdb+ serves it: `GET /?expr` (HTML), `/q.csv?expr`,
//! `/q.json?expr`, `/q.txt?expr`, the `.z.ph` / `.z.pp` handlers, and a JSON / Arrow query
//! API (`POST /api/query`). Requests are parsed on the connection's thread, evaluated on
//! the interpreter thread, and Arrow results are encoded back on the connection's thread.

use crate::runtime::Runtime;
use crate::{Event, Shared, Stream};
use fq_value::{QError, Sym, Value, Vector};
use std::io::{Read, Write};
use std::sync::{mpsc, Arc};

/// Largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 64 << 10;

/// A parsed HTTP request.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`…
    pub method: String,
    /// The request target as sent (`/q.csv?select%20from%20t`).
    pub target: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body (POST).
    pub body: Vec<u8>,
}

/// What the interpreter answers.
#[derive(Debug)]
pub enum Reply {
    /// A complete response with this status, content type and body.
    Body(u16, &'static str, Vec<u8>),
    /// A raw response produced by `.z.ph` / `.z.pp` (status line and headers included).
    Raw(Vec<u8>),
    /// A table to send as an Arrow IPC stream (encoded on the connection's thread).
    Arrow(Value),
}

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        _ => "Error",
    }
}

fn response(code: u16, ctype: &str, body: &[u8], extra: &str, keep: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: {}\r\n{extra}\r\n",
        status_text(code),
        body.len(),
        if keep { "keep-alive" } else { "close" }
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Read one request from `buf` (bytes already read) and then `s`: `Ok(None)` at a clean
/// end of stream, `Err(status)` for a request to refuse (0: the stream broke). Public
/// for the fuzz target; the server calls it on each connection.
pub fn read_request<R: Read>(
    s: &mut R,
    buf: &mut Vec<u8>,
    max_body: usize,
) -> Result<Option<Request>, u16> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        if buf.len() > MAX_HEAD {
            return Err(413);
        }
        match s.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Ok(None),
            Ok(0) | Err(_) => return Err(0),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    if method.is_empty() || target.is_empty() {
        return Err(400);
    }
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    if len > max_body {
        return Err(413);
    }
    while buf.len() < len {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(0),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body: Vec<u8> = buf.drain(..len).collect();
    Ok(Some(Request { method, target, headers, body }))
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The path without the leading `/` and the query, both percent-decoded.
    pub fn path_query(&self) -> (String, String) {
        let t = self.target.strip_prefix('/').unwrap_or(&self.target);
        let (p, q) = t.split_once('?').unwrap_or((t, ""));
        (percent_decode(p), percent_decode(q))
    }
}

/// `%xx` decoding (kdb+'s `.h.uh`): `+` stays `+`, since q code is full of them.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut k = 0;
    while k < b.len() {
        if b[k] == b'%' && k + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[k + 1]), hex(b[k + 2])) {
                out.push((h * 16 + l) as u8);
                k += 3;
                continue;
            }
        }
        out.push(b[k]);
        k += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for q in clean.chunks(4) {
        let mut n = 0u32;
        for (k, &c) in q.iter().enumerate() {
            n |= val(c)? << (18 - 6 * k);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..q.len()]);
    }
    Some(out)
}

/// Basic-auth credentials of a request.
fn basic_auth(req: &Request) -> Option<(String, String)> {
    let v = req.header("authorization")?;
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let text = String::from_utf8(base64_decode(rest.trim())?).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// Serve HTTP requests on an accepted socket whose first bytes are in `buf`.
pub fn serve(shared: &Arc<Shared>, mut s: Stream, mut buf: Vec<u8>) {
    let limits = shared.limits();
    loop {
        let req = match read_request(&mut s, &mut buf, limits.max_message) {
            Ok(Some(r)) => r,
            Ok(None) | Err(0) => return s.shutdown(),
            Err(code) => {
                let _ = s.write_all(&response(
                    code,
                    "text/plain",
                    status_text(code).as_bytes(),
                    "",
                    false,
                ));
                return s.shutdown();
            }
        };
        let keep = !req.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        if shared.users.enabled() {
            let ok = basic_auth(&req).is_some_and(|(u, p)| {
                shared.users.check(&u, &p) && crate::net::login(shared, &u, &p)
            });
            if !ok {
                let r = response(
                    401,
                    "text/plain",
                    b"unauthorized",
                    "WWW-Authenticate: Basic realm=\"ferroq\"\r\n",
                    keep,
                );
                if s.write_all(&r).is_err() || !keep {
                    return s.shutdown();
                }
                continue;
            }
        }
        let (tx, rx) = mpsc::channel();
        if shared.events.send(Event::Http(req, tx)).is_err() {
            return s.shutdown();
        }
        let bytes = match rx.recv() {
            Ok(Reply::Body(code, ctype, body)) => response(code, ctype, &body, "", keep),
            Ok(Reply::Raw(raw)) => raw,
            Ok(Reply::Arrow(v)) => {
                let opts = fq_arrow::ToArrowOptions::default();
                match fq_arrow::ipc::write_ipc_stream(&v, &opts) {
                    Ok(b) => response(200, "application/vnd.apache.arrow.stream", &b, "", keep),
                    Err(e) => {
                        response(400, "application/json", &error_json(&e).into_bytes(), "", keep)
                    }
                }
            }
            Err(_) => return s.shutdown(),
        };
        if s.write_all(&bytes).is_err() || !keep {
            return s.shutdown();
        }
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn error_json(e: &QError) -> String {
    format!("{{\"error\":{}}}", json_string(&format!("'{}", e.text())))
}

/// The `"query"` member of a JSON object body (a string), or why not.
pub fn query_of(body: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(body).map_err(|_| "body is not UTF-8".to_string())?;
    let b = text.as_bytes();
    let mut k = 0;
    let skip_ws = |k: &mut usize| {
        while *k < b.len() && b[*k].is_ascii_whitespace() {
            *k += 1;
        }
    };
    let string = |k: &mut usize| -> Result<String, String> {
        if b.get(*k) != Some(&b'"') {
            return Err("expected a string".into());
        }
        *k += 1;
        let mut out = String::new();
        loop {
            let c = *b.get(*k).ok_or("unterminated string")?;
            *k += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = *b.get(*k).ok_or("bad escape")?;
                    *k += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'u' => {
                            let h = text.get(*k..*k + 4).ok_or("bad escape")?;
                            let v = u32::from_str_radix(h, 16).map_err(|_| "bad escape")?;
                            out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                            *k += 4;
                        }
                        _ => return Err("bad escape".into()),
                    }
                }
                _ => {
                    // Copy the whole UTF-8 sequence.
                    let start = *k - 1;
                    let mut end = *k;
                    while end < b.len() && (b[end] & 0xC0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(&text[start..end]);
                    *k = end;
                }
            }
        }
    };
    skip_ws(&mut k);
    if b.get(k) != Some(&b'{') {
        return Err("expected a JSON object".into());
    }
    k += 1;
    loop {
        skip_ws(&mut k);
        if b.get(k) == Some(&b'}') {
            return Err("missing \"query\"".into());
        }
        let key = string(&mut k)?;
        skip_ws(&mut k);
        if b.get(k) != Some(&b':') {
            return Err("expected ':'".into());
        }
        k += 1;
        skip_ws(&mut k);
        if key == "query" {
            return string(&mut k);
        }
        // Skip a scalar or string value (other members are ignored).
        if b.get(k) == Some(&b'"') {
            string(&mut k)?;
        } else {
            while k < b.len() && b[k] != b',' && b[k] != b'}' {
                if b[k] == b'{' || b[k] == b'[' {
                    return Err("only string, number and boolean members are accepted".into());
                }
                k += 1;
            }
        }
        skip_ws(&mut k);
        match b.get(k) {
            Some(b',') => k += 1,
            _ => return Err("missing \"query\"".into()),
        }
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Evaluate `expr` as a client's query (`\T` applies, `.z.w` is the HTTP connection's).
fn eval(rt: &mut Runtime, expr: &str) -> Result<Value, QError> {
    let msg = Value::string(expr);
    rt.with_session(0, |i| i.value_message(msg))
}

/// Apply a q function by name (`.j.j`, `.h.cd`): `'name` when it is not defined.
fn call(rt: &mut Runtime, name: &str, x: Value) -> Result<Value, QError> {
    let f = rt.interp.resolve(Sym::new(name)).ok_or_else(|| QError::Undefined(name.into()))?;
    rt.interp.apply(&f, vec![x])
}

fn text_of(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Vector(c) if c.ty() == fq_value::QType::CHAR => Some(c.as_bytes().to_vec()),
        Value::Char(c) => Some(vec![*c]),
        Value::List(l) => {
            // A list of strings: lines.
            let mut out = Vec::new();
            for it in l.items() {
                out.extend_from_slice(&text_of(it)?);
                out.push(b'\n');
            }
            Some(out)
        }
        _ => None,
    }
}

/// Answer a request on the interpreter thread.
pub fn respond(rt: &mut Runtime, req: &Request) -> Reply {
    let (path, query) = req.path_query();
    let user_handler = match req.method.as_str() {
        "GET" | "HEAD" => ".z.ph",
        "POST" => ".z.pp",
        _ => return Reply::Body(405, "text/plain", b"method not allowed".to_vec()),
    };
    if !path.starts_with("api/") {
        if let Some(f) = rt.interp.get(Sym::new(user_handler)).cloned() {
            let request_text = match req.method.as_str() {
                "POST" => {
                    let mut t = req.target.strip_prefix('/').unwrap_or(&req.target).to_string();
                    t.push(' ');
                    t.push_str(&String::from_utf8_lossy(&req.body));
                    t
                }
                _ => req.target.strip_prefix('/').unwrap_or(&req.target).to_string(),
            };
            let names: Vec<Sym> = req.headers.iter().map(|(k, _)| Sym::new(k)).collect();
            let vals: Vec<Value> = req.headers.iter().map(|(_, v)| Value::string(v)).collect();
            let hdrs = Value::dict(Value::Vector(Vector::syms(&names)), Value::list(vals))
                .unwrap_or(fq_value::GENERIC_NULL);
            let arg = Value::list(vec![Value::string(&request_text), hdrs]);
            return match rt.with_session(0, |i| i.apply(&f, vec![arg])) {
                Ok(v) => match text_of(&v) {
                    Some(raw) => Reply::Raw(raw),
                    None => Reply::Body(500, "text/plain", b"'type".to_vec()),
                },
                Err(e) => Reply::Body(500, "text/plain", format!("'{}", e.text()).into_bytes()),
            };
        }
    }
    match (req.method.as_str(), path.as_str()) {
        ("POST", "api/query") => {
            let arrow = query_param(&req.target, "format").as_deref() == Some("arrow");
            let q = match query_of(&req.body) {
                Ok(q) => q,
                Err(why) => {
                    let body = format!("{{\"error\":{}}}", json_string(&why));
                    return Reply::Body(400, "application/json", body.into_bytes());
                }
            };
            match eval(rt, &q) {
                Err(e) => Reply::Body(400, "application/json", error_json(&e).into_bytes()),
                Ok(v) if arrow => match unkeyed(rt, v) {
                    Ok(t @ Value::Table(_)) => Reply::Arrow(t),
                    Ok(_) => {
                        Reply::Body(400, "application/json", error_json(&QError::Type).into_bytes())
                    }
                    Err(e) => Reply::Body(400, "application/json", error_json(&e).into_bytes()),
                },
                Ok(v) => match api_json(rt, v) {
                    Ok(j) => Reply::Body(200, "application/json", j),
                    Err(e) => Reply::Body(400, "application/json", error_json(&e).into_bytes()),
                },
            }
        }
        ("GET" | "HEAD", "q.csv") => text_reply(rt, &query, ".h.cd", "text/csv"),
        ("GET" | "HEAD", "q.json") => text_reply(rt, &query, ".j.j", "application/json"),
        ("GET" | "HEAD", "q.txt") => match eval(rt, &query) {
            Ok(v) => Reply::Body(200, "text/plain", (rt.interp.show(&v) + "\n").into_bytes()),
            Err(e) => Reply::Body(400, "text/plain", format!("'{}\n", e.text()).into_bytes()),
        },
        ("GET" | "HEAD", "") => {
            let (code, text) = if query.is_empty() {
                (200, String::new())
            } else {
                match eval(rt, &query) {
                    Ok(v) => (200, rt.interp.show(&v)),
                    Err(e) => (400, format!("'{}", e.text())),
                }
            };
            let page = format!(
                "<html><head><title>{}</title></head><body><form action=\"/\"><input name=\"\" size=80 value=\"{}\"></form><pre>{}</pre></body></html>\n",
                html_escape(&query),
                html_escape(&query).replace('"', "&quot;"),
                html_escape(&text)
            );
            Reply::Body(code, "text/html", page.into_bytes())
        }
        _ => Reply::Body(404, "text/plain", b"not found".to_vec()),
    }
}

fn query_param(target: &str, name: &str) -> Option<String> {
    let q = target.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn text_reply(rt: &mut Runtime, query: &str, f: &str, ctype: &'static str) -> Reply {
    let r = eval(rt, query).and_then(|v| call(rt, f, v));
    match r {
        Ok(v) => match text_of(&v) {
            Some(t) => Reply::Body(200, ctype, t),
            None => Reply::Body(500, "text/plain", b"'type".to_vec()),
        },
        Err(e) => Reply::Body(400, "text/plain", format!("'{}\n", e.text()).into_bytes()),
    }
}

/// A keyed table as a plain one (`0!`); other values as they are.
fn unkeyed(rt: &mut Runtime, v: Value) -> Result<Value, QError> {
    match v {
        Value::Dict(_) if matches!(&v, Value::Dict(d) if matches!(d.keys, Value::Table(_))) => {
            let f = rt.interp.eval_str("0!")?;
            rt.interp.apply(&f, vec![v])
        }
        v => Ok(v),
    }
}

/// The JSON API's answer: `{"columns":[…],"rows":[[…]…]}` for tables, `{"value":…}`
/// otherwise, in `.j.j`'s conventions.
fn api_json(rt: &mut Runtime, v: Value) -> Result<Vec<u8>, QError> {
    let v = unkeyed(rt, v)?;
    let shape = rt.interp.eval_str(
        "{$[98h=type x;`columns`rows!(cols x;$[count x;flip value flip x;()]);(enlist`value)!enlist x]}",
    )?;
    let d = rt.interp.apply(&shape, vec![v])?;
    let j = call(rt, ".j.j", d)?;
    text_of(&j).ok_or(QError::Type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("1%2B1"), "1+1");
        assert_eq!(percent_decode("1+1"), "1+1");
        assert_eq!(percent_decode("select%20from%20t"), "select from t");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("a%zz"), "a%zz");
        assert_eq!(base64_decode("dXNlcjpwYXNz").as_deref(), Some(&b"user:pass"[..]));
        assert_eq!(query_of(br#"{"query":"1+1"}"#).as_deref(), Ok("1+1"));
        assert_eq!(query_of(br#" { "x": 1, "query" : "a\"b\u0041" } "#).as_deref(), Ok("a\"bA"));
        assert!(query_of(b"{}").is_err());
        assert!(query_of(b"[1]").is_err());
        assert!(query_of(br#"{"query":"abc"#).is_err());
        assert!(query_of("{\"query\":\"\u{e9}\"}".as_bytes()).is_ok());
    }
}
