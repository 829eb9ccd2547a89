//! The streaming decoder agrees with the slice decoder on arbitrary bytes, and leaves the
//! stream in step. Byte 0: bit 0 endianness (1 little), bits 1..7 the reader's buffer size
//! (1..128, so every boundary is crossed); the rest is the payload, followed in the stream
//! by a valid message that must decode after it.
#![no_main]

use fq_ipc::stream::{read_payload, StreamError};
use fq_ipc::{decode_payload, Compression, DecodeOptions, Header, MsgType, HEADER_LEN};
use libfuzzer_sys::fuzz_target;
use std::io::Read;

fuzz_target!(|data: &[u8]| {
    let Some((&first, payload)) = data.split_first() else { return };
    let little = first & 1 == 1;
    let cap = usize::from(first >> 1) + 1;
    let opts = DecodeOptions::default();
    let header = Header {
        little_endian: little,
        msg_type: MsgType::Response,
        compression: Compression::None,
        len: (payload.len() + HEADER_LEN) as u64,
    };
    // The message, then a good one (`7j`), on one stream.
    let next = [1u8, 2, 0, 0, 17, 0, 0, 0, 0xf9, 7, 0, 0, 0, 0, 0, 0, 0];
    let stream = [payload, &next].concat();
    let mut r = std::io::BufReader::with_capacity(cap, stream.as_slice());
    let streamed = read_payload(&mut r, &header, &opts);
    let sliced = decode_payload(payload, little, &opts);
    match (&streamed, &sliced) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "streamed and sliced decodes differ"),
        (Err(StreamError::Ipc(_)), Err(_)) => {}
        _ => panic!("streamed {streamed:?} vs sliced {sliced:?}"),
    }
    let mut head = [0u8; HEADER_LEN];
    r.read_exact(&mut head).expect("the next message's header");
    let h = Header::parse(&head, true).expect("header");
    let v = read_payload(&mut r, &h, &opts).expect("the next message decodes");
    assert_eq!(v, fq_ipc::Payload::Value(fq_value::Value::Long(7)));
});
