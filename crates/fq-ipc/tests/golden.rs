//! Real kdb+ bytes (tests/fixtures, from qPython's test data): every value decodes to what
//! the q expression means and re-encodes byte for byte.

use fq_ipc::{
    decode_message, decode_payload, encode_message, encode_payload, DecodeOptions, EncodeOptions,
    MsgType, Payload,
};
use fq_value::{Attr, QError, QType, Sym, Value, Vector};

fn hex(s: &str) -> Vec<u8> {
    let s = s.trim();
    assert!(s.len().is_multiple_of(2), "odd hex {s}");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn pairs(text: &str) -> Vec<(String, Vec<u8>)> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len().is_multiple_of(2));
    lines.chunks(2).map(|p| (p[0].to_string(), hex(p[1]))).collect()
}

fn plain() -> Vec<(String, Vec<u8>)> {
    pairs(include_str!("fixtures/QExpressions3.out"))
}

fn decode(bytes: &[u8]) -> Payload {
    decode_payload(bytes, true, &DecodeOptions::default()).unwrap()
}

#[test]
fn all_plain_vectors_round_trip_byte_for_byte() {
    let vs = plain();
    assert_eq!(vs.len(), 118);
    for (expr, bytes) in &vs {
        let p = decode_payload(bytes, true, &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        let again = encode_payload(&p, true).unwrap();
        assert_eq!(&again, bytes, "{expr}: re-encoding differs");
        if let Payload::Value(v) = &p {
            assert_eq!(fq_ipc::encoded_len(v).unwrap(), bytes.len(), "{expr}: size");
        }
        // Through a whole message and back, in both byte orders.
        for little in [true, false] {
            let opts = EncodeOptions { little_endian: little, ..Default::default() };
            let msg = encode_message(&p, MsgType::Response, &opts).unwrap();
            let (h, back) = decode_message(&msg, &DecodeOptions::default()).unwrap();
            assert_eq!(h.little_endian, little);
            assert_eq!(encode_payload(&back, true).unwrap(), *bytes, "{expr}: via message");
            // Streamed both ways: the same bytes written, the same value read through a
            // 3-byte buffer (every boundary crossed).
            let mut streamed = Vec::new();
            fq_ipc::stream::write_message(&mut streamed, &p, MsgType::Response, &opts).unwrap();
            assert_eq!(streamed, msg, "{expr}: streamed write");
            let mut r = std::io::BufReader::with_capacity(3, &msg[fq_ipc::HEADER_LEN..]);
            let back = fq_ipc::stream::read_payload(&mut r, &h, &DecodeOptions::default())
                .unwrap_or_else(|e| panic!("{expr}: streamed read: {e}"));
            assert_eq!(encode_payload(&back, true).unwrap(), *bytes, "{expr}: streamed read");
        }
    }
}

#[test]
fn compressed_vectors_match_kdb() {
    let vs = pairs(include_str!("fixtures/QCompressedExpressions3.out"));
    assert_eq!(vs.len(), 3);
    for (expr, body) in &vs {
        // The fixture is the compressed body after the header: rebuild kdb+'s header.
        let mut msg = vec![1, 0, 1, 0];
        msg.extend_from_slice(&((body.len() + 8) as u32).to_le_bytes());
        msg.extend_from_slice(body);
        let (h, p) = decode_message(&msg, &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(h.compression, fq_ipc::Compression::Compressed);
        let opts = EncodeOptions { compress: true, ..Default::default() };
        let again = encode_message(&p, MsgType::Async, &opts).unwrap();
        assert_eq!(again, msg, "{expr}: compression differs from kdb+");
    }
}

fn value_of(expr: &str) -> Value {
    let (_, bytes) =
        plain().into_iter().find(|(e, _)| e == expr).unwrap_or_else(|| panic!("{expr}"));
    match decode(&bytes) {
        Payload::Value(v) => v,
        Payload::Error(e) => panic!("{expr} is an error {e}"),
    }
}

fn syms(names: &[&str]) -> Value {
    Value::Vector(Vector::sym_names(names))
}

#[test]
fn values_mean_what_q_says() {
    use Value::*;
    let cases: Vec<(&str, Value)> = vec![
        ("1", Long(1)),
        ("1i", Int(1)),
        ("-234h", Short(-234)),
        ("1b", Bool(true)),
        ("0x2a", Byte(42)),
        ("89421099511627575j", Long(89_421_099_511_627_575)),
        ("3.234", Float(3.234)),
        ("5.5e", Real(5.5)),
        ("\"0\"", Char(b'0')),
        ("\"abc\"", Value::string("abc")),
        ("`abc", Value::sym("abc")),
        ("2000.01.04D05:36:57.600", Timestamp(3 * 86_400_000_000_000 + 20_217_600_000_000)),
        ("2001.01m", Month(12)),
        ("2001.01.01", Date(366)),
        ("0D05:36:57.600", Timespan(20_217_600_000_000)),
        ("12:01", Minute(721)),
        ("12:05:00", Second(43_500)),
        ("12:04:59.123", Time(43_499_123)),
        ("0Nh", Short(i16::MIN)),
        ("0N", Long(i64::MIN)),
        ("0Ni", Int(i32::MIN)),
        ("0n", Float(f64::NAN)),
        ("0Ne", Real(f32::NAN)),
        ("`", Symbol(Sym::EMPTY)),
        ("0Np", Timestamp(i64::MIN)),
        ("0Nd", Date(i32::MIN)),
        ("0Nz", Datetime(f64::NAN)),
        ("::", fq_value::GENERIC_NULL),
        ("()", Value::list(vec![])),
        ("1 0N 3", Vector(fq_value::Vector::longs(&[1, i64::MIN, 3]))),
        ("(1h;2h;3h)", Vector(fq_value::Vector::shorts(&[1, 2, 3]))),
        ("3.23 0n", Vector(fq_value::Vector::floats(&[3.23, f64::NAN]))),
        ("``quick``fox", syms(&["", "quick", "", "fox"])),
        ("(42;::;`foo)", Value::list(vec![Long(42), fq_value::GENERIC_NULL, Value::sym("foo")])),
        (
            "(`x`y!(`a;2))",
            Value::dict(syms(&["x", "y"]), Value::list(vec![Value::sym("a"), Long(2)])).unwrap(),
        ),
        ("0Ng", Guid(Box::new([0; 16]))),
        ("not", Unary(0x0f)),
        ("and", Binary(5)),
    ];
    for (expr, want) in cases {
        assert_eq!(value_of(expr), want, "{expr}");
    }
    let t = value_of("flip `name`iq!(`Dent`Beeblebrox`Prefect;98 42 126)");
    let want: Value = fq_value::Table::from_pairs(vec![
        ("name", syms(&["Dent", "Beeblebrox", "Prefect"])),
        ("iq", Vector(fq_value::Vector::longs(&[98, 42, 126]))),
    ])
    .unwrap()
    .into();
    assert_eq!(t, want);
    let kt = value_of("([k: 1 2 3] v: `a`b`c)");
    let Dict(d) = kt else { panic!("keyed table is a dict") };
    assert!(d.is_keyed_table());
    assert_eq!(value_of("{x+y}").qtype(), QType::LAMBDA);
    let Lambda(l) = value_of("xbar") else { panic!() };
    assert_eq!(l.context, Sym::new("q"));
    assert!(l.source_text().starts_with("k){x*y div x"));
    assert_eq!(value_of("{x+y}[3]").qtype(), QType::PROJECTION);
    assert_eq!(value_of("any").qtype(), QType::COMPOSITION);
    assert_eq!(value_of("raze").qtype(), QType(107));
    assert_eq!(value_of("sums").qtype(), QType(108));
    assert_eq!(value_of("prev").qtype(), QType(109));
    assert_eq!(value_of("save").qtype(), QType(106));
}

#[test]
fn error_vector() {
    let (_, bytes) = &plain()[0];
    assert_eq!(decode(bytes), Payload::Error(QError::Type));
}

#[test]
fn attributes_and_sorted_dicts() {
    let v = Value::Vector(Vector::longs(&[1, 2, 3]).with_attr(Attr::Sorted));
    let b = encode_payload(&Payload::Value(v.clone()), true).unwrap();
    assert_eq!(&b[..2], &[7, 1]);
    let d = Value::dict(v, syms(&["a", "b", "c"])).unwrap();
    let b = encode_payload(&Payload::Value(d.clone()), true).unwrap();
    assert_eq!(b[0], 127);
    let Payload::Value(back) = decode(&b) else { panic!() };
    assert_eq!(back.attr(), Attr::Sorted);
    assert_eq!(encode_payload(&Payload::Value(back), true).unwrap(), b);
}
