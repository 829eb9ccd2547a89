//! The sans-IO half shared by the sync and async clients: headers with size limits, request
//! encoding, raw messages and their decoding.

use crate::error::ClientError;
use fq_ipc::{DecodeOptions, EncodeOptions, Header, IpcError, MsgType, Payload, HEADER_LEN};
use fq_value::{QError, Value};
use std::borrow::Cow;

/// The body of a message is read in steps of at most this many bytes beyond what has
/// arrived, so a header announcing a huge length costs no memory until the bytes come.
pub(crate) const READ_STEP: usize = 64 << 20;

/// One whole message as received: the header and every byte (header included), before
/// decompression and decoding. [`Connection::query_raw`](crate::Connection::query_raw)
/// returns one.
#[derive(Clone, Debug)]
pub struct RawMessage {
    header: Header,
    bytes: Vec<u8>,
    opts: DecodeOptions,
}

impl RawMessage {
    pub(crate) fn new(header: Header, bytes: Vec<u8>, opts: DecodeOptions) -> RawMessage {
        RawMessage { header, bytes, opts }
    }

    /// The parsed header: byte order, message type, compression, total length.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The message as received, header included (still compressed if it was sent so).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The message as received, header included.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// True when the server sent it compressed.
    pub fn is_compressed(&self) -> bool {
        self.header.compression != fq_ipc::Compression::None
    }

    /// The payload bytes (after the 8-byte header), decompressed when needed.
    pub fn payload(&self) -> Result<Cow<'_, [u8]>, ClientError> {
        if !self.is_compressed() {
            return Ok(Cow::Borrowed(&self.bytes[HEADER_LEN..]));
        }
        let mut plain = fq_ipc::compress::decompress(&self.bytes, self.opts.max_message)
            .map_err(|e| ClientError::Protocol(IpcError::Compression(e)))?;
        plain.drain(..HEADER_LEN);
        Ok(Cow::Owned(plain))
    }

    /// Decode the message: its value, or [`ClientError::Q`] for an error reply.
    pub fn decode(&self) -> Result<Value, ClientError> {
        decode(&self.bytes, &self.opts)
    }
}

/// Decode a whole message; an error payload becomes [`ClientError::Q`].
pub(crate) fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<Value, ClientError> {
    match fq_ipc::decode_message(bytes, opts).map_err(ClientError::Protocol)? {
        (_, Payload::Value(v)) => Ok(v),
        (_, Payload::Error(e)) => Err(ClientError::Q(e.text().to_owned())),
    }
}

/// Parse a received header and check its length against the limit.
pub(crate) fn parse_header(
    head: &[u8; HEADER_LEN],
    large: bool,
    max_message: u64,
) -> Result<Header, ClientError> {
    let h = Header::parse(head, large).map_err(ClientError::Protocol)?;
    if h.len > max_message {
        return Err(ClientError::Protocol(IpcError::TooLarge { len: h.len, limit: max_message }));
    }
    Ok(h)
}

/// How a connection encodes what it sends.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Codec {
    /// Compress outgoing messages (kdb+'s size rules still apply).
    pub compress: bool,
    /// The negotiated capability is at least 5: lengths may use header byte 3.
    pub large: bool,
    /// Limits on what is received.
    pub decode: DecodeOptions,
    /// Largest message accepted, before decompression.
    pub max_message: u64,
}

impl Codec {
    pub(crate) fn new(capability: u8, compress: bool, max_message: u64, max_depth: usize) -> Codec {
        let large = capability >= 5;
        Codec {
            compress,
            large,
            decode: DecodeOptions {
                max_depth,
                max_message: usize::try_from(max_message).unwrap_or(usize::MAX),
                large_messages: large,
            },
            max_message,
        }
    }

    /// A whole message for `payload`.
    pub(crate) fn encode(&self, payload: &Payload, ty: MsgType) -> Result<Vec<u8>, ClientError> {
        let opts = EncodeOptions {
            little_endian: true,
            compress: self.compress,
            large_messages: self.large,
        };
        fq_ipc::encode_message(payload, ty, &opts).map_err(ClientError::Encode)
    }

    /// The error reply to a sync request the server sent us: this client does not evaluate.
    pub(crate) fn refusal(&self) -> Result<Vec<u8>, ClientError> {
        self.encode(&Payload::Error(QError::Nyi), MsgType::Response)
    }
}

/// What to do with a message that arrived while waiting for something else.
pub(crate) enum Arrival {
    /// The response being waited for.
    Response(RawMessage),
    /// An unsolicited async message, decoded.
    Async(Value),
    /// A sync request from the server: answer with [`Codec::refusal`].
    Request,
}

/// Classify a received message.
pub(crate) fn classify(msg: RawMessage) -> Result<Arrival, ClientError> {
    match msg.header.msg_type {
        MsgType::Response => Ok(Arrival::Response(msg)),
        MsgType::Async => match msg.decode() {
            Ok(v) => Ok(Arrival::Async(v)),
            // An async error message is unusual but valid: hand it on as its text.
            Err(ClientError::Q(t)) => Ok(Arrival::Async(Value::string(&format!("'{t}")))),
            Err(e) => Err(e),
        },
        MsgType::Sync => {
            // Decode it anyway, so that bad bytes are reported as such.
            match msg.decode() {
                Ok(_) | Err(ClientError::Q(_)) => Ok(Arrival::Request),
                Err(e) => Err(e),
            }
        }
    }
}

/// The general list `(f; args...)` that `call` sends: a q name as a symbol (looked up by
/// the server, as `` h(`f;x) `` does), anything else (a lambda's source) as a string.
pub(crate) fn call_message(f: &str, args: &[Value]) -> Value {
    let head = if is_name(f) { Value::sym(f) } else { Value::string(f) };
    let mut items = Vec::with_capacity(args.len() + 1);
    items.push(head);
    items.extend_from_slice(args);
    Value::list(items)
}

/// A q name: optionally dotted, letters, digits and underscores, not starting with a digit.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').enumerate().all(|(i, part)| {
            (part.is_empty() && i == 0)
                || part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_name("upd"));
        assert!(is_name(".u.upd"));
        assert!(is_name("f_2"));
        assert!(!is_name("{x+y}"));
        assert!(!is_name("1+"));
        assert!(!is_name(""));
        assert!(!is_name("a..b"));
    }

    #[test]
    fn oversized_header_refused() {
        let h = [1, 2, 0, 0, 0xff, 0xff, 0xff, 0x7f];
        assert!(matches!(
            parse_header(&h, false, 1 << 20),
            Err(ClientError::Protocol(IpcError::TooLarge { .. }))
        ));
        // Byte 3 is bits 32..39 only on a large-message connection.
        let h = [1, 2, 0, 3, 16, 0, 0, 0];
        assert_eq!(parse_header(&h, false, u64::MAX).unwrap().len, 16);
        assert_eq!(parse_header(&h, true, u64::MAX).unwrap().len, (3 << 32) + 16);
        assert!(parse_header(&h, true, 1 << 32).is_err());
    }
}
