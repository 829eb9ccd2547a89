//! The blocking client: [`Connection`] over TCP or a Unix socket.

use crate::endpoint::{Compression, ConnectOptions, Endpoint, UnixAddr};
use crate::error::{ClientError, Result};
use crate::frame::{self, Arrival, Codec, RawMessage, READ_STEP};
use fq_ipc::handshake::ClientHandshake;
use fq_ipc::{MsgType, Payload, HEADER_LEN};
use fq_value::Value;
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// The socket under a connection.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn set_timeouts(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
            Stream::Unix(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
        }
    }

    fn shutdown(&self) {
        // Best effort: the socket is being dropped anyway.
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Stream {
    /// Wait for bytes without sleeping until `until` ([`fq_ipc::stream::wait_readable`]).
    fn poll(&self, until: Instant) {
        use std::os::fd::AsRawFd;
        let fd = match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        };
        fq_ipc::stream::wait_readable(fd, until);
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Open a socket to an endpoint; true when the peer is on this host.
fn open_stream(endpoint: &Endpoint, timeout: Option<Duration>) -> Result<(Stream, bool)> {
    match endpoint {
        Endpoint::Tcp { host, port } => {
            let addrs = (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(|_| ClientError::InvalidEndpoint(endpoint.to_string()))?;
            let mut last = None;
            for addr in addrs {
                let r = match timeout {
                    Some(t) => TcpStream::connect_timeout(&addr, t),
                    None => TcpStream::connect(addr),
                };
                match r {
                    Ok(s) => {
                        s.set_nodelay(true)?;
                        let local = is_local(&s);
                        return Ok((Stream::Tcp(s), local));
                    }
                    Err(e) => last = Some(e),
                }
            }
            Err(last.map_or_else(
                || ClientError::InvalidEndpoint(endpoint.to_string()),
                ClientError::from_io,
            ))
        }
        Endpoint::Unix(addr) => Ok((Stream::Unix(connect_unix(addr)?), true)),
    }
}

/// kdb+'s locality rule: loopback, or our own address.
fn is_local(s: &TcpStream) -> bool {
    match (s.peer_addr(), s.local_addr()) {
        (Ok(p), Ok(l)) => p.ip().is_loopback() || p.ip() == l.ip(),
        _ => false,
    }
}

pub(crate) fn connect_unix(addr: &UnixAddr) -> Result<UnixStream> {
    match addr {
        UnixAddr::Path(p) => Ok(UnixStream::connect(p)?),
        #[cfg(target_os = "linux")]
        UnixAddr::Abstract(name) => {
            use std::os::linux::net::SocketAddrExt;
            let a = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            Ok(UnixStream::connect_addr(&a)?)
        }
        #[cfg(not(target_os = "linux"))]
        UnixAddr::Abstract(name) => Err(ClientError::InvalidEndpoint(format!(
            "abstract unix sockets exist only on Linux: @{}",
            String::from_utf8_lossy(name)
        ))),
    }
}

/// Whether outgoing messages are compressed, by kdb+'s rule or the caller's choice.
pub(crate) fn compresses(mode: Compression, local: bool, capability: u8) -> bool {
    match mode {
        Compression::Auto => !local && capability >= 1,
        Compression::Always => true,
        Compression::Never => false,
    }
}

/// A blocking connection to a kdb+ or ferroq process.
///
/// One request at a time (methods take `&mut self`); share between threads with a
/// [`Pool`](crate::Pool). Async messages the server pushes (a tickerplant's `(upd;t;x)`)
/// are kept in arrival order and returned by [`recv`](Connection::recv), also when they
/// arrive while a sync call waits for its response.
///
/// ```no_run
/// use fq_client::{Connection, ConnectOptions, Endpoint};
/// use fq_value::Value;
///
/// let mut c = Connection::connect(&Endpoint::tcp("localhost", 5000), &ConnectOptions::default())?;
/// assert_eq!(c.query("1+1")?, Value::Long(2));
/// assert_eq!(c.call("{x*y}", &[Value::Long(6), Value::Long(7)])?, Value::Long(42));
/// match c.query("1+`a") {
///     Err(fq_client::ClientError::Q(text)) => assert_eq!(text, "type"),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), fq_client::ClientError>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    io: BufReader<Stream>,
    endpoint: Endpoint,
    capability: u8,
    local: bool,
    codec: Codec,
    timeout: Option<Duration>,
    /// [`ConnectOptions::spin`].
    spin: Duration,
    /// Whether the socket currently has timeouts set (so untimed calls skip the syscalls).
    armed: bool,
    pending: VecDeque<Value>,
    broken: bool,
}

impl Connection {
    /// Connect and log in.
    ///
    /// Fails with [`ClientError::Rejected`] when the server closes the connection after the
    /// hello (wrong credentials), [`ClientError::Timeout`] past `connect_timeout`.
    pub fn connect(endpoint: &Endpoint, opts: &ConnectOptions) -> Result<Connection> {
        let (stream, local) = open_stream(endpoint, opts.connect_timeout)?;
        Connection::handshake(stream, local, endpoint.clone(), opts)
    }

    /// Log in over a TCP socket connected by other means (a proxy, a pre-set socket
    /// option); `connect_timeout` bounds the handshake.
    pub fn from_tcp_stream(stream: TcpStream, opts: &ConnectOptions) -> Result<Connection> {
        stream.set_nodelay(true)?;
        let local = is_local(&stream);
        let endpoint = match stream.peer_addr() {
            Ok(a) => Endpoint::tcp(a.ip().to_string(), a.port()),
            Err(_) => Endpoint::tcp("", 0),
        };
        Connection::handshake(Stream::Tcp(stream), local, endpoint, opts)
    }

    /// Log in over a connected Unix socket (one end of `UnixStream::pair`, a socket passed
    /// by a parent process...).
    pub fn from_unix_stream(stream: UnixStream, opts: &ConnectOptions) -> Result<Connection> {
        let endpoint = match stream.peer_addr().ok().and_then(|a| a.as_pathname().map(Into::into)) {
            Some(p) => Endpoint::Unix(UnixAddr::Path(p)),
            None => Endpoint::unix_abstract(""),
        };
        Connection::handshake(Stream::Unix(stream), true, endpoint, opts)
    }

    fn handshake(
        stream: Stream,
        local: bool,
        endpoint: Endpoint,
        opts: &ConnectOptions,
    ) -> Result<Connection> {
        stream.set_timeouts(opts.connect_timeout)?;
        let mut io = BufReader::with_capacity(1 << 18, stream);
        let hs = ClientHandshake::new(&opts.user, &opts.password, opts.capability);
        io.get_mut().write_all(hs.hello()).map_err(handshake_io)?;
        let mut reply = [0u8; 1];
        let n = loop {
            match io.get_mut().read(&mut reply) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(handshake_io(e)),
            }
        };
        let capability = hs.on_reply(&reply[..n]).map_err(|e| match e {
            fq_ipc::IpcError::Rejected => ClientError::Rejected,
            e => ClientError::Handshake(e.to_string()),
        })?;
        io.get_ref().set_timeouts(None)?;
        let compress = compresses(opts.compression, local, capability);
        Ok(Connection {
            io,
            endpoint,
            capability,
            local,
            codec: Codec::new(capability, compress, opts.max_message, opts.max_depth),
            timeout: opts.timeout,
            spin: opts.spin,
            armed: false,
            pending: VecDeque::new(),
            broken: false,
        })
    }

    /// Connect to an address string ([`Endpoint::parse`]) with default options.
    pub fn open(addr: &str) -> Result<Connection> {
        Connection::connect(&Endpoint::parse(addr)?, &ConnectOptions::default())
    }

    /// Evaluate q text on the server (a sync message carrying a char vector).
    pub fn query(&mut self, q: &str) -> Result<Value> {
        self.request(&Value::string(q))
    }

    /// Call a function with arguments: sends the general list `(f; args...)`. A q name
    /// (`upd`, `.u.sub`) travels as a symbol, anything else (`{x+y}`) as a string for the
    /// server to evaluate first.
    pub fn call(&mut self, f: &str, args: &[Value]) -> Result<Value> {
        self.request(&frame::call_message(f, args))
    }

    /// Send any value as a sync message and decode the response.
    pub fn request(&mut self, msg: &Value) -> Result<Value> {
        let bytes = self.codec.encode(&Payload::Value(msg.clone()), MsgType::Sync)?;
        // Decoding inside the guard: a payload that does not decode breaks the connection.
        self.guarded(|c, deadline| c.exchange_decoded(&bytes, deadline))
    }

    /// Evaluate q text and return the response undecoded: header and bytes as received
    /// (decode later with [`RawMessage::decode`]). An error reply is not an error here.
    pub fn query_raw(&mut self, q: &str) -> Result<RawMessage> {
        self.request_raw(&Value::string(q))
    }

    /// Send any value as a sync message and return the response undecoded.
    pub fn request_raw(&mut self, msg: &Value) -> Result<RawMessage> {
        let bytes = self.codec.encode(&Payload::Value(msg.clone()), MsgType::Sync)?;
        self.guarded(|c, deadline| c.exchange(&bytes, deadline))
    }

    /// Send a sync message and read until its response, keeping async messages that
    /// arrive first.
    fn exchange(&mut self, bytes: &[u8], deadline: Option<Instant>) -> Result<RawMessage> {
        self.write_all(bytes, deadline)?;
        loop {
            match frame::classify(self.read_message(deadline)?)? {
                Arrival::Response(r) => return Ok(r),
                Arrival::Async(v) => self.pending.push_back(v),
                Arrival::Request => {
                    let refusal = self.codec.refusal()?;
                    self.write_all(&refusal, deadline)?;
                }
            }
        }
    }

    /// As [`exchange`](Connection::exchange), decoding the response while it arrives:
    /// fixed-width columns are read straight into their vectors, so a large result is never
    /// held twice and decoding overlaps the transfer.
    fn exchange_decoded(&mut self, bytes: &[u8], deadline: Option<Instant>) -> Result<Value> {
        self.write_all(bytes, deadline)?;
        loop {
            let header = self.read_header(deadline)?;
            if header.msg_type == MsgType::Response {
                self.arm(deadline)?;
                let payload =
                    fq_ipc::stream::read_payload(&mut self.io, &header, &self.codec.decode)
                        .map_err(|e| match e {
                            fq_ipc::stream::StreamError::Io(e) => ClientError::from_io(e),
                            fq_ipc::stream::StreamError::Ipc(e) => ClientError::Protocol(e),
                        })?;
                return match payload {
                    Payload::Value(v) => Ok(v),
                    Payload::Error(e) => Err(ClientError::Q(e.text().to_owned())),
                };
            }
            match frame::classify(self.read_body(header, deadline)?)? {
                Arrival::Response(_) => {
                    // `classify` calls only responses that; they were read above.
                    return Err(ClientError::Protocol(fq_ipc::IpcError::BadHeader(
                        "a response classified twice",
                    )));
                }
                Arrival::Async(v) => self.pending.push_back(v),
                Arrival::Request => {
                    let refusal = self.codec.refusal()?;
                    self.write_all(&refusal, deadline)?;
                }
            }
        }
    }

    /// Send q text as an async message (no response).
    pub fn send_async_str(&mut self, q: &str) -> Result<()> {
        self.send_async(&Value::string(q))
    }

    /// Send a value as an async message (no response); e.g. `(upd; t; data)` to a
    /// tickerplant, or a string to evaluate.
    pub fn send_async(&mut self, msg: &Value) -> Result<()> {
        let bytes = self.codec.encode(&Payload::Value(msg.clone()), MsgType::Async)?;
        self.guarded(|c, deadline| c.write_all(&bytes, deadline))
    }

    /// Assign a global on the server: `name set value`.
    pub fn set(&mut self, name: &str, value: Value) -> Result<()> {
        self.request(&Value::list(vec![Value::string("set"), Value::sym(name), value]))?;
        Ok(())
    }

    /// Read a global from the server: `get name`.
    pub fn get(&mut self, name: &str) -> Result<Value> {
        self.request(&Value::list(vec![Value::string("get"), Value::sym(name)]))
    }

    /// The next async message the server pushed (a subscription update), waiting as long
    /// as it takes: the call timeout does not apply, subscribers wait for updates (use
    /// [`recv_timeout`](Connection::recv_timeout) for a bounded wait). Sync requests from
    /// the server are answered with `'nyi`, since this client evaluates nothing; an async
    /// message carrying a q error (type -128) is handed over as the string `'text`.
    pub fn recv(&mut self) -> Result<Value> {
        if let Some(v) = self.pending.pop_front() {
            return Ok(v);
        }
        self.next_async(None)
    }

    /// Read until an async message arrives, within `limit`.
    fn next_async(&mut self, limit: Option<Duration>) -> Result<Value> {
        self.guarded_within(limit, |c, deadline| loop {
            match frame::classify(c.read_message(deadline)?)? {
                Arrival::Async(v) => return Ok(v),
                Arrival::Response(_) => {
                    return Err(ClientError::Protocol(fq_ipc::IpcError::BadHeader(
                        "a response without a request",
                    )))
                }
                Arrival::Request => {
                    let refusal = c.codec.refusal()?;
                    c.write_all(&refusal, deadline)?;
                }
            }
        })
    }

    /// As [`recv`](Connection::recv) waiting at most `wait`; `Ok(None)` when nothing
    /// arrived (the connection stays usable). Once a message has started arriving, the call
    /// timeout (or `wait`, if longer) applies to the rest of it; running out then breaks the
    /// connection ([`ClientError::Timeout`]).
    pub fn recv_timeout(&mut self, wait: Duration) -> Result<Option<Value>> {
        if let Some(v) = self.pending.pop_front() {
            return Ok(Some(v));
        }
        if self.broken {
            return Err(ClientError::Closed);
        }
        // Peek with the short timeout: nothing read means nothing lost.
        let wait = wait.max(Duration::from_micros(1));
        if self.io.buffer().is_empty() {
            self.io.get_ref().set_timeouts(Some(wait))?;
            self.armed = true;
            match self.io.fill_buf() {
                Ok([]) => {
                    self.broken = true;
                    return Err(ClientError::Closed);
                }
                Ok(_) => {}
                Err(e) => {
                    let e = ClientError::from_io(e);
                    if !matches!(e, ClientError::Timeout) {
                        self.broken = true;
                        return Err(e);
                    }
                    return Ok(None);
                }
            }
        }
        // A message has started: it gets the call timeout, or `wait` if longer.
        self.next_async(Some(self.timeout.map_or(wait, |t| t.max(wait)))).map(Some)
    }

    /// Async messages received and not yet taken by [`recv`](Connection::recv).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The negotiated capability (the server's handshake reply).
    pub fn capability(&self) -> u8 {
        self.capability
    }

    /// Where this connection goes.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// True when the peer is on this host (loopback, own address, Unix socket).
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

    /// True once a failure (timeout, IO, protocol) has made the connection unusable.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Close the connection.
    pub fn close(self) {
        self.io.get_ref().shutdown();
    }

    /// Run one exchange: refuse when broken, mark broken on any failure that leaves the
    /// stream out of step (everything but a q error or an encoding error).
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self, Option<Instant>) -> Result<T>) -> Result<T> {
        self.guarded_within(self.timeout, f)
    }

    /// As [`guarded`](Connection::guarded) with an explicit time limit.
    fn guarded_within<T>(
        &mut self,
        limit: Option<Duration>,
        f: impl FnOnce(&mut Self, Option<Instant>) -> Result<T>,
    ) -> Result<T> {
        if self.broken {
            return Err(ClientError::Closed);
        }
        let deadline = limit.map(|t| Instant::now() + t);
        if deadline.is_none() && self.armed {
            self.io.get_ref().set_timeouts(None)?;
            self.armed = false;
        }
        let r = f(self, deadline);
        if let Err(e) = &r {
            if e.is_fatal() {
                self.broken = true;
                self.io.get_ref().shutdown();
            }
        }
        r
    }

    /// Set the socket timeouts to what is left before the deadline.
    fn arm(&mut self, deadline: Option<Instant>) -> Result<()> {
        if let Some(d) = deadline {
            let left = d.checked_duration_since(Instant::now()).ok_or(ClientError::Timeout)?;
            if left.is_zero() {
                return Err(ClientError::Timeout);
            }
            self.io.get_ref().set_timeouts(Some(left))?;
            self.armed = true;
        }
        Ok(())
    }

    fn write_all(&mut self, bytes: &[u8], deadline: Option<Instant>) -> Result<()> {
        self.arm(deadline)?;
        self.io.get_mut().write_all(bytes).map_err(ClientError::from_io)
    }

    /// Read one whole message.
    fn read_message(&mut self, deadline: Option<Instant>) -> Result<RawMessage> {
        let header = self.read_header(deadline)?;
        self.read_body(header, deadline)
    }

    /// Read a message's header, checked against the size limit.
    fn read_header(&mut self, deadline: Option<Instant>) -> Result<fq_ipc::Header> {
        if !self.spin.is_zero() && self.io.buffer().is_empty() {
            self.io.get_ref().poll(Instant::now() + self.spin);
        }
        self.arm(deadline)?;
        let mut head = [0u8; HEADER_LEN];
        self.io.read_exact(&mut head).map_err(ClientError::from_io)?;
        frame::parse_header(&head, self.codec.large, self.codec.max_message)
    }

    /// Read the rest of the message whose header was just read.
    fn read_body(
        &mut self,
        header: fq_ipc::Header,
        deadline: Option<Instant>,
    ) -> Result<RawMessage> {
        let head = header.to_bytes();
        let total = usize::try_from(header.len).map_err(|_| {
            ClientError::Protocol(fq_ipc::IpcError::TooLarge {
                len: header.len,
                limit: usize::MAX as u64,
            })
        })?;
        let mut buf = Vec::new();
        // Reserve address space for the whole message when the allocator agrees (pages are
        // only touched as bytes arrive); otherwise grow step by step.
        if buf.try_reserve_exact(total).is_err() {
            buf.reserve(total.min(READ_STEP));
        }
        buf.extend_from_slice(&head);
        while buf.len() < total {
            let at = buf.len();
            let step = (total - at).min(at.max(READ_STEP));
            buf.resize(at + step, 0);
            if at > HEADER_LEN {
                self.arm(deadline)?;
            }
            self.io.read_exact(&mut buf[at..]).map_err(ClientError::from_io)?;
        }
        Ok(RawMessage::new(header, buf, self.codec.decode))
    }
}

fn handshake_io(e: io::Error) -> ClientError {
    match e.kind() {
        // A server that closes on the hello may reset rather than close cleanly.
        io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof => ClientError::Rejected,
        _ => ClientError::from_io(e),
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.io.get_ref().shutdown();
    }
}
