//! `qt`: run `.qt` transcripts and report the cases that differ.
//!
//! ```text
//! qt [--bless] FILE...
//! ```
//! Exit status 0 when every case matches, 1 otherwise. `--bless` rewrites each file's
//! expected output from ferroq's current output (review the diff before committing).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut bless = false;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--bless" => bless = true,
            "-h" | "--help" => {
                println!("usage: qt [--bless] FILE...\nRuns .qt transcripts; prints failing cases; --bless rewrites expected output.");
                return ExitCode::SUCCESS;
            }
            _ => files.push(a),
        }
    }
    let (mut ran, mut failed) = (0, 0);
    for f in &files {
        let src = match std::fs::read_to_string(f) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{f}: {e}");
                return ExitCode::from(2);
            }
        };
        let t = fq_spec::parse(&src);
        let o = fq_spec::run(&t);
        ran += o.ran;
        failed += o.failures.len();
        for fl in &o.failures {
            println!(
                "{f}:{}: q){}\n  expected:\n    {}\n  actual:\n    {}",
                fl.case.line,
                fl.case.input,
                fl.case.expected.join("\n    "),
                fl.actual.join("\n    ")
            );
        }
        if bless && !o.failures.is_empty() {
            if let Err(e) = std::fs::write(f, fq_spec::bless(&t, &o.actual)) {
                eprintln!("{f}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    println!("{} passed, {failed} failed", ran - failed);
    if failed == 0 || bless {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
