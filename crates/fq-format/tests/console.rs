//! Console, `-3!` and `string` renderings checked against kdb+ output.
//!
//! Expected strings come from the KX reference (repository KxSystems/docs, cited per group
//! as `ref/x.md`, `basics/x.md`, `wp/x`), from real kdb+ IPC fixtures in
//! `shared/ipc-vectors/` (their expressions), and from q.k's own `.Q.s` definition.
//! The docs print console lines with their trailing blanks removed; q pads every table
//! column (and matrix column) to its width, so the expectations here keep those blanks.
//! Cases the docs do not show are marked GUESS.

use fq_format::{atom_text, repr, show, Settings};
use fq_value::null::{NULL_F32, NULL_F64, NULL_I16, NULL_I32, NULL_I64};
use fq_value::temporal::days_from_ymd;
use fq_value::{
    Adverb, Attr, Derived, Enumeration, Lambda, QType, Sym, Table, Value, Vector, GENERIC_NULL,
};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------
// helpers

fn st() -> Settings {
    Settings::default()
}
fn sh(v: &Value) -> String {
    show(v, &st())
}
fn r(v: &Value) -> String {
    repr(v, &st())
}
fn lines(v: &Value) -> Vec<String> {
    sh(v).split('\n').map(str::to_owned).collect()
}
fn longs(x: &[i64]) -> Value {
    Vector::longs(x).into()
}
fn floats(x: &[f64]) -> Value {
    Vector::floats(x).into()
}
fn syms(x: &[&str]) -> Value {
    Vector::sym_names(x).into()
}
fn string(s: &str) -> Value {
    Value::string(s)
}
fn list(items: Vec<Value>) -> Value {
    Value::list(items)
}
fn dict(k: Value, v: Value) -> Value {
    Value::dict(k, v).unwrap()
}
fn table(pairs: Vec<(&str, Value)>) -> Value {
    Table::from_pairs(pairs).unwrap().into()
}
fn keyed(k: Vec<(&str, Value)>, v: Vec<(&str, Value)>) -> Value {
    Value::keyed_table(Table::from_pairs(k).unwrap(), Table::from_pairs(v).unwrap()).unwrap()
}
fn date(y: i32, m: u32, d: u32) -> i32 {
    i32::try_from(days_from_ymd(y, m, d)).unwrap()
}
fn vec_of(ty: QType, x: &[i32]) -> Value {
    Vector::new(ty, x).into()
}
fn lambda(src: &str) -> Value {
    Value::Lambda(Arc::new(Lambda::new(Sym::EMPTY, src)))
}
fn projection(parts: Vec<Value>) -> Value {
    Value::Projection(Arc::new(parts))
}
fn composition(parts: Vec<Value>) -> Value {
    Value::Composition(Arc::new(parts))
}
fn derived(adverb: Adverb, function: Value) -> Value {
    Value::Derived(Arc::new(Derived { adverb, function }))
}
fn enumv(domain_name: &str, domain: &[&str], idx: &[i64]) -> Value {
    Value::Enum(Arc::new(Enumeration {
        ty: QType(20),
        domain_name: Sym::new(domain_name),
        domain: Vector::sym_names(domain).into(),
        indices: Vector::longs(idx),
    }))
}
fn guid(s: &str) -> [u8; 16] {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    let mut g = [0u8; 16];
    for (i, b) in g.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    g
}
fn prec(p: usize) -> Settings {
    Settings { precision: p, ..st() }
}

// ---------------------------------------------------------------------------------------
// atoms

/// basics/datatypes.md (literal column), learn/tour/datatypes.md (atom column), and the
/// expressions of shared/ipc-vectors/QExpressions3.out.
#[test]
fn atoms() {
    assert_eq!(r(&Value::Long(42)), "42");
    assert_eq!(r(&Value::Int(42)), "42i");
    assert_eq!(r(&Value::Short(42)), "42h");
    assert_eq!(r(&Value::Short(-234)), "-234h");
    assert_eq!(r(&Value::Real(42.0)), "42e");
    assert_eq!(r(&Value::Real(5.5)), "5.5e");
    assert_eq!(r(&Value::Float(42.0)), "42f");
    assert_eq!(r(&Value::Float(3.234)), "3.234");
    assert_eq!(r(&Value::Long(89_421_099_511_627_575)), "89421099511627575");
    assert_eq!(r(&Value::Bool(true)), "1b");
    assert_eq!(r(&Value::Bool(false)), "0b");
    assert_eq!(r(&Value::Byte(0x2a)), "0x2a");
    assert_eq!(r(&Value::Byte(0)), "0x00");
    assert_eq!(r(&Value::Char(b'0')), "\"0\"");
    assert_eq!(r(&Value::sym("abc")), "`abc");
    assert_eq!(r(&Value::sym("hello world")), "`hello world"); // basics/datatypes.md
    assert_eq!(r(&Value::Month(12)), "2001.01m");
    assert_eq!(r(&Value::Date(366)), "2001.01.01");
    assert_eq!(r(&Value::Date(121)), "2000.05.01");
    assert_eq!(r(&Value::Date(date(1980, 5, 24))), "1980.05.24");
    assert_eq!(r(&Value::Timestamp(279_417_600_000_000)), "2000.01.04D05:36:57.600000000");
    assert_eq!(r(&Value::Datetime(3.234)), "2000.01.04T05:36:57.600");
    assert_eq!(r(&Value::Timespan(20_217_600_000_000)), "0D05:36:57.600000000");
    assert_eq!(r(&Value::Minute(721)), "12:01");
    assert_eq!(r(&Value::Second(43_500)), "12:05:00");
    assert_eq!(r(&Value::Time(43_499_123)), "12:04:59.123");
    // show of an atom is its -3! line
    assert_eq!(sh(&Value::Long(4)), "4");
    assert_eq!(sh(&Value::Float((-1f64).acos())), "3.141593"); // learn/tour/session.md (acos -1)
}

/// Guids: ref/deal.md, ref/tok.md, basics/datatypes.md (`0Ng` shows as zeros).
#[test]
fn guids() {
    let g = guid("8c680a01-5a49-5aab-5a65-d4bfddb6a661");
    assert_eq!(r(&Value::Guid(Box::new(g))), "8c680a01-5a49-5aab-5a65-d4bfddb6a661");
    assert_eq!(r(&Value::Guid(Box::new([0; 16]))), "00000000-0000-0000-0000-000000000000");
    let one = Vector::guids(&[guid("8c6b8b64-6815-6084-0a3e-178401251b68")]);
    assert_eq!(sh(&one.into()), ",8c6b8b64-6815-6084-0a3e-178401251b68");
    let two = Vector::guids(&[g, [0; 16]]);
    assert_eq!(
        r(&two.into()),
        "8c680a01-5a49-5aab-5a65-d4bfddb6a661 00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(r(&Vector::empty(QType::GUID).into()), "`guid$()");
}

/// Nulls: basics/datatypes.md (null column), ref/tok.md (`0Nh` `0Ni` `0Nd`),
/// kb/faq.md (`0n`, `0N`, `0Nt`), basics/application.md (`0Nd`, `0N`, `0n`).
#[test]
fn null_atoms() {
    assert_eq!(r(&Value::Short(NULL_I16)), "0Nh");
    assert_eq!(r(&Value::Int(NULL_I32)), "0Ni");
    assert_eq!(r(&Value::Long(NULL_I64)), "0N");
    assert_eq!(r(&Value::Real(NULL_F32)), "0Ne");
    assert_eq!(r(&Value::Float(NULL_F64)), "0n");
    assert_eq!(r(&Value::Char(b' ')), "\" \"");
    assert_eq!(r(&Value::Symbol(Sym::EMPTY)), "`");
    assert_eq!(r(&Value::Timestamp(NULL_I64)), "0Np");
    assert_eq!(r(&Value::Month(NULL_I32)), "0Nm");
    assert_eq!(r(&Value::Date(NULL_I32)), "0Nd");
    assert_eq!(r(&Value::Datetime(NULL_F64)), "0Nz");
    assert_eq!(r(&Value::Timespan(NULL_I64)), "0Nn");
    assert_eq!(r(&Value::Minute(NULL_I32)), "0Nu");
    assert_eq!(r(&Value::Second(NULL_I32)), "0Nv");
    assert_eq!(r(&Value::Time(NULL_I32)), "0Nt");
}

/// Infinities: basics/datatypes.md (inf column; "0we + 5" shows `0we`; the real and
/// datetime infinities are float-based, hence lower-case `0we`, `0wz`), ref/min.md (`-0W`).
#[test]
fn infinities() {
    assert_eq!(r(&Value::Short(i16::MAX)), "0Wh");
    assert_eq!(r(&Value::Short(i16::MIN + 1)), "-0Wh");
    assert_eq!(r(&Value::Int(i32::MAX)), "0Wi");
    assert_eq!(r(&Value::Int(i32::MIN + 1)), "-0Wi");
    assert_eq!(r(&Value::Long(i64::MAX)), "0W");
    assert_eq!(r(&Value::Long(i64::MIN + 1)), "-0W");
    assert_eq!(r(&Value::Real(f32::INFINITY)), "0we");
    assert_eq!(r(&Value::Float(f64::INFINITY)), "0w");
    assert_eq!(r(&Value::Float(f64::NEG_INFINITY)), "-0w");
    assert_eq!(r(&Value::Timestamp(i64::MAX)), "0Wp");
    assert_eq!(r(&Value::Timestamp(i64::MIN + 1)), "-0Wp"); // ref/cast.md
    assert_eq!(r(&Value::Date(i32::MAX)), "0Wd");
    assert_eq!(r(&Value::Month(i32::MAX)), "0Wm");
    assert_eq!(r(&Value::Datetime(f64::INFINITY)), "0wz");
    assert_eq!(r(&Value::Timespan(i64::MAX)), "0Wn");
    assert_eq!(r(&Value::Minute(i32::MAX)), "0Wu");
    assert_eq!(r(&Value::Second(i32::MAX)), "0Wv");
    assert_eq!(r(&Value::Time(i32::MAX)), "0Wt");
    // basics/datatypes.md: 0Wi+5 is the long 2147483652; 0Wi+5i wraps to -2147483644i
    assert_eq!(r(&Value::Long(2_147_483_652)), "2147483652");
    assert_eq!(r(&Value::Int(-2_147_483_644)), "-2147483644i");
}

/// Temporal edge cases. GUESS where noted: the docs show no negative durations.
#[test]
fn temporal_edges() {
    assert_eq!(r(&Value::Timestamp(-1)), "1999.12.31D23:59:59.999999999");
    assert_eq!(r(&Value::Timestamp(0)), "2000.01.01D00:00:00.000000000");
    assert_eq!(r(&Value::Timespan(0)), "0D00:00:00.000000000");
    assert_eq!(r(&Value::Timespan(-1)), "-0D00:00:00.000000001"); // GUESS
    assert_eq!(r(&Value::Timespan(2 * 86_400_000_000_000 + 1)), "2D00:00:00.000000001");
    assert_eq!(r(&Value::Time(-1000)), "-00:00:01.000"); // GUESS
    assert_eq!(r(&Value::Time(25 * 3_600_000)), "25:00:00.000");
    assert_eq!(r(&Value::Minute(-1)), "-00:01"); // GUESS
    assert_eq!(r(&Value::Month(-1)), "1999.12m");
    assert_eq!(r(&Value::Date(-1)), "1999.12.31");
    assert_eq!(r(&Value::Datetime(-0.5)), "1999.12.31T12:00:00.000");
    // learn/tour/datatypes.md examples
    let ts = (i64::from(date(2020, 2, 29)) * 86_400 + 12 * 3600 + 11 * 60 + 42) * 1_000_000_000
        + 381_000_000;
    assert_eq!(r(&Value::Timestamp(ts)), "2020.02.29D12:11:42.381000000");
    assert_eq!(r(&Value::Timespan(314_659_000_000)), "0D00:05:14.659000000");
    assert_eq!(r(&vec_of(QType::MONTH, &[240, 235])), "2020.01 2019.08m");
    assert_eq!(r(&vec_of(QType::MINUTE, &[754, 766])), "12:34 12:46");
    assert_eq!(r(&vec_of(QType::TIME, &[45_296_789, 45_990_500])), "12:34:56.789 12:46:30.500");
}

// ---------------------------------------------------------------------------------------
// floats and \P

/// basics/syscmds.md `\P`: reciprocal 7 is `0.1428571`, `123456789f` is `1.234568e+08`,
/// `\P 3` gives `0.333`, `\P 10` gives `0.3333333333`; basics/precision.md and ref/exp.md
/// under `\P 0` (17 significant digits); basics/datatypes.md (`float$0Wj`).
#[test]
fn float_precision() {
    assert_eq!(r(&Value::Float(1.0 / 7.0)), "0.1428571");
    assert_eq!(r(&Value::Long(123_456_789)), "123456789");
    assert_eq!(r(&Value::Float(123_456_789.0)), "1.234568e+08");
    assert_eq!(repr(&Value::Float(1.0 / 3.0), &prec(3)), "0.333");
    assert_eq!(repr(&Value::Float(1.0 / 3.0), &prec(10)), "0.3333333333");
    assert_eq!(repr(&Value::Float(1.0 / 3.0), &prec(0)), "0.33333333333333331");
    assert_eq!(repr(&Value::Float((3.0 * 2f64.ln()).exp()), &prec(0)), "7.9999999999999982");
    assert_eq!(r(&Value::Float(i64::MAX as f64)), "9.223372e+18");
    assert_eq!(r(&Value::Float(f64::from(i32::MAX))), "2.147484e+09");
    assert_eq!(r(&Value::Float(1e-5)), "1e-05");
    assert_eq!(r(&Value::Float(1e10)), "1e+10");
    assert_eq!(r(&Value::Float(100_000.0)), "100000f");
    assert_eq!(r(&Value::Float(-0.5)), "-0.5");
    assert_eq!(r(&Value::Float(1.5)), "1.5");
    assert_eq!(r(&Value::Float(1.0)), "1f");
    assert_eq!(r(&Value::Float(0.0)), "0f");
    // precision.md: deltas under \P 0 (the doc's `e-014` is Windows' printf)
    let a: f64 = "96.100000000000009".parse().unwrap();
    let b: f64 = "96.099999999999994".parse().unwrap();
    assert_eq!(repr(&floats(&[a, b - a]), &prec(0)), "96.100000000000009 -1.4210854715202004e-14");
    // wp/order-book.md: 4.950000001 shows as 4.95 under \P 7, in full under \P 0
    assert_eq!(atom_text(&Value::Float(4.950_000_001), &st()), "4.95");
    assert_eq!(atom_text(&Value::Float(4.950_000_001), &prec(0)), "4.9500000010000003");
    // \P above 17 is 17
    assert_eq!(repr(&Value::Float(0.1), &prec(40)), "0.10000000000000001");
}

/// Float vectors carry `f` only when no item shows `.`, an exponent, `0n` or `0w`:
/// wp/iterators (`{x*x}\[0.1]`), ref/tan.md, learn/tour/datatypes.md (`42 43 44f`).
#[test]
fn float_vectors() {
    let mut conv = vec![0.1f64];
    while *conv.last().unwrap() != 0.0 {
        let x = conv.last().unwrap();
        conv.push(x * x);
    }
    assert_eq!(r(&floats(&conv)), "0.1 0.01 0.0001 1e-08 1e-16 1e-32 1e-64 1e-128 1e-256 0");
    let tan: Vec<f64> = [0.0, 0.5, 1.0, "1.5707963".parse().unwrap(), 2.0, f64::INFINITY]
        .iter()
        .map(|x| x.tan())
        .collect();
    assert_eq!(r(&floats(&tan)), "0 0.5463025 1.557408 3.732054e+07 -2.18504 0n");
    assert_eq!(r(&floats(&[42.0, 43.0, 44.0])), "42 43 44f");
    assert_eq!(r(&floats(&[3.23, 6.46])), "3.23 6.46");
    assert_eq!(r(&floats(&[3.23, NULL_F64])), "3.23 0n");
    assert_eq!(r(&floats(&[1.0, NULL_F64, 3.0])), "1 0n 3");
    assert_eq!(r(&floats(&[1.0, f64::INFINITY])), "1 0w");
    assert_eq!(r(&floats(&[1e10, 2.0])), "1e+10 2");
    assert_eq!(r(&Vector::reals(&[42.0, 43.0, 44.0]).into()), "42 43 44e");
    assert_eq!(r(&Vector::reals(&[5.5, 8.5]).into()), "5.5 8.5e");
    assert_eq!(r(&Vector::reals(&[5.5, NULL_F32]).into()), "5.5 0Ne");
    assert_eq!(r(&Vector::floats(&[1.0]).into()), ",1f");
}

// ---------------------------------------------------------------------------------------
// vectors

/// learn/tour/datatypes.md (vector column), ref/next.md, ref/signum.md, ref/fill.md,
/// basics/datatypes.md (`0W 0N -0W`), and the IPC fixture expressions.
#[test]
fn vectors() {
    assert_eq!(r(&longs(&[1, 2, 3])), "1 2 3");
    assert_eq!(r(&longs(&[1, NULL_I64, 3])), "1 0N 3");
    assert_eq!(r(&longs(&[3, 5, 7, 11, NULL_I64])), "3 5 7 11 0N");
    assert_eq!(r(&longs(&[NULL_I64, 2, 3, 5, 7])), "0N 2 3 5 7");
    assert_eq!(r(&longs(&[i64::MAX, NULL_I64, i64::MIN + 1])), "0W 0N -0W");
    assert_eq!(r(&Vector::ints(&[-1, 0, 1, 1]).into()), "-1 0 1 1i");
    assert_eq!(r(&Vector::ints(&[1, NULL_I32, 3]).into()), "1 0N 3i");
    assert_eq!(r(&Vector::shorts(&[42, 43, 44]).into()), "42 43 44h");
    assert_eq!(r(&Vector::shorts(&[1, NULL_I16, 3]).into()), "1 0N 3h");
    assert_eq!(r(&Vector::bools(&[false, true, false]).into()), "010b");
    assert_eq!(r(&Vector::bytes(&[1, 2, 0xff]).into()), "0x0102ff");
    assert_eq!(r(&string("abc")), "\"abc\"");
    assert_eq!(r(&string("quick brown fox")), "\"quick brown fox\"");
    assert_eq!(r(&syms(&["the", "quick", "brown", "fox"])), "`the`quick`brown`fox");
    assert_eq!(r(&syms(&["", "quick", "", "fox"])), "``quick``fox");
    assert_eq!(r(&syms(&["", ""])), "``");
    assert_eq!(r(&syms(&["screw", "nail", "screw"])), "`screw`nail`screw");
    assert_eq!(
        r(&vec_of(QType::DATE, &[date(2020, 1, 1), date(2020, 1, 2)])),
        "2020.01.01 2020.01.02"
    );
    assert_eq!(
        r(&vec_of(QType::DATE, &[date(2010, 5, 26), date(2010, 5, 31)])),
        "2010.05.26 2010.05.31"
    );
    assert_eq!(r(&vec_of(QType::SECOND, &[45_296, 45_990])), "12:34:56 12:46:30");
    // show of a vector is its -3! line
    assert_eq!(sh(&longs(&[1, 2, 3])), "1 2 3");
    assert_eq!(sh(&string("hello")), "\"hello\"");
}

/// Nulls inside temporal vectors print `0N`; the type letter is added only when no item
/// shows the type's own form. GUESS: the docs print no such vector; this follows q's
/// rule that the text must read back as the same type.
#[test]
fn temporal_vectors_with_nulls() {
    assert_eq!(r(&vec_of(QType::DATE, &[366, 121, NULL_I32])), "2001.01.01 2000.05.01 0N");
    assert_eq!(r(&vec_of(QType::DATE, &[NULL_I32, NULL_I32])), "0N 0Nd");
    assert_eq!(r(&vec_of(QType::MONTH, &[12, NULL_I32])), "2001.01 0Nm");
    assert_eq!(r(&vec_of(QType::MINUTE, &[721, NULL_I32])), "12:01 0N");
    assert_eq!(r(&vec_of(QType::TIME, &[43_499_123, NULL_I32])), "12:04:59.123 0N");
    assert_eq!(r(&Vector::new(QType::TIMESTAMP, &[NULL_I64, i64::MAX]).into()), "0N 0Wp");
    assert_eq!(r(&vec_of(QType::DATE, &[i32::MAX])), ",0Wd");
}

/// Empty and one-item vectors: ref/next.md (`` `int$() ``), basics/syntax.md (`,3`),
/// ref/raze.md (`,42`), ref/tables.md (`` ,`tab ``), ref/dotq.md (`,2010.05.27`),
/// ref/string.md (`,"2"`).
#[test]
fn empty_and_singleton_vectors() {
    assert_eq!(r(&Vector::empty(QType::INT).into()), "`int$()");
    assert_eq!(r(&Vector::empty(QType::LONG).into()), "`long$()");
    assert_eq!(r(&Vector::empty(QType::SYMBOL).into()), "`symbol$()");
    assert_eq!(r(&Vector::empty(QType::BOOLEAN).into()), "`boolean$()");
    assert_eq!(r(&Vector::empty(QType::FLOAT).into()), "`float$()");
    assert_eq!(r(&Vector::empty(QType::TIMESTAMP).into()), "`timestamp$()");
    assert_eq!(r(&Vector::empty(QType::CHAR).into()), "\"\"");
    assert_eq!(r(&longs(&[3])), ",3");
    assert_eq!(r(&longs(&[42])), ",42");
    assert_eq!(r(&syms(&["tab"])), ",`tab");
    assert_eq!(r(&vec_of(QType::DATE, &[date(2010, 5, 27)])), ",2010.05.27");
    assert_eq!(r(&string("2")), ",\"2\"");
    assert_eq!(r(&Vector::bools(&[true]).into()), ",1b");
    assert_eq!(r(&Vector::bytes(&[1]).into()), ",0x01");
}

/// Attributes print before the vector (basics/syscmds.md, ref/set-attribute.md).
#[test]
fn attributes() {
    let v = |a| Value::Vector(Vector::longs(&[1, 2, 3]).with_attr(a));
    assert_eq!(r(&v(Attr::Sorted)), "`s#1 2 3");
    assert_eq!(sh(&v(Attr::Sorted)), "`s#1 2 3");
    assert_eq!(r(&v(Attr::Unique)), "`u#1 2 3");
    assert_eq!(r(&v(Attr::Parted)), "`p#1 2 3");
    assert_eq!(r(&v(Attr::Grouped)), "`g#1 2 3");
    assert_eq!(r(&Value::Vector(Vector::longs(&[1]).with_attr(Attr::Sorted))), "`s#,1");
}

/// Strings escape `"` `\` and control characters (`\n` `\t` `\r` by name, others in
/// octal, as q's own listing of `.q.ssr`'s argument shows `"\000\001...\t\n\013"`).
#[test]
fn string_escapes() {
    assert_eq!(r(&string("a\"b")), "\"a\\\"b\"");
    assert_eq!(r(&string("\\w")), "\"\\\\w\"");
    assert_eq!(r(&string("a\nb\tc\rd")), "\"a\\nb\\tc\\rd\"");
    assert_eq!(r(&Value::Vector(Vector::chars(&[0, 1, 11]))), "\"\\000\\001\\013\"");
    assert_eq!(r(&Value::Char(b'"')), "\"\\\"\"");
    assert_eq!(r(&string("é")), "\"é\"");
}

// ---------------------------------------------------------------------------------------
// general lists

/// -3! of general lists: the IPC fixture expressions, ref/cross.md (`.Q.s1`),
/// ref/string.md, basics/parsetrees.md.
#[test]
fn list_repr() {
    let l = list(vec![Value::Long(1), Value::sym("bcd"), string("0bc"), Value::Real(5.5)]);
    assert_eq!(r(&l), "(1;`bcd;\"0bc\";5.5e)");
    assert_eq!(r(&list(vec![Value::Long(42), GENERIC_NULL, Value::sym("foo")])), "(42;::;`foo)");
    let l = list(vec![Value::Long(1), Value::Short(2), Value::Float(3.234), Value::Char(b'4')]);
    assert_eq!(r(&l), "(1;2h;3.234;\"4\")");
    let nested = list(vec![Value::Long(7), longs(&[8, 9])]);
    let l = list(vec![Value::sym("one"), longs(&[2, 3]), string("456"), nested]);
    assert_eq!(r(&l), "(`one;2 3;\"456\";(7;8 9))");
    let l = list(vec![Vector::shorts(&[1]).into(), Value::Long(2), longs(&[3])]);
    assert_eq!(r(&l), "(,1h;2;,3)");
    assert_eq!(
        r(&list(vec![string("one"), string("two"), Value::Char(b'3')])),
        "(\"one\";\"two\";\"3\")"
    );
    assert_eq!(
        r(&list(vec![string("one"), string("two"), string("3")])),
        "(\"one\";\"two\";,\"3\")"
    );
    assert_eq!(r(&list(vec![])), "()");
    assert_eq!(r(&list(vec![longs(&[1, 2])])), ",1 2");
    let pair = |a: &[i64], b: &[i64]| list(vec![longs(a), longs(b)]);
    let cross = list(vec![
        pair(&[1, 2], &[5, 6]),
        pair(&[1, 2], &[7, 8]),
        pair(&[3, 4], &[5, 6]),
        pair(&[3, 4], &[7, 8]),
    ]);
    assert_eq!(r(&cross), "((1 2;5 6);(1 2;7 8);(3 4;5 6);(3 4;7 8))");
    let s = list(vec![
        list(vec![string("2"), string("3")]),
        list(vec![string("a"), string("b"), string("c")]),
    ]);
    assert_eq!(r(&s), "((,\"2\";,\"3\");(,\"a\";,\"b\";,\"c\"))");
}

/// Console display of lists: one `-3!` line per item unless the items are equal-length
/// lists (then an aligned matrix). ref/deal.md, ref/string.md, ref/next.md,
/// ref/identity.md, ref/enlist.md, basics/comparison.md, ref/take.md, ref/compose.md,
/// ref/cross.md, ref/key.md (`()`).
#[test]
fn list_show() {
    let l = list(vec![syms(&["ibm", "goog"]), longs(&[1, 2, 4]), string("the")]);
    assert_eq!(sh(&l), "`ibm`goog\n1 2 4\n\"the\"");
    let cat = list(vec![string("c"), string("a"), string("t")]);
    assert_eq!(sh(&cat), ",\"c\"\n,\"a\"\n,\"t\"");
    let s = list(vec![
        list(vec![string("2"), string("3")]),
        list(vec![string("a"), string("b"), string("c")]),
    ]);
    assert_eq!(sh(&s), "(,\"2\";,\"3\")\n(,\"a\";,\"b\";,\"c\")");
    let next = list(vec![string("abc"), Value::sym("ibm"), Vector::empty(QType::LONG).into()]);
    assert_eq!(sh(&next), "\"abc\"\n`ibm\n`long$()");
    assert_eq!(sh(&list(vec![GENERIC_NULL])), "::");
    let e = list(vec![longs(&[0, 1, 2, 3, 4]), syms(&["ibm", "goog"]), string("hello")]);
    assert_eq!(sh(&e), "0 1 2 3 4\n`ibm`goog\n\"hello\"");
    let b = Value::Vector(Vector::bools(&[true; 5]));
    assert_eq!(
        sh(&list(vec![b.clone(), b.clone(), b.clone(), b.clone(), b])),
        "11111b\n11111b\n11111b\n11111b\n11111b"
    );
    let h = list(vec![Value::Long(0), list(vec![longs(&[9, 9, 9])])]);
    assert_eq!(sh(&h), "0\n,9 9 9"); // ref/dotq.md (.Q.trp)
    let d = list(vec![
        vec_of(QType::DATE, &[date(2010, 5, 26), date(2010, 5, 31)]),
        vec_of(QType::DATE, &[date(2010, 5, 27)]),
    ]);
    assert_eq!(sh(&d), "2010.05.26 2010.05.31\n,2010.05.27"); // ref/dotq.md (.Q.D)
    assert_eq!(sh(&list(vec![])), "()");
}

/// Matrices: ref/take.md, ref/compose.md, ref/cross.md.
#[test]
fn matrix_show() {
    let m = list(vec![string("!!!!!"), string("!!!!!")]);
    assert_eq!(sh(&m), "\"!!!!!\"\n\"!!!!!\"");
    let names = list(vec![
        syms(&["Arthur", "Steve", "Dennis", "Arthur"]),
        syms(&["Steve", "Dennis", "Arthur", "Steve"]),
    ]);
    assert_eq!(lines(&names), ["Arthur Steve  Dennis Arthur", "Steve  Dennis Arthur Steve "]);
    let row = || list(vec![string("aaaa"), string("aaaa"), string("aaaa")]);
    assert_eq!(
        sh(&list(vec![row(), row()])),
        "\"aaaa\" \"aaaa\" \"aaaa\"\n\"aaaa\" \"aaaa\" \"aaaa\""
    );
    let cyc: Vec<i64> = (0..24).map(|i| i % 5).collect();
    let block =
        |k: usize| list((0..3).map(|j| longs(&cyc[k * 12 + j * 4..k * 12 + j * 4 + 4])).collect());
    let five3d = list(vec![block(0), block(1)]);
    assert_eq!(sh(&five3d), "0 1 2 3 4 0 1 2 3 4 0 1\n2 3 4 0 1 2 3 4 0 1 2 3");
    assert_eq!(sh(&block(0)), "0 1 2 3\n4 0 1 2\n3 4 0 1");
    let ragged = list(vec![longs(&[0, 1, 2]), longs(&[3, 4, 5]), longs(&[6, 7, 8]), longs(&[9])]);
    assert_eq!(sh(&ragged), "0 1 2\n3 4 5\n6 7 8\n,9");
    let x = [-100, 2, 3, 4, -100, 6, 7, 8, 9, -100];
    let y = [0, 2, 5, 9, 0, 6, 13, 21, 30, 0];
    assert_eq!(
        lines(&list(vec![longs(&x), longs(&y)])),
        ["-100 2 3 4 -100 6 7  8  9  -100", "0    2 5 9 0    6 13 21 30 0   "]
    );
    let pair = |a: &[i64], b: &[i64]| list(vec![longs(a), longs(b)]);
    let cross = list(vec![
        pair(&[1, 2], &[5, 6]),
        pair(&[1, 2], &[7, 8]),
        pair(&[3, 4], &[5, 6]),
        pair(&[3, 4], &[7, 8]),
    ]);
    assert_eq!(sh(&cross), "1 2 5 6\n1 2 7 8\n3 4 5 6\n3 4 7 8");
    // matrix cells use `string`: floats without suffix, nulls blank (q.k .Q.s2)
    let fm = list(vec![floats(&[1.0, 2.5]), floats(&[10.0, NULL_F64])]);
    assert_eq!(lines(&fm), ["1  2.5", "10    "]);
    // one-item lists of a list form a one-row matrix (.Q.s2), e.g. `enlist 1 2 3`
    assert_eq!(sh(&list(vec![longs(&[1, 2, 3])])), "1 2 3");
    assert_eq!(sh(&list(vec![longs(&[1]), longs(&[2]), longs(&[3])])), "1\n2\n3");
}

/// A matrix wider than the console is cut like any line (learn/pb/abundant-odds.md,
/// `1 sd'\25#A`; the columns past the cut are made up here, they are not shown).
#[test]
fn wide_matrix_cut() {
    let a = [
        945, 1575, 2205, 2835, 3465, 4095, 4725, 5355, 5775, 5985, 6435, 6615, 6825, 7245, 7425,
        7875, 8085,
    ];
    let b = [
        975, 1649, 2241, 2973, 4023, 4641, 5195, 5877, 6129, 6495, 6669, 7065, 7063, 7731, 7455,
        8341, 8415,
    ];
    assert_eq!(
        lines(&list(vec![longs(&a), longs(&b)])),
        [
            "945 1575 2205 2835 3465 4095 4725 5355 5775 5985 6435 6615 6825 7245 7425 787..",
            "975 1649 2241 2973 4023 4641 5195 5877 6129 6495 6669 7065 7063 7731 7455 834..",
        ]
    );
}

/// Parse trees print one item per line: basics/funsql.md, basics/internal.md,
/// ref/parse.md.
#[test]
fn parse_tree_show() {
    let t = list(vec![
        Value::Binary(17),
        Value::sym("trade"),
        list(vec![]),
        Value::Bool(false),
        list(vec![]),
        Value::Long(10),
        list(vec![list(vec![Value::Unary(9), Value::sym("price")])]),
    ]);
    assert_eq!(sh(&t), "?\n`trade\n()\n0b\n()\n10\n,(<:;`price)");
    let this = dict(syms(&["this"]), syms(&["this"]));
    let t =
        list(vec![Value::Binary(17), Value::sym("that"), list(vec![]), Value::Bool(false), this]);
    assert_eq!(sh(&t), "?\n`that\n()\n0b\n(,`this)!,`this");
    let c1 = list(vec![Value::Binary(10), Value::sym("qty"), Value::Long(200)]);
    let c2 = list(vec![Value::Binary(8), Value::sym("p"), syms(&["p1"])]);
    let t = list(vec![Value::Binary(17), Value::sym("sp"), list(vec![list(vec![c1, c2])])]);
    assert_eq!(sh(&t), "?\n`sp\n,((>;`qty;200);(=;`p;,`p1))");
    let by = dict(syms(&["x"]), list(vec![list(vec![Value::Unary(13), Value::sym("i")])]));
    assert_eq!(r(&by), "(,`x)!,(#:;`i)");
}

// ---------------------------------------------------------------------------------------
// dictionaries

/// basics/dictsandtables.md, ref/string.md, ref/doth.md (`.h.ty`).
#[test]
fn dict_show() {
    let d = dict(syms(&["tom", "dick", "harry"]), longs(&[1040, 59, 27]));
    assert_eq!(sh(&d), "tom  | 1040\ndick | 59\nharry| 27");
    let d = dict(syms(&["a", "b", "c"]), longs(&[1, 2, 3]));
    assert_eq!(sh(&d), "a| 1\nb| 2\nc| 3");
    let d =
        dict(syms(&["a", "b", "c"]), list(vec![string("2002"), string("2004"), string("2010")]));
    assert_eq!(sh(&d), "a| \"2002\"\nb| \"2004\"\nc| \"2010\"");
    let k = ["htm", "html", "csv", "txt", "xml", "xls", "gif"];
    let v = [
        "text/html",
        "text/html",
        "text/comma-separated-values",
        "text/plain",
        "text/plain",
        "application/msexcel",
        "image/gif",
    ];
    let d = dict(syms(&k), list(v.iter().map(|s| string(s)).collect()));
    assert_eq!(
        lines(&d),
        [
            "htm | \"text/html\"",
            "html| \"text/html\"",
            "csv | \"text/comma-separated-values\"",
            "txt | \"text/plain\"",
            "xml | \"text/plain\"",
            "xls | \"application/msexcel\"",
            "gif | \"image/gif\"",
        ]
    );
    assert_eq!(r(&dict(syms(&["a", "b"]), longs(&[1, 2]))), "`a`b!1 2");
}

/// Dictionary values: a general list prints `-3!` per item (nulls as `0N`), a vector
/// prints `string` per item (nulls blank). basics/application.md (`t 2`,
/// `` kt`Jack`London ``), kb/faq.md (`trade 30000`).
#[test]
fn dict_nulls() {
    let row = dict(
        syms(&["name", "dob", "sex"]),
        list(vec![Value::Symbol(Sym::EMPTY), Value::Date(NULL_I32), Value::Symbol(Sym::EMPTY)]),
    );
    assert_eq!(sh(&row), "name| `\ndob | 0Nd\nsex | `");
    let miss = dict(syms(&["eye", "sex"]), syms(&["", ""]));
    assert_eq!(sh(&miss), "eye| \nsex| ");
    let trade = dict(
        syms(&["stock", "price", "amt", "time"]),
        list(vec![
            Value::Symbol(Sym::EMPTY),
            Value::Float(NULL_F64),
            Value::Long(NULL_I64),
            Value::Time(NULL_I32),
        ]),
    );
    assert_eq!(sh(&trade), "stock| `\nprice| 0n\namt  | 0N\ntime | 0Nt");
    assert_eq!(sh(&dict(syms(&["a", "b"]), longs(&[1, NULL_I64]))), "a| 1\nb| ");
}

/// Dictionaries from the IPC fixture expressions; layout per q.k `.Q.s2`.
#[test]
fn dict_fixtures() {
    let d = dict(syms(&["a"]), longs(&[1]));
    assert_eq!(r(&d), "(,`a)!,1");
    assert_eq!(sh(&d), "a| 1");
    let d = dict(longs(&[1, 2]), syms(&["abc", "cdefgh"]));
    assert_eq!(sh(&d), "1| abc\n2| cdefgh");
    assert_eq!(r(&d), "1 2!`abc`cdefgh");
    let d = dict(syms(&["x", "y"]), list(vec![Value::sym("a"), Value::Long(2)]));
    assert_eq!(r(&d), "`x`y!(`a;2)");
    assert_eq!(sh(&d), "x| `a\ny| 2");
    let keys = list(vec![Value::Long(1), Value::Short(2), Value::Float(3.234), Value::Char(b'4')]);
    let vals = list(vec![
        Value::sym("one"),
        longs(&[2, 3]),
        string("456"),
        list(vec![Value::Long(7), longs(&[8, 9])]),
    ]);
    let d = dict(keys, vals);
    assert_eq!(lines(&d), ["1    | `one", "2h   | 2 3", "3.234| \"456\"", "\"4\"  | (7;8 9)"]);
    let d = dict(list(vec![longs(&[0, 1]), longs(&[2, 3])]), syms(&["first", "second"]));
    assert_eq!(sh(&d), "0 1| first\n2 3| second");
    assert_eq!(r(&d), "(0 1;2 3)!`first`second");
    let inner = dict(syms(&["x", "y"]), list(vec![Value::sym("a"), Value::Long(2)]));
    let d = dict(
        syms(&["A", "B", "C"]),
        list(vec![
            list(vec![Value::Long(1), Value::Float(3.234), Value::Long(3)]),
            inner,
            Value::Real(5.5),
        ]),
    );
    assert_eq!(sh(&d), "A| (1;3.234;3)\nB| `x`y!(`a;2)\nC| 5.5e");
    let t = table(vec![("one", longs(&[1, 2, 3])), ("two", longs(&[4, 5, 6]))]);
    let d = dict(syms(&["abc", "def", "gh"]), t);
    assert_eq!(
        lines(&d),
        ["   | one two", "---| -------", "abc| 1   4  ", "def| 2   5  ", "gh | 3   6  "]
    );
}

/// A dictionary from a table to a vector: the vector's column gets a blank header and a
/// dash line (q.k `t0`), as a key column does under a table (see `dict_fixtures`).
#[test]
fn table_keyed_dict() {
    let d = dict(table(vec![("a", longs(&[1, 2]))]), longs(&[3, 4]));
    assert_eq!(lines(&d), ["a|  ", "-| -", "1| 3", "2| 4"]);
    assert_eq!(r(&d), "(+(,`a)!,1 2)!3 4");
}

/// `\P` applies to every float the console prints, table cells included
/// (basics/syscmds.md: "whenever a floating-point number is converted to a string").
#[test]
fn precision_in_cells() {
    let t = table(vec![("x", floats(&[1.0 / 3.0, 2.0]))]);
    assert_eq!(show(&t, &prec(3)), "x    \n-----\n0.333\n2    ");
    let wide = Settings { cols: 200, ..st() };
    let v = longs(&(0..40).collect::<Vec<_>>());
    assert_eq!(show(&v, &wide), r(&v));
}

/// Dictionary values that are equal-length vectors align as a matrix
/// (wp/space-weather: `ypred| 0.03101 0.02524 ..` over `ybin | 0       0 ..`).
#[test]
fn dict_matrix_values() {
    let d = dict(
        syms(&["ypred", "ybin"]),
        list(vec![floats(&[0.03101, 0.7762, 0.02524]), floats(&[0.0, 1.0, 0.0])]),
    );
    assert_eq!(lines(&d), ["ypred| 0.03101 0.7762 0.02524", "ybin | 0       1      0      "]);
}

/// Empty dictionaries: GUESS — `.Q.s` prints nothing, the console is assumed to print the
/// `-3!` form as it does for an empty list.
#[test]
fn empty_dict() {
    let d = Value::dict(list(vec![]), list(vec![])).unwrap();
    assert_eq!(r(&d), "()!()");
    assert_eq!(sh(&d), "()!()");
}

// ---------------------------------------------------------------------------------------
// tables

/// basics/application.md (`t`, `kt`), ref/flip-splayed.md, ref/enlist.md.
#[test]
fn table_show() {
    let t = table(vec![
        ("name", syms(&["dick", "jane"])),
        ("dob", vec_of(QType::DATE, &[date(1980, 5, 24), date(1990, 9, 3)])),
        ("sex", syms(&["m", "f"])),
    ]);
    assert_eq!(
        lines(&t),
        [
            "name dob        sex",
            "-------------------",
            "dick 1980.05.24 m  ",
            "jane 1990.09.03 f  "
        ]
    );
    let kt = keyed(
        vec![("name", syms(&["Tom", "Jo", "Tom"])), ("city", syms(&["NYC", "LA", "Lagos"]))],
        vec![("eye", syms(&["green", "blue", "brown"])), ("sex", syms(&["m", "f", "m"]))],
    );
    assert_eq!(
        lines(&kt),
        [
            "name city | eye   sex",
            "----------| ---------",
            "Tom  NYC  | green m  ",
            "Jo   LA   | blue  f  ",
            "Tom  Lagos| brown m  "
        ]
    );
    assert_eq!(sh(&table(vec![("a", longs(&[1, 2]))])), "a\n-\n1\n2");
    let e = table(vec![("a", longs(&[1])), ("b", list(vec![longs(&[2, 3])])), ("c", longs(&[4]))]);
    assert_eq!(lines(&e), ["a b   c", "-------", "1 2 3 4"]);
}

/// Table cells use `string`: nested strings are quoted, nested vectors shown by `-3!`,
/// nulls blank. ref/string.md (string of a table), ref/meta.md, kb/faq.md.
#[test]
fn table_cells() {
    let t = table(vec![
        ("a", list(vec![string("1"), string("2"), string("3")])),
        ("b", list(vec![string("ibm"), string("goog"), string("aapl")])),
    ]);
    assert_eq!(
        lines(&t),
        ["a    b     ", "-----------", ",\"1\" \"ibm\" ", ",\"2\" \"goog\"", ",\"3\" \"aapl\""]
    );
    let u = table(vec![("code", syms(&["F1"])), ("vr", floats(&[2.3]))]);
    assert_eq!(lines(&u), ["code vr ", "--------", "F1   2.3"]);
    let v = table(vec![("code", syms(&["F2"])), ("vr", list(vec![floats(&[5.4, 43.2])]))]);
    assert_eq!(lines(&v), ["code vr      ", "-------------", "F2   5.4 43.2"]);
    let meta = keyed(
        vec![("c", syms(&["time", "sym", "price", "size"]))],
        vec![
            ("t", string("tsfi")),
            ("f", syms(&["", "", "", ""])),
            ("a", syms(&["", "s", "", ""])),
        ],
    );
    assert_eq!(
        lines(&meta),
        [
            "c    | t f a",
            "-----| -----",
            "time | t    ",
            "sym  | s   s",
            "price| f    ",
            "size | i    "
        ]
    );
    let book = keyed(
        vec![("stock", syms(&["intel"]))],
        vec![("price", list(vec![floats(&[123.2, 120.4, 131.0])]))],
    );
    assert_eq!(
        lines(&book),
        ["stock| price          ", "-----| ---------------", "intel| 123.2 120.4 131"]
    );
    let n = table(vec![("a", longs(&[1, NULL_I64, 3])), ("b", floats(&[NULL_F64, 2.5, 1.0]))]);
    assert_eq!(lines(&n), ["a b  ", "-----", "1    ", "  2.5", "3 1  "]);
    let kinds = table(vec![
        ("b", Vector::bools(&[true, false]).into()),
        ("x", Vector::bytes(&[0x01, 0xff]).into()),
        ("c", string("ab")),
        ("g", Vector::guids(&[[0; 16], [0; 16]]).into()),
    ]);
    assert_eq!(lines(&kinds)[2], "1 01 a 00000000-0000-0000-0000-000000000000");
}

/// ref/xgroup.md: a keyed table with nested enumerated and long columns.
#[test]
fn xgroup_example() {
    let dom = ["s1", "s2", "s3", "s4"];
    let e = |i: &[i64]| enumv("s", &dom, i);
    let t = keyed(
        vec![("p", syms(&["p1", "p2", "p3", "p4", "p5", "p6"]))],
        vec![
            (
                "s",
                list(vec![e(&[0, 1]), e(&[0, 1, 2, 3]), e(&[0]), e(&[0, 3]), e(&[3, 0]), e(&[0])]),
            ),
            (
                "qty",
                list(vec![
                    longs(&[300, 300]),
                    longs(&[200, 400, 200, 200]),
                    longs(&[400]),
                    longs(&[200, 300]),
                    longs(&[100, 400]),
                    longs(&[100]),
                ]),
            ),
        ],
    );
    assert_eq!(
        lines(&t),
        [
            "p | s               qty            ",
            "--| -------------------------------",
            "p1| `s$`s1`s2       300 300        ",
            "p2| `s$`s1`s2`s3`s4 200 400 200 200",
            "p3| `s$,`s1         ,400           ",
            "p4| `s$`s1`s4       200 300        ",
            "p5| `s$`s4`s1       100 400        ",
            "p6| `s$,`s1         ,100           ",
        ]
    );
}

/// wp/space-weather: a keyed table (the doc keeps the trailing blank of `pcnt `).
#[test]
fn space_weather_example() {
    let t = keyed(
        vec![("ybinary", longs(&[0, 1]))],
        vec![("num", longs(&[4_325_747, 565_260])), ("pcnt", floats(&[88.44, 11.56]))],
    );
    assert_eq!(
        lines(&t),
        [
            "ybinary| num     pcnt ",
            "-------| -------------",
            "0      | 4325747 88.44",
            "1      | 565260  11.56"
        ]
    );
}

/// Table `-3!`: ref/flip-splayed.md (`+(,`a)!..`), wp/market-fragmentation (keyed),
/// kb/pivoting-tables.md (`(+(,`k)!,1 2 3)!+...`).
#[test]
fn table_repr() {
    assert_eq!(
        r(&table(vec![("abc", longs(&[1, 2, 3])), ("def", longs(&[4, 5, 6]))])),
        "+`abc`def!(1 2 3;4 5 6)"
    );
    assert_eq!(r(&table(vec![("a", longs(&[1, 2]))])), "+(,`a)!,1 2");
    let kt = keyed(vec![("k", longs(&[1, 2, 3]))], vec![("v", syms(&["a", "b", "c"]))]);
    assert_eq!(r(&kt), "(+(,`k)!,1 2 3)!+(,`v)!,`a`b`c");
    let empty = table(vec![
        ("name", Vector::empty(QType::SYMBOL).into()),
        ("iq", Vector::empty(QType::INT).into()),
    ]);
    assert_eq!(r(&empty), "+`name`iq!(`symbol$();`int$())");
    let piv = Table::new(
        Vector::sym_names(&["xx", "yy"]).with_attr(Attr::Sorted),
        vec![longs(&[10, 40]), longs(&[NULL_I64, 20])],
    )
    .unwrap();
    assert_eq!(r(&piv.into()), "+`s#`xx`yy!(10 40;0N 20)");
}

/// Empty tables print their header (kb/faq.md); the IPC fixture `([] name:`symbol$(); iq:`int$())`.
#[test]
fn empty_table() {
    let t = table(vec![
        ("name", Vector::empty(QType::SYMBOL).into()),
        ("iq", Vector::empty(QType::INT).into()),
    ]);
    assert_eq!(lines(&t), ["name iq", "-------"]);
    let kt = keyed(
        vec![("a", Vector::empty(QType::LONG).into())],
        vec![("b", Vector::empty(QType::LONG).into())],
    );
    assert_eq!(lines(&kt), ["a| b", "-| -"]);
}

/// wp/market-fragmentation: a dictionary of keyed tables, each shown by `-3!`, cut at
/// the console width.
#[test]
fn market_fragmentation_example() {
    let venues = || vec![("venue", syms(&["LSE", "BAT", "CHI", "TOR"]))];
    let q = |lists: Vec<Value>| keyed(venues(), vec![("qualifier", list(lists))]);
    let tm = q(vec![
        syms(&["A", "Auc", "B", "C", "X", "DARKTRADE", "m", "Z"]),
        syms(&["A"]),
        syms(&["B"]),
        syms(&["C"]),
    ]);
    let ob = q(vec![
        syms(&["A", "Auc", "B", "C", "m"]),
        syms(&["A", "AUC", "OB", "C", "m"]),
        syms(&["A"]),
        syms(&["B"]),
    ]);
    let drk = q(vec![syms(&["DARKTRADE"]), syms(&["DARK"]), syms(&["DRK"]), syms(&["DRKX"])]);
    let rules = dict(syms(&["TM", "OB", "DRK"]), list(vec![tm, ob, drk]));
    assert_eq!(
        lines(&rules),
        [
            "TM | (+(,`venue)!,`LSE`BAT`CHI`TOR)!+(,`qualifier)!,(`A`Auc`B`C`X`DARKTRADE`m..",
            "OB | (+(,`venue)!,`LSE`BAT`CHI`TOR)!+(,`qualifier)!,(`A`Auc`B`C`m;`A`AUC`OB`C..",
            "DRK| (+(,`venue)!,`LSE`BAT`CHI`TOR)!+(,`qualifier)!,(,`DARKTRADE;,`DARK;,`DRK..",
        ]
    );
}

// ---------------------------------------------------------------------------------------
// console size

/// basics/syscmds.md `\c`: values are coerced to 10..2000, so `\c 5 5` is `\c 10 10`;
/// lines cut to `cols-3` characters and `..`; at most `rows-2` lines, the last `..`.
#[test]
fn console_size() {
    let s = Settings { rows: 5, cols: 5, precision: 7 };
    let v = list((20..30).map(|n| Vector::longs(&(0..n).collect::<Vec<_>>()).into()).collect());
    let out = show(&v, &s);
    assert_eq!(out, ["0 1 2 3.."; 7].join("\n") + "\n..");
    assert_eq!(show(&longs(&[0, 1, 2, 3, 4]), &s), "0 1 2 3 4");
    assert_eq!(show(&longs(&[0, 1, 2, 3, 4, 5]), &s), "0 1 2 3..");
}

/// wp/iterators: a table with a nested column, cut at 79 characters (default `\c`), the
/// header and dash lines too.
#[test]
fn wide_table_cut() {
    let mins: Vec<i32> = (0..30).map(|i| 570 + i).collect();
    let t = table(vec![
        ("sym", syms(&["AA", "BB", "CC"])),
        ("time", list((0..3).map(|_| vec_of(QType::MINUTE, &mins)).collect())),
        ("price", list((0..3).map(|_| floats(&[1.5; 30])).collect())),
    ]);
    let l = lines(&t);
    assert_eq!(l.len(), 5);
    assert_eq!(l[0], format!("sym time{}..", " ".repeat(69)));
    assert_eq!(l[1], format!("{}..", "-".repeat(77)));
    assert_eq!(
        l[2],
        "AA  09:30 09:31 09:32 09:33 09:34 09:35 09:36 09:37 09:38 09:39 09:40 09:41 0.."
    );
    assert_eq!(
        l[4],
        "CC  09:30 09:31 09:32 09:33 09:34 09:35 09:36 09:37 09:38 09:39 09:40 09:41 0.."
    );
    assert!(l.iter().all(|x| x.len() == 79));
}

/// Row limits from q.k `.Q.S`: n = rows-2 (rows-4 for tables); more than n items show
/// n-1 of them and `..`.
#[test]
fn row_truncation() {
    let t = table(vec![("a", longs(&(0..100).collect::<Vec<_>>()))]);
    let l = lines(&t);
    assert_eq!(l.len(), 23);
    assert_eq!(&l[..3], ["a ", "--", "0 "]);
    assert_eq!(l[21], "19");
    assert_eq!(l[22], "..");
    let t21 = table(vec![("a", longs(&(0..21).collect::<Vec<_>>()))]);
    assert_eq!(lines(&t21).len(), 23);
    assert_eq!(lines(&t21)[22], "20");
    let d = dict(
        Vector::longs(&(0..30).collect::<Vec<_>>()).into(),
        longs(&(0..30).collect::<Vec<_>>()),
    );
    let l = lines(&d);
    assert_eq!(l.len(), 23);
    assert_eq!(l[21], "21| 21");
    assert_eq!(l[22], "..");
    let li = list((0..23).map(|i| list(vec![Value::Long(i), Value::sym("x")])).collect());
    assert_eq!(lines(&li).len(), 23);
    // equal-length general lists form a matrix, atoms shown by -3!
    assert_eq!(lines(&li)[22], "22 `x");
    let li = list((0..24).map(|i| list(vec![Value::Long(i), Value::sym("x")])).collect());
    assert_eq!(lines(&li)[22], "..");
    let kt = keyed(
        vec![("k", longs(&(0..50).collect::<Vec<_>>()))],
        vec![("v", longs(&(0..50).collect::<Vec<_>>()))],
    );
    let l = lines(&kt);
    assert_eq!(l.len(), 23);
    assert_eq!(l[2], "0 | 0 ");
    assert_eq!(l[22], "..");
    let tall = Settings { rows: 100, cols: 200, precision: 7 };
    assert_eq!(show(&t, &tall).split('\n').count(), 98);
}

/// Formatting is bounded by the screen, not the data: a million-item vector, table,
/// list of long vectors and dictionary all display at once.
#[test]
fn large_values_are_cheap() {
    let n = 1_000_000i64;
    let big: Vec<i64> = (0..n).collect();
    let v = longs(&big);
    let s = sh(&v);
    assert_eq!(s.len(), 79);
    assert!(s.starts_with("0 1 2 3") && s.ends_with(".."));
    let t = table(vec![("a", v.clone()), ("b", floats(&vec![1.5; big.len()]))]);
    assert_eq!(lines(&t).len(), 23);
    let m = list(vec![v.clone(), v.clone()]);
    assert_eq!(lines(&m)[0].len(), 79);
    let d = dict(v.clone(), v.clone());
    assert_eq!(lines(&d)[22], "..");
    let wide =
        table((0..5000).map(|i| (if i % 2 == 0 { "a" } else { "b" }, longs(&[i]))).collect());
    assert_eq!(lines(&wide)[0].len(), 79);
    let nested = table(vec![("a", list(vec![v.clone(), v]))]);
    assert_eq!(lines(&nested)[2].len(), 79);
}

// ---------------------------------------------------------------------------------------
// functions

/// Functions print their text: lambdas their source, primitives by glyph (basics/
/// parsetrees.md: `type` is `@:`; ref/doth.md `.h.tx`: `,:`), derived functions with the
/// iterator glyph (ref/string.md: `+/`). Names and forms of q's own definitions as q lists
/// them (`.q` namespace): `not` `~:`, `and` `&`, `raze` `,/`, `sums` `+\`, `prev` `:':`,
/// `deltas` `-':`, `md5` `![-15]`, `any` `max$["b"]` (pykx changelog), `rank` `<<:`,
/// `ceiling` `-_-:`, `union` `?,`, `upsert` `.[;();,;]`, `read0` `0::`, `system`
/// `.,["\\"]`; projections from the IPC fixtures (`{x+y}[3]`, `insert [1]`).
#[test]
fn functions() {
    assert_eq!(sh(&lambda("{x*x}")), "{x*x}");
    assert_eq!(r(&lambda("{[a;b] a+b}")), "{[a;b] a+b}");
    assert_eq!(sh(&lambda("{x+\n y}")), "{x+\n y}");
    assert_eq!(sh(&projection(vec![lambda("{x+y}"), Value::Long(3)])), "{x+y}[3]");
    assert_eq!(r(&projection(vec![Value::Binary(28), Value::Long(1)])), "insert[1]");
    assert_eq!(r(&projection(vec![Value::Binary(16), Value::Long(-15)])), "![-15]");
    assert_eq!(r(&projection(vec![Value::Binary(4), GENERIC_NULL, Value::Long(2)])), "%[;2]");
    let upsert = projection(vec![
        Value::Binary(19),
        GENERIC_NULL,
        list(vec![]),
        Value::Binary(12),
        GENERIC_NULL,
    ]);
    assert_eq!(r(&upsert), ".[;();,;]");
    let any =
        composition(vec![Value::Unary(28), projection(vec![Value::Binary(11), Value::Char(b'b')])]);
    assert_eq!(sh(&any), "max$[\"b\"]");
    assert_eq!(r(&composition(vec![Value::Unary(9), Value::Unary(9)])), "<<:");
    assert_eq!(r(&composition(vec![Value::Unary(2), Value::Unary(14), Value::Unary(2)])), "-_-:");
    assert_eq!(r(&composition(vec![Value::Unary(17), Value::Binary(12)])), "?,");
    let system = composition(vec![
        Value::Unary(19),
        projection(vec![Value::Binary(12), Value::Char(b'\\')]),
    ]);
    assert_eq!(r(&system), ".,[\"\\\\\"]");
    assert_eq!(r(&Value::Unary(15)), "~:");
    assert_eq!(r(&Value::Unary(2)), "-:");
    assert_eq!(r(&Value::Unary(18)), "@:");
    assert_eq!(r(&Value::Unary(12)), ",:");
    assert_eq!(r(&Value::Unary(20)), "0::");
    assert_eq!(r(&Value::Unary(28)), "max");
    assert_eq!(r(&Value::Unary(41)), "enlist"); // GUESS: 4.x shows the keyword
    assert_eq!(r(&Value::Binary(5)), "&");
    assert_eq!(r(&Value::Binary(0)), ":");
    assert_eq!(r(&Value::Binary(1)), "+");
    assert_eq!(r(&Value::Binary(20)), "0:");
    assert_eq!(r(&Value::Binary(28)), "insert");
    assert_eq!(r(&Value::Iterator(0)), "'");
    assert_eq!(r(&Value::Iterator(4)), "/:");
    assert_eq!(r(&derived(Adverb::Over, Value::Binary(12))), ",/");
    assert_eq!(r(&derived(Adverb::Over, Value::Binary(1))), "+/");
    assert_eq!(r(&derived(Adverb::Scan, Value::Binary(1))), "+\\");
    assert_eq!(r(&derived(Adverb::EachPrior, Value::Binary(0))), ":':");
    assert_eq!(r(&derived(Adverb::EachPrior, Value::Binary(2))), "-':");
    assert_eq!(r(&derived(Adverb::Each, lambda("{x}"))), "{x}'");
    assert_eq!(r(&derived(Adverb::EachLeft, Value::Binary(12))), ",\\:");
    // a function inside a list is its -3! text
    assert_eq!(r(&list(vec![Value::Unary(13), Value::sym("i")])), "(#:;`i)");
    // the generic null prints nothing at the console; -3! is `::`
    assert_eq!(sh(&GENERIC_NULL), "");
    assert_eq!(r(&GENERIC_NULL), "::");
}

/// Enumerations: ref/xgroup.md (`` `s$`s1`s2 ``, `` `s$,`s1 ``), ref/enumeration.md.
#[test]
fn enumerations() {
    let dom = ["a", "b", "c"];
    assert_eq!(r(&enumv("sym", &dom, &[0, 1])), "`sym$`a`b");
    assert_eq!(sh(&enumv("sym", &dom, &[0, 1])), "`sym$`a`b");
    assert_eq!(r(&enumv("s", &dom, &[2])), "`s$,`c");
    assert_eq!(r(&enumv("sym", &dom, &[])), "`sym$`symbol$()");
    let atom = Value::Enum(Arc::new(Enumeration {
        ty: QType(-20),
        domain_name: Sym::new("sym"),
        domain: Vector::sym_names(&dom).into(),
        indices: Vector::longs(&[1]),
    }));
    assert_eq!(r(&atom), "`sym$`b");
    assert_eq!(atom_text(&atom, &st()), "b");
    let t = table(vec![("s", enumv("sym", &dom, &[0, 2])), ("q", longs(&[1, 2]))]);
    assert_eq!(lines(&t), ["s q", "---", "a 1", "c 2"]);
}

// ---------------------------------------------------------------------------------------
// string

/// ref/string.md: `string 2` is `,"2"`, `` string `ibm `` is `"ibm"`, functions give their
/// text (`"{x*x}"`, `"+/"`); nulls are empty (they are blank in tables).
#[test]
fn string_of_atoms() {
    let s = st();
    assert_eq!(atom_text(&Value::Long(2), &s), "2");
    assert_eq!(atom_text(&Value::sym("ibm"), &s), "ibm");
    assert_eq!(atom_text(&lambda("{x*x}"), &s), "{x*x}");
    assert_eq!(atom_text(&derived(Adverb::Over, Value::Binary(1)), &s), "+/");
    assert_eq!(atom_text(&Value::Int(7), &s), "7");
    assert_eq!(atom_text(&Value::Short(7), &s), "7");
    assert_eq!(atom_text(&Value::Float(1.0), &s), "1");
    assert_eq!(atom_text(&Value::Float(1.5), &s), "1.5");
    assert_eq!(atom_text(&Value::Real(2.5), &s), "2.5");
    assert_eq!(atom_text(&Value::Bool(true), &s), "1");
    assert_eq!(atom_text(&Value::Byte(0x2a), &s), "2a");
    assert_eq!(atom_text(&Value::Char(b'x'), &s), "x");
    assert_eq!(atom_text(&Value::Date(date(2002, 1, 1)), &s), "2002.01.01");
    assert_eq!(atom_text(&Value::Month(12), &s), "2001.01");
    assert_eq!(atom_text(&Value::Time(43_499_123), &s), "12:04:59.123");
    assert_eq!(atom_text(&Value::Long(NULL_I64), &s), "");
    assert_eq!(atom_text(&Value::Float(NULL_F64), &s), "");
    assert_eq!(atom_text(&Value::Date(NULL_I32), &s), "");
    assert_eq!(atom_text(&Value::Symbol(Sym::EMPTY), &s), "");
    assert_eq!(atom_text(&Value::Char(b' '), &s), " ");
    assert_eq!(
        atom_text(&Value::Guid(Box::new([0; 16])), &s),
        "00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(atom_text(&Value::Long(i64::MAX), &s), "0W");
    assert_eq!(atom_text(&Value::Int(i32::MIN + 1), &s), "-0W");
    assert_eq!(atom_text(&Value::Float(f64::NEG_INFINITY), &s), "-0w");
    assert_eq!(atom_text(&string("abc"), &s), "abc");
}

/// The `Default` settings are kdb+'s `\c 25 80` and `\P 7`.
#[test]
fn default_settings() {
    assert_eq!(Settings::default(), Settings { rows: 25, cols: 80, precision: 7 });
}
