//! Window-join aggregates (`wj`'s min/max over each trade's preceding second of quotes)
//! on tick-shaped data: 1,000,000 quotes and 200,000 trades (10M / 2M with `FQ_WJ_BIG`
//! set) over 1,000 symbols with Zipf activity, both in time order. Compares, in the same run:
//!
//! - `layout`: quotes laid out by group (`rows_by_group`, `gather`), `windows`,
//!   `extreme`, `scatter` (what `wj` runs: short windows are scanned, long ones go
//!   through the deque);
//! - `layout_1min`: the same over one-minute windows (the deque path);
//! - `scan`: the windows scanned with `f64::min` folds (the previous kernel's loop).
//!
//! `cargo bench -p fq-kernels --bench window`

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use fq_kernels::{group, window};
use std::hint::black_box;

fn sizes() -> (usize, usize) {
    match std::env::var("FQ_WJ_BIG") {
        Ok(_) => (10_000_000, 2_000_000),
        Err(_) => (1_000_000, 200_000),
    }
}
const SYMS: usize = 1000;
/// 6.5 hours in ns.
const DAY: i64 = 23_400 * 1_000_000_000;
const SECOND: i64 = 1_000_000_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Sorted times and Zipf(1) symbol ids.
fn ticks(n: usize, rng: &mut Rng, cdf: &[f64]) -> (Vec<i64>, Vec<u32>) {
    let mut t: Vec<i64> = (0..n).map(|_| (rng.next() % DAY as u64) as i64).collect();
    t.sort_unstable();
    let s = (0..n).map(|_| cdf.partition_point(|&c| c < rng.unit()).min(SYMS - 1) as u32).collect();
    (t, s)
}

fn bench(c: &mut Criterion) {
    let (quotes, trades) = sizes();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let w: Vec<f64> = (1..=SYMS).map(|k| 1.0 / k as f64).collect();
    let total: f64 = w.iter().sum();
    let cdf: Vec<f64> = w
        .iter()
        .scan(0.0, |a, x| {
            *a += x / total;
            Some(*a)
        })
        .collect();
    let (qt, qs) = ticks(quotes, &mut rng, &cdf);
    let ask: Vec<f64> = (0..quotes).map(|_| 100.0 + (rng.next() % 1000) as f64 / 100.0).collect();
    let (tt, ts) = ticks(trades, &mut rng, &cdf);
    let (bg, pg, ng) = group::dense_small_pair(&qs, &ts, SYMS);
    let lo: Vec<i64> = tt.iter().map(|t| t - SECOND).collect();

    let mut g = c.benchmark_group(format!("wj_min_{quotes}_quotes_{trades}_trades"));
    g.sample_size(20);
    let layout = || {
        let (start, rows) = group::rows_by_group(&bg, ng);
        let times = window::gather(&qt, &rows);
        let w = window::windows(&times, &start, &pg, (&lo, &tt), true);
        (rows, w)
    };
    g.bench_function("layout", |b| {
        b.iter(|| {
            let (rows, w) = layout();
            let r = window::extreme(&ask, &rows, &w.spans, false, (f64::INFINITY, f64::NAN));
            black_box(window::scatter(&r, &w.order))
        })
    });
    // One-minute windows: long enough that the deque is taken.
    let lo_min: Vec<i64> = tt.iter().map(|t| t - 60 * SECOND).collect();
    g.bench_function("layout_1min", |b| {
        b.iter(|| {
            let (start, rows) = group::rows_by_group(&bg, ng);
            let times = window::gather(&qt, &rows);
            let w = window::windows(&times, &start, &pg, (&lo_min, &tt), true);
            let r = window::extreme(&ask, &rows, &w.spans, false, (f64::INFINITY, f64::NAN));
            black_box(window::scatter(&r, &w.order))
        })
    });
    g.bench_function("scan", |b| {
        b.iter(|| {
            let (rows, w) = layout();
            let r: Vec<f64> = w
                .spans
                .iter()
                .map(|&(s, e)| {
                    let w = &rows[s as usize..e as usize];
                    if w.is_empty() {
                        f64::INFINITY
                    } else {
                        w.iter().fold(f64::NAN, |a, &r| a.min(ask[r as usize]))
                    }
                })
                .collect();
            black_box(window::scatter(&r, &w.order))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
