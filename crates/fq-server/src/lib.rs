//! The ferroq process runtime: kdb+'s process model in Rust.
//!
//! - **One interpreter thread** owns the workspace. Everything that needs q (console
//!   lines, IPC messages, HTTP requests, logins, connection opens and closes, the timer)
//!   reaches it as an [`Event`] on one channel and runs in arrival order, so q code needs
//!   no locks.
//! - **IO threads** accept connections, tell HTTP from IPC by the first bytes, do the
//!   handshake and authentication, read frames, decompress and decode; a connection's
//!   reader thread is the only reader of its socket. Replies are written by the
//!   interpreter thread when small, by the connection's writer thread when large.
//! - q is also a **client**: `hopen` opens connections whose reader threads deliver
//!   responses to the waiting interpreter and async pushes (`neg[h]`) as events.
//!
//! See `docs/server.md` for the protocol details, handlers and limits.

pub mod auth;
mod host;
pub mod http;
pub mod net;
mod runtime;
pub mod stats;

pub use auth::Users;
pub use host::ServerHost;
pub use net::{Conn, Stream};
pub use runtime::{Runtime, RuntimeHandle};
pub use stats::Stats;

use fq_value::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Limits that protect the server from its peers.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest message (IPC, uncompressed) or HTTP body accepted, in bytes.
    pub max_message: usize,
    /// How long a peer may stall in the middle of a message (or before its handshake
    /// completes) before it is dropped.
    pub stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_message: 1 << 31, stall: Duration::from_secs(60) }
    }
}

/// How the process was started (the server-related flags).
#[derive(Clone, Debug)]
pub struct Config {
    /// `-p PORT`: listen on TCP (and the Unix socket `/tmp/kx.PORT`).
    pub port: Option<u16>,
    /// `-u` / `-U` password file.
    pub users: Users,
    /// `-t ms`: timer period for `.z.ts` (0: off).
    pub timer_ms: i64,
    /// `-T s`: query timeout for client requests (0: none).
    pub timeout_s: i64,
    /// Message size and stall limits.
    pub limits: Limits,
    /// `--spin µs`: how long the interpreter and one connection reader keep polling for
    /// the next message after handling one, before they sleep (0: never poll).
    pub spin: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: None,
            users: Users::default(),
            timer_ms: 0,
            timeout_s: 0,
            limits: Limits::default(),
            spin: DEFAULT_SPIN,
        }
    }
}

/// The default `--spin`: longer than a client's turn-around between a reply and its next
/// request, short enough to cost nothing noticeable when traffic stops.
pub const DEFAULT_SPIN: Duration = Duration::from_micros(150);

/// Work for the interpreter thread.
pub enum Event {
    /// A console line; the interpreter prints its result and then signals `done`.
    Line {
        /// The line as typed.
        text: String,
        /// Signalled once the result is printed (`true`: the line asked to exit).
        done: mpsc::Sender<bool>,
    },
    /// Standard input ended.
    ConsoleClosed,
    /// A login to check with `.z.pw`.
    Login {
        /// The user name.
        user: String,
        /// The password.
        password: String,
        /// The verdict.
        reply: mpsc::Sender<bool>,
    },
    /// A connection opened (runs `.z.po`).
    Open(Arc<Conn>),
    /// A message arrived on a handle (runs `.z.pg` when sync, `.z.ps` when async).
    Msg {
        /// The connection.
        conn: Arc<Conn>,
        /// True when the peer waits for a response.
        sync: bool,
        /// The decoded message.
        msg: Value,
    },
    /// A connection closed (runs `.z.pc`).
    Close(i64),
    /// An HTTP request (runs `.z.ph` / `.z.pp` or the built-in endpoints).
    Http(http::Request, mpsc::Sender<http::Reply>),
}

/// State shared by the interpreter thread and the IO threads.
pub struct Shared {
    /// Open connections by handle.
    pub conns: Mutex<HashMap<i64, Arc<Conn>>>,
    next: AtomicI64,
    /// The interpreter thread's inbox.
    pub events: mpsc::Sender<Event>,
    /// The password file.
    pub users: Users,
    limits: Mutex<Limits>,
    stopping: AtomicBool,
    /// `\t`: the timer period in milliseconds (0: off).
    pub timer_ms: AtomicI64,
    /// `\T`: the client query timeout in seconds (0: none).
    pub timeout_s: AtomicI64,
    /// The listening port (0: not listening) and the listener's wake-up address.
    pub port: Mutex<Option<Listening>>,
    /// Counters of logins, messages and compression on accepted IPC connections.
    pub stats: Stats,
    /// `--spin` in nanoseconds.
    spin_ns: AtomicU64,
    /// Held by the one connection reader polling its socket at a time.
    spinner: AtomicBool,
}

/// An open listener.
#[derive(Debug)]
pub struct Listening {
    /// The TCP port.
    pub port: u16,
    closed: Arc<AtomicBool>,
}

impl Listening {
    /// Stop accepting (the accept threads end at their next wake-up, which this causes).
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Ok(a) = net::unix_addr(self.port) {
            let _ = std::os::unix::net::UnixStream::connect_addr(&a);
        }
    }
}

/// Listen on a TCP port (0: the system picks one) and on the Unix socket for it.
pub fn listen(shared: &Arc<Shared>, port: u16) -> std::io::Result<u16> {
    let tcp = std::net::TcpListener::bind(("0.0.0.0", port))?;
    let port = tcp.local_addr()?.port();
    let closed = Arc::new(AtomicBool::new(false));
    let sh = Arc::clone(shared);
    let c = Arc::clone(&closed);
    std::thread::Builder::new()
        .name(format!("fq-listen-{port}"))
        .spawn(move || net::accept_tcp(sh, tcp, c))?;
    // The Unix socket is a convenience: a clash (another process's) is not fatal.
    if let Ok(a) = net::unix_addr(port) {
        if let Ok(l) = std::os::unix::net::UnixListener::bind_addr(&a) {
            let sh = Arc::clone(shared);
            let c = Arc::clone(&closed);
            std::thread::Builder::new()
                .name(format!("fq-listen-uds-{port}"))
                .spawn(move || net::accept_unix(sh, l, c))?;
        }
    }
    let mut p = shared.port.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(old) = p.take() {
        old.close();
    }
    *p = Some(Listening { port, closed });
    Ok(port)
}

/// Also accept connections (IPC and HTTP, as on the port) on a Unix socket file at `path`,
/// for clients that name a socket path rather than kdb+'s `/tmp/kx.PORT`. The file must
/// not exist; it stays until the process ends and is not removed then (the caller owns it).
pub fn listen_unix_path(shared: &Arc<Shared>, path: &std::path::Path) -> std::io::Result<()> {
    let l = std::os::unix::net::UnixListener::bind(path)?;
    let sh = Arc::clone(shared);
    let closed = Arc::new(AtomicBool::new(false));
    std::thread::Builder::new()
        .name("fq-listen-uds-path".into())
        .spawn(move || net::accept_unix(sh, l, closed))?;
    Ok(())
}

/// Stop listening (`\p 0`).
pub fn unlisten(shared: &Shared) {
    if let Some(old) = shared.port.lock().unwrap_or_else(|e| e.into_inner()).take() {
        old.close();
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Shared {
    fn new(events: mpsc::Sender<Event>, users: Users, limits: Limits) -> Shared {
        Shared {
            conns: Mutex::new(HashMap::new()),
            // Handles 0, 1 and 2 are the console's; the listening socket would be 3.
            next: AtomicI64::new(4),
            events,
            users,
            limits: Mutex::new(limits),
            stopping: AtomicBool::new(false),
            timer_ms: AtomicI64::new(0),
            timeout_s: AtomicI64::new(0),
            port: Mutex::new(None),
            stats: Stats::default(),
            spin_ns: AtomicU64::new(0),
            spinner: AtomicBool::new(false),
        }
    }

    /// How long to poll for the next message before sleeping.
    pub fn spin(&self) -> Duration {
        Duration::from_nanos(self.spin_ns.load(Ordering::Relaxed))
    }

    /// Set the polling time (`--spin`).
    pub fn set_spin(&self, d: Duration) {
        self.spin_ns.store(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Become the connection reader that polls (false: another one is polling).
    fn take_spinner(&self) -> bool {
        !self.spinner.swap(true, Ordering::Acquire)
    }

    fn release_spinner(&self) {
        self.spinner.store(false, Ordering::Release);
    }

    fn next_handle(&self) -> i64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// The current limits.
    pub fn limits(&self) -> Limits {
        *self.limits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True once the process is shutting down.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// A connection by handle.
    pub fn conn(&self, h: i64) -> Option<Arc<Conn>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner()).get(&h).cloned()
    }
}
