//! Evaluating any q text never panics: every failure is a q error. Evaluation runs with
//! fuel (loop iterations and calls) and a small workspace limit so inputs stay fast.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    fq_eval::limits::set_ws_limit(1 << 24);
    let mut i = fq_eval::Interp::new(Box::new(fq_eval::MemHost::default()));
    i.max_depth = 200;
    for line in src.lines() {
        i.fuel = Some(2_000);
        match i.eval_line(line) {
            Ok(Some(v)) => {
                let _ = i.show(&v);
            }
            Ok(None) => {}
            Err(e) => assert!(!e.is_internal(), "internal error {e} from {line:?}"),
        }
    }
});
