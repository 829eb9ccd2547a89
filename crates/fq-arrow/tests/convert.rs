//! Arrow ↔ q conversions: values, nulls, epochs, dictionaries, zero-copy, IPC round trips.

use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, DictionaryArray, DurationNanosecondArray,
    FixedSizeBinaryArray, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
    LargeStringArray, ListArray, RecordBatch, StringArray, StructArray, Time32MillisecondArray,
    Time32SecondArray, Time64MicrosecondArray, Time64NanosecondArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema};
use fq_arrow::{
    array_to_q, batch_to_table, batches_to_table, ipc, read_ipc_file, read_ipc_stream,
    table_to_batch, value_to_array, write_ipc_file, write_ipc_stream, StringsAs, SymbolsAs,
    ToArrowOptions, ToQOptions,
};
use fq_value::null::{NULL_I16, NULL_I32, NULL_I64};
use fq_value::{Enumeration, QError, QType, Sym, Table, Value, Vector};
use std::sync::Arc;

const NS_2000: i64 = 946_684_800_000_000_000;

fn q(a: &dyn Array) -> Value {
    array_to_q(a, &ToQOptions::default()).unwrap()
}

fn vector(v: Value) -> Vector {
    match v {
        Value::Vector(v) => v,
        other => panic!("not a vector: {other:?}"),
    }
}

fn arrow(v: &Value) -> ArrayRef {
    value_to_array(v, &ToArrowOptions::default()).unwrap()
}

#[test]
fn fixed_width_columns_are_adopted_without_copying() {
    let a = Int64Array::from(vec![1, 2, 3, i64::MAX]);
    let v = vector(q(&a));
    assert_eq!(v.ty(), QType::LONG);
    assert_eq!(v.as_slice::<i64>(), &[1, 2, 3, i64::MAX]);
    assert_eq!(v.as_bytes().as_ptr(), a.values().inner().as_ptr());

    let f = Float64Array::from(vec![1.5, -2.0]);
    let v = vector(q(&f));
    assert_eq!(v.ty(), QType::FLOAT);
    assert_eq!(v.as_bytes().as_ptr(), f.values().inner().as_ptr());

    let i = Int32Array::from(vec![7, 8]);
    assert_eq!(vector(q(&i)).as_slice::<i32>(), &[7, 8]);
    let h = Int16Array::from(vec![7i16, -8]);
    assert_eq!(vector(q(&h)).ty(), QType::SHORT);
    let e = Float32Array::from(vec![0.5f32]);
    assert_eq!(vector(q(&e)).ty(), QType::REAL);
    let x = UInt8Array::from(vec![0u8, 255]);
    let xv = vector(q(&x));
    assert_eq!((xv.ty(), xv.as_bytes()), (QType::BYTE, &[0u8, 255][..]));
    assert_eq!(xv.as_bytes().as_ptr(), x.values().inner().as_ptr());

    // A slice at an element offset is still 8-aligned: adopted too, same values.
    let s = a.slice(1, 2);
    let sv = vector(q(&s));
    assert_eq!(sv.as_slice::<i64>(), &[2, 3]);
    assert_eq!(sv.as_bytes().as_ptr(), s.values().inner().as_ptr());

    // The adopted buffer outlives the Arrow array.
    let v = {
        let a = Int64Array::from((0..1000).collect::<Vec<i64>>());
        vector(q(&a))
    };
    assert_eq!(v.as_slice::<i64>()[999], 999);
    // q's copy-on-write copies before writing adopted memory.
    let mut w = v.clone();
    w.make_mut::<i64>()[0] = -1;
    assert_eq!((v.as_slice::<i64>()[0], w.as_slice::<i64>()[0]), (0, -1));
}

#[test]
fn arrow_nulls_become_q_nulls() {
    let a = Int64Array::from(vec![Some(1), None, Some(3)]);
    let v = vector(q(&a));
    assert_eq!(v.as_slice::<i64>(), &[1, NULL_I64, 3]);
    assert_ne!(v.as_bytes().as_ptr(), a.values().inner().as_ptr(), "nulls force a copy");

    let f = Float64Array::from(vec![None, Some(2.0)]);
    let fv = vector(q(&f));
    assert!(fv.as_slice::<f64>()[0].is_nan());
    assert_eq!(fv.as_slice::<f64>()[1], 2.0);

    let i = Int32Array::from(vec![None, Some(2)]);
    assert_eq!(vector(q(&i)).as_slice::<i32>(), &[NULL_I32, 2]);
    let h = Int16Array::from(vec![Some(1i16), None]);
    assert_eq!(vector(q(&h)).as_slice::<i16>(), &[1, NULL_I16]);

    // Nulls past the first 64 rows, and in the remainder.
    let big: Vec<Option<i32>> = (0..200).map(|i| (i % 67 != 5).then_some(i)).collect();
    let bv = vector(q(&Int32Array::from(big.clone())));
    for (i, x) in big.iter().enumerate() {
        assert_eq!(bv.as_slice::<i32>()[i], x.unwrap_or(NULL_I32), "row {i}");
    }

    let s = StringArray::from(vec![Some("a"), None, Some("b")]);
    assert_eq!(vector(q(&s)).as_slice::<Sym>(), &[Sym::new("a"), Sym::EMPTY, Sym::new("b")]);

    let b = BooleanArray::from(vec![Some(true), None, Some(false), Some(true)]);
    assert_eq!(vector(q(&b)).as_bytes(), &[1, 0, 0, 1]);

    let t = TimestampNanosecondArray::from(vec![None, Some(NS_2000)]);
    assert_eq!(vector(q(&t)).as_slice::<i64>(), &[NULL_I64, 0]);
}

#[test]
fn temporal_epochs_are_shifted() {
    let t = TimestampNanosecondArray::from(vec![NS_2000, NS_2000 + 1, 0, i64::MIN]);
    let tv = vector(q(&t));
    assert_eq!(tv.ty(), QType::TIMESTAMP);
    assert_eq!(tv.as_slice::<i64>(), &[0, 1, -NS_2000, NULL_I64]);

    let us = TimestampMicrosecondArray::from(vec![NS_2000 / 1000 + 2]);
    assert_eq!(vector(q(&us)).as_slice::<i64>(), &[2000]);
    let ms = TimestampMillisecondArray::from(vec![NS_2000 / 1_000_000 + 3]);
    assert_eq!(vector(q(&ms)).as_slice::<i64>(), &[3_000_000]);
    let s = TimestampSecondArray::from(vec![NS_2000 / 1_000_000_000 + 4]).with_timezone("UTC");
    assert_eq!(vector(q(&s)).as_slice::<i64>(), &[4_000_000_000]);

    let d = Date32Array::from(vec![10957, 0, 10958]);
    let dv = vector(q(&d));
    assert_eq!((dv.ty(), dv.as_slice::<i32>()), (QType::DATE, &[0, -10957, 1][..]));

    let sec = Time32SecondArray::from(vec![3600]);
    assert_eq!(vector(q(&sec)).ty(), QType::SECOND);
    let ms = Time32MillisecondArray::from(vec![1000]);
    let msv = vector(q(&ms));
    assert_eq!((msv.ty(), msv.as_slice::<i32>()), (QType::TIME, &[1000][..]));
    let us = Time64MicrosecondArray::from(vec![5]);
    let usv = vector(q(&us));
    assert_eq!((usv.ty(), usv.as_slice::<i64>()), (QType::TIMESPAN, &[5000][..]));
    let ns = Time64NanosecondArray::from(vec![7]);
    assert_eq!(vector(q(&ns)).ty(), QType::TIMESPAN);
    let dur = DurationNanosecondArray::from(vec![-9]);
    let durv = vector(q(&dur));
    assert_eq!((durv.ty(), durv.as_slice::<i64>()), (QType::TIMESPAN, &[-9][..]));
    assert_eq!(durv.as_bytes().as_ptr(), dur.values().inner().as_ptr());

    // And back.
    let back = arrow(&Value::Vector(tv));
    let back = back.as_any().downcast_ref::<TimestampNanosecondArray>().unwrap();
    assert_eq!(back.values().as_ref(), &[NS_2000, NS_2000 + 1, 0, i64::MIN]);
    let back = arrow(&Value::Vector(dv));
    assert_eq!(
        back.as_any().downcast_ref::<Date32Array>().unwrap().values().as_ref(),
        &[10957, 0, 10958]
    );
}

#[test]
fn dictionaries_become_symbols() {
    let d: DictionaryArray<Int32Type> =
        vec![Some("ibm"), Some("msft"), None, Some("ibm")].into_iter().collect();
    let v = vector(q(&d));
    assert_eq!(v.ty(), QType::SYMBOL);
    assert_eq!(
        v.as_slice::<Sym>(),
        &[Sym::new("ibm"), Sym::new("msft"), Sym::EMPTY, Sym::new("ibm")]
    );
    // Strings, when asked.
    let opts = ToQOptions { strings: StringsAs::Strings };
    let l = array_to_q(&d, &opts).unwrap();
    assert_eq!(
        l,
        Value::list(vec![
            Value::string("ibm"),
            Value::string("msft"),
            Value::string(""),
            Value::string("ibm")
        ])
    );
    let s = LargeStringArray::from(vec!["x", "yy"]);
    assert_eq!(
        array_to_q(&s, &opts).unwrap(),
        Value::list(vec![Value::string("x"), Value::string("yy")])
    );
}

#[test]
fn guids_and_lists() {
    let g = FixedSizeBinaryArray::try_from_iter([[1u8; 16], [2u8; 16]].into_iter()).unwrap();
    let gv = vector(q(&g));
    assert_eq!(gv.ty(), QType::GUID);
    assert_eq!(gv.as_slice::<[u8; 16]>(), &[[1u8; 16], [2u8; 16]]);
    assert_eq!(gv.as_bytes().as_ptr(), g.values().as_ptr());

    let l = ListArray::from_iter_primitive::<arrow_array::types::Int64Type, _, _>(vec![
        Some(vec![Some(1), Some(2)]),
        None,
        Some(vec![Some(3)]),
    ]);
    assert_eq!(
        q(&l),
        Value::list(vec![
            Value::Vector(Vector::longs(&[1, 2])),
            Value::Vector(Vector::longs(&[])),
            Value::Vector(Vector::longs(&[3]))
        ])
    );
}

#[test]
fn unsupported_types_are_nyi_with_the_column_name() {
    let inner: ArrayRef = Arc::new(Int32Array::from(vec![1]));
    let st = StructArray::from(vec![(Arc::new(Field::new("f", DataType::Int32, false)), inner)]);
    let schema = Arc::new(Schema::new(vec![Field::new("nested", st.data_type().clone(), false)]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(st)]).unwrap();
    let e = batch_to_table(&batch, &ToQOptions::default()).err().unwrap();
    let text = e.to_string();
    assert!(text.starts_with("'nyi") && text.contains("nested"), "{text}");
}

fn trade(n: usize) -> Value {
    let t = Table::from_pairs(vec![
        ("time", Value::Vector(Vector::new(QType::TIMESTAMP, &(0..n as i64).collect::<Vec<_>>()))),
        (
            "sym",
            Value::Vector(Vector::sym_names(
                &(0..n).map(|i| ["a", "b", ""][i % 3]).collect::<Vec<_>>(),
            )),
        ),
        (
            "price",
            Value::Vector(Vector::floats(&(0..n).map(|i| i as f64 / 4.0).collect::<Vec<_>>())),
        ),
        (
            "size",
            Value::Vector(Vector::longs(
                &(0..n as i64).map(|i| if i == 1 { NULL_I64 } else { i }).collect::<Vec<_>>(),
            )),
        ),
    ])
    .unwrap();
    t.into()
}

fn every_type() -> Value {
    Table::from_pairs(vec![
        ("b", Value::Vector(Vector::bools(&[true, false]))),
        ("g", Value::Vector(Vector::guids(&[[7; 16], [0; 16]]))),
        ("x", Value::Vector(Vector::bytes(&[1, 2]))),
        ("h", Value::Vector(Vector::shorts(&[1, NULL_I16]))),
        ("i", Value::Vector(Vector::ints(&[1, NULL_I32]))),
        ("j", Value::Vector(Vector::longs(&[1, NULL_I64]))),
        ("e", Value::Vector(Vector::reals(&[1.5, f32::NAN]))),
        ("f", Value::Vector(Vector::floats(&[1.5, f64::NAN]))),
        ("c", Value::Vector(Vector::chars(b"ab"))),
        ("s", Value::Vector(Vector::sym_names(&["x", ""]))),
        ("p", Value::Vector(Vector::new(QType::TIMESTAMP, &[1i64, NULL_I64]))),
        ("m", Value::Vector(Vector::new(QType::MONTH, &[1i32, -13]))),
        ("d", Value::Vector(Vector::new(QType::DATE, &[1i32, NULL_I32]))),
        ("z", Value::Vector(Vector::new(QType::DATETIME, &[1.25f64, f64::NAN]))),
        ("n", Value::Vector(Vector::new(QType::TIMESPAN, &[1i64, i64::MAX]))),
        ("u", Value::Vector(Vector::new(QType::MINUTE, &[61i32, NULL_I32]))),
        ("v", Value::Vector(Vector::new(QType::SECOND, &[61i32, 0]))),
        ("t", Value::Vector(Vector::new(QType::TIME, &[61i32, 0]))),
        ("str", Value::list(vec![Value::string("hello"), Value::string("")])),
        (
            "lj",
            Value::list(vec![
                Value::Vector(Vector::longs(&[1, 2])),
                Value::Vector(Vector::longs(&[])),
            ]),
        ),
        (
            "bin",
            Value::list(vec![
                Value::Vector(Vector::bytes(&[1])),
                Value::Vector(Vector::bytes(&[2, 3])),
            ]),
        ),
    ])
    .unwrap()
    .into()
}

#[test]
fn q_to_arrow_shares_buffers_and_round_trips() {
    let t = trade(10);
    let batch = table_to_batch(&t, &ToArrowOptions::default()).unwrap();
    let Value::Table(qt) = &t else { unreachable!() };
    let price = vector(qt.columns()[2].clone());
    let arrow_price = batch.column(2).as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(arrow_price.values().inner().as_ptr(), price.as_bytes().as_ptr());
    assert_eq!(
        batch.column(1).data_type(),
        &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
    );
    // No validity bitmap unless asked: q nulls stay values.
    assert_eq!(batch.column(3).null_count(), 0);
    let back = batch_to_table(&batch, &ToQOptions::default()).unwrap();
    assert_eq!(Value::from(back), t);

    let every = every_type();
    let back = batch_to_table(
        &table_to_batch(&every, &ToArrowOptions::default()).unwrap(),
        &ToQOptions::default(),
    )
    .unwrap();
    assert_eq!(Value::from(back), every);
}

#[test]
fn validity_bitmap_when_asked() {
    let opts = ToArrowOptions { nulls: true, symbols: SymbolsAs::Utf8 };
    let batch = table_to_batch(&trade(4), &opts).unwrap();
    assert_eq!(batch.column(1).data_type(), &DataType::Utf8);
    assert_eq!(batch.column(1).null_count(), 1); // the empty symbol in row 2
    assert_eq!(batch.column(3).null_count(), 1); // 0N in row 1
    assert!(batch.column(3).is_null(1));
    // ... and back: the bitmap's nulls are q's nulls.
    let back = batch_to_table(&batch, &ToQOptions::default()).unwrap();
    assert_eq!(Value::from(back), trade(4));
}

#[test]
fn keyed_tables_and_enumerations() {
    let k = Table::from_pairs(vec![("k", Value::Vector(Vector::longs(&[1, 2])))]).unwrap();
    let e = Enumeration {
        ty: QType(20),
        domain_name: Sym::new("sym"),
        domain: Vector::sym_names(&["p", "q"]).into(),
        indices: Vector::longs(&[1, 0]),
    };
    let v = Table::from_pairs(vec![("e", Value::Enum(Arc::new(e)))]).unwrap();
    let kt = Value::keyed_table(k, v).unwrap();
    let batch = table_to_batch(&kt, &ToArrowOptions::default()).unwrap();
    assert_eq!(batch.schema().field(0).name(), "k");
    assert!(
        matches!(batch.column(1).data_type(), DataType::Dictionary(k, _) if **k == DataType::Int64)
    );
    let back = batch_to_table(&batch, &ToQOptions::default()).unwrap();
    assert_eq!(back.column(Sym::new("e")).unwrap(), &Value::Vector(Vector::sym_names(&["q", "p"])));
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fq-arrow-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn ipc_file_and_stream_round_trip() {
    let every = every_type();
    let path = temp("every.arrow");
    ipc::write_file_path(&path, &every, &ToArrowOptions::default()).unwrap();
    let back = ipc::read_file_path(&path, &ToQOptions::default()).unwrap();
    assert_eq!(Value::from(back), every);
    let _ = std::fs::remove_file(&path);

    let t = trade(1000);
    let bytes = write_ipc_stream(&t, &ToArrowOptions::default()).unwrap();
    assert_eq!(Value::from(read_ipc_stream(&bytes, &ToQOptions::default()).unwrap()), t);
    let bytes = write_ipc_file(&t, &ToArrowOptions::default()).unwrap();
    let back = read_ipc_file(&bytes, &ToQOptions::default()).unwrap();
    // arrow-rs pads IPC buffers to 64 bytes: the price column is adopted, not copied.
    assert_eq!(Value::from(back), t);
}

#[test]
fn ipc_batches_are_concatenated() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int64, true),
        Field::new("s", DataType::Utf8, true),
    ]));
    let b1 = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![1, 2])), Arc::new(StringArray::from(vec!["x", "y"]))],
    )
    .unwrap();
    let b2 = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![Some(3), None])),
            Arc::new(StringArray::from(vec![None, Some("z")])),
        ],
    )
    .unwrap();
    let mut bytes = Vec::new();
    {
        let mut w = arrow_ipc::writer::FileWriter::try_new(&mut bytes, &schema).unwrap();
        w.write(&b1).unwrap();
        w.write(&b2).unwrap();
        w.finish().unwrap();
    }
    let t = read_ipc_file(&bytes, &ToQOptions::default()).unwrap();
    assert_eq!(
        t.column(Sym::new("a")).unwrap(),
        &Value::Vector(Vector::longs(&[1, 2, 3, NULL_I64]))
    );
    assert_eq!(
        t.column(Sym::new("s")).unwrap(),
        &Value::Vector(Vector::sym_names(&["x", "y", "", "z"]))
    );
    // No batches: an empty table of the schema's types.
    let empty = batches_to_table(&schema, &[], &ToQOptions::default()).unwrap();
    assert_eq!(empty.rows(), 0);
    assert_eq!(empty.column(Sym::new("a")).unwrap().qtype(), QType::LONG);
}

#[test]
fn corrupt_ipc_is_an_error_not_a_panic() {
    let good = write_ipc_file(&every_type(), &ToArrowOptions::default()).unwrap();
    let opts = ToQOptions::default();
    assert!(read_ipc_file(b"", &opts).is_err());
    assert!(read_ipc_file(b"not an arrow file at all", &opts).is_err());
    assert!(read_ipc_stream(b"\xff\xff\xff\xff\x10\x00\x00\x00garbage", &opts).is_err());
    for cut in (0..good.len()).step_by(7) {
        assert!(read_ipc_file(&good[..cut], &opts).is_err(), "truncated at {cut}");
    }
    // Flip bytes everywhere: each read either fails cleanly or yields a table.
    for i in (0..good.len()).step_by(3) {
        let mut bad = good.clone();
        bad[i] ^= 0xa5;
        let _ = read_ipc_file(&bad, &opts);
    }
    let stream = write_ipc_stream(&every_type(), &ToArrowOptions::default()).unwrap();
    for i in (0..stream.len()).step_by(3) {
        let mut bad = stream.clone();
        bad[i] ^= 0x5a;
        let _ = read_ipc_stream(&bad, &opts);
    }
}

#[test]
fn missing_files_report_like_kdb() {
    let e = ipc::read_file_path("/nonexistent/x.arrow", &ToQOptions::default()).err().unwrap();
    assert_eq!(e.to_string(), "'/nonexistent/x.arrow. OS reports: No such file or directory");
    assert!(matches!(e, QError::Signal(_)));
}

/// Reading files leaves the range check of dictionary codes to the conversion (arrow-ipc's
/// own pass is skipped on the memory-mapped path, for speed): a code outside the
/// dictionary is an `'arrow` error on both paths, while garbage codes under null slots
/// (which Arrow allows) read as null symbols.
#[test]
fn dictionary_codes_outside_the_dictionary_are_errors() {
    let file = |keys: Int32Array| {
        let values: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
        // SAFETY: deliberately unchecked codes, as a crafted file has; the array is only
        // written to IPC bytes, never read through arrow's unchecked accessors.
        let dict = unsafe { DictionaryArray::<Int32Type>::new_unchecked(keys, values) };
        let schema = Arc::new(Schema::new(vec![Field::new("s", dict.data_type().clone(), true)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(dict) as ArrayRef]).unwrap();
        let mut w = arrow_ipc::writer::FileWriter::try_new(Vec::new(), &schema).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        w.into_inner().unwrap()
    };
    let mapped = |bytes: &[u8]| {
        let path = std::env::temp_dir().join(format!("fq-dict-{}.arrow", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let t = fq_arrow::read_file_mapped(&path, &ToQOptions::default());
        let _ = std::fs::remove_file(&path);
        t
    };
    let bad = file(Int32Array::from(vec![0, 1, 7, 1]));
    assert!(read_ipc_file(&bad, &ToQOptions::default()).is_err());
    match mapped(&bad) {
        Err(QError::Signal(s)) => assert!(s.contains("outside the dictionary"), "{s}"),
        Err(e) => panic!("{e:?}"),
        Ok(_) => panic!("read a code outside the dictionary"),
    }
    let negative = file(Int32Array::from(vec![0, -3]));
    assert!(mapped(&negative).is_err());
    // Garbage under a null slot is fine: the slot is null.
    let keys = Int32Array::from(vec![Some(0), None, Some(1)]);
    let (_, values, nulls) = keys.into_parts();
    let keys =
        Int32Array::new(arrow_buffer::ScalarBuffer::from(vec![values[0], 99, values[2]]), nulls);
    let t = mapped(&file(keys)).unwrap();
    assert_eq!(t.columns()[0], Value::Vector(Vector::sym_names(&["a", "", "b"])));
}
