//! The abstract syntax tree.

use crate::lexer::Span;
use fq_value::Value;

/// A q expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A constant.
    Lit(Value),
    /// A name to look up (`x`, `.z.p`, `count`).
    Name(String),
    /// A primitive glyph used as a verb: `+`, `#`, `0:`… `unary` is set for the explicit
    /// monadic form written with a colon (`#:`).
    Prim {
        /// The glyph.
        glyph: String,
        /// True for `+:`-style explicit monadic forms.
        unary: bool,
    },
    /// An iterator applied to a function: `f'`, `+/`, `f\:`...
    Derived {
        /// `'`, `/`, `\`, `':`, `/:`, `\:`.
        adverb: String,
        /// The function.
        f: Box<Expr>,
    },
    /// Application: bracket (`f[a;b]`), juxtaposition (`f x`) or infix (`x+y`, which is
    /// `+[x;y]`). `None` arguments are elided (a projection).
    Apply {
        /// The function or the indexed value.
        f: Box<Expr>,
        /// Arguments.
        args: Vec<Option<Expr>>,
        /// How it was written.
        form: ApplyForm,
    },
    /// A parenthesised list `(a;b;c)`.
    List(Vec<Expr>),
    /// A lambda.
    Lambda(Box<LambdaDef>),
    /// Assignment: `a:e`, `a::e`, `a[i]:e`, `a+:e`, `a[i]+:e`.
    Assign {
        /// The variable.
        name: String,
        /// Indices for an indexed assignment.
        indices: Option<Vec<Option<Expr>>>,
        /// The operator of a compound assignment (`+` in `a+:1`).
        op: Option<Box<Expr>>,
        /// The value.
        value: Box<Expr>,
        /// True for `::` (global assignment inside a lambda).
        global: bool,
    },
    /// `:e` — return from a lambda.
    Return(Box<Expr>),
    /// `'e` — signal an error.
    Signal(Box<Expr>),
    /// `$[c;t;f;…]`.
    Cond(Vec<Expr>),
    /// `if[c;…]`.
    If(Vec<Expr>),
    /// `do[n;…]`.
    Do(Vec<Expr>),
    /// `while[c;…]`.
    While(Vec<Expr>),
    /// `[a;b;c]`: a block; evaluates each, gives the last.
    Block(Vec<Expr>),
    /// `([k:…] c:…)`: a table (keyed when `keys` is not empty).
    Table {
        /// Key columns.
        keys: Vec<(String, Expr)>,
        /// Value columns.
        cols: Vec<(String, Expr)>,
    },
    /// A qSQL template: `select`, `exec`, `update` or `delete`.
    Query(Box<Query>),
    /// An empty expression (between `;;`, or `f[]`'s argument).
    Nil,
}

/// Which qSQL template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    /// `select`.
    Select,
    /// `exec`.
    Exec,
    /// `update`.
    Update,
    /// `delete`.
    Delete,
}

/// A qSQL template: `select [L] ps [by pb] from t [where pw]` and its siblings.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The template.
    pub kind: QueryKind,
    /// `select[…]`'s limit expressions (`select[10]`, `select[>price]`, `select[5;<t]`).
    pub limit: Option<Vec<Expr>>,
    /// `select distinct …`: only the result's distinct rows.
    pub distinct: bool,
    /// The select phrase: subphrases with their names when given (`n:count i`). For
    /// `delete`, the columns to delete.
    pub cols: Vec<(Option<String>, Expr)>,
    /// The by phrase, when present.
    pub by: Option<Vec<(Option<String>, Expr)>>,
    /// The table expression.
    pub from: Expr,
    /// The where phrase's constraints, applied left to right.
    pub wheres: Vec<Expr>,
}

/// How an application was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyForm {
    /// `f[x;y]`.
    Bracket,
    /// `f x`.
    Juxtapose,
    /// `x f y`.
    Infix,
    /// `f x` where `f` is a verb used monadically (`-x`, `#x`).
    Prefix,
}

/// A lambda's definition.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaDef {
    /// Declared parameters (`{[a;b]…}`), or `None` for implicit `x`, `y`, `z`.
    pub params: Option<Vec<String>>,
    /// Statements.
    pub body: Vec<Expr>,
    /// The source text, braces included.
    pub source: String,
    /// Where it is.
    pub span: Span,
}

impl Expr {
    /// Application shorthand.
    pub fn apply(f: Expr, args: Vec<Expr>, form: ApplyForm) -> Expr {
        Expr::Apply { f: Box::new(f), args: args.into_iter().map(Some).collect(), form }
    }
}
