//! 64-byte-aligned, reference-counted byte buffers laid out like Arrow's.
//!
//! A [`Buffer`] is a view (`offset`, `len`) into a shared [`RawBuffer`]: slicing is O(1),
//! clones share memory, and [`Buffer::make_mut`] copies only when the memory is shared,
//! is a sub-slice, or belongs to someone else (an Arrow array, a memory map).

use std::alloc::{self, Layout};
use std::any::Any;
use std::ptr::NonNull;
use std::sync::Arc;

/// Alignment of every owned allocation, as Arrow recommends.
pub const ALIGNMENT: usize = 64;

/// Plain-old-data element types a buffer may be viewed as.
///
/// # Safety
/// Implementors must be `Copy`, have no padding and no invalid bit patterns (every byte
/// sequence of `size_of::<Self>()` is a valid value), and alignment ≤ 8 (so memory aligned
/// to 8 bytes, as Arrow IPC guarantees, can be viewed as any element type).
pub unsafe trait Elem: Copy + Send + Sync + 'static {}

// SAFETY: primitive integers and floats: no padding, every bit pattern valid, align ≤ 8.
unsafe impl Elem for u8 {}
// SAFETY: as above.
unsafe impl Elem for i8 {}
// SAFETY: as above.
unsafe impl Elem for i16 {}
// SAFETY: as above.
unsafe impl Elem for u16 {}
// SAFETY: as above.
unsafe impl Elem for i32 {}
// SAFETY: as above.
unsafe impl Elem for u32 {}
// SAFETY: as above.
unsafe impl Elem for i64 {}
// SAFETY: as above.
unsafe impl Elem for u64 {}
// SAFETY: as above.
unsafe impl Elem for f32 {}
// SAFETY: as above.
unsafe impl Elem for f64 {}
// SAFETY: byte array: no padding, every pattern valid, align 1.
unsafe impl Elem for [u8; 16] {}
// SAFETY: `Sym` is `repr(transparent)` over u32; any u32 is a valid (possibly unknown) id,
// and `Sym::as_bytes` tolerates unknown ids.
unsafe impl Elem for crate::Sym {}

// Every element type's alignment is at most 8 (the foreign-memory contract relies on it).
const _: () = {
    assert!(std::mem::align_of::<f64>() <= 8 && std::mem::align_of::<i64>() <= 8);
    assert!(std::mem::align_of::<u64>() <= 8 && std::mem::align_of::<[u8; 16]>() == 1);
};

enum Owner {
    /// Memory this crate allocated with `ALIGNMENT`; freed on drop.
    Owned { cap: usize },
    /// Memory kept alive by someone else (Arrow, mmap); never freed or written here.
    Foreign(#[allow(dead_code)] Box<dyn Any + Send + Sync>),
}

/// An allocation: either owned and 64-byte aligned, or foreign memory kept alive by its owner.
pub struct RawBuffer {
    ptr: NonNull<u8>,
    len: usize,
    owner: Owner,
}

// SAFETY: RawBuffer owns its allocation (or holds the foreign owner, which is Send + Sync);
// shared access is read-only and mutation needs `&mut`.
unsafe impl Send for RawBuffer {}
// SAFETY: as above: `&RawBuffer` only gives out `&[u8]`.
unsafe impl Sync for RawBuffer {}

impl RawBuffer {
    fn layout(cap: usize) -> Layout {
        // `cap` is rounded to the alignment and checked against isize::MAX by callers.
        Layout::from_size_align(cap.max(ALIGNMENT), ALIGNMENT).unwrap_or_else(|_| {
            // Only reachable for capacities above isize::MAX, which `with_capacity` rejects.
            alloc::handle_alloc_error(Layout::new::<u8>())
        })
    }

    fn round_cap(cap: usize) -> usize {
        cap.checked_add(ALIGNMENT - 1)
            .map(|c| c & !(ALIGNMENT - 1))
            .filter(|&c| c <= isize::MAX as usize)
            .unwrap_or_else(|| panic!("capacity overflow: {cap} bytes"))
    }

    /// An empty owned buffer with room for `cap` bytes.
    pub fn with_capacity(cap: usize) -> RawBuffer {
        let cap = Self::round_cap(cap);
        let layout = Self::layout(cap);
        // SAFETY: layout has non-zero size (at least ALIGNMENT).
        let ptr = unsafe { alloc::alloc(layout) };
        let ptr = NonNull::new(ptr).unwrap_or_else(|| alloc::handle_alloc_error(layout));
        RawBuffer { ptr, len: 0, owner: Owner::Owned { cap } }
    }

    /// An owned buffer of `len` zero bytes.
    pub fn zeroed(len: usize) -> RawBuffer {
        let cap = Self::round_cap(len);
        let layout = Self::layout(cap);
        // SAFETY: layout has non-zero size.
        let ptr = unsafe { alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(ptr).unwrap_or_else(|| alloc::handle_alloc_error(layout));
        RawBuffer { ptr, len, owner: Owner::Owned { cap } }
    }

    /// An owned copy of `bytes`.
    pub fn from_slice(bytes: &[u8]) -> RawBuffer {
        let mut b = RawBuffer::with_capacity(bytes.len());
        b.extend_from_slice(bytes);
        b
    }

    /// Wrap foreign memory without copying. `owner` keeps `ptr..ptr+len` alive and
    /// unchanged for as long as it lives.
    ///
    /// # Safety
    /// `ptr` must be valid for reads of `len` bytes for the lifetime of `owner`, the memory
    /// must not be written while this buffer exists, and `ptr` must be aligned to 8 bytes
    /// (every [`Elem`] has alignment ≤ 8, so any view is aligned) unless it is only viewed
    /// as bytes.
    pub unsafe fn from_foreign(
        ptr: NonNull<u8>,
        len: usize,
        owner: Box<dyn Any + Send + Sync>,
    ) -> RawBuffer {
        RawBuffer { ptr, len, owner: Owner::Foreign(owner) }
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when this buffer owns (and may grow) its memory.
    pub fn is_owned(&self) -> bool {
        matches!(self.owner, Owner::Owned { .. })
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr is valid for `len` initialised bytes (owned: written by us; foreign:
        // guaranteed by `from_foreign`'s contract).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The bytes, mutably. Foreign memory is never handed out mutably.
    #[inline]
    fn as_mut_slice(&mut self) -> Option<&mut [u8]> {
        match self.owner {
            Owner::Owned { .. } => {
                // SAFETY: owned memory, `len` bytes initialised, unique access through `&mut`.
                Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) })
            }
            Owner::Foreign(_) => None,
        }
    }

    fn reserve(&mut self, extra: usize) {
        let Owner::Owned { cap } = self.owner else {
            unreachable!("reserve on foreign memory; callers copy first")
        };
        let need = self.len.checked_add(extra).expect("capacity overflow");
        if need <= cap {
            return;
        }
        let new_cap = Self::round_cap(need.max(cap.saturating_mul(2)));
        let old = Self::layout(cap);
        // SAFETY: ptr was allocated with `old`; new size is non-zero and ≤ isize::MAX
        // (checked by round_cap); alignment is unchanged by realloc.
        let p = unsafe { alloc::realloc(self.ptr.as_ptr(), old, new_cap.max(ALIGNMENT)) };
        self.ptr = NonNull::new(p).unwrap_or_else(|| alloc::handle_alloc_error(old));
        self.owner = Owner::Owned { cap: new_cap };
    }

    /// Append bytes (owned buffers only).
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        // SAFETY: reserve made room for `bytes.len()` more bytes; the regions cannot overlap
        // because `self` is borrowed mutably.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.ptr.as_ptr().add(self.len),
                bytes.len(),
            );
        }
        self.len += bytes.len();
    }

    /// The allocation's unused tail (after `len`): its address and size, for hints such
    /// as `madvise` before the memory is first written. Foreign memory has none.
    pub fn spare_capacity(&mut self) -> (*mut u8, usize) {
        match self.owner {
            // SAFETY: `len <= cap`, so the offset stays within the allocation.
            Owner::Owned { cap } => (unsafe { self.ptr.as_ptr().add(self.len) }, cap - self.len),
            Owner::Foreign(_) => (self.ptr.as_ptr(), 0),
        }
    }

    /// Append `n` zero bytes.
    pub fn extend_zeroed(&mut self, n: usize) {
        self.reserve(n);
        // SAFETY: reserve made room for `n` more bytes.
        unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(self.len), 0, n) };
        self.len += n;
    }

    /// Shorten to `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
        }
    }
}

impl Drop for RawBuffer {
    fn drop(&mut self) {
        if let Owner::Owned { cap } = self.owner {
            // SAFETY: allocated in this module with exactly this layout.
            unsafe { alloc::dealloc(self.ptr.as_ptr(), Self::layout(cap)) };
        }
    }
}

/// A shared, sliceable view of bytes.
#[derive(Clone)]
pub struct Buffer {
    raw: Arc<RawBuffer>,
    offset: usize,
    len: usize,
}

impl Buffer {
    /// An empty buffer.
    pub fn empty() -> Buffer {
        Buffer::from_raw(RawBuffer::with_capacity(0))
    }

    /// A view of the whole of `raw`.
    pub fn from_raw(raw: RawBuffer) -> Buffer {
        let len = raw.len();
        Buffer { raw: Arc::new(raw), offset: 0, len }
    }

    /// An owned, aligned copy of `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Buffer {
        Buffer::from_raw(RawBuffer::from_slice(bytes))
    }

    /// Copy a typed slice into a new aligned buffer.
    pub fn from_elems<E: Elem>(elems: &[E]) -> Buffer {
        Buffer::from_slice(elems_as_bytes(elems))
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.raw.as_slice()[self.offset..self.offset + self.len]
    }

    /// O(1) sub-view of bytes `start..start+len`. Panics when out of range (callers
    /// check q-level indices first).
    pub fn slice(&self, start: usize, len: usize) -> Buffer {
        assert!(start.checked_add(len).is_some_and(|e| e <= self.len), "buffer slice out of range");
        Buffer { raw: Arc::clone(&self.raw), offset: self.offset + start, len }
    }

    /// True when no other buffer shares this memory (so mutation needs no copy).
    pub fn is_unique(&mut self) -> bool {
        Arc::get_mut(&mut self.raw).is_some()
    }

    /// Mutable access to the whole allocation, copying first unless this buffer is the
    /// only owner of an owned allocation and views all of it.
    fn unique_raw(&mut self) -> &mut RawBuffer {
        let whole = self.offset == 0 && self.len == self.raw.len();
        let reusable = whole && self.raw.is_owned() && Arc::get_mut(&mut self.raw).is_some();
        if !reusable {
            let copy = RawBuffer::from_slice(self.as_slice());
            self.raw = Arc::new(copy);
            self.offset = 0;
        }
        match Arc::get_mut(&mut self.raw) {
            Some(raw) => raw,
            None => unreachable!("buffer was made unique above"),
        }
    }

    /// The bytes, mutably (copy-on-write).
    pub fn make_mut(&mut self) -> &mut [u8] {
        match self.unique_raw().as_mut_slice() {
            Some(s) => s,
            None => unreachable!("unique_raw returns owned memory"),
        }
    }

    /// Append bytes (copy-on-write).
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        let raw = self.unique_raw();
        raw.extend_from_slice(bytes);
        self.len = raw.len();
    }

    /// Append `n` zero bytes (copy-on-write).
    pub fn extend_zeroed(&mut self, n: usize) {
        let raw = self.unique_raw();
        raw.extend_zeroed(n);
        self.len = raw.len();
    }

    /// Shorten the view to `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Start address, for alignment checks and zero-copy hand-off.
    pub fn as_ptr(&self) -> *const u8 {
        self.as_slice().as_ptr()
    }

    /// View as elements of `E`. `None` when the length is not a multiple of the element
    /// size or the memory is misaligned for `E`.
    #[inline]
    pub fn typed<E: Elem>(&self) -> Option<&[E]> {
        bytes_as_elems(self.as_slice())
    }

    /// View as mutable elements of `E` (copy-on-write).
    #[inline]
    pub fn typed_mut<E: Elem>(&mut self) -> Option<&mut [E]> {
        bytes_as_elems_mut(self.make_mut())
    }
}

/// Reinterpret elements as bytes.
#[inline]
pub fn elems_as_bytes<E: Elem>(elems: &[E]) -> &[u8] {
    // SAFETY: E is plain old data without padding (Elem contract), so every byte of the
    // slice is initialised; the length in bytes cannot overflow for an existing slice.
    unsafe { std::slice::from_raw_parts(elems.as_ptr().cast::<u8>(), std::mem::size_of_val(elems)) }
}

/// Reinterpret bytes as elements when length and alignment allow.
#[inline]
pub fn bytes_as_elems<E: Elem>(bytes: &[u8]) -> Option<&[E]> {
    let size = std::mem::size_of::<E>();
    if !bytes.len().is_multiple_of(size)
        || !(bytes.as_ptr() as usize).is_multiple_of(std::mem::align_of::<E>())
    {
        return None;
    }
    // SAFETY: length is a whole number of E, pointer is aligned for E, and every bit
    // pattern is a valid E (Elem contract).
    Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<E>(), bytes.len() / size) })
}

/// Mutable form of [`bytes_as_elems`].
#[inline]
pub fn bytes_as_elems_mut<E: Elem>(bytes: &mut [u8]) -> Option<&mut [E]> {
    let size = std::mem::size_of::<E>();
    if !bytes.len().is_multiple_of(size)
        || !(bytes.as_ptr() as usize).is_multiple_of(std::mem::align_of::<E>())
    {
        return None;
    }
    // SAFETY: as in bytes_as_elems, plus unique access through `&mut`.
    Some(unsafe {
        std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<E>(), bytes.len() / size)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_cow() {
        let mut a = Buffer::from_elems(&[1i64, 2, 3, 4]);
        assert_eq!(a.as_ptr() as usize % ALIGNMENT, 0);
        let b = a.clone();
        a.typed_mut::<i64>().unwrap()[0] = 10;
        assert_eq!(b.typed::<i64>().unwrap(), &[1, 2, 3, 4]);
        assert_eq!(a.typed::<i64>().unwrap(), &[10, 2, 3, 4]);
        let s = b.slice(8, 16);
        assert_eq!(s.typed::<i64>().unwrap(), &[2, 3]);
        let mut s2 = s.clone();
        s2.extend_from_slice(elems_as_bytes(&[9i64]));
        assert_eq!(s2.typed::<i64>().unwrap(), &[2, 3, 9]);
        assert_eq!(s.typed::<i64>().unwrap(), &[2, 3]);
        // unique whole buffer mutates in place
        let mut c = Buffer::from_elems(&[5i32; 3]);
        let p = c.as_ptr();
        c.typed_mut::<i32>().unwrap()[1] = 0;
        assert_eq!(c.as_ptr(), p);
        for i in 0..1000 {
            c.extend_from_slice(elems_as_bytes(&[i]));
        }
        assert_eq!(c.typed::<i32>().unwrap().len(), 1003);
        assert_eq!(c.as_ptr() as usize % ALIGNMENT, 0);
        c.extend_zeroed(4);
        assert_eq!(*c.typed::<i32>().unwrap().last().unwrap(), 0);
    }

    #[test]
    fn foreign_is_copied_on_write() {
        let v: Box<[i64]> = vec![7i64, 8, 9].into_boxed_slice();
        let ptr = NonNull::new(v.as_ptr() as *mut u8).unwrap();
        // SAFETY: the boxed slice owns 24 readable bytes and lives inside the RawBuffer.
        let raw = unsafe { RawBuffer::from_foreign(ptr, 24, Box::new(v)) };
        let mut b = Buffer::from_raw(raw);
        assert_eq!(b.typed::<i64>().unwrap(), &[7, 8, 9]);
        b.typed_mut::<i64>().unwrap()[2] = 1;
        assert_eq!(b.typed::<i64>().unwrap(), &[7, 8, 1]);
        assert!(bytes_as_elems::<i64>(&[0u8; 7]).is_none());
    }
}
