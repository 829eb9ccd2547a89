//! `compress` then `decompress` must give back exactly the original message.
//!
//! The message is an 8-byte header (correct total length) followed by the payload bytes.
//! Input layout: byte 0 is a control byte: bit 0 the endianness, bits 1..3 the message
//! type (mod 3), bit 3 "tile": when set, bytes 1..3 give a target payload length
//! (u16 LE, plus 2001) and the rest of the input is repeated to that length, so that
//! short inputs still reach the 2000-byte compression threshold. Without "tile", the rest of
//! the input (from byte 1) is the payload as is.
#![no_main]

use fq_ipc::compress::{compress, decompress};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else { return };
    let little = ctl & 1 == 1;
    let msg_type = (ctl >> 1) % 3;
    let payload: Vec<u8> = if ctl & 8 != 0 && rest.len() > 2 {
        let target = 2001 + usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let unit = &rest[2..];
        unit.iter().copied().cycle().take(target).collect()
    } else {
        rest.to_vec()
    };
    let total = (8 + payload.len()) as u32;
    let len = if little { total.to_le_bytes() } else { total.to_be_bytes() };
    let mut msg = vec![u8::from(little), msg_type, 0, 0, len[0], len[1], len[2], len[3]];
    msg.extend_from_slice(&payload);

    let compressed = compress(&msg);
    if msg.len() <= 2000 {
        assert!(compressed.is_none(), "a message of at most 2000 bytes was compressed");
    }
    if let Some(c) = compressed {
        assert!(c.len() <= msg.len() / 2, "compressed output over half the input");
        let back = decompress(&c, usize::MAX).expect("decompressing compress output failed");
        assert!(back == msg, "round trip changed the message (len {})", msg.len());
    }
});
