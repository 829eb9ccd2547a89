//! Payload decoder.
//!
//! Untrusted bytes in, a [`Payload`] or an [`IpcError`] out: never a panic, never an
//! allocation the received bytes do not justify. Every count is checked against the bytes
//! that remain before anything is allocated: a fixed-width vector needs `count × size`
//! bytes, a symbol vector at least one byte per item, a general list at least two bytes per
//! item (the smallest item, a boolean or `::`, is two bytes). Nesting is limited by
//! [`DecodeOptions::max_depth`].

use crate::{IpcError, Payload};
use fq_value::hash::FxHashMap;
use fq_value::{
    Adverb, Attr, Buffer, Derived, Dict, Lambda, List, QError, QType, Sym, Table, Value, Vector,
};
use std::sync::Arc;

/// Limits for decoding.
#[derive(Clone, Copy, Debug)]
pub struct DecodeOptions {
    /// Deepest nesting of lists, dicts, tables and functions accepted.
    pub max_depth: usize,
    /// Largest uncompressed message accepted, in bytes (guards decompression).
    pub max_message: usize,
    /// Accept the capability-5/6 length extension in header byte 3.
    pub large_messages: bool,
}

/// Default nesting limit: deep enough for any real data, shallow enough for the stack.
pub const DEFAULT_MAX_DEPTH: usize = 256;

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions { max_depth: DEFAULT_MAX_DEPTH, max_message: 1 << 40, large_messages: true }
    }
}

/// Decode one payload (the bytes after the 8-byte header) with the given endianness.
/// The payload must be consumed exactly.
pub fn decode_payload(
    bytes: &[u8],
    little_endian: bool,
    opts: &DecodeOptions,
) -> Result<Payload, IpcError> {
    let mut r = Reader::new(Slice { b: bytes, pos: 0 }, little_endian, opts);
    let payload = r.payload()?;
    if r.src.pos != bytes.len() {
        return Err(IpcError::Trailing { extra: bytes.len() - r.src.pos });
    }
    Ok(payload)
}

/// Where the decoder's bytes come from: a slice in memory, or a stream read as it goes
/// ([`crate::stream`]). Every method fails with [`IpcError::Truncated`] rather than read
/// past the payload's end.
pub(crate) trait Source {
    /// Bytes consumed so far (offsets in errors).
    fn pos(&self) -> usize;
    /// Bytes of the payload not consumed yet.
    fn remaining(&self) -> usize;
    /// Fill `out` exactly.
    fn fill(&mut self, out: &mut [u8]) -> Result<(), IpcError>;
    /// The next `n` bytes as a new buffer (read straight into it when streaming).
    fn buffer(&mut self, n: usize) -> Result<Buffer, IpcError>;
    /// The next 8 bytes, not consumed, when 8 remain and are at hand without waiting.
    fn peek8(&mut self) -> Option<u64>;
    /// Bytes of the payload at hand without waiting (possibly none).
    fn window(&mut self) -> &[u8];
    /// Consume `n` bytes just seen through [`Source::peek8`] or [`Source::window`].
    fn skip(&mut self, n: usize);
    /// A NUL-terminated string (the NUL consumed, not shown to `f`).
    fn cstr<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<T, IpcError>;

    fn truncated(&self, need: usize) -> IpcError {
        IpcError::Truncated { at: self.pos(), need, have: self.remaining() }
    }
}

/// A payload in memory.
struct Slice<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Source for Slice<'_> {
    #[inline]
    fn pos(&self) -> usize {
        self.pos
    }
    #[inline]
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }
    #[inline]
    fn fill(&mut self, out: &mut [u8]) -> Result<(), IpcError> {
        let b = self.b;
        let s = b.get(self.pos..self.pos + out.len()).ok_or_else(|| self.truncated(out.len()))?;
        out.copy_from_slice(s);
        self.pos += out.len();
        Ok(())
    }
    fn buffer(&mut self, n: usize) -> Result<Buffer, IpcError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.truncated(n))?;
        let buf = Buffer::from_slice(&self.b[self.pos..end]);
        self.pos = end;
        Ok(buf)
    }
    #[inline]
    fn peek8(&mut self) -> Option<u64> {
        let w = self.b.get(self.pos..self.pos + 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        Some(u64::from_le_bytes(a))
    }
    #[inline]
    fn window(&mut self) -> &[u8] {
        &self.b[self.pos..]
    }
    #[inline]
    fn skip(&mut self, n: usize) {
        self.pos += n;
    }
    fn cstr<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<T, IpcError> {
        let rest = &self.b[self.pos..];
        let n = rest.iter().position(|&c| c == 0).ok_or_else(|| self.truncated(rest.len() + 1))?;
        self.pos += n + 1;
        Ok(f(&rest[..n]))
    }
}

pub(crate) struct Reader<S> {
    pub(crate) src: S,
    little: bool,
    depth: usize,
    max_depth: usize,
    /// Symbols of at most 7 bytes, keyed by their bytes packed in a u64 (names contain no
    /// NUL, so the packing is unique).
    short_syms: FxHashMap<u64, Sym>,
    long_syms: FxHashMap<Box<[u8]>, Sym>,
}

/// Items reserved ahead for a general list before they are decoded.
const MAX_RESERVE: usize = 1024;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

impl<S: Source> Reader<S> {
    pub(crate) fn new(src: S, little: bool, opts: &DecodeOptions) -> Reader<S> {
        Reader {
            src,
            little,
            depth: 0,
            max_depth: opts.max_depth,
            short_syms: FxHashMap::default(),
            long_syms: FxHashMap::default(),
        }
    }

    /// A whole payload: an error (type -128 and its text) or a value.
    pub(crate) fn payload(&mut self) -> Result<Payload, IpcError> {
        let t = self.u8()?;
        if t == 0x80 {
            let text = self.src.cstr(|t| String::from_utf8_lossy(t).into_owned())?;
            return Ok(Payload::Error(QError::from_text(&text)));
        }
        Ok(Payload::Value(self.typed(t as i8, 0)?))
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.src.remaining()
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], IpcError> {
        let mut a = [0u8; N];
        self.src.fill(&mut a)?;
        if !self.little {
            a.reverse();
        }
        Ok(a)
    }

    #[inline]
    fn u8(&mut self) -> Result<u8, IpcError> {
        let mut a = [0u8; 1];
        self.src.fill(&mut a)?;
        Ok(a[0])
    }
    #[inline]
    fn i16(&mut self) -> Result<i16, IpcError> {
        Ok(i16::from_le_bytes(self.array()?))
    }
    #[inline]
    fn i32(&mut self) -> Result<i32, IpcError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    #[inline]
    fn i64(&mut self) -> Result<i64, IpcError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    #[inline]
    fn f32(&mut self) -> Result<f32, IpcError> {
        Ok(f32::from_le_bytes(self.array()?))
    }
    #[inline]
    fn f64(&mut self) -> Result<f64, IpcError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    fn attr(&mut self) -> Result<Attr, IpcError> {
        let b = self.u8()?;
        Attr::from_byte(b).ok_or(IpcError::BadAttr(b))
    }

    /// A count, checked so that `count * min_item_bytes` bytes remain.
    fn count(&mut self, min_item_bytes: usize) -> Result<usize, IpcError> {
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| IpcError::BadCount(i64::from(n)))?;
        if n.saturating_mul(min_item_bytes) > self.remaining() {
            return Err(self.src.truncated(n.saturating_mul(min_item_bytes)));
        }
        Ok(n)
    }

    /// A symbol, interned through a per-message cache so that repeated names cost one
    /// hash lookup and no lock.
    #[inline]
    fn sym(&mut self) -> Result<Sym, IpcError> {
        if let Some(w) = self.src.peek8() {
            let zeros = w.wrapping_sub(ONES) & !w & HIGHS;
            if zeros != 0 {
                // The lowest flagged byte is exactly the first NUL.
                let n = (zeros.trailing_zeros() / 8) as usize;
                self.src.skip(n + 1);
                if n == 0 {
                    return Ok(Sym::EMPTY);
                }
                let key = w & (u64::MAX >> (64 - 8 * n));
                if let Some(&s) = self.short_syms.get(&key) {
                    return Ok(s);
                }
                let s = Sym::from_bytes(&key.to_le_bytes()[..n]);
                self.short_syms.insert(key, s);
                return Ok(s);
            }
        }
        let (short, long) = (&mut self.short_syms, &mut self.long_syms);
        self.src.cstr(|name| {
            if name.is_empty() {
                return Sym::EMPTY;
            }
            if name.len() < 8 {
                let mut a = [0u8; 8];
                a[..name.len()].copy_from_slice(name);
                return *short
                    .entry(u64::from_le_bytes(a))
                    .or_insert_with(|| Sym::from_bytes(name));
            }
            if let Some(&s) = long.get(name) {
                return s;
            }
            let s = Sym::from_bytes(name);
            long.insert(name.into(), s);
            s
        })
    }

    fn enter(&mut self) -> Result<(), IpcError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(IpcError::TooDeep(self.max_depth));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Value, IpcError> {
        let at = self.src.pos();
        let t = self.u8()? as i8;
        self.typed(t, at)
    }

    /// The value whose type byte `t` (at offset `at`) was just read.
    fn typed(&mut self, t: i8, at: usize) -> Result<Value, IpcError> {
        match t {
            -19..=-1 => self.atom(t),
            0 => {
                self.enter()?;
                let attr = self.attr()?;
                let n = self.count(2)?;
                // Reserve a bounded amount up front: every nesting level shares the same
                // remaining bytes, so a declared count must not reserve memory by itself.
                let mut items = Vec::with_capacity(n.min(MAX_RESERVE));
                for _ in 0..n {
                    items.push(self.value()?);
                }
                self.depth -= 1;
                Ok(Value::List(List::new(items).with_attr(attr)))
            }
            11 => self.sym_vector(),
            1..=19 if t != 3 => self.fixed_vector(QType(i16::from(t))),
            98 => {
                self.enter()?;
                let attr = self.attr()?;
                if self.u8()? != 99 {
                    return Err(IpcError::Invalid { at, what: "a table's body is not a dict" });
                }
                let names = match self.value()? {
                    Value::Vector(v) if v.ty() == QType::SYMBOL => v,
                    _ => {
                        return Err(IpcError::Invalid {
                            at,
                            what: "table column names are not symbols",
                        })
                    }
                };
                let columns = match self.value()? {
                    Value::List(l) => l.items().to_vec(),
                    _ => {
                        return Err(IpcError::Invalid {
                            at,
                            what: "table columns are not a general list",
                        })
                    }
                };
                self.depth -= 1;
                let table =
                    Table::new(names, columns).map_err(|e| IpcError::BadValue { at, error: e })?;
                Ok(Value::Table(Arc::new(table.with_attr(attr))))
            }
            99 | 127 => {
                self.enter()?;
                let keys = self.value()?;
                let values = self.value()?;
                self.depth -= 1;
                let d = Dict::new(keys, values).map_err(|e| IpcError::BadValue { at, error: e })?;
                let d = if t == 127 { d.with_attr(Attr::Sorted) } else { d };
                Ok(Value::Dict(Arc::new(d)))
            }
            100 => {
                let context = self.src.cstr(Sym::from_bytes)?;
                if self.u8()? != 10 {
                    return Err(IpcError::Invalid {
                        at,
                        what: "a lambda's source is not a string",
                    });
                }
                let _attr = self.attr()?;
                let n = self.count(1)?;
                let source = self.src.buffer(n)?;
                Ok(Value::Lambda(Arc::new(Lambda::new(context, source.as_slice()))))
            }
            101 => Ok(Value::Unary(self.u8()?)),
            102 => Ok(Value::Binary(self.u8()?)),
            103 => Ok(Value::Iterator(self.u8()?)),
            104 | 105 => {
                self.enter()?;
                let n = self.count(2)?;
                if n == 0 {
                    return Err(IpcError::Invalid { at, what: "empty projection or composition" });
                }
                // Reserve a bounded amount up front: every nesting level shares the same
                // remaining bytes, so a declared count must not reserve memory by itself.
                let mut items = Vec::with_capacity(n.min(MAX_RESERVE));
                for _ in 0..n {
                    items.push(self.value()?);
                }
                self.depth -= 1;
                Ok(if t == 104 {
                    Value::Projection(Arc::new(items))
                } else {
                    Value::Composition(Arc::new(items))
                })
            }
            106..=111 => {
                self.enter()?;
                let function = self.value()?;
                self.depth -= 1;
                let adverb = Adverb::from_qtype(QType(i16::from(t)))
                    .ok_or(IpcError::Invalid { at, what: "bad iterator type" })?;
                Ok(Value::Derived(Arc::new(Derived { adverb, function })))
            }
            -128 => Err(IpcError::Invalid { at, what: "an error value inside a payload" }),
            _ => Err(IpcError::UnknownType { at, ty: t }),
        }
    }

    fn atom(&mut self, t: i8) -> Result<Value, IpcError> {
        Ok(match t {
            -1 => Value::Bool(self.u8()? != 0),
            -2 => {
                let mut a = [0u8; 16];
                self.src.fill(&mut a)?;
                Value::Guid(Box::new(a))
            }
            -4 => Value::Byte(self.u8()?),
            -5 => Value::Short(self.i16()?),
            -6 => Value::Int(self.i32()?),
            -7 => Value::Long(self.i64()?),
            -8 => Value::Real(self.f32()?),
            -9 => Value::Float(self.f64()?),
            -10 => Value::Char(self.u8()?),
            -11 => Value::Symbol(self.sym()?),
            -12 => Value::Timestamp(self.i64()?),
            -13 => Value::Month(self.i32()?),
            -14 => Value::Date(self.i32()?),
            -15 => Value::Datetime(self.f64()?),
            -16 => Value::Timespan(self.i64()?),
            -17 => Value::Minute(self.i32()?),
            -18 => Value::Second(self.i32()?),
            -19 => Value::Time(self.i32()?),
            _ => return Err(IpcError::UnknownType { at: self.src.pos() - 1, ty: t }),
        })
    }

    fn fixed_vector(&mut self, ty: QType) -> Result<Value, IpcError> {
        let attr = self.attr()?;
        let size = ty.elem_size().unwrap_or(1);
        let n = self.count(size)?;
        let mut buf = self.src.buffer(n * size)?;
        if !self.little && size > 1 && ty != QType::GUID {
            swap_elements(buf.make_mut(), size);
        }
        let v = Vector::from_buffer(ty, buf)
            .map_err(|e| IpcError::BadValue { at: self.src.pos(), error: e })?;
        Ok(Value::Vector(v.with_attr(attr)))
    }

    fn sym_vector(&mut self) -> Result<Value, IpcError> {
        let attr = self.attr()?;
        let n = self.count(1)?;
        let mut v = Vector::zeroed(QType::SYMBOL, n);
        let out = v.make_mut::<Sym>();
        let mut i = 0;
        while i < n {
            // A tight loop over the bytes at hand: names of up to 7 bytes whose NUL is
            // within the next 8 bytes...
            let Reader { src, short_syms, .. } = self;
            let w = src.window();
            let mut used = 0;
            while i < n && used + 8 <= w.len() {
                let mut a = [0u8; 8];
                a.copy_from_slice(&w[used..used + 8]);
                let word = u64::from_le_bytes(a);
                let zeros = word.wrapping_sub(ONES) & !word & HIGHS;
                if zeros == 0 {
                    break;
                }
                let k = (zeros.trailing_zeros() / 8) as usize;
                out[i] = if k == 0 {
                    Sym::EMPTY
                } else {
                    let key = word & (u64::MAX >> (64 - 8 * k));
                    *short_syms.entry(key).or_insert_with(|| Sym::from_bytes(&a[..k]))
                };
                used += k + 1;
                i += 1;
            }
            src.skip(used);
            // ...and one name the general way (long, or across the window's end).
            if i < n {
                out[i] = self.sym()?;
                i += 1;
            }
        }
        Ok(Value::Vector(v.with_attr(attr)))
    }
}

/// Reverse the bytes of each `size`-byte element in place (big-endian payloads).
fn swap_elements(bytes: &mut [u8], size: usize) {
    for e in bytes.chunks_exact_mut(size) {
        e.reverse();
    }
}
