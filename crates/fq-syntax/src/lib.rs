//! The q language front end: lexer, parser and AST with spans.

pub mod ast;
pub mod lexer;
pub mod literal;
pub mod parser;

pub use ast::{ApplyForm, Expr, LambdaDef, Query, QueryKind};
pub use parser::{parse, ParseError, INFIX_KEYWORDS};
