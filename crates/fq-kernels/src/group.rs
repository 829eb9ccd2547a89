//! Dense group ids: each distinct key gets an id `0..n` in order of first appearance.

/// Ids for keys known to lie in `0..domain` (symbol ids, enumeration indices, small
/// integers after an offset), through a direct table: one load and store per row.
pub fn dense_small(keys: &[u32], domain: usize) -> (Vec<u32>, usize) {
    let mut map = vec![u32::MAX; domain];
    let mut ids = Vec::with_capacity(keys.len());
    let mut n = 0u32;
    for &k in keys {
        let slot = &mut map[k as usize];
        if *slot == u32::MAX {
            *slot = n;
            n += 1;
        }
        ids.push(*slot);
    }
    (ids, n as usize)
}

/// [`dense_small`] for keys read through `key` (symbol ids) without copying them first.
pub fn dense_small_by<K: Copy>(
    keys: &[K],
    domain: usize,
    key: impl Fn(K) -> usize,
) -> (Vec<u32>, usize) {
    let mut map = vec![u32::MAX; domain];
    let mut ids = Vec::with_capacity(keys.len());
    let mut n = 0u32;
    for &k in keys {
        let slot = &mut map[key(k)];
        if *slot == u32::MAX {
            *slot = n;
            n += 1;
        }
        ids.push(*slot);
    }
    (ids, n as usize)
}

/// [`dense_small_by`] writing the ids into `out` (as long as `keys`); returns the key of
/// each id, in id order.
pub fn dense_small_into<K: Copy>(
    keys: &[K],
    domain: usize,
    key: impl Fn(K) -> usize,
    out: &mut [u32],
) -> Vec<usize> {
    let mut map = vec![u32::MAX; domain];
    let mut seen = Vec::new();
    for (&k, o) in keys.iter().zip(out.iter_mut()) {
        let kk = key(k);
        let slot = &mut map[kk];
        if *slot == u32::MAX {
            *slot = seen.len() as u32;
            seen.push(kk);
        }
        *o = *slot;
    }
    seen
}

/// Ids for 64-bit keys through an open-addressing hash table.
pub fn dense_hash(keys: &[i64]) -> (Vec<u32>, usize) {
    let mut t = Table::new(1024);
    let ids: Vec<u32> = keys.iter().map(|&k| t.id(k as u64)).collect();
    (ids, t.len as usize)
}

/// Ids for 32-bit integer keys: a direct table over their range when it is small,
/// hashing otherwise.
pub fn dense_i32(keys: &[i32]) -> (Vec<u32>, usize) {
    let (lo, hi) = keys.iter().fold((i32::MAX, i32::MIN), |(l, h), &k| (l.min(k), h.max(k)));
    if keys.is_empty() {
        return (Vec::new(), 0);
    }
    let span = (i64::from(hi) - i64::from(lo)) as u64 + 1;
    if span <= (keys.len() as u64 * 4).max(1 << 16) {
        let off: Vec<u32> = keys.iter().map(|&k| (i64::from(k) - i64::from(lo)) as u32).collect();
        return dense_small(&off, span as usize);
    }
    let wide: Vec<i64> = keys.iter().map(|&k| i64::from(k)).collect();
    dense_hash(&wide)
}

/// Ids for 64-bit integer keys: a direct table over a small range, hashing otherwise.
pub fn dense_i64(keys: &[i64]) -> (Vec<u32>, usize) {
    if keys.is_empty() {
        return (Vec::new(), 0);
    }
    let (lo, hi) = keys.iter().fold((i64::MAX, i64::MIN), |(l, h), &k| (l.min(k), h.max(k)));
    let span = (hi as i128 - lo as i128) as u128 + 1;
    if span <= (keys.len() as u128 * 4).max(1 << 16) {
        let off: Vec<u32> = keys.iter().map(|&k| (k.wrapping_sub(lo)) as u32).collect();
        return dense_small(&off, span as usize);
    }
    dense_hash(keys)
}

/// Combine the ids of a second key into the first: rows get equal ids exactly when both
/// keys are equal. Returns the new number of groups.
pub fn combine(ids: &mut [u32], na: usize, other: &[u32], nb: usize) -> usize {
    let slots = na as u64 * nb as u64;
    if slots <= (ids.len() as u64 * 4).max(1 << 20) {
        let mut map = vec![u32::MAX; slots as usize];
        let mut n = 0u32;
        for (a, &b) in ids.iter_mut().zip(other) {
            let slot = &mut map[*a as usize * nb + b as usize];
            if *slot == u32::MAX {
                *slot = n;
                n += 1;
            }
            *a = *slot;
        }
        return n as usize;
    }
    let mut t = Table::new(1024);
    for (a, &b) in ids.iter_mut().zip(other) {
        *a = t.id(u64::from(*a) * nb as u64 + u64::from(b));
    }
    t.len as usize
}

/// The first row of each group.
pub fn first_rows(ids: &[u32], n: usize) -> Vec<u32> {
    let mut first = vec![u32::MAX; n];
    for (r, &g) in ids.iter().enumerate() {
        let f = &mut first[g as usize];
        if *f == u32::MAX {
            *f = r as u32;
        }
    }
    first
}

/// Rows of each group, as offsets into one array (counting sort by group, stable).
pub fn rows_by_group(ids: &[u32], n: usize) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n + 1];
    for &g in ids {
        start[g as usize + 1] += 1;
    }
    for k in 0..n {
        start[k + 1] += start[k];
    }
    let mut fill = start.clone();
    let mut rows = vec![0u32; ids.len()];
    for (r, &g) in ids.iter().enumerate() {
        let f = &mut fill[g as usize];
        rows[*f as usize] = r as u32;
        *f += 1;
    }
    (start, rows)
}

/// A minimal open-addressing map from u64 keys to dense ids.
struct Table {
    keys: Vec<u64>,
    vals: Vec<u32>,
    mask: usize,
    len: u32,
}

impl Table {
    fn new(cap: usize) -> Table {
        let cap = cap.next_power_of_two();
        Table { keys: vec![0; cap], vals: vec![u32::MAX; cap], mask: cap - 1, len: 0 }
    }

    #[inline]
    fn hash(k: u64) -> usize {
        (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17) as usize
    }

    #[inline]
    fn id(&mut self, k: u64) -> u32 {
        if (self.len as usize + 1) * 2 > self.keys.len() {
            self.grow();
        }
        let mut p = Self::hash(k) & self.mask;
        loop {
            if self.vals[p] == u32::MAX {
                self.keys[p] = k;
                self.vals[p] = self.len;
                self.len += 1;
                return self.vals[p];
            }
            if self.keys[p] == k {
                return self.vals[p];
            }
            p = (p + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let cap = self.keys.len() * 2;
        let old_k = std::mem::replace(&mut self.keys, vec![0; cap]);
        let old_v = std::mem::replace(&mut self.vals, vec![u32::MAX; cap]);
        self.mask = cap - 1;
        for (k, v) in old_k.into_iter().zip(old_v) {
            if v != u32::MAX {
                let mut p = Self::hash(k) & self.mask;
                while self.vals[p] != u32::MAX {
                    p = (p + 1) & self.mask;
                }
                self.keys[p] = k;
                self.vals[p] = v;
            }
        }
    }
}

/// Ids shared by two key lists over `0..domain`: build keys get dense ids in first-seen
/// order; probe keys get the same id as an equal build key, or `u32::MAX` when the build
/// side has no such key. Returns (build ids, probe ids, number of build groups).
pub fn dense_small_pair(
    build: &[u32],
    probe: &[u32],
    domain: usize,
) -> (Vec<u32>, Vec<u32>, usize) {
    let mut map = vec![u32::MAX; domain];
    let mut n = 0u32;
    let mut b = Vec::with_capacity(build.len());
    for &k in build {
        let slot = &mut map[k as usize];
        if *slot == u32::MAX {
            *slot = n;
            n += 1;
        }
        b.push(*slot);
    }
    let p = probe.iter().map(|&k| map[k as usize]).collect();
    (b, p, n as usize)
}

/// The last row of each distinct key (keys in `0..domain`, read through `key`): one store
/// per row into a table indexed by key. Returns the last rows of the keys present, in
/// key order. `rows`: the rows to consider (all when `None`).
pub fn last_by<K: Copy>(
    keys: &[K],
    rows: Option<&[i64]>,
    domain: usize,
    key: impl Fn(K) -> usize,
) -> Vec<u32> {
    let mut last = vec![u32::MAX; domain];
    match rows {
        None => {
            for (r, &k) in keys.iter().enumerate() {
                last[key(k)] = r as u32;
            }
        }
        Some(rs) => {
            for &r in rs {
                last[key(keys[r as usize])] = r as u32;
            }
        }
    }
    last.into_iter().filter(|&r| r != u32::MAX).collect()
}

/// First row, last row and row count of each distinct key (keys in `0..domain`, read
/// through `key`), in order of first appearance, in one pass and without per-row ids.
/// `rows`: the rows to consider (all when `None`).
pub fn first_last_count_by<K: Copy>(
    keys: &[K],
    rows: Option<&[i64]>,
    domain: usize,
    key: impl Fn(K) -> usize,
) -> (Vec<u32>, Vec<u32>, Vec<i64>) {
    let mut slot = vec![u32::MAX; domain];
    let (mut firsts, mut lasts, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    let mut visit = |r: usize| {
        let s = &mut slot[key(keys[r])];
        if *s == u32::MAX {
            *s = firsts.len() as u32;
            firsts.push(r as u32);
            lasts.push(r as u32);
            counts.push(1);
        } else {
            lasts[*s as usize] = r as u32;
            counts[*s as usize] += 1;
        }
    };
    match rows {
        None => (0..keys.len()).for_each(&mut visit),
        Some(rs) => rs.iter().for_each(|&r| visit(r as usize)),
    }
    (firsts, lasts, counts)
}

/// The rows of each distinct key, for keys in `0..domain` (symbol ids): the index behind
/// `g#`. Rows of a key are in ascending order.
pub struct GroupIndex {
    slot: Vec<u32>,
    start: Vec<u32>,
    rows: Vec<u32>,
}

impl GroupIndex {
    /// Index `keys`, read through `key`.
    pub fn build_by<K: Copy>(keys: &[K], domain: usize, key: impl Fn(K) -> usize) -> GroupIndex {
        let (ids, n) = dense_small_by(keys, domain, &key);
        let mut slot = vec![u32::MAX; domain];
        for (&k, &g) in keys.iter().zip(&ids) {
            slot[key(k)] = g;
        }
        let (start, rows) = rows_by_group(&ids, n);
        GroupIndex { slot, start, rows }
    }

    /// The rows holding key `k` (empty when none).
    pub fn rows_of(&self, k: usize) -> &[u32] {
        match self.slot.get(k) {
            Some(&g) if g != u32::MAX => {
                &self.rows[self.start[g as usize] as usize..self.start[g as usize + 1] as usize]
            }
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_first_seen_order() {
        assert_eq!(dense_small(&[3, 1, 3, 0, 1], 4), (vec![0, 1, 0, 2, 1], 3));
        assert_eq!(dense_hash(&[30, -1, 30, i64::MIN]), (vec![0, 1, 0, 2], 3));
        assert_eq!(dense_i64(&[5, 1 << 40, 5]), (vec![0, 1, 0], 2));
        assert_eq!(dense_i32(&[i32::MIN, 7, 7]), (vec![0, 1, 1], 2));
        let keys: Vec<i64> = (0..100_000).map(|i| (i * 7919) % 1000).collect();
        let (ids, n) = dense_hash(&keys);
        assert_eq!(n, 1000);
        assert_eq!(ids[0], ids[1000]);
    }

    #[test]
    fn combining_keys() {
        let mut a = vec![0, 0, 1, 1, 0];
        let n = combine(&mut a, 2, &[0, 1, 0, 1, 0], 2);
        assert_eq!((a, n), (vec![0, 1, 2, 3, 0], 4));
        let (start, rows) = rows_by_group(&[1, 0, 1, 2], 3);
        assert_eq!(start, vec![0, 1, 3, 4]);
        assert_eq!(rows, vec![1, 0, 2, 3]);
        assert_eq!(first_rows(&[1, 0, 1, 2], 3), vec![1, 0, 3]);
        let ix = GroupIndex::build_by(&[5u32, 2, 5, 7], 8, |k| k as usize);
        assert_eq!(ix.rows_of(5), &[0, 2]);
        assert_eq!(ix.rows_of(7), &[3]);
        assert!(ix.rows_of(1).is_empty() && ix.rows_of(100).is_empty());
    }
}
