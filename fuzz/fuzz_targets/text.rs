//! The text-format parsers never panic on any input: JSON (`.j.k`), Load CSV with and
//! without a header and with embedded newlines, Load Fixed, Key-Value Pairs and URI
//! unescaping, each given the input as a q string.
#![no_main]

use libfuzzer_sys::fuzz_target;

const EXPRS: [&str; 8] = [
    ".j.k x",
    "(\"SJF*DTPBGX C\";\",\") 0: x",
    "(\"SJF*\";enlist \",\") 0: x",
    "(\"SJF*\";\",\";1) 0: x",
    "(\"SJZT\";2 3 4 5) 0: x",
    "\"S=;\" 0: x",
    "\"J=*,\" 0: x",
    ".h.uh x",
];

fuzz_target!(|data: &[u8]| {
    fq_eval::limits::set_ws_limit(1 << 26);
    let mut i = fq_eval::Interp::new(Box::new(fq_eval::MemHost::default()));
    i.max_depth = 200;
    let x = fq_value::Value::Vector(fq_value::Vector::chars(data));
    i.set(fq_value::Sym::new("x"), x);
    for expr in EXPRS {
        i.fuel = Some(2_000);
        match i.eval_line(expr) {
            Ok(Some(v)) => {
                let _ = i.show(&v);
            }
            Ok(None) => {}
            Err(e) => assert!(!e.is_internal(), "internal error {e} from {expr}"),
        }
    }
});
