//! The async client (cargo feature `tokio`): [`AsyncConnection`] and [`AsyncPool`], the
//! blocking API as `async fn`s.
//!
//! ```no_run
//! # async fn demo() -> fq_client::Result<()> {
//! use fq_client::tokio::AsyncConnection;
//! use fq_client::{ConnectOptions, Endpoint, Value};
//!
//! let mut c = AsyncConnection::connect(&Endpoint::tcp("localhost", 5010), &ConnectOptions::default()).await?;
//! assert_eq!(c.query("1+1").await?, Value::Long(2));
//! // Subscribe to a tickerplant and take its updates as they come.
//! c.call(".u.sub", &[Value::sym("trade"), Value::sym("")]).await?;
//! loop {
//!     let upd = c.recv().await?;            // (`upd; `trade; data)
//!     println!("{upd:?}");
//! }
//! # }
//! ```
//!
//! Cancellation: dropping a call's future part-way (a `select!`, an outer timeout) leaves the
//! stream out of step, so the connection then reports [`ClientError::Closed`]; a pool
//! discards it. [`AsyncConnection::recv_timeout`] is the way to wait for pushes with a
//! limit without that cost.

use crate::endpoint::{ConnectOptions, Endpoint, UnixAddr};
use crate::error::{ClientError, Result};
use crate::frame::{self, Arrival, Codec, RawMessage, READ_STEP};
use crate::pool::{PoolMetrics, PoolOptions};
use crate::sync::compresses;
use crate::Compression;
use ::tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use ::tokio::net::{TcpStream, UnixStream};
use ::tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use fq_ipc::handshake::ClientHandshake;
use fq_ipc::{MsgType, Payload, HEADER_LEN};
use fq_value::Value;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ::tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Run `f` within `limit` when there is one.
async fn within<T>(limit: Option<Duration>, f: impl Future<Output = Result<T>>) -> Result<T> {
    match limit {
        Some(t) => ::tokio::time::timeout(t, f).await.map_err(|_| ClientError::Timeout)?,
        None => f.await,
    }
}

async fn open_stream(endpoint: &Endpoint) -> Result<(Stream, bool)> {
    match endpoint {
        Endpoint::Tcp { host, port } => {
            let s = TcpStream::connect((host.as_str(), *port)).await?;
            s.set_nodelay(true)?;
            let local = match (s.peer_addr(), s.local_addr()) {
                (Ok(p), Ok(l)) => p.ip().is_loopback() || p.ip() == l.ip(),
                _ => false,
            };
            Ok((Stream::Tcp(s), local))
        }
        Endpoint::Unix(UnixAddr::Path(p)) => {
            Ok((Stream::Unix(UnixStream::connect(p).await?), true))
        }
        Endpoint::Unix(addr) => {
            // Abstract names: connect with std (a local connect does not block), then hand
            // the socket to tokio.
            let s = crate::sync::connect_unix(addr)?;
            s.set_nonblocking(true)?;
            Ok((Stream::Unix(UnixStream::from_std(s)?), true))
        }
    }
}

/// An async connection to a kdb+ or ferroq process: [`Connection`](crate::Connection)'s
/// API as `async fn`s (see the [module docs](self)).
#[derive(Debug)]
pub struct AsyncConnection {
    io: BufReader<Stream>,
    endpoint: Endpoint,
    capability: u8,
    local: bool,
    codec: Codec,
    timeout: Option<Duration>,
    pending: VecDeque<Value>,
    /// Set while an exchange is in flight and left set if it fails or is cancelled.
    broken: bool,
}

impl AsyncConnection {
    /// Connect and log in ([`ClientError::Rejected`] when the server closes on the hello).
    pub async fn connect(endpoint: &Endpoint, opts: &ConnectOptions) -> Result<AsyncConnection> {
        within(opts.connect_timeout, async {
            let (stream, local) = open_stream(endpoint).await?;
            let mut io = BufReader::with_capacity(1 << 16, stream);
            let hs = ClientHandshake::new(&opts.user, &opts.password, opts.capability);
            io.get_mut().write_all(hs.hello()).await.map_err(handshake_io)?;
            let mut reply = [0u8; 1];
            let n = io.get_mut().read(&mut reply).await.map_err(handshake_io)?;
            let capability = hs.on_reply(&reply[..n]).map_err(|e| match e {
                fq_ipc::IpcError::Rejected => ClientError::Rejected,
                e => ClientError::Handshake(e.to_string()),
            })?;
            let compress = compresses(opts.compression, local, capability);
            Ok(AsyncConnection {
                io,
                endpoint: endpoint.clone(),
                capability,
                local,
                codec: Codec::new(capability, compress, opts.max_message, opts.max_depth),
                timeout: opts.timeout,
                pending: VecDeque::new(),
                broken: false,
            })
        })
        .await
    }

    /// Connect to an address string ([`Endpoint::parse`]) with default options.
    pub async fn open(addr: &str) -> Result<AsyncConnection> {
        AsyncConnection::connect(&Endpoint::parse(addr)?, &ConnectOptions::default()).await
    }

    /// Evaluate q text on the server.
    pub async fn query(&mut self, q: &str) -> Result<Value> {
        self.request(&Value::string(q)).await
    }

    /// Call a function with arguments: the general list `(f; args...)`
    /// ([`Connection::call`](crate::Connection::call)).
    pub async fn call(&mut self, f: &str, args: &[Value]) -> Result<Value> {
        self.request(&frame::call_message(f, args)).await
    }

    /// Send any value as a sync message and decode the response.
    pub async fn request(&mut self, msg: &Value) -> Result<Value> {
        let bytes = self.codec.encode(&Payload::Value(msg.clone()), MsgType::Sync)?;
        self.begin()?;
        let t = self.timeout;
        let r = within(t, async { self.exchange(&bytes).await?.decode() }).await;
        self.end(r)
    }

    /// Evaluate q text and return the response undecoded.
    pub async fn query_raw(&mut self, q: &str) -> Result<RawMessage> {
        self.request_raw(&Value::string(q)).await
    }

    /// Send any value as a sync message and return the response undecoded.
    pub async fn request_raw(&mut self, msg: &Value) -> Result<RawMessage> {
        let bytes = self.codec.encode(&Payload::Value(msg.clone()), MsgType::Sync)?;
        self.begin()?;
        let t = self.timeout;
        let r = within(t, self.exchange(&bytes)).await;
        self.end(r)
    }

    /// Send a value as an async message (no response).
    pub async fn send_async(&mut self, msg: &Value) -> Result<()> {
        let bytes = self.codec.encode(&Payload::Value(msg.clone()), MsgType::Async)?;
        self.begin()?;
        let t = self.timeout;
        let r = within(t, async { Ok(self.io.get_mut().write_all(&bytes).await?) }).await;
        self.end(r)
    }

    /// Send q text as an async message.
    pub async fn send_async_str(&mut self, q: &str) -> Result<()> {
        self.send_async(&Value::string(q)).await
    }

    /// Assign a global on the server: `name set value`.
    pub async fn set(&mut self, name: &str, value: Value) -> Result<()> {
        self.request(&Value::list(vec![Value::string("set"), Value::sym(name), value])).await?;
        Ok(())
    }

    /// Read a global from the server: `get name`.
    pub async fn get(&mut self, name: &str) -> Result<Value> {
        self.request(&Value::list(vec![Value::string("get"), Value::sym(name)])).await
    }

    /// The next async message the server pushed, waiting as long as it takes (the call
    /// timeout does not apply: subscribers wait for updates). As in
    /// [`Connection::recv`](crate::Connection::recv), sync requests from the server are
    /// answered with `'nyi` and an async error message arrives as the string `'text`.
    pub async fn recv(&mut self) -> Result<Value> {
        if let Some(v) = self.pending.pop_front() {
            return Ok(v);
        }
        self.begin()?;
        let r = self.next_async().await;
        self.end(r)
    }

    /// As [`recv`](AsyncConnection::recv) waiting at most `wait`; `Ok(None)` when nothing
    /// arrived (the connection stays usable). Once a message has started arriving, the
    /// call timeout (or `wait`, if longer) applies to the rest of it.
    pub async fn recv_timeout(&mut self, wait: Duration) -> Result<Option<Value>> {
        if let Some(v) = self.pending.pop_front() {
            return Ok(Some(v));
        }
        if self.broken {
            return Err(ClientError::Closed);
        }
        // `fill_buf` reads nothing when cancelled before it completes.
        match ::tokio::time::timeout(wait, self.io.fill_buf()).await {
            Err(_) => return Ok(None),
            Ok(Ok([])) => {
                self.broken = true;
                return Err(ClientError::Closed);
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                self.broken = true;
                return Err(e.into());
            }
        }
        self.begin()?;
        let t = Some(self.timeout.map_or(wait, |t| t.max(wait)));
        let r = within(t, self.next_async()).await;
        self.end(r).map(Some)
    }

    /// Async messages received and not yet taken by [`recv`](AsyncConnection::recv).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The negotiated capability.
    pub fn capability(&self) -> u8 {
        self.capability
    }

    /// Where this connection goes.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// True when the peer is on this host.
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// True when outgoing messages over 2000 bytes are compressed.
    pub fn compresses(&self) -> bool {
        self.codec.compress
    }

    /// Change the outgoing compression rule.
    pub fn set_compression(&mut self, mode: Compression) {
        self.codec.compress = compresses(mode, self.local, self.capability);
    }

    /// Change the per-call timeout.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// True once a failure or a cancelled call has made the connection unusable.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Close the connection.
    pub async fn close(mut self) {
        // Best effort: the socket is closed on drop anyway.
        let _ = self.io.get_mut().shutdown().await;
    }

    /// Start an exchange: refuse when broken; stay marked broken until it ends well, so a
    /// cancelled call leaves the connection refused.
    fn begin(&mut self) -> Result<()> {
        if self.broken {
            return Err(ClientError::Closed);
        }
        self.broken = true;
        Ok(())
    }

    fn end<T>(&mut self, r: Result<T>) -> Result<T> {
        self.broken = matches!(&r, Err(e) if e.is_fatal());
        r
    }

    async fn exchange(&mut self, bytes: &[u8]) -> Result<RawMessage> {
        self.io.get_mut().write_all(bytes).await?;
        loop {
            match frame::classify(self.read_message().await?)? {
                Arrival::Response(r) => return Ok(r),
                Arrival::Async(v) => self.pending.push_back(v),
                Arrival::Request => {
                    let refusal = self.codec.refusal()?;
                    self.io.get_mut().write_all(&refusal).await?;
                }
            }
        }
    }

    async fn next_async(&mut self) -> Result<Value> {
        loop {
            match frame::classify(self.read_message().await?)? {
                Arrival::Async(v) => return Ok(v),
                Arrival::Response(_) => {
                    return Err(ClientError::Protocol(fq_ipc::IpcError::BadHeader(
                        "a response without a request",
                    )))
                }
                Arrival::Request => {
                    let refusal = self.codec.refusal()?;
                    self.io.get_mut().write_all(&refusal).await?;
                }
            }
        }
    }

    async fn read_message(&mut self) -> Result<RawMessage> {
        let mut head = [0u8; HEADER_LEN];
        self.io.read_exact(&mut head).await?;
        let header = frame::parse_header(&head, self.codec.large, self.codec.max_message)?;
        let total = usize::try_from(header.len).map_err(|_| {
            ClientError::Protocol(fq_ipc::IpcError::TooLarge {
                len: header.len,
                limit: usize::MAX as u64,
            })
        })?;
        let mut buf = Vec::new();
        if buf.try_reserve_exact(total).is_err() {
            buf.reserve(total.min(READ_STEP));
        }
        buf.extend_from_slice(&head);
        while buf.len() < total {
            let at = buf.len();
            let step = (total - at).min(at.max(READ_STEP));
            buf.resize(at + step, 0);
            self.io.read_exact(&mut buf[at..]).await?;
        }
        Ok(RawMessage::new(header, buf, self.codec.decode))
    }
}

fn handshake_io(e: io::Error) -> ClientError {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof => ClientError::Rejected,
        _ => ClientError::from_io(e),
    }
}

#[derive(Default)]
struct State {
    idle: Vec<AsyncConnection>,
    open: usize,
    closed: bool,
    m: PoolMetrics,
}

struct Inner {
    endpoint: Endpoint,
    opts: ConnectOptions,
    pool: PoolOptions,
    permits: Arc<Semaphore>,
    state: Mutex<State>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No critical section can panic; a poisoned lock still holds a consistent state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counts a connection as open until defused; dropping it (an error, a cancelled
/// checkout) uncounts it.
struct OpenSlot<'a> {
    inner: &'a Inner,
    failed: bool,
}

impl OpenSlot<'_> {
    fn defuse(self) {
        std::mem::forget(self);
    }
}

impl Drop for OpenSlot<'_> {
    fn drop(&mut self) {
        let mut st = self.inner.lock();
        st.open -= 1;
        st.m.errors += 1;
        if !self.failed {
            st.m.closed += 1;
        }
    }
}

/// An async pool of connections to one endpoint ([`Pool`](crate::Pool)'s options and
/// metrics); clone it freely.
///
/// ```no_run
/// # async fn demo() -> fq_client::Result<()> {
/// use fq_client::tokio::AsyncPool;
/// use fq_client::{ConnectOptions, Endpoint, PoolOptions};
///
/// let pool = AsyncPool::new(Endpoint::tcp("localhost", 5000), ConnectOptions::default(),
///                           PoolOptions { max_size: 4, ..Default::default() });
/// let n = pool.query("count trade").await?;
/// let mut c = pool.get().await?;
/// c.query("a:1").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AsyncPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncPool")
            .field("endpoint", &self.inner.endpoint)
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl AsyncPool {
    /// A pool; connections open when needed (or on [`prewarm`](AsyncPool::prewarm)).
    pub fn new(endpoint: Endpoint, opts: ConnectOptions, pool: PoolOptions) -> AsyncPool {
        let pool = PoolOptions { max_size: pool.max_size.max(1), ..pool };
        AsyncPool {
            inner: Arc::new(Inner {
                endpoint,
                opts,
                permits: Arc::new(Semaphore::new(pool.max_size)),
                pool,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Open connections until `min_idle` are idle (or `max_size` are open).
    pub async fn prewarm(&self) -> Result<()> {
        loop {
            {
                let mut st = self.inner.lock();
                if st.closed {
                    return Err(ClientError::PoolClosed);
                }
                if st.idle.len() >= self.inner.pool.min_idle || st.open >= self.inner.pool.max_size
                {
                    return Ok(());
                }
                st.open += 1;
            }
            let conn = self.open().await?;
            self.inner.lock().idle.push(conn);
        }
    }

    /// Check out a connection, waiting up to the checkout timeout.
    pub async fn get(&self) -> Result<AsyncPooledConnection> {
        let permit = match Arc::clone(&self.inner.permits).try_acquire_owned() {
            Ok(p) => p,
            Err(TryAcquireError::Closed) => return Err(ClientError::PoolClosed),
            Err(TryAcquireError::NoPermits) => {
                self.inner.lock().m.waits += 1;
                let wait = Arc::clone(&self.inner.permits).acquire_owned();
                match ::tokio::time::timeout(self.inner.pool.checkout_timeout, wait).await {
                    Ok(Ok(p)) => p,
                    Ok(Err(_)) => return Err(ClientError::PoolClosed),
                    Err(_) => {
                        self.inner.lock().m.timeouts += 1;
                        return Err(ClientError::PoolTimeout);
                    }
                }
            }
        };
        loop {
            let idle = self.inner.lock().idle.pop();
            let Some(mut conn) = idle else { break };
            if self.inner.pool.test_on_checkout {
                let slot = OpenSlot { inner: &self.inner, failed: false };
                if conn.query(&self.inner.pool.test_query).await.is_err() || conn.is_broken() {
                    continue; // `slot` uncounts it
                }
                slot.defuse();
            }
            return Ok(self.checked_out(conn, permit));
        }
        {
            let mut st = self.inner.lock();
            if st.closed {
                return Err(ClientError::PoolClosed);
            }
            st.open += 1;
        }
        let conn = self.open().await?;
        Ok(self.checked_out(conn, permit))
    }

    /// Evaluate q text on a pooled connection.
    pub async fn query(&self, q: &str) -> Result<Value> {
        self.get().await?.query(q).await
    }

    /// Call a function on a pooled connection.
    pub async fn call(&self, f: &str, args: &[Value]) -> Result<Value> {
        self.get().await?.call(f, args).await
    }

    /// The counters now.
    pub fn metrics(&self) -> PoolMetrics {
        let st = self.inner.lock();
        PoolMetrics {
            connections: st.open,
            idle: st.idle.len(),
            in_use: st.open - st.idle.len(),
            ..st.m
        }
    }

    /// Close the idle connections and refuse further checkouts.
    pub fn close(&self) {
        self.inner.permits.close();
        let idle = {
            let mut st = self.inner.lock();
            st.closed = true;
            let idle = std::mem::take(&mut st.idle);
            st.open -= idle.len();
            st.m.closed += idle.len() as u64;
            idle
        };
        drop(idle);
    }

    /// Open one connection; `open` was already counted for it.
    async fn open(&self) -> Result<AsyncConnection> {
        let slot = OpenSlot { inner: &self.inner, failed: true };
        let conn = AsyncConnection::connect(&self.inner.endpoint, &self.inner.opts).await?;
        slot.defuse();
        self.inner.lock().m.created += 1;
        Ok(conn)
    }

    fn checked_out(
        &self,
        conn: AsyncConnection,
        permit: OwnedSemaphorePermit,
    ) -> AsyncPooledConnection {
        self.inner.lock().m.checkouts += 1;
        AsyncPooledConnection { conn: Some(conn), pool: Arc::clone(&self.inner), _permit: permit }
    }
}

/// A connection checked out of an [`AsyncPool`]; back to the pool when dropped.
pub struct AsyncPooledConnection {
    conn: Option<AsyncConnection>,
    pool: Arc<Inner>,
    /// Released after the connection is back in the idle list (fields drop after `drop`).
    _permit: OwnedSemaphorePermit,
}

impl std::fmt::Debug for AsyncPooledConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AsyncPooledConnection").field(&self.conn).finish()
    }
}

impl Deref for AsyncPooledConnection {
    type Target = AsyncConnection;
    fn deref(&self) -> &AsyncConnection {
        self.conn.as_ref().expect("a pooled connection is present until dropped")
    }
}

impl DerefMut for AsyncPooledConnection {
    fn deref_mut(&mut self) -> &mut AsyncConnection {
        self.conn.as_mut().expect("a pooled connection is present until dropped")
    }
}

impl Drop for AsyncPooledConnection {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut st = self.pool.lock();
        if conn.is_broken() || st.closed {
            st.open -= 1;
            st.m.closed += 1;
            if conn.is_broken() {
                st.m.errors += 1;
            }
        } else {
            st.idle.push(conn);
        }
    }
}
