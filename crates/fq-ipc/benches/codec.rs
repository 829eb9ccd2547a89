//! IPC codec throughput on a 1,000,000-row trade table (`time sym price size`), with a
//! memcpy baseline measured in the same run.
//!
//! `cargo bench -p fq-ipc --bench codec`

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use fq_ipc::{decode_message, encode_message, DecodeOptions, EncodeOptions, MsgType, Payload};
use fq_value::{Attr, QType, Sym, Table, Value, Vector};
use std::sync::Arc;
use std::time::Duration;

const ROWS: usize = 1_000_000;
const DISTINCT_SYMS: u64 = 1_000;
/// 2026.11.20 in days since 2000.01.01.
const DAY: i64 = 9_820;
const NS_PER_DAY: i64 = 86_400_000_000_000;

/// xorshift64*: deterministic, seeded.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The columns of the table, each as a value.
struct Columns {
    time: Value,
    sym: Value,
    price: Value,
    size: Value,
}

fn columns() -> Columns {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);

    // Sorted timestamps from 09:30 on 2026.11.20; gaps of 0..40ms keep the whole
    // million rows (about 5.5 hours) inside the day.
    let mut t = DAY * NS_PER_DAY + 34_200_000_000_000;
    let time: Vec<i64> = (0..ROWS)
        .map(|_| {
            t += rng.below(40_000_000) as i64;
            t
        })
        .collect();
    assert!(time[ROWS - 1] < (DAY + 1) * NS_PER_DAY);

    // Zipf-ish: the product of two uniform draws favours low ids (S0 is the most traded).
    let names: Vec<Sym> = (0..DISTINCT_SYMS).map(|i| Sym::new(&format!("S{i}"))).collect();
    let sym: Vec<Sym> = (0..ROWS)
        .map(|_| {
            let i = rng.below(DISTINCT_SYMS) * rng.below(DISTINCT_SYMS) / DISTINCT_SYMS;
            names[i as usize]
        })
        .collect();

    // A random walk around 100.00 in cents.
    let mut p = 10_000i64;
    let price: Vec<f64> = (0..ROWS)
        .map(|_| {
            p = (p + rng.below(21) as i64 - 10).max(1);
            p as f64 / 100.0
        })
        .collect();

    let size: Vec<i64> = (0..ROWS).map(|_| 100 * (1 + rng.below(50) as i64)).collect();

    Columns {
        time: Value::Vector(Vector::new(QType::TIMESTAMP, &time).with_attr(Attr::Sorted)),
        sym: Value::Vector(Vector::syms(&sym)),
        price: Value::Vector(Vector::floats(&price)),
        size: Value::Vector(Vector::longs(&size)),
    }
}

fn encode(v: &Value) -> Vec<u8> {
    encode_message(&Payload::Value(v.clone()), MsgType::Response, &EncodeOptions::default())
        .expect("encodes")
}

fn decode(bytes: &[u8]) -> Payload {
    decode_message(bytes, &DecodeOptions::default()).expect("decodes").1
}

fn bench_codec(c: &mut Criterion) {
    let cols = columns();
    let table = Value::Table(Arc::new(
        Table::from_pairs(vec![
            ("time", cols.time.clone()),
            ("sym", cols.sym.clone()),
            ("price", cols.price.clone()),
            ("size", cols.size.clone()),
        ])
        .expect("valid table"),
    ));
    let table_bytes = encode(&table);
    let len = table_bytes.len();
    // Sanity: the round trip gives the table back.
    match decode(&table_bytes) {
        Payload::Value(Value::Table(t)) => {
            assert_eq!(t.rows(), ROWS);
            assert_eq!(encode(&Value::Table(t)), table_bytes);
        }
        _ => panic!("decoded something else than a table"),
    }
    eprintln!("table message: {len} bytes ({:.1} MB)", len as f64 / 1e6);

    let mut g = c.benchmark_group("encode_table");
    g.throughput(Throughput::Bytes(len as u64));
    g.bench_function("trade_1m", |b| b.iter(|| encode(black_box(&table))));
    g.finish();

    let mut g = c.benchmark_group("decode_table");
    g.throughput(Throughput::Bytes(len as u64));
    g.bench_function("trade_1m", |b| b.iter(|| decode(black_box(&table_bytes))));
    g.finish();

    // What memory speed is here: the same number of bytes copied into a buffer that is
    // already allocated and faulted in, and into a freshly allocated one (as encode does).
    let src = table_bytes.clone();
    let mut dst = vec![0u8; len];
    let mut g = c.benchmark_group("memcpy_baseline");
    g.throughput(Throughput::Bytes(len as u64));
    g.bench_function("copy_from_slice", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        })
    });
    g.bench_function("to_vec", |b| b.iter(|| black_box(&src).to_vec()));
    g.finish();

    // Per column, to see where the time goes.
    let per_column =
        [("time", &cols.time), ("sym", &cols.sym), ("price", &cols.price), ("size", &cols.size)];
    let encoded: Vec<(&str, &Value, Vec<u8>)> =
        per_column.iter().map(|&(n, v)| (n, v, encode(v))).collect();

    let mut g = c.benchmark_group("encode_column");
    for (name, v, bytes) in &encoded {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(*name, |b| b.iter(|| encode(black_box(v))));
    }
    g.finish();

    let mut g = c.benchmark_group("decode_column");
    for (name, _, bytes) in &encoded {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(*name, |b| b.iter(|| decode(black_box(bytes))));
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_codec
}
criterion_main!(benches);
