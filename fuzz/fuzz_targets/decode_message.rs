//! `decode_message` on arbitrary bytes (a whole message, 8-byte header included; compressed
//! messages go through decompression) must never panic.
#![no_main]

use fq_ipc::{decode_message, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions { max_message: 1 << 24, ..DecodeOptions::default() };
    let _ = decode_message(data, &opts);
});
