//! Messages to and from byte streams, without building them whole in memory.
//!
//! [`write_message`] writes a message to any [`Write`]: the header first (the exact size is
//! computed up front), then the payload in pieces, with large fixed-width vectors written
//! straight from the column's memory. No buffer the size of the message is ever allocated,
//! and the peer starts receiving while the rest is still being encoded.
//!
//! [`read_payload`] decodes a message's payload from any [`BufRead`] as its bytes arrive:
//! fixed-width vectors are read straight into their final buffers, symbols are interned as
//! they stream past. It applies exactly the checks of [`crate::decode_payload`] (counts
//! against the bytes left, depth, types), and never reads past the message's end, so the
//! stream stays in step for the next message, even after a decoding error (the rest of the
//! bad message is read and dropped).
//!
//! Still sans-socket: these take the standard I/O traits, whatever is behind them.

use crate::decode::{Reader, Source};
use crate::encode::{encoded_len, Writer};
use crate::{header, Compression, EncodeOptions, Header, IpcError, MsgType, Payload, HEADER_LEN};
use crate::{DecodeOptions, COMPRESSION_THRESHOLD};
use fq_value::{Buffer, QType, RawBuffer, Value, Vector};
use std::fmt;
use std::io::{self, BufRead, Read, Write};

/// Why a message could not be streamed.
#[derive(Debug)]
pub enum StreamError {
    /// The stream failed (closed, timed out...): it is out of step and should be dropped.
    Io(io::Error),
    /// The bytes are not a valid message (when reading), or the value cannot be sent (when
    /// writing; nothing was written then). The stream is still in step.
    Ipc(IpcError),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Io(e) => write!(f, "{e}"),
            StreamError::Ipc(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StreamError {}

impl From<io::Error> for StreamError {
    fn from(e: io::Error) -> Self {
        StreamError::Io(e)
    }
}

impl From<IpcError> for StreamError {
    fn from(e: IpcError) -> Self {
        StreamError::Ipc(e)
    }
}

/// Messages smaller than this are encoded into one buffer and written with one call.
const STREAM_FROM: usize = 1 << 20;

/// Pieces of at most about this size are handed to the writer.
const PIECE: usize = 256 << 10;

/// Fixed-width vectors at least this large are written from their own memory.
const DIRECT: usize = 64 << 10;

/// Symbols encoded per piece of a symbol vector.
const SYMS_PER_PIECE: usize = 32 << 10;

/// Write a whole message to `w`, byte for byte what [`crate::encode_message`] builds.
///
/// Compressed, big-endian, error and small messages are built whole and written at once;
/// the others stream. An [`StreamError::Ipc`] (the value is too large for the peer or
/// cannot be encoded) is reported before any byte is written.
pub fn write_message<W: Write + ?Sized>(
    w: &mut W,
    payload: &Payload,
    msg_type: MsgType,
    opts: &EncodeOptions,
) -> Result<(), StreamError> {
    let v = match payload {
        Payload::Value(v) if opts.little_endian => v,
        _ => return Ok(w.write_all(&crate::encode_message(payload, msg_type, opts)?)?),
    };
    let len = HEADER_LEN + encoded_len(v)?;
    if len < STREAM_FROM || (opts.compress && len > COMPRESSION_THRESHOLD) {
        return Ok(w.write_all(&crate::encode_message(payload, msg_type, opts)?)?);
    }
    let limit =
        if opts.large_messages { header::MAX_LARGE_MESSAGE } else { header::MAX_SMALL_MESSAGE };
    if len as u64 > limit {
        return Err(IpcError::TooLarge { len: len as u64, limit }.into());
    }
    let h =
        Header { little_endian: true, msg_type, compression: Compression::None, len: len as u64 };
    let mut s = Streamer { w, piece: Vec::with_capacity(PIECE + DIRECT), written: 0 };
    s.piece.extend_from_slice(&h.to_bytes());
    s.value(v)?;
    s.flush()?;
    debug_assert_eq!(s.written, len, "streamed size differs from encoded_len");
    Ok(())
}

/// Writes a value in pieces; the size was checked beforehand, so only I/O can fail
/// (an encoding error here would be a bug, and is reported as one).
struct Streamer<'w, W: Write + ?Sized> {
    w: &'w mut W,
    piece: Vec<u8>,
    written: usize,
}

impl<W: Write + ?Sized> Streamer<'_, W> {
    fn flush(&mut self) -> Result<(), StreamError> {
        if !self.piece.is_empty() {
            self.w.write_all(&self.piece)?;
            self.written += self.piece.len();
            self.piece.clear();
        }
        Ok(())
    }

    fn maybe_flush(&mut self) -> Result<(), StreamError> {
        if self.piece.len() >= PIECE {
            self.flush()?;
        }
        Ok(())
    }

    fn writer(&mut self) -> Writer<'_> {
        Writer::new(&mut self.piece, true)
    }

    fn value(&mut self, v: &Value) -> Result<(), StreamError> {
        match v {
            Value::Vector(vec) if vec.ty() == QType::SYMBOL && vec.len() > SYMS_PER_PIECE => {
                self.writer().header(QType::SYMBOL.code() as i8, vec.attr(), vec.len())?;
                for chunk in vec.as_slice().chunks(SYMS_PER_PIECE) {
                    self.writer().sym_names(chunk);
                    self.maybe_flush()?;
                }
            }
            Value::Vector(vec) if vec.ty() != QType::SYMBOL && vec.as_bytes().len() >= DIRECT => {
                self.direct(vec)?;
            }
            Value::List(l) => {
                self.writer().header(0, l.attr(), l.len())?;
                for item in l.items() {
                    self.value(item)?;
                }
            }
            Value::Dict(d) => {
                self.piece.push(if d.is_sorted() { 127 } else { 99 });
                self.value(&d.keys)?;
                self.value(&d.values)?;
            }
            Value::Table(t) => {
                self.piece.extend_from_slice(&[98, t.attr().byte(), 99]);
                self.writer().vector(t.names())?;
                self.writer().header(0, fq_value::Attr::None, t.columns().len())?;
                for c in t.columns() {
                    self.value(c)?;
                }
            }
            Value::Enum(e) => self.value(&e.resolve().map_err(IpcError::Value)?)?,
            _ => self.writer().value(v)?,
        }
        self.maybe_flush()
    }

    /// A fixed-width vector: its header, then its memory as it is (little-endian).
    fn direct(&mut self, vec: &Vector) -> Result<(), StreamError> {
        self.writer().header(vec.ty().code() as i8, vec.attr(), vec.len())?;
        self.flush()?;
        self.w.write_all(vec.as_bytes())?;
        self.written += vec.as_bytes().len();
        Ok(())
    }
}

/// Read and decode the payload of the message whose 8-byte `header` was just read from
/// `r`, consuming exactly the rest of the message. Compressed messages are read whole,
/// then expanded (bounded by `opts.max_message`) and decoded.
pub fn read_payload<R: BufRead + ?Sized>(
    r: &mut R,
    header: &Header,
    opts: &DecodeOptions,
) -> Result<Payload, StreamError> {
    let total = usize::try_from(header.len)
        .map_err(|_| IpcError::TooLarge { len: header.len, limit: usize::MAX as u64 })?;
    let len = total.checked_sub(HEADER_LEN).ok_or(IpcError::BadHeader("length below 8"))?;
    if header.compression != Compression::None {
        let mut msg = Vec::new();
        msg.try_reserve_exact(total)
            .map_err(|_| IpcError::TooLarge { len: header.len, limit: opts.max_message as u64 })?;
        msg.extend_from_slice(&header.to_bytes());
        msg.resize(total, 0);
        r.read_exact(&mut msg[HEADER_LEN..])?;
        return Ok(crate::decode_message(&msg, opts)?.1);
    }
    let mut rd = Reader::new(
        Stream { r, len, pos: 0, io: None, scratch: Vec::new() },
        header.little_endian,
        opts,
    );
    let result = rd.payload();
    let mut src = rd.src;
    if let Some(e) = src.io.take() {
        return Err(StreamError::Io(e));
    }
    let result = result.and_then(|p| match src.remaining() {
        0 => Ok(p),
        extra => Err(IpcError::Trailing { extra }),
    });
    if let Err(e) = result {
        // Skip the rest so that the next message starts where it should.
        let left = src.remaining() as u64;
        let skipped = io::copy(&mut (&mut *src.r).take(left), &mut io::sink())?;
        if skipped < left {
            return Err(StreamError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        return Err(StreamError::Ipc(e));
    }
    result.map_err(StreamError::Ipc)
}

/// Vectors at least this large have their pages populated up front.
const POPULATE_FROM: usize = 1 << 20;

/// Populate the pages of `(ptr, len)`, memory this thread allocated and has not touched
/// yet, writable (Linux 5.14+ `MADV_POPULATE_WRITE`; elsewhere, or if refused, nothing:
/// the pages then fault in on first touch as usual).
fn populate((ptr, len): (*mut u8, usize)) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (ptr as usize).next_multiple_of(PAGE);
        let end = (ptr as usize + len) & !(PAGE - 1);
        if end > start {
            // SAFETY: [start, end) lies within the allocation this thread owns; populating
            // maps pages in without changing what the memory holds.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_POPULATE_WRITE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, len);
}

/// Busy-wait until the socket `fd` has bytes to read (or has ended, or failed) or `until`
/// passes, without sleeping: peek without blocking, yielding the core between checks. The
/// caller's next read then finds the bytes there instead of putting the thread to sleep
/// (a sleeping thread on an idle VM takes tens of µs to wake). Unix only; elsewhere it
/// returns at once.
pub fn wait_readable(fd: i32, until: std::time::Instant) {
    #[cfg(unix)]
    {
        let mut b = 0u8;
        loop {
            // SAFETY: one writable byte at `b`; the caller owns the open socket `fd`.
            let n = unsafe {
                libc::recv(fd, (&mut b as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT)
            };
            if n >= 0 {
                return;
            }
            let kind = io::Error::last_os_error().kind();
            if !matches!(kind, io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
                || std::time::Instant::now() >= until
            {
                return;
            }
            std::thread::yield_now();
        }
    }
    #[cfg(not(unix))]
    let _ = (fd, until);
}

/// A payload being read from a stream: `len` bytes long, `pos` consumed so far. An I/O
/// failure is kept in `io` (and the decoder sees a truncation, which ends it).
struct Stream<'r, R: BufRead + ?Sized> {
    r: &'r mut R,
    len: usize,
    pos: usize,
    io: Option<io::Error>,
    scratch: Vec<u8>,
}

impl<R: BufRead + ?Sized> Stream<'_, R> {
    fn failed(&mut self, e: io::Error, need: usize) -> IpcError {
        let err = self.truncated(need);
        self.io.get_or_insert(e);
        err
    }
}

impl<R: BufRead + ?Sized> Source for Stream<'_, R> {
    #[inline]
    fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.len - self.pos
    }

    #[inline]
    fn fill(&mut self, out: &mut [u8]) -> Result<(), IpcError> {
        if out.len() > self.remaining() {
            return Err(self.truncated(out.len()));
        }
        // The common case: the bytes are buffered already.
        if let Ok(b) = self.r.fill_buf() {
            if b.len() >= out.len() {
                out.copy_from_slice(&b[..out.len()]);
                self.r.consume(out.len());
                self.pos += out.len();
                return Ok(());
            }
        }
        match self.r.read_exact(out) {
            Ok(()) => {
                self.pos += out.len();
                Ok(())
            }
            Err(e) => Err(self.failed(e, out.len())),
        }
    }

    fn buffer(&mut self, n: usize) -> Result<Buffer, IpcError> {
        if n > self.remaining() {
            return Err(self.truncated(n));
        }
        let mut buf = if n >= POPULATE_FROM {
            // Fault the pages in with one call rather than one trap per 4 KB page as the
            // socket's bytes land (a large part of receiving into fresh memory).
            let mut raw = RawBuffer::with_capacity(n);
            populate(raw.spare_capacity());
            raw.extend_zeroed(n);
            Buffer::from_raw(raw)
        } else {
            Buffer::from_raw(RawBuffer::zeroed(n))
        };
        match self.r.read_exact(buf.make_mut()) {
            Ok(()) => {
                self.pos += n;
                Ok(buf)
            }
            Err(e) => Err(self.failed(e, n)),
        }
    }

    #[inline]
    fn peek8(&mut self) -> Option<u64> {
        if self.remaining() < 8 {
            return None;
        }
        let b = self.r.fill_buf().ok()?;
        let w = b.get(..8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        Some(u64::from_le_bytes(a))
    }

    #[inline]
    fn window(&mut self) -> &[u8] {
        let left = self.len - self.pos;
        match self.r.fill_buf() {
            Ok(b) => &b[..b.len().min(left)],
            Err(_) => &[],
        }
    }

    #[inline]
    fn skip(&mut self, n: usize) {
        self.r.consume(n);
        self.pos += n;
    }

    fn cstr<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<T, IpcError> {
        self.scratch.clear();
        loop {
            let left = self.remaining();
            let b = match self.r.fill_buf() {
                Ok(b) if b.is_empty() && left > 0 => {
                    let e = io::Error::from(io::ErrorKind::UnexpectedEof);
                    return Err(self.failed(e, left));
                }
                Ok(b) => b,
                Err(e) => return Err(self.failed(e, left.max(1))),
            };
            let avail = &b[..b.len().min(left)];
            if let Some(i) = avail.iter().position(|&c| c == 0) {
                let out = if self.scratch.is_empty() {
                    f(&avail[..i])
                } else {
                    self.scratch.extend_from_slice(&avail[..i]);
                    f(&self.scratch)
                };
                self.r.consume(i + 1);
                self.pos += i + 1;
                return Ok(out);
            }
            if avail.len() == left {
                // The payload ends without the NUL.
                return Err(self.truncated(left + 1));
            }
            let n = avail.len();
            self.scratch.extend_from_slice(avail);
            self.r.consume(n);
            self.pos += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode_message;
    use fq_value::{List, Sym, Table};
    use std::sync::Arc;

    fn samples() -> Vec<Value> {
        let n = 200_000;
        let longs: Vec<i64> = (0..n as i64).collect();
        let floats: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        let names = ["a", "bb", "ccc", "a_rather_long_symbol_name", ""];
        let syms: Vec<Sym> = (0..n).map(|i| Sym::new(names[i % names.len()])).collect();
        let table = Table::new(
            Vector::sym_names(&["a", "f", "s"]),
            vec![
                Value::Vector(Vector::longs(&longs)),
                Value::Vector(Vector::floats(&floats)),
                Value::Vector(Vector::syms(&syms)),
            ],
        )
        .unwrap();
        vec![
            Value::Long(7),
            Value::Vector(Vector::longs(&longs)),
            Value::Vector(Vector::syms(&syms)),
            Value::Table(Arc::new(table.clone())),
            Value::List(List::new(vec![
                Value::Table(Arc::new(table)),
                Value::string("mixed"),
                Value::Vector(Vector::floats(&floats[..10])),
            ])),
        ]
    }

    #[test]
    fn streamed_bytes_equal_built_bytes() {
        for v in samples() {
            for large in [false, true] {
                let opts =
                    EncodeOptions { little_endian: true, compress: false, large_messages: large };
                let p = Payload::Value(v.clone());
                let built = encode_message(&p, MsgType::Response, &opts).unwrap();
                let mut streamed = Vec::new();
                write_message(&mut streamed, &p, MsgType::Response, &opts).unwrap();
                assert!(built == streamed, "streamed bytes differ for {:?}", v.qtype());
            }
        }
    }

    /// A reader that hands out at most `step` bytes per read (and per buffer fill), so
    /// every boundary case of the streaming decoder is crossed.
    struct Trickle<'a> {
        b: &'a [u8],
        pos: usize,
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = out.len().min(self.step).min(self.b.len() - self.pos);
            out[..n].copy_from_slice(&self.b[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn read_all(bytes: &[u8], step: usize, cap: usize) -> Result<Payload, StreamError> {
        let mut r = io::BufReader::with_capacity(cap, Trickle { b: bytes, pos: 0, step });
        let mut head = [0u8; HEADER_LEN];
        r.read_exact(&mut head)?;
        let h = Header::parse(&head, true)?;
        read_payload(&mut r, &h, &DecodeOptions::default())
    }

    #[test]
    fn streamed_decode_equals_slice_decode() {
        for v in samples() {
            let p = Payload::Value(v);
            let bytes = encode_message(&p, MsgType::Response, &EncodeOptions::default()).unwrap();
            for (step, cap) in [(1, 1), (3, 5), (7, 64), (4096, 8192), (1 << 20, 1 << 16)] {
                if step < 64 && bytes.len() > 100_000 {
                    continue; // byte-at-a-time over megabytes proves nothing more
                }
                let got = read_all(&bytes, step, cap).unwrap();
                assert_eq!(got, p);
            }
        }
        let err = encode_message(
            &Payload::Error(fq_value::QError::Type),
            MsgType::Response,
            &EncodeOptions::default(),
        )
        .unwrap();
        assert_eq!(read_all(&err, 1, 1).unwrap(), Payload::Error(fq_value::QError::Type));
    }

    #[test]
    fn a_bad_message_is_skipped_whole_and_the_next_one_reads() {
        let good = encode_message(
            &Payload::Value(Value::Vector(Vector::longs(&[1, 2, 3]))),
            MsgType::Response,
            &EncodeOptions::default(),
        )
        .unwrap();
        // Same length, but an unknown type byte where the vector starts.
        let mut bad = good.clone();
        bad[HEADER_LEN] = 77;
        // Trailing bytes inside the declared length.
        let mut trailing = encode_message(
            &Payload::Value(Value::Long(1)),
            MsgType::Response,
            &EncodeOptions::default(),
        )
        .unwrap();
        trailing.extend_from_slice(&[0, 0, 0]);
        let l = trailing.len() as u32;
        trailing[4..8].copy_from_slice(&l.to_le_bytes());
        for first in [bad, trailing] {
            let stream = [first.as_slice(), good.as_slice()].concat();
            let mut r = io::BufReader::with_capacity(4, Trickle { b: &stream, pos: 0, step: 3 });
            for expect_ok in [false, true] {
                let mut head = [0u8; HEADER_LEN];
                r.read_exact(&mut head).unwrap();
                let h = Header::parse(&head, true).unwrap();
                let got = read_payload(&mut r, &h, &DecodeOptions::default());
                assert_eq!(got.is_ok(), expect_ok, "{got:?}");
            }
        }
    }

    #[test]
    fn every_truncation_is_an_error_not_a_hang() {
        let v = samples().swap_remove(3);
        let bytes =
            encode_message(&Payload::Value(v), MsgType::Response, &EncodeOptions::default())
                .unwrap();
        let h = Header::parse(bytes[..HEADER_LEN].try_into().unwrap(), true).unwrap();
        for cut in (HEADER_LEN..bytes.len()).step_by(bytes.len() / 97 + 1) {
            let mut r = io::BufReader::with_capacity(64, &bytes[HEADER_LEN..cut]);
            match read_payload(&mut r, &h, &DecodeOptions::default()) {
                Err(StreamError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof),
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn compressed_messages_read_too() {
        let v = Value::Vector(Vector::longs(&vec![5; 100_000]));
        let opts = EncodeOptions { little_endian: true, compress: true, large_messages: false };
        let bytes = encode_message(&Payload::Value(v.clone()), MsgType::Response, &opts).unwrap();
        assert!(bytes.len() < 100_000);
        assert_eq!(read_all(&bytes, 1000, 4096).unwrap(), Payload::Value(v.clone()));
        let mut w = Vec::new();
        write_message(&mut w, &Payload::Value(v), MsgType::Response, &opts).unwrap();
        assert_eq!(w, bytes);
    }

    #[test]
    fn too_large_for_the_peer_writes_nothing() {
        struct Fails;
        impl Write for Fails {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                panic!("nothing may be written")
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        // 33 × 128 MB (one vector shared 33 times): over the 4 GiB capability-3 limit.
        let col = Value::Vector(Vector::zeroed(QType::LONG, 1 << 24));
        let v = Value::List(List::new(vec![col; 33]));
        let opts = EncodeOptions::default();
        match write_message(&mut Fails, &Payload::Value(v), MsgType::Response, &opts) {
            Err(StreamError::Ipc(IpcError::TooLarge { .. })) => {}
            other => panic!("{other:?}"),
        }
    }
}
