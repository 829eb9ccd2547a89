//! The kdb+ IPC wire codec, sans-IO.
//!
//! No sockets here: bytes in, values out, and back. The server, the client and `-8!`/`-9!`
//! all build on these functions.
//!
//! - [`handshake`]: the login exchange, client and server side.
//! - [`header`]: the 8-byte message header.
//! - [`encode_message`] / [`decode_message`]: whole messages, with compression.
//! - [`encode_payload`] / [`decode_payload`]: the value bytes alone.
//! - [`compress`]: kdb+'s compression, byte-identical to kdb+.
//! - [`stream`]: whole messages written to and read from byte streams piece by piece.
//!
//! The format is documented in `docs/ipc.md`.

pub mod compress;
mod decode;
mod encode;
pub mod handshake;
pub mod header;
pub mod stream;

pub use decode::{decode_payload, DecodeOptions, DEFAULT_MAX_DEPTH};
pub use encode::{encoded_len, Writer, MAX_ENCODE_DEPTH};
pub use header::{Compression, Header, MsgType, HEADER_LEN};

use fq_value::{QError, Value};
use std::fmt;

/// What a message carries: a value, or an error (type -128).
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// A q value.
    Value(Value),
    /// A q error, sent as type -128 with its text.
    Error(QError),
}

impl From<Value> for Payload {
    fn from(v: Value) -> Payload {
        Payload::Value(v)
    }
}

/// Why bytes could not be decoded or a value could not be encoded.
#[derive(Clone, Debug, PartialEq)]
pub enum IpcError {
    /// The bytes end before the value does.
    Truncated {
        /// Offset where more was needed.
        at: usize,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// A header field is invalid.
    BadHeader(&'static str),
    /// The header's length disagrees with the bytes given.
    LengthMismatch {
        /// Length in the header.
        header: u64,
        /// Bytes given.
        actual: u64,
    },
    /// A type byte that is not a kdb+ wire type.
    UnknownType {
        /// Offset of the type byte.
        at: usize,
        /// The byte, as a signed type.
        ty: i8,
    },
    /// An attribute byte above 4.
    BadAttr(u8),
    /// A negative count.
    BadCount(i64),
    /// Nesting beyond the limit.
    TooDeep(usize),
    /// A message or vector too large for the limit or the connection's capability.
    TooLarge {
        /// Its size.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// Bytes left over after the payload.
    Trailing {
        /// How many.
        extra: usize,
    },
    /// A structurally invalid value (a table without a dict, an error inside a list...).
    Invalid {
        /// Offset of the value.
        at: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A value the data model rejects (a table with columns of different lengths...).
    BadValue {
        /// Offset of the value.
        at: usize,
        /// The q error.
        error: QError,
    },
    /// A value that cannot be encoded (an enumeration index outside its domain...).
    Value(QError),
    /// Corrupt compressed data.
    Compression(compress::CompressError),
    /// A malformed handshake.
    Handshake(&'static str),
    /// The server closed the connection during the handshake: credentials refused.
    Rejected,
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpcError::Truncated { at, need, have } => {
                write!(f, "truncated message: {need} bytes needed at offset {at}, {have} left")
            }
            IpcError::BadHeader(w) => write!(f, "bad message header: {w}"),
            IpcError::LengthMismatch { header, actual } => {
                write!(f, "message length {header} in header, {actual} bytes given")
            }
            IpcError::UnknownType { at, ty } => write!(f, "unknown type {ty} at offset {at}"),
            IpcError::BadAttr(b) => write!(f, "bad attribute byte {b}"),
            IpcError::BadCount(n) => write!(f, "bad count {n}"),
            IpcError::TooDeep(n) => write!(f, "nesting deeper than {n}"),
            IpcError::TooLarge { len, limit } => write!(f, "size {len} exceeds the limit {limit}"),
            IpcError::Trailing { extra } => write!(f, "{extra} bytes after the payload"),
            IpcError::Invalid { at, what } => write!(f, "invalid value at offset {at}: {what}"),
            IpcError::BadValue { at, error } => write!(f, "invalid value at offset {at}: {error}"),
            IpcError::Value(e) => write!(f, "{e}"),
            IpcError::Compression(e) => write!(f, "bad compressed message: {e}"),
            IpcError::Handshake(w) => write!(f, "bad handshake: {w}"),
            IpcError::Rejected => f.write_str("access: the server rejected the credentials"),
        }
    }
}

impl std::error::Error for IpcError {}

impl From<compress::CompressError> for IpcError {
    fn from(e: compress::CompressError) -> Self {
        IpcError::Compression(e)
    }
}

impl IpcError {
    /// The q error a q program sees for this failure (`-9!` on bad bytes, a send that is
    /// too large...).
    pub fn to_q(&self) -> QError {
        match self {
            IpcError::TooLarge { .. } => QError::Limit,
            IpcError::Value(e) | IpcError::BadValue { error: e, .. } => e.clone(),
            IpcError::Rejected => QError::Access,
            _ => QError::from_text("badmsg"),
        }
    }
}

/// How to build a message.
#[derive(Clone, Copy, Debug)]
pub struct EncodeOptions {
    /// Write the payload little-endian (as every x86/ARM kdb+ does).
    pub little_endian: bool,
    /// Compress when kdb+ would: the message exceeds 2000 bytes and compression halves it.
    /// Set it only for remote peers of capability ≥ 1, as kdb+ does.
    pub compress: bool,
    /// Allow messages over 4 GiB (peer capability ≥ 5).
    pub large_messages: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { little_endian: true, compress: false, large_messages: false }
    }
}

/// Messages at most this long are never compressed.
pub const COMPRESSION_THRESHOLD: usize = 2000;

/// Encode a payload alone (no header).
pub fn encode_payload(payload: &Payload, little_endian: bool) -> Result<Vec<u8>, IpcError> {
    let mut out = Vec::new();
    if let Payload::Value(v) = payload {
        out.reserve(encoded_len(v)? + encode::SYM_SLACK);
    }
    write_payload(&mut out, payload, little_endian)?;
    Ok(out)
}

/// Append a payload; the caller has reserved room (see [`encoded_len`]).
fn write_payload(out: &mut Vec<u8>, payload: &Payload, little: bool) -> Result<(), IpcError> {
    match payload {
        Payload::Value(v) => Writer::new(out, little).value(v),
        Payload::Error(e) => {
            out.push(0x80);
            out.extend_from_slice(e.text().as_bytes());
            out.push(0);
            Ok(())
        }
    }
}

/// Encode a whole message: header, payload, compressed when the options ask and it pays.
pub fn encode_message(
    payload: &Payload,
    msg_type: MsgType,
    opts: &EncodeOptions,
) -> Result<Vec<u8>, IpcError> {
    let mut out = Vec::new();
    if let Payload::Value(v) = payload {
        out.reserve(HEADER_LEN + encoded_len(v)? + encode::SYM_SLACK);
    }
    out.extend_from_slice(&[0; HEADER_LEN]);
    write_payload(&mut out, payload, opts.little_endian)?;
    let len = out.len() as u64;
    let limit =
        if opts.large_messages { header::MAX_LARGE_MESSAGE } else { header::MAX_SMALL_MESSAGE };
    if len > limit {
        return Err(IpcError::TooLarge { len, limit });
    }
    let h =
        Header { little_endian: opts.little_endian, msg_type, compression: Compression::None, len };
    out[..HEADER_LEN].copy_from_slice(&h.to_bytes());
    if opts.compress && out.len() > COMPRESSION_THRESHOLD {
        if let Some(c) = compress::compress(&out) {
            return Ok(c);
        }
    }
    Ok(out)
}

/// Decode a whole message (header included), decompressing when needed.
pub fn decode_message(msg: &[u8], opts: &DecodeOptions) -> Result<(Header, Payload), IpcError> {
    let head: &[u8; HEADER_LEN] = msg
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(IpcError::Truncated { at: 0, need: HEADER_LEN, have: msg.len() })?;
    let header = Header::parse(head, opts.large_messages)?;
    if header.len != msg.len() as u64 {
        return Err(IpcError::LengthMismatch { header: header.len, actual: msg.len() as u64 });
    }
    if header.compression == Compression::None {
        let p = decode_payload(&msg[HEADER_LEN..], header.little_endian, opts)?;
        return Ok((header, p));
    }
    let plain = compress::decompress(msg, opts.max_message)?;
    let p = decode_payload(&plain[HEADER_LEN..], header.little_endian, opts)?;
    Ok((header, p))
}

/// q's `-8!`: a value as message bytes (async type, little-endian, uncompressed).
pub fn serialize(v: &Value) -> Result<Vec<u8>, IpcError> {
    encode_message(&Payload::Value(v.clone()), MsgType::Async, &EncodeOptions::default())
}

/// q's `-9!`: message bytes back to a value; an error payload becomes that error.
pub fn deserialize(bytes: &[u8]) -> Result<Value, QError> {
    match decode_message(bytes, &DecodeOptions::default()) {
        Ok((_, Payload::Value(v))) => Ok(v),
        Ok((_, Payload::Error(e))) => Err(e),
        Err(e) => Err(e.to_q()),
    }
}
