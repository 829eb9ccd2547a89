//! A Rust client for the kdb+ IPC protocol: talks to kdb+ and to ferroq alike.
//!
//! Built on the sans-IO codec [`fq_ipc`] and the data model [`fq_value`]: requests and
//! results are [`Value`]s.
//!
//! - [`Connection`]: a blocking connection over TCP or a Unix socket (kdb+'s abstract
//!   `@/tmp/kx.PORT` included): [`query`](Connection::query),
//!   [`call`](Connection::call), [`send_async`](Connection::send_async),
//!   [`set`](Connection::set)/[`get`](Connection::get), [`recv`](Connection::recv) for
//!   messages the server pushes, [`query_raw`](Connection::query_raw) for the bytes before
//!   decoding.
//! - [`Pool`]: a blocking pool (max size, min idle, checkout timeout, test on checkout,
//!   [`PoolMetrics`]).
//! - `tokio` (cargo feature `tokio`): `AsyncConnection` and `AsyncPool`, the same API as
//!   `async fn`s.
//! - [`ClientError`]: every failure; a q error from the server is [`ClientError::Q`] with
//!   q's text.
//!
//! # Example
//!
//! ```no_run
//! use fq_client::{ConnectOptions, Connection, Endpoint};
//! use fq_value::Value;
//! use std::time::Duration;
//!
//! let opts = ConnectOptions {
//!     user: "user".into(),
//!     password: "pass".into(),
//!     timeout: Some(Duration::from_secs(5)),
//!     ..Default::default()
//! };
//! let mut c = Connection::connect(&Endpoint::tcp("localhost", 5000), &opts)?;
//! let t = c.query("select from trade where sym=`IBM")?;
//! c.call("upd", &[Value::sym("trade"), t])?;            // (`upd; `trade; t)
//! c.send_async_str("a:42")?;                             // no reply
//! assert_eq!(c.get("a")?, Value::Long(42));
//! // Same host: the kdb+ Unix socket, as q's `hopen`:unix://5000`.
//! let mut local = Connection::open("unix://5000")?;
//! # Ok::<(), fq_client::ClientError>(())
//! ```
//!
//! # Wire behaviour
//!
//! - Handshake: `user:password`, the capability byte (default 3; 6 allows messages over
//!   2 GB), NUL. A server that closes the connection instead of answering rejected the
//!   credentials: [`ClientError::Rejected`].
//! - Compression: incoming compressed messages are always accepted; outgoing messages are
//!   compressed by kdb+'s rule (over 2000 bytes, peer not local, result under half) unless
//!   [`Compression`] says otherwise.
//! - Untrusted input: nothing the server sends can make the client panic; a header
//!   announcing more than [`ConnectOptions::max_message`] is refused before any allocation,
//!   and a body is only allocated as its bytes arrive.
//!
//! See `docs/client.md` for the whole guide.

mod endpoint;
mod error;
mod frame;
mod pool;
mod sync;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use endpoint::{
    Compression, ConnectOptions, Endpoint, UnixAddr, DEFAULT_CAPABILITY, DEFAULT_MAX_MESSAGE,
};
pub use error::{ClientError, Result};
pub use fq_ipc::{Header, MsgType};
pub use fq_value::Value;
pub use frame::RawMessage;
pub use pool::{Pool, PoolMetrics, PoolOptions, PooledConnection};
pub use sync::Connection;
