//! Runs every `tests/q/*.qt` transcript; `FQ_BLESS=1` rewrites their expected output.

use std::path::Path;

#[test]
fn transcripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/q");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/q exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "qt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no transcripts in {}", dir.display());
    let bless = std::env::var("FQ_BLESS").is_ok_and(|v| v == "1");
    let mut report = String::new();
    let (mut ran, mut failed) = (0, 0);
    for f in &files {
        let src = std::fs::read_to_string(f).expect("readable transcript");
        let t = fq_spec::parse(&src);
        let o = fq_spec::run(&t);
        ran += o.ran;
        failed += o.failures.len();
        if bless && !o.failures.is_empty() {
            std::fs::write(f, fq_spec::bless(&t, &o.actual)).expect("writable transcript");
            continue;
        }
        for fl in &o.failures {
            report.push_str(&format!(
                "{}:{}: q){}\n  expected:\n    {}\n  actual:\n    {}\n",
                f.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                fl.case.line,
                fl.case.input,
                fl.case.expected.join("\n    "),
                fl.actual.join("\n    ")
            ));
        }
    }
    eprintln!("transcripts: {ran} cases in {} files, {failed} failed", files.len());
    assert!(bless || report.is_empty(), "transcript failures:\n{report}");
}
