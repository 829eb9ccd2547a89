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
pub mod to_arrow;
pub mod to_q;

pub use ipc::{read_ipc_file, read_ipc_stream, write_ipc_file, write_ipc_stream};
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
