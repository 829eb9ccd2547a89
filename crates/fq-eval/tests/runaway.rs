//! A computation whose values grow without bound ends in 'wsfull at the workspace limit
//! (found by the eval fuzzer: `1 2 3\\+1 2` scans a converging scan whose results grow
//! fourfold per step), and the interpreter keeps working afterwards.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

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
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

#[test]
fn runaway_growth_is_wsfull() {
    fq_eval::limits::set_live_bytes_counter(live);
    fq_eval::limits::set_total_limit(64 << 20);
    let mut i = fq_eval::Interp::new(Box::new(fq_eval::MemHost::default()));
    let r = i.eval_str(r"r:1 2 3\\+1 2");
    assert_eq!(r.err().map(|e| e.to_string()), Some("'wsfull".to_string()));
    assert!(live() < 256 << 20, "the partial results were freed");
    assert_eq!(i.eval_str("1+1").ok(), Some(fq_value::Value::Long(2)));
}
