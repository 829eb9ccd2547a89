//! `.qt` transcripts: q sessions with their expected console output.
//!
//! ```text
//! / a comment line
//! q)x:1 2 3          <- input (an assignment shows nothing)
//! q)x+1              <- input ...
//! 2 3 4              <- ... its expected output, up to the next input or blank line
//! q)1+`a
//! 'type
//! ```
//!
//! Each file runs top to bottom in one fresh interpreter. Expected output is what kdb+
//! 4.x prints under `\c 25 80` and `\P 7`; trailing blanks are not significant (kdb+
//! pads table columns, documentation trims them). Bless mode (`FQ_BLESS=1`) rewrites the
//! expected lines from the current output.

use fq_eval::{Interp, MemHost};
use std::fmt::Write as _;

/// One input line with its expected output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Line number of the input (1-based).
    pub line: usize,
    /// The q input, without `q)`.
    pub input: String,
    /// Expected output lines.
    pub expected: Vec<String>,
}

/// A parsed transcript: cases, plus everything else (comments, blanks) kept for blessing.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    /// The cases in order.
    pub cases: Vec<Case>,
    items: Vec<Item>,
}

#[derive(Clone, Debug)]
enum Item {
    Text(String),
    Case(usize),
}

/// Parse a transcript.
pub fn parse(src: &str) -> Transcript {
    let mut t = Transcript::default();
    let mut current: Option<usize> = None;
    for (n, line) in src.lines().enumerate() {
        if let Some(input) = line.strip_prefix("q)") {
            t.cases.push(Case { line: n + 1, input: input.to_string(), expected: Vec::new() });
            t.items.push(Item::Case(t.cases.len() - 1));
            current = Some(t.cases.len() - 1);
        } else if line.trim().is_empty() || (current.is_none() && line.starts_with('/')) {
            t.items.push(Item::Text(line.to_string()));
            current = None;
        } else if let Some(c) = current {
            t.cases[c].expected.push(line.to_string());
        } else if line.starts_with('/') {
            t.items.push(Item::Text(line.to_string()));
        } else {
            // Output with no input before it: keep it as text so blessing preserves it.
            t.items.push(Item::Text(line.to_string()));
        }
    }
    t
}

/// A case whose output differed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The case.
    pub case: Case,
    /// What ferroq printed.
    pub actual: Vec<String>,
}

/// The outcome of running a transcript.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Cases run.
    pub ran: usize,
    /// Cases that differed.
    pub failures: Vec<Failure>,
    /// Actual output per case, for blessing.
    pub actual: Vec<Vec<String>>,
}

fn lines_of(s: &str) -> Vec<String> {
    s.lines().map(|l| l.trim_end().to_string()).collect()
}

/// What the console prints for one input line.
pub fn console_output(i: &mut Interp, input: &str) -> Vec<String> {
    let r = i.eval_line(input);
    let mut out = i.host.take_output().unwrap_or_default();
    match r {
        Ok(Some(v)) => {
            let text = i.show(&v);
            if !text.is_empty() {
                out.push_str(&text);
                out.push('\n');
            }
        }
        Ok(None) => {}
        Err(e) => {
            let _ = writeln!(out, "{e}");
        }
    }
    lines_of(&out)
}

/// Loop iterations and calls one case may use before it fails with `'stop`, so that a
/// runaway case cannot hang the suite.
pub const FUEL_PER_CASE: u64 = 50_000_000;

/// Run a transcript in a fresh interpreter.
pub fn run(t: &Transcript) -> Outcome {
    // Transcripts may turn on up to two secondary threads (`\s 2`, as under `q -s 2`);
    // interpreters start with none.
    let _ = fq_eval::parallel::allow_threads(2);
    let mut i = Interp::new(Box::new(MemHost::default()));
    fq_eval::limits::set_ws_limit(1 << 30);
    let mut o = Outcome::default();
    for c in &t.cases {
        i.fuel = Some(FUEL_PER_CASE);
        let actual = console_output(&mut i, &c.input);
        let want: Vec<String> = c.expected.iter().map(|l| l.trim_end().to_string()).collect();
        if actual != want {
            o.failures.push(Failure { case: c.clone(), actual: actual.clone() });
        }
        o.actual.push(actual);
        o.ran += 1;
    }
    o
}

/// The transcript text with expected output replaced by `actual`.
pub fn bless(t: &Transcript, actual: &[Vec<String>]) -> String {
    let mut out = String::new();
    for item in &t.items {
        match item {
            Item::Text(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Item::Case(k) => {
                let c = &t.cases[*k];
                let _ = writeln!(out, "q){}", c.input);
                for l in actual.get(*k).unwrap_or(&c.expected) {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_bless_round_trip() {
        let src = "/ c\nq)a:1\nq)a+1\n2\n\nq)`x\n`x\n";
        let t = parse(src);
        assert_eq!(t.cases.len(), 3);
        assert_eq!(t.cases[1].expected, vec!["2"]);
        let o = run(&t);
        assert_eq!(o.ran, 3);
        assert!(o.failures.is_empty(), "{:?}", o.failures);
        assert_eq!(bless(&t, &o.actual), src);
    }

    #[test]
    fn failures_are_reported() {
        let t = parse("q)1+1\n3\n");
        let o = run(&t);
        assert_eq!(o.failures.len(), 1);
        assert_eq!(o.failures[0].actual, vec!["2"]);
    }
}
