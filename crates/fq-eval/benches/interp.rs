//! Interpreter performance against plain Rust doing the same work, in the same run.
//!
//! 1. Interpretive overhead: `do[10000000;x+:1]` at top level, `fib 25` (a recursive
//!    lambda) and `do[1000000;a:f a]` with `f:{x+1}` (a lambda call per iteration), next
//!    to a `black_box`ed Rust loop, a Rust recursive fib and a Rust loop calling an
//!    `#[inline(never)]` function.
//! 2. Vector primitives on 10,000,000 longs and floats (`sum + * < where til deltas
//!    sums`), each next to a plain Rust loop over the same memory producing a fresh `Vec`.
//! 3. `iasc` of 10,000,000 random longs against `sort_unstable_by_key` on indices.
//!
//! Every group has a `ferroq` and a `rust` function, so the ratio is
//! `<group>/ferroq ÷ <group>/rust`. The q inputs are globals built once; the timed
//! closure is `eval_str("sum a")` etc., whose parse and compile cost is measured on its
//! own in `eval_str_overhead`.
//!
//! `cargo bench -p fq-eval --bench interp`

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use fq_eval::{Interp, MemHost};
use fq_value::{QType, Sym, Value, Vector};
use std::hint::black_box;
use std::time::Duration;

/// Items in every vector input.
const N: usize = 10_000_000;
/// Iterations of the `do` loop.
const DO_N: i64 = 10_000_000;
/// Iterations of the loop calling a lambda.
const CALL_N: i64 = 1_000_000;
/// Argument of the recursive fib.
const FIB_N: i64 = 25;

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

/// Whether a group runs at all under the command line's filter (criterion's own filter
/// would still run each group's setup and result check, which costs seconds here and
/// muddies `--profile-time` runs under perf).
fn selected(name: &str) -> bool {
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a.starts_with("--") {
            if matches!(
                a.as_str(),
                "--profile-time"
                    | "--save-baseline"
                    | "--baseline"
                    | "--load-baseline"
                    | "--sample-size"
                    | "--warm-up-time"
                    | "--measurement-time"
                    | "--output-format"
                    | "--color"
                    | "--format"
            ) {
                args.next();
            }
            continue;
        }
        filters.push(a);
    }
    filters.is_empty() || filters.iter().any(|f| f.contains(name) || name.contains(f.as_str()))
}

fn q(i: &mut Interp, src: &str) -> Value {
    i.eval_str(src).unwrap_or_else(|e| panic!("{src}: {e:?}"))
}

fn global_vec(i: &Interp, name: &str) -> Vector {
    match i.get(Sym::new(name)) {
        Some(Value::Vector(v)) => v.clone(),
        _ => panic!("{name} is not a vector"),
    }
}

/// Lambda calls made by `fib n` with the naive recursion: 2·F(n+1) − 1.
fn fib_calls(n: i64) -> u64 {
    if n < 2 {
        1
    } else {
        1 + fib_calls(n - 1) + fib_calls(n - 2)
    }
}

#[inline(never)]
fn rust_fib(n: i64) -> i64 {
    if n < 2 {
        n
    } else {
        rust_fib(black_box(n - 1)) + rust_fib(black_box(n - 2))
    }
}

fn longs(v: Vec<i64>) -> Value {
    Value::Vector(Vector::longs(&v))
}

fn floats(v: Vec<f64>) -> Value {
    Value::Vector(Vector::floats(&v))
}

fn bools(v: Vec<u8>) -> Value {
    Value::Vector(Vector::new(QType::BOOLEAN, &v))
}

fn bench_overhead(c: &mut Criterion) {
    let mut i = Interp::new(Box::new(MemHost::default()));

    if selected("do_loop") {
        bench_do(c, &mut i);
    }
    if selected("fib25") {
        bench_fib(c, &mut i);
    }
    if selected("call_loop") {
        bench_call(c, &mut i);
    }
}

/// `do[n; x+:1]` at top level: one `+` and one global amend per iteration.
fn bench_do(c: &mut Criterion, i: &mut Interp) {
    let do_src = format!("do[{DO_N};x+:1]");
    q(i, "x:0");
    q(i, &do_src);
    assert_eq!(q(i, "x"), Value::Long(DO_N));

    let mut g = c.benchmark_group("do_loop");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(DO_N as u64));
    g.bench_function("ferroq", |b| {
        b.iter(|| {
            q(i, "x:0");
            q(i, &do_src)
        })
    });
    g.bench_function("rust", |b| {
        b.iter(|| {
            let mut x = 0i64;
            for _ in 0..DO_N {
                x = black_box(x) + 1;
            }
            x
        })
    });
    g.finish();
}

/// A recursive lambda.
fn bench_fib(c: &mut Criterion, i: &mut Interp) {
    q(i, "fib:{$[x<2;x;fib[x-1]+fib[x-2]]}");
    let fib_src = format!("fib {FIB_N}");
    assert_eq!(q(i, &fib_src), Value::Long(rust_fib(FIB_N)));
    let calls = fib_calls(FIB_N);
    eprintln!("fib {FIB_N}: {calls} calls");

    let mut g = c.benchmark_group("fib25");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(calls));
    g.bench_function("ferroq", |b| b.iter(|| q(i, &fib_src)));
    g.bench_function("rust", |b| b.iter(|| rust_fib(black_box(FIB_N))));
    g.finish();
}

#[inline(never)]
fn rust_inc(x: i64) -> i64 {
    x + 1
}

/// A non-recursive lambda called once per iteration of a top-level loop.
fn bench_call(c: &mut Criterion, i: &mut Interp) {
    q(i, "f:{x+1}");
    let src = format!("a:0;do[{CALL_N};a:f a];a");
    assert_eq!(q(i, &src), Value::Long(CALL_N));

    let mut g = c.benchmark_group("call_loop");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(CALL_N as u64));
    g.bench_function("ferroq", |b| b.iter(|| q(i, &src)));
    g.bench_function("rust", |b| {
        b.iter(|| {
            let mut a = 0i64;
            for _ in 0..CALL_N {
                a = rust_inc(black_box(a));
            }
            a
        })
    });
    g.finish();
}

/// Time `src` in the interpreter against `rust` in one group, after checking that both
/// give the same value (the Rust result turned into a q value).
fn pair<R>(
    c: &mut Criterion,
    i: &mut Interp,
    name: &str,
    src: &str,
    rust: impl Fn() -> R,
    to_value: impl Fn(R) -> Value,
) {
    if !selected(name) {
        return;
    }
    let got = q(i, src);
    let want = to_value(rust());
    assert!(got == want, "{name}: `{src}` differs from the Rust loop");
    drop((got, want));

    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("ferroq", |b| b.iter(|| q(i, src)));
    g.bench_function("rust", |b| b.iter(&rust));
    g.finish();
}

fn bench_vectors(c: &mut Criterion) {
    let mut i = Interp::new(Box::new(MemHost::default()));

    // Random 50% mask for `where` (built in Rust: the same bits for both sides).
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mask: Vec<u8> = (0..N).map(|_| (rng.next() >> 63) as u8).collect();
    i.set(Sym::new("m"), bools(mask));

    q(&mut i, &format!("a:til {N}; b:1+a; f:1.0*a; h:0.5+f"));
    let (a, b, f, h, m) = (
        global_vec(&i, "a"),
        global_vec(&i, "b"),
        global_vec(&i, "f"),
        global_vec(&i, "h"),
        global_vec(&i, "m"),
    );
    let a: &[i64] = a.as_slice();
    let b: &[i64] = b.as_slice();
    let f: &[f64] = f.as_slice();
    let h: &[f64] = h.as_slice();
    let m: &[u8] = m.as_slice();
    assert_eq!(a.len(), N);
    assert_eq!(f.len(), N);

    // Parse + compile + global lookup of a one-word expression: what `eval_str("sum a")`
    // adds to the primitive itself.
    if selected("eval_str_overhead") {
        let mut g = c.benchmark_group("eval_str_overhead");
        g.bench_function("ferroq", |bn| bn.iter(|| q(&mut i, "a")));
        g.finish();
    }

    pair(
        c,
        &mut i,
        "sum_long",
        "sum a",
        || black_box(a).iter().fold(0i64, |s, &x| s.wrapping_add(x)),
        Value::Long,
    );
    pair(c, &mut i, "sum_float", "sum f", || black_box(f).iter().sum::<f64>(), Value::Float);

    pair(
        c,
        &mut i,
        "add_long",
        "a+b",
        || black_box(a).iter().zip(b).map(|(&x, &y)| x.wrapping_add(y)).collect::<Vec<i64>>(),
        longs,
    );
    pair(
        c,
        &mut i,
        "add_float",
        "f+h",
        || black_box(f).iter().zip(h).map(|(&x, &y)| x + y).collect::<Vec<f64>>(),
        floats,
    );

    pair(
        c,
        &mut i,
        "mul_scalar_long",
        "a*3",
        || black_box(a).iter().map(|&x| x.wrapping_mul(3)).collect::<Vec<i64>>(),
        longs,
    );
    pair(
        c,
        &mut i,
        "mul_scalar_float",
        "f*3.0",
        || black_box(f).iter().map(|&x| x * 3.0).collect::<Vec<f64>>(),
        floats,
    );

    pair(
        c,
        &mut i,
        "lt_scalar_long",
        "a<5000000",
        || black_box(a).iter().map(|&x| u8::from(x < 5_000_000)).collect::<Vec<u8>>(),
        bools,
    );
    pair(
        c,
        &mut i,
        "lt_scalar_float",
        "f<5000000.0",
        || black_box(f).iter().map(|&x| u8::from(x < 5_000_000.0)).collect::<Vec<u8>>(),
        bools,
    );

    pair(
        c,
        &mut i,
        "where_bool",
        "where m",
        || {
            let mut out = Vec::new();
            for (k, &x) in black_box(m).iter().enumerate() {
                if x != 0 {
                    out.push(k as i64);
                }
            }
            out
        },
        longs,
    );

    let til_src = format!("til {N}");
    pair(c, &mut i, "til", &til_src, || (0..black_box(N) as i64).collect::<Vec<i64>>(), longs);

    pair(
        c,
        &mut i,
        "deltas_long",
        "deltas a",
        || {
            let s = black_box(a);
            let mut prev = 0i64;
            s.iter()
                .map(|&x| {
                    let d = x.wrapping_sub(prev);
                    prev = x;
                    d
                })
                .collect::<Vec<i64>>()
        },
        longs,
    );
    pair(
        c,
        &mut i,
        "deltas_float",
        "deltas f",
        || {
            let s = black_box(f);
            let mut prev = 0.0;
            s.iter()
                .map(|&x| {
                    let d = x - prev;
                    prev = x;
                    d
                })
                .collect::<Vec<f64>>()
        },
        floats,
    );

    pair(
        c,
        &mut i,
        "sums_long",
        "sums a",
        || {
            let mut acc = 0i64;
            black_box(a)
                .iter()
                .map(|&x| {
                    acc = acc.wrapping_add(x);
                    acc
                })
                .collect::<Vec<i64>>()
        },
        longs,
    );
    pair(
        c,
        &mut i,
        "sums_float",
        "sums f",
        || {
            let mut acc = 0.0;
            black_box(f)
                .iter()
                .map(|&x| {
                    acc += x;
                    acc
                })
                .collect::<Vec<f64>>()
        },
        floats,
    );
}

fn bench_sort(c: &mut Criterion) {
    let mut i = Interp::new(Box::new(MemHost::default()));
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let r: Vec<i64> = (0..N).map(|_| (rng.next() >> 1) as i64).collect();
    i.set(Sym::new("r"), Value::Vector(Vector::longs(&r)));

    let rust = || {
        let s = black_box(&r);
        let mut idx: Vec<i64> = (0..s.len() as i64).collect();
        idx.sort_unstable_by_key(|&k| s[k as usize]);
        idx
    };
    // Distinct random values: stable and unstable orders agree.
    pair(c, &mut i, "iasc_long", "iasc r", rust, longs);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_overhead, bench_vectors, bench_sort
}
criterion_main!(benches);
