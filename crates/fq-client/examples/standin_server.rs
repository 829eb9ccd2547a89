//! The tests' stand-in kdb+ server as a process, for trying the client and the benchmark
//! examples before `ferroq -p` exists (it will replace this):
//!
//! ```sh
//! cargo run --release -p fq-client --example standin_server -- 5001 [--compress]
//! ```
//!
//! Listens on TCP port PORT (all interfaces) and the Unix socket `@/tmp/kx.PORT`, and
//! evaluates every message with the real interpreter (`value x`).

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(5001);
    let compress = args.any(|a| a == "--compress");
    let s = common::TestServer::with(common::Config {
        port: Some(port),
        unix: cfg!(target_os = "linux"),
        compress,
        ..Default::default()
    });
    println!("stand-in server on port {} (and unix://{})", s.port, s.port);
    loop {
        std::thread::park();
    }
}
