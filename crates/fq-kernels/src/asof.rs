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

/// One chunk of [`asof_sorted_keyed`] for a parallel pass: the probes `probe_k`/`probe_t`
/// (a contiguous run of the time-sorted probes) against the build rows from `from` on,
/// where `from` is the first build row after the previous chunk's last probe time. The
/// chunk starts having seen no build row, so a probe whose key has no row in
/// `from..` up to its time gets -1; [`asof_join_chunks`] fills those from the rows
/// before `from`. Returns the positions and, per key, the last build row the chunk saw
/// (-1 for none).
pub fn asof_sorted_keyed_chunk<K: Copy>(
    (build_k, build_t): (&[K], &[i64]),
    from: usize,
    (probe_k, probe_t): (&[K], &[i64]),
    domain: usize,
    key: impl Fn(K) -> usize,
) -> (Vec<i64>, Vec<i64>) {
    let mut last = vec![-1i64; domain];
    let mut out = Vec::with_capacity(probe_t.len());
    let nb = build_t.len().min(build_k.len());
    let mut j = from.min(nb);
    for (&k, &t) in probe_k.iter().zip(probe_t) {
        while j < nb && build_t[j] <= t {
            last[key(build_k[j])] = j as i64;
            j += 1;
        }
        out.push(last[key(k)]);
    }
    (out, last)
}

/// The chunks' results of [`asof_sorted_keyed_chunk`], in probe order, joined into the
/// positions [`asof_sorted_keyed`] gives: each chunk's unmatched probes take the last row
/// of their key from the chunks before.
pub fn asof_join_chunks<K: Copy>(
    parts: Vec<(Vec<i64>, Vec<i64>)>,
    probe_k: &[K],
    domain: usize,
    key: impl Fn(K) -> usize,
) -> Vec<i64> {
    let n: usize = parts.iter().map(|(o, _)| o.len()).sum();
    let mut out = Vec::with_capacity(n);
    let mut carry = vec![-1i64; domain];
    for (c, (pos, last)) in parts.into_iter().enumerate() {
        let start = out.len();
        if c == 0 {
            out.extend_from_slice(&pos);
        } else {
            let ks = &probe_k[start..start + pos.len()];
            out.extend(pos.iter().zip(ks).map(|(&p, &k)| if p < 0 { carry[key(k)] } else { p }));
        }
        for (cv, &l) in carry.iter_mut().zip(&last) {
            if l >= 0 {
                *cv = l;
            }
        }
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
        // The same probes in chunks, joined, give the one-pass answer.
        let (bk, bt) = ([0u32, 1, 0, 1, 2, 0], [1i64, 2, 3, 4, 4, 9]);
        let (pk, pt) = ([0u32, 1, 2, 1, 0, 2, 0], [0i64, 2, 3, 5, 5, 6, 9]);
        let whole = asof_sorted_keyed(&bk, &bt, &pk, &pt, 3, |k| k as usize);
        assert_eq!(whole, vec![-1, 1, -1, 3, 2, 4, 5]);
        for cut in 0..=pk.len() {
            let from = bt.partition_point(|&t| cut > 0 && t <= pt[cut - 1]);
            let parts = vec![
                asof_sorted_keyed_chunk((&bk, &bt), 0, (&pk[..cut], &pt[..cut]), 3, |k| k as usize),
                asof_sorted_keyed_chunk((&bk, &bt), from, (&pk[cut..], &pt[cut..]), 3, |k| {
                    k as usize
                }),
            ];
            assert_eq!(asof_join_chunks(parts, &pk, 3, |k| k as usize), whole, "cut {cut}");
        }
        assert!(!is_sorted(&[2, 1]));
    }
}
