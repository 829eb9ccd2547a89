//! Hostile bytes: every failure is an `IpcError`, never a panic, and nothing is allocated
//! beyond what the received bytes justify.

use fq_ipc::{
    compress, decode_message, decode_payload, encode_message, DecodeOptions, EncodeOptions,
    IpcError, MsgType, Payload,
};
use fq_value::{QType, Value, Vector};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn golden() -> Vec<Vec<u8>> {
    include_str!("fixtures/QExpressions3.out")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .skip(1)
        .step_by(2)
        .map(|l| hex(l.trim()))
        .collect()
}

fn opts() -> DecodeOptions {
    DecodeOptions::default()
}

#[test]
fn every_truncation_of_every_vector_is_an_error() {
    for v in golden() {
        for cut in 0..v.len() {
            assert!(decode_payload(&v[..cut], true, &opts()).is_err(), "cut {cut} of {v:02x?}");
        }
        let mut extra = v.clone();
        extra.push(0);
        assert!(matches!(
            decode_payload(&extra, true, &opts()),
            Err(IpcError::Trailing { extra: 1 })
        ));
    }
}

#[test]
fn single_byte_corruptions_never_panic() {
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for v in golden() {
        for i in 0..v.len() {
            for _ in 0..8 {
                let mut c = v.clone();
                c[i] = next() as u8;
                let _ = decode_payload(&c, true, &opts());
                let _ = decode_payload(&c, false, &opts());
            }
        }
    }
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    // A long vector claiming 2^31-1 items with 8 bytes present.
    let mut b = vec![7u8, 0];
    b.extend_from_slice(&i32::MAX.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    assert!(matches!(decode_payload(&b, true, &opts()), Err(IpcError::Truncated { .. })));
    // Same for a general list, a symbol vector, a guid vector, a projection.
    for t in [0u8, 11, 2] {
        let mut b = vec![t, 0];
        b.extend_from_slice(&0x7fff_ffffi32.to_le_bytes());
        assert!(decode_payload(&b, true, &opts()).is_err());
    }
    let mut b = vec![104u8];
    b.extend_from_slice(&0x7fff_ffffi32.to_le_bytes());
    assert!(decode_payload(&b, true, &opts()).is_err());
    // A negative count.
    let mut b = vec![7u8, 0];
    b.extend_from_slice(&(-1i32).to_le_bytes());
    assert!(matches!(decode_payload(&b, true, &opts()), Err(IpcError::BadCount(-1))));
}

#[test]
fn unknown_types_and_attributes() {
    for t in [3u8, 0xfd, 20, 76, 77, 97, 112, 120, 0x81] {
        assert!(decode_payload(&[t, 0, 0, 0, 0, 0], true, &opts()).is_err(), "type {t}");
    }
    assert!(matches!(
        decode_payload(&[7, 9, 0, 0, 0, 0], true, &opts()),
        Err(IpcError::BadAttr(9))
    ));
    // An error inside a list is not a value.
    assert!(decode_payload(&[0, 0, 1, 0, 0, 0, 0x80, b'x', 0], true, &opts()).is_err());
}

#[test]
fn deep_nesting_is_bounded() {
    // 100_000 nested one-item lists.
    let mut b = Vec::new();
    for _ in 0..100_000 {
        b.extend_from_slice(&[0, 0, 1, 0, 0, 0]);
    }
    b.extend_from_slice(&[0xf9, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(decode_payload(&b, true, &opts()), Err(IpcError::TooDeep(_))));
    // Within the limit it decodes.
    let depth = fq_ipc::DEFAULT_MAX_DEPTH - 1;
    let ok = &b[(100_000 - depth) * 6..];
    assert!(decode_payload(ok, true, &opts()).is_ok());
    // Deep derived functions too.
    let mut f = vec![106u8; 100_000];
    f.extend_from_slice(&[101, 0]);
    assert!(matches!(decode_payload(&f, true, &opts()), Err(IpcError::TooDeep(_))));
}

#[test]
fn malformed_tables_and_dicts() {
    // Table whose body is not a dict.
    assert!(decode_payload(&[98, 0, 7, 0, 0, 0, 0, 0], true, &opts()).is_err());
    // Dict with keys and values of different counts.
    let d = hex("63070001000000010000000000000007000200000001000000000000000200000000000000");
    assert!(matches!(decode_payload(&d, true, &opts()), Err(IpcError::BadValue { .. })));
    // Table with columns of different lengths: ([] a:1 2; b:enlist 3) by hand.
    let t = hex(concat!(
        "6200630b0002000000610062000000020000000700020000000100000000000000",
        "0200000000000000070001000000030000000000000000"
    ));
    assert!(decode_payload(&t[..t.len() - 1], true, &opts()).is_err());
}

#[test]
fn message_framing_errors() {
    let good =
        encode_message(&Payload::Value(Value::Long(1)), MsgType::Sync, &EncodeOptions::default())
            .unwrap();
    assert!(decode_message(&good, &opts()).is_ok());
    assert!(matches!(
        decode_message(&good[..good.len() - 1], &opts()),
        Err(IpcError::LengthMismatch { .. })
    ));
    assert!(decode_message(&good[..5], &opts()).is_err());
    let mut bad = good.clone();
    bad[1] = 7;
    assert!(matches!(decode_message(&bad, &opts()), Err(IpcError::BadHeader(_))));
}

#[test]
fn compressed_messages_are_checked() {
    let v = Value::Vector(Vector::longs(&(0..10_000).collect::<Vec<i64>>()));
    let msg = encode_message(
        &Payload::Value(v.clone()),
        MsgType::Response,
        &EncodeOptions { compress: true, ..Default::default() },
    )
    .unwrap();
    assert_eq!(msg[2], 1, "til 10000 compresses");
    let (_, p) = decode_message(&msg, &opts()).unwrap();
    assert_eq!(p, Payload::Value(v));
    // A declared uncompressed size above the limit is refused before decompressing.
    let small = DecodeOptions { max_message: 1000, ..Default::default() };
    assert!(matches!(decode_message(&msg, &small), Err(IpcError::Compression(_))));
    // Every truncation and many corruptions fail cleanly.
    for cut in 8..msg.len() {
        let mut m = msg[..cut].to_vec();
        m[4..8].copy_from_slice(&(cut as u32).to_le_bytes());
        assert!(decode_message(&m, &opts()).is_err());
    }
    for i in 8..msg.len().min(400) {
        let mut m = msg.clone();
        m[i] ^= 0x5a;
        let _ = decode_message(&m, &opts());
    }
    // A huge claimed size in a tiny message.
    let mut m = vec![1, 2, 1, 0, 20, 0, 0, 0];
    m.extend_from_slice(&u32::MAX.to_le_bytes());
    m.extend_from_slice(&[0; 8]);
    assert!(compress::decompress(&m, usize::MAX).is_err());
}

#[test]
fn big_endian_payloads_decode() {
    let v = Value::list(vec![
        Value::Vector(Vector::longs(&[1, -2, i64::MIN])),
        Value::Vector(Vector::floats(&[1.5, f64::NAN])),
        Value::Vector(Vector::guids(&[[7; 16]])),
        Value::Short(-3),
        Value::Timestamp(123_456_789),
    ]);
    let be = encode_message(
        &Payload::Value(v.clone()),
        MsgType::Sync,
        &EncodeOptions { little_endian: false, ..Default::default() },
    )
    .unwrap();
    assert_eq!(be[0], 0);
    assert_eq!(&be[4..8], &(be.len() as u32).to_be_bytes());
    let (_, p) = decode_message(&be, &opts()).unwrap();
    assert_eq!(p, Payload::Value(v));
}

#[test]
fn encoder_limits() {
    // Deeply nested values built in memory give an error, not a stack overflow.
    let mut v = Value::Long(1);
    for _ in 0..20_000 {
        v = Value::list(vec![v]);
    }
    assert!(matches!(fq_ipc::encoded_len(&v), Err(IpcError::TooDeep(_))));
    // Drop iteratively to keep the test's own stack safe.
    let mut cur = v;
    while let Value::List(l) = cur {
        cur = l.items().first().cloned().unwrap_or(Value::Long(0));
    }
    // An enumeration is sent as its symbols.
    let e = Value::Enum(std::sync::Arc::new(fq_value::Enumeration {
        ty: QType(20),
        domain_name: fq_value::Sym::new("sym"),
        domain: Vector::sym_names(&["a", "b"]).into(),
        indices: Vector::longs(&[1, 0]),
    }));
    let b = fq_ipc::encode_payload(&Payload::Value(e), true).unwrap();
    assert_eq!(b, hex("0b000200000062006100"));
}
