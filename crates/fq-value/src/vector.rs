//! Typed vectors (q types 1..=19) and attributes.

use crate::buffer::{bytes_as_elems, elems_as_bytes, Buffer, Elem, RawBuffer};
use crate::{QError, QResult, QType, Sym, Value};
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// A vector attribute, as carried in the wire attribute byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
#[repr(u8)]
pub enum Attr {
    /// No attribute.
    #[default]
    None = 0,
    /// `` `s# `` sorted ascending.
    Sorted = 1,
    /// `` `u# `` unique.
    Unique = 2,
    /// `` `p# `` parted: equal items are contiguous.
    Parted = 3,
    /// `` `g# `` grouped: a hash index is kept.
    Grouped = 4,
}

impl Attr {
    /// The attribute for a wire byte; `None` for an unknown byte.
    pub fn from_byte(b: u8) -> Option<Attr> {
        Some(match b {
            0 => Attr::None,
            1 => Attr::Sorted,
            2 => Attr::Unique,
            3 => Attr::Parted,
            4 => Attr::Grouped,
            _ => return None,
        })
    }

    /// The wire byte.
    #[inline]
    pub fn byte(self) -> u8 {
        self as u8
    }

    /// The q letter (`s u p g`), or `None` for no attribute.
    pub fn letter(self) -> Option<char> {
        match self {
            Attr::None => None,
            Attr::Sorted => Some('s'),
            Attr::Unique => Some('u'),
            Attr::Parted => Some('p'),
            Attr::Grouped => Some('g'),
        }
    }
}

/// An attribute that can be changed on a shared object: kdb+ sets and clears `` `s# `` in
/// place on data that is already sorted, so every holder of the object sees the change.
#[derive(Default, Debug)]
pub struct AttrCell(AtomicU8);

impl AttrCell {
    /// A cell holding `a`.
    pub fn new(a: Attr) -> AttrCell {
        AttrCell(AtomicU8::new(a.byte()))
    }
    /// The attribute.
    #[inline]
    pub fn get(&self) -> Attr {
        Attr::from_byte(self.0.load(Ordering::Relaxed)).unwrap_or_default()
    }
    /// Change the attribute for every holder of the object.
    pub fn set(&self, a: Attr) {
        self.0.store(a.byte(), Ordering::Relaxed);
    }
}

impl Clone for AttrCell {
    fn clone(&self) -> AttrCell {
        AttrCell::new(self.get())
    }
}

#[derive(Clone)]
struct VectorData {
    ty: QType,
    attr: AttrCell,
    buf: Buffer,
    cache: IndexCache,
}

/// A fact established about a vector's elements when it was built (cached with
/// [`Vector::cached`]): its items never decrease. Not an attribute: q does not see it, but
/// setting `` `s# `` need not check again.
#[derive(Debug)]
pub struct KnownAscending;

/// A structure derived from a vector's elements (the hash index behind `g#`), built on
/// first use and dropped whenever the elements change; copies start empty.
#[derive(Default)]
struct IndexCache(std::sync::OnceLock<Arc<dyn std::any::Any + Send + Sync>>);

impl Clone for IndexCache {
    fn clone(&self) -> Self {
        IndexCache::default()
    }
}

/// A typed vector of one of the 18 elementary types, in a shared 64-byte-aligned buffer.
///
/// Storage per type: boolean, byte and char as `u8`; guid as `[u8; 16]`; short `i16`;
/// int, month, date, minute, second, time `i32`; long, timestamp, timespan `i64`; real
/// `f32`; float and datetime `f64`; symbol as [`Sym`] ids (`u32`). Clones share the buffer;
/// [`Vector::make_mut`] copies only when shared.
#[derive(Clone)]
pub struct Vector(Arc<VectorData>);

impl Vector {
    fn from_parts(ty: QType, attr: Attr, buf: Buffer) -> Vector {
        Vector(Arc::new(VectorData {
            ty,
            attr: AttrCell::new(attr),
            buf,
            cache: IndexCache::default(),
        }))
    }

    fn elem_size_of(ty: QType) -> usize {
        match ty.elem_size() {
            Some(s) if ty.is_base_vector() => s,
            _ => panic!("{ty:?} is not an elementary vector type"),
        }
    }

    /// A vector of type `ty` holding a copy of `elems`. Panics if `E` does not have the
    /// element size of `ty` or `ty` is not elementary (a programming error).
    pub fn new<E: Elem>(ty: QType, elems: &[E]) -> Vector {
        assert_eq!(Self::elem_size_of(ty), std::mem::size_of::<E>(), "element size of {ty:?}");
        Vector::from_parts(ty, Attr::None, Buffer::from_elems(elems))
    }

    /// A vector taking ownership of `v`'s memory without copying (results computed into a
    /// `Vec`). The memory is aligned for `E` rather than to 64 bytes; mutation copies it
    /// into an aligned buffer first. Panics if `E` does not fit `ty` (a programming error).
    pub fn from_vec<E: Elem>(ty: QType, v: Vec<E>) -> Vector {
        assert_eq!(Self::elem_size_of(ty), std::mem::size_of::<E>(), "element size of {ty:?}");
        if std::mem::align_of::<E>() < std::mem::size_of::<E>().min(8) || v.is_empty() {
            return Vector::new(ty, &v);
        }
        let len = std::mem::size_of_val(v.as_slice());
        let ptr =
            std::ptr::NonNull::new(v.as_ptr() as *mut u8).unwrap_or(std::ptr::NonNull::dangling());
        // SAFETY: the Vec owns `len` initialised bytes at `ptr`; moving it into the box does
        // not move its heap memory, which stays untouched until the RawBuffer drops the box;
        // the pointer is aligned for E (checked above to cover E's element size up to 8).
        let raw = unsafe { RawBuffer::from_foreign(ptr, len, Box::new(v)) };
        Vector::from_parts(ty, Attr::None, Buffer::from_raw(raw))
    }

    /// A vector over an existing buffer (no copy). Fails with `'length` when the buffer is
    /// not a whole number of elements, `'type` when `ty` is not elementary or the buffer
    /// is misaligned for the element type.
    pub fn from_buffer(ty: QType, buf: Buffer) -> QResult<Vector> {
        let size = match ty.elem_size() {
            Some(s) if ty.is_base_vector() => s,
            _ => return Err(QError::Type),
        };
        if !buf.len().is_multiple_of(size) {
            return Err(QError::Length);
        }
        if !(buf.as_ptr() as usize).is_multiple_of(size.min(16)) {
            return Err(QError::Type);
        }
        Ok(Vector::from_parts(ty, Attr::None, buf))
    }

    /// A vector of `len` zeroed elements.
    pub fn zeroed(ty: QType, len: usize) -> Vector {
        let size = Self::elem_size_of(ty);
        let bytes = len.checked_mul(size).expect("vector size overflow");
        Vector::from_parts(ty, Attr::None, Buffer::from_raw(RawBuffer::zeroed(bytes)))
    }

    /// An empty vector with room for `cap` elements.
    pub fn with_capacity(ty: QType, cap: usize) -> Vector {
        let size = Self::elem_size_of(ty);
        let raw = RawBuffer::with_capacity(cap.saturating_mul(size));
        Vector::from_parts(ty, Attr::None, Buffer::from_raw(raw))
    }

    /// An empty vector.
    pub fn empty(ty: QType) -> Vector {
        Vector::with_capacity(ty, 0)
    }

    /// A boolean vector.
    pub fn bools(v: &[bool]) -> Vector {
        let bytes: Vec<u8> = v.iter().map(|&b| u8::from(b)).collect();
        Vector::new(QType::BOOLEAN, &bytes)
    }
    /// A byte vector.
    pub fn bytes(v: &[u8]) -> Vector {
        Vector::new(QType::BYTE, v)
    }
    /// A char vector (a q string).
    pub fn chars(v: &[u8]) -> Vector {
        Vector::new(QType::CHAR, v)
    }
    /// A char vector from text.
    pub fn string(s: &str) -> Vector {
        Vector::chars(s.as_bytes())
    }
    /// A short vector.
    pub fn shorts(v: &[i16]) -> Vector {
        Vector::new(QType::SHORT, v)
    }
    /// An int vector.
    pub fn ints(v: &[i32]) -> Vector {
        Vector::new(QType::INT, v)
    }
    /// A long vector.
    pub fn longs(v: &[i64]) -> Vector {
        Vector::new(QType::LONG, v)
    }
    /// A real vector.
    pub fn reals(v: &[f32]) -> Vector {
        Vector::new(QType::REAL, v)
    }
    /// A float vector.
    pub fn floats(v: &[f64]) -> Vector {
        Vector::new(QType::FLOAT, v)
    }
    /// A symbol vector.
    pub fn syms(v: &[Sym]) -> Vector {
        Vector::new(QType::SYMBOL, v)
    }
    /// A symbol vector from names.
    pub fn sym_names(names: &[&str]) -> Vector {
        let ids: Vec<Sym> = names.iter().map(|n| Sym::new(n)).collect();
        Vector::syms(&ids)
    }
    /// A guid vector.
    pub fn guids(v: &[[u8; 16]]) -> Vector {
        Vector::new(QType::GUID, v)
    }

    /// The vector's type (positive).
    #[inline]
    pub fn ty(&self) -> QType {
        self.0.ty
    }

    /// The attribute.
    #[inline]
    pub fn attr(&self) -> Attr {
        self.0.attr.get()
    }

    /// The same vector with another attribute (the data is shared, not checked: the
    /// interpreter verifies `s#`/`u#`/`p#` before setting them).
    pub fn with_attr(mut self, attr: Attr) -> Vector {
        if self.attr() != attr {
            Arc::make_mut(&mut self.0).attr.set(attr);
        }
        self
    }

    /// Set the attribute in place.
    pub fn set_attr(&mut self, attr: Attr) {
        if self.attr() != attr {
            Arc::make_mut(&mut self.0).attr.set(attr);
        }
    }

    /// Set the attribute on the shared object itself, without copying: every holder sees
    /// it. Only for changes kdb+ makes in place (`` `s# `` set on or cleared from data
    /// that is sorted).
    pub fn set_attr_shared(&self, attr: Attr) {
        self.0.attr.set(attr);
    }

    /// Bytes per element.
    #[inline]
    pub fn elem_size(&self) -> usize {
        Self::elem_size_of(self.0.ty)
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.buf.len() / self.elem_size()
    }

    /// True when empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.buf.is_empty()
    }

    /// The underlying buffer.
    #[inline]
    pub fn buffer(&self) -> &Buffer {
        &self.0.buf
    }

    /// The raw element bytes (symbols as ids).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.buf.as_slice()
    }

    /// View the elements as `E`, or `None` when `E` has the wrong size for this type.
    #[inline]
    pub fn try_slice<E: Elem>(&self) -> Option<&[E]> {
        if std::mem::size_of::<E>() != self.elem_size() {
            return None;
        }
        bytes_as_elems(self.0.buf.as_slice())
    }

    /// View the elements as `E`. Panics when `E` does not fit the type (a programming error).
    #[inline]
    pub fn as_slice<E: Elem>(&self) -> &[E] {
        match self.try_slice() {
            Some(s) => s,
            None => panic!("{:?} vector viewed as {}", self.ty(), std::any::type_name::<E>()),
        }
    }

    /// The cached structure of type `T`, if one was built (see [`Vector::cached`]).
    pub fn cache_get<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        Arc::clone(self.0.cache.0.get()?).downcast::<T>().ok()
    }

    /// A structure derived from the elements, built by `build` on first use and kept with
    /// the vector (shared by its clones) until the elements change. A cache holding another
    /// type is left alone and the structure built afresh.
    pub fn cached<T: std::any::Any + Send + Sync>(
        &self,
        build: impl FnOnce(&Vector) -> T,
    ) -> Arc<T> {
        if let Some(c) = self.0.cache.0.get() {
            if let Ok(t) = Arc::clone(c).downcast::<T>() {
                return t;
            }
            return Arc::new(build(self));
        }
        let t = Arc::new(build(self));
        let _ = self.0.cache.0.set(t.clone() as Arc<dyn std::any::Any + Send + Sync>);
        t
    }

    /// Mutable elements (copy-on-write: copies only when the buffer is shared). Clears the
    /// attribute, since the caller may break it.
    pub fn make_mut<E: Elem>(&mut self) -> &mut [E] {
        assert_eq!(std::mem::size_of::<E>(), self.elem_size(), "element size of {:?}", self.ty());
        let data = Arc::make_mut(&mut self.0);
        data.attr.set(Attr::None);
        data.cache = IndexCache::default();
        match data.buf.typed_mut() {
            Some(s) => s,
            None => unreachable!("owned buffers are 64-byte aligned"),
        }
    }

    /// Append the items of `other`, a vector of the same element size (copy-on-write: in
    /// place when this vector's buffer is its own). Clears the attribute.
    pub fn extend_from(&mut self, other: &Vector) {
        assert_eq!(other.elem_size(), self.elem_size(), "element size of {:?}", self.ty());
        let data = Arc::make_mut(&mut self.0);
        data.attr.set(Attr::None);
        data.cache = IndexCache::default();
        data.buf.extend_from_slice(other.as_bytes());
    }

    /// Append elements (copy-on-write). Clears the attribute.
    pub fn extend<E: Elem>(&mut self, elems: &[E]) {
        assert_eq!(std::mem::size_of::<E>(), self.elem_size(), "element size of {:?}", self.ty());
        let data = Arc::make_mut(&mut self.0);
        data.attr.set(Attr::None);
        data.cache = IndexCache::default();
        data.buf.extend_from_slice(elems_as_bytes(elems));
    }

    /// O(1) sub-vector of `len` elements from `start`; `None` when out of range.
    pub fn slice(&self, start: usize, len: usize) -> Option<Vector> {
        let size = self.elem_size();
        let end = start.checked_add(len)?;
        if end > self.len() {
            return None;
        }
        let attr = match self.attr() {
            Attr::Sorted => Attr::Sorted,
            _ => Attr::None,
        };
        Some(Vector::from_parts(self.ty(), attr, self.0.buf.slice(start * size, len * size)))
    }

    /// The element at `i` as an atom.
    pub fn get(&self, i: usize) -> Option<Value> {
        if i >= self.len() {
            return None;
        }
        let b = self.as_bytes();
        Some(match self.ty() {
            QType::BOOLEAN => Value::Bool(b[i] != 0),
            QType::GUID => {
                let g: &[[u8; 16]] = self.as_slice();
                Value::Guid(Box::new(g[i]))
            }
            QType::BYTE => Value::Byte(b[i]),
            QType::CHAR => Value::Char(b[i]),
            QType::SHORT => Value::Short(self.as_slice::<i16>()[i]),
            QType::INT => Value::Int(self.as_slice::<i32>()[i]),
            QType::LONG => Value::Long(self.as_slice::<i64>()[i]),
            QType::REAL => Value::Real(self.as_slice::<f32>()[i]),
            QType::FLOAT => Value::Float(self.as_slice::<f64>()[i]),
            QType::SYMBOL => Value::Symbol(self.as_slice::<Sym>()[i]),
            QType::TIMESTAMP => Value::Timestamp(self.as_slice::<i64>()[i]),
            QType::MONTH => Value::Month(self.as_slice::<i32>()[i]),
            QType::DATE => Value::Date(self.as_slice::<i32>()[i]),
            QType::DATETIME => Value::Datetime(self.as_slice::<f64>()[i]),
            QType::TIMESPAN => Value::Timespan(self.as_slice::<i64>()[i]),
            QType::MINUTE => Value::Minute(self.as_slice::<i32>()[i]),
            QType::SECOND => Value::Second(self.as_slice::<i32>()[i]),
            QType::TIME => Value::Time(self.as_slice::<i32>()[i]),
            _ => return None,
        })
    }

    /// Elementwise identity (q's `~` on two vectors of the same type): floats compare
    /// equal when both are null. Attributes are ignored, as `~` does.
    pub fn same_items(&self, other: &Vector) -> bool {
        if self.ty() != other.ty() || self.len() != other.len() {
            return false;
        }
        match self.ty() {
            QType::REAL => {
                let (a, b) = (self.as_slice::<f32>(), other.as_slice::<f32>());
                a.iter().zip(b).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
            }
            QType::FLOAT | QType::DATETIME => {
                let (a, b) = (self.as_slice::<f64>(), other.as_slice::<f64>());
                a.iter().zip(b).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
            }
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl fmt::Debug for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = self.attr().letter() {
            write!(f, "`{c}#")?;
        }
        if self.ty() == QType::CHAR {
            return write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()));
        }
        write!(f, "{}[", self.ty().letter())?;
        let n = self.len();
        for i in 0..n.min(32) {
            if i > 0 {
                f.write_str(" ")?;
            }
            match self.get(i) {
                Some(v) => write!(f, "{v:?}")?,
                None => f.write_str("?")?,
            }
        }
        if n > 32 {
            write!(f, " ..({n})")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_slice_mutate() {
        let v = Vector::longs(&[1, 2, 3, 4, 5]).with_attr(Attr::Sorted);
        assert_eq!(v.len(), 5);
        let s = v.slice(1, 3).unwrap();
        assert_eq!(s.as_slice::<i64>(), &[2, 3, 4]);
        assert_eq!(s.attr(), Attr::Sorted);
        assert!(v.slice(4, 2).is_none());
        let mut m = s.clone();
        m.make_mut::<i64>()[0] = 9;
        assert_eq!(m.as_slice::<i64>(), &[9, 3, 4]);
        assert_eq!(s.as_slice::<i64>(), &[2, 3, 4]);
        assert_eq!(m.attr(), Attr::None);
        m.extend(&[7i64]);
        assert_eq!(m.len(), 4);
        assert!(v.try_slice::<i32>().is_none());
        assert_eq!(v.get(0), Some(Value::Long(1)));
        assert_eq!(v.get(5), None);
        let z = Vector::zeroed(QType::GUID, 3);
        assert_eq!(z.len(), 3);
        assert!(Vector::floats(&[f64::NAN, 1.0]).same_items(&Vector::floats(&[f64::NAN, 1.0])));
        let mut adopted = Vector::from_vec(QType::LONG, vec![5i64, 6, 7]);
        assert_eq!(adopted.as_slice::<i64>(), &[5, 6, 7]);
        adopted.make_mut::<i64>()[0] = 1;
        assert_eq!(adopted.as_slice::<i64>(), &[1, 6, 7]);
        assert_eq!(Vector::from_vec(QType::GUID, vec![[1u8; 16]]).len(), 1);
    }

    #[test]
    fn from_buffer_checks() {
        assert_eq!(
            Vector::from_buffer(QType::LONG, Buffer::from_slice(&[0; 12])).err(),
            Some(QError::Length)
        );
        assert_eq!(
            Vector::from_buffer(QType::LIST, Buffer::from_slice(&[0; 8])).err(),
            Some(QError::Type)
        );
        assert!(Vector::from_buffer(QType::INT, Buffer::from_slice(&[0; 12])).is_ok());
    }
}
