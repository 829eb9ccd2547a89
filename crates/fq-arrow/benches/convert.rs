//! Arrow ↔ q conversion of a trade table: `time` (Timestamp(ns), sorted), `sym`
//! (Dictionary(Int32, Utf8) over 1000 names), `price` (Float64), `size` (Int64).
//!
//! - `arrow_to_q`: `batch_to_table` — price and size adopted, time shifted to q's epoch
//!   (a copy), sym gathered through the dictionary mapped to symbols once.
//! - `q_to_arrow`: `table_to_batch` — price and size shared, time shifted back, sym
//!   re-encoded as a dictionary.
//!
//! Rows default to 10,000,000; set `FQ_ARROW_BENCH_ROWS` to change (12,000,000 matches the
//! Polars `pl.from_arrow` comparison in `bench/arrow_from_arrow.py`). Besides criterion's
//! report, each direction (and each column, Arrow → q) prints its rows/s from a few timed
//! runs.
//!
//! Fresh output memory dominates: the converted time and sym columns are new allocations,
//! and first-touch page faults cost more than the loops that fill them (fq-arrow advises
//! big outputs onto transparent huge pages to cut that). An allocator that keeps freed
//! memory for reuse, as jemalloc (Polars) and kdb+'s own allocator do, removes most of the
//! rest: set `FQ_ARROW_BENCH_RETAIN=1` to make glibc malloc keep freed memory (mallopt
//! `M_MMAP_THRESHOLD` 1 GiB, no trimming) and compare.
//!
//! `cargo bench -p fq-arrow`

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray,
};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use fq_arrow::{batch_to_table, table_to_batch, ToArrowOptions, ToQOptions};
use fq_value::Value;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rows() -> usize {
    std::env::var("FQ_ARROW_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000)
}

/// A trade table as one record batch, deterministic.
fn trades(n: usize) -> RecordBatch {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    // 2024.01.02D09:30 in Unix ns, one trade every ~2µs.
    let start = 1_704_187_800_000_000_000i64;
    let mut t = start;
    let time: Vec<i64> = (0..n)
        .map(|_| {
            t += (next() % 4000) as i64;
            t
        })
        .collect();
    let names: Vec<String> = (0..1000).map(|i| format!("SYM{i:04}")).collect();
    let keys: Vec<i32> = (0..n).map(|_| (next() % 1000) as i32).collect();
    let price: Vec<f64> = (0..n).map(|_| 100.0 + (next() % 10_000) as f64 / 100.0).collect();
    let size: Vec<i64> = (0..n).map(|_| (next() % 1000) as i64 * 100).collect();
    let sym = DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(keys),
        Arc::new(StringArray::from(names)) as ArrayRef,
    )
    .expect("dictionary");
    RecordBatch::try_from_iter([
        ("time", Arc::new(TimestampNanosecondArray::from(time)) as ArrayRef),
        ("sym", Arc::new(sym) as ArrayRef),
        ("price", Arc::new(Float64Array::from(price)) as ArrayRef),
        ("size", Arc::new(Int64Array::from(size)) as ArrayRef),
    ])
    .expect("batch")
}

/// Best of a few runs, printed as milliseconds and rows/s.
fn report(what: &str, n: usize, mut f: impl FnMut()) {
    let mut best = Duration::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    let rate = n as f64 / best.as_secs_f64();
    println!(
        "{what}: {n} rows in {:.2} ms (best of 7) = {:.0} M rows/s",
        best.as_secs_f64() * 1e3,
        rate / 1e6
    );
}

/// Make glibc's malloc keep freed memory for reuse instead of unmapping it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn retain_freed_memory() {
    extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_TRIM_THRESHOLD: std::ffi::c_int = -1;
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    // SAFETY: mallopt only tunes glibc malloc's policy; called before the bench allocates.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 1 << 30);
        mallopt(M_TRIM_THRESHOLD, -1);
    }
    println!("glibc malloc: retaining freed memory");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn retain_freed_memory() {}

fn convert(c: &mut Criterion) {
    if std::env::var_os("FQ_ARROW_BENCH_RETAIN").is_some() {
        retain_freed_memory();
    }
    let n = rows();
    let batch = trades(n);
    let q: Value = batch_to_table(&batch, &ToQOptions::default()).expect("to q").into();
    report("arrow_to_q", n, || {
        black_box(batch_to_table(black_box(&batch), &ToQOptions::default()).expect("to q"));
    });
    for (i, name) in ["time", "sym", "price", "size"].iter().enumerate() {
        let col = batch.column(i).clone();
        report(&format!("arrow_to_q column {name}"), n, || {
            black_box(fq_arrow::array_to_q(col.as_ref(), &ToQOptions::default()).expect("col"));
        });
    }
    report("q_to_arrow", n, || {
        black_box(table_to_batch(black_box(&q), &ToArrowOptions::default()).expect("to arrow"));
    });

    let mut g = c.benchmark_group("trade");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(n as u64));
    g.bench_function("arrow_to_q", |b| {
        b.iter(|| batch_to_table(black_box(&batch), &ToQOptions::default()).expect("to q"))
    });
    g.bench_function("q_to_arrow", |b| {
        b.iter(|| table_to_batch(black_box(&q), &ToArrowOptions::default()).expect("to arrow"))
    });
    g.finish();
}

criterion_group!(benches, convert);
criterion_main!(benches);
