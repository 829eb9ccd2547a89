//! The `ferroq` binary's heap counters as q sees them: `.Q.w[]` fed by the counting
//! allocator, and `.fq.resetpeak[]` lowering the high-water mark.

use std::io::Write;
use std::process::{Command, Stdio};

/// Each line's printed result, from `ferroq -q` reading `script` on standard input.
fn run(script: &str) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferroq"))
        .arg("-q")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ferroq");
    child.stdin.take().expect("stdin").write_all(script.as_bytes()).expect("write script");
    let out = child.wait_with_output().expect("ferroq output");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn peak_covers_a_query_and_resets() {
    let out = run(concat!(
        "w:.Q.w[]; (w`used)<=w`peak\n",
        "(w`used)<=w`heap\n",
        "type .fq.resetpeak[]\n",
        "u:.Q.w[]`used; a:til 1000000; p:.Q.w[]`peak; (p-u)>=8000000\n",
        "a:0; (.Q.w[]`used)<u+1000000\n",
        "(.Q.w[]`peak)>=u+8000000\n",
        "old:.fq.resetpeak[]; old>=u+8000000\n",
        "(.Q.w[]`peak)<u+1000000\n",
    ));
    assert_eq!(out, vec!["1b", "1b", "-7h", "1b", "1b", "1b", "1b", "1b"], "{out:?}");
}
