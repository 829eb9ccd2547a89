//! [`ClientError`]: every way a call can fail.

use fq_ipc::IpcError;
use std::fmt;
use std::io;

/// Why a connection, a call or a pool checkout failed.
///
/// | variant | meaning | the connection afterwards |
/// |---|---|---|
/// | [`Io`](ClientError::Io) | the socket failed (refused, reset, ...) | broken |
/// | [`Rejected`](ClientError::Rejected) | the server closed the connection right after the hello: kdb+'s `'access` | never opened |
/// | [`Handshake`](ClientError::Handshake) | the server's handshake reply made no sense | never opened |
/// | [`Protocol`](ClientError::Protocol) | the server sent bytes that are not a valid message (bad header, bad payload, over the size limit) | broken |
/// | [`Q`](ClientError::Q) | the server evaluated the request and signalled a q error (`'type`, `'foo`...) | still usable |
/// | [`Timeout`](ClientError::Timeout) | no complete reply within the call timeout (or no connection within the connect timeout) | broken, unless [`Connection::recv_timeout`](crate::Connection::recv_timeout) saw no byte at all |
/// | [`Closed`](ClientError::Closed) | the server closed the connection, or an earlier failure broke it | broken |
/// | [`Encode`](ClientError::Encode) | the value to send cannot be encoded (too large, too deep) | still usable |
/// | [`InvalidEndpoint`](ClientError::InvalidEndpoint) | an address string that does not parse | – |
/// | [`PoolTimeout`](ClientError::PoolTimeout) | no pooled connection became free within the checkout timeout | – |
/// | [`PoolClosed`](ClientError::PoolClosed) | the pool was closed | – |
///
/// A broken connection answers every later call with [`ClientError::Closed`]; a pool
/// discards it when it is returned.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// A socket error.
    Io(io::Error),
    /// The server closed the connection right after the hello: the credentials were refused
    /// (kdb+'s `'access`).
    Rejected,
    /// The server's handshake reply was invalid.
    Handshake(String),
    /// The server sent bytes that are not a valid kdb+ message.
    Protocol(IpcError),
    /// The server signalled a q error; the text is q's, without the leading `'`.
    Q(String),
    /// The operation did not complete within its timeout.
    Timeout,
    /// The connection is closed (by the server, or broken by an earlier failure).
    Closed,
    /// The value to send could not be encoded.
    Encode(IpcError),
    /// An address that does not parse.
    InvalidEndpoint(String),
    /// No pooled connection became available within the checkout timeout.
    PoolTimeout,
    /// The pool has been closed.
    PoolClosed,
}

impl ClientError {
    /// True when the connection that produced this error can no longer be used.
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            ClientError::Q(_)
                | ClientError::Encode(_)
                | ClientError::InvalidEndpoint(_)
                | ClientError::PoolTimeout
                | ClientError::PoolClosed
        )
    }

    /// Map an IO error, telling timeouts and closed connections apart.
    pub(crate) fn from_io(e: io::Error) -> ClientError {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ClientError::Timeout,
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => ClientError::Closed,
            _ => ClientError::Io(e),
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "io error: {e}"),
            ClientError::Rejected => {
                f.write_str("access denied: the server rejected the credentials")
            }
            ClientError::Handshake(w) => write!(f, "bad handshake: {w}"),
            ClientError::Protocol(e) => write!(f, "protocol error: {e}"),
            ClientError::Q(t) => write!(f, "'{t}"),
            ClientError::Timeout => f.write_str("timed out"),
            ClientError::Closed => f.write_str("connection closed"),
            ClientError::Encode(e) => write!(f, "cannot encode: {e}"),
            ClientError::InvalidEndpoint(a) => write!(f, "invalid endpoint: {a}"),
            ClientError::PoolTimeout => f.write_str("pool checkout timed out"),
            ClientError::PoolClosed => f.write_str("pool closed"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Io(e) => Some(e),
            ClientError::Protocol(e) | ClientError::Encode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::from_io(e)
    }
}

/// A result with a [`ClientError`].
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
