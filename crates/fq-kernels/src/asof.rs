//! As-of search: for each probe row, the last build row of the same group at or before
//! the probe's time.

/// Group id meaning "no such group on the build side".
pub const NO_GROUP: u32 = u32::MAX;

/// True when `t` never decreases.
pub fn is_sorted(t: &[i64]) -> bool {
    // Blocks without early exit inside, so the comparison loop vectorises.
    let pairs = t.len().saturating_sub(1);
    let mut start = 0;
    while start < pairs {
        let end = (start + 4096).min(pairs);
        let ok = t[start..end]
            .iter()
            .zip(&t[start + 1..end + 1])
            .fold(true, |acc, (a, b)| acc & (a <= b));
        if !ok {
            return false;
        }
        start = end;
    }
    true
}

/// As-of match when both sides are sorted by time: one merge pass keeping the last build
/// row seen per group. `build_g` ids are in `0..n`; a probe id of [`NO_GROUP`] matches
/// nothing. Returns the build row per probe row, -1 for none.
pub fn asof_sorted(
    build_g: &[u32],
    build_t: &[i64],
    probe_g: &[u32],
    probe_t: &[i64],
    n: usize,
) -> Vec<i64> {
    let mut last = vec![-1i64; n];
    let mut out = Vec::with_capacity(probe_t.len());
    let mut j = 0usize;
    for (&g, &t) in probe_g.iter().zip(probe_t) {
        while j < build_t.len() && build_t[j] <= t {
            last[build_g[j] as usize] = j as i64;
            j += 1;
        }
        out.push(if g == NO_GROUP { -1 } else { last[g as usize] });
    }
    out
}

/// As-of match for time-sorted sides keyed directly by small integer keys (symbol ids):
/// no group ids are built; `last` is indexed by `key(k)` in `0..domain`.
pub fn asof_sorted_keyed<K: Copy>(
    build_k: &[K],
    build_t: &[i64],
    probe_k: &[K],
    probe_t: &[i64],
    domain: usize,
    key: impl Fn(K) -> usize,
) -> Vec<i64> {
    let mut last = vec![-1i64; domain];
    let mut out = Vec::with_capacity(probe_t.len());
    let mut j = 0usize;
    let nb = build_t.len().min(build_k.len());
    for (&k, &t) in probe_k.iter().zip(probe_t) {
        while j < nb && build_t[j] <= t {
            last[key(build_k[j])] = j as i64;
            j += 1;
        }
        out.push(last[key(k)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_asof() {
        // build: times 1 2 3 4 for groups a b a b
        let r =
            asof_sorted(&[0, 1, 0, 1], &[1, 2, 3, 4], &[0, 1, 1, 0, NO_GROUP], &[0, 2, 3, 5, 5], 2);
        assert_eq!(r, vec![-1, 1, 1, 2, -1]);
        assert!(is_sorted(&[1, 1, 2]));
        assert!(!is_sorted(&[2, 1]));
    }
}
