//! Evaluating any q text never panics: every failure is a q error. Evaluation runs with
//! fuel (loop iterations and calls) and a small workspace limit so inputs stay fast.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live bytes so the interpreter's workspace limit stops runaway growth with
/// 'wsfull (as the ferroq binary does), instead of the fuzzer's RSS limit killing it.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; the counter is
// bookkeeping only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    fq_eval::limits::set_ws_limit(1 << 24);
    fq_eval::limits::set_total_limit(1 << 28);
    fq_eval::limits::set_live_bytes_counter(live);
    let mut i = fq_eval::Interp::new(Box::new(fq_eval::MemHost::default()));
    i.max_depth = 200;
    for line in src.lines() {
        i.fuel = Some(2_000);
        match i.eval_line(line) {
            Ok(Some(v)) => {
                let _ = i.show(&v);
            }
            Ok(None) => {}
            Err(e) => assert!(!e.is_internal(), "internal error {e} from {line:?}"),
        }
    }
});
