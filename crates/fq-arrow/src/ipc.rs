//! Arrow IPC: the file format (`ARROW1` magic, footer, random access) and the stream
//! format, each read into one q table (record batches concatenated) and written from one
//! (a single record batch).
//!
//! Reading is defensive: arrow-ipc verifies the flatbuffers and validates every array, and
//! errors come back as `'arrow: …` signals. As a last line of defence against a panic deep
//! in a dependency on crafted input, decoding runs under `catch_unwind`.

use crate::arrow_error;
use crate::to_arrow::{table_to_batch, ToArrowOptions};
use crate::to_q::{batches_to_table, ToQOptions};
use arrow_array::RecordBatch;
use arrow_ipc::reader::{FileReader, StreamReader};
use arrow_ipc::writer::{FileWriter, StreamWriter};
use fq_value::{QError, QResult, Table, Value};
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Run a decoder, turning a panic into an error.
fn guarded<T>(f: impl FnOnce() -> QResult<T>) -> QResult<T> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(QError::Signal("arrow: corrupt IPC data".into())))
}

/// Read an Arrow IPC file (all its record batches) into one q table.
pub fn read_ipc_file(bytes: &[u8], opts: &ToQOptions) -> QResult<Table> {
    guarded(|| {
        let reader = FileReader::try_new(Cursor::new(bytes), None).map_err(arrow_error)?;
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().map_err(arrow_error)?;
        batches_to_table(&schema, &batches, opts)
    })
}

/// Read an Arrow IPC stream (all its record batches) into one q table.
pub fn read_ipc_stream(bytes: &[u8], opts: &ToQOptions) -> QResult<Table> {
    guarded(|| {
        let reader = StreamReader::try_new(Cursor::new(bytes), None).map_err(arrow_error)?;
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().map_err(arrow_error)?;
        batches_to_table(&schema, &batches, opts)
    })
}

/// Write a q table (or keyed table, unkeyed) as an Arrow IPC file of one record batch.
pub fn write_ipc_file(t: &Value, opts: &ToArrowOptions) -> QResult<Vec<u8>> {
    let batch = table_to_batch(t, opts)?;
    let mut w = FileWriter::try_new(Vec::new(), &batch.schema()).map_err(arrow_error)?;
    w.write(&batch).map_err(arrow_error)?;
    w.finish().map_err(arrow_error)?;
    w.into_inner().map_err(arrow_error)
}

/// Write a q table (or keyed table, unkeyed) as an Arrow IPC stream of one record batch.
pub fn write_ipc_stream(t: &Value, opts: &ToArrowOptions) -> QResult<Vec<u8>> {
    let batch = table_to_batch(t, opts)?;
    let mut w = StreamWriter::try_new(Vec::new(), &batch.schema()).map_err(arrow_error)?;
    w.write(&batch).map_err(arrow_error)?;
    w.finish().map_err(arrow_error)?;
    w.into_inner().map_err(arrow_error)
}

/// The q error for a failed file operation, as kdb+ reports one:
/// `'path. OS reports: No such file or directory`.
pub fn os_error(path: &str, e: &std::io::Error) -> QError {
    use std::io::ErrorKind;
    let reason = match e.kind() {
        ErrorKind::NotFound => "No such file or directory".to_string(),
        ErrorKind::PermissionDenied => "Permission denied".to_string(),
        ErrorKind::IsADirectory => "Is a directory".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    QError::Signal(format!("{path}. OS reports: {reason}").into())
}

/// Read an Arrow IPC file from disk.
pub fn read_file_path(path: impl AsRef<Path>, opts: &ToQOptions) -> QResult<Table> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| os_error(&path.display().to_string(), &e))?;
    read_ipc_file(&bytes, opts)
}

/// Write a q table to disk as an Arrow IPC file.
pub fn write_file_path(path: impl AsRef<Path>, t: &Value, opts: &ToArrowOptions) -> QResult<()> {
    let path = path.as_ref();
    let bytes = write_ipc_file(t, opts)?;
    std::fs::write(path, bytes).map_err(|e| os_error(&path.display().to_string(), &e))
}
