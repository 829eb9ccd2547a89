//! Vector kernels on plain slices with q's null semantics: grouping keys into dense ids,
//! aggregates by group, as-of search and window aggregates. Knows nothing of q values: callers pass slices
//! of the column's elements (q nulls are `i64::MIN`, `i32::MIN`, NaN).

pub mod agg;
pub mod asof;
pub mod group;
pub mod window;
