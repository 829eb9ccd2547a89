//! `ferroq`: the command-line entry point.
//!
//! Today it inspects kdb+ IPC bytes (`ferroq decode`); the q console, scripts and the
//! server arrive with the interpreter and server work, and their q-style flags are
//! recognised now and reported as not yet available.

use fq_ipc::{decode_message, decode_payload, DecodeOptions, Payload, HEADER_LEN};
use std::io::{Read, Write};
use std::process::ExitCode;

const HELP: &str = "\
ferroq — an Arrow-native, kdb+-compatible time-series database

USAGE:
    ferroq decode [--hex] [--payload] [--big-endian] [FILE|HEX|-]
    ferroq --help | --version

COMMANDS:
    decode      Decode one kdb+ IPC message (8-byte header + payload, compressed or not)
                and print the value, its type and the header. Reads FILE, or standard
                input when FILE is '-' or absent.
                  --hex         input is hexadecimal text (spaces, newlines and a
                                leading 0x are ignored) instead of raw bytes; the
                                hex may also be given directly as the argument
                  --payload     input is a payload without the 8-byte header
                  --big-endian  with --payload: the payload is big-endian

COMING NEXT (flags are recognised and reported):
    ferroq [script.q] [-p port] [-q] [-s n] [-t ms] [-T s] [-w MB] [-u file] [-l|-L]
           [-c rows cols] [-P digits]
                The q console, scripts and the IPC/HTTP server.

EXAMPLES:
    ferroq decode --hex 0100000011000000f90100000000000000
    printf '0a000300000031 2b31' | ferroq decode --hex --payload -
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            let _ = writeln!(std::io::stderr(), "ferroq: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        None | Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            Ok(())
        }
        Some("-V" | "--version") => {
            println!("ferroq {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some("decode") => decode(&args[1..]),
        Some(
            flag @ ("-p" | "-q" | "-s" | "-t" | "-T" | "-w" | "-u" | "-U" | "-l" | "-L" | "-c"
            | "-P"),
        ) => Err(format!(
            "flag {flag}: the q console and server are not built yet in this version; \
             see `ferroq --help` for what works today"
        )),
        Some(other) if other.ends_with(".q") => Err(format!(
            "{other}: running q scripts needs the interpreter, not built yet in this version"
        )),
        Some(other) => Err(format!("unknown command {other:?}; see `ferroq --help`")),
    }
}

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let t = text.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    let digits: Vec<u8> = t.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    digits
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| format!("not hex: {:?}", String::from_utf8_lossy(p)))
        })
        .collect()
}

fn decode(args: &[String]) -> Result<(), String> {
    let (mut hex, mut payload_only, mut big, mut file) = (false, false, false, None);
    for a in args {
        match a.as_str() {
            "--hex" => hex = true,
            "--payload" => payload_only = true,
            "--big-endian" => big = true,
            "-" => file = None,
            f if !f.starts_with("--") => file = Some(f.to_string()),
            f => return Err(format!("decode: unknown option {f}")),
        }
    }
    let mut raw = Vec::new();
    match &file {
        // With --hex, an argument that is not a file but is hex text is the input itself.
        Some(f) if hex && !std::path::Path::new(f).exists() && parse_hex(f).is_ok() => {
            raw = f.clone().into_bytes();
        }
        Some(f) => raw = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?,
        None => {
            std::io::stdin().read_to_end(&mut raw).map_err(|e| format!("stdin: {e}"))?;
        }
    }
    let bytes = if hex { parse_hex(&String::from_utf8_lossy(&raw))? } else { raw };
    let opts = DecodeOptions::default();
    let payload = if payload_only {
        decode_payload(&bytes, !big, &opts).map_err(|e| e.to_string())?
    } else {
        let (h, p) = decode_message(&bytes, &opts).map_err(|e| e.to_string())?;
        println!(
            "header: {} endian, {:?}, {:?}, {} bytes",
            if h.little_endian { "little" } else { "big" },
            h.msg_type,
            h.compression,
            h.len
        );
        if bytes.len() >= HEADER_LEN {
            p
        } else {
            return Err("message shorter than its header".into());
        }
    };
    match payload {
        Payload::Value(v) => {
            println!("type: {}", v.qtype());
            println!("value: {v:?}");
        }
        Payload::Error(e) => println!("error: {e}"),
    }
    Ok(())
}
