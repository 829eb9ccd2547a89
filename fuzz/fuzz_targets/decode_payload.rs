//! `decode_payload` on arbitrary bytes must return `Ok` or `Err`, never panic.
//! The first input byte picks the endianness (bit 0: 1 little, 0 big); the rest is the payload.
#![no_main]

use fq_ipc::{decode_payload, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, payload)) = data.split_first() else { return };
    let _ = decode_payload(payload, first & 1 == 1, &DecodeOptions::default());
});
