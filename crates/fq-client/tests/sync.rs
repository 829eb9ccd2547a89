//! The blocking client against the real ferroq server (`common::TestServer`, an in-process
//! `fq_server::Runtime`), and against raw peers that misbehave on purpose.

mod common;

use common::{raw_server, read_raw_message, TestServer};
use fq_client::{
    ClientError, Compression, ConnectOptions, Connection, Endpoint, Pool, PoolOptions,
};
use fq_value::null::*;
use fq_value::{QType, Sym, Table, Value, Vector};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn connect(s: &TestServer) -> Connection {
    Connection::connect(&s.endpoint(), &ConnectOptions::default()).expect("connect")
}

fn v(ty: QType, items: Vec<i64>) -> Value {
    match ty.elem_size() {
        Some(4) => Value::Vector(Vector::from_vec(ty, items.iter().map(|&x| x as i32).collect())),
        _ => Value::Vector(Vector::from_vec(ty, items)),
    }
}

#[test]
fn handshake_and_first_query() {
    let s = TestServer::start();
    let mut c = connect(&s);
    assert_eq!(c.capability(), 3);
    // The byte the client sent, as the server recorded it (`\fq.stats`).
    assert_eq!(s.stats().last_capability.load(Ordering::SeqCst), 3);
    assert_eq!(c.query("(system\"fq.stats\")`capability").unwrap(), Value::Long(3));
    assert!(c.is_local());
    assert!(!c.compresses());
    assert_eq!(c.query("1+1").unwrap(), Value::Long(2));
    // Capability 6: the server answers 6 and both sides use large-message headers.
    let opts = ConnectOptions { capability: 6, ..Default::default() };
    let mut c6 = Connection::connect(&s.endpoint(), &opts).unwrap();
    assert_eq!(c6.capability(), 6);
    assert_eq!(c6.query("til 3").unwrap(), Value::Vector(Vector::longs(&[0, 1, 2])));
    // An address string.
    let mut c = Connection::open(&format!("localhost:{}", s.port)).unwrap();
    assert_eq!(c.query("2*3").unwrap(), Value::Long(6));
}

#[test]
fn credentials_accepted_and_rejected() {
    let s = TestServer::with_users("user:pa:ss\n");
    let mut ok =
        Connection::connect(&s.endpoint(), &ConnectOptions::with_credentials("user", "pa:ss"))
            .unwrap();
    assert_eq!(ok.query("1+1").unwrap(), Value::Long(2));
    for (u, p) in [("user", "wrong"), ("", ""), ("other", "pa:ss")] {
        let e = Connection::connect(&s.endpoint(), &ConnectOptions::with_credentials(u, p))
            .unwrap_err();
        assert!(matches!(e, ClientError::Rejected), "{e:?}");
        assert_eq!(e.to_string(), "access denied: the server rejected the credentials");
    }
    // The password file refuses before `.z.pw` would run: the server's counters tell.
    assert_eq!(s.stats().rejected.load(Ordering::SeqCst), 3);
    assert_eq!(s.stats().accepted.load(Ordering::SeqCst), 1);
    assert_eq!(ok.query("(system\"fq.stats\")`rejected").unwrap(), Value::Long(3));
    // A raw server that closes on the hello.
    let e = Connection::connect(&raw_server(None, |_| {}), &ConnectOptions::default());
    assert!(matches!(e, Err(ClientError::Rejected)), "{e:?}");
    // A reply above what was asked is a handshake error.
    let e = Connection::connect(&raw_server(Some(9), |_| {}), &ConnectOptions::default());
    assert!(matches!(e, Err(ClientError::Handshake(_))), "{e:?}");
}

/// Every atom type with its null and infinities, checked against `fq_value` values, then
/// sent back through the client's encoder (`{x}`) to check the other direction.
#[test]
fn atoms_round_trip() {
    let s = TestServer::start();
    let mut c = connect(&s);
    let guid = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ];
    let cases: Vec<(&str, Value)> = vec![
        ("0b", Value::Bool(false)),
        ("1b", Value::Bool(true)),
        ("0Ng", Value::Guid(Box::new(NULL_GUID))),
        ("\"G\"$\"01234567-89ab-cdef-0123-456789abcdef\"", Value::Guid(Box::new(guid))),
        ("0x2a", Value::Byte(42)),
        ("5h", Value::Short(5)),
        ("0Nh", Value::Short(NULL_I16)),
        ("0Wh", Value::Short(INF_I16)),
        ("-0Wh", Value::Short(-INF_I16)),
        ("-7i", Value::Int(-7)),
        ("0Ni", Value::Int(NULL_I32)),
        ("0Wi", Value::Int(INF_I32)),
        ("-0Wi", Value::Int(-INF_I32)),
        ("42", Value::Long(42)),
        ("0N", Value::Long(NULL_I64)),
        ("0W", Value::Long(INF_I64)),
        ("-0W", Value::Long(-INF_I64)),
        ("1.5e", Value::Real(1.5)),
        ("0Ne", Value::Real(NULL_F32)),
        ("0We", Value::Real(INF_F32)),
        ("-0We", Value::Real(-INF_F32)),
        ("2.25", Value::Float(2.25)),
        ("0n", Value::Float(NULL_F64)),
        ("0w", Value::Float(INF_F64)),
        ("-0w", Value::Float(-INF_F64)),
        ("\"a\"", Value::Char(b'a')),
        ("\" \"", Value::Char(NULL_CHAR)),
        ("`abc", Value::sym("abc")),
        ("`", Value::Symbol(Sym::EMPTY)),
        ("2000.01.01D00:00:00.000000001", Value::Timestamp(1)),
        ("0Np", Value::Timestamp(NULL_I64)),
        ("0Wp", Value::Timestamp(INF_I64)),
        ("2000.02m", Value::Month(1)),
        ("0Nm", Value::Month(NULL_I32)),
        ("2000.01.02", Value::Date(1)),
        ("1999.12.31", Value::Date(-1)),
        ("0Nd", Value::Date(NULL_I32)),
        ("0Wd", Value::Date(INF_I32)),
        ("2000.01.02T00:00:00.000", Value::Datetime(1.0)),
        ("0Nz", Value::Datetime(NULL_F64)),
        ("0D00:00:00.000000001", Value::Timespan(1)),
        ("0Nn", Value::Timespan(NULL_I64)),
        ("0Wn", Value::Timespan(INF_I64)),
        ("00:01", Value::Minute(1)),
        ("0Nu", Value::Minute(NULL_I32)),
        ("00:00:01", Value::Second(1)),
        ("0Nv", Value::Second(NULL_I32)),
        ("00:00:00.001", Value::Time(1)),
        ("0Nt", Value::Time(NULL_I32)),
        ("0Wt", Value::Time(INF_I32)),
        ("::", fq_value::GENERIC_NULL),
    ];
    for (q, want) in &cases {
        let got = c.query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(&got, want, "{q}");
        assert_eq!(got.qtype(), want.qtype(), "{q}");
        let back =
            c.call("{x}", std::slice::from_ref(want)).unwrap_or_else(|e| panic!("{q} echo: {e}"));
        assert_eq!(&back, want, "{q} echo");
        // The server sees the same value the client sent.
        let same = c.call("{x~y}", &[got.clone(), want.clone()]).unwrap();
        assert_eq!(same, Value::Bool(true), "{q} ~ on the server");
    }
}

/// Every vector type with nulls and infinities, both directions.
#[test]
fn vectors_round_trip() {
    let s = TestServer::start();
    let mut c = connect(&s);
    let (n, w) = (NULL_I64, INF_I64);
    let (ni, wi) = (i64::from(NULL_I32), i64::from(INF_I32));
    let cases: Vec<(&str, Value)> = vec![
        ("010b", Value::Vector(Vector::bools(&[false, true, false]))),
        ("0x00ff", Value::Vector(Vector::bytes(&[0, 255]))),
        ("1 0N 0W -0Wh", Value::Vector(Vector::shorts(&[1, NULL_I16, INF_I16, -INF_I16]))),
        ("1 0N 0W -0Wi", Value::Vector(Vector::ints(&[1, NULL_I32, INF_I32, -INF_I32]))),
        ("1 0N 0W -0W", Value::Vector(Vector::longs(&[1, n, w, -w]))),
        ("1.5 0N 0W -0We", Value::Vector(Vector::reals(&[1.5, NULL_F32, INF_F32, -INF_F32]))),
        ("1.5 0n 0w -0w", Value::Vector(Vector::floats(&[1.5, NULL_F64, INF_F64, -INF_F64]))),
        ("\"ab c\"", Value::string("ab c")),
        ("`a`bc`", Value::Vector(Vector::sym_names(&["a", "bc", ""]))),
        ("2000.01.01D00:00:00.000000001 0N 0Wp", v(QType::TIMESTAMP, vec![1, n, w])),
        ("2000.02 0N 0Wm", v(QType::MONTH, vec![1, ni, wi])),
        ("2000.01.02 0N 0Wd", v(QType::DATE, vec![1, ni, wi])),
        (
            "2000.01.02T00:00:00.000 0Nz",
            Value::Vector(Vector::from_vec(QType::DATETIME, vec![1.0f64, NULL_F64])),
        ),
        ("0D00:00:00.000000001 0N 0Wn", v(QType::TIMESPAN, vec![1, n, w])),
        ("00:01 0N 0Wu", v(QType::MINUTE, vec![1, ni, wi])),
        ("00:00:01 0N 0Wv", v(QType::SECOND, vec![1, ni, wi])),
        ("00:00:00.001 0N 0Wt", v(QType::TIME, vec![1, ni, wi])),
        ("0#0", Value::Vector(Vector::empty(QType::LONG))),
        ("0#`", Value::Vector(Vector::empty(QType::SYMBOL))),
        ("\"\"", Value::string("")),
        ("()", Value::list(vec![])),
        (
            "(1;`a;\"xy\";(2.5;()))",
            Value::list(vec![
                Value::Long(1),
                Value::sym("a"),
                Value::string("xy"),
                Value::list(vec![Value::Float(2.5), Value::list(vec![])]),
            ]),
        ),
    ];
    for (q, want) in &cases {
        let got = c.query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(&got, want, "{q}");
        assert_eq!(got.qtype(), want.qtype(), "{q}");
        let back = c.call("{x}", std::slice::from_ref(want)).unwrap();
        assert_eq!(&back, want, "{q} echo");
        assert_eq!(back.qtype(), want.qtype(), "{q} echo");
    }
    let g = c.query("(\"G\"$\"01234567-89ab-cdef-0123-456789abcdef\"),0Ng").unwrap();
    assert_eq!((g.qtype(), g.count()), (QType::GUID, 2));
    assert_eq!(c.call("{x}", std::slice::from_ref(&g)).unwrap(), g);
}

#[test]
fn dicts_tables_keyed_tables() {
    let s = TestServer::start();
    let mut c = connect(&s);
    let d = c.query("`a`b!1 2").unwrap();
    let want = Value::dict(
        Value::Vector(Vector::sym_names(&["a", "b"])),
        Value::Vector(Vector::longs(&[1, 2])),
    )
    .unwrap();
    assert_eq!(d, want);
    let t = c.query("([] a:1 2; b:`x`y; c:(\"p\";\"qr\"))").unwrap();
    let want_t: Value = Table::from_pairs(vec![
        ("a", Value::Vector(Vector::longs(&[1, 2]))),
        ("b", Value::Vector(Vector::sym_names(&["x", "y"]))),
        ("c", Value::list(vec![Value::Char(b'p'), Value::string("qr")])),
    ])
    .unwrap()
    .into();
    assert_eq!(t, want_t);
    assert_eq!(c.call("{x}", std::slice::from_ref(&t)).unwrap(), t);
    let k = c.query("([k:1 2] v:`a`b)").unwrap();
    let want_k = Value::keyed_table(
        Table::from_pairs(vec![("k", Value::Vector(Vector::longs(&[1, 2])))]).unwrap(),
        Table::from_pairs(vec![("v", Value::Vector(Vector::sym_names(&["a", "b"])))]).unwrap(),
    )
    .unwrap();
    assert_eq!(k, want_k);
    assert_eq!(c.call("{x}", std::slice::from_ref(&k)).unwrap(), k);
    assert_eq!(c.call("{count x}", &[k]).unwrap(), Value::Long(2));
    // A dict sent from the client is indexed on the server.
    assert_eq!(c.call("{x`b}", &[want]).unwrap(), Value::Long(2));
}

#[test]
fn million_row_table() {
    let s = TestServer::start();
    let mut c = connect(&s);
    let t = c
        .query("([] a:til 1000000; b:1000000#1.5 0n; s:1000000#`x`y`z; p:1000000#2000.01.01D0)")
        .unwrap();
    let Value::Table(t) = t else { panic!("not a table") };
    assert_eq!(t.rows(), 1_000_000);
    let Value::Vector(a) = &t.columns()[0] else { panic!() };
    assert_eq!(a.as_slice::<i64>()[999_999], 999_999);
    let Value::Vector(b) = &t.columns()[1] else { panic!() };
    assert!(b.as_slice::<f64>()[1].is_nan());
    // And back: the server counts what the client sent.
    let sent = c.call("{(count x; sum x`a)}", &[Value::Table(t)]).unwrap();
    assert_eq!(sent, Value::Vector(Vector::longs(&[1_000_000, 999_999 * 1_000_000 / 2])));
}

#[test]
fn q_errors_keep_the_connection() {
    let s = TestServer::start();
    let mut c = connect(&s);
    for (q, text) in
        [("1+`a", "type"), ("'foo", "foo"), ("nosuchname", "nosuchname"), ("1 2+1 2 3", "length")]
    {
        match c.query(q) {
            Err(ClientError::Q(t)) => assert_eq!(t, text, "{q}"),
            other => panic!("{q}: {other:?}"),
        }
    }
    let e = c.query("'oops").unwrap_err();
    assert_eq!(e.to_string(), "'oops");
    assert!(!e.is_fatal() && !c.is_broken());
    assert_eq!(c.query("1+1").unwrap(), Value::Long(2));
    // The raw form hands the error reply over as a message.
    let raw = c.query_raw("`a+1").unwrap();
    assert_eq!(raw.bytes(), b"\x01\x02\x00\x00\x0e\x00\x00\x00\x80type\x00");
    assert!(matches!(raw.decode(), Err(ClientError::Q(t)) if t == "type"));
}

#[test]
fn async_then_sync_set_get_call() {
    let s = TestServer::start();
    let mut c = connect(&s);
    // Count async messages in q, as a server would: `.z.ps` wraps the default `value x`.
    c.query("asyncs:0;.z.ps:{asyncs::asyncs+1;value x}").unwrap();
    c.send_async_str("a:42").unwrap();
    c.send_async(&Value::list(vec![Value::string("{b::x}"), Value::Long(7)])).unwrap();
    // One connection is in order: the sync query sees both async messages' effects.
    assert_eq!(c.query("a+b").unwrap(), Value::Long(49));
    assert_eq!(c.query("asyncs").unwrap(), Value::Long(2));
    assert_eq!(s.stats().async_in.load(Ordering::SeqCst), 2);
    c.set("t", Value::Vector(Vector::longs(&[1, 2, 3]))).unwrap();
    assert_eq!(c.get("t").unwrap(), Value::Vector(Vector::longs(&[1, 2, 3])));
    assert_eq!(c.query("sum t").unwrap(), Value::Long(6));
    c.query("add:{x+y}").unwrap();
    assert_eq!(c.call("add", &[Value::Long(2), Value::Long(3)]).unwrap(), Value::Long(5));
    c.query(".u.f:{x*10}").unwrap();
    assert_eq!(c.call(".u.f", &[Value::Long(4)]).unwrap(), Value::Long(40));
    assert_eq!(
        c.call("{x,y}", &[Value::sym("a"), Value::sym("b")]).unwrap(),
        Value::Vector(Vector::sym_names(&["a", "b"]))
    );
    assert_eq!(s.eval("a"), Value::Long(42));
}

#[test]
fn raw_response() {
    let s = TestServer::start();
    let mut c = connect(&s);
    let raw = c.query_raw("til 3").unwrap();
    assert_eq!(raw.header().len, 8 + 6 + 24);
    assert_eq!(raw.header().msg_type, fq_client::MsgType::Response);
    assert!(!raw.is_compressed());
    assert_eq!(&raw.payload().unwrap()[..6], &[7, 0, 3, 0, 0, 0]);
    assert_eq!(raw.decode().unwrap(), Value::Vector(Vector::longs(&[0, 1, 2])));
}

/// Compressed messages the server received, as q reads its counters.
fn compressed_in(c: &mut Connection) -> Value {
    c.query("(system\"fq.stats\")`compressed").unwrap()
}

#[test]
fn compression_both_ways() {
    let s = TestServer::start();
    let want = Value::Vector(Vector::longs(&(0..10_000).collect::<Vec<i64>>()));
    // Server to client: like kdb+, the server compresses only for peers that are not on
    // loopback (nor a Unix socket)...
    let mut c = connect(&s);
    let raw = c.query_raw("til 10000").unwrap();
    assert!(!raw.is_compressed());
    // ...so reach it through this machine's own non-loopback address.
    match s.remote_endpoint() {
        Some(ep) => {
            let mut r = Connection::connect(&ep, &ConnectOptions::default()).unwrap();
            let raw = r.query_raw("til 10000").unwrap();
            assert!(raw.is_compressed(), "{ep:?}");
            assert!(raw.bytes().len() < 80_008 / 2);
            assert_eq!(raw.payload().unwrap().len(), 80_006);
            assert_eq!(raw.decode().unwrap(), want);
            assert_eq!(r.query("til 10000").unwrap(), want);
            // Small replies are never compressed.
            assert!(!r.query_raw("til 10").unwrap().is_compressed());
        }
        None => eprintln!(
            "note: this machine has no non-loopback address; server-to-client compression \
             not checked"
        ),
    }
    // Client to server: loopback, so kdb+'s rule says no...
    let big = Value::Vector(Vector::longs(&vec![5; 100_000]));
    assert_eq!(c.call("{sum x}", std::slice::from_ref(&big)).unwrap(), Value::Long(500_000));
    assert_eq!(compressed_in(&mut c), Value::Long(0));
    // ...unless forced.
    c.set_compression(Compression::Always);
    assert!(c.compresses());
    assert_eq!(c.call("{sum x}", std::slice::from_ref(&big)).unwrap(), Value::Long(500_000));
    assert_eq!(compressed_in(&mut c), Value::Long(1));
    // Small messages are never compressed.
    assert_eq!(c.query("1+1").unwrap(), Value::Long(2));
    assert_eq!(compressed_in(&mut c), Value::Long(1));
    let opts = ConnectOptions { compression: Compression::Always, ..Default::default() };
    let mut c2 = Connection::connect(&s.endpoint(), &opts).unwrap();
    assert_eq!(c2.call("{count x}", &[big]).unwrap(), Value::Long(100_000));
    assert_eq!(s.stats().compressed_in.load(Ordering::SeqCst), 2);
}

/// Answer the first request with `bytes`, then keep the connection open a moment.
fn answers(bytes: Vec<u8>) -> Endpoint {
    raw_server(Some(3), move |mut s| {
        if read_raw_message(&mut s).is_some() {
            let _ = s.write_all(&bytes);
            std::thread::sleep(Duration::from_millis(300));
        }
    })
}

#[test]
fn malformed_frames_are_errors() {
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("length below 8", vec![1, 2, 0, 0, 5, 0, 0, 0]),
        ("endianness 7", vec![7, 2, 0, 0, 9, 0, 0, 0, 0xff]),
        ("message type 9", vec![1, 9, 0, 0, 9, 0, 0, 0, 0xff]),
        ("compression 5", vec![1, 2, 5, 0, 9, 0, 0, 0, 0xff]),
        ("unknown type", vec![1, 2, 0, 0, 9, 0, 0, 0, 0x70]),
        ("count past the end", vec![1, 2, 0, 0, 14, 0, 0, 0, 7, 0, 0xff, 0xff, 0xff, 0x7f]),
        ("negative count", vec![1, 2, 0, 0, 14, 0, 0, 0, 7, 0, 0xff, 0xff, 0xff, 0xff]),
        ("trailing bytes", vec![1, 2, 0, 0, 11, 0, 0, 0, 0xf9, 1, 2]),
        ("bad compressed size", vec![1, 2, 1, 0, 16, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]),
        ("garbage stream", vec![1, 2, 1, 0, 16, 0, 0, 0, 20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
        ("symbol without NUL", vec![1, 2, 0, 0, 11, 0, 0, 0, 0xf5, b'a', b'b']),
    ];
    for (what, bytes) in bad {
        let mut c = Connection::connect(&answers(bytes), &ConnectOptions::default()).unwrap();
        let e = c.query("1").unwrap_err();
        assert!(matches!(e, ClientError::Protocol(_)), "{what}: {e:?}");
        assert!(c.is_broken(), "{what}");
        assert!(matches!(c.query("1"), Err(ClientError::Closed)), "{what}");
    }
    // Truncated: the header promises more than arrives before the server closes.
    let ep = raw_server(Some(3), |mut s| {
        if read_raw_message(&mut s).is_some() {
            let _ = s.write_all(&[1, 2, 0, 0, 100, 0, 0, 0, 7, 0]);
        }
    });
    let mut c = Connection::connect(&ep, &ConnectOptions::default()).unwrap();
    assert!(matches!(c.query("1"), Err(ClientError::Closed)));
    // Pseudo-random garbage after a valid header never panics.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..40 {
        let mut msg = vec![1, 2, 0, 0, 0, 0, 0, 0];
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = 1 + (seed % 40) as usize;
        for i in 0..len {
            msg.push((seed >> (i % 8 * 8)) as u8 ^ i as u8);
        }
        let total = msg.len() as u32;
        msg[4..8].copy_from_slice(&total.to_le_bytes());
        let mut c = Connection::connect(&answers(msg), &ConnectOptions::default()).unwrap();
        let _ = c.query("1");
    }
}

#[test]
fn oversized_lengths_are_refused_before_allocating() {
    let opts = ConnectOptions { max_message: 1 << 20, ..Default::default() };
    let mut c =
        Connection::connect(&answers(vec![1, 2, 0, 0, 0xff, 0xff, 0xff, 0xff]), &opts).unwrap();
    let e = c.query("1").unwrap_err();
    assert!(
        matches!(e, ClientError::Protocol(fq_ipc::IpcError::TooLarge { len: 0xffff_ffff, .. })),
        "{e:?}"
    );
    // A compressed message announcing a huge uncompressed size.
    let mut c = Connection::connect(
        &answers(vec![1, 2, 1, 0, 16, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]),
        &opts,
    )
    .unwrap();
    assert!(matches!(c.query("1"), Err(ClientError::Protocol(_))));
    // Within the default limit, a 4 GB promise costs nothing until bytes arrive: the
    // server closes and the client reports it.
    let ep = raw_server(Some(3), |mut s| {
        if read_raw_message(&mut s).is_some() {
            let _ = s.write_all(&[1, 2, 0, 0, 0xff, 0xff, 0xff, 0xff, 7, 0]);
        }
    });
    let mut c = Connection::connect(&ep, &ConnectOptions::default()).unwrap();
    assert!(matches!(c.query("1"), Err(ClientError::Closed)));
}

#[test]
fn spinning_for_replies() {
    let s = TestServer::start();
    let opts = ConnectOptions { spin: Duration::from_micros(300), ..Default::default() };
    let mut c = Connection::connect(&s.endpoint(), &opts).unwrap();
    // Replies within the spin and well past it (the poll gives up, `read` sleeps).
    for q in ["1+1", "{x}{s:0; do[200000; s+:1]; s}[]", "sum til 100"] {
        assert!(c.query(q).is_ok(), "{q}");
    }
    assert_eq!(c.query("2*21").unwrap(), Value::Long(42));
    // A server that never answers: the spin ends and the call timeout still applies.
    let ep = raw_server(Some(3), |mut s| {
        let _ = read_raw_message(&mut s);
        std::thread::sleep(Duration::from_secs(3));
    });
    let opts = ConnectOptions {
        spin: Duration::from_millis(50),
        timeout: Some(Duration::from_millis(200)),
        ..Default::default()
    };
    let mut c = Connection::connect(&ep, &opts).unwrap();
    let t = Instant::now();
    assert!(matches!(c.query("1"), Err(ClientError::Timeout)));
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn timeouts() {
    // A server that accepts the query and never answers.
    let ep = raw_server(Some(3), |mut s| {
        let _ = read_raw_message(&mut s);
        std::thread::sleep(Duration::from_secs(3));
    });
    let opts = ConnectOptions { timeout: Some(Duration::from_millis(200)), ..Default::default() };
    let mut c = Connection::connect(&ep, &opts).unwrap();
    let t = Instant::now();
    assert!(matches!(c.query("1"), Err(ClientError::Timeout)));
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(c.is_broken());
    assert!(matches!(c.query("1"), Err(ClientError::Closed)));

    // A server that accepts the connection and never answers the hello.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held = l.accept();
        std::thread::sleep(Duration::from_secs(3));
        drop(held);
    });
    let opts =
        ConnectOptions { connect_timeout: Some(Duration::from_millis(200)), ..Default::default() };
    let t = Instant::now();
    let e = Connection::connect(&Endpoint::tcp("127.0.0.1", port), &opts).unwrap_err();
    assert!(matches!(e, ClientError::Timeout), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(2));

    // Nothing listening.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let e = Connection::connect(&Endpoint::tcp("127.0.0.1", port), &opts).unwrap_err();
    assert!(matches!(e, ClientError::Io(_)), "{e:?}");

    // A slow query under a generous timeout is fine, and the timeout can change.
    let s = TestServer::start();
    let opts = ConnectOptions { timeout: Some(Duration::from_secs(30)), ..Default::default() };
    let mut c = Connection::connect(&s.endpoint(), &opts).unwrap();
    assert_eq!(c.query("sum til 1000000").unwrap(), Value::Long(499_999_500_000));
    c.set_timeout(None);
    assert_eq!(c.query("1+1").unwrap(), Value::Long(2));
}

#[test]
fn subscription_messages() {
    let s = TestServer::start();
    let mut c = connect(&s);
    assert_eq!(c.query("1").unwrap(), Value::Long(1)); // connected and registered
    assert!(c.recv_timeout(Duration::from_millis(50)).unwrap().is_none());
    assert!(!c.is_broken());
    let t: Value =
        Table::from_pairs(vec![("px", Value::Vector(Vector::floats(&[1.5, 2.5])))]).unwrap().into();
    let upd = Value::list(vec![Value::sym("upd"), Value::sym("trade"), t]);
    // Another connection makes the server publish (`neg[h] x` to each subscriber).
    s.publish(&upd);
    assert_eq!(c.recv().unwrap(), upd);
    // Pushes that arrive while a sync call waits (the server sends them before the
    // response) are kept for recv.
    assert_eq!(c.query("neg[.z.w] 1;neg[.z.w] 2;3").unwrap(), Value::Long(3));
    assert_eq!(c.pending(), 2);
    assert_eq!(c.recv().unwrap(), Value::Long(1));
    assert_eq!(c.recv_timeout(Duration::from_millis(10)).unwrap(), Some(Value::Long(2)));
    assert!(c.recv_timeout(Duration::from_millis(10)).unwrap().is_none());
    // Published between two calls: waits in the socket until the next call or recv.
    s.publish(&Value::Long(7));
    assert_eq!(c.query("4").unwrap(), Value::Long(4));
    assert_eq!(c.pending(), 1);
    assert_eq!(c.recv().unwrap(), Value::Long(7));
    // recv outwaits the call timeout: subscribers wait for updates.
    c.set_timeout(Some(Duration::from_millis(20)));
    let s = std::sync::Arc::new(s);
    let s2 = std::sync::Arc::clone(&s);
    let later = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        s2.publish(&Value::sym("late"));
    });
    assert_eq!(c.recv().unwrap(), Value::sym("late"));
    later.join().unwrap();
    assert_eq!(c.query("5").unwrap(), Value::Long(5));
}

#[test]
fn server_sync_requests_are_refused() {
    // The server asks the client something (kdb+ allows it); the client answers 'nyi and
    // still gets its own response.
    let ep = raw_server(Some(3), |mut s| {
        if read_raw_message(&mut s).is_none() {
            return;
        }
        let ask = fq_ipc::encode_message(
            &fq_ipc::Payload::Value(Value::string("1+1")),
            fq_ipc::MsgType::Sync,
            &Default::default(),
        )
        .unwrap();
        let _ = s.write_all(&ask);
        let answer = read_raw_message(&mut s).unwrap();
        assert_eq!(&answer[8..], b"\x80nyi\x00");
        let reply = fq_ipc::encode_message(
            &fq_ipc::Payload::Value(Value::Long(9)),
            fq_ipc::MsgType::Response,
            &Default::default(),
        )
        .unwrap();
        let _ = s.write_all(&reply);
        std::thread::sleep(Duration::from_millis(200));
    });
    let mut c = Connection::connect(&ep, &ConnectOptions::default()).unwrap();
    assert_eq!(c.query("x").unwrap(), Value::Long(9));
}

#[cfg(target_os = "linux")]
#[test]
fn unix_sockets() {
    let s = TestServer::start();
    // kdb+'s convention: @/tmp/kx.PORT in the abstract namespace.
    let mut c =
        Connection::connect(&Endpoint::unix_port(s.port), &ConnectOptions::default()).unwrap();
    assert!(c.is_local());
    assert_eq!(c.query("1+1").unwrap(), Value::Long(2));
    let mut c = Connection::open(&format!(":unix://{}", s.port)).unwrap();
    assert_eq!(c.query("til 2").unwrap(), Value::Vector(Vector::longs(&[0, 1])));
    // Auto compression never compresses on a Unix socket; forcing does.
    assert!(!c.compresses());
    // A socket file.
    let dir = std::env::temp_dir().join(format!("fq-client-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("q.sock");
    let _ = std::fs::remove_file(&path);
    s.listen_unix_path(&path);
    let mut c =
        Connection::connect(&Endpoint::unix_path(&path), &ConnectOptions::default()).unwrap();
    assert_eq!(c.query("`a`b").unwrap(), Value::Vector(Vector::sym_names(&["a", "b"])));
    let big = Value::Vector(Vector::longs(&vec![1; 10_000]));
    assert_eq!(c.call("{sum x}", &[big]).unwrap(), Value::Long(10_000));
    let _ = std::fs::remove_dir_all(&dir);
    // Nothing at an abstract name.
    let e = Connection::connect(&Endpoint::unix_abstract("/nonexistent/fq"), &Default::default());
    assert!(matches!(e, Err(ClientError::Io(_))), "{e:?}");
}

#[test]
fn pool_checkout_timeout_metrics() {
    let s = TestServer::start();
    let pool = Pool::new(
        s.endpoint(),
        ConnectOptions::default(),
        PoolOptions {
            max_size: 2,
            min_idle: 1,
            checkout_timeout: Duration::from_millis(800),
            ..Default::default()
        },
    );
    pool.prewarm().unwrap();
    let m = pool.metrics();
    assert_eq!((m.connections, m.idle, m.created), (1, 1, 1));
    let mut a = pool.get().unwrap();
    let b = pool.get().unwrap();
    assert_eq!(a.query("1+1").unwrap(), Value::Long(2));
    let m = pool.metrics();
    assert_eq!((m.connections, m.idle, m.in_use, m.created, m.checkouts), (2, 0, 2, 2, 2));
    let t = Instant::now();
    assert!(matches!(pool.get(), Err(ClientError::PoolTimeout)));
    assert!(t.elapsed() >= Duration::from_millis(700));
    let m = pool.metrics();
    assert_eq!((m.waits, m.timeouts), (1, 1));
    // A waiting checkout gets the connection another thread returns.
    let p2 = pool.clone();
    let waiter = std::thread::spawn(move || p2.query("2+2"));
    let t = Instant::now();
    while pool.metrics().waits < 2 && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(b);
    assert_eq!(waiter.join().unwrap().unwrap(), Value::Long(4));
    assert_eq!(pool.metrics().waits, 2);
    // A q error leaves the connection in the pool; a broken one is dropped.
    assert!(matches!(a.query("'x"), Err(ClientError::Q(_))));
    drop(a);
    assert_eq!(pool.metrics().connections, 2);
    assert_eq!(pool.query("3").unwrap(), Value::Long(3));
    let detached = pool.get().unwrap().detach();
    assert_eq!(pool.metrics().connections, 1);
    drop(detached);
    pool.close();
    assert!(matches!(pool.get(), Err(ClientError::PoolClosed)));
    assert_eq!(pool.metrics().connections, 0);
}

#[test]
fn pool_many_threads_and_test_on_checkout() {
    let s = TestServer::with_users("u:p\n");
    let pool = Pool::new(
        s.endpoint(),
        ConnectOptions::with_credentials("u", "p"),
        PoolOptions { max_size: 3, test_on_checkout: true, ..Default::default() },
    );
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let p = pool.clone();
            std::thread::spawn(move || {
                for j in 0..25i64 {
                    let r = p.call("{x+y}", &[Value::Long(i), Value::Long(j)]).unwrap();
                    assert_eq!(r, Value::Long(i + j));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let m = pool.metrics();
    assert!(m.created <= 3 && m.connections <= 3, "{m:?}");
    assert_eq!(m.checkouts, 200);
    assert_eq!(m.errors, 0);
    // A connection that breaks while checked out is discarded on return.
    let mut c = pool.get().unwrap();
    c.set_timeout(Some(Duration::from_nanos(1)));
    let _ = c.query("til 1000000");
    assert!(c.is_broken());
    let before = pool.metrics().connections;
    drop(c);
    let m = pool.metrics();
    assert_eq!((m.connections, m.errors), (before - 1, 1));
    // Wrong credentials: checkout fails and says why.
    let bad = Pool::new(s.endpoint(), ConnectOptions::default(), PoolOptions::default());
    assert!(matches!(bad.get(), Err(ClientError::Rejected)));
    assert_eq!(bad.metrics().errors, 1);
    assert_eq!(bad.metrics().connections, 0);
}

/// A reply over 4 GiB on a capability-6 connection: header byte 3 carries bits 32–39 of the
/// length. The raw server streams a general list of three 1.5e9-item byte vectors from a
/// small buffer, so only the client holds the message (~4.5 GB of memory; the machines
/// this runs on have 24 GiB).
#[test]
fn reply_over_4gb_with_capability_6() {
    const ITEMS: usize = 1_500_000_000;
    let payload_len = 6 + 3 * (6 + ITEMS);
    let total = (8 + payload_len) as u64;
    let ep = raw_server(Some(6), move |mut s| {
        if read_raw_message(&mut s).is_none() {
            return;
        }
        let mut head = vec![1, 2, 0, (total >> 32) as u8];
        head.extend_from_slice(&(total as u32).to_le_bytes());
        head.extend_from_slice(&[0, 0, 3, 0, 0, 0]); // general list of 3
        let chunk = vec![7u8; 1 << 24];
        let ok = s.write_all(&head).is_ok()
            && (0..3).all(|_| {
                let mut v = vec![4u8, 0];
                v.extend_from_slice(&(ITEMS as i32).to_le_bytes());
                let mut left = ITEMS;
                s.write_all(&v).is_ok()
                    && std::iter::from_fn(|| {
                        let n = left.min(chunk.len());
                        left -= n;
                        (n > 0).then_some(n)
                    })
                    .all(|n| s.write_all(&chunk[..n]).is_ok())
            });
        assert!(ok);
    });
    let opts = ConnectOptions { capability: 6, ..Default::default() };
    let mut c = Connection::connect(&ep, &opts).unwrap();
    assert_eq!(c.capability(), 6);
    let raw = c.query_raw("x").unwrap();
    assert_eq!(raw.header().len, total);
    assert!(total > 1 << 32);
    assert_eq!(raw.bytes().len() as u64, total);
    assert_eq!(raw.bytes()[3], 1, "bits 32..39 of the length in header byte 3");
    assert_eq!(raw.bytes()[total as usize - 1], 7);
}

/// Every single-byte corruption and every truncation of valid replies (plain and
/// compressed) gives a value or an error, never a panic; the server side is one end of a
/// socket pair with the reply written ahead.
#[test]
fn corrupted_replies_never_panic() {
    use fq_ipc::{encode_message, EncodeOptions, MsgType, Payload};
    let s = TestServer::start();
    let mut c = connect(&s);
    let values = [
        "([] a:1 2 3; s:`x`y`z; f:1.5 0n 0w)",
        "([k:`a`b] v:(1 2;\"xy\"))",
        "`a`b!(2000.01.01D0;(0Ng;0x01))",
        "(1b;2h;3i;4j;5e;6f;\"c\";`s;2000.01m;2000.01.01;00:01;00:00:01;00:00:00.001)",
        "{x+y}",
    ];
    let mut messages: Vec<Vec<u8>> = Vec::new();
    for q in values {
        let v = c.query(q).unwrap();
        let opts = EncodeOptions::default();
        messages.push(encode_message(&Payload::Value(v), MsgType::Response, &opts).unwrap());
    }
    let big = c.query("til 1000").unwrap();
    let opts = EncodeOptions { compress: true, ..Default::default() };
    let compressed = encode_message(&Payload::Value(big), MsgType::Response, &opts).unwrap();
    assert_eq!(compressed[2], 1);
    messages.push(compressed);
    let run = |bytes: &[u8]| {
        let (client, mut server) = std::os::unix::net::UnixStream::pair().unwrap();
        server.write_all(&[3]).unwrap();
        server.write_all(bytes).unwrap();
        server.shutdown(std::net::Shutdown::Write).unwrap();
        let opts = ConnectOptions { max_message: 1 << 20, ..Default::default() };
        let mut c = Connection::from_unix_stream(client, &opts).unwrap();
        let r = c.query("x");
        if r.is_err() {
            let _ = c.query("x");
        }
        drop(server);
    };
    let mut cases = 0;
    for m in &messages {
        for i in 0..m.len().min(96) {
            for b in [0u8, 1, 0x7f, 0x80, 0xff, m[i] ^ 0x55] {
                let mut bad = m.clone();
                bad[i] = b;
                run(&bad);
                cases += 1;
            }
        }
        for n in (0..m.len()).step_by(m.len() / 64 + 1) {
            run(&m[..n]);
            cases += 1;
        }
    }
    assert!(cases > 2000, "{cases}");
}
