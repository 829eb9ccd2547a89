//! The `.j` namespace (KX ref: dotj): JSON to and from q.
//!
//! `.j.j x` and `.j.jd (x;d)` serialise with [`fq_format::text::to_json`]; `.j.k x`
//! parses JSON text: numbers become floats, strings char vectors, `true`/`false`
//! booleans, `null` a float null, objects dictionaries with symbol keys, and arrays are
//! collapsed as q collapses iteration results (numbers to a float vector, booleans to a
//! boolean vector, objects with the same keys to a table).
//!
//! The parser takes untrusted input (HTTP bodies): it never panics, and nesting deeper
//! than [`MAX_DEPTH`] is an error rather than unbounded recursion.

use crate::interp::Interp;
use fq_format::text::JsonOptions;
use fq_value::{QError, QResult, QType, Sym, Value, Vector};

/// Arrays and objects nested deeper than this are refused (`'limit`).
pub const MAX_DEPTH: usize = 512;

fn settings(i: &Interp) -> fq_format::Settings {
    fq_format::Settings {
        rows: i.console.rows,
        cols: i.console.cols,
        precision: i.console.precision,
    }
}

/// `.j.j x`: the JSON text of `x`.
pub fn j(i: &Interp, x: &Value) -> QResult<Value> {
    let s = fq_format::text::to_json(x, &settings(i), JsonOptions::default())?;
    Ok(Value::string(&s))
}

/// `.j.jd (x;d)`: `.j.j x`, with float infinities as `null` when `` d`null0w `` is true.
pub fn jd(i: &Interp, arg: &Value) -> QResult<Value> {
    let items = crate::atomic::items(arg).ok_or(QError::Type)?;
    let [x, d] = items.as_slice() else { return Err(QError::Length) };
    let Value::Dict(d) = d else { return Err(QError::Type) };
    let mut opts = JsonOptions::default();
    if let Value::Vector(k) = &d.keys {
        if k.ty() == QType::SYMBOL {
            if let Some(p) = k.as_slice::<Sym>().iter().position(|s| s.as_bytes() == b"null0w") {
                let flag = match &d.values {
                    Value::Vector(v) => v.get(p),
                    Value::List(l) => l.items().get(p).cloned(),
                    _ => None,
                };
                opts.null0w = matches!(flag, Some(Value::Bool(true)));
            }
        }
    }
    let s = fq_format::text::to_json(x, &settings(i), opts)?;
    Ok(Value::string(&s))
}

/// `.j.k x`: the q value of the JSON text `x`.
pub fn k(x: &Value) -> QResult<Value> {
    let bytes: &[u8] = match x {
        Value::Vector(v) if v.ty() == QType::CHAR => v.as_bytes(),
        Value::Char(c) => std::slice::from_ref(c),
        _ => return Err(QError::Type),
    };
    parse(bytes)
}

/// Parse one JSON document.
pub fn parse(b: &[u8]) -> QResult<Value> {
    let mut p = Parser { b, pos: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.pos != b.len() {
        return Err(p.illegal());
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn illegal(&self) -> QError {
        QError::Signal("illegal char".into())
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> QResult<Value> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.illegal())
        }
    }

    fn value(&mut self, depth: usize) -> QResult<Value> {
        if depth > MAX_DEPTH {
            return Err(QError::Limit);
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Value::Vector(Vector::chars(&self.string()?))),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Float(f64::NAN)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.illegal()),
        }
    }

    fn number(&mut self) -> QResult<Value> {
        let start = self.pos;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.b[start..self.pos]).map_err(|_| self.illegal())?;
        // Rust's float syntax is wider than JSON's (`inf`, `nan` are excluded by the scan
        // above); a leading `+` or a bare `.` are rejected here.
        if text.starts_with('+') || text.starts_with('.') || text.starts_with("-.") {
            return Err(self.illegal());
        }
        text.parse::<f64>().map(Value::Float).map_err(|_| self.illegal())
    }

    fn hex4(&mut self) -> QResult<u32> {
        let h = self.b.get(self.pos..self.pos + 4).ok_or_else(|| self.illegal())?;
        let s = std::str::from_utf8(h).map_err(|_| self.illegal())?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.illegal())?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return Err(self.illegal());
        }
        self.pos += 4;
        Ok(v)
    }

    /// A string's bytes (the opening quote at `pos`), escapes decoded, `\u` as UTF-8.
    fn string(&mut self) -> QResult<Vec<u8>> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' {
                    break;
                }
                self.pos += 1;
            }
            out.extend_from_slice(&self.b[start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(_) => {
                    self.pos += 1;
                    let e = self.peek().ok_or_else(|| self.illegal())?;
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp)
                                && self.b.get(self.pos..self.pos + 2) == Some(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xdc00..0xe000).contains(&lo) {
                                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                } else {
                                    self.pos = save;
                                }
                            }
                            let ch = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.illegal()),
                    }
                }
                None => return Err(self.illegal()),
            }
        }
    }

    fn array(&mut self, depth: usize) -> QResult<Value> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::list(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(crate::atomic::collapse(items));
                }
                _ => return Err(self.illegal()),
            }
        }
    }

    fn object(&mut self, depth: usize) -> QResult<Value> {
        self.pos += 1;
        let mut keys = Vec::new();
        let mut vals = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Value::dict(Value::list(vec![]), Value::list(vec![]));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.illegal());
            }
            keys.push(Sym::from_bytes(&self.string()?));
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.illegal());
            }
            self.pos += 1;
            self.ws();
            vals.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    let vals = crate::atomic::collapse(vals);
                    return Value::dict(Value::Vector(Vector::syms(&keys)), vals);
                }
                _ => return Err(self.illegal()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documents() {
        assert_eq!(parse(b" 3 ").unwrap(), Value::Float(3.0));
        assert_eq!(parse(b"true").unwrap(), Value::Bool(true));
        assert_eq!(parse(b"[1,2]").unwrap(), Value::Vector(Vector::floats(&[1.0, 2.0])));
        assert_eq!(parse(b"\"a\\u00e9\"").unwrap(), Value::string("a\u{e9}"));
        assert_eq!(parse(b"\"\\ud83d\\ude00\"").unwrap(), Value::string("\u{1f600}"));
        assert!(matches!(parse(b"{\"a\":1,\"b\":[]}").unwrap(), Value::Dict(_)));
        assert!(matches!(parse(b"[{\"a\":1},{\"a\":2}]").unwrap(), Value::Table(_)));
    }

    #[test]
    fn rejects_bad_json() {
        for bad in
            [&b""[..], b"[", b"{", b"[1,", b"{\"a\"}", b"tru", b"1 2", b"\"abc", b"-", b"[1]]"]
        {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = vec![b'['; MAX_DEPTH + 10];
        assert_eq!(parse(&deep), Err(QError::Limit));
    }

    /// Random and mutated inputs never panic (a cheap in-tree fuzz; a cargo-fuzz target
    /// covers the same entry point).
    #[test]
    fn garbage_never_panics() {
        let seeds: [&[u8]; 4] = [
            b"{\"a\":[1,2.5e3,-0.1,true,false,null],\"b\":{\"c\":\"x\\n\\u0041\"}}",
            b"[{\"a\":1,\"b\":\"x\"},{\"a\":2,\"b\":\"y\"}]",
            b"[[[[[[[]]]]]]]",
            b"\"\\ud800\\u0041\"",
        ];
        let alphabet = b"{}[]\",:\\/ 0123456789.eE+-truefalsnu\x00\xff";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..20_000 {
            let mut doc = seeds[round % seeds.len()].to_vec();
            let edits = (next() % 6) as usize;
            for _ in 0..edits {
                let r = next();
                let pos = (r as usize >> 8) % (doc.len() + 1);
                let c = alphabet[(r as usize) % alphabet.len()];
                match r % 3 {
                    0 if pos < doc.len() => doc[pos] = c,
                    1 => doc.insert(pos, c),
                    _ if pos < doc.len() => {
                        doc.remove(pos);
                    }
                    _ => {}
                }
            }
            let _ = parse(&doc);
            let random: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
            let _ = parse(&random);
        }
    }
}
