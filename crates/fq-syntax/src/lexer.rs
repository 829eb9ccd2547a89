//! The q lexer.
//!
//! Whitespace matters in q, and the lexer resolves what depends on it:
//! - `/` after whitespace (or at the start) starts a comment to the end of the line;
//!   otherwise it is the over iterator.
//! - `-` directly followed by a digit starts a negative number when it does not follow a
//!   noun without space (`x-1` subtracts, `x -1` and `2 -1` are literals).
//! - numbers separated by single spaces form one vector literal (`1 2 3f`), and symbols
//!   written back to back form a symbol vector (`` `a`b`c ``).

use fq_value::{Sym, Value};
use std::fmt;

/// Byte range in the source.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Span {
    /// Start offset.
    pub start: u32,
    /// End offset (exclusive).
    pub end: u32,
}

impl Span {
    /// A span from offsets.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }
}

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A numeric, temporal, boolean or byte literal (atom or vector).
    Num(Value),
    /// A string literal's bytes (one byte is a char atom).
    Str(Vec<u8>),
    /// One or more symbols written back to back.
    Syms(Vec<Sym>),
    /// An identifier, possibly dotted (`x`, `.z.p`, `a.b`).
    Name(String),
    /// A primitive glyph: `+ - * % ! & | < > = ~ , ^ # _ $ ? @ .` and `0: 1: 2:`.
    Op(String),
    /// An iterator glyph: `' / \ ': /: \:`.
    Adverb(String),
    /// `:`.
    Colon,
    /// `::`.
    DoubleColon,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `{`.
    LBrace,
    /// `}`.
    RBrace,
    /// `;` (and newlines that separate statements).
    Semi,
}

/// A token with its span and whether whitespace preceded it.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
    /// True when whitespace (or the start of input) precedes it.
    pub spaced: bool,
}

/// A lexing error (reported as q's `'parse`-family errors by the caller).
#[derive(Clone, Debug, PartialEq)]
pub struct LexError {
    /// What went wrong.
    pub msg: &'static str,
    /// Where.
    pub at: usize,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.msg, self.at)
    }
}

const GLYPHS: &[u8] = b"+-*%!&|<>=~,^#_$?@.";

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic()
}
fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.'
}

/// Tokenise q source. Newlines become [`Tok::Semi`] unless the next line is indented
/// (a continuation, as in scripts) or inside brackets; the caller handles script-level
/// structure.
pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    Lexer { s: src.as_bytes(), i: 0, out: Vec::new(), depth: 0 }.run()
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    out: Vec<Token>,
    depth: i32,
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.s.get(self.i + k).copied().unwrap_or(0)
    }

    fn prev_is_noun_end(&self) -> bool {
        matches!(
            self.out.last().map(|t| &t.tok),
            Some(
                Tok::Num(_)
                    | Tok::Str(_)
                    | Tok::Syms(_)
                    | Tok::Name(_)
                    | Tok::RParen
                    | Tok::RBracket
                    | Tok::RBrace
            )
        )
    }

    fn push(&mut self, tok: Tok, start: usize, spaced: bool) {
        self.out.push(Token { tok, span: Span::new(start, self.i), spaced });
    }

    fn run(mut self) -> Result<Vec<Token>, LexError> {
        let mut spaced = true;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            let start = self.i;
            match c {
                b' ' | b'\t' | b'\r' => {
                    self.i += 1;
                    spaced = true;
                    continue;
                }
                b'\n' => {
                    self.i += 1;
                    // A following indented line continues this statement.
                    let cont = matches!(self.peek(0), b' ' | b'\t');
                    if self.depth == 0
                        && !cont
                        && !matches!(self.out.last().map(|t| &t.tok), Some(Tok::Semi) | None)
                    {
                        self.push(Tok::Semi, start, true);
                    }
                    spaced = true;
                    continue;
                }
                b'/' if spaced => {
                    while self.i < self.s.len() && self.s[self.i] != b'\n' {
                        self.i += 1;
                    }
                    continue;
                }
                b'"' => {
                    let bytes = self.string()?;
                    self.push(Tok::Str(bytes), start, spaced);
                }
                b'`' => {
                    let syms = self.symbols();
                    self.push(Tok::Syms(syms), start, spaced);
                }
                b'0'..=b'9' => self.number(spaced, start)?,
                b'.' if self.peek(1).is_ascii_digit() => self.number(spaced, start)?,
                b'-' if (self.peek(1).is_ascii_digit()
                    || (self.peek(1) == b'.' && self.peek(2).is_ascii_digit()))
                    && (spaced || !self.prev_is_noun_end()) =>
                {
                    self.number(spaced, start)?
                }
                b'.' if is_name_start(self.peek(1)) => self.name(spaced, start),
                c if is_name_start(c) => self.name(spaced, start),
                b'\'' | b'/' | b'\\' => {
                    self.i += 1;
                    let mut g = String::from(c as char);
                    if self.peek(0) == b':' {
                        self.i += 1;
                        g.push(':');
                    }
                    self.push(Tok::Adverb(g), start, spaced);
                }
                b':' => {
                    self.i += 1;
                    if self.peek(0) == b':' {
                        self.i += 1;
                        self.push(Tok::DoubleColon, start, spaced);
                    } else {
                        self.push(Tok::Colon, start, spaced);
                    }
                }
                b'(' | b'[' | b'{' => {
                    self.i += 1;
                    self.depth += 1;
                    let t = match c {
                        b'(' => Tok::LParen,
                        b'[' => Tok::LBracket,
                        _ => Tok::LBrace,
                    };
                    self.push(t, start, spaced);
                }
                b')' | b']' | b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    let t = match c {
                        b')' => Tok::RParen,
                        b']' => Tok::RBracket,
                        _ => Tok::RBrace,
                    };
                    self.push(t, start, spaced);
                }
                b';' => {
                    self.i += 1;
                    self.push(Tok::Semi, start, spaced);
                }
                c if GLYPHS.contains(&c) => {
                    self.i += 1;
                    let mut g = (c as char).to_string();
                    // The two-character comparisons `<>`, `<=`, `>=`.
                    if (c == b'<' && matches!(self.peek(0), b'>' | b'='))
                        || (c == b'>' && self.peek(0) == b'=')
                    {
                        g.push(self.peek(0) as char);
                        self.i += 1;
                    }
                    self.push(Tok::Op(g), start, spaced);
                }
                _ => return Err(LexError { msg: "unexpected character", at: start }),
            }
            spaced = false;
        }
        Ok(self.out)
    }

    fn string(&mut self) -> Result<Vec<u8>, LexError> {
        let start = self.i;
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(LexError { msg: "unterminated string", at: start });
            };
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err(LexError { msg: "unterminated string", at: start });
                    };
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'\\' => out.push(b'\\'),
                        b'"' => out.push(b'"'),
                        b'0'..=b'7' => {
                            let d = &self.s[self.i - 1..(self.i + 2).min(self.s.len())];
                            if d.len() == 3 && d.iter().all(|x| (b'0'..=b'7').contains(x)) {
                                let v = (d[0] - b'0') as u32 * 64
                                    + (d[1] - b'0') as u32 * 8
                                    + (d[2] - b'0') as u32;
                                out.push(v as u8);
                                self.i += 2;
                            } else {
                                out.push(e);
                            }
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn symbols(&mut self) -> Vec<Sym> {
        let mut out = Vec::new();
        while self.peek(0) == b'`' {
            self.i += 1;
            let start = self.i;
            // Symbols may hold name characters, and file handles `:path/to/x`.
            let file = self.peek(0) == b':';
            while self.i < self.s.len() {
                let c = self.s[self.i];
                if is_name_char(c)
                    || (file && matches!(c, b':' | b'/' | b'-'))
                    || (c == b':' && self.i == start)
                {
                    self.i += 1;
                } else {
                    break;
                }
            }
            out.push(Sym::from_bytes(&self.s[start..self.i]));
        }
        out
    }

    fn name(&mut self, spaced: bool, start: usize) {
        while self.i < self.s.len() && is_name_char(self.s[self.i]) {
            self.i += 1;
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.push(Tok::Name(text), start, spaced);
    }

    /// Scan one numeric item from `self.i`; returns its end.
    fn scan_item(&self, mut j: usize) -> usize {
        let s = self.s;
        if s.get(j) == Some(&b'-') {
            j += 1;
        }
        if s.get(j) == Some(&b'0') && s.get(j + 1) == Some(&b'x') {
            j += 2;
            while s.get(j).is_some_and(u8::is_ascii_hexdigit) {
                j += 1;
            }
            return j;
        }
        while let Some(&c) = s.get(j) {
            let next = s.get(j + 1).copied().unwrap_or(0);
            let ok = c.is_ascii_alphanumeric()
                || c == b'.'
                // `09:30` is one item; `1:0x01` is `1:` then bytes.
                || (c == b':' && next.is_ascii_digit() && s.get(j + 2) != Some(&b'x'))
                || ((c == b'+' || c == b'-')
                    && matches!(s.get(j.wrapping_sub(1)), Some(b'e' | b'E'))
                    && next.is_ascii_digit()
                    && s[..j]
                        .iter()
                        .rev()
                        .take_while(|x| x.is_ascii_alphanumeric() || **x == b'.')
                        .all(|x| x.is_ascii_digit() || *x == b'.' || *x == b'e' || *x == b'E'));
            if !ok {
                break;
            }
            j += 1;
        }
        j
    }

    fn number(&mut self, spaced: bool, start: usize) -> Result<(), LexError> {
        let mut end = self.scan_item(self.i);
        // Join following items separated by spaces into one vector literal.
        loop {
            let mut k = end;
            while self.s.get(k) == Some(&b' ') {
                k += 1;
            }
            if k == end {
                break;
            }
            let c = self.s.get(k).copied().unwrap_or(0);
            let n1 = self.s.get(k + 1).copied().unwrap_or(0);
            let starts = c.is_ascii_digit()
                || (c == b'-' && (n1.is_ascii_digit() || n1 == b'.'))
                || (c == b'.' && n1.is_ascii_digit());
            if !starts {
                break;
            }
            let e = self.scan_item(k);
            // 0x.. and ..b literals do not vectorise by spaces.
            let item = &self.s[k..e];
            let first = &self.s[self.i..end];
            if item.starts_with(b"0x") || first.starts_with(b"0x") || item.ends_with(b"b") {
                break;
            }
            end = e;
        }
        let text = std::str::from_utf8(&self.s[self.i..end]).unwrap_or("");
        let value = crate::literal::parse_numeric(text)
            .ok_or(LexError { msg: "invalid number", at: start })?;
        self.i = end;
        self.push(Tok::Num(value), start, spaced);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fq_value::Vector;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }
    fn op(s: &str) -> Tok {
        Tok::Op(s.into())
    }
    fn name(s: &str) -> Tok {
        Tok::Name(s.into())
    }

    #[test]
    fn minus_rules() {
        assert_eq!(toks("x-1"), vec![name("x"), op("-"), Tok::Num(Value::Long(1))]);
        assert_eq!(toks("x -1"), vec![name("x"), Tok::Num(Value::Long(-1))]);
        assert_eq!(toks("2 -1"), vec![Tok::Num(Value::Vector(Vector::longs(&[2, -1])))]);
        assert_eq!(toks("2-1"), vec![Tok::Num(Value::Long(2)), op("-"), Tok::Num(Value::Long(1))]);
        assert_eq!(toks("(-1)"), vec![Tok::LParen, Tok::Num(Value::Long(-1)), Tok::RParen]);
        assert_eq!(toks("x - 1"), vec![name("x"), op("-"), Tok::Num(Value::Long(1))]);
        assert_eq!(toks("-x"), vec![op("-"), name("x")]);
    }

    #[test]
    fn comments_and_adverbs() {
        assert_eq!(
            toks("+/ 1 2 / sum"),
            vec![op("+"), Tok::Adverb("/".into()), Tok::Num(Value::Vector(Vector::longs(&[1, 2])))]
        );
        assert_eq!(toks("f/:x"), vec![name("f"), Tok::Adverb("/:".into()), name("x")]);
        assert_eq!(toks("/ whole line"), vec![]);
        assert_eq!(
            toks("a:1 ; b::2"),
            vec![
                name("a"),
                Tok::Colon,
                Tok::Num(Value::Long(1)),
                Tok::Semi,
                name("b"),
                Tok::DoubleColon,
                Tok::Num(Value::Long(2))
            ]
        );
    }

    #[test]
    fn literals() {
        assert_eq!(toks("\"a\\\"b\\n\\101\""), vec![Tok::Str(b"a\"b\nA".to_vec())]);
        assert_eq!(
            toks("`a`b.c`"),
            vec![Tok::Syms(vec![Sym::new("a"), Sym::new("b.c"), Sym::EMPTY])]
        );
        assert_eq!(toks("`:data/t"), vec![Tok::Syms(vec![Sym::new(":data/t")])]);
        assert_eq!(toks(".z.p"), vec![name(".z.p")]);
        assert_eq!(
            toks("1e-3+2"),
            vec![Tok::Num(Value::Float(0.001)), op("+"), Tok::Num(Value::Long(2))]
        );
        assert_eq!(
            toks("12:30 13:00"),
            vec![Tok::Num(Value::Vector(Vector::new(fq_value::QType::MINUTE, &[750i32, 780])))]
        );
        assert_eq!(toks("0x01 2"), vec![Tok::Num(Value::Byte(1)), Tok::Num(Value::Long(2))]);
        assert!(lex("\"abc").is_err());
        assert!(lex("1q").is_err());
    }

    #[test]
    fn two_char_ops() {
        assert_eq!(toks("a<>b"), vec![name("a"), op("<>"), name("b")]);
        assert_eq!(toks("a<=b"), vec![name("a"), op("<="), name("b")]);
        assert_eq!(toks("a>=b"), vec![name("a"), op(">="), name("b")]);
        assert_eq!(toks("a>b"), vec![name("a"), op(">"), name("b")]);
    }

    #[test]
    fn newlines() {
        assert_eq!(toks("a\nb"), vec![name("a"), Tok::Semi, name("b")]);
        assert_eq!(
            toks("f[1;\n 2]"),
            vec![
                name("f"),
                Tok::LBracket,
                Tok::Num(Value::Long(1)),
                Tok::Semi,
                Tok::Num(Value::Long(2)),
                Tok::RBracket
            ]
        );
        assert_eq!(toks("a\n b"), vec![name("a"), name("b")]);
    }
}
