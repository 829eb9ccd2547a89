//! Process-wide allocation limit (q's `-w`): a single result larger than the limit fails
//! with `'wsfull` instead of aborting the process when the allocator gives up.

use fq_value::{QError, QResult};
use std::sync::atomic::{AtomicUsize, Ordering};

static WS_LIMIT: AtomicUsize = AtomicUsize::new(8 << 30);

/// Set the limit in bytes for any one vector or list the interpreter builds.
pub fn set_ws_limit(bytes: usize) {
    WS_LIMIT.store(bytes, Ordering::Relaxed);
}

/// The current limit in bytes.
pub fn ws_limit() -> usize {
    WS_LIMIT.load(Ordering::Relaxed)
}

/// `'wsfull` unless `items` of `size` bytes fit under the limit.
pub fn check(items: u64, size: usize) -> QResult<()> {
    match items.checked_mul(size as u64) {
        Some(b) if b <= ws_limit() as u64 => Ok(()),
        _ => Err(QError::Wsfull),
    }
}
