//! The server under bad input and load: malformed frames, stalls, oversized messages,
//! peers that leave mid-reply, many connections, a 1 GB result. After each, the server
//! still answers everyone else. Real sockets, a real interpreter thread, fq-client.

use fq_server::{Config, Limits, Runtime};
use fq_value::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Start a server on an ephemeral port, on its own interpreter thread.
fn start(limits: Limits) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let interp = fq_eval::Interp::new(Box::new(fq_eval::MemHost::default()));
            let cfg = Config { port: Some(0), limits, ..Config::default() };
            let mut rt = Runtime::new(interp, &cfg).expect("listen");
            tx.send(rt.port()).expect("port");
            rt.run();
        })
        .expect("thread");
    rx.recv().expect("server started")
}

fn client(port: u16) -> fq_client::Connection {
    fq_client::Connection::open(&format!("127.0.0.1:{port}")).expect("connect")
}

fn works(port: u16) {
    let mut c = client(port);
    assert_eq!(c.query("1+1").expect("query"), Value::Long(2));
}

/// A raw socket past the handshake.
fn raw(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(b"me:pw\x03\x00").expect("hello");
    let mut cap = [0u8; 1];
    s.read_exact(&mut cap).expect("capability");
    assert_eq!(cap[0], 3);
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    s
}

/// True when the server closed the socket (EOF or reset) within the read timeout.
fn closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => continue,
        }
    }
}

#[test]
fn malformed_frames_drop_only_that_connection() {
    let port = start(Limits::default());
    for garbage in [
        &b"\x07\x01\x00\x00\x10\x00\x00\x00abcdefgh"[..], // bad endianness byte
        &b"\x01\x09\x00\x00\x10\x00\x00\x00abcdefgh"[..], // bad message type
        &b"\x01\x01\x00\x00\x04\x00\x00\x00"[..],         // length shorter than a header
        &b"\x01\x01\x00\x00\x0c\x00\x00\x00\x63\x00\x00\x00"[..], // truncated dict payload
        &b"\x01\x01\x01\x00\x14\x00\x00\x00\xff\xff\xff\x7f\x00\x01\x02\x03\x04\x05\x06\x07"[..], // bad compressed
    ] {
        let mut s = raw(port);
        s.write_all(garbage).expect("send");
        // Either an error response then close, or just close; never a hang or a crash.
        let mut head = [0u8; 8];
        if s.read_exact(&mut head).is_ok() {
            assert_eq!(head[1], 2, "a response");
        }
        works(port);
    }
}

#[test]
fn handshake_garbage_and_http_garbage() {
    let port = start(Limits { stall: Duration::from_secs(1), ..Limits::default() });
    // 2000 bytes without a NUL: too long for credentials.
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let _ = s.write_all(&[b'x'; 2000]);
    assert!(closed(&mut s));
    // An HTTP request line that never ends.
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    s.write_all(b"GET /?1+1 HTTP/1.1\r\nHost: x\r\n").expect("send");
    let t = Instant::now();
    assert!(closed(&mut s));
    assert!(t.elapsed() < Duration::from_secs(8));
    works(port);
}

#[test]
fn stalled_peer_is_dropped_and_others_are_served() {
    let port = start(Limits { stall: Duration::from_secs(1), ..Limits::default() });
    let mut s = raw(port);
    // Header promises 100 bytes; send 10 and stall.
    s.write_all(b"\x01\x01\x00\x00\x64\x00\x00\x00\x0a\x00").expect("send");
    // Meanwhile everyone else is served.
    works(port);
    let t = Instant::now();
    assert!(closed(&mut s), "stalled peer dropped");
    assert!(t.elapsed() < Duration::from_secs(10));
    works(port);
}

#[test]
fn message_over_the_limit_gets_limit_and_close() {
    let port = start(Limits { max_message: 1 << 20, ..Limits::default() });
    let mut s = raw(port);
    // A sync message announcing 2 MB.
    s.write_all(b"\x01\x01\x00\x00\x00\x00\x20\x00").expect("send");
    let mut head = [0u8; 8];
    s.read_exact(&mut head).expect("a response");
    let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let mut body = vec![0u8; len - 8];
    s.read_exact(&mut body).expect("body");
    assert_eq!(body, b"\x80limit\x00");
    assert!(closed(&mut s));
    // Under the limit is fine.
    let mut c = client(port);
    assert_eq!(c.query("count 100000#0x00").expect("query"), Value::Long(100_000));
    works(port);
}

#[test]
fn client_leaving_mid_reply() {
    let port = start(Limits::default());
    for _ in 0..3 {
        let mut s = raw(port);
        // `til 20000000`: a 160 MB reply; read 1 KB of it and hang up.
        let q = b"til 20000000";
        let mut msg = vec![1u8, 1, 0, 0];
        msg.extend_from_slice(&((8 + 6 + q.len()) as u32).to_le_bytes());
        msg.extend_from_slice(&[10, 0]);
        msg.extend_from_slice(&(q.len() as u32).to_le_bytes());
        msg.extend_from_slice(q);
        s.write_all(&msg).expect("send");
        let mut some = [0u8; 1024];
        s.read_exact(&mut some).expect("start of reply");
        drop(s);
    }
    works(port);
}

#[test]
fn two_hundred_connections() {
    let port = start(Limits::default());
    let conns: Vec<_> = (0..200).map(|_| client(port)).collect();
    let handles: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(k, mut c)| {
            std::thread::spawn(move || {
                for j in 0..5 {
                    let v = c.query(&format!("{k}+{j}")).expect("query");
                    assert_eq!(v, Value::Long((k + j) as i64));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    works(port);
}

#[test]
fn one_gigabyte_result() {
    let port = start(Limits::default());
    let mut c = client(port);
    let raw = c.query_raw("1000000000#0x01").expect("1 GB reply");
    assert!(raw.bytes().len() >= 1_000_000_000, "{:?}", raw.header());
    drop(raw);
    works(port);
}

#[test]
fn errors_and_async_and_handlers() {
    let port = start(Limits::default());
    let mut c = client(port);
    match c.query("1+`a") {
        Err(fq_client::ClientError::Q(t)) => assert_eq!(t, "type"),
        other => panic!("{other:?}"),
    }
    c.send_async_str("zz:42").expect("async");
    assert_eq!(c.query("zz").expect("query"), Value::Long(42));
    // .z.pg sees the message; .z.w is this connection's handle.
    c.query(".z.pg:{(`seen;value x)}").expect("set handler");
    let v = c.query("1+1").expect("query");
    assert!(format!("{v:?}").contains("seen"));
    c.query(".z.pg:value").expect("reset");
    let w = c.query(".z.w").expect("query");
    assert!(matches!(w, Value::Int(h) if h > 2));
}
