//! kdb+ IPC message compression and decompression.
//!
//! kdb+ compresses IPC messages with a small LZ77 variant. This module reproduces it byte for
//! byte. The algorithm is described from KX's `javakdb` (`c.java`, `compress()` and
//! `uncompress()`), and checked against real kdb+ output.
//!
//! # Frame layout
//!
//! A compressed message keeps bytes 0 (endianness), 1 (message type) and 3 of the original
//! 8-byte header, and sets byte 2 (the compression mode) as follows:
//!
//! * **Mode 1** (`byte 2 = 1`):
//!   * bytes 4..8 hold the total compressed length;
//!   * bytes 8..12 hold the total uncompressed length (header included), as a 4-byte integer;
//!   * the compressed stream starts at byte 12.
//! * **Mode 2** (`byte 2 = 2`, capability ≥ 5, for messages longer than `u32::MAX`):
//!   * bytes 8..16 hold the uncompressed length as an 8-byte integer;
//!   * the stream starts at byte 16;
//!   * byte 3 carries bits 32..39 of the total compressed length.
//!
//! All integers use the header's endianness: byte 0 is 1 for little-endian, 0 for big-endian.
//!
//! # Stream format
//!
//! The stream rebuilds bytes `[8, n)` of the uncompressed message. It is a sequence of groups:
//! one flag byte, then up to 8 tokens. Bit `i` (least significant first) of the flag byte says
//! what token `i` is:
//!
//! * bit clear: a literal, one byte copied verbatim;
//! * bit set: a back-reference of two bytes `h`, `r`. It copies `2 + r` bytes starting at the
//!   position last recorded in slot `h` of a 256-entry table.
//!
//! Slot `h` is indexed by `b[x] ^ b[x + 1]`. The encoder and the decoder maintain the table the
//! same way, so the positions never need to be sent:
//!
//! * every position that starts a token is recorded;
//! * positions inside a back-reference's run are skipped;
//! * a literal's position becomes visible one token late.
//!
//! # Abort rule
//!
//! The encoder is budgeted: its output may be at most half the input length. At the start of
//! each group it checks that a whole group (17 bytes) still fits within `budget`. If it does not,
//! compression is abandoned and the message is sent uncompressed.

use std::fmt;

/// Error from decompressing a kdb+ compressed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompressError {
    /// The input ended before the header or the compressed stream was complete.
    Truncated,
    /// Header byte 2 is not a compressed mode (1 or 2).
    BadMode(u8),
    /// Header byte 0 (endianness) is neither 0 (big) nor 1 (little).
    BadEndianness(u8),
    /// The total length in the header does not match the number of bytes supplied.
    BadLength {
        /// Total compressed length declared by the header (bytes 4..8 plus byte 3 << 32).
        declared: u64,
        /// Number of bytes actually supplied.
        actual: usize,
    },
    /// The declared uncompressed length cannot be produced by a stream of this length
    /// (or is smaller than the 8-byte header).
    ImpossibleSize {
        /// Declared total uncompressed length, header included.
        declared: u64,
        /// Length of the compressed stream that was supplied.
        stream_len: usize,
    },
    /// The declared uncompressed length exceeds the caller's limit, or cannot be represented.
    TooLarge {
        /// Declared total uncompressed length, header included.
        declared: u64,
        /// The limit that was exceeded.
        max: u64,
    },
    /// The output buffer (this many bytes) could not be allocated.
    Alloc(u64),
    /// The compressed stream is malformed.
    Corrupt(&'static str),
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompressError::Truncated => f.write_str("compressed message is truncated"),
            CompressError::BadMode(m) => write!(f, "header compression byte {m} is not 1 or 2"),
            CompressError::BadEndianness(b) => {
                write!(f, "header endianness byte {b} is not 0 or 1")
            }
            CompressError::BadLength { declared, actual } => write!(
                f,
                "header declares a {declared}-byte compressed message but {actual} bytes were given"
            ),
            CompressError::ImpossibleSize { declared, stream_len } => write!(
                f,
                "uncompressed length {declared} is impossible for a {stream_len}-byte compressed \
                 stream"
            ),
            CompressError::TooLarge { declared, max } => {
                write!(f, "uncompressed length {declared} exceeds the limit of {max} bytes")
            }
            CompressError::Alloc(n) => write!(f, "could not allocate {n} bytes to decompress into"),
            CompressError::Corrupt(what) => write!(f, "corrupt compressed stream: {what}"),
        }
    }
}

impl std::error::Error for CompressError {}

/// Length of the IPC message header.
const HEADER: usize = 8;
/// kdb+ only compresses messages longer than this many bytes.
const MIN_COMPRESS_LEN: usize = 2000;
/// Most bytes one group can occupy in the stream: a flag byte and 8 two-byte back-references.
const MAX_GROUP_BYTES: usize = 17;
/// Most bytes one back-reference can produce: 2 plus an extra length of up to 255.
const MAX_MATCH: usize = 257;
/// Largest total length a header can describe: 32 bits in bytes 4..8 plus 8 bits in byte 3.
const MAX_FRAME_LEN: u64 = (1 << 40) - 1;
/// Marks an empty slot in the decoder's table.
const EMPTY: usize = usize::MAX;

/// Compress a whole kdb+ IPC message (8-byte header + payload, header byte 2 = 0) the way kdb+
/// does.
///
/// Returns `None` when kdb+ would send it uncompressed (compressed result not under half the
/// size, or message too small to benefit).
///
/// The output is a whole message:
/// * header bytes 0, 1 and 3 are copied, and byte 2 = 1;
/// * bytes 4..8 = total compressed length, in the header's endianness (byte 0 == 1: little,
///   0: big);
/// * bytes 8..12 = uncompressed total length, including its header;
/// * then the stream.
///
/// Messages whose length does not fit `u32` (capability ≥ 5 large messages) use mode 2:
/// * byte 2 = 2;
/// * bytes 8..16 = `u64` uncompressed length, and the stream starts at 16;
/// * byte 3 carries bits 32..39 of the total (compressed) length, as for any large message.
///
/// The output is byte-identical to kdb+'s. That includes the abort rule: compression gives up
/// as soon as a new group of tokens might push the output past `msg.len() / 2`.
///
/// "Too small" means at most 2000 bytes: kdb+ never compresses those. `None` is also returned
/// when `msg` is not an uncompressed message: it is shorter than 8 bytes, byte 0 is not 0 or 1,
/// or byte 2 is not 0. The header's own length field is not consulted; `msg.len()` is the
/// message length.
pub fn compress(msg: &[u8]) -> Option<Vec<u8>> {
    if msg.len() <= MIN_COMPRESS_LEN {
        return None;
    }
    compress_any(msg, u32::try_from(msg.len()).is_err())
}

/// Compress without the 2000-byte threshold, choosing mode 2 (`large`) or mode 1 explicitly.
fn compress_any(msg: &[u8], large: bool) -> Option<Vec<u8>> {
    let n = msg.len();
    let hdr = msg.get(..HEADER)?;
    let little = match hdr[0] {
        0 => false,
        1 => true,
        _ => return None,
    };
    if hdr[2] != 0 || (!large && u32::try_from(n).is_err()) {
        return None;
    }
    let start = if large { 16 } else { 12 };
    // The whole output, header included, must stay within half of the input.
    let budget = n / 2;
    if budget < start + MAX_GROUP_BYTES {
        return None;
    }
    let mut out = vec![0u8; budget];
    let d = encode(msg, &mut out, start, budget)?;
    out.truncate(d);

    out[..HEADER].copy_from_slice(hdr);
    out[2] = if large { 2 } else { 1 };
    let total = d as u64;
    if total > MAX_FRAME_LEN {
        return None;
    }
    put_u32(&mut out[4..8], total as u32, little);
    if large {
        out[3] = (total >> 32) as u8;
        put_u64(&mut out[8..16], n as u64, little);
    } else {
        put_u32(&mut out[8..12], n as u32, little);
    }
    Some(out)
}

/// Encode `y[8..]` into `out[start..]`, the way `c.java` does.
///
/// Returns the end of the written stream, or `None` once the output would pass `budget`.
/// Requires `out.len() >= budget`; every write is then below `budget`, because a group
/// (at most 17 bytes) is only started while it fits.
fn encode(y: &[u8], out: &mut [u8], start: usize, budget: usize) -> Option<usize> {
    let t = y.len();
    let mut st = Encoder { table: [0; 256], pending_h: 0, pending_s: 0, h: 0, s: HEADER, d: start };
    while st.s < t {
        // Start a new group only if a whole group still fits in the budget.
        if st.d + MAX_GROUP_BYTES > budget {
            return None;
        }
        let flag_pos = st.d;
        st.d += 1;
        let mut flags = 0u8;
        if st.s + 8 * MAX_MATCH + 8 <= t {
            // No token of this group can come near the end of the input.
            for i in 0..8 {
                flags |= st.step::<true>(y, out) << i;
            }
        } else {
            for i in 0..8 {
                if st.s >= t {
                    break;
                }
                flags |= st.step::<false>(y, out) << i;
            }
        }
        out[flag_pos] = flags;
    }
    Some(st.d)
}

/// Encoder state between tokens.
struct Encoder {
    /// Last position recorded for each hash; 0 means "none" (positions start at 8).
    table: [usize; 256],
    /// A literal's table entry is written one token late: its hash and position (0 = none).
    pending_h: usize,
    pending_s: usize,
    /// Hash of the last position looked up.
    h: usize,
    /// Read cursor in the input.
    s: usize,
    /// Write cursor in the output.
    d: usize,
}

impl Encoder {
    /// Encode one token at `self.s`; returns 1 for a back-reference, 0 for a literal.
    ///
    /// `FAST` promises `self.s + 8 * 257 <= y.len()` (at least), so no end-of-input checks
    /// are needed. The caller guarantees 2 free output bytes at `self.d`.
    #[inline(always)]
    fn step<const FAST: bool>(&mut self, y: &[u8], out: &mut [u8]) -> u8 {
        let t = y.len();
        let s = self.s;
        // The last two positions are always literals: a match needs two bytes. `end` is where
        // a match starting at s ends, or 0 for a literal.
        let mut end = 0;
        if FAST || s + 8 <= t {
            self.h = usize::from(y[s] ^ y[s + 1]);
            let p = self.table[self.h];
            // p < s. Compare 8 bytes at once: a match needs y[s] == y[p] (y[s + 1] == y[p + 1]
            // then follows from the equal hashes), and the same word gives its length.
            let x = load_u64(y, p) ^ load_u64(y, s);
            if p != 0 && x & 0xff == 0 {
                end = if x != 0 {
                    s + (x.trailing_zeros() / 8) as usize
                } else {
                    let q = if FAST { s + MAX_MATCH } else { (s + MAX_MATCH).min(t) };
                    match_end(y, p + 8, s + 8, q)
                };
            }
        } else if s + 3 <= t {
            self.h = usize::from(y[s] ^ y[s + 1]);
            let p = self.table[self.h];
            if p != 0 && y[s] == y[p] {
                end = match_end(y, p + 2, s + 2, (s + MAX_MATCH).min(t));
            }
        }
        // (Beyond the last lookup, `self.h` is stale, as in c.java; it no longer matters.)
        if self.pending_s != 0 {
            self.table[self.pending_h] = self.pending_s;
            self.pending_s = 0;
        }
        if end == 0 {
            self.pending_h = self.h;
            self.pending_s = s;
            out[self.d] = y[s];
            self.d += 1;
            self.s = s + 1;
            0
        } else {
            self.table[self.h] = s;
            out[self.d] = self.h as u8;
            out[self.d + 1] = (end - s - 2) as u8;
            self.d += 2;
            self.s = end;
            1
        }
    }
}

/// First index in `[s, q)` where `y[p + (i - s)] != y[i]`, or `q`.
/// Requires `p < s <= q <= y.len()`.
#[inline(always)]
fn match_end(y: &[u8], mut p: usize, mut s: usize, q: usize) -> usize {
    while s + 8 <= q {
        let x = load_u64(y, p) ^ load_u64(y, s);
        if x != 0 {
            return s + (x.trailing_zeros() / 8) as usize;
        }
        s += 8;
        p += 8;
    }
    while s < q && y[p] == y[s] {
        s += 1;
        p += 1;
    }
    s
}

/// Little-endian load of `b[i..i + 8]`; the caller guarantees the range is in bounds.
#[inline(always)]
fn load_u64(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

/// Store `w` little-endian at `b[i..i + 8]`; the caller guarantees the range is in bounds.
#[inline(always)]
fn store_u64(b: &mut [u8], i: usize, w: u64) {
    b[i..i + 8].copy_from_slice(&w.to_le_bytes());
}

/// Little-endian load of `b[i..i + 4]`; the caller guarantees the range is in bounds.
#[inline(always)]
fn load_u32(b: &[u8], i: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(w)
}

/// Store `w` little-endian at `b[i..i + 4]`; the caller guarantees the range is in bounds.
#[inline(always)]
fn store_u32(b: &mut [u8], i: usize, w: u32) {
    b[i..i + 4].copy_from_slice(&w.to_le_bytes());
}

fn put_u32(dst: &mut [u8], v: u32, little: bool) {
    dst.copy_from_slice(&if little { v.to_le_bytes() } else { v.to_be_bytes() });
}

fn put_u64(dst: &mut [u8], v: u64, little: bool) {
    dst.copy_from_slice(&if little { v.to_le_bytes() } else { v.to_be_bytes() });
}

fn get_u32(src: &[u8], little: bool) -> Option<u32> {
    let b: [u8; 4] = src.try_into().ok()?;
    Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
}

fn get_u64(src: &[u8], little: bool) -> Option<u64> {
    let b: [u8; 8] = src.try_into().ok()?;
    Some(if little { u64::from_le_bytes(b) } else { u64::from_be_bytes(b) })
}

/// Decompress a whole compressed message (header with byte 2 = 1 or 2).
///
/// Returns the whole uncompressed message: the 8-byte header, then the payload. In the header:
/// * bytes 0 and 1 are copied, and byte 2 is reset to 0;
/// * bytes 4..8 hold the uncompressed length;
/// * byte 3 follows the large-message rule: it holds bits 32..39 of the uncompressed length, so
///   it is 0 below 4 GiB.
///
/// `max_len` caps the declared uncompressed length (header included). Nothing is allocated
/// before that length has passed `max_len` and been checked against the stream length.
/// `msg` must be exactly one message: its length must equal the header's total length.
pub fn decompress(msg: &[u8], max_len: usize) -> Result<Vec<u8>, CompressError> {
    let hdr = msg.get(..HEADER).ok_or(CompressError::Truncated)?;
    let little = match hdr[0] {
        0 => false,
        1 => true,
        b => return Err(CompressError::BadEndianness(b)),
    };
    let (size_field, stream_at) = match hdr[2] {
        1 => (12, 12),
        2 => (16, 16),
        m => return Err(CompressError::BadMode(m)),
    };
    let declared_total = get_u32(&hdr[4..8], little).ok_or(CompressError::Truncated)? as u64
        | (u64::from(hdr[3]) << 32);
    if declared_total != msg.len() as u64 {
        return Err(CompressError::BadLength { declared: declared_total, actual: msg.len() });
    }
    let size_bytes = msg.get(HEADER..size_field).ok_or(CompressError::Truncated)?;
    let unc = if size_field == 12 {
        u64::from(get_u32(size_bytes, little).ok_or(CompressError::Truncated)?)
    } else {
        get_u64(size_bytes, little).ok_or(CompressError::Truncated)?
    };
    let stream = msg.get(stream_at..).ok_or(CompressError::Truncated)?;
    let max = (max_len as u64).min(MAX_FRAME_LEN);
    if unc > max {
        return Err(CompressError::TooLarge { declared: unc, max });
    }
    check_size(unc, stream.len())?;
    let unc_len = usize::try_from(unc)
        .map_err(|_| CompressError::TooLarge { declared: unc, max: usize::MAX as u64 })?;

    let mut out = Vec::new();
    out.try_reserve_exact(unc_len).map_err(|_| CompressError::Alloc(unc))?;
    out.extend_from_slice(hdr);
    out[2] = 0;
    out[3] = (unc >> 32) as u8;
    put_u32(&mut out[4..8], unc as u32, little);
    decompress_stream(stream, unc_len, &mut out)?;
    Ok(out)
}

/// Most payload bytes a stream of `stream_len` bytes can produce.
///
/// A full group (17 bytes: flag + 8 back-references) yields at most 8 × 257 bytes. A trailing
/// partial group of `rem` bytes yields at most `(rem - 1) / 2` back-references plus one literal.
/// This is the exact maximum over all valid streams.
fn max_payload(stream_len: usize) -> u64 {
    let full = (stream_len / MAX_GROUP_BYTES) as u64;
    let rem = (stream_len % MAX_GROUP_BYTES) as u64;
    let partial = if rem == 0 { 0 } else { (rem - 1) / 2 * MAX_MATCH as u64 + (rem - 1) % 2 };
    full * (8 * MAX_MATCH as u64) + partial
}

/// Reject uncompressed lengths below the header size or beyond what the stream can produce.
fn check_size(unc: u64, stream_len: usize) -> Result<(), CompressError> {
    if unc < HEADER as u64 || unc - HEADER as u64 > max_payload(stream_len) {
        return Err(CompressError::ImpossibleSize { declared: unc, stream_len });
    }
    Ok(())
}

/// Decompress only the stream part into `out`. This is the lower-level helper that
/// [`decompress`] uses.
///
/// `out` normally holds nothing on entry. `uncompressed_len` is the total uncompressed message
/// length, including the 8-byte header; the stream reconstructs bytes `[8, uncompressed_len)`.
///
/// The `uncompressed_len - 8` reconstructed bytes are appended to `out`. If `out` already holds
/// data, back-references still count from the start of the appended region. `decompress` uses
/// this to place the payload after the header it has already written. On error, `out` is
/// restored to its original length.
///
/// Before allocating, `uncompressed_len` is checked against the most the stream could possibly
/// produce (about 121 bytes per stream byte). Bytes left over in `stream` after the message is
/// complete are ignored, as `c.java`'s decoder ignores them.
pub fn decompress_stream(
    stream: &[u8],
    uncompressed_len: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressError> {
    check_size(uncompressed_len as u64, stream.len())?;
    let len = uncompressed_len - HEADER;
    let base = out.len();
    out.try_reserve_exact(len).map_err(|_| CompressError::Alloc(len as u64))?;
    out.resize(base + len, 0);
    let result = decode(stream, &mut out[base..]);
    if result.is_err() {
        out.truncate(base);
    }
    result
}

/// Fill all of `dst` from `src`, mirroring `c.java`'s `uncompress()`.
fn decode(src: &[u8], dst: &mut [u8]) -> Result<(), CompressError> {
    let len = dst.len();
    let mut st = Decoder { table: [EMPTY; 256], s: 0, lagging: false, last: 0 };
    let mut d = 0usize; // read cursor in src
    let mut flags = 0u32;
    let mut bit = 0u32;

    while st.s < len {
        if bit == 0 {
            // Fast path: a whole group of input is present and cannot overrun dst.
            if d + MAX_GROUP_BYTES <= src.len() && st.s + FAST_ROOM <= len {
                d += 1 + st.group(&src[d..d + MAX_GROUP_BYTES], dst)?;
                continue;
            }
            flags = u32::from(*src.get(d).ok_or(CompressError::Truncated)?);
            d += 1;
            bit = 1;
        }
        if flags & bit != 0 {
            let (h, extra) = match src.get(d..d + 2) {
                Some(&[h, extra]) => (h, extra),
                _ => return Err(CompressError::Truncated),
            };
            d += 2;
            let n = 2 + usize::from(extra);
            if n > len - st.s {
                return Err(CompressError::Corrupt("back-reference runs past the end"));
            }
            let r = st.lookup(h)?;
            let at = st.s;
            let (c0, c1) = (dst[r], dst[r + 1]);
            copy_match_exact(dst, r, at, n);
            st.matched(at, n, c0, c1, dst[at + n - 1]);
        } else {
            let b = *src.get(d).ok_or(CompressError::Truncated)?;
            d += 1;
            dst[st.s] = b;
            st.literal(b);
        }
        bit = (bit << 1) & 0xff;
    }
    Ok(())
}

/// Room that the fast path needs after a group's start: 8 tokens of at most 257 bytes, plus
/// 8 bytes of slack because copies are done in whole 8-byte words.
const FAST_ROOM: usize = 8 * MAX_MATCH + 8;

/// Decoder state between tokens.
///
/// The table must hold what the encoder's table held. Every position that starts a token is
/// recorded, under the hash of its byte and the next one; positions inside a back-reference's
/// run are not. A position is recorded once the byte after it is known. So at most the
/// previous position (a literal's) is still unrecorded: that is `lagging`. The hashes are
/// computed from bytes kept in registers (`last`, the literal, the first two bytes of a copy),
/// not re-read from `dst`, which keeps store-to-load round trips out of the critical path.
struct Decoder {
    /// Last position recorded for each hash, or `EMPTY`.
    table: [usize; 256],
    /// Write cursor in `dst`.
    s: usize,
    /// Whether position `s - 1` (a literal) still has to be recorded.
    lagging: bool,
    /// `dst[s - 1]` (meaningful when `s > 0`).
    last: u8,
}

impl Decoder {
    /// The position recorded under hash `h`, or an error if nothing has been recorded there.
    #[inline(always)]
    fn lookup(&self, h: u8) -> Result<usize, CompressError> {
        match self.table[usize::from(h)] {
            EMPTY => Err(CompressError::Corrupt("back-reference to an empty hash slot")),
            // Recorded positions are at most s - 2, so back-references reach at least 2 back.
            r => Ok(r),
        }
    }

    /// Account for literal `b`, already written at `dst[self.s]`.
    #[inline(always)]
    fn literal(&mut self, b: u8) {
        if self.lagging {
            self.table[usize::from(self.last ^ b)] = self.s - 1;
        }
        self.lagging = true;
        self.last = b;
        self.s += 1;
    }

    /// Account for a back-reference of `n` bytes written at `at == self.s`, whose first two
    /// bytes are `c0`, `c1` and whose last byte is `last`.
    #[inline(always)]
    fn matched(&mut self, at: usize, n: usize, c0: u8, c1: u8, last: u8) {
        if self.lagging {
            self.table[usize::from(self.last ^ c0)] = at - 1;
        }
        self.table[usize::from(c0 ^ c1)] = at;
        self.lagging = false;
        self.last = last;
        self.s = at + n;
    }

    /// Decode one full group (flag byte + 8 tokens) from `group` (17 bytes). The caller
    /// guarantees that `FAST_ROOM` bytes of `dst` are available from `self.s`. Returns the
    /// number of token bytes consumed.
    #[inline(always)]
    fn group(&mut self, group: &[u8], dst: &mut [u8]) -> Result<usize, CompressError> {
        let flags = group[0];
        let mut k = 1;
        for i in 0..8 {
            if flags & (1 << i) != 0 {
                let h = group[k];
                let n = 2 + usize::from(group[k + 1]);
                k += 2;
                let r = self.lookup(h)?;
                let at = self.s;
                let (c0, c1, last) = copy_match_wide(dst, r, at, n);
                self.matched(at, n, c0, c1, last);
            } else {
                let b = group[k];
                k += 1;
                dst[self.s] = b;
                self.literal(b);
            }
        }
        Ok(k - 1)
    }
}

/// Byte-exact back-reference copy: `dst[at + m] = dst[r + m]` for `m` in `0..n`, in order
/// (so overlapping runs repeat). Requires `r < at` and `at + n <= dst.len()`.
#[inline(always)]
fn copy_match_exact(dst: &mut [u8], r: usize, at: usize, n: usize) {
    let dist = at - r;
    if dist >= n {
        dst.copy_within(r..r + n, at);
    } else {
        // Copy in chunks of `dist` bytes, each reading only bytes already written.
        let mut done = 0;
        while done < n {
            let k = dist.min(n - done);
            dst.copy_within(r + done..r + done + k, at + done);
            done += k;
        }
    }
}

/// Same result as [`copy_match_exact`] in `dst[at..at + n]` (`n >= 2`), using whole words.
/// Returns the first two and the last byte copied. Requires `r + 2 <= at` and
/// `at + n + 8 <= dst.len()`.
///
/// With a distance of 8 or more, the stores cover exactly `[at, at + n)` (the last word may
/// overlap the previous one). A later copy of the same bytes then loads exactly what was
/// stored, which keeps store-to-load forwarding working on regular data such as fixed-width
/// vectors. Shorter distances may write up to 8 bytes past `at + n`. That is harmless: every
/// position from the write cursor onward is written again before it is read.
#[inline(always)]
fn copy_match_wide(dst: &mut [u8], r: usize, at: usize, n: usize) -> (u8, u8, u8) {
    let dist = at - r;
    if dist >= 8 {
        // Each word's source ends at or before its destination starts, so it only reads bytes
        // that are already final.
        if n >= 8 {
            let first = load_u64(dst, r);
            store_u64(dst, at, first);
            let mut k = 8;
            while k + 8 < n {
                let w = load_u64(dst, r + k);
                store_u64(dst, at + k, w);
                k += 8;
            }
            let w = load_u64(dst, r + n - 8);
            store_u64(dst, at + n - 8, w);
            (first as u8, (first >> 8) as u8, (w >> 56) as u8)
        } else if n >= 4 {
            let a = load_u32(dst, r);
            let b = load_u32(dst, r + n - 4);
            store_u32(dst, at, a);
            store_u32(dst, at + n - 4, b);
            (a as u8, (a >> 8) as u8, (b >> 24) as u8)
        } else {
            let (c0, c1, z) = (dst[r], dst[r + 1], dst[r + n - 1]);
            dst[at] = c0;
            dst[at + 1] = c1;
            dst[at + n - 1] = z;
            (c0, c1, z)
        }
    } else {
        // A short period: write the first 8 bytes one at a time, then copy words from a
        // whole number of periods back (at least 8 bytes, at most dist + 7), which is
        // still inside the periodic run that starts at r.
        let (c0, c1) = (dst[r], dst[r + 1]);
        for k in 0..8 {
            dst[at + k] = dst[r + k];
        }
        let back = dist * 8usize.div_ceil(dist);
        let mut k = 8;
        while k < n {
            let w = load_u64(dst, at + k - back);
            store_u64(dst, at + k, w);
            k += 8;
        }
        (c0, c1, dst[at + n - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../tests/fixtures/QCompressedExpressions3.out");

    fn unhex(s: &str) -> Vec<u8> {
        let s = s.trim();
        assert!(s.len().is_multiple_of(2), "odd hex length");
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// Wrap a payload in a little-endian header with the given message type.
    fn message(msg_type: u8, payload: &[u8]) -> Vec<u8> {
        let n = (payload.len() + 8) as u32;
        let mut m = vec![1, msg_type, 0, 0];
        m.extend_from_slice(&n.to_le_bytes());
        m.extend_from_slice(payload);
        m
    }

    fn sym_vector(name: &str, count: u32) -> Vec<u8> {
        let mut v = vec![11, 0];
        v.extend_from_slice(&count.to_le_bytes());
        for _ in 0..count {
            v.extend_from_slice(name.as_bytes());
            v.push(0);
        }
        v
    }

    fn long_vector(values: std::ops::Range<i64>) -> Vec<u8> {
        let mut v = vec![7, 0];
        v.extend_from_slice(&((values.end - values.start) as u32).to_le_bytes());
        for x in values {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v
    }

    /// A table header: flip of a dict with the given column names and a general list of columns.
    fn table(names: &[&str], columns: &[Vec<u8>]) -> Vec<u8> {
        let mut v = vec![0x62, 0, 0x63, 11, 0];
        v.extend_from_slice(&(names.len() as u32).to_le_bytes());
        for name in names {
            v.extend_from_slice(name.as_bytes());
            v.push(0);
        }
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&(columns.len() as u32).to_le_bytes());
        for c in columns {
            v.extend_from_slice(c);
        }
        v
    }

    fn fixture_pairs() -> Vec<(String, Vec<u8>)> {
        let lines: Vec<&str> = FIXTURE.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 6);
        lines.chunks(2).map(|c| (c[0].trim().to_string(), unhex(c[1]))).collect()
    }

    fn uncompressed_for(expr: &str) -> Vec<u8> {
        let payload = match expr {
            "1000#`q" => sym_vector("q", 1000),
            "([] q:1000#`q)" => table(&["q"], &[sym_vector("q", 1000)]),
            "([] a:til 200;b:25+til 200;c:200#`a)" => table(
                &["a", "b", "c"],
                &[long_vector(0..200), long_vector(25..225), sym_vector("a", 200)],
            ),
            other => panic!("unexpected expression {other}"),
        };
        message(0, &payload)
    }

    /// The compressed message as kdb+ sends it: header + the fixture body.
    fn compressed_message(body: &[u8]) -> Vec<u8> {
        let mut m = vec![1, 0, 1, 0];
        m.extend_from_slice(&((body.len() + 8) as u32).to_le_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn real_kdb_vectors_compress_byte_identical() {
        for (expr, body) in fixture_pairs() {
            let plain = uncompressed_for(&expr);
            assert_eq!(
                u32::from_le_bytes(body[..4].try_into().unwrap()) as usize,
                plain.len(),
                "{expr}: size field"
            );
            let expected = compressed_message(&body);
            let got = compress(&plain).unwrap_or_else(|| panic!("{expr}: not compressed"));
            assert_eq!(got, expected, "{expr}: compressed bytes differ");
        }
    }

    #[test]
    fn real_kdb_vectors_decompress() {
        for (expr, body) in fixture_pairs() {
            let plain = uncompressed_for(&expr);
            let got = decompress(&compressed_message(&body), 1 << 20).unwrap();
            assert_eq!(got, plain, "{expr}");
            // The lower-level helper on its own.
            let mut out = Vec::new();
            decompress_stream(&body[4..], plain.len(), &mut out).unwrap();
            assert_eq!(out, plain[8..], "{expr}");
        }
    }

    #[test]
    fn bool_vector_2000() {
        // -18!2000#1b
        let mut payload = vec![1, 0];
        payload.extend_from_slice(&2000u32.to_le_bytes());
        payload.extend(std::iter::repeat_n(1u8, 2000));
        let plain = message(0, &payload);
        assert_eq!(plain.len(), 2014);
        let expected =
            unhex("0100010026000000de070000000100d00700000101ff00ff00ff00ff00ff00ff00ff00ff00c5");
        assert_eq!(compress(&plain).unwrap(), expected);
        assert_eq!(decompress(&expected, 4096).unwrap(), plain);
    }

    #[test]
    fn til_1000_compresses_to_3276() {
        let plain = message(2, &long_vector(0..1000));
        assert_eq!(plain.len(), 8014);
        let c = compress(&plain).unwrap();
        assert_eq!(c.len(), 3276);
        assert_eq!(&c[..19], &unhex("01020100cc0c00004e1f0000400700e8030000")[..]);
        assert_eq!(decompress(&c, 8014).unwrap(), plain);
    }

    #[test]
    fn big_endian_header() {
        let mut plain = message(1, &long_vector(0..1000));
        plain[0] = 0;
        plain[4..8].copy_from_slice(&8014u32.to_be_bytes());
        let c = compress(&plain).unwrap();
        assert_eq!(&c[..4], &[0, 1, 1, 0]);
        assert_eq!(&c[4..8], &(c.len() as u32).to_be_bytes());
        assert_eq!(&c[8..12], &8014u32.to_be_bytes());
        assert_eq!(decompress(&c, usize::MAX).unwrap(), plain);
    }

    #[test]
    fn mode_2_round_trip() {
        let plain = message(2, &long_vector(0..1000));
        let small = compress(&plain).unwrap();
        let c = compress_any(&plain, true).unwrap();
        assert_eq!(&c[..4], &[1, 2, 2, 0]);
        assert_eq!(u32::from_le_bytes(c[4..8].try_into().unwrap()) as usize, c.len());
        assert_eq!(&c[8..16], &8014u64.to_le_bytes());
        // Same stream, only the size field is wider.
        assert_eq!(c[16..], small[12..]);
        assert_eq!(decompress(&c, usize::MAX).unwrap(), plain);
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Data with varying compressibility: random runs, repeats at random distances, and noise.
    fn random_ish(rng: &mut XorShift, len: usize, alphabet: u64) -> Vec<u8> {
        let mut v = Vec::with_capacity(len);
        while v.len() < len {
            match rng.below(4) {
                0 if !v.is_empty() => {
                    let back = 1 + rng.below(v.len().min(600) as u64) as usize;
                    let run = 1 + rng.below(400) as usize;
                    let from = v.len() - back;
                    for i in 0..run {
                        let b = v[from + i];
                        v.push(b);
                    }
                }
                1 => {
                    let b = rng.below(alphabet) as u8;
                    let run = 1 + rng.below(300) as usize;
                    v.extend(std::iter::repeat_n(b, run));
                }
                _ => {
                    for _ in 0..1 + rng.below(20) {
                        v.push(rng.below(alphabet) as u8);
                    }
                }
            }
        }
        v.truncate(len);
        v
    }

    fn check_round_trip(plain: &[u8]) {
        for large in [false, true] {
            if let Some(c) = compress_any(plain, large) {
                assert!(c.len() <= plain.len() / 2);
                assert_eq!(decompress(&c, plain.len()).unwrap(), plain);
                if plain.len() > 2000 && !large {
                    assert_eq!(compress(plain).as_ref(), Some(&c));
                }
            } else if plain.len() > 2000 && !large {
                assert_eq!(compress(plain), None);
            }
        }
    }

    #[test]
    fn round_trips_many_sizes() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut compressed = 0;
        for len in (0..300).chain((300..5000).step_by(37)).chain([65_536, 200_003, 1 << 20]) {
            for alphabet in [1, 2, 4, 256] {
                let payload = random_ish(&mut rng, len, alphabet);
                let plain = message((len % 3) as u8, &payload);
                check_round_trip(&plain);
                if compress_any(&plain, false).is_some() {
                    compressed += 1;
                }
            }
        }
        assert!(compressed > 500, "only {compressed} inputs compressed");
    }

    #[test]
    fn decompress_stream_round_trip_without_threshold() {
        // Exercise tiny messages through the stream-level functions directly.
        let mut rng = XorShift(42);
        for len in 0..200usize {
            let payload = random_ish(&mut rng, len, 3);
            let plain = message(0, &payload);
            // Room for the worst case (9 bytes per 8 literals), so encoding never aborts.
            let budget = 12 + 17 + plain.len() * 9 / 8;
            let mut out = vec![0u8; budget];
            let d = encode(&plain, &mut out, 12, budget).unwrap();
            let mut back = Vec::new();
            decompress_stream(&out[12..d], plain.len(), &mut back).unwrap();
            assert_eq!(back, payload);
        }
    }

    #[test]
    fn decompress_stream_appends() {
        let plain = message(0, &long_vector(0..1000));
        let c = compress(&plain).unwrap();
        let mut out = vec![9, 9, 9];
        decompress_stream(&c[12..], plain.len(), &mut out).unwrap();
        assert_eq!(out[..3], [9, 9, 9]);
        assert_eq!(out[3..], plain[8..]);
        // On error, the original contents are kept.
        assert!(decompress_stream(&c[12..c.len() - 1], plain.len(), &mut out).is_err());
        assert_eq!(out.len(), 3 + plain.len() - 8);
        let mut out2 = vec![7];
        assert!(decompress_stream(&c[12..c.len() - 1], plain.len(), &mut out2).is_err());
        assert_eq!(out2, [7]);
    }

    #[test]
    fn incompressible_returns_none() {
        let mut rng = XorShift(7);
        for len in [2001usize, 4096, 100_000] {
            let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            assert_eq!(compress(&message(0, &payload)), None);
        }
        // Small messages are never compressed, however repetitive.
        assert_eq!(compress(&message(0, &[0u8; 1992])), None);
        assert!(compress(&message(0, &[0u8; 1993])).is_some());
        // Not an uncompressed message.
        assert_eq!(compress(&[1, 0, 0]), None);
        let mut already = message(0, &[0u8; 5000]);
        already[2] = 1;
        assert_eq!(compress(&already), None);
        already[2] = 0;
        already[0] = 2;
        assert_eq!(compress(&already), None);
    }

    #[test]
    fn budget_boundary_matches_java_rule() {
        // Find inputs right at the abort boundary and check the result obeys the budget rule:
        // compressed output never exceeds n / 2.
        let mut rng = XorShift(99);
        for _ in 0..400 {
            let len = 2001 + rng.below(3000) as usize;
            let noise = rng.below(100);
            let payload: Vec<u8> = (0..len)
                .map(|i| if rng.below(100) < noise { rng.next() as u8 } else { (i % 7) as u8 })
                .collect();
            let plain = message(0, &payload);
            if let Some(c) = compress(&plain) {
                assert!(c.len() <= plain.len() / 2);
                assert_eq!(decompress(&c, usize::MAX).unwrap(), plain);
            }
        }
    }

    /// A deliberately plain model of the `c.java` encoder: whole-message output buffer of
    /// `n / 2` bytes, byte-at-a-time match extension, abort test at each group start.
    /// Used to check the optimised encoder decision for decision.
    fn model_compress(y: &[u8]) -> Option<Vec<u8>> {
        let n = y.len();
        let e = n / 2;
        let mut w = vec![0u8; e];
        w[..4].copy_from_slice(&y[..4]);
        w[2] = 1;
        w[8..12].copy_from_slice(&(n as u32).to_le_bytes());
        let (mut c, mut d) = (12usize, 12usize);
        let mut a = [0usize; 256];
        let (mut f, mut bit, mut h, mut h0, mut s0) = (0u8, 0u32, 0usize, 0usize, 0usize);
        let mut s = 8;
        while s < n {
            if bit == 0 {
                if d as i64 > e as i64 - 17 {
                    return None;
                }
                bit = 1;
                w[c] = f;
                c = d;
                d += 1;
                f = 0;
            }
            let mut p = 0;
            let g = s as i64 > n as i64 - 3 || {
                h = (y[s] ^ y[s + 1]) as usize;
                p = a[h];
                p == 0 || y[s] != y[p]
            };
            if s0 > 0 {
                a[h0] = s0;
                s0 = 0;
            }
            if g {
                h0 = h;
                s0 = s;
                w[d] = y[s];
                d += 1;
                s += 1;
            } else {
                a[h] = s;
                f |= bit as u8;
                p += 2;
                s += 2;
                let r = s;
                let q = (s + 255).min(n);
                while y[p] == y[s] {
                    s += 1;
                    if s >= q {
                        break;
                    }
                    p += 1;
                }
                w[d] = h as u8;
                w[d + 1] = (s - r) as u8;
                d += 2;
            }
            bit = if bit == 128 { 0 } else { bit << 1 };
        }
        w[c] = f;
        w[4..8].copy_from_slice(&(d as u32).to_le_bytes());
        w.truncate(d);
        Some(w)
    }

    #[test]
    fn matches_plain_model_of_java_encoder() {
        let mut rng = XorShift(0x5151);
        let mut some = 0;
        let mut none = 0;
        for round in 0..3000 {
            let len = 2001 + rng.below(if round % 10 == 0 { 60_000 } else { 4000 }) as usize;
            let payload = match round % 3 {
                0 => {
                    let alphabet = 1 + rng.below(256);
                    random_ish(&mut rng, len, alphabet)
                }
                1 => {
                    let noise = rng.below(60);
                    let period = 1 + rng.below(40) as usize;
                    (0..len)
                        .map(|i| {
                            if rng.below(100) < noise {
                                rng.next() as u8
                            } else {
                                (i % period) as u8
                            }
                        })
                        .collect()
                }
                _ => {
                    let start = rng.below(1 << 40) as i64;
                    let step = 1 + rng.below(1000) as i64;
                    (0..len as i64 / 8).flat_map(|i| (start + step * i).to_le_bytes()).collect()
                }
            };
            let plain = message(1, &payload);
            let model = model_compress(&plain);
            assert_eq!(compress(&plain), model, "round {round}, len {}", plain.len());
            match model {
                Some(c) => {
                    some += 1;
                    assert_eq!(decompress(&c, usize::MAX).unwrap(), plain);
                }
                None => none += 1,
            }
        }
        assert!(some > 300 && none > 100, "some {some}, none {none}");
    }

    /// A deliberately plain model of the `c.java` decoder over a whole message buffer
    /// (header area included), byte-at-a-time copies. An empty slot (0) is treated as an
    /// error, as the real decoder does; running past either buffer is an error too.
    fn model_decompress(src: &[u8], total: usize) -> Option<Vec<u8>> {
        let mut dst = vec![0u8; total];
        let mut aa = [0usize; 256];
        let (mut s, mut p, mut d, mut f, mut i) = (8usize, 8usize, 0usize, 0u8, 0u32);
        while s < total {
            if i == 0 {
                f = *src.get(d)?;
                d += 1;
                i = 1;
            }
            let mut n = 0;
            if u32::from(f) & i != 0 {
                let r = aa[usize::from(*src.get(d)?)];
                if r == 0 {
                    return None;
                }
                n = usize::from(*src.get(d + 1)?);
                d += 2;
                if s + 2 + n > total {
                    return None;
                }
                for k in 0..2 + n {
                    dst[s + k] = dst[r + k];
                }
                s += 2;
            } else {
                dst[s] = *src.get(d)?;
                d += 1;
                s += 1;
            }
            while p + 1 < s {
                aa[usize::from(dst[p] ^ dst[p + 1])] = p;
                p += 1;
            }
            if u32::from(f) & i != 0 {
                s += n;
                p = s;
            }
            i = if i == 128 { 0 } else { i << 1 };
        }
        Some(dst)
    }

    /// A random but valid stream: tokens are chosen against the model decoder's table, so
    /// back-references use every distance and length the format allows.
    fn random_valid_stream(rng: &mut XorShift, total: usize) -> Vec<u8> {
        let mut dst = vec![0u8; total];
        let mut aa = [0usize; 256];
        let mut stream = Vec::new();
        let (mut s, mut p, mut flag_at, mut bit) = (8usize, 8usize, 0usize, 0u32);
        let alphabet = 1 + rng.below(8);
        while s < total {
            if bit == 0 {
                flag_at = stream.len();
                stream.push(0);
                bit = 1;
            }
            let used: Vec<usize> = (0..256).filter(|&h| aa[h] != 0).collect();
            let mut is_match = false;
            if !used.is_empty() && total - s >= 2 && rng.below(3) > 0 {
                let h = used[rng.below(used.len() as u64) as usize];
                let room = (total - s - 2).min(255) as u64;
                let extra = if rng.below(2) == 0 {
                    rng.below(room + 1)
                } else {
                    rng.below(room.min(9) + 1)
                };
                stream[flag_at] |= bit as u8;
                stream.extend_from_slice(&[h as u8, extra as u8]);
                let r = aa[h];
                for k in 0..2 + extra as usize {
                    dst[s + k] = dst[r + k];
                }
                s += 2;
                while p + 1 < s {
                    aa[usize::from(dst[p] ^ dst[p + 1])] = p;
                    p += 1;
                }
                s += extra as usize;
                p = s;
                is_match = true;
            }
            if !is_match {
                let b = rng.below(alphabet) as u8;
                stream.push(b);
                dst[s] = b;
                s += 1;
                while p + 1 < s {
                    aa[usize::from(dst[p] ^ dst[p + 1])] = p;
                    p += 1;
                }
            }
            bit = if bit == 128 { 0 } else { bit << 1 };
        }
        stream
    }

    #[test]
    fn decoder_matches_plain_model_on_random_valid_streams() {
        let mut rng = XorShift(0xC0FFEE);
        for round in 0..1500 {
            let total = 8 + rng.below(if round % 10 == 0 { 100_000 } else { 3000 }) as usize;
            let stream = random_valid_stream(&mut rng, total);
            let model = model_decompress(&stream, total).expect("generator makes valid streams");
            let mut out = Vec::new();
            decompress_stream(&stream, total, &mut out).unwrap();
            assert_eq!(out, model[8..], "round {round}");
            // And after damage, both agree on success and on the result.
            for _ in 0..4 {
                let mut bad = stream.clone();
                if bad.is_empty() {
                    break;
                }
                let pos = rng.below(bad.len() as u64) as usize;
                bad[pos] = rng.next() as u8;
                let model = model_decompress(&bad, total);
                let mut out = Vec::new();
                let mine = decompress_stream(&bad, total, &mut out);
                match model {
                    Some(m) => {
                        assert_eq!(mine, Ok(()), "round {round}");
                        assert_eq!(out, m[8..], "round {round}");
                    }
                    None => assert!(mine.is_err(), "round {round}"),
                }
            }
        }
    }

    fn all_compressed_samples() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> =
            fixture_pairs().into_iter().map(|(_, b)| compressed_message(&b)).collect();
        v.push(compress(&message(2, &long_vector(0..1000))).unwrap());
        v.push(compress_any(&message(2, &long_vector(0..300)), true).unwrap());
        v
    }

    #[test]
    fn every_truncation_is_an_error() {
        for c in all_compressed_samples() {
            for cut in 0..c.len() {
                assert!(decompress(&c[..cut], usize::MAX).is_err(), "cut {cut}");
                // Also with the header's length patched to match the cut.
                let mut t = c[..cut].to_vec();
                if t.len() >= 8 {
                    t[4..8].copy_from_slice(&(cut as u32).to_le_bytes());
                    assert!(decompress(&t, usize::MAX).is_err(), "patched cut {cut}");
                }
            }
            let stream_at = if c[2] == 2 { 16 } else { 12 };
            let unc = decompress(&c, usize::MAX).unwrap().len();
            for cut in stream_at..c.len() {
                let mut out = Vec::new();
                assert!(decompress_stream(&c[stream_at..cut], unc, &mut out).is_err());
                assert!(out.is_empty());
            }
        }
    }

    #[test]
    fn corruptions_never_panic() {
        let mut rng = XorShift(0xDEAD_BEEF);
        for c in all_compressed_samples() {
            let original = decompress(&c, usize::MAX).unwrap();
            // Every single-byte change at every position (a few values each).
            for pos in 0..c.len() {
                for _ in 0..8 {
                    let mut m = c.clone();
                    m[pos] ^= 1 + rng.below(255) as u8;
                    if let Ok(out) = decompress(&m, 1 << 20) {
                        // A corruption may still decode; it must have the declared length.
                        assert!(out.len() <= 1 << 20);
                        assert!(out.len() >= 8);
                    }
                }
            }
            // Random multi-byte damage to the stream.
            for _ in 0..2000 {
                let mut m = c.clone();
                for _ in 0..1 + rng.below(6) {
                    let pos = 12 + rng.below((m.len() - 12) as u64) as usize;
                    m[pos] = rng.next() as u8;
                }
                let _ = decompress(&m, 1 << 20);
            }
            assert_eq!(decompress(&c, usize::MAX).unwrap(), original);
        }
    }

    #[test]
    fn random_streams_never_panic() {
        let mut rng = XorShift(12345);
        for _ in 0..3000 {
            let len = rng.below(200) as usize;
            let stream: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let unc = 8 + rng.below(5000) as usize;
            let mut out = Vec::new();
            match decompress_stream(&stream, unc, &mut out) {
                Ok(()) => assert_eq!(out.len(), unc - 8),
                Err(_) => assert!(out.is_empty()),
            }
        }
    }

    #[test]
    fn header_errors() {
        let good = compress(&message(0, &long_vector(0..1000))).unwrap();
        assert_eq!(decompress(&good[..5], 1 << 20), Err(CompressError::Truncated));
        let mut m = good.clone();
        m[2] = 0;
        assert_eq!(decompress(&m, 1 << 20), Err(CompressError::BadMode(0)));
        let mut m = good.clone();
        m[0] = 3;
        assert_eq!(decompress(&m, 1 << 20), Err(CompressError::BadEndianness(3)));
        let mut m = good.clone();
        m.push(0);
        assert!(matches!(decompress(&m, 1 << 20), Err(CompressError::BadLength { .. })));
        let mut m = good.clone();
        m[3] = 1;
        assert!(matches!(decompress(&m, 1 << 20), Err(CompressError::BadLength { .. })));
        assert!(matches!(decompress(&good, 8013), Err(CompressError::TooLarge { .. })));
        assert!(decompress(&good, 8014).is_ok());
        // Declared sizes the stream cannot possibly produce are refused before allocating.
        let mut m = good.clone();
        m[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decompress(&m, usize::MAX), Err(CompressError::ImpossibleSize { .. })));
        let mut m = good.clone();
        m[8..12].copy_from_slice(&7u32.to_le_bytes());
        assert!(matches!(decompress(&m, usize::MAX), Err(CompressError::ImpossibleSize { .. })));
        let mut out = Vec::new();
        assert!(matches!(
            decompress_stream(&[0xff, 0, 0], usize::MAX, &mut out),
            Err(CompressError::ImpossibleSize { .. })
        ));
        // Mode 2 with an absurd 64-bit size.
        let mut m2 = compress_any(&message(0, &long_vector(0..1000)), true).unwrap();
        m2[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(decompress(&m2, usize::MAX), Err(CompressError::TooLarge { .. })));
        // Display is implemented for every variant.
        for e in [
            CompressError::Truncated,
            CompressError::BadMode(5),
            CompressError::BadEndianness(5),
            CompressError::BadLength { declared: 1, actual: 2 },
            CompressError::ImpossibleSize { declared: 1, stream_len: 2 },
            CompressError::TooLarge { declared: 1, max: 2 },
            CompressError::Alloc(1),
            CompressError::Corrupt("x"),
        ] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn max_payload_is_tight() {
        // A stream of all-match groups reaches the bound exactly.
        let plain = message(0, &vec![5u8; 100_000]);
        let c = compress(&plain).unwrap();
        let stream = &c[12..];
        assert!(plain.len() as u64 - 8 <= max_payload(stream.len()));
        assert_eq!(max_payload(0), 0);
        assert_eq!(max_payload(1), 0);
        assert_eq!(max_payload(2), 1);
        assert_eq!(max_payload(3), 257);
        assert_eq!(max_payload(17), 2056);
        assert_eq!(max_payload(18), 2056);
        assert_eq!(max_payload(19), 2057);
    }
}
