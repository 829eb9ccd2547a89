//! Sockets: listeners, the per-connection reader thread (handshake, framing,
//! decompression, decoding) and the writing side of a connection.
//!
//! Every connection, accepted or opened with `hopen`, is a [`Conn`] in the shared handle
//! table. Its reader thread turns incoming requests into [`Event`]s for the interpreter
//! thread and routes responses to whoever waits for them; writes go through the
//! connection's lock, and large replies through a writer thread so a slow reader never
//! stalls the interpreter.

use crate::{Event, Shared};
use fq_eval::host::Waited;
use fq_ipc::stream::StreamError;
use fq_ipc::{
    encode_message, Compression, DecodeOptions, EncodeOptions, Header, MsgType, Payload, HEADER_LEN,
};
use fq_value::{QError, Sym, Value};
use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// A connected socket: TCP or Unix domain.
#[derive(Debug)]
pub enum Stream {
    /// TCP.
    Tcp(TcpStream),
    /// Unix domain socket (kdb+'s `unix://PORT`).
    Unix(UnixStream),
}

impl Stream {
    /// A second handle on the same socket.
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }
    /// Limit how long one read may wait (`None`: forever).
    pub fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(d),
            Stream::Unix(s) => s.set_read_timeout(d),
        }
    }
    /// Limit how long one write may wait.
    pub fn set_write_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(d),
            Stream::Unix(s) => s.set_write_timeout(d),
        }
    }
    /// Close both directions.
    pub fn shutdown(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl std::os::fd::AsRawFd for Stream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
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
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// Encoded replies at least this large are encoded and written by the connection's
/// writer thread instead of the interpreter thread.
const OFF_THREAD_BYTES: usize = 1 << 20;

/// A lower bound of `v`'s encoded size, cheap (no walk over symbol names): enough to
/// send large replies to the writer thread, which computes the exact size once.
fn size_at_least(v: &Value, depth: usize) -> usize {
    match v {
        Value::Vector(x) if x.ty() == fq_value::QType::SYMBOL => x.len(),
        Value::Vector(x) => x.as_bytes().len(),
        Value::Table(t) => t.columns().iter().map(|c| size_at_least(c, depth + 1)).sum(),
        Value::Dict(d) => size_at_least(&d.keys, depth + 1) + size_at_least(&d.values, depth + 1),
        Value::List(l) if depth < 3 => l.items().iter().map(|x| size_at_least(x, depth + 1)).sum(),
        Value::List(l) => l.len(),
        _ => 0,
    }
}

/// A message for a connection's writer thread.
enum Outgoing {
    Value(MsgType, Payload),
}

/// One IPC connection (accepted, or opened by `hopen`).
pub struct Conn {
    /// The q handle (`.z.w`).
    pub handle: i64,
    /// The negotiated capability (0–6).
    pub capability: u8,
    /// Compress outgoing messages over 2000 bytes (the peer is not on this machine).
    pub compress: bool,
    /// `.z.a`: IPv4 address packed in an int, 0 for Unix sockets.
    pub addr: i32,
    /// `.z.u`: the user name the peer logged in with.
    pub user: Sym,
    /// True for connections this process opened (`hopen`).
    pub outgoing: bool,
    out: Mutex<Stream>,
    /// Responses to our sync requests, and the remote's callbacks while we wait for one,
    /// in arrival order.
    responses: Mutex<mpsc::Receiver<Waited>>,
    /// Sync requests of ours awaiting their response (nested callbacks can stack them).
    waiting: AtomicUsize,
    queued: AtomicUsize,
    writer: Mutex<Option<mpsc::Sender<Outgoing>>>,
    /// Set once either side closed it.
    pub closed: AtomicBool,
    /// Closed by `hclose` here (no `.z.pc` for it).
    pub closed_here: AtomicBool,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("handle", &self.handle).field("user", &self.user).finish()
    }
}

impl Conn {
    fn encode_opts(&self) -> EncodeOptions {
        EncodeOptions {
            little_endian: true,
            compress: self.compress && self.capability >= 1,
            large_messages: self.capability >= 5,
        }
    }

    /// Send a message. Small messages are encoded and written here (on the calling
    /// thread); large ones go to the connection's writer thread, in order.
    pub fn send(self: &Arc<Self>, msg_type: MsgType, payload: Payload) -> Result<(), QError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(QError::Signal(self.handle.to_string().into()));
        }
        let big = match &payload {
            Payload::Value(v) => size_at_least(v, 0) >= OFF_THREAD_BYTES,
            Payload::Error(_) => false,
        };
        if big || self.queued.load(Ordering::Acquire) > 0 {
            return self.enqueue(Outgoing::Value(msg_type, payload));
        }
        let bytes =
            encode_message(&payload, msg_type, &self.encode_opts()).map_err(|e| e.to_q())?;
        self.write_bytes(&bytes)
    }

    fn write_bytes(&self, bytes: &[u8]) -> Result<(), QError> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if out.write_all(bytes).is_err() {
            self.closed.store(true, Ordering::Release);
            out.shutdown();
            return Err(QError::Signal(self.handle.to_string().into()));
        }
        Ok(())
    }

    fn enqueue(self: &Arc<Self>, item: Outgoing) -> Result<(), QError> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if w.is_none() {
            let (tx, rx) = mpsc::channel::<Outgoing>();
            let me = Arc::clone(self);
            std::thread::Builder::new()
                .name(format!("fq-write-{}", self.handle))
                .spawn(move || me.writer_loop(&rx))
                .map_err(|_| QError::Signal("thread".into()))?;
            *w = Some(tx);
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        if let Some(tx) = w.as_ref() {
            if tx.send(item).is_err() {
                self.queued.fetch_sub(1, Ordering::AcqRel);
                return Err(QError::Signal(self.handle.to_string().into()));
            }
        }
        Ok(())
    }

    fn writer_loop(&self, rx: &mpsc::Receiver<Outgoing>) {
        while let Ok(Outgoing::Value(t, p)) = rx.recv() {
            // Streamed: the header, then the value piece by piece, large columns straight
            // from their memory; the peer reads while the rest is written.
            let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
            let sent = match fq_ipc::stream::write_message(&mut *out, &p, t, &self.encode_opts()) {
                // Too large for the peer, or not encodable (nothing written): the peer gets
                // the error instead.
                Err(StreamError::Ipc(e)) => {
                    encode_message(&Payload::Error(e.to_q()), t, &self.encode_opts())
                        .map_err(|_| ())
                        .and_then(|b| out.write_all(&b).map_err(|_| ()))
                }
                Err(StreamError::Io(_)) => Err(()),
                Ok(()) => Ok(()),
            };
            if sent.is_err() {
                self.closed.store(true, Ordering::Release);
                out.shutdown();
            }
            drop(out);
            drop(p);
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Send a sync request; from now until its response, messages the remote sends on
    /// this connection come to [`Conn::wait`] (callbacks) instead of the event loop.
    pub fn request(self: &Arc<Self>, msg: Value) -> Result<(), QError> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let r = self.send(MsgType::Sync, Payload::Value(msg));
        if r.is_err() {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
        }
        r
    }

    /// What came next after [`Conn::request`]: the response, or a callback from the remote.
    pub fn wait(&self) -> Result<Waited, QError> {
        let rx = self.responses.lock().unwrap_or_else(|p| p.into_inner());
        match rx.recv() {
            Ok(Waited::Response(r)) => {
                self.waiting.fetch_sub(1, Ordering::AcqRel);
                Ok(Waited::Response(r))
            }
            Ok(w) => Ok(w),
            Err(_) => {
                self.waiting.fetch_sub(1, Ordering::AcqRel);
                Err(QError::Signal(self.handle.to_string().into()))
            }
        }
    }

    /// Close the socket (the reader thread then sees the end and unregisters it).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.out.lock().unwrap_or_else(|p| p.into_inner()).shutdown();
    }
}

/// Send buffer asked for on Unix-socket connections (the kernel caps it at wmem_max).
const UNIX_SNDBUF: libc::c_int = 4 << 20;

fn unix_send_buffer(u: &UnixStream, bytes: libc::c_int) {
    // SAFETY: a valid socket fd and a pointer to an int of the size passed; failure
    // (an unprivileged cap) leaves the default, which only costs speed.
    unsafe {
        libc::setsockopt(
            u.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&bytes as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Is this peer on this machine (kdb+ does not compress for such peers)?
fn is_local(s: &Stream) -> bool {
    match s {
        Stream::Unix(_) => true,
        Stream::Tcp(t) => t.peer_addr().map(|a| a.ip().is_loopback()).unwrap_or(true),
    }
}

fn packed_addr(s: &Stream) -> i32 {
    match s {
        Stream::Tcp(t) => match t.peer_addr().map(|a| a.ip()) {
            Ok(std::net::IpAddr::V4(v4)) => u32::from(v4) as i32,
            Ok(std::net::IpAddr::V6(v6)) => {
                v6.to_ipv4_mapped().map_or(0, |v4| u32::from(v4) as i32)
            }
            Err(_) => 0,
        },
        Stream::Unix(_) => 0,
    }
}

/// Register a connection whose handshake is done; the caller runs its [`Reads`].
pub fn register(
    shared: &Arc<Shared>,
    stream: Stream,
    capability: u8,
    user: Sym,
    outgoing: bool,
    pending: Vec<u8>,
) -> io::Result<(Arc<Conn>, Reads)> {
    let handle = shared.next_handle();
    let compress = !is_local(&stream);
    if let Stream::Unix(u) = &stream {
        // A Unix socket's send buffer defaults to ~200 KB: a large reply would then move in
        // small steps, a context switch each. TCP tunes its own.
        unix_send_buffer(u, UNIX_SNDBUF);
    }
    let addr = packed_addr(&stream);
    let reader = stream.try_clone()?;
    let (resp_tx, resp_rx) = mpsc::channel();
    let conn = Arc::new(Conn {
        handle,
        capability,
        compress,
        addr,
        user,
        outgoing,
        out: Mutex::new(stream),
        responses: Mutex::new(resp_rx),
        waiting: AtomicUsize::new(0),
        queued: AtomicUsize::new(0),
        writer: Mutex::new(None),
        closed: AtomicBool::new(false),
        closed_here: AtomicBool::new(false),
    });
    shared.conns.lock().unwrap_or_else(|p| p.into_inner()).insert(handle, Arc::clone(&conn));
    if !outgoing {
        let _ = shared.events.send(Event::Open(Arc::clone(&conn)));
    }
    let reads =
        Reads { shared: Arc::clone(shared), conn: Arc::clone(&conn), reader, pending, resp_tx };
    Ok((conn, reads))
}

/// A registered connection's reading side, to run on the thread that serves it.
pub struct Reads {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    reader: Stream,
    pending: Vec<u8>,
    resp_tx: mpsc::Sender<Waited>,
}

impl Reads {
    /// Read frames until the peer goes away, then unregister the handle (`.z.pc` runs
    /// unless this side closed it).
    pub fn run(self) {
        let Reads { shared, conn, reader, pending, resp_tx } = self;
        read_loop(&shared, &conn, reader, pending, &resp_tx);
        shared.conns.lock().unwrap_or_else(|p| p.into_inner()).remove(&conn.handle);
        conn.closed.store(true, Ordering::Release);
        drop(resp_tx);
        if !conn.closed_here.load(Ordering::Acquire) {
            let _ = shared.events.send(Event::Close(conn.handle));
        }
    }
}

/// A socket with the bytes read from it but not consumed yet: one `read` usually brings a
/// whole small message (header and payload), so a request costs one system call. Large
/// reads (a column of an uploaded table) go straight into their destination.
struct Inbuf {
    src: Stream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// How much one read asks for.
const READ_CHUNK: usize = 64 << 10;

impl Inbuf {
    fn new(src: Stream, pending: Vec<u8>) -> Inbuf {
        let end = pending.len();
        let mut buf = pending;
        if buf.len() < READ_CHUNK {
            buf.resize(READ_CHUNK, 0);
        }
        Inbuf { src, buf, start: 0, end }
    }
}

impl Read for Inbuf {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end && out.len() >= READ_CHUNK {
            return self.src.read(out);
        }
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Inbuf {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            if self.buf.len() < READ_CHUNK {
                self.buf.resize(READ_CHUNK, 0);
            }
            let n = loop {
                match self.src.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.start = 0;
            self.end = n;
        }
        Ok(&self.buf[self.start..self.end])
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }
}

/// The reader: frames in, events out, until the peer goes away or misbehaves.
fn read_loop(
    shared: &Arc<Shared>,
    conn: &Arc<Conn>,
    src: Stream,
    pending: Vec<u8>,
    responses: &mpsc::Sender<Waited>,
) {
    let mut inbuf = Inbuf::new(src, pending);
    let limits = shared.limits();
    let opts = DecodeOptions {
        max_message: limits.max_message,
        large_messages: conn.capability >= 5,
        ..DecodeOptions::default()
    };
    // Whether the stall timeout is set on the socket (only while a message is arriving).
    let mut armed = false;
    loop {
        let mut head = [0u8; HEADER_LEN];
        // Between messages a connection may stay idle as long as it likes.
        if armed {
            let _ = inbuf.src.set_read_timeout(None);
            armed = false;
        }
        // Poll briefly for the next request before sleeping in `read` (one reader at a
        // time does, so many connections cost no more CPU than one).
        let spin = shared.spin();
        if inbuf.start == inbuf.end && !spin.is_zero() && shared.take_spinner() {
            fq_ipc::stream::wait_readable(inbuf.src.as_raw_fd(), std::time::Instant::now() + spin);
            shared.release_spinner();
        }
        if inbuf.read_exact(&mut head).is_err() {
            return;
        }
        let header = match Header::parse(&head, opts.large_messages) {
            Ok(h) => h,
            Err(_) => return, // not kdb+ framing: drop the connection
        };
        if !conn.outgoing {
            shared.stats.message(&header);
        }
        if header.len > limits.max_message as u64 {
            // Too large to accept: say so (when a reply is expected) and hang up, since
            // the rest of the stream cannot be trusted to be skipped cheaply.
            if header.msg_type == MsgType::Sync {
                let _ = conn.send(MsgType::Response, Payload::Error(QError::Limit));
            }
            return;
        }
        // A peer that stops mid-message is dropped after the stall timeout. The payload
        // is decoded as it arrives (columns read straight into their vectors).
        if (inbuf.end - inbuf.start) as u64 + (HEADER_LEN as u64) < header.len {
            let _ = inbuf.src.set_read_timeout(Some(limits.stall));
            armed = true;
        }
        let payload = match fq_ipc::stream::read_payload(&mut inbuf, &header, &opts) {
            Ok(p) => p,
            Err(StreamError::Io(_)) => return,
            Err(StreamError::Ipc(e)) => {
                if header.msg_type == MsgType::Sync {
                    let _ = conn.send(MsgType::Response, Payload::Error(e.to_q()));
                }
                if header.compression != Compression::None || header.msg_type != MsgType::Sync {
                    return;
                }
                continue;
            }
        };
        match (header.msg_type, payload) {
            (MsgType::Response, Payload::Value(v)) => {
                let _ = responses.send(Waited::Response(Ok(v)));
            }
            (MsgType::Response, Payload::Error(e)) => {
                let _ = responses.send(Waited::Response(Err(e)));
            }
            (t, Payload::Value(v)) if conn.waiting.load(Ordering::Acquire) > 0 => {
                // The interpreter waits on this connection: a callback, served there.
                let _ = responses.send(Waited::Request { sync: t == MsgType::Sync, msg: v });
            }
            (t, Payload::Value(v)) => {
                let sync = t == MsgType::Sync;
                let ev = Event::Msg { conn: Arc::clone(conn), sync, msg: v };
                if shared.events.send(ev).is_err() {
                    return;
                }
            }
            (MsgType::Sync, Payload::Error(_)) => {
                let _ = conn.send(MsgType::Response, Payload::Error(QError::Type));
            }
            (_, Payload::Error(_)) => {}
        }
    }
}

/// What arrived first on an accepted socket.
enum Opening {
    Http(Vec<u8>),
    Ipc(fq_ipc::handshake::Credentials, Vec<u8>),
}

fn looks_like_http(b: &[u8]) -> bool {
    const METHODS: [&[u8]; 7] =
        [b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"PATCH "];
    METHODS.iter().any(|m| b.len() >= m.len() && b.starts_with(m))
        || (b.len() < 8 && METHODS.iter().any(|m| m.starts_with(b)) && !b.contains(&0))
}

/// Read the opening bytes: an HTTP request line or a kdb+ hello.
fn opening(s: &mut Stream) -> io::Result<Opening> {
    let mut buf = Vec::with_capacity(256);
    let mut hs = fq_ipc::handshake::ServerHandshake::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let start = buf.len();
        buf.extend_from_slice(&chunk[..n]);
        if looks_like_http(&buf) && buf.len() >= 8 {
            return Ok(Opening::Http(buf));
        }
        match hs.feed(&buf[start..]) {
            Ok(Some((creds, used))) => {
                let rest = buf[start + used..].to_vec();
                return Ok(Opening::Ipc(creds, rest));
            }
            Ok(None) => {}
            Err(_) => return Err(io::ErrorKind::InvalidData.into()),
        }
    }
}

/// Handle one accepted socket: tell HTTP from IPC, authenticate, serve.
pub fn accepted(shared: &Arc<Shared>, mut s: Stream) {
    let limits = shared.limits();
    // The opening must arrive promptly.
    let _ = s.set_read_timeout(Some(limits.stall));
    let open = match opening(&mut s) {
        Ok(o) => o,
        Err(_) => return s.shutdown(),
    };
    match open {
        Opening::Http(buf) => crate::http::serve(shared, s, buf),
        Opening::Ipc(creds, rest) => {
            let user = creds.user_name();
            let password = String::from_utf8_lossy(&creds.password).into_owned();
            shared.stats.hello(creds.capability);
            let ok = shared.users.check(&user, &password) && login(shared, &user, &password);
            shared.stats.login(ok);
            if !ok {
                // kdb+ closes a rejected login without a word.
                return s.shutdown();
            }
            if s.write_all(&[creds.reply()]).is_err() {
                return;
            }
            let _ = s.set_read_timeout(None);
            // This (the accepting) thread goes on as the connection's reader.
            if let Ok((_, reads)) = register(shared, s, creds.reply(), Sym::new(&user), false, rest)
            {
                reads.run();
            }
        }
    }
}

/// `.z.pw`, asked on the interpreter thread (true when it is not defined).
pub fn login(shared: &Arc<Shared>, user: &str, password: &str) -> bool {
    let (tx, rx) = mpsc::channel();
    let ev = Event::Login { user: user.to_string(), password: password.to_string(), reply: tx };
    if shared.events.send(ev).is_err() {
        return false;
    }
    rx.recv().unwrap_or(false)
}

/// Accept TCP connections until the listener is closed.
pub fn accept_tcp(shared: Arc<Shared>, l: TcpListener, closed: Arc<AtomicBool>) {
    for s in l.incoming() {
        if shared.stopping() || closed.load(Ordering::Acquire) {
            return;
        }
        let Ok(s) = s else { continue };
        let _ = s.set_nodelay(true);
        let sh = Arc::clone(&shared);
        let _ = std::thread::Builder::new()
            .name("fq-accept".into())
            .spawn(move || accepted(&sh, Stream::Tcp(s)));
    }
}

/// Accept Unix-socket connections until the listener is closed.
pub fn accept_unix(shared: Arc<Shared>, l: UnixListener, closed: Arc<AtomicBool>) {
    for s in l.incoming() {
        if shared.stopping() || closed.load(Ordering::Acquire) {
            return;
        }
        let Ok(s) = s else { continue };
        let sh = Arc::clone(&shared);
        let _ = std::thread::Builder::new()
            .name("fq-accept".into())
            .spawn(move || accepted(&sh, Stream::Unix(s)));
    }
}

/// The Unix socket address kdb+ uses for a port: `/tmp/kx.PORT` in Linux's abstract
/// namespace (kdb+ 3.5+).
pub fn unix_addr(port: u16) -> io::Result<std::os::unix::net::SocketAddr> {
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(format!("/tmp/kx.{port}"))
    }
    #[cfg(not(target_os = "linux"))]
    {
        std::os::unix::net::SocketAddr::from_pathname(format!("/tmp/kx.{port}"))
    }
}

/// Open a connection as a client (`hopen`): `target` is `host:port[:user:password]` or
/// `unix://port[:user:password]`.
pub fn connect(shared: &Arc<Shared>, target: &str, timeout_ms: i64) -> Result<Arc<Conn>, QError> {
    let hop = |e: &dyn std::fmt::Display| QError::Signal(format!("hop. OS reports: {e}").into());
    let timeout = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms as u64));
    let (stream, creds) = if let Some(rest) = target.strip_prefix("unix://") {
        let (port, creds) = rest.split_once(':').unwrap_or((rest, ""));
        let port: u16 = port.parse().map_err(|_| QError::Signal("hop".into()))?;
        let addr = unix_addr(port).map_err(|e| hop(&e))?;
        let s = UnixStream::connect_addr(&addr).map_err(|e| hop(&os_text(&e)))?;
        (Stream::Unix(s), creds.to_string())
    } else {
        let mut parts = target.splitn(3, ':');
        let host = parts.next().unwrap_or("");
        let host = if host.is_empty() { "localhost" } else { host };
        let port: u16 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| QError::Signal("hop".into()))?;
        let creds = parts.next().unwrap_or("").to_string();
        use std::net::ToSocketAddrs;
        let addrs: Vec<_> =
            (host, port).to_socket_addrs().map_err(|e| hop(&os_text(&e)))?.collect();
        let mut last = None;
        let mut conn = None;
        for a in addrs {
            let r = match timeout {
                Some(t) => TcpStream::connect_timeout(&a, t),
                None => TcpStream::connect(a),
            };
            match r {
                Ok(s) => {
                    conn = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let s = match (conn, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(hop(&os_text(&e))),
            (None, None) => return Err(QError::Signal("hop".into())),
        };
        let _ = s.set_nodelay(true);
        (Stream::Tcp(s), creds)
    };
    let (user, password) = match creds.split_once(':') {
        Some((u, p)) => (u.to_string(), p.to_string()),
        None if creds.is_empty() => (std::env::var("USER").unwrap_or_default(), String::new()),
        None => (creds.clone(), String::new()),
    };
    let mut stream = stream;
    let _ = stream.set_read_timeout(timeout.or(Some(Duration::from_secs(30))));
    let hs = fq_ipc::handshake::ClientHandshake::new(&user, &password, 3);
    stream.write_all(hs.hello()).map_err(|e| hop(&os_text(&e)))?;
    let mut reply = [0u8; 1];
    let got = match stream.read(&mut reply) {
        Ok(n) => &reply[..n],
        Err(e) => return Err(hop(&os_text(&e))),
    };
    let cap = hs.on_reply(got).map_err(|_| QError::Access)?;
    let _ = stream.set_read_timeout(None);
    let (conn, reads) = register(shared, stream, cap, Sym::new(&user), true, Vec::new())
        .map_err(|e| hop(&os_text(&e)))?;
    std::thread::Builder::new()
        .name(format!("fq-conn-{}", conn.handle))
        .spawn(move || reads.run())
        .map_err(|e| hop(&os_text(&e)))?;
    Ok(conn)
}

/// The operating system's words for an IO error, as kdb+ quotes them.
fn os_text(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "Connection refused".into(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "Connection timed out".into(),
        _ => {
            let s = e.to_string();
            // "Connection refused (os error 111)" → "Connection refused"
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}
