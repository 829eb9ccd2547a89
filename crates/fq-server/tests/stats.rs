//! The observability hooks: `Stats` (Rust) and `\fq.stats` (q) count logins, messages,
//! compressed messages and the clients' capability bytes; `listen_unix_path` serves a
//! Unix socket file.

use fq_client::{Compression, ConnectOptions, Connection, Endpoint};
use fq_server::{Config, Runtime, Shared, Users};
use fq_value::{Value, Vector};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Start a server on an ephemeral port, on its own interpreter thread.
fn start(users: Users) -> (u16, Arc<Shared>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let interp = fq_eval::Interp::new(Box::new(fq_eval::MemHost::default()));
            let cfg = Config { port: Some(0), users, ..Config::default() };
            let mut rt = Runtime::new(interp, &cfg).expect("listen");
            tx.send((rt.port(), Arc::clone(rt.shared()))).expect("port");
            rt.run();
        })
        .expect("thread");
    rx.recv().expect("server started")
}

fn stats(c: &mut Connection) -> Value {
    c.query("\\fq.stats").expect("\\fq.stats")
}

#[test]
fn counters_in_rust_and_q() {
    let (port, shared) = start(Users::parse("u:p\n"));
    let ep = Endpoint::tcp("127.0.0.1", port);
    assert_eq!(shared.stats.last_capability.load(Ordering::Relaxed), -1);
    for (u, p) in [("u", "x"), ("v", "p")] {
        assert!(Connection::connect(&ep, &ConnectOptions::with_credentials(u, p)).is_err());
    }
    let opts = ConnectOptions {
        capability: 6,
        compression: Compression::Always,
        ..ConnectOptions::with_credentials("u", "p")
    };
    let mut c = Connection::connect(&ep, &opts).expect("connect");
    c.send_async_str("a:1").expect("async");
    let big = Value::Vector(Vector::longs(&vec![3; 10_000]));
    assert_eq!(c.call("{sum x}", &[big]).expect("call"), Value::Long(30_000));
    // accepted rejected messages compressed async capability; this query is message 3.
    let want = Value::dict(
        Value::Vector(Vector::sym_names(&fq_server::stats::STATS_KEYS)),
        Value::Vector(Vector::longs(&[1, 2, 3, 1, 1, 6])),
    )
    .expect("dict");
    assert_eq!(stats(&mut c), want);
    assert_eq!(c.query("(system\"fq.stats\")`messages").expect("q"), Value::Long(4));
    let s = &shared.stats;
    assert_eq!(s.accepted.load(Ordering::Relaxed), 1);
    assert_eq!(s.rejected.load(Ordering::Relaxed), 2);
    assert_eq!(s.messages.load(Ordering::Relaxed), 4);
    assert_eq!(s.compressed_in.load(Ordering::Relaxed), 1);
    assert_eq!(s.async_in.load(Ordering::Relaxed), 1);
    // Read-only.
    assert!(c.query("\\fq.stats 0").is_err());
    // A second server that opens a connection to this one with `hopen`: counted here as
    // an accepted login and its messages; not counted there (it is that server's client).
    let (port_b, shared_b) = start(Users::default());
    let mut b = Connection::open(&format!("127.0.0.1:{port_b}")).expect("connect b");
    let q = format!("h:hopen`::{port}:u:p;r:h\"1+1\";hclose h;r");
    assert_eq!(b.query(&q).expect("hopen"), Value::Long(2));
    assert_eq!(s.accepted.load(Ordering::Relaxed), 2);
    assert_eq!(s.messages.load(Ordering::Relaxed), 6);
    assert_eq!(shared_b.stats.messages.load(Ordering::Relaxed), 1);
    assert_eq!(shared_b.stats.accepted.load(Ordering::Relaxed), 1);
}

#[test]
fn unix_socket_file() {
    let (port, shared) = start(Users::default());
    let dir = std::env::temp_dir().join(format!("fq-server-uds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("q.sock");
    let _ = std::fs::remove_file(&path);
    fq_server::listen_unix_path(&shared, &path).expect("listen");
    let mut c = Connection::connect(&Endpoint::unix_path(&path), &ConnectOptions::default())
        .expect("connect");
    assert_eq!(c.query("\\p").expect("\\p"), Value::Int(i32::from(port)));
    assert_eq!(c.query(".z.a").expect(".z.a"), Value::Int(0));
    // Bound already: an error, not a panic.
    assert!(fq_server::listen_unix_path(&shared, &path).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
