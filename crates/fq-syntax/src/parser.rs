//! The q parser: tokens to [`Expr`], right to left.
//!
//! A phrase is a run of terms up to `;` or a closing bracket. Terms are nouns (literals,
//! names, lists, lambdas, applications) or verbs (glyphs, infix keywords such as `in`, and
//! anything an iterator derives). The phrase folds from the right: a verb with a noun on its
//! left applies dyadically, otherwise monadically; a noun followed by a value applies to it.

use crate::ast::{ApplyForm, Expr, LambdaDef, Query, QueryKind};
use crate::lexer::{lex, Span, Tok, Token};
use fq_value::{QError, Value, Vector};
use std::fmt;

/// A parse error with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// What is wrong.
    pub msg: String,
    /// Byte offset.
    pub at: usize,
    /// The bracket or quote q names the error after when the text is unbalanced
    /// (`')` for `{)}`, `'(` for `(1;2`, `'"` for `"abc`); `None` for `'parse`.
    pub unbalanced: Option<char>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.msg, self.at)
    }
}

impl ParseError {
    /// The q error a user sees: `'parse`, or the unbalanced bracket as q names it.
    pub fn to_q(&self) -> QError {
        match self.unbalanced {
            Some(c) => QError::Signal(c.to_string().into()),
            None => QError::Parse,
        }
    }
}

/// Keywords that q applies infix (`x in y`) as well as with brackets.
pub const INFIX_KEYWORDS: &[&str] = &[
    "and", "or", "in", "within", "like", "bin", "binr", "ss", "mod", "div", "xexp", "xlog",
    "except", "inter", "union", "cross", "each", "over", "scan", "prior", "peach", "mmu", "lsq",
    "set", "upsert", "insert", "xasc", "xdesc", "xcol", "xcols", "xkey", "xgroup", "xrank", "xbar",
    "xprev", "rotate", "sublist", "sv", "vs", "cut", "lj", "ljf", "ij", "ijf", "uj", "ujf", "pj",
    "aj", "aj0", "ajf", "ajf0", "asof", "wj", "wj1", "ej", "fby", "wavg", "wsum", "cov", "cor",
    "scov", "mavg", "msum", "mmin", "mmax", "mdev", "mcount", "ema", "dsave", "to",
];

/// Check that brackets pair up, as q does before parsing: the first closer that does
/// not match its opener (or has none) names the error, else the first opener left open.
fn balanced(toks: &[Token]) -> Result<(), ParseError> {
    let mut open: Vec<(char, usize)> = Vec::new();
    for t in toks {
        let at = t.span.start as usize;
        let (opener, closer) = match t.tok {
            Tok::LParen => (Some('('), None),
            Tok::LBracket => (Some('['), None),
            Tok::LBrace => (Some('{'), None),
            Tok::RParen => (None, Some((')', '('))),
            Tok::RBracket => (None, Some((']', '['))),
            Tok::RBrace => (None, Some(('}', '{'))),
            _ => (None, None),
        };
        if let Some(c) = opener {
            open.push((c, at));
        }
        if let Some((c, want)) = closer {
            if open.pop().map(|(o, _)| o) != Some(want) {
                return Err(ParseError { msg: format!("unmatched {c}"), at, unbalanced: Some(c) });
            }
        }
    }
    match open.first() {
        Some(&(c, at)) => Err(ParseError { msg: format!("unclosed {c}"), at, unbalanced: Some(c) }),
        None => Ok(()),
    }
}

/// Parse a whole program (statements separated by `;` or newlines).
pub fn parse(src: &str) -> Result<Vec<Expr>, ParseError> {
    let src_trim = src.strip_prefix("k)").unwrap_or(src);
    let offset = src.len() - src_trim.len();
    let toks = lex(src_trim).map_err(|e| ParseError {
        msg: e.msg.to_string(),
        at: e.at + offset,
        unbalanced: (e.msg == "unterminated string").then_some('"'),
    })?;
    balanced(&toks)?;
    let limit = toks.len();
    let mut p = Parser { t: toks, i: 0, src: src_trim, depth: 0, limit };
    let stmts = p.statements()?;
    if let Some(tok) = p.t.get(p.i) {
        return Err(ParseError {
            msg: format!("unexpected {:?}", tok.tok),
            at: tok.span.start as usize,
            unbalanced: None,
        });
    }
    Ok(stmts)
}

/// Maximum nesting of brackets and lambdas.
const MAX_DEPTH: usize = 128;

enum Term {
    Noun(Expr),
    Verb(Expr),
}

struct Parser<'a> {
    t: Vec<Token>,
    i: usize,
    src: &'a str,
    depth: usize,
    /// Tokens from here on are out of bounds (a qSQL subphrase ends at its comma).
    limit: usize,
}

fn err<T>(msg: &str, at: usize) -> Result<T, ParseError> {
    Err(ParseError { msg: msg.to_string(), at, unbalanced: None })
}

impl Parser<'_> {
    fn get(&self, at: usize) -> Option<&Token> {
        if at < self.limit {
            self.t.get(at)
        } else {
            None
        }
    }
    fn peek(&self) -> Option<&Tok> {
        self.get(self.i).map(|t| &t.tok)
    }
    fn peek_at(&self, k: usize) -> Option<&Token> {
        self.get(self.i + k)
    }
    fn pos(&self) -> usize {
        self.t.get(self.i).map_or(self.src.len(), |t| t.span.start as usize)
    }
    /// True when the token `k` ahead is an unspaced `[`.
    fn bracket_follows(&self, k: usize) -> bool {
        matches!(self.t.get(self.i + k), Some(t) if t.tok == Tok::LBracket && !t.spaced)
    }
    fn at_end_of_phrase(&self) -> bool {
        matches!(self.peek(), None | Some(Tok::Semi | Tok::RParen | Tok::RBracket | Tok::RBrace))
    }
    fn expect(&mut self, want: &Tok, what: &str) -> Result<Span, ParseError> {
        match self.get(self.i) {
            Some(t) if &t.tok == want => {
                let span = t.span;
                self.i += 1;
                Ok(span)
            }
            _ => err(&format!("expected {what}"), self.pos()),
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err("nesting too deep", self.pos());
        }
        Ok(())
    }

    /// Statements separated by `;` until a closer or the end.
    fn statements(&mut self) -> Result<Vec<Expr>, ParseError> {
        let mut out = vec![self.phrase()?];
        while self.peek() == Some(&Tok::Semi) {
            self.i += 1;
            out.push(self.phrase()?);
        }
        Ok(out)
    }

    /// Items separated by `;` inside brackets: empty items are `None`.
    fn args(&mut self) -> Result<Vec<Option<Expr>>, ParseError> {
        let mut out = Vec::new();
        loop {
            let e = self.phrase()?;
            out.push(if e == Expr::Nil { None } else { Some(e) });
            if self.peek() == Some(&Tok::Semi) {
                self.i += 1;
            } else {
                return Ok(out);
            }
        }
    }

    fn phrase(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut terms: Vec<Term> = Vec::new();
        while !self.at_end_of_phrase() {
            // `:e` at the start returns; `'e` at the start signals.
            if terms.is_empty() {
                let colon_alone = matches!(
                    self.get(self.i + 1).map(|t| &t.tok),
                    None | Some(Tok::Semi | Tok::RBracket | Tok::RParen | Tok::RBrace)
                );
                match self.peek() {
                    Some(Tok::Colon) if !colon_alone => {
                        self.i += 1;
                        let e = self.phrase()?;
                        self.depth -= 1;
                        return Ok(Expr::Return(Box::new(e)));
                    }
                    Some(Tok::Adverb(a)) if a == "'" && !self.bracket_follows(1) => {
                        self.i += 1;
                        let e = self.phrase()?;
                        self.depth -= 1;
                        return Ok(Expr::Signal(Box::new(e)));
                    }
                    _ => {}
                }
            }
            if let Some(assign) = self.try_assignment()? {
                terms.push(Term::Noun(assign));
                break;
            }
            let term = self.term(terms.last().is_some_and(|t| matches!(t, Term::Noun(_))))?;
            terms.push(term);
        }
        self.depth -= 1;
        fold(terms)
    }

    /// `name:` `name::` `name[..]:` `name op:` `name[..] op:` — parses the value too.
    fn try_assignment(&mut self) -> Result<Option<Expr>, ParseError> {
        if self.peek() == Some(&Tok::LParen) {
            return self.try_paren_assignment();
        }
        let Some(Tok::Name(name)) = self.peek().cloned() else { return Ok(None) };
        let save = self.i;
        self.i += 1;
        let mut indices = None;
        if self.peek() == Some(&Tok::LBracket) && !self.t[self.i].spaced {
            self.i += 1;
            self.enter()?;
            let a = self.args()?;
            self.depth -= 1;
            if self.expect(&Tok::RBracket, "]").is_err() {
                self.i = save;
                return Ok(None);
            }
            indices = Some(a);
        }
        let (op, global) = match (self.peek_at(0).map(|t| &t.tok), self.peek_at(1)) {
            (Some(Tok::Colon), _) => {
                self.i += 1;
                (None, false)
            }
            (Some(Tok::DoubleColon), _) => {
                self.i += 1;
                (None, true)
            }
            (Some(Tok::Op(g)), Some(t))
                if matches!(t.tok, Tok::Colon | Tok::DoubleColon) && !t.spaced =>
            {
                // `x+:y` amends x; `x+::y` amends the global x (inside a function).
                let (g, global) = (g.clone(), t.tok == Tok::DoubleColon);
                self.i += 2;
                (Some(Box::new(Expr::Prim { glyph: g, unary: false })), global)
            }
            (Some(Tok::Name(k)), Some(t))
                if t.tok == Tok::Colon && !t.spaced && INFIX_KEYWORDS.contains(&k.as_str()) =>
            {
                let k = k.clone();
                self.i += 2;
                (Some(Box::new(Expr::Name(k))), false)
            }
            (Some(Tok::Adverb(_)), _) => {
                // `x,/:y`-like: not an assignment.
                self.i = save;
                return Ok(None);
            }
            _ => {
                self.i = save;
                return Ok(None);
            }
        };
        // `x::` alone or `f[x]:` with nothing after is a parse error in q.
        let value = if self.at_end_of_phrase() { Expr::Nil } else { self.phrase()? };
        if value == Expr::Nil && !global {
            return err("assignment without a value", self.pos());
        }
        if value == Expr::Nil {
            // `a::` is q's identity view form; treat as parse error for now.
            return err("assignment without a value", self.pos());
        }
        Ok(Some(Expr::Assign { name, indices, op, value: Box::new(value), global }))
    }

    /// `(name):v` and `(name i):v`, which q reads as `name:v` and `name[i]:v` (the same
    /// parse tree). Only tried when a `:` follows the closing `)`, so nothing is parsed twice.
    fn try_paren_assignment(&mut self) -> Result<Option<Expr>, ParseError> {
        let Some(Tok::Name(name)) = self.peek_at(1).map(|t| t.tok.clone()) else {
            return Ok(None);
        };
        let mut depth = 0usize;
        let mut close = None;
        for (k, t) in self.t[self.i..].iter().enumerate() {
            match t.tok {
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(self.i + k);
                        break;
                    }
                }
                Tok::Semi if depth == 1 => return Ok(None),
                _ => {}
            }
        }
        let Some(close) = close else { return Ok(None) };
        if self.t[close].tok != Tok::RParen
            || !matches!(self.t.get(close + 1), Some(t) if t.tok == Tok::Colon)
        {
            return Ok(None);
        }
        self.i += 2;
        let indices = if self.i == close {
            None
        } else {
            self.enter()?;
            let ix = self.phrase()?;
            self.depth -= 1;
            if self.i != close {
                return err("expected )", self.pos());
            }
            Some(vec![Some(ix)])
        };
        self.i = close + 2;
        let value = if self.at_end_of_phrase() { Expr::Nil } else { self.phrase()? };
        if value == Expr::Nil {
            return err("assignment without a value", self.pos());
        }
        Ok(Some(Expr::Assign { name, indices, op: None, value: Box::new(value), global: false }))
    }

    /// One term with its postfix brackets and iterators.
    fn term(&mut self, after_noun: bool) -> Result<Term, ParseError> {
        let tok = self.t[self.i].clone();
        self.i += 1;
        let mut term = match tok.tok {
            Tok::Num(v) => Term::Noun(Expr::Lit(v)),
            Tok::Str(s) => Term::Noun(Expr::Lit(if s.len() == 1 {
                Value::Char(s[0])
            } else {
                Value::Vector(Vector::chars(&s))
            })),
            Tok::Syms(s) => Term::Noun(Expr::Lit(if s.len() == 1 {
                Value::Symbol(s[0])
            } else {
                Value::Vector(Vector::syms(&s))
            })),
            Tok::Name(n) => {
                let bracket = self.peek() == Some(&Tok::LBracket);
                match n.as_str() {
                    "if" | "do" | "while" if bracket => {
                        self.i += 1;
                        let body = self.bracket_body()?;
                        let e = match n.as_str() {
                            "if" => Expr::If(body),
                            "do" => Expr::Do(body),
                            _ => Expr::While(body),
                        };
                        return Ok(Term::Noun(e));
                    }
                    "select" | "exec" | "update" | "delete" => {
                        let kind = match n.as_str() {
                            "select" => QueryKind::Select,
                            "exec" => QueryKind::Exec,
                            "update" => QueryKind::Update,
                            _ => QueryKind::Delete,
                        };
                        return Ok(Term::Noun(self.query(kind, tok.span.start as usize)?));
                    }
                    _ if INFIX_KEYWORDS.contains(&n.as_str()) && after_noun => {
                        Term::Verb(Expr::Name(n))
                    }
                    _ => Term::Noun(Expr::Name(n)),
                }
            }
            Tok::Op(g) => {
                if g == "$" && self.peek() == Some(&Tok::LBracket) && !self.t[self.i].spaced {
                    self.i += 1;
                    let body = self.bracket_body()?;
                    return Ok(Term::Noun(Expr::Cond(body)));
                }
                // `#:` etc. written explicitly is the monadic form.
                let unary = matches!(self.get(self.i), Some(t) if t.tok == Tok::Colon && !t.spaced);
                if unary {
                    self.i += 1;
                }
                // `0:` `1:` `2:` are lexed as numbers followed by a colon; handled below.
                Term::Verb(Expr::Prim { glyph: g, unary })
            }
            Tok::Colon => Term::Verb(Expr::Prim { glyph: ":".into(), unary: false }),
            Tok::DoubleColon => Term::Noun(Expr::Lit(fq_value::GENERIC_NULL)),
            Tok::LParen => self.paren(tok.span)?,
            Tok::LBrace => Term::Noun(self.lambda(tok.span)?),
            Tok::LBracket => {
                let body = self.bracket_body()?;
                Term::Noun(Expr::Block(body))
            }
            Tok::Adverb(a) if self.bracket_follows(0) => {
                // `'[f;g]` composes; `/[f;x]`... applies the iterator's derived function.
                let code = ["'", "/", "\\", "':", "/:", "\\:"].iter().position(|g| *g == a);
                match code {
                    Some(c) => Term::Noun(Expr::Lit(Value::Iterator(c as u8))),
                    None => return err(&format!("unexpected {a}"), tok.span.start as usize),
                }
            }
            Tok::Adverb(a) => {
                // A bare iterator as a value (`/` alone) is rare; q parses `'` before a noun
                // as signal only at phrase start, handled by the caller.
                return err(&format!("unexpected {a}"), tok.span.start as usize);
            }
            Tok::Semi | Tok::RParen | Tok::RBracket | Tok::RBrace => {
                return err("unexpected closer", tok.span.start as usize);
            }
        };
        // Numbers followed directly by a colon: the IO verbs 0: 1: 2:.
        if let Term::Noun(Expr::Lit(Value::Long(n @ 0..=2))) = &term {
            if let Some(t) = self.get(self.i) {
                if t.tok == Tok::Colon && !t.spaced {
                    let g = format!("{n}:");
                    self.i += 1;
                    term = Term::Verb(Expr::Prim { glyph: g, unary: false });
                }
            }
        }
        // Postfix: brackets apply, iterators derive.
        loop {
            match self.get(self.i) {
                Some(t) if t.tok == Tok::LBracket && !t.spaced => {
                    self.i += 1;
                    self.enter()?;
                    let args = self.args()?;
                    self.depth -= 1;
                    self.expect(&Tok::RBracket, "]")?;
                    let f = match term {
                        Term::Noun(e) | Term::Verb(e) => e,
                    };
                    term =
                        Term::Noun(Expr::Apply { f: Box::new(f), args, form: ApplyForm::Bracket });
                }
                Some(Token { tok: Tok::Adverb(a), spaced: false, .. }) => {
                    let a = a.clone();
                    self.i += 1;
                    let f = match term {
                        Term::Noun(e) | Term::Verb(e) => e,
                    };
                    term = Term::Verb(Expr::Derived { adverb: a, f: Box::new(f) });
                }
                _ => return Ok(term),
            }
        }
    }

    /// The rest of a qSQL template after its keyword, up to the end of the phrase.
    fn query(&mut self, kind: QueryKind, at: usize) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut limit = None;
        if kind == QueryKind::Select && self.peek() == Some(&Tok::LBracket) {
            self.i += 1;
            limit = Some(self.bracket_body()?);
        }
        let distinct = kind == QueryKind::Select
            && matches!(self.peek(), Some(Tok::Name(n)) if n == "distinct");
        if distinct {
            self.i += 1;
        }
        // Find the phrase's end and the template's keywords at bracket depth 0.
        let start = self.i;
        let (mut by, mut from, mut where_) = (None, None, None);
        let mut commas = Vec::new();
        let mut depth = 0usize;
        let mut j = start;
        while let Some(t) = self.get(j) {
            match &t.tok {
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace if depth == 0 => break,
                Tok::RParen | Tok::RBracket | Tok::RBrace => depth -= 1,
                Tok::Semi if depth == 0 => break,
                Tok::Op(g) if depth == 0 && g == "," => commas.push(j),
                Tok::Name(n) if depth == 0 => match n.as_str() {
                    "by" if from.is_none() && by.is_none() => by = Some(j),
                    "from" if from.is_none() => from = Some(j),
                    "where" if from.is_some() && where_.is_none() => where_ = Some(j),
                    // A template in the table expression takes the rest of the phrase.
                    "select" | "exec" | "update" | "delete"
                        if from.is_some() && where_.is_none() =>
                    {
                        let mut k = j;
                        while let Some(t) = self.get(k) {
                            match &t.tok {
                                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                                Tok::RParen | Tok::RBracket | Tok::RBrace if depth == 0 => break,
                                Tok::RParen | Tok::RBracket | Tok::RBrace => depth -= 1,
                                Tok::Semi if depth == 0 => break,
                                _ => {}
                            }
                            k += 1;
                        }
                        j = k;
                        break;
                    }
                    _ => {}
                },
                _ => {}
            }
            j += 1;
        }
        let end = j;
        let Some(from) = from else { return err("from", at) };
        let cols_end = by.unwrap_or(from);
        let cols = self.subphrases(start, cols_end, &commas)?;
        let by = match by {
            Some(b) => Some(self.subphrases(b + 1, from, &commas)?),
            None => None,
        };
        let from_end = where_.unwrap_or(end);
        let from_expr = self.segment(from + 1, from_end)?;
        if from_expr == Expr::Nil {
            return err("from", at);
        }
        let wheres = match where_ {
            Some(w) => self.subphrases(w + 1, end, &commas)?.into_iter().map(|(_, e)| e).collect(),
            None => Vec::new(),
        };
        self.i = end;
        self.depth -= 1;
        let wheres: Vec<Expr> = wheres;
        if kind == QueryKind::Delete && (by.is_some() || (!cols.is_empty() && !wheres.is_empty())) {
            return err("nyi", at);
        }
        if kind == QueryKind::Update && cols.is_empty() {
            return err("update", at);
        }
        Ok(Expr::Query(Box::new(Query {
            kind,
            limit,
            distinct,
            cols,
            by,
            from: from_expr,
            wheres,
        })))
    }

    /// One expression filling exactly tokens `a..b`.
    fn segment(&mut self, a: usize, b: usize) -> Result<Expr, ParseError> {
        let saved = (self.i, self.limit);
        self.i = a;
        self.limit = b;
        let e = self.phrase();
        let done = self.i == b;
        let pos = self.pos();
        self.i = saved.0;
        self.limit = saved.1;
        let e = e?;
        if !done {
            return err("unexpected token in query", pos);
        }
        Ok(e)
    }

    /// Comma-separated subphrases in tokens `a..b`, each with its name if written `n:e`.
    #[allow(clippy::type_complexity)]
    fn subphrases(
        &mut self,
        a: usize,
        b: usize,
        commas: &[usize],
    ) -> Result<Vec<(Option<String>, Expr)>, ParseError> {
        if a >= b {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let mut s = a;
        for &c in commas.iter().filter(|&&c| c >= a && c < b).chain(std::iter::once(&b)) {
            let e = self.segment(s, c)?;
            s = c + 1;
            out.push(match e {
                Expr::Assign { name, indices: None, op: None, value, global: false } => {
                    (Some(name), *value)
                }
                Expr::Nil => return err("empty subphrase", self.pos()),
                e => (None, e),
            });
        }
        Ok(out)
    }

    fn bracket_body(&mut self) -> Result<Vec<Expr>, ParseError> {
        self.enter()?;
        let body = self.statements()?;
        self.depth -= 1;
        self.expect(&Tok::RBracket, "]")?;
        Ok(body)
    }

    fn paren(&mut self, open: Span) -> Result<Term, ParseError> {
        self.enter()?;
        if self.peek() == Some(&Tok::RParen) {
            self.i += 1;
            self.depth -= 1;
            return Ok(Term::Noun(Expr::Lit(Value::list(vec![]))));
        }
        if self.peek() == Some(&Tok::LBracket) {
            let t = self.table()?;
            self.depth -= 1;
            return Ok(Term::Noun(t));
        }
        let items = self.statements()?;
        self.depth -= 1;
        if self.expect(&Tok::RParen, ")").is_err() {
            return err("unbalanced (", open.start as usize);
        }
        if items.len() == 1 {
            // A parenthesised verb stays a verb value: `(+)`.
            let e = items.into_iter().next().unwrap_or(Expr::Nil);
            return Ok(match e {
                Expr::Prim { .. } | Expr::Derived { .. } => Term::Noun(e),
                e => Term::Noun(e),
            });
        }
        if items.contains(&Expr::Nil) {
            // `(1;)`: a list with a hole is a projection of enlist.
            let args = items.into_iter().map(|e| (e != Expr::Nil).then_some(e)).collect();
            return Ok(Term::Noun(Expr::Apply {
                f: Box::new(Expr::Name("enlist".into())),
                args,
                form: ApplyForm::Bracket,
            }));
        }
        Ok(Term::Noun(Expr::List(items)))
    }

    /// `([k1:e;…] c1:e;…)` after the `(`.
    fn table(&mut self) -> Result<Expr, ParseError> {
        self.expect(&Tok::LBracket, "[")?;
        let keys = if self.peek() == Some(&Tok::RBracket) { Vec::new() } else { self.columns()? };
        self.expect(&Tok::RBracket, "]")?;
        // `([k:…]; c:…)`: a separator after the keys is allowed.
        if self.peek() == Some(&Tok::Semi) {
            self.i += 1;
        }
        let cols = if self.peek() == Some(&Tok::RParen) { Vec::new() } else { self.columns()? };
        self.expect(&Tok::RParen, ")")?;
        Ok(Expr::Table { keys, cols })
    }

    fn columns(&mut self) -> Result<Vec<(String, Expr)>, ParseError> {
        let mut out = Vec::new();
        loop {
            let e = self.phrase()?;
            let (name, e) = match e {
                Expr::Assign { name, indices: None, op: None, value, global: false } => {
                    (name, *value)
                }
                Expr::Name(n) => (n.rsplit('.').next().unwrap_or(&n).to_string(), Expr::Name(n)),
                other => (
                    if out.is_empty() { "x".to_string() } else { format!("x{}", out.len()) },
                    other,
                ),
            };
            out.push((name, e));
            if self.peek() == Some(&Tok::Semi) {
                self.i += 1;
            } else {
                return Ok(out);
            }
        }
    }

    fn lambda(&mut self, open: Span) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut params = None;
        if self.peek() == Some(&Tok::LBracket) {
            self.i += 1;
            let mut ps = Vec::new();
            loop {
                match self.peek().cloned() {
                    Some(Tok::Name(n)) => {
                        self.i += 1;
                        ps.push(n);
                    }
                    Some(Tok::RBracket) => {}
                    _ => return err("bad lambda parameters", self.pos()),
                }
                match self.peek() {
                    Some(Tok::Semi) => self.i += 1,
                    Some(Tok::RBracket) => {
                        self.i += 1;
                        break;
                    }
                    _ => return err("bad lambda parameters", self.pos()),
                }
            }
            if ps.len() > 8 {
                return err("params", open.start as usize);
            }
            params = Some(ps);
        }
        let body = self.statements()?;
        let close = self.expect(&Tok::RBrace, "}")?;
        self.depth -= 1;
        let span = Span { start: open.start, end: close.end };
        let source = self.src[span.start as usize..span.end as usize].to_string();
        Ok(Expr::Lambda(Box::new(LambdaDef { params, body, source, span })))
    }
}

/// Fold a phrase's terms right to left.
fn fold(terms: Vec<Term>) -> Result<Expr, ParseError> {
    let mut terms = terms;
    let Some(last) = terms.pop() else { return Ok(Expr::Nil) };
    let mut acc: Option<Expr> = None;
    let mut pending_verb: Option<Expr> = None;
    // A phrase ending in a verb with no right argument is a function: what stands to its
    // left composes with it (`til count@`, `105>sum@`, `0|+`).
    let mut train = false;
    match last {
        Term::Noun(e) => acc = Some(e),
        Term::Verb(v) => {
            pending_verb = Some(v);
            train = true;
        }
    }
    while let Some(t) = terms.pop() {
        if train && acc.is_some() {
            let right = acc.take().unwrap_or(Expr::Nil);
            let left = match t {
                Term::Noun(n) => n,
                Term::Verb(v) => match terms.pop() {
                    Some(Term::Noun(l)) => Expr::Apply {
                        f: Box::new(v),
                        args: vec![Some(l), None],
                        form: ApplyForm::Infix,
                    },
                    other => {
                        if let Some(o) = other {
                            terms.push(o);
                        }
                        v
                    }
                },
            };
            acc = Some(compose(left, right));
            continue;
        }
        match t {
            Term::Noun(n) => {
                if let Some(v) = pending_verb.take() {
                    // `2+` : a projection of the verb on its left argument.
                    acc = Some(Expr::Apply {
                        f: Box::new(v),
                        args: vec![Some(n), None],
                        form: ApplyForm::Infix,
                    });
                    continue;
                }
                let right = acc.take().unwrap_or(Expr::Nil);
                acc = Some(Expr::apply(n, vec![right], ApplyForm::Juxtapose));
            }
            Term::Verb(v) => {
                if let Some(pv) = pending_verb.take() {
                    // Two verbs in a row with nothing on the right: `0|+` composes the
                    // projection `0|` with `+`; a bare `f g` applies the left to the right.
                    match terms.pop() {
                        Some(Term::Noun(l)) => {
                            let left = Expr::Apply {
                                f: Box::new(v),
                                args: vec![Some(l), None],
                                form: ApplyForm::Infix,
                            };
                            acc = Some(compose(left, pv));
                        }
                        other => {
                            if let Some(o) = other {
                                terms.push(o);
                            }
                            acc = Some(Expr::apply(v, vec![pv], ApplyForm::Prefix));
                        }
                    }
                    continue;
                }
                let right = acc.take().unwrap_or(Expr::Nil);
                match terms.pop() {
                    Some(Term::Noun(left)) => {
                        acc = Some(Expr::apply(v, vec![left, right], ApplyForm::Infix));
                    }
                    other => {
                        // Not a left argument: put it back for the next step.
                        if let Some(t) = other {
                            terms.push(t);
                        }
                        acc = Some(Expr::apply(v, vec![right], ApplyForm::Prefix));
                    }
                }
            }
        }
    }
    Ok(match (acc, pending_verb) {
        (Some(e), None) => e,
        (None, Some(v)) => v,
        (Some(e), Some(_)) => e,
        (None, None) => Expr::Nil,
    })
}

/// `'[f;g]`: the composition of `f` with `g`.
fn compose(f: Expr, g: Expr) -> Expr {
    Expr::Apply {
        f: Box::new(Expr::Lit(Value::Iterator(0))),
        args: vec![Some(f), Some(g)],
        form: ApplyForm::Bracket,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p1(s: &str) -> Expr {
        let mut v = parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(v.len(), 1, "{s}");
        v.remove(0)
    }
    fn name(s: &str) -> Expr {
        Expr::Name(s.into())
    }
    fn prim(g: &str) -> Expr {
        Expr::Prim { glyph: g.into(), unary: false }
    }
    fn lit(i: i64) -> Expr {
        Expr::Lit(Value::Long(i))
    }

    #[test]
    fn right_to_left() {
        // 2*3+4 is 2*(3+4)
        assert_eq!(
            p1("2*3+4"),
            Expr::apply(
                prim("*"),
                vec![lit(2), Expr::apply(prim("+"), vec![lit(3), lit(4)], ApplyForm::Infix)],
                ApplyForm::Infix
            )
        );
        // f x y is f[x[y]]
        assert_eq!(
            p1("f x y"),
            Expr::apply(
                name("f"),
                vec![Expr::apply(name("x"), vec![name("y")], ApplyForm::Juxtapose)],
                ApplyForm::Juxtapose
            )
        );
        // neg -x
        assert_eq!(p1("-x"), Expr::apply(prim("-"), vec![name("x")], ApplyForm::Prefix));
        assert_eq!(
            p1("x in y"),
            Expr::apply(name("in"), vec![name("x"), name("y")], ApplyForm::Infix)
        );
        assert_eq!(
            p1("in[x;y]"),
            Expr::Apply {
                f: Box::new(name("in")),
                args: vec![Some(name("x")), Some(name("y"))],
                form: ApplyForm::Bracket
            }
        );
    }

    #[test]
    fn assignments() {
        assert!(
            matches!(p1("a:1"), Expr::Assign { ref name, op: None, global: false, .. } if name == "a")
        );
        assert!(matches!(p1("a+:1"), Expr::Assign { op: Some(_), .. }));
        assert!(matches!(p1("a[1]:2"), Expr::Assign { indices: Some(_), .. }));
        assert!(matches!(p1("a::2"), Expr::Assign { global: true, .. }));
        // 1+a:2 assigns then adds
        let Expr::Apply { args, .. } = p1("1+a:2") else { panic!() };
        assert!(matches!(args[1], Some(Expr::Assign { .. })));
        assert!(matches!(p1("a,:1 2"), Expr::Assign { op: Some(_), .. }));
    }

    #[test]
    fn iterators_and_projections() {
        assert_eq!(
            p1("+/ x"),
            Expr::apply(
                Expr::Derived { adverb: "/".into(), f: Box::new(prim("+")) },
                vec![name("x")],
                ApplyForm::Prefix
            )
        );
        assert_eq!(
            p1("0 +/ x"),
            Expr::apply(
                Expr::Derived { adverb: "/".into(), f: Box::new(prim("+")) },
                vec![lit(0), name("x")],
                ApplyForm::Infix
            )
        );
        assert_eq!(
            p1("f'[x;y]"),
            Expr::Apply {
                f: Box::new(Expr::Derived { adverb: "'".into(), f: Box::new(name("f")) }),
                args: vec![Some(name("x")), Some(name("y"))],
                form: ApplyForm::Bracket
            }
        );
        assert_eq!(
            p1("f[;1]"),
            Expr::Apply {
                f: Box::new(name("f")),
                args: vec![None, Some(lit(1))],
                form: ApplyForm::Bracket
            }
        );
        assert_eq!(
            p1("2+"),
            Expr::Apply {
                f: Box::new(prim("+")),
                args: vec![Some(lit(2)), None],
                form: ApplyForm::Infix
            }
        );
        assert_eq!(p1("+"), prim("+"));
        assert_eq!(p1("#:"), Expr::Prim { glyph: "#".into(), unary: true });
        assert_eq!(
            p1("count each x"),
            Expr::apply(name("each"), vec![name("count"), name("x")], ApplyForm::Infix)
        );
    }

    #[test]
    fn structures() {
        assert_eq!(p1("(1;`a)"), Expr::List(vec![lit(1), Expr::Lit(Value::sym("a"))]));
        assert_eq!(p1("(1)"), lit(1));
        assert_eq!(p1("()"), Expr::Lit(Value::list(vec![])));
        let Expr::Lambda(l) = p1("{[a;b] a+b}") else { panic!() };
        assert_eq!(l.params, Some(vec!["a".into(), "b".into()]));
        assert_eq!(l.source, "{[a;b] a+b}");
        let Expr::Lambda(l) = p1("{x+y; :z}") else { panic!() };
        assert_eq!((l.params, l.body.len()), (None, 2));
        assert!(matches!(l.body[1], Expr::Return(_)));
        assert!(matches!(p1("$[a;b;c]"), Expr::Cond(ref v) if v.len() == 3));
        assert!(matches!(p1("if[a;b]"), Expr::If(_)));
        assert!(matches!(p1("'`oops"), Expr::Signal(_)));
        let Expr::Table { keys, cols } = p1("([k:1 2] v:3 4; w)") else { panic!() };
        assert_eq!((keys.len(), cols.len(), cols[1].0.as_str()), (1, 2, "w"));
        assert_eq!(parse("a:1;b:2\nc").unwrap().len(), 3);
        assert!(parse("(1;2").is_err());
        assert!(parse("f[1").is_err());
        assert!(parse("{x").is_err());
        assert!(parse("1)").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let s = "(".repeat(10_000);
        assert!(parse(&s).is_err());
    }
}
