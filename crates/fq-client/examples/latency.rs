//! Round-trip latency and throughput of small sync queries.
//!
//! ```sh
//! cargo run --release -p fq-client --example latency -- HOST:PORT [--clients 8] [--n 100000]
//!     [--query "1+1"] [--user USER:PASSWORD] [--spin MICROS]
//! ```
//!
//! Each client is a thread with its own connection that sends `--n` queries back to back
//! (after a short warm-up) and times each. Prints p50/p90/p99/p99.9/max per round trip and
//! the total queries per second. Without `--clients`, runs with 1 and then 8 clients.
//! `HOST:PORT` may also be `unix://PORT` (the kdb+ Unix socket). `--spin` makes each
//! client busy-poll for its reply that long before sleeping ([`ConnectOptions::spin`]).

use fq_client::{ConnectOptions, Connection, Endpoint};
use std::time::{Duration, Instant};

struct Args {
    endpoint: Endpoint,
    clients: Vec<usize>,
    n: usize,
    query: String,
    opts: ConnectOptions,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut endpoint = None;
    let mut clients = vec![1, 8];
    let mut n = 100_000;
    let mut query = "1+1".to_owned();
    let mut opts = ConnectOptions::default();
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--clients" => clients = vec![val()?.parse().map_err(|e| format!("--clients: {e}"))?],
            "--n" => n = val()?.parse().map_err(|e| format!("--n: {e}"))?,
            "--query" => query = val()?,
            "--spin" => {
                let us: u64 = val()?.parse().map_err(|e| format!("--spin: {e}"))?;
                opts.spin = Duration::from_micros(us);
            }
            "--user" => {
                let v = val()?;
                let (u, p) = v.split_once(':').unwrap_or((&v, ""));
                opts.user = u.to_owned();
                opts.password = p.to_owned();
            }
            s if endpoint.is_none() && !s.starts_with("--") => {
                endpoint = Some(Endpoint::parse(s).map_err(|e| e.to_string())?)
            }
            s => return Err(format!("unknown argument {s}")),
        }
    }
    let endpoint = endpoint.ok_or("usage: latency HOST:PORT [--clients N] [--n N]")?;
    Ok(Args { endpoint, clients, n, query, opts })
}

fn pct(sorted: &[u64], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Duration::from_nanos(sorted.get(i).copied().unwrap_or(0))
}

fn run(a: &Args, clients: usize) -> Result<(), fq_client::ClientError> {
    // Connect everyone first, so connection set-up is not timed.
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut c = Connection::connect(&a.endpoint, &a.opts)?;
        for _ in 0..1000.min(a.n) {
            c.query(&a.query)?;
        }
        conns.push(c);
    }
    let start = Instant::now();
    let handles: Vec<_> = conns
        .into_iter()
        .map(|mut c| {
            let (n, q) = (a.n, a.query.clone());
            std::thread::spawn(move || -> Result<Vec<u64>, fq_client::ClientError> {
                let mut lat = Vec::with_capacity(n);
                for _ in 0..n {
                    let t = Instant::now();
                    c.query(&q)?;
                    lat.push(t.elapsed().as_nanos() as u64);
                }
                Ok(lat)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(a.n * clients);
    for h in handles {
        all.extend(h.join().map_err(|_| fq_client::ClientError::Closed)??);
    }
    let wall = start.elapsed();
    all.sort_unstable();
    println!(
        "{} {:>2} client(s) x {} `{}`: p50 {:>8.1?}  p90 {:>8.1?}  p99 {:>8.1?}  p99.9 {:>8.1?}  max {:>8.1?}  {:>9.0} q/s",
        a.endpoint,
        clients,
        a.n,
        a.query,
        pct(&all, 0.50),
        pct(&all, 0.90),
        pct(&all, 0.99),
        pct(&all, 0.999),
        pct(&all, 1.0),
        all.len() as f64 / wall.as_secs_f64()
    );
    Ok(())
}

fn main() {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    for &c in &a.clients {
        if let Err(e) = run(&a, c) {
            eprintln!("latency: {e}");
            std::process::exit(1);
        }
    }
}
