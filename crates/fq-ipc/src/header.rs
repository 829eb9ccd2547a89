//! The 8-byte message header.
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | payload endianness: 1 little, 0 big |
//! | 1 | message type: 0 async, 1 sync, 2 response |
//! | 2 | compression: 0 none, 1 compressed (4-byte size), 2 compressed (8-byte size, capability ≥ 5) |
//! | 3 | 0, or bits 32..40 of the total length on capability ≥ 5 connections |
//! | 4..8 | total length including the header, u32 in the header's endianness |

use crate::IpcError;

/// Size of the message header.
pub const HEADER_LEN: usize = 8;

/// Largest total length expressible without the large-message extension.
pub const MAX_SMALL_MESSAGE: u64 = u32::MAX as u64;

/// Largest total length expressible with the large-message extension (40 bits).
pub const MAX_LARGE_MESSAGE: u64 = (1 << 40) - 1;

/// What a message is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum MsgType {
    /// 0: asynchronous, no reply expected.
    Async = 0,
    /// 1: synchronous, the peer answers with a response.
    Sync = 1,
    /// 2: a response to a synchronous message.
    Response = 2,
}

impl MsgType {
    /// The message type for a header byte.
    pub fn from_byte(b: u8) -> Result<MsgType, IpcError> {
        match b {
            0 => Ok(MsgType::Async),
            1 => Ok(MsgType::Sync),
            2 => Ok(MsgType::Response),
            _ => Err(IpcError::BadHeader("message type byte is not 0, 1 or 2")),
        }
    }
}

/// Compression mode of a message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Compression {
    /// Sent as is.
    None = 0,
    /// kdb+ compressed with a 4-byte uncompressed size.
    Compressed = 1,
    /// kdb+ compressed with an 8-byte uncompressed size (large messages).
    CompressedLarge = 2,
}

/// A decoded message header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Header {
    /// True when the payload is little-endian.
    pub little_endian: bool,
    /// Async, sync or response.
    pub msg_type: MsgType,
    /// Compression mode.
    pub compression: Compression,
    /// Total message length in bytes, header included.
    pub len: u64,
}

impl Header {
    /// Parse a header. `large` allows the capability-5/6 length extension in byte 3
    /// (otherwise byte 3 must be 0... kdb+ ignores it, so do we, reading it as 0).
    pub fn parse(bytes: &[u8; HEADER_LEN], large: bool) -> Result<Header, IpcError> {
        let little_endian = match bytes[0] {
            1 => true,
            0 => false,
            _ => return Err(IpcError::BadHeader("endianness byte is not 0 or 1")),
        };
        let msg_type = MsgType::from_byte(bytes[1])?;
        let compression = match bytes[2] {
            0 => Compression::None,
            1 => Compression::Compressed,
            2 => Compression::CompressedLarge,
            _ => return Err(IpcError::BadHeader("compression byte is not 0, 1 or 2")),
        };
        let l = [bytes[4], bytes[5], bytes[6], bytes[7]];
        let low = if little_endian { u32::from_le_bytes(l) } else { u32::from_be_bytes(l) };
        let high = if large { u64::from(bytes[3]) } else { 0 };
        let len = u64::from(low) | (high << 32);
        if len < HEADER_LEN as u64 {
            return Err(IpcError::BadHeader("total length is shorter than the header"));
        }
        Ok(Header { little_endian, msg_type, compression, len })
    }

    /// Serialise. Lengths above 4 GiB use byte 3 (the large-message extension); callers
    /// check the peer's capability first.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let low = (self.len & 0xFFFF_FFFF) as u32;
        let l = if self.little_endian { low.to_le_bytes() } else { low.to_be_bytes() };
        [
            u8::from(self.little_endian),
            self.msg_type as u8,
            self.compression as u8,
            ((self.len >> 32) & 0xFF) as u8,
            l[0],
            l[1],
            l[2],
            l[3],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = Header {
            little_endian: true,
            msg_type: MsgType::Sync,
            compression: Compression::None,
            len: 17,
        };
        let b = h.to_bytes();
        assert_eq!(b, [1, 1, 0, 0, 17, 0, 0, 0]);
        assert_eq!(Header::parse(&b, false).unwrap(), h);
        let big = Header { little_endian: false, len: (5 << 32) + 9, ..h };
        let b = big.to_bytes();
        assert_eq!(b, [0, 1, 0, 5, 0, 0, 0, 9]);
        assert_eq!(Header::parse(&b, true).unwrap(), big);
        assert_eq!(Header::parse(&b, false).unwrap().len, 9);
        assert!(Header::parse(&[2, 1, 0, 0, 9, 0, 0, 0], false).is_err());
        assert!(Header::parse(&[1, 3, 0, 0, 9, 0, 0, 0], false).is_err());
        assert!(Header::parse(&[1, 1, 3, 0, 9, 0, 0, 0], false).is_err());
        assert!(Header::parse(&[1, 1, 0, 0, 7, 0, 0, 0], false).is_err());
    }
}
