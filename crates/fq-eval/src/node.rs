//! The compiled form of q code: names resolved to local slots or global symbols,
//! primitives resolved to their codes, so evaluation does no string work.

use fq_value::{Adverb, Sym, Value};
use std::sync::Arc;

/// A compiled expression.
#[derive(Clone, Debug)]
pub enum Node {
    /// A constant (literals, builtin functions).
    Const(Value),
    /// A local variable or parameter.
    Local(u16),
    /// A global variable, by name as written.
    Global(Sym),
    /// A primitive applied monadically: `-x`, `#x`, `count x`.
    Monad(u8, Box<Node>),
    /// A primitive applied dyadically: `x+y`.
    Dyad(u8, Box<Node>, Box<Node>),
    /// General application; `None` arguments are elided (projection).
    Apply(Box<Node>, Vec<Option<Node>>),
    /// An iterator applied to a function value.
    Derive(Adverb, Box<Node>),
    /// `(a;b;c)`.
    List(Vec<Node>),
    /// A lambda (its compiled body is shared by every value made from it).
    Lambda(Value),
    /// `name:value` for a local.
    SetLocal(u16, Box<Node>),
    /// `name:value` (top level) or `name::value` for a global.
    SetGlobal(Sym, Box<Node>),
    /// Indexed and/or compound assignment: `x[i]:v`, `x+:v`, `x[i]+:v`.
    Amend {
        /// The variable.
        target: Target,
        /// Indices (`None` elided = all).
        indices: Option<Vec<Option<Node>>>,
        /// The operator for compound assignment.
        op: Option<Box<Node>>,
        /// The right-hand side.
        value: Box<Node>,
    },
    /// `:x`.
    Return(Box<Node>),
    /// `'x`.
    Signal(Box<Node>),
    /// `$[c;t;f…]`.
    Cond(Vec<Node>),
    /// `if[c;…]`.
    If(Vec<Node>),
    /// `do[n;…]`.
    Do(Vec<Node>),
    /// `while[c;…]`.
    While(Vec<Node>),
    /// `[a;b]`: the last value.
    Block(Vec<Node>),
    /// `([k…] c…)`.
    Table {
        /// Key columns.
        keys: Vec<(Sym, Node)>,
        /// Value columns.
        cols: Vec<(Sym, Node)>,
    },
    /// A name inside a qSQL phrase: the column of the table being queried, or (when the
    /// table has no such column) the fallback: a local or global. `i` is the row index.
    Col(Sym, Box<Node>),
    /// `col.field` inside a qSQL phrase: a temporal part (`time.minute`) or a foreign key's
    /// column; the fallback when `col` is not a column.
    ColDot(Sym, Sym, Box<Node>),
    /// A qSQL template.
    Query(Box<QueryNode>),
    /// Nothing: evaluates to `::`.
    Nil,
}

/// A compiled qSQL template.
#[derive(Clone, Debug)]
pub struct QueryNode {
    /// select, exec, update or delete.
    pub kind: fq_syntax::QueryKind,
    /// `select[n]`: how many rows (negative: from the end; a pair: start and count).
    pub limit_n: Option<Box<Node>>,
    /// `select[>col]`: the sort key and whether descending.
    pub order: Option<(bool, Box<Node>)>,
    /// `select distinct`: only the distinct rows of the result.
    pub distinct: bool,
    /// Result columns: name and expression.
    pub cols: Vec<(Sym, Node)>,
    /// `exec c from t` with one unnamed column: the column's value, not a dictionary.
    pub exec_single: bool,
    /// Group keys.
    pub by: Option<Vec<(Sym, Node)>>,
    /// The by phrase is one unnamed expression (`exec … by s`: a dictionary keyed by a
    /// list rather than a table).
    pub by_plain: bool,
    /// `delete c1,c2 from t`.
    pub delete_cols: Vec<Sym>,
    /// The table expression.
    pub from: Node,
    /// Constraints, left to right.
    pub wheres: Vec<Node>,
}

/// Where an amend writes.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// A local slot.
    Local(u16),
    /// A global name.
    Global(Sym),
}

/// A compiled lambda: parameter count, local slots and body.
#[derive(Debug)]
pub struct Proto {
    /// Number of parameters (the valence).
    pub nparams: usize,
    /// Local names (parameters first).
    pub locals: Vec<Sym>,
    /// Statements.
    pub body: Vec<Node>,
    /// The hidden local that holds the function itself, when its body uses `.z.s`.
    pub self_slot: Option<u16>,
}

/// A lambda's compiled form, attached to `fq_value::Lambda::compiled`.
pub type CompiledLambda = Arc<Proto>;
