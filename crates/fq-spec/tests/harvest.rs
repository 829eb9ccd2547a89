//! Ratchet over the harvested KX reference examples in `harvest/`: the number of passing
//! cases may only go up (see harvest/README.md).

use std::path::Path;

#[test]
fn harvested_cases_do_not_regress() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("harvest");
    let baseline: usize = std::fs::read_to_string(dir.join("BASELINE"))
        .expect("harvest/BASELINE")
        .trim()
        .parse()
        .expect("BASELINE is a number");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("harvest/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "qt"))
        .collect();
    files.sort();
    let (mut ran, mut passed) = (0, 0);
    for f in &files {
        let t = fq_spec::parse(&std::fs::read_to_string(f).expect("readable"));
        let o = fq_spec::run(&t);
        ran += o.ran;
        passed += o.ran - o.failures.len();
    }
    eprintln!("harvest: {passed} of {ran} cases pass (baseline {baseline})");
    assert!(passed >= baseline, "harvested cases regressed: {passed} pass, baseline {baseline}");
}
