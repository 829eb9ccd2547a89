//! A stand-in kdb+ server for the client tests.
//!
//! STAND-IN: this small acceptor exists only because `fq-server` (the real `ferroq -p PORT`)
//! is not on main yet. Once it lands, these tests should start the real server instead and
//! this module should go.
//!
//! It does what a kdb+ process does for a client, with the real pieces: a real
//! `std::net::TcpListener` (and Unix listeners), `fq_ipc::ServerHandshake`, the real
//! interpreter `fq_eval::Interp` (one, shared by every connection, like kdb+'s main thread)
//! and the default `.z.pg`/`.z.ps`, `value x`: a char vector is evaluated, a general list
//! `(f; args...)` is applied. It also records what it saw (handshakes, compressed requests)
//! and can push async messages to its clients, as a tickerplant publishes.

#![allow(dead_code)]

use fq_client::Endpoint;
use fq_eval::{Interp, MemHost};
use fq_ipc::handshake::ServerHandshake;
use fq_ipc::{
    decode_message, encode_message, Compression, DecodeOptions, EncodeOptions, Header, MsgType,
    Payload, HEADER_LEN,
};
use fq_value::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

/// How the stand-in behaves.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Accept only these credentials (otherwise any).
    pub credentials: Option<(String, String)>,
    /// Compress every reply over 2000 bytes (kdb+ would only for remote peers).
    pub compress: bool,
    /// Also listen on the kdb+ Unix socket `@/tmp/kx.PORT` (Linux abstract namespace).
    pub unix: bool,
    /// Listen on this TCP port on all interfaces (default: an ephemeral port on 127.0.0.1).
    pub port: Option<u16>,
}

/// What the server saw.
#[derive(Default, Debug)]
pub struct Stats {
    /// Connections accepted (after the handshake).
    pub accepted: AtomicUsize,
    /// Handshakes rejected.
    pub rejected: AtomicUsize,
    /// Messages received.
    pub messages: AtomicUsize,
    /// Messages received compressed.
    pub compressed_in: AtomicUsize,
    /// Async messages received.
    pub async_in: AtomicUsize,
    /// The last capability byte a client sent.
    pub last_capability: AtomicUsize,
}

type Writer = Arc<Mutex<Box<dyn Write + Send>>>;

/// A request to the interpreter thread: the message and where to send its result.
type Job = (Value, mpsc::Sender<Result<Value, fq_value::QError>>);

struct Shared {
    config: Config,
    /// To the interpreter thread, which owns the one `Interp` (as kdb+'s main thread).
    interp: Mutex<mpsc::Sender<Job>>,
    stats: Stats,
    clients: Mutex<Vec<Writer>>,
}

/// A running stand-in server.
pub struct TestServer {
    /// The TCP port.
    pub port: u16,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Start with the default configuration (no credentials, no compression).
    pub fn start() -> TestServer {
        TestServer::with(Config::default())
    }

    /// Start on an ephemeral 127.0.0.1 port.
    pub fn with(config: Config) -> TestServer {
        let listener = match config.port {
            Some(p) => TcpListener::bind(("0.0.0.0", p)).expect("bind"),
            None => TcpListener::bind("127.0.0.1:0").expect("bind"),
        };
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared {
            interp: Mutex::new(interpreter_thread()),
            stats: Stats::default(),
            clients: Mutex::new(Vec::new()),
            config,
        });
        let s = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_nodelay(true);
                let Ok(w) = stream.try_clone() else { continue };
                let s = Arc::clone(&s);
                thread::spawn(move || serve(&s, Box::new(stream), Box::new(w)));
            }
        });
        if shared.config.unix {
            #[cfg(target_os = "linux")]
            {
                use std::os::linux::net::SocketAddrExt;
                let Endpoint::Unix(fq_client::UnixAddr::Abstract(name)) = Endpoint::unix_port(port)
                else {
                    panic!("QUDSPATH must not be set for the UDS tests")
                };
                let a = std::os::unix::net::SocketAddr::from_abstract_name(&name).expect("name");
                let l = UnixListener::bind_addr(&a).expect("bind uds");
                serve_unix(Arc::clone(&shared), l);
            }
        }
        TestServer { port, shared }
    }

    /// Also serve on a Unix socket file.
    pub fn listen_unix_path(&self, path: &std::path::Path) {
        let l = UnixListener::bind(path).expect("bind uds path");
        serve_unix(Arc::clone(&self.shared), l);
    }

    /// The TCP endpoint.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::tcp("127.0.0.1", self.port)
    }

    /// What the server saw.
    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// Evaluate q on the server directly.
    pub fn eval(&self, q: &str) -> Value {
        evaluate(&self.shared, Value::string(q)).expect("server eval")
    }

    /// Send an async message to every connected client, as a tickerplant publishes.
    pub fn publish(&self, v: &Value) {
        let msg =
            encode_message(&Payload::Value(v.clone()), MsgType::Async, &EncodeOptions::default())
                .expect("encode");
        for w in self.shared.clients.lock().unwrap().iter() {
            let _ = w.lock().unwrap().write_all(&msg);
        }
    }
}

fn serve_unix(shared: Arc<Shared>, l: UnixListener) {
    thread::spawn(move || {
        for stream in l.incoming().flatten() {
            let Ok(w) = stream.try_clone() else { continue };
            let s = Arc::clone(&shared);
            thread::spawn(move || serve(&s, Box::new(stream), Box::new(w)));
        }
    });
}

/// One connection: handshake, then evaluate messages until the client goes.
fn serve(s: &Shared, mut r: Box<dyn Read + Send>, w: Box<dyn Write + Send>) {
    let w: Writer = Arc::new(Mutex::new(w));
    let mut hs = ServerHandshake::new();
    let mut byte = [0u8; 1];
    // Read byte by byte so nothing after the NUL is consumed.
    let creds = loop {
        match r.read(&mut byte) {
            Ok(1) => match hs.feed(&byte) {
                Ok(Some((c, _))) => break c,
                Ok(None) => {}
                Err(_) => return,
            },
            _ => return,
        }
    };
    s.stats.last_capability.store(usize::from(creds.capability), Ordering::SeqCst);
    if let Some((u, p)) = &s.config.credentials {
        if creds.user != u.as_bytes() || creds.password != p.as_bytes() {
            s.stats.rejected.fetch_add(1, Ordering::SeqCst);
            return; // close without a byte: kdb+'s rejection
        }
    }
    let large = creds.large_messages();
    if w.lock().unwrap().write_all(&[creds.reply()]).is_err() {
        return;
    }
    s.stats.accepted.fetch_add(1, Ordering::SeqCst);
    s.clients.lock().unwrap().push(Arc::clone(&w));
    let enc =
        EncodeOptions { compress: s.config.compress, large_messages: large, ..Default::default() };
    let dec = DecodeOptions { large_messages: large, ..Default::default() };
    loop {
        let mut head = [0u8; HEADER_LEN];
        if r.read_exact(&mut head).is_err() {
            return;
        }
        let Ok(h) = Header::parse(&head, large) else { return };
        let mut msg = head.to_vec();
        msg.resize(h.len as usize, 0);
        if r.read_exact(&mut msg[HEADER_LEN..]).is_err() {
            return;
        }
        s.stats.messages.fetch_add(1, Ordering::SeqCst);
        if h.compression != Compression::None {
            s.stats.compressed_in.fetch_add(1, Ordering::SeqCst);
        }
        let reply = match decode_message(&msg, &dec) {
            Ok((_, Payload::Value(v))) => match evaluate(s, v) {
                Ok(v) => Payload::Value(v),
                Err(e) => Payload::Error(e),
            },
            Ok((_, Payload::Error(e))) => Payload::Error(e),
            Err(e) => Payload::Error(e.to_q()),
        };
        match h.msg_type {
            MsgType::Sync => {
                let out = encode_message(&reply, MsgType::Response, &enc).unwrap_or_else(|e| {
                    encode_message(&Payload::Error(e.to_q()), MsgType::Response, &enc)
                        .expect("error reply")
                });
                if w.lock().unwrap().write_all(&out).is_err() {
                    return;
                }
            }
            MsgType::Async => {
                s.stats.async_in.fetch_add(1, Ordering::SeqCst);
            }
            MsgType::Response => {}
        }
    }
}

/// Stack for the interpreter thread, and the part of it q code may use.
const STACK_BYTES: usize = 64 << 20;

/// Start the interpreter thread: it evaluates jobs one at a time, in arrival order, with
/// `value x` (kdb+'s default `.z.pg`/`.z.ps`).
fn interpreter_thread() -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let mut interp = Interp::new(Box::new(MemHost::default()));
            interp.set_stack_limit(STACK_BYTES - (8 << 20));
            let value = fq_value::prim::unary_code("value").expect("value is a primitive");
            for (msg, reply) in rx {
                let _ = reply.send(interp.apply(&Value::Unary(value), vec![msg]));
            }
        })
        .expect("spawn the interpreter");
    tx
}

/// Evaluate a message on the interpreter thread.
fn evaluate(s: &Shared, v: Value) -> Result<Value, fq_value::QError> {
    let (tx, rx) = mpsc::channel();
    let sent = s.interp.lock().unwrap().send((v, tx));
    sent.map_err(|_| fq_value::QError::internal("interpreter gone"))?;
    rx.recv().map_err(|_| fq_value::QError::internal("interpreter gone"))?
}

/// A one-connection server with custom behaviour (malformed replies, silence...): accepts
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
