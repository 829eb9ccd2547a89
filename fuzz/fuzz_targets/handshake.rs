//! `ServerHandshake::feed` on arbitrary bytes split in two chunks must never panic, and must
//! give the same answer as feeding the same bytes in one chunk.
//! Input layout: bytes 0..2 (u16 LE) pick the split point within the rest.
#![no_main]

use fq_ipc::handshake::{ServerHandshake, MAX_CAPABILITY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let split = usize::from(u16::from_le_bytes([data[0], data[1]]));
    let bytes = &data[2..];
    let split = split.min(bytes.len());
    let (a, b) = bytes.split_at(split);

    let one = ServerHandshake::new().feed(bytes);

    let mut h = ServerHandshake::new();
    let two = match h.feed(a) {
        Ok(Some((c, n))) => Ok(Some((c, n))),
        Ok(None) => h.feed(b).map(|r| r.map(|(c, n)| (c, a.len() + n))),
        Err(e) => Err(e),
    };

    match (&one, &two) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "split feed differs from one-shot feed"),
        (Err(_), Err(_)) => {}
        _ => panic!("split feed {two:?} vs one-shot {one:?}"),
    }
    if let Ok(Some((c, n))) = &one {
        assert!(*n >= 1 && *n <= bytes.len());
        assert_eq!(bytes[*n - 1], 0, "consumed count does not end at the NUL");
        assert!(!bytes[..*n - 1].contains(&0));
        assert!(c.reply() <= MAX_CAPABILITY);
        assert!(c.user.len() + c.password.len() < *n);
        assert!(!c.user.contains(&b':'));
    }
});
