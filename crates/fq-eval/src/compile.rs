//! From syntax to [`Node`]: resolve locals to slots, keywords and glyphs to primitive
//! codes, infix and prefix forms to direct primitive calls.

use crate::node::{Node, Proto, QueryNode, Target};
use crate::prims;
use fq_syntax::{ApplyForm, Expr, LambdaDef, Query, QueryKind};
use fq_value::{Adverb, Lambda, QError, QResult, Sym, Value};
use std::sync::Arc;

/// Compiles one scope: the top level (no locals) or a lambda body.
pub struct Compiler {
    locals: Option<Vec<Sym>>,
    context: Sym,
    /// Inside a qSQL phrase: names may be columns.
    query: u32,
}

fn adverb(g: &str) -> QResult<Adverb> {
    Ok(match g {
        "'" => Adverb::Each,
        "/" => Adverb::Over,
        "\\" => Adverb::Scan,
        "':" => Adverb::EachPrior,
        "/:" => Adverb::EachRight,
        "\\:" => Adverb::EachLeft,
        _ => return Err(QError::Parse),
    })
}

impl Compiler {
    /// A compiler for top-level code in namespace `context` (root is the empty symbol).
    pub fn top(context: Sym) -> Compiler {
        Compiler { locals: None, context, query: 0 }
    }

    /// Compile a top-level statement.
    pub fn compile(&mut self, e: &Expr) -> QResult<Node> {
        self.expr(e)
    }

    fn local(&self, s: Sym) -> Option<u16> {
        self.locals.as_ref()?.iter().position(|&l| l == s).map(|i| i as u16)
    }

    fn name(&self, n: &str) -> QResult<Node> {
        if self.query > 0 {
            return self.column_name(n);
        }
        self.plain_name(n)
    }

    /// A name inside a qSQL phrase: a column of the table when it has one, else what the
    /// name means outside (a local, then a global). `a.b` reads field `b` of column `a`
    /// (a temporal part such as `time.minute`, or a foreign key's column).
    fn column_name(&self, n: &str) -> QResult<Node> {
        if prims::keyword(n).is_some() {
            return self.plain_name(n);
        }
        let fallback = Box::new(self.plain_name(n)?);
        if !n.starts_with('.') {
            if let Some((col, field)) = n.split_once('.') {
                return Ok(Node::ColDot(Sym::new(col), Sym::new(field), fallback));
            }
        }
        Ok(Node::Col(Sym::new(n), fallback))
    }

    fn plain_name(&self, n: &str) -> QResult<Node> {
        let s = Sym::new(n);
        if let Some(i) = self.local(s) {
            return Ok(Node::Local(i));
        }
        if let Some(v) = prims::keyword(n) {
            return Ok(Node::Const(v));
        }
        Ok(Node::Global(s))
    }

    fn opt(&mut self, e: &Option<Expr>) -> QResult<Option<Node>> {
        e.as_ref().map(|x| self.expr(x)).transpose()
    }

    fn exprs(&mut self, es: &[Expr]) -> QResult<Vec<Node>> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    /// The value a verb term denotes when used as a function value.
    fn verb_value(&mut self, e: &Expr) -> QResult<Node> {
        match e {
            Expr::Prim { glyph, unary } => {
                let v = if *unary { prims::glyph_unary(glyph) } else { prims::glyph_binary(glyph) };
                v.map(Node::Const).ok_or(QError::Parse)
            }
            other => self.expr(other),
        }
    }

    fn expr(&mut self, e: &Expr) -> QResult<Node> {
        Ok(match e {
            Expr::Lit(v) => Node::Const(v.clone()),
            Expr::Name(n) => self.name(n)?,
            Expr::Prim { .. } => self.verb_value(e)?,
            Expr::Derived { adverb: a, f } => {
                let inner = self.verb_value(f)?;
                Node::Derive(adverb(a)?, Box::new(inner))
            }
            Expr::Apply { f, args, form } => self.apply(f, args, *form)?,
            Expr::List(items) => Node::List(self.exprs(items)?),
            Expr::Lambda(def) => Node::Lambda(compile_lambda(def, self.context)?),
            Expr::Assign { name, indices, op, value, global } => {
                let v = Box::new(self.expr(value)?);
                let s = Sym::new(name);
                if prims::keyword(name).is_some() {
                    return Err(QError::Assign);
                }
                let target = match (self.local(s), global) {
                    (Some(i), false) => Target::Local(i),
                    _ => Target::Global(self.qualify(s)),
                };
                if indices.is_none() && op.is_none() {
                    return Ok(match target {
                        Target::Local(i) => Node::SetLocal(i, v),
                        Target::Global(g) => Node::SetGlobal(g, v),
                    });
                }
                let indices = match indices {
                    Some(ix) => Some(ix.iter().map(|a| self.opt(a)).collect::<QResult<Vec<_>>>()?),
                    None => None,
                };
                let op = match op {
                    Some(o) => Some(Box::new(self.verb_value(o)?)),
                    None => None,
                };
                Node::Amend { target, indices, op, value: v }
            }
            Expr::Return(x) => Node::Return(Box::new(self.expr(x)?)),
            Expr::Signal(x) => Node::Signal(Box::new(self.expr(x)?)),
            // Cond is not supported inside qSQL expressions (KX ref qsql): `$[…]` there is
            // the operator `$` applied to its arguments: two cast, more are a 'rank.
            Expr::Cond(xs) if self.query > 0 => {
                if xs.len() != 2 {
                    return Ok(Node::Signal(Box::new(Node::Const(Value::sym("rank")))));
                }
                let dollar = prims::glyph_binary_code("$").ok_or(QError::Parse)?;
                let args = xs.iter().map(|x| self.expr(x).map(Some)).collect::<QResult<_>>()?;
                Node::Apply(Box::new(Node::Const(Value::Binary(dollar))), args)
            }
            Expr::Cond(xs) => {
                if xs.len() < 2 {
                    // `$[x]` is just x; q requires at least a condition and a branch.
                    return Err(QError::Parse);
                }
                Node::Cond(self.exprs(xs)?)
            }
            Expr::If(xs) => Node::If(self.exprs(xs)?),
            Expr::Do(xs) => Node::Do(self.exprs(xs)?),
            Expr::While(xs) => Node::While(self.exprs(xs)?),
            Expr::Block(xs) => Node::Block(self.exprs(xs)?),
            Expr::Table { keys, cols } => {
                let mut k = Vec::with_capacity(keys.len());
                for (n, e) in keys {
                    k.push((Sym::new(n), self.expr(e)?));
                }
                let mut c = Vec::with_capacity(cols.len());
                for (n, e) in cols {
                    c.push((Sym::new(n), self.expr(e)?));
                }
                Node::Table { keys: k, cols: c }
            }
            Expr::Query(q) => self.query(q)?,
            Expr::Nil => Node::Nil,
        })
    }

    fn phrase_exprs(
        &mut self,
        items: &[(Option<String>, Expr)],
        taken: &mut Vec<Sym>,
    ) -> QResult<Vec<(Sym, Node)>> {
        let mut out = Vec::with_capacity(items.len());
        for (name, e) in items {
            let n = match name {
                Some(n) => Sym::new(n),
                None => unique_name(Sym::new(&column_name_of(e)), taken),
            };
            taken.push(n);
            self.query += 1;
            let node = self.expr(e);
            self.query -= 1;
            out.push((n, node?));
        }
        Ok(out)
    }

    fn query(&mut self, q: &Query) -> QResult<Node> {
        let from = self.expr(&q.from)?;
        self.query += 1;
        let wheres = self.exprs(&q.wheres);
        self.query -= 1;
        let wheres = wheres?;
        let mut taken = Vec::new();
        let by = match &q.by {
            Some(b) => Some(self.phrase_exprs(b, &mut taken)?),
            None => None,
        };
        if q.kind == QueryKind::Delete {
            let mut names = Vec::new();
            for (_, e) in &q.cols {
                match e {
                    Expr::Name(n) => names.push(Sym::new(n)),
                    _ => return Err(QError::Parse),
                }
            }
            return Ok(Node::Query(Box::new(QueryNode {
                kind: q.kind,
                limit_n: None,
                order: None,
                distinct: false,
                cols: Vec::new(),
                exec_single: false,
                by,
                by_plain: false,
                delete_cols: names,
                from,
                wheres,
            })));
        }
        // Duplicate names within a phrase take suffixes (`c1, c1` → `c1 c11`); a column
        // named as a group is an error.
        let mut col_names = Vec::new();
        let cols = self.phrase_exprs(&q.cols, &mut col_names)?;
        dup_names_check(&taken, &col_names)?;
        let by_plain = matches!(&q.by, Some(b) if b.len() == 1 && b[0].0.is_none());
        let exec_single = q.kind == QueryKind::Exec && q.cols.len() == 1 && q.cols[0].0.is_none();
        let (mut limit_n, mut order) = (None, None);
        if let Some(l) = &q.limit {
            for e in l {
                match e {
                    Expr::Apply { f, args, form: ApplyForm::Prefix }
                        if args.len() == 1
                            && matches!(&**f, Expr::Prim { glyph, .. } if glyph == "<" || glyph == ">") =>
                    {
                        let desc = matches!(&**f, Expr::Prim { glyph, .. } if glyph == ">");
                        self.query += 1;
                        let key = self.opt(&args[0]);
                        self.query -= 1;
                        order = Some((desc, Box::new(key?.unwrap_or(Node::Nil))));
                    }
                    e => limit_n = Some(Box::new(self.expr(e)?)),
                }
            }
        }
        Ok(Node::Query(Box::new(QueryNode {
            kind: q.kind,
            limit_n,
            order,
            distinct: q.distinct,
            cols,
            exec_single,
            by,
            by_plain,
            delete_cols: Vec::new(),
            from,
            wheres,
        })))
    }

    /// Global names assigned at the top level of a namespace are qualified by it.
    fn qualify(&self, s: Sym) -> Sym {
        let name = s.as_bytes();
        if self.context.is_null() || name.first() == Some(&b'.') {
            return s;
        }
        let mut full = self.context.as_bytes().to_vec();
        full.push(b'.');
        full.extend_from_slice(name);
        Sym::from_bytes(&full)
    }

    fn apply(&mut self, f: &Expr, args: &[Option<Expr>], form: ApplyForm) -> QResult<Node> {
        // Glyphs applied prefix are their monadic forms; infix their dyadic forms.
        if let Expr::Prim { glyph, unary } = f {
            let all = args.iter().all(Option::is_some);
            match (form, args.len(), all) {
                (ApplyForm::Prefix, 1, true) | (_, 1, true)
                    if *unary || form == ApplyForm::Prefix =>
                {
                    let code = prims::glyph_unary_code(glyph).ok_or(QError::Parse)?;
                    let a = self.opt(&args[0])?.unwrap_or(Node::Nil);
                    return Ok(Node::Monad(code, Box::new(a)));
                }
                (_, 2, true) if !*unary => {
                    if let Some(code) = prims::glyph_binary_code(glyph) {
                        let a = self.opt(&args[0])?.unwrap_or(Node::Nil);
                        let b = self.opt(&args[1])?.unwrap_or(Node::Nil);
                        return Ok(Node::Dyad(code, Box::new(a), Box::new(b)));
                    }
                }
                _ => {}
            }
        }
        let fnode = match f {
            Expr::Prim { .. } => self.verb_value(f)?,
            other => self.expr(other)?,
        };
        // Keyword primitives with their arguments present compile to direct calls.
        if let Node::Const(Value::Unary(code)) = &fnode {
            if args.len() == 1 && args[0].is_some() && prims::is_native_unary(*code) {
                let a = self.opt(&args[0])?.unwrap_or(Node::Nil);
                return Ok(Node::Monad(*code, Box::new(a)));
            }
        }
        if let Node::Const(Value::Binary(code)) = &fnode {
            if args.len() == 2 && args.iter().all(Option::is_some) {
                let a = self.opt(&args[0])?.unwrap_or(Node::Nil);
                let b = self.opt(&args[1])?.unwrap_or(Node::Nil);
                return Ok(Node::Dyad(*code, Box::new(a), Box::new(b)));
            }
        }
        // `f[]` applies to `::`.
        let args: Vec<Option<Node>> =
            if args.len() == 1 && args[0].is_none() && form == ApplyForm::Bracket {
                vec![Some(Node::Nil)]
            } else {
                args.iter().map(|a| self.opt(a)).collect::<QResult<_>>()?
            };
        Ok(Node::Apply(Box::new(fnode), args))
    }
}

/// Names assigned with `:` (not `::`) in a lambda body, outside nested lambdas.
fn assigned(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Assign { name, value, global, indices, .. } => {
            if !global && !out.contains(name) && !name.contains('.') {
                out.push(name.clone());
            }
            if let Some(ix) = indices {
                for a in ix.iter().flatten() {
                    assigned(a, out);
                }
            }
            assigned(value, out);
        }
        Expr::Apply { f, args, .. } => {
            assigned(f, out);
            for a in args.iter().flatten() {
                assigned(a, out);
            }
        }
        Expr::Derived { f, .. } => assigned(f, out),
        Expr::List(xs)
        | Expr::Cond(xs)
        | Expr::If(xs)
        | Expr::Do(xs)
        | Expr::While(xs)
        | Expr::Block(xs) => {
            for x in xs {
                assigned(x, out);
            }
        }
        Expr::Return(x) | Expr::Signal(x) => assigned(x, out),
        Expr::Table { keys, cols } => {
            for (_, x) in keys.iter().chain(cols) {
                assigned(x, out);
            }
        }
        // Names in a template's phrases are columns, not locals; only its table expression
        // is ordinary code.
        Expr::Query(q) => assigned(&q.from, out),
        Expr::Lit(_) | Expr::Name(_) | Expr::Prim { .. } | Expr::Lambda(_) | Expr::Nil => {}
    }
}

/// The name q gives an unnamed qSQL column: a name's last part; for a glyph applied to
/// arguments, its left argument's name; for any other function, its last argument's; else
/// `x`. The virtual column `i` gives `x`.
pub fn column_name_of(e: &Expr) -> String {
    fn go(e: &Expr) -> Option<String> {
        match e {
            Expr::Name(n) => {
                let last = n.rsplit('.').next().unwrap_or(n);
                (last != "i" && !last.is_empty()).then(|| last.to_string())
            }
            Expr::Apply { f, args, .. } => {
                let args: Vec<&Expr> = args.iter().flatten().collect();
                match &**f {
                    // A symbol constant on the left (`` `g#s ``) does not name the column.
                    Expr::Prim { .. } => match args.as_slice() {
                        [Expr::Lit(fq_value::Value::Symbol(_)), rest @ ..] if !rest.is_empty() => {
                            go(rest[0])
                        }
                        _ => args.first().and_then(|a| go(a)),
                    },
                    _ if args.len() == 1 => go(args[0]),
                    _ => args.last().and_then(|a| go(a)),
                }
            }
            Expr::Assign { name, .. } => Some(name.clone()),
            _ => None,
        }
    }
    go(e).unwrap_or_else(|| "x".to_string())
}

/// The names of a select/exec/update phrase: each column's own, or the one q gives it,
/// with suffixes for duplicates.
pub fn phrase_names(items: &[(Option<String>, Expr)]) -> Vec<Sym> {
    let mut taken = Vec::with_capacity(items.len());
    for (name, e) in items {
        let n = match name {
            Some(n) => Sym::new(n),
            None => unique_name(Sym::new(&column_name_of(e)), &taken),
        };
        taken.push(n);
    }
    taken
}

/// `'dup names for cols/groups c` when a column `c` has a group's name (kdb+ 4.0 on).
pub fn dup_names_check(groups: &[Sym], cols: &[Sym]) -> QResult<()> {
    match cols.iter().find(|c| groups.contains(c)) {
        Some(c) => Err(QError::Signal(format!("dup names for cols/groups {}", c.name()).into())),
        None => Ok(()),
    }
}

/// `name`, or `name1`, `name2`… when taken.
fn unique_name(name: Sym, taken: &[Sym]) -> Sym {
    if !taken.contains(&name) {
        return name;
    }
    let base = name.name();
    (1..).map(|k| Sym::new(&format!("{base}{k}"))).find(|s| !taken.contains(s)).unwrap_or(name)
}

/// Highest implicit parameter used (`x`=1, `y`=2, `z`=3), outside nested lambdas.
fn implicit_arity(e: &Expr) -> usize {
    match e {
        Expr::Name(n) => match n.as_str() {
            "x" => 1,
            "y" => 2,
            "z" => 3,
            _ => 0,
        },
        Expr::Assign { name, value, indices, .. } => {
            let own = match name.as_str() {
                "x" => 1,
                "y" => 2,
                "z" => 3,
                _ => 0,
            };
            let ix = indices.iter().flatten().flatten().map(implicit_arity).max().unwrap_or(0);
            own.max(implicit_arity(value)).max(ix)
        }
        Expr::Apply { f, args, .. } => {
            args.iter().flatten().map(implicit_arity).max().unwrap_or(0).max(implicit_arity(f))
        }
        Expr::Derived { f, .. } => implicit_arity(f),
        Expr::List(xs)
        | Expr::Cond(xs)
        | Expr::If(xs)
        | Expr::Do(xs)
        | Expr::While(xs)
        | Expr::Block(xs) => xs.iter().map(implicit_arity).max().unwrap_or(0),
        Expr::Return(x) | Expr::Signal(x) => implicit_arity(x),
        Expr::Table { keys, cols } => {
            keys.iter().chain(cols).map(|(_, x)| implicit_arity(x)).max().unwrap_or(0)
        }
        // `x y z` in a template's phrases are columns; only the table expression counts.
        Expr::Query(q) => implicit_arity(&q.from),
        Expr::Lit(_) | Expr::Prim { .. } | Expr::Lambda(_) | Expr::Nil => 0,
    }
}

/// Compile a lambda into a function value carrying its compiled body.
pub fn compile_lambda(def: &LambdaDef, context: Sym) -> QResult<Value> {
    let proto = compile_proto(def, context)?;
    let lambda = Lambda::new(context, def.source.as_bytes().to_vec());
    let _ = lambda.compiled.set(Arc::new(proto) as Arc<dyn std::any::Any + Send + Sync>);
    Ok(Value::Lambda(Arc::new(lambda)))
}

fn compile_proto(def: &LambdaDef, context: Sym) -> QResult<Proto> {
    let params: Vec<String> = match &def.params {
        Some(p) => p.clone(),
        None => {
            let n = def.body.iter().map(implicit_arity).max().unwrap_or(0).max(1);
            ["x", "y", "z"][..n].iter().map(|s| s.to_string()).collect()
        }
    };
    let mut names = params.clone();
    for s in &def.body {
        assigned(s, &mut names);
    }
    // `.z.s` (the running function) is a hidden last local, filled at each call.
    let self_slot = if def.source.contains(".z.s") && !names.iter().any(|n| n == ".z.s") {
        names.push(".z.s".to_string());
        Some((names.len() - 1) as u16)
    } else {
        None
    };
    let locals: Vec<Sym> = names.iter().map(|n| Sym::new(n)).collect();
    let mut c = Compiler { locals: Some(locals.clone()), context, query: 0 };
    let body = def.body.iter().map(|s| c.expr(s)).collect::<QResult<Vec<_>>>()?;
    Ok(Proto { nparams: params.len(), locals, body, self_slot })
}

/// The compiled form of a lambda value, compiling its source on first use (lambdas that
/// arrive over IPC carry only their source).
pub fn proto_of(l: &Lambda) -> QResult<Arc<Proto>> {
    if let Some(c) = l.compiled.get() {
        if let Ok(p) = Arc::clone(c).downcast::<Proto>() {
            return Ok(p);
        }
    }
    let src = l.source_text();
    let src = src.strip_prefix("k)").unwrap_or(&src);
    let exprs = fq_syntax::parse(src).map_err(|e| e.to_q())?;
    let [Expr::Lambda(def)] = exprs.as_slice() else { return Err(QError::Type) };
    let proto = Arc::new(compile_proto(def, l.context)?);
    let _ = l.compiled.set(proto.clone() as Arc<dyn std::any::Any + Send + Sync>);
    Ok(proto)
}

/// The compiled form of a lambda value, when it has one: a borrow, for calls (no
/// reference count to touch).
#[inline]
pub fn compiled(l: &Lambda) -> Option<&Proto> {
    l.compiled.get()?.downcast_ref::<Proto>()
}

/// Parameter names of a lambda, for `value` on a lambda.
pub fn lambda_params(l: &Lambda) -> QResult<Vec<Sym>> {
    let p = proto_of(l)?;
    Ok(p.locals[..p.nparams].to_vec())
}

/// Locals (not parameters) of a lambda.
pub fn lambda_locals(l: &Lambda) -> QResult<Vec<Sym>> {
    let p = proto_of(l)?;
    let end = if p.self_slot.is_some() { p.locals.len() - 1 } else { p.locals.len() };
    Ok(p.locals[p.nparams..end].to_vec())
}
