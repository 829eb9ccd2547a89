//! `compress::decompress` on arbitrary bytes must never panic, and a success must be a whole
//! uncompressed message: at most the limit, with a consistent header.
#![no_main]

use fq_ipc::compress::decompress;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 24;

fuzz_target!(|data: &[u8]| {
    if let Ok(out) = decompress(data, LIMIT) {
        assert!(out.len() >= 8 && out.len() <= LIMIT, "bad output length {}", out.len());
        assert_eq!(out[0], data[0], "endianness byte changed");
        assert_eq!(out[1], data[1], "message type byte changed");
        assert_eq!(out[2], 0, "output still marked compressed");
        let l = [out[4], out[5], out[6], out[7]];
        let n = if out[0] == 1 { u32::from_le_bytes(l) } else { u32::from_be_bytes(l) };
        assert_eq!(n as usize, out.len(), "output header length is wrong");
    }
});
