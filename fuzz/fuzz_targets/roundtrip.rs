//! Decode, re-encode, decode again: the two decodes must match (q's `~`, as `PartialEq` on
//! `Payload`), the two re-encodings must be byte-identical, and `encoded_len` must be exact.
//! The first input byte picks the endianness (bit 0: 1 little, 0 big); the rest is the payload.
#![no_main]

use fq_ipc::{decode_payload, encode_payload, encoded_len, DecodeOptions, Payload};
use libfuzzer_sys::fuzz_target;

fn check_len(p: &Payload, bytes: &[u8]) {
    if let Payload::Value(v) = p {
        let n = encoded_len(v).expect("encoded_len failed on a value that encoded");
        assert_eq!(n, bytes.len(), "encoded_len disagrees with the encoding of {v:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, payload)) = data.split_first() else { return };
    let little = first & 1 == 1;
    let opts = DecodeOptions::default();
    let Ok(p1) = decode_payload(payload, little, &opts) else { return };
    let e1 = encode_payload(&p1, little).expect("a decoded payload must re-encode");
    check_len(&p1, &e1);
    let p2 = decode_payload(&e1, little, &opts).expect("a re-encoded payload must decode");
    assert_eq!(p1, p2, "decode(encode(decode(x))) differs from decode(x)");
    let e2 = encode_payload(&p2, little).expect("the second decode must re-encode");
    assert_eq!(e1, e2, "re-encodings differ");
    check_len(&p2, &e2);
    // The other byte order must carry the same value too.
    let e3 = encode_payload(&p1, !little).expect("a decoded payload must encode in either order");
    check_len(&p1, &e3);
    let p3 = decode_payload(&e3, !little, &opts).expect("the swapped encoding must decode");
    assert_eq!(p1, p3, "value changed through the other byte order");
});
