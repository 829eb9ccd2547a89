//! Every `tests/q/*.qt` transcript a second time, through a real server: each input line
//! goes over a socket to a ferroq server (fq-server) from fq-client, is evaluated there by
//! the default `.z.pg` (`value x`), and the value that comes back through the IPC codec is
//! displayed on the client side. It must print what the console prints.
//!
//! Lines whose console output is written by the program (`show`, `-1`, `0N!`) rather than
//! being the value are sent (so the session's state stays the same) but not compared: that
//! text goes to the server's stdout, not back to the client. Values the wire cannot carry
//! as they are (enumerations travel as symbols, as in kdb+) show up as differences; their
//! number is held by the ratchet in `tests/ipc_baseline`.

use fq_eval::{Interp, MemHost};
use fq_server::{Config, Runtime};
use std::path::Path;

/// Start a server over an in-memory host (as the transcripts' own runner uses).
fn server() -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut interp = Interp::new(Box::new(MemHost::default()));
            interp.set_stack_limit(200 << 20);
            let cfg = Config { port: Some(0), ..Config::default() };
            let mut rt = Runtime::new(interp, &cfg).expect("listen");
            tx.send(rt.port()).expect("port");
            rt.run();
        })
        .expect("server thread");
    rx.recv().expect("server started")
}

/// Does the console show this line's value (not after an assignment or a trailing `;`)?
fn shown(input: &str) -> bool {
    if input.trim_start().starts_with('\\') {
        return true;
    }
    match fq_syntax::parse(input) {
        Ok(exprs) => !matches!(
            exprs.last(),
            Some(fq_syntax::Expr::Assign { .. } | fq_syntax::Expr::Nil) | None
        ),
        Err(_) => true,
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(|l| l.trim_end().to_string()).collect()
}

#[test]
fn transcripts_over_ipc() {
    let _ = fq_eval::parallel::allow_threads(2);
    fq_eval::limits::set_ws_limit(1 << 30);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/q");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/q")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "qt"))
        .collect();
    files.sort();
    let (mut compared, mut differ) = (0usize, 0usize);
    let mut report = String::new();
    for f in &files {
        let src = std::fs::read_to_string(f).expect("transcript");
        let t = fq_spec::parse(&src);
        let port = server();
        let mut c = fq_client::Connection::open(&format!("127.0.0.1:{port}")).expect("connect");
        // The local console: what each line prints, and the display settings in force.
        let mut local = Interp::new(Box::new(MemHost::default()));
        for case in &t.cases {
            local.fuel = Some(fq_spec::FUEL_PER_CASE);
            let r = local.eval_line(&case.input);
            let printed = local.host.take_output().unwrap_or_default();
            let want: Vec<String> = match &r {
                Ok(Some(v)) => lines(&format!("{printed}{}", local.show(v))),
                Ok(None) => lines(&printed),
                Err(e) => lines(&format!("{printed}{e}")),
            };
            let got = match c.query(&case.input) {
                Ok(v) if shown(&case.input) && !v.is_generic_null() => lines(&local.show(&v)),
                Ok(_) => Vec::new(),
                Err(fq_client::ClientError::Q(text)) => vec![format!("'{text}")],
                Err(e) => vec![format!("<client error: {e}>")],
            };
            if !printed.is_empty() {
                continue;
            }
            compared += 1;
            if got != want {
                differ += 1;
                report.push_str(&format!(
                    "{}:{}: q){}\n  console:\n    {}\n  over IPC:\n    {}\n",
                    f.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                    case.line,
                    case.input,
                    want.join("\n    "),
                    got.join("\n    ")
                ));
            }
        }
        c.close();
    }
    let baseline: usize =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ipc_baseline"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
    eprintln!(
        "transcripts over IPC: {compared} cases compared, {differ} differ (baseline {baseline})"
    );
    if std::env::var("FQ_IPC_REPORT").is_ok() {
        eprintln!("{report}");
    }
    assert!(
        differ <= baseline,
        "{differ} transcript cases differ over IPC (baseline {baseline}):\n{report}"
    );
}
