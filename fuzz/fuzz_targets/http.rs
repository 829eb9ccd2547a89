//! The server's HTTP request reader and JSON query extraction never panic on any bytes:
//! a request is parsed, refused with a status, or the stream ends.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = Vec::new();
    let mut src = data;
    // Read requests until the input runs out or one is refused.
    for _ in 0..8 {
        match fq_server::http::read_request(&mut src, &mut buf, 1 << 16) {
            Ok(Some(req)) => {
                let _ = req.path_query();
                let _ = fq_server::http::query_of(&req.body);
            }
            Ok(None) | Err(_) => break,
        }
    }
    let _ = fq_server::http::query_of(data);
    let _ = fq_server::http::percent_decode(&String::from_utf8_lossy(data));
});
