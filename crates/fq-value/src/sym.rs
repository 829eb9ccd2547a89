//! Interned symbols.
//!
//! Symbols are interned process-wide, as in kdb+: a symbol is a 4-byte id into one
//! append-only table of names, so symbol vectors are vectors of ids, comparison is an
//! integer compare, and a symbol column projects to an Arrow dictionary array. Names are
//! bytes (kdb+ symbols need not be UTF-8) and are never freed, as in kdb+.

use crate::hash::FxHashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock, RwLockReadGuard};

/// An interned symbol (q type -11).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct Sym(u32);

struct Interner {
    ids: FxHashMap<&'static [u8], u32>,
    names: Vec<&'static [u8]>,
    /// Each name of up to 7 bytes packed little-endian into a word (zero padding is its
    /// NUL terminator); [`LONG_NAME`] for longer names. Lets encoders write a symbol with
    /// one 8-byte store.
    packed: Vec<u64>,
}

/// The packed form of a name longer than 7 bytes.
pub const LONG_NAME: u64 = u64::MAX;

fn pack(name: &[u8]) -> u64 {
    if name.len() > 7 {
        return LONG_NAME;
    }
    let mut a = [0u8; 8];
    a[..name.len()].copy_from_slice(name);
    u64::from_le_bytes(a)
}

/// The length of a packed short name.
#[inline]
pub fn packed_len(w: u64) -> usize {
    8 - (w.leading_zeros() / 8) as usize
}

impl Interner {
    fn push(&mut self, name: &[u8]) -> u32 {
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let leaked: &'static [u8] = Box::leak(name.to_vec().into_boxed_slice());
        self.names.push(leaked);
        self.packed.push(pack(leaked));
        self.ids.insert(leaked, id);
        id
    }
}

fn interner() -> &'static RwLock<Interner> {
    static INTERNER: OnceLock<RwLock<Interner>> = OnceLock::new();
    INTERNER.get_or_init(|| {
        let mut ids = FxHashMap::default();
        ids.insert(&b""[..], 0);
        RwLock::new(Interner { ids, names: vec![&b""[..]], packed: vec![0] })
    })
}

fn read() -> RwLockReadGuard<'static, Interner> {
    // A poisoned lock only means a panic elsewhere while holding it; the table itself is
    // append-only and always consistent, so keep using it.
    interner().read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sym {
    /// The empty symbol `` ` `` (the symbol null).
    pub const EMPTY: Sym = Sym(0);

    /// Intern a name given as bytes.
    pub fn from_bytes(name: &[u8]) -> Sym {
        if name.is_empty() {
            return Sym::EMPTY;
        }
        if let Some(&id) = read().ids.get(name) {
            return Sym(id);
        }
        let mut w = interner().write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(&id) = w.ids.get(name) {
            return Sym(id);
        }
        Sym(w.push(name))
    }

    /// Intern a name.
    #[allow(clippy::should_implement_trait)]
    pub fn new(name: &str) -> Sym {
        Sym::from_bytes(name.as_bytes())
    }

    /// The symbol's id in the process-wide table.
    #[inline]
    pub const fn id(self) -> u32 {
        self.0
    }

    /// The symbol for an id, if that id has been interned.
    pub fn from_id(id: u32) -> Option<Sym> {
        (id < symbol_count()).then_some(Sym(id))
    }

    /// The name's bytes.
    pub fn as_bytes(self) -> &'static [u8] {
        read().names.get(self.0 as usize).copied().unwrap_or(b"")
    }

    /// The name as text (invalid UTF-8 replaced).
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    /// True for the null symbol `` ` ``.
    #[inline]
    pub const fn is_null(self) -> bool {
        self.0 == 0
    }
}

/// Number of distinct symbols interned so far.
pub fn symbol_count() -> u32 {
    u32::try_from(read().names.len()).unwrap_or(u32::MAX)
}

/// Run `f` with the whole name table (indexed by id) under one read lock, for
/// bulk work such as encoding a symbol vector. Do not intern inside `f`.
pub fn with_names<R>(f: impl FnOnce(&[&'static [u8]]) -> R) -> R {
    let guard = read();
    f(&guard.names)
}

/// Like [`with_names`], also giving the packed short forms (see [`LONG_NAME`]).
pub fn with_packed<R>(f: impl FnOnce(&[&'static [u8]], &[u64]) -> R) -> R {
    let guard = read();
    f(&guard.names, &guard.packed)
}

/// Intern many names at once under one write lock.
pub fn intern_all<'a>(names: impl IntoIterator<Item = &'a [u8]>, out: &mut Vec<Sym>) {
    let mut w = interner().write().unwrap_or_else(std::sync::PoisonError::into_inner);
    for name in names {
        let id = match w.ids.get(name) {
            Some(&id) => id,
            None => w.push(name),
        };
        out.push(Sym(id));
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Sym {
        Sym::new(s)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}", self.name())
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intern() {
        let a = Sym::new("abc");
        assert_eq!(a, Sym::from_bytes(b"abc"));
        assert_eq!(a.as_bytes(), b"abc");
        assert_ne!(a, Sym::new("abd"));
        assert!(Sym::new("").is_null());
        assert_eq!(Sym::EMPTY.as_bytes(), b"");
        let bad = Sym::from_bytes(&[0xff, 0xfe]);
        assert_eq!(bad.as_bytes(), &[0xff, 0xfe]);
        let mut v = Vec::new();
        intern_all([&b"x1"[..], b"abc", b"x1"], &mut v);
        assert_eq!(v[1], a);
        assert_eq!(v[0], v[2]);
        assert_eq!(Sym::from_id(a.id()), Some(a));
        assert_eq!(Sym::from_id(u32::MAX), None);
        with_names(|n| assert_eq!(n[a.id() as usize], b"abc"));
        // Intern before taking the read lock: interning inside `with_packed` would deadlock.
        let (long, seven) = (Sym::new("abcdefgh"), Sym::new("abcdefg"));
        with_packed(|_, p| {
            assert_eq!(packed_len(p[a.id() as usize]), 3);
            assert_eq!(p[0], 0);
            assert_eq!(p[long.id() as usize], LONG_NAME);
            assert_eq!(packed_len(p[seven.id() as usize]), 7);
        });
    }
}
