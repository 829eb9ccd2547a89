//! The tokio client and pool against the real ferroq server (`common::TestServer`, an
//! in-process `fq_server::Runtime`), and against raw peers that misbehave on purpose.

mod common;

use common::{raw_server, read_raw_message, TestServer};
use fq_client::tokio::{AsyncConnection, AsyncPool};
use fq_client::{ClientError, Compression, ConnectOptions, Endpoint, PoolOptions};
use fq_value::{Table, Value, Vector};
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test]
async fn query_call_errors_async_then_sync() {
    let s = TestServer::start();
    let mut c = AsyncConnection::connect(&s.endpoint(), &ConnectOptions::default()).await.unwrap();
    assert_eq!(c.capability(), 3);
    assert_eq!(c.query("1+1").await.unwrap(), Value::Long(2));
    assert_eq!(c.call("{x*y}", &[Value::Long(6), Value::Long(7)]).await.unwrap(), Value::Long(42));
    assert!(matches!(c.query("1+`a").await, Err(ClientError::Q(t)) if t == "type"));
    assert!(!c.is_broken());
    c.send_async_str("a:5").await.unwrap();
    assert_eq!(c.query("a*2").await.unwrap(), Value::Long(10));
    c.set("v", Value::Vector(Vector::longs(&[1, 2]))).await.unwrap();
    assert_eq!(c.get("v").await.unwrap(), Value::Vector(Vector::longs(&[1, 2])));
    let t = c.query("([] a:til 100000; b:100000#`x`y)").await.unwrap();
    assert_eq!(t.count(), 100_000);
    assert_eq!(c.call("{x}", std::slice::from_ref(&t)).await.unwrap(), t);
    let raw = c.query_raw("til 3").await.unwrap();
    assert_eq!(raw.decode().unwrap(), Value::Vector(Vector::longs(&[0, 1, 2])));
    let mut c6 = AsyncConnection::connect(
        &s.endpoint(),
        &ConnectOptions { capability: 6, ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(c6.capability(), 6);
    assert_eq!(c6.query("2+2").await.unwrap(), Value::Long(4));
    c6.close().await;
}

#[tokio::test]
async fn rejection_malformed_and_timeouts() {
    let s = TestServer::with_users("u:p\n");
    let e = AsyncConnection::connect(&s.endpoint(), &ConnectOptions::with_credentials("u", "x"))
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Rejected), "{e:?}");
    assert_eq!(s.stats().rejected.load(Ordering::SeqCst), 1);
    let mut ok =
        AsyncConnection::connect(&s.endpoint(), &ConnectOptions::with_credentials("u", "p"))
            .await
            .unwrap();
    assert_eq!(ok.query("1").await.unwrap(), Value::Long(1));

    let ep = raw_server(Some(3), |mut st| {
        if read_raw_message(&mut st).is_some() {
            use std::io::Write;
            let _ = st.write_all(&[1, 2, 0, 0, 9, 0, 0, 0, 0x70]);
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let mut c = AsyncConnection::connect(&ep, &ConnectOptions::default()).await.unwrap();
    assert!(matches!(c.query("1").await, Err(ClientError::Protocol(_))));
    assert!(matches!(c.query("1").await, Err(ClientError::Closed)));

    let ep = raw_server(Some(3), |mut st| {
        let _ = read_raw_message(&mut st);
        std::thread::sleep(Duration::from_secs(2));
    });
    let opts = ConnectOptions { timeout: Some(Duration::from_millis(100)), ..Default::default() };
    let mut c = AsyncConnection::connect(&ep, &opts).await.unwrap();
    assert!(matches!(c.query("1").await, Err(ClientError::Timeout)));
    assert!(c.is_broken());

    // A call cancelled from outside leaves the connection refused rather than out of step.
    let ep = raw_server(Some(3), |mut st| {
        let _ = read_raw_message(&mut st);
        std::thread::sleep(Duration::from_secs(2));
    });
    let mut c = AsyncConnection::connect(&ep, &ConnectOptions::default()).await.unwrap();
    let r = tokio::time::timeout(Duration::from_millis(100), c.query("1")).await;
    assert!(r.is_err());
    assert!(matches!(c.query("1").await, Err(ClientError::Closed)));
}

#[tokio::test]
async fn subscription_stream() {
    let s = TestServer::start();
    let mut c = AsyncConnection::connect(&s.endpoint(), &ConnectOptions::default()).await.unwrap();
    c.query("1").await.unwrap();
    assert!(c.recv_timeout(Duration::from_millis(30)).await.unwrap().is_none());
    assert!(!c.is_broken());
    let rows: Value =
        Table::from_pairs(vec![("px", Value::Vector(Vector::floats(&[1.0, 2.0])))]).unwrap().into();
    let upd = Value::list(vec![Value::sym("upd"), Value::sym("trade"), rows]);
    for _ in 0..3 {
        s.publish(&upd);
    }
    for _ in 0..3 {
        assert_eq!(c.recv().await.unwrap(), upd);
    }
    // Published between two calls, and pushed by the server while a call waits: both are
    // kept for recv, in arrival order.
    s.publish(&Value::Long(7));
    assert_eq!(c.query("neg[.z.w] 8;9").await.unwrap(), Value::Long(9));
    assert_eq!(c.pending(), 2);
    assert_eq!(c.recv_timeout(Duration::from_millis(10)).await.unwrap(), Some(Value::Long(7)));
    assert_eq!(c.recv().await.unwrap(), Value::Long(8));
    // recv waits for pushes that come later.
    let server = std::sync::Arc::new(s);
    let s2 = std::sync::Arc::clone(&server);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        s2.publish(&Value::sym("late"));
    });
    assert_eq!(c.recv().await.unwrap(), Value::sym("late"));
}

#[tokio::test]
async fn compression_and_unix_sockets() {
    let s = TestServer::start();
    let opts = ConnectOptions { compression: Compression::Always, ..Default::default() };
    // The server compresses replies only for peers not on loopback (kdb+'s rule): use this
    // machine's own non-loopback address when it has one.
    let ep = s.remote_endpoint().unwrap_or_else(|| {
        eprintln!(
            "note: this machine has no non-loopback address; server-to-client compression \
             not checked"
        );
        s.endpoint()
    });
    let remote = ep != s.endpoint();
    let mut c = AsyncConnection::connect(&ep, &opts).await.unwrap();
    let raw = c.query_raw("til 5000").await.unwrap();
    assert_eq!(raw.is_compressed(), remote);
    assert_eq!(raw.decode().unwrap().count(), 5000);
    // Client to server, forced: the server counts it (q: `\fq.stats`).
    let big = Value::Vector(Vector::longs(&vec![2; 50_000]));
    assert_eq!(c.call("{sum x}", &[big]).await.unwrap(), Value::Long(100_000));
    assert_eq!(s.stats().compressed_in.load(Ordering::SeqCst), 1);
    let compressed = c.query("(system\"fq.stats\")`compressed").await.unwrap();
    assert_eq!(compressed, Value::Long(1));
    if cfg!(target_os = "linux") {
        let mut u = AsyncConnection::connect(&Endpoint::unix_port(s.port), &Default::default())
            .await
            .unwrap();
        assert!(u.is_local() && !u.compresses());
        assert_eq!(u.query("3*3").await.unwrap(), Value::Long(9));
        assert!(!u.query_raw("til 5000").await.unwrap().is_compressed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool() {
    let s = TestServer::start();
    let pool = AsyncPool::new(
        s.endpoint(),
        ConnectOptions::default(),
        PoolOptions {
            max_size: 2,
            min_idle: 2,
            checkout_timeout: Duration::from_millis(150),
            test_on_checkout: true,
            ..Default::default()
        },
    );
    pool.prewarm().await.unwrap();
    let m = pool.metrics();
    assert_eq!((m.connections, m.idle, m.created), (2, 2, 2));
    let tasks: Vec<_> = (0..8i64)
        .map(|i| {
            let p = pool.clone();
            tokio::spawn(async move {
                for j in 0..20i64 {
                    let r = p.call("{x+y}", &[Value::Long(i), Value::Long(j)]).await.unwrap();
                    assert_eq!(r, Value::Long(i + j));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let m = pool.metrics();
    assert_eq!((m.created, m.checkouts, m.errors), (2, 160, 0), "{m:?}");
    let a = pool.get().await.unwrap();
    let b = pool.get().await.unwrap();
    assert!(matches!(pool.get().await, Err(ClientError::PoolTimeout)));
    assert_eq!(pool.metrics().timeouts, 1);
    assert_eq!(pool.metrics().in_use, 2);
    drop(a);
    let mut c = pool.get().await.unwrap();
    assert_eq!(c.query("1").await.unwrap(), Value::Long(1));
    // Broken connections are discarded on return and replaced on demand.
    c.set_timeout(Some(Duration::from_nanos(1)));
    let _ = c.query("sum til 1000000").await;
    assert!(c.is_broken());
    drop(c);
    drop(b);
    assert_eq!(pool.metrics().connections, 1);
    assert_eq!(pool.query("5").await.unwrap(), Value::Long(5));
    pool.close();
    assert!(matches!(pool.get().await, Err(ClientError::PoolClosed)));
    assert_eq!(pool.metrics().connections, 0);
}
