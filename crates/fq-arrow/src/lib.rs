//! q tables and vectors ↔ Apache Arrow arrays, record batches and IPC files.
//!
//! - [`to_q`]: Arrow arrays and record batches → q vectors, lists and tables.
//!   Fixed-width columns whose layout q shares (long, float, int, short, real, byte, guid,
//!   second, time, timespan) are adopted without copying: the q vector keeps the Arrow
//!   buffer alive. Temporal columns are shifted to q's 2000.01.01 epoch (a copy), string
//!   and dictionary columns become symbols (or strings, when asked), Arrow nulls become
//!   q nulls.
//! - [`to_arrow`]: q → Arrow: the reverse, again sharing fixed-width buffers; symbols
//!   become dictionary arrays (or Utf8); q nulls become a validity bitmap only when
//!   [`ToArrowOptions::nulls`] asks for one (q keeps nulls in-band).
//! - [`ipc`]: the Arrow IPC file and stream formats, read into one q table and written
//!   from one.
//!
//! Every failure is a [`QError`]: unsupported Arrow types are `'nyi` naming the column,
//! corrupt IPC bytes an `'arrow: …` signal. Nothing here panics on bad input.
//!
//! Field metadata [`QTYPE_KEY`] records the q type of a column written by ferroq, so that
//! types Arrow lacks (month, minute, datetime, char, strings vs symbols) come back as they
//! were. See `docs/arrow.md` for the full type mapping.

use fq_value::QError;

pub mod ipc;
/// Arrow's buffer type, for callers handing bytes to [`read_ipc_file_buffer`].
pub use arrow_buffer::Buffer as ArrowBuffer;
pub mod to_arrow;
pub mod to_q;

pub use ipc::{
    read_file_mapped, read_ipc_file, read_ipc_file_buffer, read_ipc_stream, write_ipc_file,
    write_ipc_stream,
};
pub use to_arrow::{table_to_batch, value_to_array, SymbolsAs, ToArrowOptions};
pub use to_q::{array_to_q, batch_to_table, batches_to_table, StringsAs, ToQOptions};

/// Field metadata key holding the q type letter of a column written by ferroq (`s` symbol,
/// `C` strings, `c` char, `m` month, `z` datetime, `u` minute...).
pub const QTYPE_KEY: &str = "ferroq.qtype";

/// `'nyi` for an Arrow type (or q type) this crate does not convert, naming the column.
pub(crate) fn nyi(column: &str, what: impl std::fmt::Display) -> QError {
    if column.is_empty() {
        QError::Signal(format!("nyi: {what}").into())
    } else {
        QError::Signal(format!("nyi: column {column}: {what}").into())
    }
}

/// `'type` with a reason, naming the column.
pub(crate) fn type_error(column: &str, what: impl std::fmt::Display) -> QError {
    if column.is_empty() {
        QError::Signal(format!("type: {what}").into())
    } else {
        QError::Signal(format!("type: column {column}: {what}").into())
    }
}

/// An Arrow library error as a q signal (`'arrow: message`).
pub(crate) fn arrow_error(e: arrow_schema::ArrowError) -> QError {
    QError::Signal(format!("arrow: {e}").into())
}

/// An empty vector with room for `n` items, for an output about to be written in full.
///
/// Large outputs are advised onto transparent huge pages: a freshly mapped 100 MB column
/// otherwise costs ~25,000 page faults, which dominate an epoch-shift loop (4–5x slower
/// than the loop itself on a VM).
pub(crate) fn output_vec<T>(n: usize) -> Vec<T> {
    let v = Vec::with_capacity(n);
    advise_huge_pages(v.as_ptr() as usize, n.saturating_mul(std::mem::size_of::<T>()));
    v
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(addr: usize, len: usize) {
    const HUGE: usize = 2 << 20;
    const MADV_HUGEPAGE: std::ffi::c_int = 14;
    extern "C" {
        fn madvise(
            addr: *mut std::ffi::c_void,
            len: usize,
            advice: std::ffi::c_int,
        ) -> std::ffi::c_int;
    }
    if len < 4 * HUGE {
        return;
    }
    let start = addr.next_multiple_of(HUGE);
    let end = (addr + len) & !(HUGE - 1);
    if end > start {
        // SAFETY: [start, end) lies inside an allocation the caller owns; MADV_HUGEPAGE
        // changes only how the kernel backs those pages, never their contents or validity,
        // and a refusal (an old kernel, THP disabled) is harmless, so the result is ignored.
        unsafe { madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_addr: usize, _len: usize) {}
