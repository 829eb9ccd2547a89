//! Process-wide allocation limit (q's `-w`): a single result larger than the limit fails
//! with `'wsfull` instead of aborting the process when the allocator gives up.

use fq_value::{QError, QResult};
use std::sync::atomic::{AtomicUsize, Ordering};

static WS_LIMIT: AtomicUsize = AtomicUsize::new(8 << 30);

/// Set the limit in bytes for any one vector or list the interpreter builds.
pub fn set_ws_limit(bytes: usize) {
    WS_LIMIT.store(bytes, Ordering::Relaxed);
}

/// The current limit in bytes.
pub fn ws_limit() -> usize {
    WS_LIMIT.load(Ordering::Relaxed)
}

/// `'wsfull` unless `items` of `size` bytes fit under the limit.
pub fn check(items: u64, size: usize) -> QResult<()> {
    match items.checked_mul(size as u64) {
        Some(b) if b <= ws_limit() as u64 => Ok(()),
        _ => Err(QError::Wsfull),
    }
}

/// Process memory above which evaluation stops with `'wsfull` (checked periodically
/// between steps); 0 means 80% of physical memory.
static TOTAL_LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Set the process-memory limit in bytes (0: 80% of physical memory).
pub fn set_total_limit(bytes: usize) {
    TOTAL_LIMIT.store(bytes, Ordering::Relaxed);
}

/// A cheap count of the bytes the process has allocated, when the host program keeps one
/// (the `ferroq` binary counts in its global allocator).
static LIVE_BYTES: std::sync::OnceLock<fn() -> usize> = std::sync::OnceLock::new();

/// Register the host program's live-bytes counter: then the memory limit is checked at
/// every evaluation step, not only now and then from /proc.
pub fn set_live_bytes_counter(f: fn() -> usize) {
    let _ = LIVE_BYTES.set(f);
}

/// The host program's high-water mark of allocated bytes and its reset, when it keeps one
/// (the `ferroq` binary does, in its global allocator): `.Q.w[]`peak` and
/// `.fq.resetpeak[]`.
static PEAK_BYTES: std::sync::OnceLock<PeakCounter> = std::sync::OnceLock::new();

/// See [`set_peak_counter`].
#[derive(Clone, Copy, Debug)]
pub struct PeakCounter {
    /// The most bytes allocated at once since the start or the last reset.
    pub peak: fn() -> usize,
    /// Lower the mark to the bytes allocated now.
    pub reset: fn(),
}

/// Register the host program's peak counter (with [`set_live_bytes_counter`]).
pub fn set_peak_counter(c: PeakCounter) {
    let _ = PEAK_BYTES.set(c);
}

/// Bytes allocated now, from the host program's counter (`None` without one).
pub fn live_bytes() -> Option<usize> {
    LIVE_BYTES.get().map(|f| f())
}

/// The high-water mark of allocated bytes (`None` without a counter).
pub fn peak_bytes() -> Option<usize> {
    PEAK_BYTES.get().map(|c| (c.peak)())
}

/// Lower the high-water mark to the bytes allocated now; the mark before, if counted.
pub fn reset_peak() -> Option<usize> {
    let c = PEAK_BYTES.get()?;
    let before = (c.peak)();
    (c.reset)();
    Some(before)
}

/// The `-w` limit in bytes, 0 when none was set (kdb+'s `wmax`).
pub fn total_limit_setting() -> usize {
    TOTAL_LIMIT.load(Ordering::Relaxed)
}

fn total_limit() -> usize {
    match TOTAL_LIMIT.load(Ordering::Relaxed) {
        0 => {
            static DEFAULT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
            *DEFAULT.get_or_init(|| physical_memory() / 5 * 4)
        }
        b => b,
    }
}

/// Called at every evaluation step (`tick` is the step count): true when the process's
/// memory is over the limit, so that a runaway computation ends in `'wsfull` instead of
/// the allocator aborting the process. With a live-bytes counter the check is one load;
/// without one, /proc is read every 1,024 steps.
#[inline]
pub fn memory_over(tick: u32) -> bool {
    match LIVE_BYTES.get() {
        Some(f) => {
            let limit = total_limit();
            limit > 0 && f() > limit
        }
        None => tick & 0x3FF == 0 && memory_exceeded(),
    }
}

/// True when the process's resident memory is over the limit.
pub fn memory_exceeded() -> bool {
    let limit = total_limit();
    limit > 0 && resident_bytes() > limit
}

/// Resident bytes of this process (0 where unknown).
pub fn resident_bytes() -> usize {
    resident_split().0
}

/// Resident bytes of this process and how many of them are file-backed pages (mapped
/// files, the binary): (0, 0) where unknown.
pub fn resident_split() -> (usize, usize) {
    #[cfg(target_os = "linux")]
    {
        if let Ok(s) = std::fs::read_to_string("/proc/self/statm") {
            let mut f = s.split_whitespace().skip(1).map(|p| p.parse::<usize>().unwrap_or(0));
            let resident = f.next().unwrap_or(0);
            let shared = f.next().unwrap_or(0);
            return (resident * 4096, shared * 4096);
        }
    }
    (0, 0)
}

/// Physical memory in bytes (0 where unknown).
pub fn physical_memory() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<usize>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
