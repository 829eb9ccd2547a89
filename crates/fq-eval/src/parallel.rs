//! Secondary threads (`-s N`, `\s`): `peach` / each-parallel `':`, and large-vector
//! kernels split into chunks.
//!
//! One rayon pool per process, sized by [`set_threads`] (the command line's `-s N`); each
//! interpreter uses up to its own `\s` count of it (at most the pool's size).
//!
//! **peach.** The interpreter is not shared between threads. For the duration of a
//! `peach`, the main thread lends its workspace: the globals and the host move into one
//! read-only [`Lent`] behind an `Arc`, and each task on the pool builds a lightweight
//! secondary [`Interp`] that reads globals through it (its own global table stays
//! empty). Assigning a global on a secondary signals `'noupdate`, as kdb+ does. Items are
//! handed out one at a time from a shared counter, so a thread that finishes early takes
//! more (kdb+ 4.1's dynamic redistribution); the results are put back in item order and
//! the error of the lowest failing item is the one signalled, as `each` would. When every
//! task is done the workspace goes back to the main interpreter. A `peach` on a secondary
//! thread runs as `each` there.
//!
//! **Kernels.** Scans, arithmetic and grouped aggregates over at least [`MIN_ROWS`]
//! items split their input into one contiguous chunk per thread and combine the partial
//! results in chunk order ([`split`]). They read the degree of parallelism from a
//! thread-local set while an interpreter evaluates ([`Degree`]); it is 0 on secondary
//! threads, so kernels inside `peach` run sequentially.

use crate::interp::Interp;
use crate::Host;
use fq_value::hash::FxHashMap;
use fq_value::{QError, QResult, Sym, Value};
use std::cell::Cell;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Inputs shorter than this run sequentially: below it, splitting costs more than it saves.
pub const MIN_ROWS: usize = 1 << 20;

/// Native stack of a secondary thread; a secondary interpreter signals `'stack` a margin
/// before it runs out.
const WORKER_STACK: usize = 64 << 20;
const WORKER_STACK_MARGIN: usize = 8 << 20;

/// The process's pool and its size (the `-s` maximum).
struct Pool {
    pool: Option<Arc<rayon::ThreadPool>>,
    max: usize,
}

fn pool_slot() -> &'static Mutex<Pool> {
    static POOL: OnceLock<Mutex<Pool>> = OnceLock::new();
    POOL.get_or_init(|| Mutex::new(Pool { pool: None, max: 0 }))
}

/// Secondary threads a new interpreter starts with (the `-s` value).
static START: AtomicUsize = AtomicUsize::new(0);

/// `-s N`: a pool of `N` secondary threads, and new interpreters start with `\s N`.
/// (kdb+'s negative `-s`, secondary processes, is taken as its absolute value: threads.)
pub fn set_threads(n: i64) -> Result<(), String> {
    let n = usize::try_from(n.unsigned_abs()).map_err(|_| "-s: too many threads".to_string())?;
    allow_threads(n)?;
    START.store(n, Ordering::Relaxed);
    Ok(())
}

/// Make sure the pool has at least `n` threads, so that `\s n` is allowed, without
/// changing what new interpreters start with (tests and transcripts).
pub fn allow_threads(n: usize) -> Result<(), String> {
    let mut p = pool_slot().lock().unwrap_or_else(PoisonError::into_inner);
    if n <= p.max {
        return Ok(());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .stack_size(WORKER_STACK)
        .thread_name(|k| format!("ferroq-s{k}"))
        .build()
        .map_err(|e| format!("cannot start {n} secondary threads: {e}"))?;
    p.pool = Some(Arc::new(pool));
    p.max = n;
    Ok(())
}

/// The most secondary threads `\s` may ask for (`\s 0N`).
pub fn max_threads() -> usize {
    pool_slot().lock().unwrap_or_else(PoisonError::into_inner).max
}

/// What `\s` gives a new interpreter.
pub(crate) fn start_threads() -> usize {
    START.load(Ordering::Relaxed).min(max_threads())
}

fn pool() -> Option<Arc<rayon::ThreadPool>> {
    pool_slot().lock().unwrap_or_else(PoisonError::into_inner).pool.clone()
}

thread_local! {
    static DEGREE: Cell<usize> = const { Cell::new(0) };
}

/// The threads kernels on this thread may split work over (0 or 1: sequential).
pub(crate) fn degree() -> usize {
    DEGREE.with(Cell::get)
}

/// Sets this thread's kernel parallelism while an interpreter evaluates; the previous
/// value comes back when it is dropped.
pub(crate) struct Degree(usize);

impl Degree {
    pub(crate) fn enter(n: usize) -> Degree {
        Degree(DEGREE.with(|d| d.replace(n)))
    }
}

impl Drop for Degree {
    fn drop(&mut self) {
        DEGREE.with(|d| d.set(self.0));
    }
}

/// Set this thread's kernel parallelism (after `\s N`).
pub(crate) fn set_degree(n: usize) {
    DEGREE.with(|d| d.set(n));
}

/// Run `f` on `0..len` split into one contiguous chunk per thread, in parallel; the
/// partial results in chunk order. `None` (the caller computes sequentially) when the
/// input is short or no secondary threads are in use.
pub(crate) fn split<R: Send>(len: usize, f: impl Fn(Range<usize>) -> R + Sync) -> Option<Vec<R>> {
    let (pool, ranges) = chunks(len)?;
    let slots: Vec<Mutex<Option<R>>> = ranges.iter().map(|_| Mutex::new(None)).collect();
    pool.scope(|s| {
        for (r, slot) in ranges.iter().zip(&slots) {
            let f = &f;
            s.spawn(move |_| {
                let v = f(r.clone());
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(v);
            });
        }
    });
    // Every spawned task has run when the scope returns.
    slots.into_iter().map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner)).collect()
}

/// The pool and the chunks of `0..len` for a parallel pass on this thread, if it should
/// be parallel: one contiguous chunk per thread.
fn chunks(len: usize) -> Option<(Arc<rayon::ThreadPool>, Vec<Range<usize>>)> {
    let d = degree();
    if d < 2 || len < MIN_ROWS {
        return None;
    }
    let pool = pool()?;
    let k = d.min(pool.current_num_threads()).max(1);
    Some((pool, (0..k).map(|c| len * c / k..len * (c + 1) / k).collect()))
}

/// [`split`] writing into `out`: `f(chunk, rows, &mut out[rows])` for each of the same
/// chunks [`split`] makes of `0..out.len()`, in parallel. False (nothing done) when
/// [`split`] would not split.
pub(crate) fn fill<T: Send>(
    out: &mut [T],
    f: impl Fn(usize, Range<usize>, &mut [T]) + Sync,
) -> bool {
    let Some((pool, ranges)) = chunks(out.len()) else { return false };
    let mut pieces = Vec::with_capacity(ranges.len());
    let mut rest = out;
    for r in &ranges {
        let (a, b) = rest.split_at_mut(r.len());
        pieces.push(a);
        rest = b;
    }
    pool.scope(|s| {
        for (c, (r, piece)) in ranges.into_iter().zip(pieces).enumerate() {
            let f = &f;
            s.spawn(move |_| f(c, r, piece));
        }
    });
    true
}

/// The main thread's workspace, lent read-only to secondary interpreters for one `peach`.
pub(crate) struct Lent {
    pub(crate) globals: FxHashMap<Sym, Value>,
    /// The main interpreter's host; secondaries take turns with it.
    pub(crate) host: Mutex<Option<Box<dyn Host>>>,
    pub(crate) ns: Sym,
    pub(crate) console: crate::Console,
    pub(crate) max_depth: usize,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) fuel: Option<u64>,
    pub(crate) rng: u64,
    pub(crate) session: crate::host::Session,
    pub(crate) process: crate::host::ProcessInfo,
    /// The views defined (a pending one read on a secondary thread is `'threadview`).
    pub(crate) views: Vec<Sym>,
}

/// The host of a secondary interpreter: the lent host, one call at a time.
pub(crate) struct LentHost(pub(crate) Arc<Lent>);

impl LentHost {
    fn with<R>(&self, none: R, f: impl FnOnce(&mut dyn Host) -> R) -> R {
        let mut h = self.0.host.lock().unwrap_or_else(PoisonError::into_inner);
        match h.as_mut() {
            Some(h) => f(h.as_mut()),
            None => none,
        }
    }
}

fn gone() -> std::io::Error {
    std::io::Error::other("host unavailable")
}

impl Host for LentHost {
    fn stdout(&mut self, text: &str) {
        self.with((), |h| h.stdout(text));
    }
    fn stderr(&mut self, text: &str) {
        self.with((), |h| h.stderr(text));
    }
    fn read_file(&mut self, path: &str) -> std::io::Result<Vec<u8>> {
        self.with(Err(gone()), |h| h.read_file(path))
    }
    fn real_files(&self) -> bool {
        self.with(false, |h| h.real_files())
    }
    fn write_file(&mut self, path: &str, data: &[u8]) -> std::io::Result<()> {
        self.with(Err(gone()), |h| h.write_file(path, data))
    }
    fn now_nanos(&mut self) -> i64 {
        self.with(0, |h| h.now_nanos())
    }
    fn utc_offset_secs(&mut self) -> i64 {
        self.with(0, |h| h.utc_offset_secs())
    }
    fn system(&mut self, cmd: &str) -> std::io::Result<Vec<String>> {
        self.with(Err(gone()), |h| h.system(cmd))
    }
    fn chdir(&mut self, _dir: &str) -> std::io::Result<()> {
        // The working directory is global state: not from a secondary thread.
        Err(std::io::Error::other("noupdate"))
    }
    fn cwd(&mut self) -> String {
        self.with(String::new(), |h| h.cwd())
    }
    fn getenv(&mut self, name: &str) -> Option<String> {
        self.with(None, |h| h.getenv(name))
    }
    // Sockets belong to the main thread (kdb+ 4.1: 'nosocket in peach).
    fn hopen(&mut self, _target: &str, _timeout_ms: i64) -> QResult<i64> {
        Err(QError::from_text("nosocket"))
    }
    fn hclose(&mut self, _handle: i64) -> QResult<()> {
        Err(QError::from_text("nosocket"))
    }
    fn send(&mut self, _handle: i64, _msg: &Value, _sync: bool) -> QResult<Value> {
        Err(QError::from_text("nosocket"))
    }
    fn flush(&mut self, _handle: i64) -> QResult<()> {
        Err(QError::from_text("nosocket"))
    }
    fn setting(&mut self, name: &str, arg: &str) -> Option<QResult<Value>> {
        // Reading a setting is fine; changing one (`\t 100` sets the timer, unlike
        // `\t expr`) is global state.
        let sets = !arg.is_empty() && (name != "t" || arg.trim().parse::<i64>().is_ok());
        if sets {
            return Some(Err(noupdate()));
        }
        self.with(None, |h| h.setting(name, arg))
    }
}

/// The random state of item `k`'s secondary interpreter: a function of the main state and
/// the item, so results do not depend on which thread ran it.
fn item_seed(base: u64, k: usize) -> u64 {
    let mut z = base ^ (k as u64).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    match z ^ (z >> 31) {
        0 => 0x2545_F491_4F6C_DD1D,
        s => s,
    }
}

/// `f peach x`, `f':[x]`: `f` applied to each item of `x` on the secondary threads; the
/// same result (or error) as `f each x`. Sequential when no secondary threads are in use,
/// when `x` has fewer than two items (kdb+ then runs `f` on the main thread), and on a
/// secondary thread.
pub(crate) fn peach(i: &mut Interp, f: &Value, x: Value) -> QResult<Value> {
    let n = x.list_len().unwrap_or(0);
    let threads = i.secondaries().min(n);
    let pool = if threads == 0 || n < 2 || i.is_secondary() { None } else { pool() };
    let Some(pool) = pool else {
        return crate::iter::apply_derived(i, fq_value::Adverb::Each, f, vec![x]);
    };
    let items = crate::iter::item_list(&x)?;
    let lent = i.lend();
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_items(&pool, &lent, f, &items, threads)
    }));
    i.take_back(lent);
    let out = match run {
        Ok(r) => r?,
        Err(p) => std::panic::resume_unwind(p),
    };
    Ok(crate::iter::keep_dict(&x, crate::atomic::collapse(out)))
}

fn run_items(
    pool: &rayon::ThreadPool,
    lent: &Arc<Lent>,
    f: &Value,
    items: &[Value],
    threads: usize,
) -> QResult<Vec<Value>> {
    let next = AtomicUsize::new(0);
    // The lowest item that failed so far: items after it need not run.
    let first_err = AtomicUsize::new(usize::MAX);
    let slots: Vec<OnceLock<QResult<Value>>> = items.iter().map(|_| OnceLock::new()).collect();
    pool.scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| {
                let mut w = Interp::secondary(lent.clone(), WORKER_STACK - WORKER_STACK_MARGIN);
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= items.len() || k > first_err.load(Ordering::Relaxed) {
                        break;
                    }
                    w.rng = item_seed(lent.rng, k);
                    let r = w.apply(f, vec![items[k].clone()]);
                    let r = if w.take_blocked_update() { Err(noupdate()) } else { r };
                    if r.is_err() {
                        first_err.fetch_min(k, Ordering::Relaxed);
                    }
                    let _ = slots[k].set(r);
                }
            });
        }
    });
    // Items are claimed in order and a claimed item below the first failure always runs,
    // so every slot before the first error is filled.
    let mut out = Vec::with_capacity(items.len());
    for slot in slots {
        match slot.into_inner() {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            None => return Err(QError::internal("peach: an item did not run")),
        }
    }
    Ok(out)
}

/// `'noupdate`: a secondary thread tried to change global state.
pub(crate) fn noupdate() -> QError {
    QError::from_text("noupdate")
}

/// `\s` and `\s N`.
pub(crate) fn command(i: &mut Interp, arg: &str) -> QResult<Value> {
    if arg.is_empty() {
        return Ok(Value::Int(i.secondaries() as i32));
    }
    if i.is_secondary() {
        return Err(noupdate());
    }
    if arg == "0N" {
        return Ok(Value::Int(max_threads() as i32));
    }
    let n: i64 = arg.parse().map_err(|_| QError::Type)?;
    // A negative count asks for secondary processes; ferroq uses threads for either.
    let n = usize::try_from(n.unsigned_abs()).map_err(|_| QError::Limit)?;
    let max = max_threads();
    if n > 0 && max == 0 {
        return Err(QError::from_text("enable secondary threads via cmd line -s only"));
    }
    if n > max {
        return Err(QError::Limit);
    }
    i.set_secondaries(n);
    Ok(fq_value::GENERIC_NULL)
}

/// The pool and chunk length for a parallel pass over `len` items on this thread, if
/// it should be parallel.
fn plan(len: usize) -> Option<(Arc<rayon::ThreadPool>, usize)> {
    let d = degree();
    if d < 2 || len < MIN_ROWS {
        return None;
    }
    let pool = pool()?;
    let k = d.min(pool.current_num_threads()).max(1);
    Some((pool, len.div_ceil(k)))
}

/// `xs` mapped by `f`, in parallel when long enough ([`split`]'s rule); `None` otherwise.
pub(crate) fn map_slice<T: Sync, R: Send>(
    xs: &[T],
    f: impl Fn(&T) -> R + Sync + Send,
) -> Option<Vec<R>> {
    use rayon::prelude::*;
    let (pool, chunk) = plan(xs.len())?;
    Some(pool.install(|| xs.par_iter().with_min_len(chunk).map(f).collect()))
}

/// `xs` and `ys` (of equal length) zipped by `f`, in parallel when long enough; `None`
/// otherwise.
pub(crate) fn map_pairs<T: Sync, U: Sync, R: Send>(
    xs: &[T],
    ys: &[U],
    f: impl Fn(&T, &U) -> R + Sync + Send,
) -> Option<Vec<R>> {
    use rayon::prelude::*;
    let (pool, chunk) = plan(xs.len().min(ys.len()))?;
    Some(pool.install(|| {
        xs.par_iter().zip(ys.par_iter()).with_min_len(chunk).map(|(x, y)| f(x, y)).collect()
    }))
}
