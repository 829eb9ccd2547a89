//! Throughput of large results: fetch and decode a wide table.
//!
//! ```sh
//! cargo run --release -p fq-client --example throughput -- HOST:PORT [--rows 10000000] [--reps 3]
//! ```
//!
//! Builds `fqbench:([] a:til N; b:N#1.5 2.5 0n; s:N#`a`bb`ccc`dddd; p:N#2000.01.01D0)` on
//! the server (4 columns: long, float, symbol, timestamp), then per repetition:
//!
//! - `fetch`: `query_raw` (socket to bytes, no decoding);
//! - `decode`: decoding those bytes into a `Value` (client CPU only);
//! - `query`: both, as `query` does;
//!
//! each reported in MB/s of message bytes (and rows/s). The table is released at the end.

use fq_client::{ConnectOptions, Connection, Endpoint};
use std::time::Instant;

fn main() {
    let mut it = std::env::args().skip(1);
    let mut endpoint = None;
    let mut rows: u64 = 10_000_000;
    let mut reps = 3;
    let mut opts = ConnectOptions::default();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rows" => rows = it.next().and_then(|v| v.parse().ok()).unwrap_or(rows),
            "--reps" => reps = it.next().and_then(|v| v.parse().ok()).unwrap_or(reps),
            "--user" => {
                let v = it.next().unwrap_or_default();
                let (u, p) = v.split_once(':').unwrap_or((&v, ""));
                opts.user = u.to_owned();
                opts.password = p.to_owned();
            }
            s => match Endpoint::parse(s) {
                Ok(e) => endpoint = Some(e),
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            },
        }
    }
    let Some(endpoint) = endpoint else {
        eprintln!("usage: throughput HOST:PORT [--rows N] [--reps N]");
        std::process::exit(2);
    };
    if let Err(e) = run(&endpoint, &opts, rows, reps) {
        eprintln!("throughput: {e}");
        std::process::exit(1);
    }
}

fn run(
    endpoint: &Endpoint,
    opts: &ConnectOptions,
    rows: u64,
    reps: usize,
) -> Result<(), fq_client::ClientError> {
    let mut c = Connection::connect(endpoint, opts)?;
    let t = Instant::now();
    c.query(&format!(
        "fqbench:([] a:til {rows}; b:{rows}#1.5 2.5 0n; s:{rows}#`a`bb`ccc`dddd; p:{rows}#2000.01.01D0); count fqbench"
    ))?;
    println!("{endpoint}: built {rows} rows on the server in {:.2?}", t.elapsed());
    let mb = |bytes: usize, secs: f64| bytes as f64 / secs / 1e6;
    for rep in 1..=reps {
        let t = Instant::now();
        let raw = c.query_raw("fqbench")?;
        let fetch = t.elapsed().as_secs_f64();
        let n = raw.bytes().len();
        let t = Instant::now();
        let v = raw.decode()?;
        let decode = t.elapsed().as_secs_f64();
        assert_eq!(v.count() as u64, rows);
        drop(v);
        drop(raw);
        let t = Instant::now();
        let v = c.query("fqbench")?;
        let query = t.elapsed().as_secs_f64();
        assert_eq!(v.count() as u64, rows);
        println!(
            "rep {rep}: {:.1} MB message | fetch {:.3}s {:>6.0} MB/s | decode {:.3}s {:>6.0} MB/s {:>5.1} Mrows/s | query {:.3}s {:>6.0} MB/s",
            n as f64 / 1e6,
            fetch,
            mb(n, fetch),
            decode,
            mb(n, decode),
            rows as f64 / decode / 1e6,
            query,
            mb(n, query),
        );
    }
    c.query("fqbench:0")?;
    Ok(())
}
