//! Arrow IPC: the file format (`ARROW1` magic, footer, random access) and the stream
//! format, each read into one q table (record batches concatenated) and written from one
//! (a single record batch).
//!
//! Reading is defensive. arrow-ipc verifies the flatbuffers and validates every array, but
//! it slices message bodies with offsets taken from the file and panics when they are out
//! of range; so before decoding, every message's framing and every buffer's bounds (and
//! 8-byte alignment, which the format requires) are checked here against the bytes at
//! hand. Errors come back as `'arrow: …` signals. As a last line of defence against a
//! panic deeper in a dependency on crafted input, decoding also runs under
//! `catch_unwind`.

use crate::arrow_error;
use crate::to_arrow::{table_to_batch, ToArrowOptions};
use crate::to_q::{batches_to_table, ToQOptions};
use arrow_array::RecordBatch;
use arrow_ipc::reader::{read_footer_length, FileReader, StreamReader};
use arrow_ipc::writer::{FileWriter, StreamWriter};
use arrow_ipc::{root_as_footer, root_as_message, Message, MessageHeader};
use fq_value::{QError, QResult, Table, Value};
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Run a decoder, turning a panic into an error.
fn guarded<T>(f: impl FnOnce() -> QResult<T>) -> QResult<T> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(QError::Signal("arrow: corrupt IPC data".into())))
}

fn corrupt(what: impl std::fmt::Display) -> QError {
    QError::Signal(format!("arrow: corrupt IPC data: {what}").into())
}

/// Check one message's buffers against its body length.
fn check_message(msg: &Message<'_>, body_len: u64) -> QResult<()> {
    let batch = match msg.header_type() {
        MessageHeader::RecordBatch => msg.header_as_record_batch(),
        MessageHeader::DictionaryBatch => msg.header_as_dictionary_batch().and_then(|d| d.data()),
        _ => None,
    };
    let Some(batch) = batch else { return Ok(()) };
    if batch.length() < 0 {
        return Err(corrupt("negative row count"));
    }
    for node in batch.nodes().iter().flatten() {
        if node.length() < 0 || node.null_count() < 0 || node.null_count() > node.length() {
            return Err(corrupt("bad field node"));
        }
    }
    for b in batch.buffers().iter().flatten() {
        let (Ok(offset), Ok(len)) = (u64::try_from(b.offset()), u64::try_from(b.length())) else {
            return Err(corrupt("negative buffer offset or length"));
        };
        if !offset.is_multiple_of(8) || offset.saturating_add(len) > body_len {
            return Err(corrupt("buffer outside its message body"));
        }
    }
    Ok(())
}

/// Parse an encapsulated message's metadata: an optional continuation marker, the
/// metadata length, the flatbuffer. Returns the message and the prefix+metadata length.
fn message_at(bytes: &[u8]) -> QResult<Option<(Message<'_>, usize)>> {
    let word = |at: usize| -> QResult<i32> {
        let b = bytes.get(at..at + 4).ok_or_else(|| corrupt("truncated message"))?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (len, prefix) = match word(0)? {
        -1 => (word(4)?, 8),
        n => (n, 4),
    };
    if len == 0 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| corrupt("negative message length"))?;
    let end = prefix + len;
    let meta = bytes.get(prefix..end).ok_or_else(|| corrupt("truncated message"))?;
    let msg = root_as_message(meta).map_err(corrupt)?;
    Ok(Some((msg, end)))
}

/// Check an IPC file's footer, blocks and messages before arrow-ipc decodes it.
fn check_file(bytes: &[u8]) -> QResult<()> {
    let n = bytes.len();
    if n < 18 || !bytes.starts_with(b"ARROW1") {
        return Err(corrupt("not an Arrow IPC file"));
    }
    let mut tail = [0u8; 10];
    tail.copy_from_slice(&bytes[n - 10..]);
    let footer_len = read_footer_length(tail).map_err(arrow_error)?;
    let footer_start =
        (n - 10).checked_sub(footer_len).filter(|&s| s >= 8).ok_or_else(|| corrupt("footer"))?;
    let footer = root_as_footer(&bytes[footer_start..n - 10]).map_err(corrupt)?;
    let blocks = footer
        .dictionaries()
        .into_iter()
        .flatten()
        .chain(footer.recordBatches().into_iter().flatten());
    for block in blocks {
        let (Ok(offset), Ok(meta), Ok(body)) = (
            usize::try_from(block.offset()),
            usize::try_from(block.metaDataLength()),
            u64::try_from(block.bodyLength()),
        ) else {
            return Err(corrupt("negative block offset or length"));
        };
        let meta_end = offset.checked_add(meta).filter(|&e| e <= footer_start);
        let meta_end = meta_end.ok_or_else(|| corrupt("block outside the file"))?;
        if (meta_end as u64).saturating_add(body) > footer_start as u64 {
            return Err(corrupt("block outside the file"));
        }
        match message_at(&bytes[offset..meta_end])? {
            Some((msg, _)) => check_message(&msg, body)?,
            None => return Err(corrupt("empty block")),
        }
    }
    Ok(())
}

/// Check an IPC stream's messages before arrow-ipc decodes it.
fn check_stream(bytes: &[u8]) -> QResult<()> {
    let mut pos = 0usize;
    while pos < bytes.len() {
        let Some((msg, meta_len)) = message_at(&bytes[pos..])? else { break };
        let body = u64::try_from(msg.bodyLength()).map_err(|_| corrupt("negative body length"))?;
        check_message(&msg, body)?;
        let end = (pos + meta_len) as u64 + body;
        if end > bytes.len() as u64 {
            return Err(corrupt("truncated message body"));
        }
        pos = end as usize;
    }
    Ok(())
}

/// Read an Arrow IPC file (all its record batches) into one q table.
pub fn read_ipc_file(bytes: &[u8], opts: &ToQOptions) -> QResult<Table> {
    check_file(bytes)?;
    guarded(|| {
        let reader = FileReader::try_new(Cursor::new(bytes), None).map_err(arrow_error)?;
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().map_err(arrow_error)?;
        batches_to_table(&schema, &batches, opts)
    })
}

/// Read an Arrow IPC file held in an Arrow buffer, without copying: the record batches'
/// buffers are slices of `buf` (so fixed-width columns stay in the file's memory).
pub fn read_ipc_file_buffer(buf: arrow_buffer::Buffer, opts: &ToQOptions) -> QResult<Table> {
    let (schema, batches) = decode_file_buffer(&buf)?;
    guarded(|| batches_to_table(&schema, &batches, opts))
}

type Decoded = (arrow_schema::SchemaRef, Vec<RecordBatch>);

/// The schema and record batches of an IPC file in `buf`, sharing its memory.
fn decode_file_buffer(buf: &arrow_buffer::Buffer) -> QResult<Decoded> {
    check_file(buf.as_slice())?;
    guarded(|| {
        let n = buf.len();
        let mut tail = [0u8; 10];
        tail.copy_from_slice(&buf[n - 10..]);
        let footer_len = read_footer_length(tail).map_err(arrow_error)?;
        let footer_start = n - 10 - footer_len;
        let footer = root_as_footer(&buf[footer_start..n - 10]).map_err(corrupt)?;
        let fb_schema = footer.schema().ok_or_else(|| corrupt("no schema"))?;
        let schema = std::sync::Arc::new(
            arrow_ipc::convert::try_fb_to_schema(fb_schema).map_err(arrow_error)?,
        );
        let decoder = arrow_ipc::reader::FileDecoder::new(schema.clone(), footer.version());
        // SAFETY: arrow-ipc's own validation is off only because every array is validated
        // below (`validate_column`) before anything reads it, in full except for the range
        // of dictionary codes, which the conversion to q checks itself (a code outside the
        // dictionary is an error there). Buffer bounds and alignment were checked against
        // the file above.
        let mut decoder = unsafe { decoder.with_skip_validation(true) };
        for block in footer.dictionaries().iter().flatten() {
            let len = block.bodyLength() as usize + block.metaDataLength() as usize;
            let data = buf.slice_with_length(block.offset() as usize, len);
            decoder.read_dictionary(block, &data).map_err(arrow_error)?;
        }
        let mut batches = Vec::new();
        for block in footer.recordBatches().iter().flatten() {
            let len = block.bodyLength() as usize + block.metaDataLength() as usize;
            let data = buf.slice_with_length(block.offset() as usize, len);
            if let Some(b) = decoder.read_record_batch(block, &data).map_err(arrow_error)? {
                for col in b.columns() {
                    validate_column(&col.to_data())?;
                }
                batches.push(b);
            }
        }
        Ok((schema, batches))
    })
}

/// arrow-ipc's validation of a decoded column, less one pass: a dictionary column's codes
/// are not range-checked here (10M codes cost a third of loading a tick table), because
/// the conversion to q looks each code up with a bounds check anyway. Everything else —
/// buffer sizes, nulls, offsets, UTF-8, the dictionary's values, nested children — is
/// validated in full.
fn validate_column(d: &arrow_data::ArrayData) -> QResult<()> {
    if let arrow_schema::DataType::Dictionary(_, _) = d.data_type() {
        d.validate().map_err(arrow_error)?;
        d.validate_nulls().map_err(arrow_error)?;
        for child in d.child_data() {
            child.validate_full().map_err(arrow_error)?;
        }
        return Ok(());
    }
    d.validate_full().map_err(arrow_error)
}

/// Read an Arrow IPC file from disk through a memory map: nothing is read up front, and
/// fixed-width columns are adopted straight from the mapped pages. Pages of columns that
/// had to be converted (timestamps, dictionary codes) are released after conversion, so
/// the process holds each column's bytes once.
pub fn read_file_mapped(path: impl AsRef<Path>, opts: &ToQOptions) -> QResult<Table> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| os_error(&path.display().to_string(), &e))?;
    // SAFETY: the map is read-only and private to this process; as with kdb+'s mapped
    // files, the file must not be truncated or rewritten while tables read from it live.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| os_error(&path.display().to_string(), &e))?;
    if map.is_empty() {
        return Err(corrupt("not an Arrow IPC file"));
    }
    let map = std::sync::Arc::new(Mapped::new(map));
    let len = map.len();
    let base = map.as_ptr() as usize;
    let ptr =
        std::ptr::NonNull::new(map.as_ptr() as *mut u8).ok_or_else(|| corrupt("empty map"))?;
    // SAFETY: `ptr` and `len` describe the mapping, which the Arc keeps alive as long as
    // any buffer sliced from it.
    let buf = unsafe { arrow_buffer::Buffer::from_custom_allocation(ptr, len, map.clone()) };
    let (schema, batches) = decode_file_buffer(&buf)?;
    let table = guarded(|| batches_to_table(&schema, &batches, opts))?;
    // Buffers the table adopted stay; the others were only read.
    let adopted: Vec<usize> = table
        .columns()
        .iter()
        .filter_map(|c| match c {
            Value::Vector(v) => Some(v.as_bytes().as_ptr() as usize),
            _ => None,
        })
        .collect();
    let mut release: Vec<(usize, usize)> = Vec::new();
    for b in &batches {
        for col in b.columns() {
            collect_buffers(&col.to_data(), &mut release);
        }
    }
    drop(batches);
    drop(buf);
    const PAGE: usize = 4096;
    for (start, n) in release {
        if start < base || start + n > base + len || adopted.contains(&start) {
            continue;
        }
        let lo = (start - base).next_multiple_of(PAGE);
        let hi = (start - base + n) & !(PAGE - 1);
        if hi > lo {
            // SAFETY: a read-only private file mapping that is never written: dropping its
            // pages is invisible to readers (the next access faults them back in from the
            // file). The range belongs to a column that was converted, not adopted, so
            // normally nothing reads it again.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, lo, hi - lo)
            };
        }
    }
    Ok(table)
}

/// Bytes of files currently mapped by [`read_file_mapped`] (kdb+'s `mmap` in `\w`).
static MAPPED_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Bytes of Arrow files mapped now: each map counts until the last column adopted from it
/// is dropped.
pub fn mapped_bytes() -> usize {
    MAPPED_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// A file mapping counted in [`MAPPED_BYTES`] while it lives.
struct Mapped(memmap2::Mmap);

impl Mapped {
    fn new(map: memmap2::Mmap) -> Self {
        MAPPED_BYTES.fetch_add(map.len(), std::sync::atomic::Ordering::Relaxed);
        Mapped(map)
    }
}

impl std::ops::Deref for Mapped {
    type Target = memmap2::Mmap;
    fn deref(&self) -> &memmap2::Mmap {
        &self.0
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        MAPPED_BYTES.fetch_sub(self.0.len(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// Every buffer (pointer, length) of an array and its children and dictionary.
fn collect_buffers(d: &arrow_data::ArrayData, out: &mut Vec<(usize, usize)>) {
    for b in d.buffers() {
        out.push((b.as_ptr() as usize, b.len()));
    }
    for c in d.child_data() {
        collect_buffers(c, out);
    }
}

/// Read an Arrow IPC stream (all its record batches) into one q table.
pub fn read_ipc_stream(bytes: &[u8], opts: &ToQOptions) -> QResult<Table> {
    check_stream(bytes)?;
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
