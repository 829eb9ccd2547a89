//! Window aggregates for window joins (`wj`, `wj1`).
//!
//! The build rows are laid out group by group (`group::rows_by_group`: group `g` holds
//! positions `start[g]..start[g+1]`, in table order), and each build column is gathered
//! into that layout, so every probe's window is one contiguous run of positions, a
//! [`Span`] `[s, e)`. The probes are visited group by group too ([`Windows`]), so the
//! ends are found and the runs read in memory order, and each result is written back to
//! its probe once ([`scatter`]).
//!
//! - `min`/`max`: when a group's probes come in time order both ends of its spans never
//!   move backwards, and a monotonic deque gives each window's extreme with every
//!   position entering and leaving it at most once; a span that moves backwards restarts
//!   the deque, so any order is correct. Short windows (together no longer than twice the
//!   values) are scanned instead, which reads fewer values than the deque would push.
//! - integer `sum` is a difference of wrapping prefix sums (exact); float `sum` adds each
//!   run exactly as `sum` does (8 lanes), since differences of float prefix sums round
//!   differently; `count`, `first`, `last` read the span's ends.
//!
//! Null semantics are q's: `min`/`max`/`sum`/`avg` skip nulls; an empty window gives the
//! fold's identity (`0W`/`-0W` of the type, `0` for `sum`), a window of nothing but nulls
//! gives the identity for integers and null for floats (as ferroq's `max`/`min` do).

/// A window as positions `[start, end)` in the group-ordered layout.
pub type Span = (u32, u32);

/// An element type with q's null.
pub trait Elem: Copy + PartialOrd {
    /// q's null of the type.
    const NULL: Self;
    /// True for q's null (`0N`, `0Ni`, NaN).
    fn is_null(self) -> bool;
    /// The smaller (`MAX` false) or larger of an accumulator and a value, a null value
    /// leaving the accumulator (a null float accumulator takes the value): a branch-free
    /// step of `min`/`max` skipping nulls.
    fn fold_extreme<const MAX: bool>(self, v: Self) -> Self;
}

impl Elem for f64 {
    const NULL: f64 = f64::NAN;
    #[inline]
    fn is_null(self) -> bool {
        self.is_nan()
    }
    #[inline]
    fn fold_extreme<const MAX: bool>(self, v: f64) -> f64 {
        // IEEE maxNum/minNum: the non-NaN operand wins.
        if MAX {
            self.max(v)
        } else {
            self.min(v)
        }
    }
}

impl Elem for f32 {
    const NULL: f32 = f32::NAN;
    #[inline]
    fn is_null(self) -> bool {
        self.is_nan()
    }
    #[inline]
    fn fold_extreme<const MAX: bool>(self, v: f32) -> f32 {
        // IEEE maxNum/minNum: the non-NaN operand wins.
        if MAX {
            self.max(v)
        } else {
            self.min(v)
        }
    }
}

impl Elem for i64 {
    const NULL: i64 = i64::MIN;
    #[inline]
    fn is_null(self) -> bool {
        self == i64::MIN
    }
    #[inline]
    fn fold_extreme<const MAX: bool>(self, v: i64) -> i64 {
        match (MAX, v == i64::MIN) {
            (_, true) => self,
            (true, false) => self.max(v),
            (false, false) => self.min(v),
        }
    }
}

impl Elem for i32 {
    const NULL: i32 = i32::MIN;
    #[inline]
    fn is_null(self) -> bool {
        self == i32::MIN
    }
    #[inline]
    fn fold_extreme<const MAX: bool>(self, v: i32) -> i32 {
        match (MAX, v == i32::MIN) {
            (_, true) => self,
            (true, false) => self.max(v),
            (false, false) => self.min(v),
        }
    }
}

/// `vals` in the group-ordered layout: `out[k] = vals[rows[k]]`.
pub fn gather<T: Copy>(vals: &[T], rows: &[u32]) -> Vec<T> {
    rows.iter().map(|&r| vals[r as usize]).collect()
}

/// The probes' windows, visited group by group: `spans[k]` is the window of probe
/// `order[k]`.
pub struct Windows {
    /// Probes by group (stable), probes of no group last.
    pub order: Vec<u32>,
    /// Each visited probe's window, as positions in the group-ordered layout.
    pub spans: Vec<Span>,
}

/// Each probe's window over the group-ordered build `times` (ascending within each
/// group). Probe `p` belongs to group `group[p]` (outside `0..ngroups`, e.g.
/// [`NO_GROUP`](crate::asof::NO_GROUP): an empty window) and its window holds the times
/// in `[lo[p], hi[p]]`; with `prevailing` (`wj`) it also holds the last time before
/// `lo[p]` when no time equals `lo[p]` (the quote in force when the window opens). Each
/// group's ends are found by cursors that step forward (a binary search for long steps
/// and for steps back), so time-ordered probes cost one pass over each group's times.
pub fn windows(
    times: &[i64],
    start: &[u32],
    group: &[u32],
    (lo, hi): (&[i64], &[i64]),
    prevailing: bool,
) -> Windows {
    let ng = start.len().saturating_sub(1);
    let n = group.len().min(lo.len()).min(hi.len());
    let bucket = |g: u32| (g as usize).min(ng);
    let mut first = vec![0u32; ng + 2];
    for &g in &group[..n] {
        first[bucket(g) + 1] += 1;
    }
    for b in 0..=ng {
        first[b + 1] += first[b];
    }
    // The windows' ends move to visit order with the probes (scattered stores, so the
    // searches below read them in order).
    let mut fill = first.clone();
    let mut order = vec![0u32; n];
    let (mut vlo, mut vhi) = (vec![0i64; n], vec![0i64; n]);
    for (p, &g) in group[..n].iter().enumerate() {
        let f = &mut fill[bucket(g)];
        let k = *f as usize;
        order[k] = p as u32;
        vlo[k] = lo[p];
        vhi[k] = hi[p];
        *f += 1;
    }
    let mut spans = Vec::with_capacity(n);
    for g in 0..ng {
        let a = start[g];
        let run = &times[a as usize..start[g + 1] as usize];
        let (mut cl, mut ch) = (0usize, 0usize);
        let (mut pl, mut ph) = (i64::MIN, i64::MIN);
        for k in first[g] as usize..first[g + 1] as usize {
            let (l, h) = (vlo[k], vhi[k]);
            cl = seek(run, cl, l < pl, |t| t < l);
            ch = seek(run, ch, h < ph, |t| t <= h);
            (pl, ph) = (l, h);
            let mut s = cl;
            if prevailing && s > 0 && (s == run.len() || run[s] > l) {
                s -= 1;
            }
            let (s, e) = (a + s as u32, a + ch as u32);
            spans.push((s, e.max(s)));
        }
    }
    spans.resize(n, (0, 0));
    Windows { order, spans }
}

/// The first position of `run` (ascending) at which `before` fails, from a cursor `cur`
/// where it held (`back`: the key moved backwards, so search from the start): a few
/// steps forward, then a binary search.
fn seek(run: &[i64], cur: usize, back: bool, before: impl Fn(i64) -> bool) -> usize {
    if back {
        return run.partition_point(|&t| before(t));
    }
    let mut c = cur;
    for _ in 0..8 {
        match run.get(c) {
            Some(&t) if before(t) => c += 1,
            _ => return c,
        }
    }
    c + run[c.min(run.len())..].partition_point(|&t| before(t))
}

/// Results in visit order back in probe order: `out[order[k]] = vals[k]`.
pub fn scatter<T: Copy>(vals: &[T], order: &[u32]) -> Vec<T> {
    let Some(&v0) = vals.first() else { return Vec::new() };
    let mut out = vec![v0; vals.len()];
    for (&p, &v) in order.iter().zip(vals) {
        if let Some(o) = out.get_mut(p as usize) {
            *o = v;
        }
    }
    out
}

/// Minimum (`max` false) or maximum of the non-null values of column `col` in each span
/// of the group-ordered layout (`rows`: the column's row at each position; see the
/// module notes). `empty`: the result of an empty span; `all_null`: of a span of nulls,
/// which must be null for the float types and `empty` (the identity) for the integer ones.
pub fn extreme<T: Elem>(
    col: &[T],
    rows: &[u32],
    spans: &[Span],
    max: bool,
    (empty, all_null): (T, T),
) -> Vec<T> {
    let total: u64 = spans.iter().map(|&(s, e)| u64::from(e.saturating_sub(s))).sum();
    if total <= 2 * rows.len() as u64 {
        // Short windows: read only their values, through the rows.
        return if max {
            scan::<T, true>(col, rows, spans, empty, all_null)
        } else {
            scan::<T, false>(col, rows, spans, empty, all_null)
        };
    }
    let vals = gather(col, rows);
    if max {
        extreme_by::<T, true>(&vals, spans, empty, all_null)
    } else {
        extreme_by::<T, false>(&vals, spans, empty, all_null)
    }
}

/// `all_null` seeds each fold: null for floats (any value replaces it), the identity for
/// integers (which nulls never beat).
fn scan<T: Elem, const MAX: bool>(
    col: &[T],
    rows: &[u32],
    spans: &[Span],
    empty: T,
    all_null: T,
) -> Vec<T> {
    spans
        .iter()
        .map(|&(s, e)| {
            if s >= e {
                return empty;
            }
            rows[s as usize..e as usize]
                .iter()
                .fold(all_null, |a, &r| a.fold_extreme::<MAX>(col[r as usize]))
        })
        .collect()
}

fn extreme_by<T: Elem, const MAX: bool>(
    vals: &[T],
    spans: &[Span],
    empty: T,
    all_null: T,
) -> Vec<T> {
    let mut out = Vec::with_capacity(spans.len());
    // Positions whose values strictly improve from back to front: `dq[head..]`.
    let mut dq: Vec<u32> = Vec::new();
    let mut head = 0usize;
    // Next position to enter, and the previous span.
    let mut next = 0u32;
    let (mut prev_s, mut prev_e) = (0u32, 0u32);
    for &(s, e) in spans {
        if s >= e {
            out.push(empty);
            continue;
        }
        if s < prev_s || e < prev_e || next < s {
            // Moved backwards (or past everything entered so far): start afresh at `s`.
            dq.clear();
            head = 0;
            next = s;
        }
        (prev_s, prev_e) = (s, e);
        while next < e {
            let v = vals[next as usize];
            if !v.is_null() {
                while dq.len() > head {
                    let b = vals[dq[dq.len() - 1] as usize];
                    if !(if MAX { b <= v } else { b >= v }) {
                        break;
                    }
                    dq.pop();
                }
                dq.push(next);
            }
            next += 1;
        }
        while head < dq.len() && dq[head] < s {
            head += 1;
        }
        out.push(match dq.get(head) {
            Some(&k) => vals[k as usize],
            None => all_null,
        });
        if head == dq.len() {
            dq.clear();
            head = 0;
        } else if head > 4096 && head * 2 > dq.len() {
            dq.drain(..head);
            head = 0;
        }
    }
    out
}

/// The first value of column `col` in each span (`rows` as for [`extreme`]; null when
/// empty; a null first value stays).
pub fn first<T: Elem>(col: &[T], rows: &[u32], spans: &[Span]) -> Vec<T> {
    let at = |k: u32| col[rows[k as usize] as usize];
    spans.iter().map(|&(s, e)| if s < e { at(s) } else { T::NULL }).collect()
}

/// The last value of column `col` in each span (null when empty).
pub fn last<T: Elem>(col: &[T], rows: &[u32], spans: &[Span]) -> Vec<T> {
    let at = |k: u32| col[rows[k as usize] as usize];
    spans.iter().map(|&(s, e)| if s < e { at(e - 1) } else { T::NULL }).collect()
}

/// Rows in each span.
pub fn count(spans: &[Span]) -> Vec<i64> {
    spans.iter().map(|&(s, e)| i64::from(e.saturating_sub(s))).collect()
}

/// Wrapping prefix sums of the non-null values: `out[k]` sums `vals[..k]`.
fn prefix<T: Elem>(vals: &[T], widen: impl Fn(T) -> i64) -> Vec<i64> {
    let mut out = Vec::with_capacity(vals.len() + 1);
    let mut acc = 0i64;
    out.push(0);
    for &v in vals {
        if !v.is_null() {
            acc = acc.wrapping_add(widen(v));
        }
        out.push(acc);
    }
    out
}

/// Sum of the non-null longs in each span (wrapping, as `sum`): prefix-sum differences.
pub fn sum_i64(vals: &[i64], spans: &[Span]) -> Vec<i64> {
    let ps = prefix(vals, |v| v);
    spans
        .iter()
        .map(|&(s, e)| if s < e { ps[e as usize].wrapping_sub(ps[s as usize]) } else { 0 })
        .collect()
}

/// Sum of the non-null ints in each span, as an int (wrapping at 32 bits, as `sum`).
pub fn sum_i32(vals: &[i32], spans: &[Span]) -> Vec<i32> {
    let ps = prefix(vals, i64::from);
    spans
        .iter()
        .map(|&(s, e)| if s < e { ps[e as usize].wrapping_sub(ps[s as usize]) as i32 } else { 0 })
        .collect()
}

/// Sum of the non-null floats in each span, added exactly as [`crate::agg::sum_slice_f64`].
pub fn sum_f64(vals: &[f64], spans: &[Span]) -> Vec<f64> {
    spans
        .iter()
        .map(
            |&(s, e)| {
                if s < e {
                    crate::agg::sum_slice_f64(&vals[s as usize..e as usize])
                } else {
                    0.0
                }
            },
        )
        .collect()
}

/// Mean of the non-null values in each span, as `avg` computes it (left to right in
/// floats); null when there are none.
pub fn avg<T: Elem>(vals: &[T], spans: &[Span], widen: impl Fn(T) -> f64) -> Vec<f64> {
    spans
        .iter()
        .map(|&(s, e)| {
            let run = &vals[s.min(e) as usize..e as usize];
            let (sum, n) = run
                .iter()
                .filter(|v| !v.is_null())
                .fold((0.0f64, 0usize), |(a, n), &v| (a + widen(v), n + 1));
            if n == 0 {
                f64::NAN
            } else {
                sum / n as f64
            }
        })
        .collect()
}

/// One aggregate of the probes' windows, fed by [`sweep`]: each probe's window arrives as
/// the build rows it holds, in time order (two runs: a ring buffer's halves).
pub trait WindowFold {
    /// Aggregate the next probe's window.
    fn window(&mut self, rows: (&[u32], &[u32]));
    /// The results, one per probe, in probe order.
    fn finish(self: Box<Self>) -> Folded;
}

/// The results of a [`WindowFold`].
#[derive(Debug, Clone, PartialEq)]
pub enum Folded {
    /// Floats.
    F64(Vec<f64>),
    /// Reals.
    F32(Vec<f32>),
    /// Longs (and counts).
    I64(Vec<i64>),
    /// Ints.
    I32(Vec<i32>),
}

/// What a [`Fold`] computes over each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldOp {
    /// The smallest non-null value.
    Min,
    /// The largest non-null value.
    Max,
    /// The first row's value (null when empty).
    First,
    /// The last row's value (null when empty).
    Last,
    /// Rows in the window (a long).
    Count,
}

/// A [`WindowFold`] of one column: `min`/`max` skip nulls (an empty window gives `empty`,
/// one of nothing but nulls `all_null`; see [`extreme`]), `first`/`last` read the ends,
/// `count` the length.
pub struct Fold<'a, T> {
    col: &'a [T],
    op: FoldOp,
    empty: T,
    all_null: T,
    out: Vec<T>,
    counts: Vec<i64>,
}

impl<'a, T: Elem> Fold<'a, T> {
    /// A fold of `col` for `probes` probes; `(empty, all_null)` as for [`extreme`].
    pub fn new(col: &'a [T], op: FoldOp, (empty, all_null): (T, T), probes: usize) -> Self {
        let (out, counts) = match op {
            FoldOp::Count => (Vec::new(), Vec::with_capacity(probes)),
            _ => (Vec::with_capacity(probes), Vec::new()),
        };
        Fold { col, op, empty, all_null, out, counts }
    }

    #[inline]
    fn extreme<const MAX: bool>(&self, (a, b): (&[u32], &[u32])) -> T {
        let f = |acc: T, &k: &u32| acc.fold_extreme::<MAX>(self.col[k as usize]);
        let acc = a.iter().fold(self.all_null, f);
        b.iter().fold(acc, f)
    }
}

/// How [`Folded`] holds each element type.
pub trait FoldedElem: Elem {
    /// The results as [`Folded`].
    fn folded(v: Vec<Self>) -> Folded;
}
macro_rules! folded_elem {
    ($($t:ty => $variant:ident),*) => {$(
        impl FoldedElem for $t {
            fn folded(v: Vec<$t>) -> Folded {
                Folded::$variant(v)
            }
        }
    )*};
}
folded_elem!(f64 => F64, f32 => F32, i64 => I64, i32 => I32);

impl Folded {
    /// Append the results of the next chunk of probes (a parallel pass's chunks, end to
    /// end). False, leaving `self` as it was, when `next` holds another element type.
    pub fn extend(&mut self, next: Folded) -> bool {
        match (self, next) {
            (Folded::F64(a), Folded::F64(b)) => a.extend(b),
            (Folded::F32(a), Folded::F32(b)) => a.extend(b),
            (Folded::I64(a), Folded::I64(b)) => a.extend(b),
            (Folded::I32(a), Folded::I32(b)) => a.extend(b),
            _ => return false,
        }
        true
    }
}

impl<T: FoldedElem> WindowFold for Fold<'_, T> {
    #[inline]
    fn window(&mut self, (a, b): (&[u32], &[u32])) {
        let n = a.len() + b.len();
        if self.op == FoldOp::Count {
            self.counts.push(n as i64);
            return;
        }
        let v = if n == 0 {
            match self.op {
                FoldOp::Min | FoldOp::Max => self.empty,
                _ => T::NULL,
            }
        } else {
            match self.op {
                FoldOp::Min => self.extreme::<false>((a, b)),
                FoldOp::Max => self.extreme::<true>((a, b)),
                FoldOp::First => self.col[*a.first().or(b.first()).unwrap_or(&0) as usize],
                FoldOp::Last => self.col[*b.last().or(a.last()).unwrap_or(&0) as usize],
                FoldOp::Count => self.empty,
            }
        };
        self.out.push(v);
    }

    fn finish(self: Box<Self>) -> Folded {
        match self.op {
            FoldOp::Count => Folded::I64(self.counts),
            _ => T::folded(self.out),
        }
    }
}

/// The windows of a window join in one sweep of the build rows in time order, without a
/// per-build-row layout: the streaming path of `wj`/`wj1` when the build times `qtime`
/// ascend and the probes' windows `[lo, hi]` move forward (`lo` and `hi` ascending,
/// `lo <= hi`). Build row `k` belongs to group `qkey[k]`, probe `p` to `pkey[p]` (keys
/// below `domain`); each probe's window goes to every fold, in probe order.
///
/// Each group keeps a ring of its rows in the current window: the rows with times in
/// `[lo, hi]` and, with `prevailing` (`wj`), the last row before `lo` when none is at `lo`
/// (the quote in force when the window opens). Rows leave a ring as soon as a window has
/// passed them, so the memory held is the groups' rows inside a window each, plus 4 bytes
/// a key of `domain` and a ring header a group.
///
/// Returns false, having fed the folds only part of the probes, when the rows or windows
/// are out of order, or when the windows together hold more than `budget` rows (long
/// windows, where the per-group layout with its deques does less work).
pub fn sweep(
    (qtime, qkey): (&[i64], &[u32]),
    pkey: &[u32],
    (lo, hi): (&[i64], &[i64]),
    (domain, prevailing, budget): (usize, bool, u64),
    folds: &mut [Box<dyn WindowFold + '_>],
) -> bool {
    let nq = qtime.len().min(qkey.len());
    if nq >= u32::MAX as usize || !ascending(&qtime[..nq]) {
        return false;
    }
    sweep_chunk((qtime, qkey), (pkey, lo, hi), (domain, prevailing, budget), folds)
}

/// [`sweep`] for one run of the probes (a chunk of a parallel pass), the build times
/// already known to ascend: the sweep starts at the first build row at or after the run's
/// first window start, each group's ring seeded (for `prevailing`) with the group's last
/// row before it, found by one pass over the rows before. Chunks of consecutive probes
/// give, end to end, exactly what one [`sweep`] of all of them gives.
pub fn sweep_chunk(
    (qtime, qkey): (&[i64], &[u32]),
    (pkey, lo, hi): (&[u32], &[i64], &[i64]),
    (domain, prevailing, budget): (usize, bool, u64),
    folds: &mut [Box<dyn WindowFold + '_>],
) -> bool {
    const NONE: u32 = u32::MAX;
    let nq = qtime.len().min(qkey.len());
    let np = pkey.len().min(lo.len()).min(hi.len());
    if nq >= NONE as usize {
        return false;
    }
    let mut gid = vec![NONE; domain];
    let mut rings: Vec<std::collections::VecDeque<u32>> = Vec::new();
    // A ring is trimmed when a probe reads it, or when it has doubled since it was last
    // trimmed (so rings of groups no probe reads stay within twice a window's rows).
    let mut trim_at: Vec<u32> = Vec::new();
    let first = match lo.first() {
        Some(&l) if np > 0 => qtime[..nq].partition_point(|&t| t < l),
        _ => 0,
    };
    if first > 0 && prevailing {
        // Each key's last row before the first window: its ring's first row.
        let mut last = vec![NONE; domain];
        for (k, &s) in qkey[..first].iter().enumerate() {
            match last.get_mut(s as usize) {
                Some(x) => *x = k as u32,
                None => return false,
            }
        }
        for (s, &k) in last.iter().enumerate() {
            if k != NONE {
                gid[s] = rings.len() as u32;
                rings.push(std::collections::VecDeque::from([k]));
                trim_at.push(8);
            }
        }
    }
    // Drop the rows before `l` that no window from `l` on holds.
    let trim = |ring: &mut std::collections::VecDeque<u32>, l: i64| {
        while let Some(&f) = ring.front() {
            if qtime[f as usize] >= l {
                break;
            }
            // With `prevailing`, the last row before `l` stays unless a later one is at
            // or before `l`.
            if prevailing && ring.get(1).is_none_or(|&n| qtime[n as usize] > l) {
                break;
            }
            ring.pop_front();
        }
    };
    let mut next = first;
    let (mut pl, mut ph) = (i64::MIN, i64::MIN);
    let mut held = 0u64;
    for p in 0..np {
        let (l, h) = (lo[p], hi[p]);
        if l < pl || h < ph || l > h {
            return false;
        }
        (pl, ph) = (l, h);
        while next < nq && qtime[next] <= h {
            let Some(g) = gid.get_mut(qkey[next] as usize) else { return false };
            if *g == NONE {
                *g = rings.len() as u32;
                rings.push(Default::default());
                trim_at.push(8);
            }
            let ring = &mut rings[*g as usize];
            ring.push_back(next as u32);
            if ring.len() as u32 >= trim_at[*g as usize] {
                trim(ring, l);
                trim_at[*g as usize] = (2 * ring.len() as u32).max(8);
            }
            next += 1;
        }
        let empty = (&[][..], &[][..]);
        match gid.get(pkey[p] as usize) {
            Some(&g) if g != NONE => {
                let ring = &mut rings[g as usize];
                trim(ring, l);
                trim_at[g as usize] = (2 * ring.len() as u32).max(8);
                held += ring.len() as u64;
                if held > budget {
                    return false;
                }
                let w = ring.as_slices();
                folds.iter_mut().for_each(|f| f.window(w));
            }
            _ => folds.iter_mut().for_each(|f| f.window(empty)),
        }
    }
    true
}

/// True when `t` never steps down (branch-free chunks, so it runs at memory speed).
pub fn ascending(t: &[i64]) -> bool {
    if t.len() < 2 {
        return true;
    }
    let (a, b) = (&t[..t.len() - 1], &t[1..]);
    a.chunks(1024)
        .zip(b.chunks(1024))
        .all(|(x, y)| x.iter().zip(y).fold(true, |ok, (p, q)| ok & (p <= q)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asof::NO_GROUP;

    /// Direct scan, the reference.
    fn reference(vals: &[f64], (s, e): Span, max: bool) -> f64 {
        if s >= e {
            return if max { f64::NEG_INFINITY } else { f64::INFINITY };
        }
        let w = vals[s as usize..e as usize].iter().filter(|v| !v.is_nan());
        if max {
            w.fold(f64::NAN, |a, &v| a.max(v))
        } else {
            w.fold(f64::NAN, |a, &v| a.min(v))
        }
    }

    /// The windows in probe order.
    fn by_probe(w: &Windows) -> Vec<Span> {
        scatter(&w.spans, &w.order)
    }

    #[test]
    fn windows_with_and_without_prevailing() {
        // group 0: times 1 3 5 7; group 1: times 2 4
        let times = [1, 3, 5, 7, 2, 4];
        let start = [0, 4, 6];
        let group = [0, 0, 1, NO_GROUP, 0];
        let lo = [2, 3, 3, 3, 8];
        let hi = [5, 6, 6, 9, 9];
        let wj = vec![(0, 3), (1, 3), (4, 6), (0, 0), (3, 4)];
        let wj1 = vec![(1, 3), (1, 3), (5, 6), (0, 0), (4, 4)];
        let w = windows(&times, &start, &group, (&lo, &hi), true);
        assert_eq!(w.order, vec![0, 1, 4, 2, 3]);
        assert_eq!(by_probe(&w), wj);
        assert_eq!(by_probe(&windows(&times, &start, &group, (&lo, &hi), false)), wj1);
        // The same windows out of order: the cursors search back.
        let back = |v: &[i64]| v.iter().rev().copied().collect::<Vec<i64>>();
        let rgroup: Vec<u32> = group.iter().rev().copied().collect();
        let mut rev = by_probe(&windows(&times, &start, &rgroup, (&back(&lo), &back(&hi)), true));
        rev.reverse();
        assert_eq!(rev, wj);
        // Long steps forward take the binary search.
        let times: Vec<i64> = (0..100).collect();
        let w = windows(&times, &[0, 100], &[0, 0], (&[1, 50], &[2, 90]), false);
        assert_eq!(w.spans, vec![(1, 3), (50, 91)]);
    }

    #[test]
    fn deque_matches_scan_in_any_order() {
        let mut x = 12345u64;
        let mut rnd = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let vals: Vec<f64> =
            (0..500).map(|_| if rnd(7) == 0 { f64::NAN } else { rnd(100) as f64 }).collect();
        // Monotone spans, then arbitrary ones.
        let mut sp: Vec<Span> = Vec::new();
        let (mut s, mut e) = (0u32, 0u32);
        for _ in 0..300 {
            s = (s + rnd(3) as u32).min(499);
            e = (e.max(s) + rnd(4) as u32).min(500);
            sp.push((s, e));
        }
        for _ in 0..300 {
            let a = rnd(500) as u32;
            sp.push((a, (a + rnd(20) as u32).min(500)));
        }
        for max in [false, true] {
            let id = if max { f64::NEG_INFINITY } else { f64::INFINITY };
            let deque = if max {
                extreme_by::<f64, true>(&vals, &sp, id, f64::NAN)
            } else {
                extreme_by::<f64, false>(&vals, &sp, id, f64::NAN)
            };
            let ident: Vec<u32> = (0..vals.len() as u32).collect();
            let scanned = extreme(&vals, &ident, &sp[..50], max, (id, f64::NAN));
            for (k, &span) in sp.iter().enumerate() {
                let want = reference(&vals, span, max);
                let same = |g: f64| g == want || (g.is_nan() && want.is_nan());
                assert!(same(deque[k]), "{span:?}");
                assert!(k >= 50 || same(scanned[k]), "{span:?}");
            }
        }
        let ints: Vec<i64> =
            vals.iter().map(|&v| if v.is_nan() { i64::MIN } else { v as i64 }).collect();
        let ident: Vec<u32> = (0..ints.len() as u32).collect();
        let got = extreme(&ints, &ident, &sp, true, (-i64::MAX, -i64::MAX));
        let scanned = extreme(&ints, &ident, &sp[..50], true, (-i64::MAX, -i64::MAX));
        assert_eq!(scanned[..], got[..50]);
        let sums = sum_i64(&ints, &sp);
        for (k, &(s, e)) in sp.iter().enumerate() {
            let w = ints[s as usize..e as usize].iter().filter(|&&v| v != i64::MIN);
            assert_eq!(got[k], w.clone().copied().fold(-i64::MAX, i64::max));
            assert_eq!(sums[k], w.sum::<i64>());
        }
    }

    #[test]
    fn ends_and_sums() {
        let v = [1i32, i32::MIN, 3];
        let rows = [2, 1, 0];
        assert_eq!(first(&v, &rows, &[(1, 3), (2, 2)]), vec![i32::MIN, i32::MIN]);
        assert_eq!(last(&v, &rows, &[(0, 2), (0, 3)]), vec![i32::MIN, 1]);
        assert_eq!(count(&[(1, 3), (2, 2)]), vec![2, 0]);
        assert_eq!(sum_i32(&v, &[(0, 3), (1, 2)]), vec![4, 0]);
        assert_eq!(avg(&v, &[(0, 3), (1, 2)], f64::from)[0], 2.0);
        assert_eq!(gather(&[10, 20, 30], &[2, 0]), vec![30, 10]);
        assert_eq!(scatter(&[7, 8, 9], &[2, 0, 1]), vec![8, 9, 7]);
    }

    #[test]
    fn sweep_matches_layout() {
        let mut x = 987654321u64;
        let mut rnd = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let run = |qt: &[i64],
                   qk: &[u32],
                   v: &[f64],
                   pk: &[u32],
                   w: (&[i64], &[i64]),
                   d,
                   pre,
                   ops: &[FoldOp]| {
            let mut folds: Vec<Box<dyn WindowFold>> = ops
                .iter()
                .map(|&op| {
                    let id = if op == FoldOp::Max { f64::NEG_INFINITY } else { f64::INFINITY };
                    Box::new(Fold::new(v, op, (id, f64::NAN), pk.len())) as Box<dyn WindowFold>
                })
                .collect();
            sweep((qt, qk), pk, w, (d, pre, u64::MAX), &mut folds)
                .then(|| folds.into_iter().map(|f| f.finish()).collect::<Vec<_>>())
        };
        let ops = [FoldOp::Min, FoldOp::Max, FoldOp::First, FoldOp::Last, FoldOp::Count];
        for round in 0..40 {
            let nq = 1 + rnd(400) as usize;
            let ng = 1 + rnd(6) as u32;
            let mut t = 0i64;
            let qtime: Vec<i64> = (0..nq)
                .map(|_| {
                    t += rnd(3) as i64;
                    t
                })
                .collect();
            let qkey: Vec<u32> = (0..nq).map(|_| rnd(u64::from(ng)) as u32).collect();
            let vals: Vec<f64> =
                (0..nq).map(|_| if rnd(9) == 0 { f64::NAN } else { rnd(50) as f64 }).collect();
            let np = rnd(200) as usize;
            let mut u = -3i64;
            let width = rnd(12) as i64;
            let hi: Vec<i64> = (0..np)
                .map(|_| {
                    u += rnd(4) as i64;
                    u
                })
                .collect();
            let lo: Vec<i64> = hi.iter().map(|h| h - width).collect();
            // Probes may name a group with no build rows (`ng`).
            let pkey: Vec<u32> = (0..np).map(|_| rnd(u64::from(ng) + 1) as u32).collect();
            let (start, rows) = crate::group::rows_by_group(&qkey, ng as usize + 1);
            let times = gather(&qtime, &rows);
            for prevailing in [false, true] {
                let w = windows(&times, &start, &pkey, (&lo, &hi), prevailing);
                let got =
                    run(&qtime, &qkey, &vals, &pkey, (&lo, &hi), ng as usize + 1, prevailing, &ops)
                        .expect("ordered");
                let want = [
                    Folded::F64(scatter(
                        &extreme(&vals, &rows, &w.spans, false, (f64::INFINITY, f64::NAN)),
                        &w.order,
                    )),
                    Folded::F64(scatter(
                        &extreme(&vals, &rows, &w.spans, true, (f64::NEG_INFINITY, f64::NAN)),
                        &w.order,
                    )),
                    Folded::F64(scatter(&first(&vals, &rows, &w.spans), &w.order)),
                    Folded::F64(scatter(&last(&vals, &rows, &w.spans), &w.order)),
                    Folded::I64(scatter(&count(&w.spans), &w.order)),
                ];
                for (op, (g, w)) in ops.iter().zip(got.iter().zip(&want)) {
                    let same = match (g, w) {
                        (Folded::F64(a), Folded::F64(b)) => {
                            a.len() == b.len()
                                && a.iter()
                                    .zip(b)
                                    .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
                        }
                        _ => g == w,
                    };
                    assert!(same, "round {round} {op:?} prevailing {prevailing}: {g:?} vs {w:?}");
                }
            }
        }
        // Chunks of the probes, end to end, give the whole sweep's answer.
        {
            let mut x = 77u64;
            let mut rnd = |m: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % m
            };
            let mut t = 0i64;
            let qt: Vec<i64> = (0..300)
                .map(|_| {
                    t += rnd(3) as i64;
                    t
                })
                .collect();
            let qk: Vec<u32> = (0..300).map(|_| rnd(4) as u32).collect();
            let v: Vec<f64> =
                (0..300).map(|_| if rnd(7) == 0 { f64::NAN } else { rnd(40) as f64 }).collect();
            let mut u = 0i64;
            let hi: Vec<i64> = (0..120)
                .map(|_| {
                    u += rnd(5) as i64;
                    u
                })
                .collect();
            let lo: Vec<i64> = hi.iter().map(|h| h - 9).collect();
            let pk: Vec<u32> = (0..120).map(|_| rnd(5) as u32).collect();
            for pre in [false, true] {
                let whole = run(&qt, &qk, &v, &pk, (&lo, &hi), 5, pre, &ops).expect("ordered");
                for cut in [1usize, 37, 60, 119] {
                    let mut parts = Vec::new();
                    for r in [0..cut, cut..120] {
                        let mut folds: Vec<Box<dyn WindowFold>> = ops
                            .iter()
                            .map(|&op| {
                                let id = if op == FoldOp::Max {
                                    f64::NEG_INFINITY
                                } else {
                                    f64::INFINITY
                                };
                                Box::new(Fold::new(&v[..], op, (id, f64::NAN), r.len()))
                                    as Box<dyn WindowFold>
                            })
                            .collect();
                        let probes = (&pk[r.clone()], &lo[r.clone()], &hi[r.clone()]);
                        assert!(sweep_chunk((&qt, &qk), probes, (5, pre, u64::MAX), &mut folds));
                        parts.push(folds.into_iter().map(|f| f.finish()).collect::<Vec<_>>());
                    }
                    for (k, w) in whole.iter().enumerate() {
                        let joined = match (&parts[0][k], &parts[1][k]) {
                            (Folded::F64(a), Folded::F64(b)) => {
                                Folded::F64([&a[..], &b[..]].concat())
                            }
                            (Folded::I64(a), Folded::I64(b)) => {
                                Folded::I64([&a[..], &b[..]].concat())
                            }
                            _ => unreachable!("f64 and count folds only"),
                        };
                        let same = match (&joined, w) {
                            (Folded::F64(a), Folded::F64(b)) => {
                                a.iter().zip(b).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
                            }
                            _ => joined == *w,
                        };
                        assert!(same, "cut {cut} prevailing {pre} fold {k}");
                    }
                }
            }
        }
        // Out of order (even far past every window), or over budget: no answer.
        let late = run(&[1, 9, 2], &[0, 0, 1], &[1.0, 2.0, 3.0], &[1], (&[0], &[3]), 2, true, &ops);
        assert!(late.is_none());
        let back = run(&[1, 2], &[0, 0], &[1.0, 2.0], &[0, 0], (&[1, 0], &[5, 6]), 1, true, &ops);
        assert!(back.is_none());
        let mut f: Vec<Box<dyn WindowFold>> =
            vec![Box::new(Fold::new(&[1.0, 2.0][..], FoldOp::Max, (0.0, 0.0), 2))];
        assert!(!sweep((&[1, 2], &[0, 0]), &[0, 0], (&[0, 0], &[5, 6]), (1, true, 3), &mut f));
        assert!(ascending(&[1, 1, 2]) && !ascending(&[1, 0]) && ascending(&[]));
    }
}
