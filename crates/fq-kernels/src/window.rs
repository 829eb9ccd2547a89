//! Window aggregates for window joins (`wj`, `wj1`).
//!
//! The build rows are laid out group by group (`group::rows_by_group`: group `g` holds
//! positions `start[g]..start[g+1]`, in table order), and each build column is gathered
//! into that layout, so every probe's window is one contiguous run of positions, a
//! [`Span`] `[s, e)`. The aggregates then read runs of plain slices:
//!
//! - `min`/`max` keep a monotonic deque per group: when a group's probes come in time
//!   order both ends of its spans never move backwards, and each position enters and
//!   leaves the deque at most once. A span that moves backwards restarts its group's
//!   deque, so any order is correct and only the monotone case is O(1) amortised.
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
}

impl Elem for f64 {
    const NULL: f64 = f64::NAN;
    #[inline]
    fn is_null(self) -> bool {
        self.is_nan()
    }
}

impl Elem for f32 {
    const NULL: f32 = f32::NAN;
    #[inline]
    fn is_null(self) -> bool {
        self.is_nan()
    }
}

impl Elem for i64 {
    const NULL: i64 = i64::MIN;
    #[inline]
    fn is_null(self) -> bool {
        self == i64::MIN
    }
}

impl Elem for i32 {
    const NULL: i32 = i32::MIN;
    #[inline]
    fn is_null(self) -> bool {
        self == i32::MIN
    }
}

/// `vals` in the group-ordered layout: `out[k] = vals[rows[k]]`.
pub fn gather<T: Copy>(vals: &[T], rows: &[u32]) -> Vec<T> {
    rows.iter().map(|&r| vals[r as usize]).collect()
}

/// Each probe's window as a span of the group-ordered build `times` (ascending within
/// each group). Probe `p` belongs to group `group[p]` ([`NO_GROUP`](crate::asof::NO_GROUP): an empty window) and
/// its window holds the times in `[lo[p], hi[p]]`; with `prevailing` (`wj`) it also holds
/// the last time before `lo[p]` when no time equals `lo[p]` (the quote in force when the
/// window opens). When `lo` and `hi` are both in ascending order one forward cursor per
/// group finds the ends; otherwise a binary search per probe.
pub fn spans(
    times: &[i64],
    start: &[u32],
    group: &[u32],
    lo: &[i64],
    hi: &[i64],
    prevailing: bool,
) -> Vec<Span> {
    let ng = start.len().saturating_sub(1);
    let n = group.len().min(lo.len()).min(hi.len());
    let mut out = Vec::with_capacity(n);
    let finish = |s: u32, e: u32, g: usize, l: i64| -> Span {
        let mut s = s;
        if prevailing && s > start[g] && (s == start[g + 1] || times[s as usize] > l) {
            s -= 1;
        }
        (s, e.max(s))
    };
    if crate::asof::is_sorted(&lo[..n]) && crate::asof::is_sorted(&hi[..n]) {
        let mut cur_lo: Vec<u32> = start[..ng].to_vec();
        let mut cur_hi = cur_lo.clone();
        for p in 0..n {
            let g = group[p] as usize;
            if g >= ng {
                out.push((0, 0));
                continue;
            }
            let end = start[g + 1];
            let (l, h) = (lo[p], hi[p]);
            let c = &mut cur_lo[g];
            while *c < end && times[*c as usize] < l {
                *c += 1;
            }
            let s = *c;
            let c = &mut cur_hi[g];
            while *c < end && times[*c as usize] <= h {
                *c += 1;
            }
            out.push(finish(s, *c, g, l));
        }
    } else {
        for p in 0..n {
            let g = group[p] as usize;
            if g >= ng {
                out.push((0, 0));
                continue;
            }
            let (a, b) = (start[g], start[g + 1]);
            let run = &times[a as usize..b as usize];
            let s = a + run.partition_point(|&t| t < lo[p]) as u32;
            let e = a + run.partition_point(|&t| t <= hi[p]) as u32;
            out.push(finish(s, e, g, lo[p]));
        }
    }
    out
}

/// Minimum (`max` false) or maximum of the non-null `vals` in each span. Probe `p`'s span
/// lies in group `group[p]`'s positions `start[g]..start[g+1]` (or is empty). `empty`: the
/// result of an empty span; `all_null`: of a span holding only nulls.
///
/// Each group keeps a monotonic deque of positions whose values strictly improve from
/// back to front, stored inside the group's own range of one arena (a group's deque never
/// holds more positions than the group has), so probes are visited in their own order and
/// the per-group state stays small. While a group's spans never move backwards every
/// position enters and leaves its deque at most once; a span that moves backwards restarts
/// its group's deque at the span's start. When the windows are short (together no longer
/// than twice the values) each is scanned instead: fewer values are read than the deques
/// would push.
pub fn extreme<T: Elem>(
    vals: &[T],
    spans: &[Span],
    group: &[u32],
    start: &[u32],
    max: bool,
    empty: T,
    all_null: T,
) -> Vec<T> {
    let total: u64 = spans.iter().map(|&(s, e)| u64::from(e.saturating_sub(s))).sum();
    match (max, total <= 2 * vals.len() as u64) {
        (true, true) => scan::<T, true>(vals, spans, empty, all_null),
        (false, true) => scan::<T, false>(vals, spans, empty, all_null),
        (true, false) => extreme_by::<T, true>(vals, spans, group, start, empty, all_null),
        (false, false) => extreme_by::<T, false>(vals, spans, group, start, empty, all_null),
    }
}

fn scan<T: Elem, const MAX: bool>(vals: &[T], spans: &[Span], empty: T, all_null: T) -> Vec<T> {
    spans
        .iter()
        .map(|&(s, e)| {
            if s >= e {
                return empty;
            }
            let mut acc: Option<T> = None;
            for &v in &vals[s as usize..e as usize] {
                if !v.is_null() && acc.is_none_or(|a| if MAX { v > a } else { v < a }) {
                    acc = Some(v);
                }
            }
            acc.unwrap_or(all_null)
        })
        .collect()
}

fn extreme_by<T: Elem, const MAX: bool>(
    vals: &[T],
    spans: &[Span],
    group: &[u32],
    start: &[u32],
    empty: T,
    all_null: T,
) -> Vec<T> {
    let ng = start.len().saturating_sub(1);
    let mut out = vec![empty; spans.len()];
    let mut arena = vec![0u32; vals.len()];
    // Per group: deque `arena[head..tail]`, next position to enter, previous span.
    let mut head: Vec<u32> = start[..ng].to_vec();
    let mut tail = head.clone();
    let mut next = head.clone();
    let mut prev: Vec<Span> = head.iter().map(|&s| (s, s)).collect();
    for (p, (&(s, e), &g)) in spans.iter().zip(group).enumerate() {
        let g = g as usize;
        if s >= e || g >= ng {
            continue;
        }
        let (ps, pe) = prev[g];
        let (mut h, mut t, mut nx) = (head[g], tail[g], next[g]);
        if s < ps || e < pe || nx < s {
            // Moved backwards (or past everything entered so far): start afresh at `s`.
            h = start[g];
            t = h;
            nx = s;
        }
        prev[g] = (s, e);
        while nx < e {
            let v = vals[nx as usize];
            if !v.is_null() {
                while t > h {
                    let b = vals[arena[t as usize - 1] as usize];
                    let dominated = if MAX { b <= v } else { b >= v };
                    if !dominated {
                        break;
                    }
                    t -= 1;
                }
                arena[t as usize] = nx;
                t += 1;
            }
            nx += 1;
        }
        while h < t && arena[h as usize] < s {
            h += 1;
        }
        if h == t {
            // Nothing live: reuse the range from its start.
            h = start[g];
            t = h;
            out[p] = all_null;
        } else {
            out[p] = vals[arena[h as usize] as usize];
        }
        (head[g], tail[g], next[g]) = (h, t, nx);
    }
    out
}

/// The first value of each span (null when empty; a null first value stays).
pub fn first<T: Elem>(vals: &[T], spans: &[Span]) -> Vec<T> {
    spans.iter().map(|&(s, e)| if s < e { vals[s as usize] } else { T::NULL }).collect()
}

/// The last value of each span (null when empty).
pub fn last<T: Elem>(vals: &[T], spans: &[Span]) -> Vec<T> {
    spans.iter().map(|&(s, e)| if s < e { vals[e as usize - 1] } else { T::NULL }).collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asof::NO_GROUP;

    /// Direct scan, the reference.
    fn scan(vals: &[f64], (s, e): Span, max: bool) -> f64 {
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

    #[test]
    fn spans_with_and_without_prevailing() {
        // group 0: times 1 3 5 7; group 1: times 2 4
        let times = [1, 3, 5, 7, 2, 4];
        let start = [0, 4, 6];
        let group = [0, 0, 1, NO_GROUP, 0];
        let lo = [2, 3, 3, 3, 8];
        let hi = [5, 6, 6, 9, 9];
        let wj = vec![(0, 3), (1, 3), (4, 6), (0, 0), (3, 4)];
        let wj1 = vec![(1, 3), (1, 3), (5, 6), (0, 0), (4, 4)];
        assert_eq!(spans(&times, &start, &group, &lo, &hi, true), wj);
        assert_eq!(spans(&times, &start, &group, &lo, &hi, false), wj1);
        // The same windows out of order take the binary-search path.
        let back = |v: &[i64]| v.iter().rev().copied().collect::<Vec<i64>>();
        let rgroup: Vec<u32> = group.iter().rev().copied().collect();
        let mut rev = spans(&times, &start, &rgroup, &back(&lo), &back(&hi), true);
        rev.reverse();
        assert_eq!(rev, wj);
        // Unsorted windows take the binary-search path and agree.
        let (lo2, hi2) = ([8, 2, 3], [9, 5, 6]);
        assert_eq!(
            spans(&times, &start, &[0, 0, 0], &lo2, &hi2, true),
            vec![(3, 4), (0, 3), (1, 3)]
        );
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
        // Two groups over the same values: group 0 holds positions 0..500, group 1 none.
        let group = vec![0u32; sp.len()];
        let start = [0u32, 500, 500];
        for max in [false, true] {
            let (id, null) =
                if max { (f64::NEG_INFINITY, f64::NAN) } else { (f64::INFINITY, f64::NAN) };
            let got = extreme(&vals, &sp, &group, &start, max, id, null);
            for (k, &span) in sp.iter().enumerate() {
                let want = scan(&vals, span, max);
                assert!(got[k] == want || (got[k].is_nan() && want.is_nan()), "{span:?}");
            }
        }
        let ints: Vec<i64> =
            vals.iter().map(|&v| if v.is_nan() { i64::MIN } else { v as i64 }).collect();
        let got = extreme(&ints, &sp, &group, &start, true, -i64::MAX, -i64::MAX);
        let sums = sum_i64(&ints, &sp);
        for (k, &(s, e)) in sp.iter().enumerate() {
            let w = ints[s as usize..e as usize].iter().filter(|&&v| v != i64::MIN);
            assert_eq!(got[k], w.clone().copied().fold(-i64::MAX, i64::max));
            assert_eq!(sums[k], w.sum::<i64>());
        }
    }

    #[test]
    fn order_and_ends() {
        // Interleaved groups keep their own deques.
        let vals = [5.0, 1.0, 4.0, 9.0, 2.0, 3.0];
        let start = [0, 3, 6];
        let sp = [(0, 2), (3, 5), (1, 3), (4, 6), (2, 3), (0, 0)];
        let grp = [0, 1, 0, 1, 0, NO_GROUP];
        let inf = f64::INFINITY;
        assert_eq!(
            extreme(&vals, &sp, &grp, &start, false, inf, f64::NAN),
            vec![1.0, 2.0, 1.0, 2.0, 4.0, inf]
        );
        // (short windows are scanned; the deques give the same)
        assert_eq!(
            extreme_by::<f64, false>(&vals, &sp, &grp, &start, inf, f64::NAN),
            vec![1.0, 2.0, 1.0, 2.0, 4.0, inf]
        );
        let v = [1i32, i32::MIN, 3];
        assert_eq!(first(&v, &[(1, 3), (2, 2)]), vec![i32::MIN, i32::MIN]);
        assert_eq!(last(&v, &[(0, 2), (0, 3)]), vec![i32::MIN, 3]);
        assert_eq!(count(&[(1, 3), (2, 2)]), vec![2, 0]);
        assert_eq!(sum_i32(&v, &[(0, 3), (1, 2)]), vec![4, 0]);
        assert_eq!(avg(&v, &[(0, 3), (1, 2)], f64::from)[0], 2.0);
        assert_eq!(gather(&[10, 20, 30], &[2, 0]), vec![30, 10]);
    }
}
