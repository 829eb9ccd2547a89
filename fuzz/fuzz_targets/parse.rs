//! The q parser never panics: any text parses or gives a parse error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        let _ = fq_syntax::parse(src);
    }
});
