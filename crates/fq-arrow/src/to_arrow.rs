//! q → Arrow.
//!
//! Fixed-width vectors whose bits Arrow shares (long, float, int, short, real, byte, guid,
//! second, time, timespan) are wrapped, not copied: the Arrow buffer holds a reference to
//! the q buffer, which q's copy-on-write then never writes while Arrow holds it. Temporal
//! types are shifted to the Unix epoch (a copy). q nulls stay in-band values unless
//! [`ToArrowOptions::nulls`] asks for a validity bitmap as well.

use crate::{nyi, QTYPE_KEY};
use arrow_array::types::{
    Date32Type, DurationNanosecondType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Time32MillisecondType, Time32SecondType, TimestampMillisecondType, TimestampNanosecondType,
    UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BooleanArray, DictionaryArray, FixedSizeBinaryArray,
    GenericBinaryArray, GenericListArray, GenericStringArray, OffsetSizeTrait, PrimitiveArray,
    RecordBatch, RecordBatchOptions,
};
use arrow_buffer::{ArrowNativeType, BooleanBuffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{Field, Schema};
use fq_value::hash::FxHashMap;
use fq_value::null::QNull;
use fq_value::temporal::{days_from_ymd, EPOCH_OFFSET_DAYS, EPOCH_OFFSET_NANOS};
use fq_value::{sym, Elem, QError, QResult, QType, Sym, Value, Vector};
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::ptr::NonNull;
use std::sync::Arc;

/// What symbol vectors become in Arrow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SymbolsAs {
    /// `Dictionary(Int32, Utf8)`: each distinct symbol once, then 4-byte codes.
    #[default]
    Dictionary,
    /// Plain `Utf8` strings.
    Utf8,
}

/// Options for q → Arrow conversion.
#[derive(Clone, Copy, Debug, Default)]
pub struct ToArrowOptions {
    /// Also mark q nulls (`0N`, `0n`, `` ` ``, `0Ng`...) invalid in a validity bitmap.
    /// Off by default: values are passed as they are, q nulls in-band.
    pub nulls: bool,
    /// What symbol vectors become.
    pub symbols: SymbolsAs,
}

const OFFSET_DAYS: i32 = EPOCH_OFFSET_DAYS as i32;
const OFFSET_MILLIS: i64 = EPOCH_OFFSET_NANOS / 1_000_000;

/// Keeps a q buffer alive for as long as Arrow uses its memory.
struct Keep(#[allow(dead_code)] AssertUnwindSafe<fq_value::Buffer>);

/// The q buffer's memory as an Arrow buffer, without copying.
fn share(buf: &fq_value::Buffer) -> arrow_buffer::Buffer {
    match NonNull::new(buf.as_ptr().cast_mut()) {
        Some(ptr) if !buf.is_empty() => {
            let owner = Arc::new(Keep(AssertUnwindSafe(buf.clone())));
            // SAFETY: `ptr` is valid for `buf.len()` bytes while the clone in `owner`
            // lives, and the memory is never written meanwhile: fq-value mutates a buffer
            // only through `make_mut`/`extend`, which copy when the allocation is shared,
            // and `owner` holds a share.
            unsafe { arrow_buffer::Buffer::from_custom_allocation(ptr, buf.len(), owner) }
        }
        _ => arrow_buffer::Buffer::from_vec(Vec::<u8>::new()),
    }
}

/// A vector's elements as an Arrow scalar buffer: shared when aligned for `T` (always,
/// for fq-value's buffers), copied otherwise.
fn scalars<T: ArrowNativeType + Elem>(v: &Vector) -> ScalarBuffer<T> {
    let buf = v.buffer();
    if v.is_empty() || !(buf.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>()) {
        return ScalarBuffer::from(v.as_slice::<T>().to_vec());
    }
    ScalarBuffer::new(share(buf), 0, v.len())
}

/// The validity bitmap marking q nulls, when asked for and there are any.
fn validity<T: Copy>(
    opts: &ToArrowOptions,
    v: &[T],
    is_null: impl Fn(T) -> bool,
) -> Option<NullBuffer> {
    if !opts.nulls {
        return None;
    }
    let bits = BooleanBuffer::collect_bool(v.len(), |i| !is_null(v[i]));
    let nulls = NullBuffer::new(bits);
    (nulls.null_count() > 0).then_some(nulls)
}

fn primitive<T: ArrowPrimitiveType>(
    values: ScalarBuffer<T::Native>,
    nulls: Option<NullBuffer>,
) -> QResult<ArrayRef> {
    let a = PrimitiveArray::<T>::try_new(values, nulls).map_err(crate::arrow_error)?;
    Ok(Arc::new(a))
}

/// A fixed-width column Arrow shares bit for bit.
fn shared<T>(v: &Vector, opts: &ToArrowOptions) -> QResult<ArrayRef>
where
    T: ArrowPrimitiveType,
    T::Native: Elem + QNull,
{
    let values = scalars::<T::Native>(v);
    let nulls = validity(opts, &values, QNull::is_null);
    primitive::<T>(values, nulls)
}

/// A column converted value by value (epoch shifts): one tight loop.
fn mapped<T, E>(
    v: &Vector,
    opts: &ToArrowOptions,
    is_null: impl Fn(E) -> bool,
    f: impl Fn(E) -> T::Native,
) -> QResult<ArrayRef>
where
    T: ArrowPrimitiveType,
    E: Elem,
{
    let src = v.as_slice::<E>();
    let mut out: Vec<T::Native> = crate::output_vec(src.len());
    out.extend(src.iter().map(|&x| f(x)));
    let nulls = validity(opts, src, is_null);
    primitive::<T>(ScalarBuffer::from(out), nulls)
}

/// Convert a column (a vector, general list or enumeration) to an Arrow array.
pub fn value_to_array(v: &Value, opts: &ToArrowOptions) -> QResult<ArrayRef> {
    column("", v, opts).map(|(a, _)| a)
}

/// Convert a column to an array and the q type tag to record in its field metadata
/// (for types Arrow lacks).
fn column(name: &str, v: &Value, opts: &ToArrowOptions) -> QResult<(ArrayRef, Option<char>)> {
    match v {
        Value::Vector(x) => vector(name, x, opts),
        Value::List(l) => list(name, l.items(), opts),
        // A foreign key into a table keyed by another type: its key values.
        Value::Enum(e) if e.ty.code() > 0 && !e.is_symbolic() => column(name, &e.resolve()?, opts),
        Value::Enum(e) if e.ty.code() > 0 => {
            let keys = scalars::<i64>(&e.indices);
            let values = symbol_strings(e.domain.get().as_slice::<Sym>(), None);
            let keys =
                PrimitiveArray::<Int64Type>::try_new(keys, None).map_err(crate::arrow_error)?;
            let d = DictionaryArray::try_new(keys, values).map_err(crate::arrow_error)?;
            Ok((Arc::new(d), None))
        }
        other => Err(nyi(name, format_args!("q type {}h", other.qtype().code()))),
    }
}

fn vector(name: &str, v: &Vector, opts: &ToArrowOptions) -> QResult<(ArrayRef, Option<char>)> {
    let (array, tag): (ArrayRef, Option<char>) = match v.ty() {
        QType::BOOLEAN => {
            let b = v.as_bytes();
            let bits = BooleanBuffer::collect_bool(b.len(), |i| b[i] != 0);
            (Arc::new(BooleanArray::new(bits, None)), None)
        }
        QType::GUID => {
            let g = v.as_slice::<[u8; 16]>();
            let nulls = validity(opts, g, |x| x == [0; 16]);
            let a = FixedSizeBinaryArray::try_new(16, share(v.buffer()), nulls)
                .map_err(crate::arrow_error)?;
            (Arc::new(a), None)
        }
        QType::BYTE => (primitive::<UInt8Type>(scalars::<u8>(v), None)?, None),
        QType::SHORT => (shared::<Int16Type>(v, opts)?, None),
        QType::INT => (shared::<Int32Type>(v, opts)?, None),
        QType::LONG => (shared::<Int64Type>(v, opts)?, None),
        QType::REAL => (shared::<Float32Type>(v, opts)?, None),
        QType::FLOAT => (shared::<Float64Type>(v, opts)?, None),
        QType::TIMESPAN => (shared::<DurationNanosecondType>(v, opts)?, None),
        QType::SECOND => (shared::<Time32SecondType>(v, opts)?, None),
        QType::TIME => (shared::<Time32MillisecondType>(v, opts)?, None),
        QType::CHAR => (chars(v)?, Some('c')),
        QType::SYMBOL => {
            let syms = v.as_slice::<Sym>();
            let nulls = validity(opts, syms, Sym::is_null);
            let a = match opts.symbols {
                SymbolsAs::Dictionary => sym_dictionary(syms, nulls)?,
                SymbolsAs::Utf8 => symbol_strings(syms, nulls),
            };
            (a, None)
        }
        QType::TIMESTAMP => {
            // 0N stays i64::MIN (pandas' NaT), 0W stays i64::MAX.
            let a = mapped::<TimestampNanosecondType, i64>(v, opts, QNull::is_null, |x| {
                if x == i64::MIN {
                    x
                } else {
                    x.saturating_add(EPOCH_OFFSET_NANOS)
                }
            })?;
            (a, None)
        }
        QType::DATE => {
            let a = mapped::<Date32Type, i32>(v, opts, QNull::is_null, |x| {
                if x == i32::MIN {
                    x
                } else {
                    x.saturating_add(OFFSET_DAYS)
                }
            })?;
            (a, None)
        }
        QType::MONTH => {
            let a = mapped::<Date32Type, i32>(v, opts, QNull::is_null, unix_days_of_month)?;
            (a, Some('m'))
        }
        QType::MINUTE => {
            let a = mapped::<Time32SecondType, i32>(v, opts, QNull::is_null, |x| {
                if x == i32::MIN {
                    x
                } else {
                    x.saturating_mul(60)
                }
            })?;
            (a, Some('u'))
        }
        QType::DATETIME => {
            let a = mapped::<TimestampMillisecondType, f64>(v, opts, QNull::is_null, |x| {
                if x.is_nan() {
                    i64::MIN
                } else {
                    // `as` saturates; infinities become the i64 bounds.
                    ((x * 86_400_000.0).round() as i64).saturating_add(OFFSET_MILLIS)
                }
            })?;
            (a, Some('z'))
        }
        other => return Err(nyi(name, format_args!("q type {}h", other.code()))),
    };
    Ok((array, tag))
}

/// q month → Unix days of its first day.
fn unix_days_of_month(m: i32) -> i32 {
    if m == i32::MIN || m == i32::MAX || m == i32::MIN + 1 {
        return m;
    }
    let m = i64::from(m);
    let year = 2000 + m.div_euclid(12);
    let month = m.rem_euclid(12) as u32 + 1;
    let days = i32::try_from(year)
        .map(|y| days_from_ymd(y, month, 1) + EPOCH_OFFSET_DAYS)
        .unwrap_or(i64::from(i32::MIN));
    i32::try_from(days).unwrap_or(i32::MIN)
}

/// A char vector as one-character strings (tagged `c`). ASCII shares the q buffer as the
/// string data.
fn chars(v: &Vector) -> QResult<ArrayRef> {
    let b = v.as_bytes();
    let n = i32::try_from(b.len()).map_err(|_| QError::Limit)?;
    if b.is_ascii() {
        let offsets = OffsetBuffer::new(ScalarBuffer::from((0..=n).collect::<Vec<i32>>()));
        let a = GenericStringArray::<i32>::try_new(offsets, share(v.buffer()), None)
            .map_err(crate::arrow_error)?;
        return Ok(Arc::new(a));
    }
    let items: Vec<String> =
        b.iter().map(|&c| String::from_utf8_lossy(&[c]).into_owned()).collect();
    Ok(string_array(items.iter().map(String::as_bytes), None))
}

/// Utf8 (or LargeUtf8 past 2 GiB) from byte strings; invalid UTF-8 is replaced.
fn string_array<'a>(
    items: impl Iterator<Item = &'a [u8]> + Clone,
    nulls: Option<NullBuffer>,
) -> ArrayRef {
    fn build<O: OffsetSizeTrait>(
        items: impl Iterator<Item = Vec<u8>>,
        nulls: Option<NullBuffer>,
    ) -> Option<ArrayRef> {
        let mut values = Vec::new();
        let mut offsets = vec![O::usize_as(0)];
        for s in items {
            values.extend_from_slice(&s);
            offsets.push(O::from_usize(values.len())?);
        }
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        let values = arrow_buffer::Buffer::from_vec(values);
        let a = GenericStringArray::<O>::try_new(offsets, values, nulls).ok()?;
        Some(Arc::new(a))
    }
    let total: usize = items.clone().map(<[u8]>::len).sum();
    let valid = items.clone().all(|s| std::str::from_utf8(s).is_ok());
    let owned = move || {
        items.clone().map(move |s| {
            if valid {
                s.to_vec()
            } else {
                String::from_utf8_lossy(s).into_owned().into_bytes()
            }
        })
    };
    // Lossy replacement can grow the text up to 3x; pick offsets wide enough.
    let fits_i32 = total.saturating_mul(if valid { 1 } else { 3 }) < i32::MAX as usize;
    let a = if fits_i32 { build::<i32>(owned(), nulls.clone()) } else { None };
    a.or_else(|| build::<i64>(owned(), nulls))
        .unwrap_or_else(|| Arc::new(GenericStringArray::<i64>::new_null(0)))
}

/// Symbols as plain strings.
fn symbol_strings(syms: &[Sym], nulls: Option<NullBuffer>) -> ArrayRef {
    sym::with_names(|names| {
        let name = |s: &Sym| names.get(s.id() as usize).copied().unwrap_or(b"");
        string_array(syms.iter().map(name), nulls)
    })
}

/// Symbols as `Dictionary(Int32, Utf8)`: codes in order of first appearance.
fn sym_dictionary(syms: &[Sym], nulls: Option<NullBuffer>) -> QResult<ArrayRef> {
    let mut distinct: Vec<Sym> = Vec::new();
    let max_id = syms.iter().map(|s| s.id()).max().unwrap_or(0) as usize;
    let mut keys: Vec<i32> = crate::output_vec(syms.len());
    if max_id <= syms.len().saturating_mul(4).max(1 << 16) {
        // Direct table from symbol id to code: one load per row.
        let mut code = vec![u32::MAX; max_id + 1];
        keys.extend(syms.iter().map(|s| {
            let c = &mut code[s.id() as usize];
            if *c == u32::MAX {
                *c = distinct.len() as u32;
                distinct.push(*s);
            }
            *c as i32
        }));
    } else {
        let mut code: FxHashMap<Sym, i32> = FxHashMap::default();
        keys.extend(syms.iter().map(|s| {
            *code.entry(*s).or_insert_with(|| {
                distinct.push(*s);
                distinct.len() as i32 - 1
            })
        }));
    }
    let values = symbol_strings(&distinct, None);
    let keys = PrimitiveArray::<Int32Type>::try_new(ScalarBuffer::from(keys), nulls)
        .map_err(crate::arrow_error)?;
    let d = DictionaryArray::try_new(keys, values).map_err(crate::arrow_error)?;
    Ok(Arc::new(d))
}

fn text_bytes(v: &Value) -> &[u8] {
    match v {
        Value::Vector(x) => x.as_bytes(),
        Value::Char(c) => std::slice::from_ref(c),
        _ => &[],
    }
}

/// A general list column: strings → Utf8 (tagged `C`), byte vectors → Binary, vectors of
/// one type → List of that type.
fn list(name: &str, items: &[Value], opts: &ToArrowOptions) -> QResult<(ArrayRef, Option<char>)> {
    let text = |v: &Value| match v {
        Value::Vector(x) if x.ty() == QType::CHAR => true,
        Value::Char(_) => true,
        _ => false,
    };
    if items.iter().all(text) {
        return Ok((string_array(items.iter().map(text_bytes), None), Some('C')));
    }
    let first = match items.first() {
        Some(Value::Vector(x)) => x.ty(),
        _ => return Err(nyi(name, "a general list that is not all strings or vectors")),
    };
    if !items.iter().all(|v| matches!(v, Value::Vector(x) if x.ty() == first)) {
        return Err(nyi(name, "a general list of mixed types"));
    }
    let vectors =
        || items.iter().filter_map(|v| if let Value::Vector(x) = v { Some(x) } else { None });
    let mut offsets = vec![0i64];
    let mut total = 0usize;
    for x in vectors() {
        total += x.len();
        offsets.push(i64::try_from(total).map_err(|_| QError::Limit)?);
    }
    if first == QType::BYTE {
        let mut data = Vec::with_capacity(total);
        for x in vectors() {
            data.extend_from_slice(x.as_bytes());
        }
        let a = GenericBinaryArray::<i64>::try_new(
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            arrow_buffer::Buffer::from_vec(data),
            None,
        )
        .map_err(crate::arrow_error)?;
        return Ok((Arc::new(a), None));
    }
    // Concatenate the items into one child vector, then convert that.
    let mut buf = fq_value::Buffer::from_raw(fq_value::RawBuffer::with_capacity(
        vectors().map(|x| x.as_bytes().len()).sum(),
    ));
    for x in vectors() {
        buf.extend_from_slice(x.as_bytes());
    }
    let child = Vector::from_buffer(first, buf)?;
    let (child, _) = vector(name, &child, opts)?;
    let field = Arc::new(Field::new("item", child.data_type().clone(), true));
    let a = GenericListArray::<i64>::try_new(
        field,
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        child,
        None,
    )
    .map_err(crate::arrow_error)?;
    Ok((Arc::new(a), None))
}

/// Convert a table (or a keyed table, unkeyed: key columns first) to a record batch.
/// Column fields carry [`QTYPE_KEY`] metadata for q types Arrow lacks.
pub fn table_to_batch(t: &Value, opts: &ToArrowOptions) -> QResult<RecordBatch> {
    let tables: Vec<&fq_value::Table> = match t {
        Value::Table(t) => vec![t],
        Value::Dict(d) => match (&d.keys, &d.values) {
            (Value::Table(k), Value::Table(v)) => vec![k, v],
            _ => return Err(QError::Type),
        },
        _ => return Err(QError::Type),
    };
    let rows = t.count();
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for table in tables {
        for (name, col) in table.names().as_slice::<Sym>().iter().zip(table.columns()) {
            let name = name.name();
            let (array, tag) = column(&name, col, opts)?;
            let mut field = Field::new(name.as_ref(), array.data_type().clone(), true);
            if let Some(tag) = tag {
                field =
                    field.with_metadata(HashMap::from([(QTYPE_KEY.to_string(), tag.to_string())]));
            }
            fields.push(field);
            arrays.push(array);
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(schema, arrays, &options).map_err(crate::arrow_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::DataType;

    #[test]
    fn month_days() {
        assert_eq!(unix_days_of_month(0), OFFSET_DAYS);
        assert_eq!(unix_days_of_month(-360), 0);
        assert_eq!(unix_days_of_month(1), OFFSET_DAYS + 31);
        assert_eq!(unix_days_of_month(i32::MIN), i32::MIN);
    }

    #[test]
    fn data_type_is_dictionary() {
        let a = value_to_array(
            &Value::Vector(Vector::sym_names(&["a", "b", "a"])),
            &ToArrowOptions::default(),
        )
        .unwrap();
        assert_eq!(
            a.data_type(),
            &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        );
    }
}
