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
    let mut r = Reader {
        b: bytes,
        pos: 0,
        little: little_endian,
        depth: 0,
        max_depth: opts.max_depth,
        short_syms: FxHashMap::default(),
        long_syms: FxHashMap::default(),
    };
    let payload = if bytes.first() == Some(&0x80) {
        r.pos = 1;
        let text = r.cstr()?;
        Payload::Error(QError::from_text(&String::from_utf8_lossy(text)))
    } else {
        Payload::Value(r.value()?)
    };
    if r.pos != bytes.len() {
        return Err(IpcError::Trailing { extra: bytes.len() - r.pos });
    }
    Ok(payload)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    little: bool,
    depth: usize,
    max_depth: usize,
    /// Symbols of at most 7 bytes, keyed by their bytes packed in a u64 (names contain no
    /// NUL, so the packing is unique).
    short_syms: FxHashMap<u64, Sym>,
    long_syms: FxHashMap<&'a [u8], Sym>,
}

/// Items reserved ahead for a general list before they are decoded.
const MAX_RESERVE: usize = 1024;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

impl<'a> Reader<'a> {
    #[inline]
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], IpcError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(IpcError::Truncated { at: self.pos, need: n, have: self.b.len() - self.pos })?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], IpcError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        if !self.little {
            a.reverse();
        }
        Ok(a)
    }

    #[inline]
    fn u8(&mut self) -> Result<u8, IpcError> {
        Ok(self.take(1)?[0])
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
            return Err(IpcError::Truncated {
                at: self.pos,
                need: n.saturating_mul(min_item_bytes),
                have: self.remaining(),
            });
        }
        Ok(n)
    }

    /// A NUL-terminated string (without the NUL).
    fn cstr(&mut self) -> Result<&'a [u8], IpcError> {
        let rest = &self.b[self.pos..];
        let n = rest.iter().position(|&c| c == 0).ok_or(IpcError::Truncated {
            at: self.pos,
            need: rest.len() + 1,
            have: rest.len(),
        })?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    /// A symbol, interned through a per-message cache so that repeated names cost one
    /// hash lookup and no lock.
    #[inline]
    fn sym(&mut self) -> Result<Sym, IpcError> {
        let rest = &self.b[self.pos..];
        if let Some(w) = rest.get(..8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            let w = u64::from_le_bytes(a);
            let zeros = w.wrapping_sub(ONES) & !w & HIGHS;
            if zeros != 0 {
                // The lowest flagged byte is exactly the first NUL.
                let n = (zeros.trailing_zeros() / 8) as usize;
                self.pos += n + 1;
                if n == 0 {
                    return Ok(Sym::EMPTY);
                }
                let key = w & (u64::MAX >> (64 - 8 * n));
                if let Some(&s) = self.short_syms.get(&key) {
                    return Ok(s);
                }
                let s = Sym::from_bytes(&rest[..n]);
                self.short_syms.insert(key, s);
                return Ok(s);
            }
        }
        let name = self.cstr()?;
        if name.is_empty() {
            return Ok(Sym::EMPTY);
        }
        if let Some(&s) = self.long_syms.get(name) {
            return Ok(s);
        }
        let s = Sym::from_bytes(name);
        self.long_syms.insert(name, s);
        Ok(s)
    }

    fn enter(&mut self) -> Result<(), IpcError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(IpcError::TooDeep(self.max_depth));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Value, IpcError> {
        let at = self.pos;
        let t = self.u8()? as i8;
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
                let context = self.cstr()?;
                let context = Sym::from_bytes(context);
                if self.u8()? != 10 {
                    return Err(IpcError::Invalid {
                        at,
                        what: "a lambda's source is not a string",
                    });
                }
                let _attr = self.attr()?;
                let n = self.count(1)?;
                let source = self.take(n)?;
                Ok(Value::Lambda(Arc::new(Lambda::new(context, source))))
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
                let g = self.take(16)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(g);
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
            _ => return Err(IpcError::UnknownType { at: self.pos - 1, ty: t }),
        })
    }

    fn fixed_vector(&mut self, ty: QType) -> Result<Value, IpcError> {
        let attr = self.attr()?;
        let size = ty.elem_size().unwrap_or(1);
        let n = self.count(size)?;
        let bytes = self.take(n * size)?;
        let mut buf = Buffer::from_slice(bytes);
        if !self.little && size > 1 && ty != QType::GUID {
            swap_elements(buf.make_mut(), size);
        }
        let v = Vector::from_buffer(ty, buf)
            .map_err(|e| IpcError::BadValue { at: self.pos, error: e })?;
        Ok(Value::Vector(v.with_attr(attr)))
    }

    fn sym_vector(&mut self) -> Result<Value, IpcError> {
        let attr = self.attr()?;
        let n = self.count(1)?;
        let mut v = Vector::zeroed(QType::SYMBOL, n);
        for slot in v.make_mut::<Sym>() {
            *slot = self.sym()?;
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
