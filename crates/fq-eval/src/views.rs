//! Views: `name::expr` at the top level of the root namespace (not inside a function)
//! defines a view, a calculation re-evaluated only when it is read after one of its
//! dependencies changed (kdb+'s views; `docs/learn/views.md` in KX's reference).
//!
//! - The definition is the whole rest of the line (`v::a;b;select from t`: the last
//!   statement's value). Defining does not evaluate.
//! - Dependencies are the globals the definition reads, in order of appearance; inside
//!   qSQL only the table (`select from t where a in b` depends on `t` alone), and a
//!   function called in it counts (redefining `f` invalidates `v::f[]+1`).
//! - A view's value is cached as the global of its name. Assigning a dependency (or
//!   invalidating a view it depends on) removes that cache, so the next read evaluates
//!   the definition again; reads of a valid view cost what any global read does.
//! - Assigning the view's name (`v:1`, or `v::1` inside a function) turns it back into a
//!   plain global.
//! - A view that reads itself sees its previous value, or signals `'loop` when it has
//!   none. Reading a pending view on a secondary thread (`peach`) signals `'threadview`.
//! - `view`, `views`, `\b`, `\B` and `.z.b` list them.

use crate::compile::Compiler;
use crate::interp::{Ctrl, Interp};
use crate::node::{Node, Target};
use fq_value::hash::FxHashMap;
use fq_value::{QError, QResult, Sym, Value, Vector};
use std::sync::Arc;

/// One view.
pub(crate) struct View {
    node: Arc<Node>,
    deps: Vec<Sym>,
    text: Arc<str>,
    /// The value from the last evaluation (what a self-referencing view reads).
    prev: Option<Value>,
    /// Being evaluated now (a read of it from inside is a self-reference).
    busy: bool,
}

/// The views of an interpreter.
#[derive(Default)]
pub(crate) struct Views {
    defs: FxHashMap<Sym, View>,
    /// Dependency to the views that read it.
    users: FxHashMap<Sym, Vec<Sym>>,
}

impl Views {
    /// The views' names.
    pub(crate) fn names(&self) -> Vec<Sym> {
        self.defs.keys().copied().collect()
    }
}

/// `name::body` when `src` is a view definition: a plain name (no namespace) then `::`
/// and something after it.
pub(crate) fn split_definition(src: &str) -> Option<(Sym, &str)> {
    let s = src.trim_start();
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    let (name, rest) = s.split_at(end);
    if name.is_empty() || !name.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    let body = rest.strip_prefix("::")?;
    if body.starts_with(':') || body.trim().is_empty() {
        return None;
    }
    Some((Sym::new(name), body))
}

/// The globals a definition reads, in order of appearance (see the module notes).
fn dependencies(n: &Node, out: &mut Vec<Sym>) {
    let add = |s: Sym, out: &mut Vec<Sym>| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    match n {
        Node::Global(s) => add(*s, out),
        Node::Monad(_, x) | Node::Derive(_, x) | Node::Return(x) | Node::Signal(x) => {
            dependencies(x, out)
        }
        Node::SetLocal(_, x) | Node::SetGlobal(_, x) => dependencies(x, out),
        Node::Dyad(_, a, b) => {
            dependencies(a, out);
            dependencies(b, out);
        }
        Node::Apply(f, args) => {
            dependencies(f, out);
            args.iter().flatten().for_each(|a| dependencies(a, out));
        }
        Node::List(xs)
        | Node::Cond(xs)
        | Node::If(xs)
        | Node::Do(xs)
        | Node::While(xs)
        | Node::Block(xs) => xs.iter().for_each(|x| dependencies(x, out)),
        Node::Table { keys, cols } => {
            keys.iter().chain(cols).for_each(|(_, x)| dependencies(x, out));
        }
        Node::Amend { target, indices, op, value } => {
            if let Target::Global(s) = target {
                add(*s, out);
            }
            indices.iter().flatten().flatten().for_each(|x| dependencies(x, out));
            op.iter().for_each(|x| dependencies(x, out));
            dependencies(value, out);
        }
        // Inside qSQL a name may be a column or a global: only the table is known.
        Node::Query(q) => dependencies(&q.from, out),
        Node::Const(_)
        | Node::Local(_)
        | Node::Lambda(_)
        | Node::Col(..)
        | Node::ColDot(..)
        | Node::Nil => {}
    }
}

impl Interp {
    /// Define the view `name` as `body` (q source: statements, the last one's value).
    pub(crate) fn define_view(&mut self, name: Sym, body: &str) -> QResult<()> {
        if self.is_secondary() {
            return Err(crate::parallel::noupdate());
        }
        let exprs = fq_syntax::parse(body).map_err(|e| e.to_q())?;
        let mut nodes = Vec::with_capacity(exprs.len());
        for e in &exprs {
            nodes.push(Compiler::top(Sym::EMPTY).compile(e)?);
        }
        let node = match nodes.len() {
            1 => nodes.pop().unwrap_or(Node::Nil),
            _ => Node::Block(nodes),
        };
        let mut deps = Vec::new();
        dependencies(&node, &mut deps);
        self.drop_view(name);
        for d in &deps {
            self.views.users.entry(*d).or_default().push(name);
        }
        let text: Arc<str> = Arc::from(body.trim());
        self.views
            .defs
            .insert(name, View { node: Arc::new(node), deps, text, prev: None, busy: false });
        self.watching = true;
        // The name now stands for the (pending) view, and whatever read it is stale.
        self.take_raw(name);
        self.invalidate_users(name);
        Ok(())
    }

    /// Forget the definition of `name` (its cached value stays, as a plain global).
    fn drop_view(&mut self, name: Sym) {
        let Some(v) = self.views.defs.remove(&name) else { return };
        for d in v.deps {
            if let Some(us) = self.views.users.get_mut(&d) {
                us.retain(|u| *u != name);
                if us.is_empty() {
                    self.views.users.remove(&d);
                }
            }
        }
        self.rewatch();
    }

    /// Recompute [`Interp::watching`].
    pub(crate) fn rewatch(&mut self) {
        self.watching = !self.views.defs.is_empty() || !self.domains.is_empty();
    }

    /// A global was assigned, amended or deleted by q code: the views reading it become
    /// pending, and a view of that name becomes a plain global.
    #[cold]
    pub(crate) fn global_changed(&mut self, name: Sym) {
        self.global_appended(name);
        self.domain_changed(name);
    }

    /// A global was appended to (`x,:y`, `insert`): as [`Interp::global_changed`], but an
    /// enumeration domain's cell stays (every item it can index is unchanged).
    #[cold]
    pub(crate) fn global_appended(&mut self, name: Sym) {
        if self.views.defs.contains_key(&name) {
            self.drop_view(name);
        }
        self.invalidate_users(name);
    }

    /// Make the views that read `name` pending (and, through them, their readers).
    fn invalidate_users(&mut self, name: Sym) {
        let Some(users) = self.views.users.get(&name).cloned() else { return };
        for u in users {
            if let Some(old) = self.take_raw(u) {
                if let Some(v) = self.views.defs.get_mut(&u) {
                    v.prev = Some(old);
                }
                self.invalidate_users(u);
            }
        }
    }

    /// The value of the pending view `name`, evaluated now and cached; `None` when `name`
    /// is not a view.
    pub(crate) fn read_view(&mut self, name: Sym) -> Option<QResult<Value>> {
        let v = self.views.defs.get_mut(&name)?;
        if v.busy {
            // A self-reference: the previous value, if any.
            return Some(v.prev.clone().ok_or(QError::Signal(Arc::from("loop"))));
        }
        v.busy = true;
        let node = v.node.clone();
        let ns = std::mem::replace(&mut self.ns, Sym::EMPTY);
        let r = self.eval(&node, &mut []);
        self.ns = ns;
        let r = match r {
            Ok(x) | Err(Ctrl::Ret(x)) => Ok(x),
            Err(Ctrl::Err(e)) => Err(e),
        };
        let v = self.views.defs.get_mut(&name)?;
        v.busy = false;
        if let Ok(x) = &r {
            v.prev = Some(x.clone());
            self.put_raw(name, x.clone());
        }
        Some(r)
    }

    /// `views[]`, `\b`: the views, sorted.
    pub(crate) fn view_names(&self) -> Value {
        let mut names: Vec<Sym> = self.views.defs.keys().copied().collect();
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        Value::Vector(Vector::syms(&names).with_attr(fq_value::Attr::Sorted))
    }

    /// `\B`: the pending views, sorted.
    pub(crate) fn pending_views(&self) -> Value {
        let mut names: Vec<Sym> =
            self.views.defs.keys().copied().filter(|n| !self.has_cached(*n)).collect();
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        Value::Vector(Vector::syms(&names))
    }

    /// `view x`: the text defining view `x`.
    pub(crate) fn view_text(&self, name: Sym) -> Option<Value> {
        self.views.defs.get(&name).map(|v| Value::string(&v.text))
    }

    /// `.z.b`: each dependency and the views that read it.
    pub(crate) fn view_dependencies(&self) -> QResult<Value> {
        let mut deps: Vec<Sym> = Vec::new();
        let mut defs: Vec<(&Sym, &View)> = self.views.defs.iter().collect();
        defs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        for (_, v) in &defs {
            for d in &v.deps {
                if !deps.contains(d) {
                    deps.push(*d);
                }
            }
        }
        let users: Vec<Value> = deps
            .iter()
            .map(|d| {
                let us: Vec<Sym> =
                    defs.iter().filter(|(_, v)| v.deps.contains(d)).map(|(n, _)| **n).collect();
                Value::Vector(Vector::syms(&us))
            })
            .collect();
        Value::dict(Value::Vector(Vector::syms(&deps)), Value::list(users))
    }
}
