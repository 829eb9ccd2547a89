//! The `.fq` namespace: ferroq's own utilities, under a name kdb+ does not use.
//!
//! - `.fq.resetpeak[]` lowers the heap's high-water mark (`.Q.w[]`peak`, `(\w)2`) to the
//!   bytes in use now and returns the mark before (a long; `0N` when the process keeps no
//!   allocation counter). Measuring a query's extra memory:
//!   `.fq.resetpeak[]; u:.Q.w[]`used; r:f[]; (.Q.w[]`peak)-u`.
//!
//! As with `.Q`, the functions are lambdas over internal functions `-n!x` (codes below).

use crate::interp::Interp;
use fq_value::{Lambda, QError, QResult, Sym, Value};
use std::sync::Arc;

/// The internal-function code taken by `.fq.resetpeak`.
pub const RESET_PEAK: i64 = -1300;

/// The value of `.fq.name`, if defined.
pub fn var(s: Sym) -> Option<Value> {
    let src = match s.as_bytes().strip_prefix(b".fq.")? {
        b"resetpeak" => "{-1300!x}",
        _ => return None,
    };
    Some(Value::Lambda(Arc::new(Lambda::new(Sym::new(".fq"), src))))
}

/// `-1300!x`: reset the peak (any argument, as `.fq.resetpeak[]` passes `::`).
pub fn call(_i: &mut Interp, n: i64, _x: Value) -> QResult<Value> {
    match n {
        RESET_PEAK => Ok(Value::Long(
            crate::limits::reset_peak().map_or(i64::MIN, |b| i64::try_from(b).unwrap_or(i64::MAX)),
        )),
        _ => Err(QError::Nyi),
    }
}
