//! Parse trees: `parse` (syntax to q's list form), `eval` (the list form back to nodes),
//! and the functional qSQL forms `?[t;c;b;a]` and `![t;c;b;a]`.
//!
//! In a parse tree a symbol atom is a name, a general list whose first item is a function
//! is an application, and anything else is a constant (a symbol constant is enlisted).

use crate::compile::Compiler;
use crate::interp::{Ctrl, Interp};
use crate::node::{Node, QueryNode};
use crate::prims;
use fq_syntax::{ApplyForm, Expr, QueryKind};
use fq_value::{QError, QResult, QType, Sym, Value, Vector, GENERIC_NULL};

fn prims_enlist() -> u8 {
    fq_value::prim::unary_code("enlist").unwrap_or(12)
}

/// The parse tree of an expression.
pub fn tree_of(e: &Expr, ctx: Sym) -> QResult<Value> {
    Ok(match e {
        Expr::Lit(v) => match v {
            Value::Symbol(s) => Value::Vector(Vector::syms(&[*s])),
            Value::Vector(x) if x.ty() == QType::SYMBOL => Value::list(vec![v.clone()]),
            v => v.clone(),
        },
        Expr::Name(n) => match prims::keyword(n) {
            Some(v) => v,
            None => Value::Symbol(Sym::new(n)),
        },
        Expr::Prim { glyph, unary } => {
            let v = if *unary { prims::glyph_unary(glyph) } else { prims::glyph_binary(glyph) };
            v.ok_or(QError::Parse)?
        }
        Expr::Derived { adverb, f } => {
            let inner = tree_of(f, ctx)?;
            let a = match adverb.as_str() {
                "'" => fq_value::Adverb::Each,
                "/" => fq_value::Adverb::Over,
                "\\" => fq_value::Adverb::Scan,
                "':" => fq_value::Adverb::EachPrior,
                "/:" => fq_value::Adverb::EachRight,
                _ => fq_value::Adverb::EachLeft,
            };
            Value::list(vec![Value::Iterator(a as u8), inner])
        }
        Expr::Apply { f, args, form } => {
            let fv = match (&**f, form) {
                (Expr::Prim { glyph, .. }, ApplyForm::Prefix) if args.len() == 1 => {
                    prims::glyph_unary(glyph).ok_or(QError::Parse)?
                }
                (f, _) => tree_of(f, ctx)?,
            };
            let mut items = vec![fv];
            for a in args {
                items.push(match a {
                    Some(a) => tree_of(a, ctx)?,
                    None => GENERIC_NULL,
                });
            }
            Value::list(items)
        }
        Expr::List(items) => {
            let mut out = vec![Value::Unary(prims_enlist())];
            for x in items {
                out.push(tree_of(x, ctx)?);
            }
            Value::list(out)
        }
        Expr::Lambda(def) => crate::compile::compile_lambda(def, ctx)?,
        Expr::Assign { name, indices: None, op: None, value, .. } => {
            Value::list(vec![Value::Binary(0), Value::Symbol(Sym::new(name)), tree_of(value, ctx)?])
        }
        Expr::Query(q) => query_tree(q, ctx)?,
        Expr::Cond(xs) => {
            let mut out = vec![Value::Binary(prims::glyph_binary_code("$").unwrap_or(10))];
            for x in xs {
                out.push(tree_of(x, ctx)?);
            }
            Value::list(out)
        }
        Expr::Nil => GENERIC_NULL,
        _ => return Err(QError::Nyi),
    })
}

fn named_dict(items: &[(Option<String>, Expr)], ctx: Sym) -> QResult<Value> {
    let names = crate::compile::phrase_names(items);
    let trees: Vec<Value> = items.iter().map(|(_, e)| tree_of(e, ctx)).collect::<QResult<_>>()?;
    Value::dict(Value::Vector(Vector::syms(&names)), crate::atomic::collapse(trees))
}

fn query_tree(q: &fq_syntax::Query, ctx: Sym) -> QResult<Value> {
    let from = tree_of(&q.from, ctx)?;
    let wheres: Vec<Value> = q.wheres.iter().map(|w| tree_of(w, ctx)).collect::<QResult<_>>()?;
    let c = if wheres.is_empty() {
        Value::list(vec![])
    } else {
        Value::list(vec![Value::list(wheres)])
    };
    let glyph = match q.kind {
        QueryKind::Select | QueryKind::Exec => "?",
        _ => "!",
    };
    let f = prims::glyph_binary(glyph).ok_or(QError::Parse)?;
    if let (Some(b), false) = (&q.by, q.kind == QueryKind::Delete) {
        let groups = crate::compile::phrase_names(b);
        crate::compile::dup_names_check(&groups, &crate::compile::phrase_names(&q.cols))?;
    }
    let b = match &q.by {
        Some(b) => named_dict(b, ctx)?,
        None if q.kind == QueryKind::Exec => Value::list(vec![]),
        None => Value::Bool(q.distinct),
    };
    let a = match q.kind {
        QueryKind::Delete => {
            let names: Vec<Sym> = q
                .cols
                .iter()
                .map(|(_, e)| match e {
                    Expr::Name(n) => Sym::new(n),
                    _ => Sym::EMPTY,
                })
                .collect();
            Value::Vector(Vector::syms(&names))
        }
        _ if q.cols.is_empty() => Value::list(vec![]),
        QueryKind::Exec if q.cols.len() == 1 && q.cols[0].0.is_none() => {
            tree_of(&q.cols[0].1, ctx)?
        }
        _ => named_dict(&q.cols, ctx)?,
    };
    let mut out = vec![f, from, c, b, a];
    if let Some(l) = &q.limit {
        // kdb+'s trees: the count, then the ordering enlisted (`,(<:;`price)`); an
        // ordering alone gets the count 0W.
        let trees = l.iter().map(|e| tree_of(e, ctx)).collect::<QResult<Vec<_>>>()?;
        for (k, t) in trees.iter().enumerate() {
            if is_ordering(t) {
                if k == 0 {
                    out.push(Value::Long(i64::MAX));
                }
                out.push(Value::list(vec![t.clone()]));
            } else {
                out.push(t.clone());
            }
        }
    }
    Ok(Value::list(out))
}

/// `(<:;col)` or `(>:;col)`: a `select[…]` ordering.
fn is_ordering(v: &Value) -> bool {
    match crate::atomic::items(v).as_deref() {
        Some([Value::Unary(c), _]) => {
            matches!(fq_value::prim::unary_name(*c).as_ref(), "<:" | ">:" | "iasc" | "idesc")
        }
        _ => false,
    }
}

fn is_function(v: &Value) -> bool {
    matches!(
        v,
        Value::Unary(_)
            | Value::Binary(_)
            | Value::Iterator(_)
            | Value::Lambda(_)
            | Value::Projection(_)
            | Value::Composition(_)
            | Value::Derived(_)
    )
}

/// Compile a parse tree; names read columns when `query` is set.
pub fn tree_node(v: &Value, query: bool) -> QResult<Node> {
    Ok(match v {
        Value::Symbol(s) if s.is_null() => Node::Const(v.clone()),
        Value::Symbol(s) => {
            let name = s.name();
            let plain = match prims::keyword(&name) {
                Some(k) => return Ok(Node::Const(k)),
                None => Node::Global(*s),
            };
            if !query {
                return Ok(plain);
            }
            if !name.starts_with('.') {
                if let Some((c, f)) = name.split_once('.') {
                    return Ok(Node::ColDot(Sym::new(c), Sym::new(f), Box::new(plain)));
                }
            }
            Node::Col(*s, Box::new(plain))
        }
        // A one-item list is a quoted constant: `,`c` is the symbol `c.
        Value::List(l) if l.len() == 1 => Node::Const(l.items()[0].clone()),
        Value::Vector(x) if x.len() == 1 => Node::Const(x.get(0).unwrap_or(GENERIC_NULL)),
        Value::List(l) if !l.is_empty() => {
            let items = l.items();
            let head = &items[0];
            if is_function(head)
                || matches!(head, Value::Symbol(_))
                || matches!(head, Value::List(_))
            {
                let f = tree_node(head, query)?;
                if let Node::Const(Value::Unary(c)) = &f {
                    if *c == prims_enlist() && items.len() >= 2 {
                        let args: Vec<Node> = items[1..]
                            .iter()
                            .map(|x| tree_node(x, query))
                            .collect::<QResult<_>>()?;
                        if args.len() == 1 {
                            return Ok(Node::Monad(
                                *c,
                                Box::new(args.into_iter().next().unwrap_or(Node::Nil)),
                            ));
                        }
                        return Ok(Node::List(args));
                    }
                }
                let args: Vec<Option<Node>> = items[1..]
                    .iter()
                    .map(|x| tree_node(x, query).map(Some))
                    .collect::<QResult<_>>()?;
                Node::Apply(Box::new(f), args)
            } else {
                Node::Const(v.clone())
            }
        }
        v => Node::Const(v.clone()),
    })
}

/// `eval x`.
pub fn eval(i: &mut Interp, x: Value) -> QResult<Value> {
    let n = tree_node(&x, false)?;
    run(i, &n)
}

fn run(i: &mut Interp, n: &Node) -> QResult<Value> {
    match i.eval(n, &mut []) {
        Ok(v) => Ok(v),
        Err(Ctrl::Err(e)) => Err(e),
        Err(Ctrl::Ret(v)) => Ok(v),
    }
}

/// `parse x`.
pub fn parse(i: &mut Interp, x: Value) -> QResult<Value> {
    let src = match &x {
        Value::Vector(v) if v.ty() == QType::CHAR => {
            String::from_utf8_lossy(v.as_bytes()).into_owned()
        }
        Value::Char(c) => (*c as char).to_string(),
        _ => return Err(QError::Type),
    };
    let exprs = fq_syntax::parse(&src).map_err(|e| e.to_q())?;
    let _ = Compiler::top(i.ns);
    match exprs.as_slice() {
        [e] => tree_of(e, i.ns),
        es => {
            // Several statements: a list headed by `;`... q gives (";";a;b).
            let mut out = vec![Value::Char(b';')];
            for e in es {
                out.push(tree_of(e, i.ns)?);
            }
            Ok(Value::list(out))
        }
    }
}

fn named_nodes(d: &Value) -> QResult<Vec<(Sym, Node)>> {
    let Value::Dict(d) = d else { return Err(QError::Type) };
    let names: Vec<Sym> = match &d.keys {
        Value::Vector(v) if v.ty() == QType::SYMBOL => v.as_slice::<Sym>().to_vec(),
        Value::Symbol(s) => vec![*s],
        _ => return Err(QError::Type),
    };
    let trees = crate::atomic::items(&d.values).ok_or(QError::Type)?;
    names.into_iter().zip(trees.iter()).map(|(n, t)| Ok((n, tree_node(t, true)?))).collect()
}

fn is_empty_list(v: &Value) -> bool {
    matches!(v, Value::List(l) if l.is_empty()) || matches!(v, Value::Vector(x) if x.is_empty())
}

fn where_nodes(c: &Value) -> QResult<Vec<Node>> {
    if is_empty_list(c) {
        return Ok(Vec::new());
    }
    let Value::List(l) = c else { return Err(QError::Type) };
    l.items().iter().map(|t| tree_node(t, true)).collect()
}

/// `?[t;c;b;a]` (select or exec), `?[t;c;b;a;n]`, `?[t;c;b;a;n;(f;col)]`, `?[t;i;p]`.
pub fn functional_select(i: &mut Interp, args: &[Value]) -> QResult<Value> {
    if let [t, rows, p] = args {
        // Exec over given rows.
        let q = QueryNode {
            kind: QueryKind::Exec,
            limit_n: None,
            order: None,
            distinct: false,
            cols: vec![(Sym::new("x"), tree_node(p, true)?)],
            exec_single: true,
            by: None,
            by_plain: false,
            delete_cols: Vec::new(),
            from: Node::Const(t.clone()),
            wheres: vec![Node::Apply(
                Box::new(Node::Const(Value::Binary(prims::glyph_binary_code("in").unwrap_or(23)))),
                vec![
                    Some(Node::Col(Sym::new("i"), Box::new(Node::Nil))),
                    Some(Node::Const(rows.clone())),
                ],
            )],
        };
        return crate::qsql::run(i, &q, &mut []).map_err(ctrl_err);
    }
    let [t, c, b, a, rest @ ..] = args else { return Err(QError::Rank) };
    let select = matches!(b, Value::Bool(_))
        || (matches!(b, Value::Dict(_)) && (matches!(a, Value::Dict(_)) || is_empty_list(a)));
    let wheres = where_nodes(c)?;
    let (by, by_plain) = match b {
        Value::Bool(_) => (None, false),
        Value::Dict(_) => (Some(named_nodes(b)?), false),
        v if is_empty_list(v) => (None, false),
        Value::Symbol(s) => (Some(vec![(*s, tree_node(b, true)?)]), true),
        // exec with a list of column names for b: every row in one group keyed by `
        // (KX ref funsql: "the key is the empty symbol").
        Value::Vector(v) if v.ty() == QType::SYMBOL && !select => {
            (Some(vec![(Sym::EMPTY, one_group())]), true)
        }
        Value::Vector(v) if v.ty() == QType::SYMBOL => {
            let syms = v.as_slice::<Sym>();
            (
                Some(
                    syms.iter()
                        .map(|s| Ok((*s, tree_node(&Value::Symbol(*s), true)?)))
                        .collect::<QResult<_>>()?,
                ),
                false,
            )
        }
        _ => return Err(QError::Type),
    };
    let (cols, exec_single) = match a {
        Value::Dict(_) => (named_nodes(a)?, false),
        v if is_empty_list(v) => (Vec::new(), false),
        v => (vec![(Sym::new("x"), tree_node(v, true)?)], true),
    };
    let mut q = QueryNode {
        kind: if select { QueryKind::Select } else { QueryKind::Exec },
        limit_n: None,
        order: None,
        distinct: select && matches!(b, Value::Bool(true)),
        cols,
        exec_single,
        by,
        by_plain,
        delete_cols: Vec::new(),
        from: Node::Const(t.clone()),
        wheres,
    };
    if let Some(n) = rest.first() {
        if !matches!(n, Value::Long(i64::MAX)) {
            q.limit_n = Some(Box::new(Node::Const(n.clone())));
        }
    }
    if let Some(o) = rest.get(1) {
        let mut parts = crate::atomic::items(o).ok_or(QError::Type)?;
        // As `parse` gives it: the ordering enlisted.
        if let [one] = parts.as_slice() {
            if let Some(inner) = crate::atomic::items(one) {
                parts = inner;
            }
        }
        if let [f, col] = parts.as_slice() {
            let desc = match f {
                Value::Unary(c) => Some(*c) == fq_value::prim::unary_code("idesc"),
                Value::Symbol(s) => s.name().as_ref() == "idesc",
                _ => false,
            };
            q.order = Some((desc, Box::new(tree_node(col, true)?)));
        }
    }
    crate::qsql::run(i, &q, &mut []).map_err(ctrl_err)
}

/// `` (count i)#` ``: the same key, `` ` ``, for every row.
fn one_group() -> Node {
    let take = Value::Binary(prims::glyph_binary_code("#").unwrap_or(13));
    let count = Value::Unary(prims::glyph_unary_code("#").unwrap_or(13));
    let rows = Node::Apply(
        Box::new(Node::Const(count)),
        vec![Some(Node::Col(Sym::new("i"), Box::new(Node::Nil)))],
    );
    Node::Apply(
        Box::new(Node::Const(take)),
        vec![Some(rows), Some(Node::Const(Value::Symbol(Sym::EMPTY)))],
    )
}

/// `![t;c;b;a]`: update (a dictionary) or delete (a list of column names).
pub fn functional_update(i: &mut Interp, args: &[Value]) -> QResult<Value> {
    let [t, c, b, a] = args else { return Err(QError::Rank) };
    let wheres = where_nodes(c)?;
    let by = match b {
        Value::Dict(_) => Some(named_nodes(b)?),
        _ => None,
    };
    let (kind, cols, delete_cols) = match a {
        Value::Dict(_) => (QueryKind::Update, named_nodes(a)?, Vec::new()),
        Value::Vector(v) if v.ty() == QType::SYMBOL => {
            (QueryKind::Delete, Vec::new(), v.as_slice::<Sym>().to_vec())
        }
        v if is_empty_list(v) => (QueryKind::Delete, Vec::new(), Vec::new()),
        _ => return Err(QError::Type),
    };
    let q = QueryNode {
        kind,
        limit_n: None,
        order: None,
        distinct: false,
        cols,
        exec_single: false,
        by,
        by_plain: false,
        delete_cols,
        from: Node::Const(t.clone()),
        wheres,
    };
    crate::qsql::run(i, &q, &mut []).map_err(ctrl_err)
}

fn ctrl_err(c: Ctrl) -> QError {
    match c {
        Ctrl::Err(e) => e,
        Ctrl::Ret(_) => QError::Type,
    }
}
