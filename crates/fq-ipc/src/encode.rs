//! Payload encoder.
//!
//! Two passes: [`encoded_len`] computes the exact size, then the writer fills a buffer
//! reserved to that size, so a message is built with one allocation and fixed-width
//! vectors are written with one copy. Enumerations are sent as their symbols, as kdb+ does.

use crate::IpcError;
use fq_value::{sym, Attr, QType, Sym, Value, Vector};

/// Symbols encoded per block by [`Writer::sym_names`].
const SYM_BLOCK: usize = 4096;

/// Extra room a caller reserves beyond [`encoded_len`] so that symbol blocks never
/// reallocate the buffer (a block's scratch room before it is cut back).
pub(crate) const SYM_SLACK: usize = SYM_BLOCK * 8 + 8;

/// Deepest nesting the encoder follows before giving up with [`IpcError::TooDeep`].
pub const MAX_ENCODE_DEPTH: usize = crate::DEFAULT_MAX_DEPTH;

fn too_long(n: usize) -> IpcError {
    IpcError::TooLarge { len: n as u64, limit: i32::MAX as u64 }
}

fn count_i32(n: usize) -> Result<i32, IpcError> {
    i32::try_from(n).map_err(|_| too_long(n))
}

/// Bytes of the symbol names in a symbol vector, NULs included.
fn sym_bytes(ids: &[Sym]) -> usize {
    sym::with_names(|names| {
        ids.iter().map(|s| names.get(s.id() as usize).map_or(0, |n| n.len()) + 1).sum()
    })
}

/// Exact encoded size of a value.
pub fn encoded_len(v: &Value) -> Result<usize, IpcError> {
    len_at(v, 0)
}

fn len_at(v: &Value, depth: usize) -> Result<usize, IpcError> {
    if depth > MAX_ENCODE_DEPTH {
        return Err(IpcError::TooDeep(MAX_ENCODE_DEPTH));
    }
    let d = depth + 1;
    Ok(match v {
        Value::Bool(_) | Value::Byte(_) | Value::Char(_) => 2,
        Value::Guid(_) => 17,
        Value::Short(_) => 3,
        Value::Int(_) | Value::Month(_) | Value::Date(_) => 5,
        Value::Minute(_) | Value::Second(_) | Value::Time(_) | Value::Real(_) => 5,
        Value::Long(_) | Value::Timestamp(_) | Value::Timespan(_) => 9,
        Value::Float(_) | Value::Datetime(_) => 9,
        Value::Symbol(s) => 2 + s.as_bytes().len(),
        Value::Vector(vec) => {
            count_i32(vec.len())?;
            6 + if vec.ty() == QType::SYMBOL {
                sym_bytes(vec.as_slice())
            } else {
                vec.as_bytes().len()
            }
        }
        Value::List(l) => {
            count_i32(l.len())?;
            let mut n = 6;
            for item in l.items() {
                n += len_at(item, d)?;
            }
            n
        }
        Value::Enum(e) => len_at(&e.resolve().map_err(IpcError::Value)?, d)?,
        Value::Dict(dict) => 1 + len_at(&dict.keys, d)? + len_at(&dict.values, d)?,
        Value::Table(t) => {
            let mut n = 3 + len_at(&Value::Vector(t.names().clone()), d)? + 6;
            for c in t.columns() {
                n += len_at(c, d)?;
            }
            n
        }
        Value::Lambda(l) => {
            count_i32(l.source.len())?;
            1 + l.context.as_bytes().len() + 1 + 6 + l.source.len()
        }
        Value::Unary(_) | Value::Binary(_) | Value::Iterator(_) => 2,
        Value::Projection(items) | Value::Composition(items) => {
            count_i32(items.len())?;
            let mut n = 5;
            for item in items.iter() {
                n += len_at(item, d)?;
            }
            n
        }
        Value::Derived(x) => 1 + len_at(&x.function, d)?,
    })
}

/// Appends encoded values to a byte buffer.
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
    little: bool,
}

impl<'a> Writer<'a> {
    /// A writer appending to `out` in the given byte order.
    pub fn new(out: &'a mut Vec<u8>, little_endian: bool) -> Writer<'a> {
        Writer { out, little: little_endian }
    }

    #[inline]
    fn raw<const N: usize>(&mut self, le: [u8; N]) {
        if self.little {
            self.out.extend_from_slice(&le);
        } else {
            let mut be = le;
            be.reverse();
            self.out.extend_from_slice(&be);
        }
    }

    #[inline]
    fn i32(&mut self, x: i32) {
        self.raw(x.to_le_bytes());
    }

    pub(crate) fn header(&mut self, ty: i8, attr: Attr, n: usize) -> Result<(), IpcError> {
        let n = count_i32(n)?;
        self.out.push(ty as u8);
        self.out.push(attr.byte());
        self.i32(n);
        Ok(())
    }

    fn cstr(&mut self, s: &[u8]) {
        self.out.extend_from_slice(s);
        self.out.push(0);
    }

    /// Encode one value.
    pub fn value(&mut self, v: &Value) -> Result<(), IpcError> {
        self.value_at(v, 0)
    }

    fn value_at(&mut self, v: &Value, depth: usize) -> Result<(), IpcError> {
        if depth > MAX_ENCODE_DEPTH {
            return Err(IpcError::TooDeep(MAX_ENCODE_DEPTH));
        }
        let d = depth + 1;
        let t = v.qtype().code() as i8;
        match v {
            Value::Bool(b) => self.out.extend_from_slice(&[t as u8, u8::from(*b)]),
            Value::Guid(g) => {
                self.out.push(t as u8);
                self.out.extend_from_slice(&g[..]);
            }
            Value::Byte(x) | Value::Char(x) => self.out.extend_from_slice(&[t as u8, *x]),
            Value::Short(x) => {
                self.out.push(t as u8);
                self.raw(x.to_le_bytes());
            }
            Value::Int(x)
            | Value::Month(x)
            | Value::Date(x)
            | Value::Minute(x)
            | Value::Second(x)
            | Value::Time(x) => {
                self.out.push(t as u8);
                self.raw(x.to_le_bytes());
            }
            Value::Long(x) | Value::Timestamp(x) | Value::Timespan(x) => {
                self.out.push(t as u8);
                self.raw(x.to_le_bytes());
            }
            Value::Real(x) => {
                self.out.push(t as u8);
                self.raw(x.to_le_bytes());
            }
            Value::Float(x) | Value::Datetime(x) => {
                self.out.push(t as u8);
                self.raw(x.to_le_bytes());
            }
            Value::Symbol(s) => {
                self.out.push(t as u8);
                self.cstr(s.as_bytes());
            }
            Value::Vector(vec) => self.vector(vec)?,
            Value::List(l) => {
                self.header(0, l.attr(), l.len())?;
                for item in l.items() {
                    self.value_at(item, d)?;
                }
            }
            Value::Enum(e) => self.value_at(&e.resolve().map_err(IpcError::Value)?, d)?,
            Value::Dict(dict) => {
                self.out.push(if dict.is_sorted() { 127 } else { 99 });
                self.value_at(&dict.keys, d)?;
                self.value_at(&dict.values, d)?;
            }
            Value::Table(table) => {
                self.out.extend_from_slice(&[98, table.attr().byte(), 99]);
                self.vector(table.names())?;
                self.header(0, Attr::None, table.columns().len())?;
                for c in table.columns() {
                    self.value_at(c, d)?;
                }
            }
            Value::Lambda(l) => {
                self.out.push(100);
                self.cstr(l.context.as_bytes());
                self.header(10, Attr::None, l.source.len())?;
                self.out.extend_from_slice(&l.source);
            }
            Value::Unary(c) | Value::Binary(c) | Value::Iterator(c) => {
                self.out.extend_from_slice(&[t as u8, *c]);
            }
            Value::Projection(items) | Value::Composition(items) => {
                self.out.push(t as u8);
                self.i32(count_i32(items.len())?);
                for item in items.iter() {
                    self.value_at(item, d)?;
                }
            }
            Value::Derived(x) => {
                self.out.push(t as u8);
                self.value_at(&x.function, d)?;
            }
        }
        Ok(())
    }

    /// The names of `ids`, each followed by a NUL (a symbol vector's body), in one pass
    /// over each block of [`SYM_BLOCK`] names: room is made for names of up to 7 bytes
    /// (8 with the NUL, written as one 8-byte store) and grown at each longer name, then
    /// cut to what was written. The buffer never holds more than [`SYM_SLACK`] bytes beyond
    /// the encoding, so a caller reserving that much extra never reallocates.
    pub(crate) fn sym_names(&mut self, ids: &[Sym]) {
        let out = &mut *self.out;
        sym::with_packed(|names, packed| {
            for block in ids.chunks(SYM_BLOCK) {
                let mut pos = out.len();
                out.resize(pos + block.len() * 8 + 8, 0);
                for (k, s) in block.iter().enumerate() {
                    match packed.get(s.id() as usize) {
                        Some(&sym::LONG_NAME) => {
                            let n = names.get(s.id() as usize).copied().unwrap_or(b"");
                            let need = pos + n.len() + 1 + (block.len() - k) * 8 + 8;
                            if need > out.len() {
                                out.resize(need, 0);
                            }
                            out[pos..pos + n.len()].copy_from_slice(n);
                            out[pos + n.len()] = 0;
                            pos += n.len() + 1;
                        }
                        Some(&w) => {
                            out[pos..pos + 8].copy_from_slice(&w.to_le_bytes());
                            pos += sym::packed_len(w) + 1;
                        }
                        None => {
                            out[pos] = 0;
                            pos += 1;
                        }
                    }
                }
                out.truncate(pos);
            }
        });
    }

    pub(crate) fn vector(&mut self, v: &Vector) -> Result<(), IpcError> {
        let ty = v.ty();
        self.header(ty.code() as i8, v.attr(), v.len())?;
        if ty == QType::SYMBOL {
            self.sym_names(v.as_slice());
            return Ok(());
        }
        let size = v.elem_size();
        if self.little || size == 1 || ty == QType::GUID {
            self.out.extend_from_slice(v.as_bytes());
        } else {
            for e in v.as_bytes().chunks_exact(size) {
                self.out.extend(e.iter().rev());
            }
        }
        Ok(())
    }
}
