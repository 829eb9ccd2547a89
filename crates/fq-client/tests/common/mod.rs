//! The real ferroq server for the client tests, and raw peers that misbehave on purpose.
//!
//! [`TestServer`] is `fq_server::Runtime` (what `ferroq -p 0W` runs) on its own
//! interpreter thread in this process, listening on an ephemeral TCP port on all interfaces
//! and on kdb+'s Unix socket `@/tmp/kx.PORT`. Each server starts with a minimal
//! tickerplant in q so tests can have messages pushed to them:
//!
//! ```q
//! subs:0#0i; .z.po:{subs::subs,x}; .z.pc:{subs::subs except x}
//! pub:{h:subs except .z.w;{neg[x] y}[;x] each h;count h}   / async to every other client
//! ```
//!
//! What q cannot observe (logins refused by the password file, compressed messages in, the
//! client's capability byte) the tests read from the server's own counters,
//! [`fq_server::Stats`] (q: `system"fq.stats"`).
//!
//! [`raw_server`] is not ferroq: it is a hostile or broken peer (garbage frames, silence,
//! oversized lengths, rejection) that the client must survive.

#![allow(dead_code, reason = "each test crate uses a different part of this module")]

use fq_client::{ConnectOptions, Connection, Endpoint};
use fq_ipc::handshake::ServerHandshake;
use fq_ipc::{Header, HEADER_LEN};
use fq_value::Value;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// Stack for the server's interpreter thread (as `ferroq` gives its main thread).
const STACK_BYTES: usize = 64 << 20;

/// The q each server starts with: handles recorded on open, `pub x` pushes `x` async to
/// every connected client but the caller.
const TICKERPLANT: &str =
    "subs:0#0i;.z.po:{subs::subs,x};.z.pc:{subs::subs except x};pub:{h:subs except .z.w;{neg[x] y}[;x] each h;count h}";

/// A running ferroq server (`fq_server::Runtime`) on an ephemeral port.
pub struct TestServer {
    /// The TCP port (also the Unix socket `@/tmp/kx.PORT`).
    pub port: u16,
    shared: Arc<fq_server::Shared>,
    /// Credentials for the tests' own connection (`eval`, `publish`).
    admin: ConnectOptions,
    conn: Mutex<Option<Connection>>,
}

impl TestServer {
    /// A server that lets everyone in.
    pub fn start() -> TestServer {
        TestServer::with(fq_server::Config::default(), ConnectOptions::default())
    }

    /// A server with a password file (`user:password` lines, as `-u file`); the tests'
    /// own connection logs in with the first line.
    pub fn with_users(file: &str) -> TestServer {
        let first = file.lines().next().unwrap_or("");
        let (u, p) = first.split_once(':').unwrap_or((first, ""));
        let config =
            fq_server::Config { users: fq_server::Users::parse(file), ..Default::default() };
        TestServer::with(config, ConnectOptions::with_credentials(u, p))
    }

    /// A server with this configuration (the port is always an ephemeral one).
    pub fn with(config: fq_server::Config, admin: ConnectOptions) -> TestServer {
        let (tx, rx) = std::sync::mpsc::channel();
        thread::Builder::new()
            .name("fq-test-server".into())
            .stack_size(STACK_BYTES)
            .spawn(move || {
                let interp = fq_eval::Interp::new(Box::new(fq_eval::MemHost::default()));
                let cfg = fq_server::Config { port: Some(0), ..config };
                let mut rt = fq_server::Runtime::new(interp, &cfg).expect("listen");
                tx.send((rt.port(), rt.handle())).expect("started");
                rt.run();
            })
            .expect("spawn the server");
        let (port, handle) = rx.recv().expect("server started");
        // A console line: runs on the interpreter thread before any client can connect.
        handle.line(TICKERPLANT);
        TestServer { port, shared: handle.shared, admin, conn: Mutex::new(None) }
    }

    /// The TCP endpoint on loopback.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::tcp("127.0.0.1", self.port)
    }

    /// The TCP endpoint on a non-loopback address of this machine, if it has one: the
    /// server then treats the client as remote and compresses large replies (kdb+'s rule).
    pub fn remote_endpoint(&self) -> Option<Endpoint> {
        let ip = outbound_ip()?;
        TcpStream::connect((ip, self.port)).ok()?;
        Some(Endpoint::tcp(ip.to_string(), self.port))
    }

    /// The server's counters.
    pub fn stats(&self) -> &fq_server::Stats {
        &self.shared.stats
    }

    /// Also serve on a Unix socket file.
    pub fn listen_unix_path(&self, path: &std::path::Path) {
        fq_server::listen_unix_path(&self.shared, path).expect("bind uds path");
    }

    /// Run `f` on the tests' own connection to the server (opened on first use, so from
    /// then on it counts as one login in [`stats`](Self::stats)).
    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self.conn.lock().unwrap();
        let c = conn.get_or_insert_with(|| {
            Connection::connect(&self.endpoint(), &self.admin).expect("the tests' connection")
        });
        f(c)
    }

    /// Evaluate q on the server.
    pub fn eval(&self, q: &str) -> Value {
        self.with_conn(|c| c.query(q)).expect("server eval")
    }

    /// Push `v` async to every client connected (but the tests' own connection), as a
    /// tickerplant publishes: the server's `pub` runs `neg[h] v` for each handle `.z.po`
    /// recorded. When this returns, the messages are written.
    pub fn publish(&self, v: &Value) {
        let sent = self.with_conn(|c| c.call("pub", std::slice::from_ref(v))).expect("publish");
        assert_ne!(sent, Value::Long(0), "nobody to publish to");
    }
}

/// The machine's own non-loopback IPv4 address: the source address the OS picks for an
/// outbound route (a UDP `connect` sends nothing), or the first of `hostname -I`.
fn outbound_ip() -> Option<IpAddr> {
    let usable = |ip: &IpAddr| !ip.is_loopback() && !ip.is_unspecified();
    let routed = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|u| u.connect("8.8.8.8:53").map(|()| u))
        .and_then(|u| u.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(usable);
    routed.or_else(|| {
        let out = std::process::Command::new("hostname").arg("-I").output().ok()?;
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|w| w.parse::<IpAddr>().ok())
            .find(|ip| ip.is_ipv4() && usable(ip))
    })
}

/// A one-connection peer with custom behaviour (malformed replies, silence...): accepts
/// one client, answers its handshake with `reply` (or closes when `None`), then runs `then`.
pub fn raw_server(reply: Option<u8>, then: impl FnOnce(TcpStream) + Send + 'static) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        let mut hs = ServerHandshake::new();
        let mut byte = [0u8; 1];
        loop {
            match stream.read(&mut byte) {
                Ok(1) => {
                    if let Ok(Some(_)) = hs.feed(&byte) {
                        break;
                    }
                }
                _ => return,
            }
        }
        match reply {
            Some(b) => {
                if stream.write_all(&[b]).is_err() {
                    return;
                }
                then(stream);
            }
            None => drop(stream),
        }
    });
    Endpoint::tcp("127.0.0.1", port)
}

/// Read one whole message from a raw stream.
pub fn read_raw_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = [0u8; HEADER_LEN];
    stream.read_exact(&mut head).ok()?;
    let h = Header::parse(&head, false).ok()?;
    let mut msg = head.to_vec();
    msg.resize(h.len as usize, 0);
    stream.read_exact(&mut msg[HEADER_LEN..]).ok()?;
    Some(msg)
}
