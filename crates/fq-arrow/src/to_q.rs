//! Arrow → q.
//!
//! Zero-copy rule: a fixed-width column whose values q stores with the same bits (long,
//! float, int, short, real, byte, guid, second, time, timespan) and that has no nulls is
//! adopted: the q vector wraps the Arrow buffer and keeps it alive. fq-value's foreign
//! buffers must be 8-byte aligned, so a column whose data pointer is not (a slice at an
//! odd offset, an oddly padded IPC file) is copied instead. A column with nulls is copied
//! once and the null slots are overwritten with q's null of the type. Temporal columns
//! are always copied, shifting epochs in one tight loop.

use crate::{nyi, type_error, QTYPE_KEY};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowDictionaryKeyType, Date32Type, Date64Type, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float16Type, Float32Type,
    Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, Time32MillisecondType,
    Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{
    new_empty_array, Array, ArrowPrimitiveType, GenericListArray, OffsetSizeTrait, PrimitiveArray,
    RecordBatch,
};
use arrow_buffer::{ArrowNativeType, NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use fq_value::null::{NULL_F32, NULL_F64, NULL_GUID, NULL_I16, NULL_I32, NULL_I64};
use fq_value::temporal::{EPOCH_OFFSET_DAYS, EPOCH_OFFSET_NANOS};
use fq_value::{
    sym, Buffer, Elem, List, QError, QResult, QType, RawBuffer, Sym, Table, Value, Vector,
    GENERIC_NULL,
};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// How Arrow string columns (Utf8, LargeUtf8, Utf8View and dictionaries of them) become q
/// values, unless the field's [`QTYPE_KEY`] metadata says otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StringsAs {
    /// A symbol vector (interned), as q keeps categorical text.
    #[default]
    Symbols,
    /// A general list of char vectors (q strings).
    Strings,
}

/// Options for Arrow → q conversion.
#[derive(Clone, Copy, Debug, Default)]
pub struct ToQOptions {
    /// What string columns become.
    pub strings: StringsAs,
}

const OFFSET_DAYS: i32 = EPOCH_OFFSET_DAYS as i32;
const MILLIS_PER_DAY: i64 = 86_400_000;
const OFFSET_MILLIS: i64 = EPOCH_OFFSET_NANOS / 1_000_000;

/// Convert one Arrow array to a q vector (or a general list for strings, binaries and
/// lists). Unsupported types are `'nyi`.
pub fn array_to_q(array: &dyn Array, opts: &ToQOptions) -> QResult<Value> {
    convert(array, None, "", opts)
}

/// Convert one column, honouring the field's [`QTYPE_KEY`] metadata.
pub fn field_to_q(field: &Field, array: &dyn Array, opts: &ToQOptions) -> QResult<Value> {
    let tag = field.metadata().get(QTYPE_KEY).and_then(|t| t.bytes().next());
    convert(array, tag, field.name(), opts)
}

/// Convert a record batch to a q table (column names from the schema).
pub fn batch_to_table(batch: &RecordBatch, opts: &ToQOptions) -> QResult<Table> {
    batches_to_table(batch.schema_ref(), std::slice::from_ref(batch), opts)
}

/// Convert record batches sharing `schema` to one q table, concatenating them. With one
/// batch nothing is concatenated (zero-copy columns stay zero-copy); with none the table
/// is empty with columns of the schema's types.
pub fn batches_to_table(
    schema: &Schema,
    batches: &[RecordBatch],
    opts: &ToQOptions,
) -> QResult<Table> {
    let fields = schema.fields();
    let column = |i: usize| -> QResult<Value> {
        let field = &fields[i];
        let mut parts = Vec::with_capacity(batches.len());
        for b in batches {
            let col = b.columns().get(i).ok_or(QError::Length)?;
            if col.data_type() != field.data_type() {
                return Err(type_error(field.name(), "record batches disagree on the type"));
            }
            parts.push(field_to_q(field, col.as_ref(), opts)?);
        }
        if parts.is_empty() {
            field_to_q(field, new_empty_array(field.data_type()).as_ref(), opts)
        } else {
            concat(parts)
        }
    };
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let columns = in_parallel(fields.len(), rows.saturating_mul(fields.len()), column)?;
    let names: Vec<Sym> = fields.iter().map(|f| Sym::new(f.name())).collect();
    Table::new(Vector::syms(&names), columns)
}

/// Run `f` on `0..n`, on up to four threads when `work` (cells to convert) is large
/// enough to pay for them: columns convert independently, and the heavy ones (an epoch
/// shift, a dictionary gather) are bound by memory and page faults, not one core.
fn in_parallel<T: Send>(
    n: usize,
    work: usize,
    f: impl Fn(usize) -> QResult<T> + Sync,
) -> QResult<Vec<T>> {
    const MIN_WORK: usize = 1 << 21;
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(4).min(n);
    if threads <= 1 || work < MIN_WORK {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<QResult<T>>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = slots.get(i) else { break };
        let r = f(i);
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(r);
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            // A thread that cannot be started leaves its share to the others.
            let _ = std::thread::Builder::new().spawn_scoped(s, worker);
        }
        worker();
    });
    slots
        .into_iter()
        .map(|m| {
            let r = m.into_inner().unwrap_or_else(PoisonError::into_inner);
            r.unwrap_or_else(|| Err(QError::internal("column not converted")))
        })
        .collect()
}

/// Concatenate converted batches of one column.
fn concat(mut parts: Vec<Value>) -> QResult<Value> {
    if parts.len() == 1 {
        return Ok(parts.pop().unwrap_or(GENERIC_NULL));
    }
    let first_ty = parts.first().map(Value::qtype);
    let same_vectors =
        parts.iter().all(|p| matches!(p, Value::Vector(_)) && Some(p.qtype()) == first_ty);
    if same_vectors {
        let total: usize = parts
            .iter()
            .map(|p| if let Value::Vector(v) = p { v.as_bytes().len() } else { 0 })
            .sum();
        let mut buf = Buffer::from_raw(RawBuffer::with_capacity(total));
        let mut ty = QType::LIST;
        for p in &parts {
            if let Value::Vector(v) = p {
                buf.extend_from_slice(v.as_bytes());
                ty = v.ty();
            }
        }
        return Vector::from_buffer(ty, buf).map(Value::Vector);
    }
    let mut items = Vec::new();
    for p in parts {
        match p {
            Value::List(l) => items.extend_from_slice(l.items()),
            Value::Vector(v) => items.extend((0..v.len()).filter_map(|i| v.get(i))),
            other => items.push(other),
        }
    }
    Ok(Value::list(items))
}

fn convert(array: &dyn Array, tag: Option<u8>, name: &str, opts: &ToQOptions) -> QResult<Value> {
    let dt = array.data_type();
    let unsupported = || nyi(name, format_args!("Arrow type {dt}"));
    let v = match dt {
        DataType::Int64 => prim::<Int64Type>(array, QType::LONG, NULL_I64)?,
        DataType::Float64 => prim::<Float64Type>(array, QType::FLOAT, NULL_F64)?,
        DataType::Int32 => prim::<Int32Type>(array, QType::INT, NULL_I32)?,
        DataType::Int16 => prim::<Int16Type>(array, QType::SHORT, NULL_I16)?,
        DataType::Float32 => prim::<Float32Type>(array, QType::REAL, NULL_F32)?,
        DataType::UInt8 => prim::<UInt8Type>(array, QType::BYTE, 0)?,
        DataType::Int8 => map::<Int8Type, i16>(array, QType::SHORT, NULL_I16, i16::from)?,
        DataType::UInt16 => map::<UInt16Type, i32>(array, QType::INT, NULL_I32, i32::from)?,
        DataType::UInt32 => map::<UInt32Type, i64>(array, QType::LONG, NULL_I64, i64::from)?,
        DataType::UInt64 => {
            let a = primitive::<UInt64Type>(array)?;
            if a.values().iter().any(|&x| x > i64::MAX as u64) {
                return Err(type_error(name, "UInt64 value above the long range"));
            }
            map::<UInt64Type, i64>(array, QType::LONG, NULL_I64, |x| x as i64)?
        }
        DataType::Float16 => map::<Float16Type, f32>(array, QType::REAL, NULL_F32, f32::from)?,
        DataType::Boolean => bools(array)?,
        DataType::FixedSizeBinary(16) => guids(array)?,
        DataType::Timestamp(unit, _) if tag == Some(b'z') => datetimes(array, *unit)?,
        DataType::Timestamp(unit, _) => timestamps(array, *unit)?,
        DataType::Date32 if tag == Some(b'm') => {
            map::<Date32Type, i32>(array, QType::MONTH, NULL_I32, month_of_unix_days)?
        }
        DataType::Date32 => map::<Date32Type, i32>(array, QType::DATE, NULL_I32, |d| {
            if d == i32::MAX {
                d
            } else {
                d.saturating_sub(OFFSET_DAYS)
            }
        })?,
        DataType::Date64 => map::<Date64Type, i32>(array, QType::DATE, NULL_I32, |ms| {
            let d = ms.div_euclid(MILLIS_PER_DAY) - EPOCH_OFFSET_DAYS;
            i32::try_from(d).unwrap_or(NULL_I32)
        })?,
        DataType::Time32(TimeUnit::Second) if tag == Some(b'u') => {
            map::<Time32SecondType, i32>(array, QType::MINUTE, NULL_I32, |s| {
                if s == i32::MIN {
                    s
                } else {
                    s.div_euclid(60)
                }
            })?
        }
        DataType::Time32(TimeUnit::Second) => {
            prim::<Time32SecondType>(array, QType::SECOND, NULL_I32)?
        }
        DataType::Time32(TimeUnit::Millisecond) => {
            prim::<Time32MillisecondType>(array, QType::TIME, NULL_I32)?
        }
        DataType::Time64(TimeUnit::Nanosecond) => {
            prim::<Time64NanosecondType>(array, QType::TIMESPAN, NULL_I64)?
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            map::<Time64MicrosecondType, i64>(array, QType::TIMESPAN, NULL_I64, scale(1_000))?
        }
        DataType::Duration(TimeUnit::Nanosecond) => {
            prim::<DurationNanosecondType>(array, QType::TIMESPAN, NULL_I64)?
        }
        DataType::Duration(TimeUnit::Microsecond) => {
            map::<DurationMicrosecondType, i64>(array, QType::TIMESPAN, NULL_I64, scale(1_000))?
        }
        DataType::Duration(TimeUnit::Millisecond) => {
            map::<DurationMillisecondType, i64>(array, QType::TIMESPAN, NULL_I64, scale(1_000_000))?
        }
        DataType::Duration(TimeUnit::Second) => {
            map::<DurationSecondType, i64>(array, QType::TIMESPAN, NULL_I64, scale(1_000_000_000))?
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            strings(array, tag, opts).ok_or_else(unsupported)?
        }
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => binaries(array).ok_or_else(unsupported)?,
        DataType::Dictionary(key, _) => match key.as_ref() {
            DataType::Int8 => dictionary::<Int8Type>(array, tag, name, opts)?,
            DataType::Int16 => dictionary::<Int16Type>(array, tag, name, opts)?,
            DataType::Int32 => dictionary::<Int32Type>(array, tag, name, opts)?,
            DataType::Int64 => dictionary::<Int64Type>(array, tag, name, opts)?,
            DataType::UInt8 => dictionary::<UInt8Type>(array, tag, name, opts)?,
            DataType::UInt16 => dictionary::<UInt16Type>(array, tag, name, opts)?,
            DataType::UInt32 => dictionary::<UInt32Type>(array, tag, name, opts)?,
            DataType::UInt64 => dictionary::<UInt64Type>(array, tag, name, opts)?,
            _ => return Err(unsupported()),
        },
        DataType::List(_) => {
            let a = array.as_list_opt::<i32>().ok_or_else(unsupported)?;
            list(a, name, opts)?
        }
        DataType::LargeList(_) => {
            let a = array.as_list_opt::<i64>().ok_or_else(unsupported)?;
            list(a, name, opts)?
        }
        DataType::FixedSizeList(_, _) => {
            let a = array.as_fixed_size_list_opt().ok_or_else(unsupported)?;
            let child = convert(a.values().as_ref(), None, name, opts)?;
            let width = usize::try_from(a.value_length()).map_err(|_| QError::Length)?;
            let ranges = (0..a.len()).map(|i| (i * width, if a.is_null(i) { 0 } else { width }));
            nested(&child, ranges)?
        }
        // A Null column has no buffers to bound its claimed length: cap it.
        DataType::Null if array.len() > 1 << 24 => return Err(QError::Limit),
        DataType::Null => Value::list(vec![GENERIC_NULL; array.len()]),
        _ => return Err(unsupported()),
    };
    Ok(v)
}

fn primitive<T: ArrowPrimitiveType>(array: &dyn Array) -> QResult<&PrimitiveArray<T>> {
    array
        .as_primitive_opt::<T>()
        .ok_or_else(|| QError::internal(format!("{} is not {}", array.data_type(), T::DATA_TYPE)))
}

/// The array's nulls, when it has any.
fn nulls_of(array: &dyn Array) -> Option<&NullBuffer> {
    array.nulls().filter(|n| n.null_count() > 0)
}

/// Overwrite the slots the validity bitmap marks null with `null`. Walks the bitmap 64
/// bits at a time, so the cost is in the nulls, not the length.
fn patch_nulls<T: Copy>(out: &mut [T], nulls: &NullBuffer, null: T) {
    let chunks = nulls.inner().bit_chunks();
    let mut base = 0usize;
    let mut fill = |base: usize, mut missing: u64| {
        while missing != 0 {
            let bit = missing.trailing_zeros() as usize;
            if let Some(slot) = out.get_mut(base + bit) {
                *slot = null;
            }
            missing &= missing - 1;
        }
    };
    for word in chunks.iter() {
        fill(base, !word);
        base += 64;
    }
    let rem = chunks.remainder_len();
    if rem > 0 {
        let mask = if rem >= 64 { u64::MAX } else { (1u64 << rem) - 1 };
        fill(base, !chunks.remainder_bits() & mask);
    }
}

/// Adopt an Arrow buffer as the memory of a q vector, or copy it when its alignment does
/// not meet fq-value's foreign-buffer contract.
fn adopt<E: Elem + ArrowNativeType>(ty: QType, values: &ScalarBuffer<E>) -> Vector {
    let buf = values.inner();
    let ptr = NonNull::new(buf.as_ptr().cast_mut());
    match ptr {
        Some(ptr) if !buf.is_empty() && (ptr.as_ptr() as usize).is_multiple_of(8) => {
            // SAFETY: an Arrow `Buffer` is immutable shared memory, valid for `buf.len()`
            // bytes while any clone of it lives; the clone moved into the owner keeps it
            // alive (and unwritten) for as long as the RawBuffer exists. The pointer is
            // 8-byte aligned, as `from_foreign` requires.
            let raw = unsafe { RawBuffer::from_foreign(ptr, buf.len(), Box::new(buf.clone())) };
            Vector::from_buffer(ty, Buffer::from_raw(raw))
                .unwrap_or_else(|_| Vector::new(ty, values.as_ref()))
        }
        _ => Vector::new(ty, values.as_ref()),
    }
}

/// A column q stores with Arrow's bits: adopted when it has no nulls.
fn prim<T>(array: &dyn Array, ty: QType, null: T::Native) -> QResult<Value>
where
    T: ArrowPrimitiveType,
    T::Native: Elem,
{
    let a = primitive::<T>(array)?;
    Ok(Value::Vector(match nulls_of(array) {
        None => adopt(ty, a.values()),
        Some(nulls) => {
            let mut v = crate::output_vec(a.len());
            v.extend_from_slice(a.values());
            patch_nulls(&mut v, nulls, null);
            Vector::from_vec(ty, v)
        }
    }))
}

/// A column converted value by value (a widening, an epoch shift): one tight loop, then
/// the nulls patched.
fn map<T, E>(array: &dyn Array, ty: QType, null: E, f: impl Fn(T::Native) -> E) -> QResult<Value>
where
    T: ArrowPrimitiveType,
    E: Elem,
{
    let a = primitive::<T>(array)?;
    let mut v: Vec<E> = crate::output_vec(a.len());
    v.extend(a.values().iter().map(|&x| f(x)));
    if let Some(nulls) = nulls_of(array) {
        patch_nulls(&mut v, nulls, null);
    }
    Ok(Value::Vector(Vector::from_vec(ty, v)))
}

/// Multiply by `k`, saturating: `0N` stays `0N`, overflow becomes `0W`/`-0W`-ish bounds.
fn scale(k: i64) -> impl Fn(i64) -> i64 {
    move |x| if x == i64::MAX { x } else { x.saturating_mul(k) }
}

fn timestamps(array: &dyn Array, unit: TimeUnit) -> QResult<Value> {
    // i64::MIN (pandas' NaT) stays q's null; i64::MAX stays 0W.
    let shift = |k: i64| {
        move |x: i64| {
            if x == i64::MAX {
                x
            } else {
                x.saturating_mul(k).saturating_sub(EPOCH_OFFSET_NANOS)
            }
        }
    };
    let ty = QType::TIMESTAMP;
    match unit {
        TimeUnit::Nanosecond => {
            // Shift epochs and note whether the times ascend (a tick table's do), so
            // setting `s#` afterwards need not check again.
            let a = primitive::<TimestampNanosecondType>(array)?;
            let mut v: Vec<i64> = crate::output_vec(a.len());
            let mut ascending = true;
            let mut prev = i64::MIN;
            v.extend(a.values().iter().map(|&x| {
                let y = if x == i64::MAX { x } else { x.saturating_sub(EPOCH_OFFSET_NANOS) };
                ascending &= prev <= y;
                prev = y;
                y
            }));
            let nulls = nulls_of(array);
            if let Some(n) = nulls {
                patch_nulls(&mut v, n, NULL_I64);
            }
            let out = Vector::from_vec(ty, v);
            if ascending && nulls.is_none() {
                let _ = out.cached(|_| fq_value::KnownAscending);
            }
            Ok(Value::Vector(out))
        }
        TimeUnit::Microsecond => {
            map::<TimestampMicrosecondType, i64>(array, ty, NULL_I64, shift(1_000))
        }
        TimeUnit::Millisecond => {
            map::<TimestampMillisecondType, i64>(array, ty, NULL_I64, shift(1_000_000))
        }
        TimeUnit::Second => {
            map::<TimestampSecondType, i64>(array, ty, NULL_I64, shift(1_000_000_000))
        }
    }
}

/// A timestamp column ferroq wrote from a datetime (`z`): back to float days.
fn datetimes(array: &dyn Array, unit: TimeUnit) -> QResult<Value> {
    let per_ms: f64 = match unit {
        TimeUnit::Second => 1e-3,
        TimeUnit::Millisecond => 1.0,
        TimeUnit::Microsecond => 1e3,
        TimeUnit::Nanosecond => 1e6,
    };
    let offset = OFFSET_MILLIS as f64 * per_ms;
    let day = MILLIS_PER_DAY as f64 * per_ms;
    let f = move |x: i64| if x == i64::MIN { NULL_F64 } else { (x as f64 - offset) / day };
    let ty = QType::DATETIME;
    match unit {
        TimeUnit::Second => map::<TimestampSecondType, f64>(array, ty, NULL_F64, f),
        TimeUnit::Millisecond => map::<TimestampMillisecondType, f64>(array, ty, NULL_F64, f),
        TimeUnit::Microsecond => map::<TimestampMicrosecondType, f64>(array, ty, NULL_F64, f),
        TimeUnit::Nanosecond => map::<TimestampNanosecondType, f64>(array, ty, NULL_F64, f),
    }
}

/// Unix days of a first-of-month date → q month.
fn month_of_unix_days(d: i32) -> i32 {
    if d == i32::MIN || d == i32::MAX {
        return d;
    }
    let (y, m, _) = fq_value::temporal::ymd_from_days(d.saturating_sub(OFFSET_DAYS));
    (y - 2000).saturating_mul(12).saturating_add(m as i32 - 1)
}

fn bools(array: &dyn Array) -> QResult<Value> {
    let a = array
        .as_boolean_opt()
        .ok_or_else(|| QError::internal("Boolean array is not a BooleanArray"))?;
    let chunks = a.values().bit_chunks();
    let mut out = Vec::with_capacity(a.len());
    for word in chunks.iter() {
        out.extend((0..64).map(|b| ((word >> b) & 1) as u8));
    }
    let rem = chunks.remainder_bits();
    out.extend((0..chunks.remainder_len()).map(|b| ((rem >> b) & 1) as u8));
    if let Some(nulls) = nulls_of(array) {
        patch_nulls(&mut out, nulls, 0);
    }
    Ok(Value::Vector(Vector::from_vec(QType::BOOLEAN, out)))
}

fn guids(array: &dyn Array) -> QResult<Value> {
    let a = array
        .as_fixed_size_binary_opt()
        .ok_or_else(|| QError::internal("FixedSizeBinary array is not one"))?;
    let bytes = a.values();
    let adopted = match (NonNull::new(bytes.as_ptr().cast_mut()), nulls_of(array)) {
        (Some(ptr), None)
            if bytes.len() == a.len() * 16
                && !bytes.is_empty()
                && (ptr.as_ptr() as usize).is_multiple_of(8) =>
        {
            // SAFETY: as in `adopt`: the Arrow buffer clone keeps the immutable memory
            // alive for the RawBuffer's lifetime; the pointer is 8-byte aligned.
            let raw = unsafe { RawBuffer::from_foreign(ptr, bytes.len(), Box::new(bytes.clone())) };
            Vector::from_buffer(QType::GUID, Buffer::from_raw(raw)).ok()
        }
        _ => None,
    };
    if let Some(v) = adopted {
        return Ok(Value::Vector(v));
    }
    let mut out: Vec<[u8; 16]> =
        (0..a.len()).map(|i| a.value(i).try_into().unwrap_or(NULL_GUID)).collect();
    if let Some(nulls) = nulls_of(array) {
        patch_nulls(&mut out, nulls, NULL_GUID);
    }
    Ok(Value::Vector(Vector::from_vec(QType::GUID, out)))
}

/// The byte strings of a Utf8/LargeUtf8/Utf8View or binary array, nulls as empty.
fn byte_items(array: &dyn Array) -> Option<Vec<&[u8]>> {
    let n = array.len();
    let valid = |i: usize| !array.is_null(i);
    let items: Vec<&[u8]> = if let Some(a) = array.as_string_opt::<i32>() {
        (0..n).map(|i| if valid(i) { a.value(i).as_bytes() } else { &[][..] }).collect()
    } else if let Some(a) = array.as_string_opt::<i64>() {
        (0..n).map(|i| if valid(i) { a.value(i).as_bytes() } else { &[][..] }).collect()
    } else if let Some(a) = array.as_string_view_opt() {
        (0..n).map(|i| if valid(i) { a.value(i).as_bytes() } else { &[][..] }).collect()
    } else if let Some(a) = array.as_binary_opt::<i32>() {
        (0..n).map(|i| if valid(i) { a.value(i) } else { &[][..] }).collect()
    } else if let Some(a) = array.as_binary_opt::<i64>() {
        (0..n).map(|i| if valid(i) { a.value(i) } else { &[][..] }).collect()
    } else if let Some(a) = array.as_binary_view_opt() {
        (0..n).map(|i| if valid(i) { a.value(i) } else { &[][..] }).collect()
    } else if let Some(a) = array.as_fixed_size_binary_opt() {
        (0..n).map(|i| if valid(i) { a.value(i) } else { &[][..] }).collect()
    } else {
        return None;
    };
    Some(items)
}

fn strings(array: &dyn Array, tag: Option<u8>, opts: &ToQOptions) -> Option<Value> {
    let items = byte_items(array)?;
    Some(match tag {
        // A char column ferroq wrote: one character per row, blank for empty.
        Some(b'c') => {
            let chars: Vec<u8> = items.iter().map(|s| s.first().copied().unwrap_or(b' ')).collect();
            Value::Vector(Vector::from_vec(QType::CHAR, chars))
        }
        Some(b'C') => char_vectors(&items),
        Some(b's') => symbols(&items),
        _ => match opts.strings {
            StringsAs::Symbols => symbols(&items),
            StringsAs::Strings => char_vectors(&items),
        },
    })
}

fn symbols(items: &[&[u8]]) -> Value {
    let mut out = Vec::with_capacity(items.len());
    sym::intern_all(items.iter().copied(), &mut out);
    Value::Vector(Vector::from_vec(QType::SYMBOL, out))
}

fn char_vectors(items: &[&[u8]]) -> Value {
    Value::list(items.iter().map(|s| Value::Vector(Vector::chars(s))).collect())
}

fn binaries(array: &dyn Array) -> Option<Value> {
    let items = byte_items(array)?;
    Some(Value::list(items.iter().map(|s| Value::Vector(Vector::bytes(s))).collect()))
}

/// A dictionary column: the dictionary converted once (to symbols, typically), then
/// gathered by code. Null or out-of-range codes give q's null.
fn dictionary<K: ArrowDictionaryKeyType>(
    array: &dyn Array,
    tag: Option<u8>,
    name: &str,
    opts: &ToQOptions,
) -> QResult<Value> {
    let d = array
        .as_dictionary_opt::<K>()
        .ok_or_else(|| QError::internal("dictionary array of the wrong key type"))?;
    let values = convert(d.values().as_ref(), tag, name, opts)?;
    let keys = d.keys().values();
    let key_nulls = nulls_of(d.keys());
    match &values {
        Value::Vector(v) if v.ty() == QType::SYMBOL => {
            let map: &[Sym] = v.as_slice();
            let mut out: Vec<Sym> = crate::output_vec(keys.len());
            let mut outside = false;
            out.extend(keys.iter().map(|k| match map.get(k.as_usize()) {
                Some(&s) => s,
                None => {
                    outside = true;
                    Sym::EMPTY
                }
            }));
            if outside {
                check_codes(keys, map.len(), key_nulls, name)?;
            }
            if let Some(nulls) = key_nulls {
                patch_nulls(&mut out, nulls, Sym::EMPTY);
            }
            Ok(Value::Vector(Vector::from_vec(QType::SYMBOL, out)))
        }
        Value::Vector(v) => {
            let null = Value::null_of(v.ty()).unwrap_or(GENERIC_NULL);
            check_codes(keys, v.len(), key_nulls, name)?;
            let items: Vec<Value> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let is_null = key_nulls.is_some_and(|n| n.is_null(i));
                    let item = if is_null { None } else { v.get(k.as_usize()) };
                    item.unwrap_or_else(|| null.clone())
                })
                .collect();
            Ok(crate::to_q::collapse(v.ty(), items))
        }
        Value::List(l) => {
            let empty = Value::Vector(Vector::chars(b""));
            check_codes(keys, l.len(), key_nulls, name)?;
            let items: Vec<Value> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let is_null = key_nulls.is_some_and(|n| n.is_null(i));
                    let item = if is_null { None } else { l.items().get(k.as_usize()) };
                    item.cloned().unwrap_or_else(|| empty.clone())
                })
                .collect();
            Ok(Value::list(items))
        }
        _ => Err(nyi(name, format_args!("Arrow type {}", array.data_type()))),
    }
}

/// A dictionary code outside the dictionary is an error unless its slot is null (Arrow
/// leaves the codes under nulls unspecified). The symbol path calls it only once a code
/// was seen outside; the others (item by item anyway) always do.
fn check_codes<N: ArrowNativeType>(
    keys: &[N],
    len: usize,
    nulls: Option<&NullBuffer>,
    name: &str,
) -> QResult<()> {
    for (i, k) in keys.iter().enumerate() {
        if k.as_usize() >= len && !nulls.is_some_and(|n| n.is_null(i)) {
            return Err(QError::Signal(
                format!("arrow: column {name}: dictionary code {} at row {i} is outside the dictionary of {len}", k.as_usize() as i64)
                    .into(),
            ));
        }
    }
    Ok(())
}

/// Atoms of one elementary type back into a typed vector.
fn collapse(ty: QType, items: Vec<Value>) -> Value {
    let mut v = Vector::with_capacity(ty, items.len());
    for item in &items {
        let ok = match (item, ty) {
            (Value::Bool(b), _) => {
                v.extend(&[u8::from(*b)]);
                true
            }
            (Value::Guid(g), _) => {
                v.extend(&[**g]);
                true
            }
            (Value::Byte(x) | Value::Char(x), _) => {
                v.extend(&[*x]);
                true
            }
            (Value::Short(x), _) => {
                v.extend(&[*x]);
                true
            }
            (
                Value::Int(x)
                | Value::Month(x)
                | Value::Date(x)
                | Value::Minute(x)
                | Value::Second(x)
                | Value::Time(x),
                _,
            ) => {
                v.extend(&[*x]);
                true
            }
            (Value::Long(x) | Value::Timestamp(x) | Value::Timespan(x), _) => {
                v.extend(&[*x]);
                true
            }
            (Value::Real(x), _) => {
                v.extend(&[*x]);
                true
            }
            (Value::Float(x) | Value::Datetime(x), _) => {
                v.extend(&[*x]);
                true
            }
            (Value::Symbol(s), _) => {
                v.extend(&[*s]);
                true
            }
            _ => false,
        };
        if !ok {
            return Value::list(items);
        }
    }
    Value::Vector(v)
}

fn list<O: OffsetSizeTrait>(
    a: &GenericListArray<O>,
    name: &str,
    opts: &ToQOptions,
) -> QResult<Value> {
    let child = convert(a.values().as_ref(), None, name, opts)?;
    let offsets = a.value_offsets();
    let ranges = offsets.windows(2).enumerate().map(|(i, w)| {
        let start = w[0].as_usize();
        let len = if a.is_null(i) { 0 } else { w[1].as_usize().saturating_sub(start) };
        (start, len)
    });
    nested(&child, ranges)
}

/// A general list of slices of `child` (zero-copy slices of a vector child).
fn nested(child: &Value, ranges: impl Iterator<Item = (usize, usize)>) -> QResult<Value> {
    let mut items = Vec::new();
    for (start, len) in ranges {
        items.push(match child {
            Value::Vector(v) => Value::Vector(v.slice(start, len).ok_or(QError::Length)?),
            Value::List(l) => {
                let end = start.checked_add(len).ok_or(QError::Length)?;
                let part = l.items().get(start..end).ok_or(QError::Length)?;
                Value::List(List::new(part.to_vec()))
            }
            _ => return Err(QError::Type),
        });
    }
    Ok(Value::list(items))
}
