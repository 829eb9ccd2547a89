//! kdb+ IPC compression throughput on 100 MB messages (a 12,500,000-item long vector).
//!
//! `cargo bench -p fq-ipc --bench compression`

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use fq_ipc::compress::{compress, decompress};
use fq_ipc::{encode_message, EncodeOptions, MsgType, Payload};
use fq_value::{Value, Vector};
use std::time::Duration;

const N: usize = 12_500_000;

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
}

fn message(items: &[i64]) -> Vec<u8> {
    let v = Value::Vector(Vector::longs(items));
    encode_message(&Payload::Value(v), MsgType::Async, &EncodeOptions::default()).expect("encodes")
}

fn bench_compression(c: &mut Criterion) {
    let til: Vec<i64> = (0..N as i64).collect();
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let small: Vec<i64> = (0..N).map(|_| (rng.next() % 1000) as i64).collect();

    for (name, items) in [("til", til), ("rand_0_1000", small)] {
        let plain = message(&items);
        drop(items);
        let len = plain.len();
        let Some(packed) = compress(&plain) else {
            eprintln!("{name}: {len} bytes do not compress to under half; compress only");
            let mut g = c.benchmark_group("compress");
            g.sampling_mode(SamplingMode::Flat);
            g.throughput(Throughput::Bytes(len as u64));
            g.bench_function(name, |b| b.iter(|| compress(black_box(&plain))));
            g.finish();
            continue;
        };
        assert_eq!(decompress(&packed, usize::MAX).expect("decompresses"), plain);
        eprintln!(
            "{name}: {len} -> {} bytes, ratio {:.2}:1 ({:.1}%)",
            packed.len(),
            len as f64 / packed.len() as f64,
            100.0 * packed.len() as f64 / len as f64
        );

        let mut g = c.benchmark_group("compress");
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(name, |b| b.iter(|| compress(black_box(&plain))));
        g.finish();

        let mut g = c.benchmark_group("decompress");
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(name, |b| b.iter(|| decompress(black_box(&packed), usize::MAX)));
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_compression
}
criterion_main!(benches);
