//! Decoding never allocates far beyond the size of what was received, even for hostile
//! nesting (fuzz/FINDINGS.md #1: nested list headers each claiming every remaining byte).
//! A counting allocator measures the peak; this file holds a single test so nothing else
//! allocates concurrently.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if new > layout.size() {
            let now =
                CURRENT.fetch_add(new - layout.size(), Ordering::Relaxed) + new - layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            CURRENT.fetch_sub(layout.size() - new, Ordering::Relaxed);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[test]
fn nested_headers_do_not_reserve_their_claims() {
    let total: usize = 1 << 22;
    let depth = 250;
    let mut p = Vec::with_capacity(total);
    for i in 0..depth {
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(&(((total - 6 * (i + 1)) / 2) as i32).to_le_bytes());
    }
    while p.len() + 2 <= total {
        p.extend_from_slice(&[0xff, 0]);
    }
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = fq_ipc::decode_payload(&p, true, &fq_ipc::DecodeOptions::default());
    assert!(r.is_err());
    let extra = PEAK.load(Ordering::Relaxed) - base;
    // Decoded items are 16 bytes per 2 received; allow that plus slack, not 2000x.
    assert!(extra < 16 * total, "decode reserved {extra} bytes for a {total}-byte payload");
}
