//! q processes talking to each other: while A waits on `h x`, B may call back into A on
//! `.z.w`, synchronously or not, as kdb+ allows; A serves those callbacks (and only those)
//! before its own response arrives. Two real servers, real sockets.

use fq_client::{Connection, Endpoint};
use fq_server::{Config, Runtime};
use fq_value::Value;
use std::time::Duration;

fn start(spin: Duration) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let interp = fq_eval::Interp::new(Box::new(fq_eval::MemHost::default()));
            let cfg = Config { port: Some(0), spin, ..Config::default() };
            let mut rt = Runtime::new(interp, &cfg).expect("listen");
            tx.send(rt.port()).expect("port");
            rt.run();
        })
        .expect("thread");
    rx.recv().expect("server started")
}

fn client(port: u16) -> Connection {
    let mut c = Connection::connect(
        &Endpoint::tcp("127.0.0.1", port),
        &fq_client::ConnectOptions::default(),
    )
    .expect("connect");
    c.set_timeout(Some(Duration::from_secs(20)));
    c
}

#[test]
fn a_remote_may_call_back_while_we_wait() {
    // A polls before sleeping (the default), B does not (`--spin 0`).
    let (a, b) = (start(fq_server::DEFAULT_SPIN), start(Duration::ZERO));
    let mut ca = client(a);
    let mut cb = client(b);
    ca.query(&format!("h:hopen {b}")).expect("hopen");
    // Sync callback: B asks A for 40+2 while A waits for B.
    assert_eq!(ca.query("h\"(.z.w)\\\"40+2\\\"\"").expect("sync callback"), Value::Long(42));
    // The callback ran with .z.w = the handle to B, through .z.pg when A defines it.
    ca.query("seen:(); .z.pg:{[x] seen,::.z.w; value x}").expect(".z.pg");
    assert_eq!(ca.query("h\"(.z.w)\\\"6*7\\\"\"").expect("via .z.pg"), Value::Long(42));
    assert_eq!(
        ca.query("h in seen").expect("seen"),
        Value::Bool(true),
        "{:?} {:?}",
        ca.query("seen"),
        ca.query("h")
    );
    ca.query("\\x .z.pg").expect("unset .z.pg");
    // Async callbacks run before the response (they arrive first); several, nested.
    let r = ca.query("h\"neg[.z.w]\\\"x:5\\\"; neg[.z.w]\\\"x+:1\\\"; 7\"").expect("async cb");
    assert_eq!(r, Value::Long(7));
    assert_eq!(ca.query("x").expect("x"), Value::Long(6));
    // A callback that fails: B's call signals A's error, which comes back to A's caller.
    match ca.query("h\"(.z.w)\\\"1+`a\\\"\"") {
        Err(fq_client::ClientError::Q(e)) => assert_eq!(e, "type"),
        other => panic!("{other:?}"),
    }
    // Two levels: A -> B -> A -> B.
    cb.query(&format!("g:hopen {a}")).expect("B opens A");
    assert_eq!(
        ca.query("h\"(.z.w)\\\"h\\\\\\\"1+2\\\\\\\"\\\"\"").expect("two levels"),
        Value::Long(3)
    );
    // Messages from other connections wait until A is free, then run in order.
    assert_eq!(ca.query("h\"1\"").expect("plain"), Value::Long(1));
    assert_eq!(cb.query("g\"x\"").expect("B asks A"), Value::Long(6));
    // And A's connection to B still works normally afterwards.
    assert_eq!(
        ca.query("h\"til 3\"").expect("after"),
        fq_value::Value::Vector(fq_value::Vector::longs(&[0, 1, 2]))
    );
}
