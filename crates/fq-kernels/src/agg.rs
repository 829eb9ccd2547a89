//! Aggregates by group: one pass over the rows, one accumulator per group.
//!
//! `ids[r]` is row `r`'s group (`0..n`). Null handling follows q's aggregates: `sum`
//! skips nulls, `max`/`min` skip nulls (an all-null integer group gives the fold's
//! identity `-0W`/`0W`, an all-null float group null), `avg` averages the non-nulls.

/// q's long null.
pub const NULL_I64: i64 = i64::MIN;

/// Rows per group.
pub fn count(ids: &[u32], n: usize) -> Vec<i64> {
    let mut out = vec![0i64; n];
    for &g in ids {
        out[g as usize] += 1;
    }
    out
}

/// Sum of longs per group, nulls skipped.
pub fn sum_i64(vals: &[i64], ids: &[u32], n: usize) -> Vec<i64> {
    let mut out = vec![0i64; n];
    for (&v, &g) in vals.iter().zip(ids) {
        if v != NULL_I64 {
            let s = &mut out[g as usize];
            *s = s.wrapping_add(v);
        }
    }
    out
}

/// Sum of floats per group, nulls skipped.
pub fn sum_f64(vals: &[f64], ids: &[u32], n: usize) -> Vec<f64> {
    let mut out = vec![0f64; n];
    for (&v, &g) in vals.iter().zip(ids) {
        if !v.is_nan() {
            out[g as usize] += v;
        }
    }
    out
}

/// Sum of the non-null floats of a slice, as `sum` adds them: eight running lanes over
/// blocks of eight, then the lanes, then the tail (so results are the same wherever a
/// float sum is taken).
pub fn sum_slice_f64(xs: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = xs.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] += if c[k].is_nan() { 0.0 } else { c[k] };
        }
    }
    let tail: f64 = chunks.remainder().iter().filter(|a| !a.is_nan()).sum();
    acc.iter().sum::<f64>() + tail
}

/// Maximum (or minimum) of longs per group, nulls skipped.
pub fn extreme_i64(vals: &[i64], ids: &[u32], n: usize, max: bool) -> Vec<i64> {
    if max {
        let mut out = vec![-i64::MAX; n];
        for (&v, &g) in vals.iter().zip(ids) {
            let s = &mut out[g as usize];
            if v > *s {
                *s = v;
            }
        }
        out
    } else {
        let mut out = vec![i64::MAX; n];
        for (&v, &g) in vals.iter().zip(ids) {
            let s = &mut out[g as usize];
            if v != NULL_I64 && v < *s {
                *s = v;
            }
        }
        out
    }
}

/// Maximum (or minimum) of floats per group, nulls skipped; null when all are.
pub fn extreme_f64(vals: &[f64], ids: &[u32], n: usize, max: bool) -> Vec<f64> {
    // IEEE maxNum/minNum (`f64::max`) return the non-NaN operand: a null never wins and a
    // null accumulator (nothing seen yet) always loses, without branches.
    let mut out = vec![f64::NAN; n];
    if max {
        for (&v, &g) in vals.iter().zip(ids) {
            let s = &mut out[g as usize];
            *s = s.max(v);
        }
    } else {
        for (&v, &g) in vals.iter().zip(ids) {
            let s = &mut out[g as usize];
            *s = s.min(v);
        }
    }
    out
}

/// The first row of each group.
pub fn first_row(ids: &[u32], n: usize) -> Vec<u32> {
    crate::group::first_rows(ids, n)
}

/// The last row of each group.
pub fn last_row(ids: &[u32], n: usize) -> Vec<u32> {
    let mut last = vec![u32::MAX; n];
    for (r, &g) in ids.iter().enumerate() {
        last[g as usize] = r as u32;
    }
    last
}

/// Mean of the non-null longs per group (null when none).
pub fn avg_i64(vals: &[i64], ids: &[u32], n: usize) -> Vec<f64> {
    avg_finish(&avg_parts_i64(vals, ids, n))
}

/// Mean of the non-null floats per group (null when none).
pub fn avg_f64(vals: &[f64], ids: &[u32], n: usize) -> Vec<f64> {
    avg_finish(&avg_parts_f64(vals, ids, n))
}

/// Partial means: the sum and count of the non-null items per group. Partials of
/// consecutive row ranges combine with [`combine_parts`].
pub fn avg_parts_i64(vals: &[i64], ids: &[u32], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut s = vec![0f64; n];
    let mut c = vec![0f64; n];
    for (&v, &g) in vals.iter().zip(ids) {
        if v != NULL_I64 {
            s[g as usize] += v as f64;
            c[g as usize] += 1.0;
        }
    }
    (s, c)
}

/// [`avg_parts_i64`] for floats.
pub fn avg_parts_f64(vals: &[f64], ids: &[u32], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut s = vec![0f64; n];
    let mut c = vec![0f64; n];
    for (&v, &g) in vals.iter().zip(ids) {
        if !v.is_nan() {
            s[g as usize] += v;
            c[g as usize] += 1.0;
        }
    }
    (s, c)
}

/// Means from partial sums and counts (null where the count is 0).
pub fn avg_finish((s, c): &(Vec<f64>, Vec<f64>)) -> Vec<f64> {
    s.iter().zip(c).map(|(&a, &k)| if k == 0.0 { f64::NAN } else { a / k }).collect()
}

/// Add the second partial (sums, counts or weights) into the first, group by group.
pub fn combine_parts(acc: &mut (Vec<f64>, Vec<f64>), other: (Vec<f64>, Vec<f64>)) {
    for (a, b) in acc.0.iter_mut().zip(&other.0) {
        *a += b;
    }
    for (a, b) in acc.1.iter_mut().zip(&other.1) {
        *a += b;
    }
}

/// `w wavg v` per group: sum of `w*v` over pairs with neither null, divided by the sum
/// of those weights.
pub fn wavg(w: &[f64], v: &[f64], ids: &[u32], n: usize) -> Vec<f64> {
    wavg_finish(&wavg_parts(w, v, ids, n))
}

/// [`wavg`] with long weights (nulls skipped, as in [`wavg`]).
pub fn wavg_i64(w: &[i64], v: &[f64], ids: &[u32], n: usize) -> Vec<f64> {
    wavg_finish(&wavg_parts_i64(w, v, ids, n))
}

/// Partial weighted means: `sum w*v` and `sum w` per group ([`combine_parts`]).
pub fn wavg_parts(w: &[f64], v: &[f64], ids: &[u32], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut num = vec![0f64; n];
    let mut den = vec![0f64; n];
    for ((&a, &b), &g) in w.iter().zip(v).zip(ids) {
        if !a.is_nan() && !b.is_nan() {
            num[g as usize] += a * b;
            den[g as usize] += a;
        }
    }
    (num, den)
}

/// [`wavg_parts`] with long weights.
pub fn wavg_parts_i64(w: &[i64], v: &[f64], ids: &[u32], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut num = vec![0f64; n];
    let mut den = vec![0f64; n];
    for ((&a, &b), &g) in w.iter().zip(v).zip(ids) {
        if a != NULL_I64 && !b.is_nan() {
            let a = a as f64;
            num[g as usize] += a * b;
            den[g as usize] += a;
        }
    }
    (num, den)
}

/// Weighted means from partials.
pub fn wavg_finish((num, den): &(Vec<f64>, Vec<f64>)) -> Vec<f64> {
    num.iter().zip(den).map(|(a, b)| a / b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_skip_nulls() {
        let ids = [0, 1, 0, 1, 2];
        assert_eq!(count(&ids, 3), vec![2, 2, 1]);
        assert_eq!(sum_i64(&[1, 2, NULL_I64, 4, NULL_I64], &ids, 3), vec![1, 6, 0]);
        assert_eq!(
            extreme_i64(&[1, 2, NULL_I64, 4, NULL_I64], &ids, 3, true),
            vec![1, 4, -i64::MAX]
        );
        assert_eq!(
            extreme_i64(&[1, 2, NULL_I64, 4, NULL_I64], &ids, 3, false),
            vec![1, 2, i64::MAX]
        );
        let f = [1.0, f64::NAN, 3.0, 0.5, f64::NAN];
        let mx = extreme_f64(&f, &ids, 3, true);
        assert_eq!((mx[0], mx[1]), (3.0, 0.5));
        assert!(mx[2].is_nan());
        assert_eq!(extreme_f64(&f, &ids, 3, false)[0], 1.0);
        assert_eq!(sum_f64(&f, &ids, 3)[..2], [4.0, 0.5]);
        assert_eq!(last_row(&ids, 3), vec![2, 3, 4]);
        assert_eq!(avg_i64(&[1, 2, 3, NULL_I64, 5], &ids, 3)[..2], [2.0, 2.0]);
        assert_eq!(
            wavg(&[1.0, 1.0, 3.0, 1.0, 1.0], &[2.0, 4.0, 4.0, f64::NAN, 1.0], &ids, 3)[0],
            3.5
        );
    }
}
