//! `ferroq`: the command-line entry point: the q console, scripts, the server (`-p`), and
//! `ferroq decode` for inspecting kdb+ IPC bytes.

use fq_eval::{script, Interp, NativeHost};
use fq_ipc::{decode_message, decode_payload, DecodeOptions, Payload, HEADER_LEN};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

/// mimalloc keeps freed memory for reuse (as kdb+'s own allocator does), so rebuilding a
/// table does not page-fault its way through fresh memory each time. The wrapper counts
/// the bytes allocated now and their high-water mark (relaxed atomics: one add per call,
/// plus a compare with the mark on growth): the interpreter stops a runaway computation
/// with 'wsfull (-w), and `\w`, `.Q.w[]` and `.fq.resetpeak[]` report them.
#[global_allocator]
static GLOBAL: Counting = Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

/// Count `n` more bytes allocated and raise the high-water mark if they pass it.
#[inline(always)]
fn grow(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed).wrapping_add(n);
    if now > PEAK.load(Ordering::Relaxed) {
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

#[inline(always)]
fn shrink(n: usize) {
    LIVE.fetch_sub(n, Ordering::Relaxed);
}

// SAFETY: every call forwards to mimalloc with the caller's arguments unchanged; the
// counters are bookkeeping only.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        grow(l.size());
        // SAFETY: forwarded as is.
        unsafe { mimalloc::MiMalloc.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: std::alloc::Layout) -> *mut u8 {
        grow(l.size());
        // SAFETY: forwarded as is.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        shrink(l.size());
        // SAFETY: forwarded as is.
        unsafe { mimalloc::MiMalloc.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, new: usize) -> *mut u8 {
        // A growing block may move: while mimalloc copies, both blocks exist, so the
        // high-water mark counts both (an overcount only when it grows in place).
        if new >= l.size() {
            grow(new);
            // SAFETY: forwarded as is.
            let q = unsafe { mimalloc::MiMalloc.realloc(p, l, new) };
            shrink(if q.is_null() { new } else { l.size() });
            q
        } else {
            // SAFETY: forwarded as is.
            let q = unsafe { mimalloc::MiMalloc.realloc(p, l, new) };
            if !q.is_null() {
                shrink(l.size() - new);
            }
            q
        }
    }
}

fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn peak_bytes() -> usize {
    PEAK.load(Ordering::Relaxed)
}

fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

const HELP: &str = "\
ferroq — an Arrow-native, kdb+-compatible time-series database

USAGE:
    ferroq [script.q] [-q] [-c rows cols] [-P digits] [-p port] [-s n] [-t ms] [-T s]
           [-w MB] [-u file] [-U file] [-l|-L]
    ferroq decode [--hex] [--payload] [--big-endian] [FILE|HEX|-]
    ferroq --help | --version

CONSOLE:
    With no script, ferroq starts the q console (prompt q)). On a terminal it has line
    editing and history; when standard input is a file or a pipe, each line is evaluated
    and its result printed exactly as `q -q < file` does (a trailing ; prints nothing, an
    error prints its 'name). Lines starting with \\ are system commands (\\t, \\ts, \\l,
    \\v, \\f, \\d, \\c, \\P, \\w, \\cd, \\\\ to exit; anything else runs in the shell).

OPTIONS:
    script.q       load a q script first (indented lines continue, / and \\ comment
                   blocks, \\ alone ends the script), then read the console
    -q             quiet: no banner, no prompt
    -c rows cols   console size for display (default 25 80)
    -P digits      float display precision (default 7; 0 for maximum)
    -p port        listen for kdb+ IPC and HTTP on this TCP port (0W: any free port)
                   and on the Unix socket /tmp/kx.port (abstract); \\p shows or
                   changes it. With -p, the end of standard input does not end the
                   process (it serves until exit or \\\\). See docs/server.md
    -s n           secondary threads (default 0): `peach`/`':` run on n threads, and
                   scans, arithmetic and grouped aggregates on 1M+ rows split across
                   them; \\s shows or lowers it (negative n: taken as threads too)
    -t ms          timer: call .z.ts every ms milliseconds (\\t ms at runtime; 0 off)
    -T s           client query timeout: a query running longer stops with 'stop
    -w MB          workspace limit: past it (process memory, or one value), 'wsfull;
                   default 80% of physical memory
    -u/-U file     password file, one user:password a line (password plain, MD5 or
                   SHA-1 hex); other logins are refused, HTTP needs basic auth
    --max-message MB   largest message or HTTP body accepted (default 2048); a larger
                   sync message gets 'limit and the connection is closed
    --stall-timeout s  drop a peer that stalls mid-message or mid-handshake (default 60)
    --spin us      after handling a message, keep polling for the next one this many
                   microseconds before sleeping (default 150; 0 off): a client's next
                   request then costs no thread wake-up (tens of us on a VM)
    other args     after the script, unknown arguments are left to it in .z.x
    -l / -L        transaction logging (arrives with storage; ignored)

COMMANDS:
    decode      Decode one kdb+ IPC message (8-byte header + payload, compressed or not)
                and print the value, its type and the header. Reads FILE, or standard
                input when FILE is '-' or absent.
                  --hex         input is hexadecimal text (spaces, newlines and a
                                leading 0x are ignored) instead of raw bytes; the
                                hex may also be given directly as the argument
                  --payload     input is a payload without the 8-byte header
                  --big-endian  with --payload: the payload is big-endian

EXAMPLES:
    ferroq examples/demo.q -p 5001      (then from q: h:hopen 5001; h\"til 5\")
    echo 'sum til 10' | ferroq -q
    ferroq -q script.q < /dev/null
    ferroq decode --hex 0100000011000000f90100000000000000
";

/// Native stack for the interpreter thread; evaluation stops with 'stack well before it
/// runs out (deep recursion or deeply nested expressions).
const STACK_BYTES: usize = 512 << 20;

fn main() -> ExitCode {
    fq_eval::limits::set_live_bytes_counter(live_bytes);
    fq_eval::limits::set_peak_counter(fq_eval::limits::PeakCounter {
        peak: peak_bytes,
        reset: reset_peak,
    });
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The interpreter runs on a thread with a large stack (q code may recurse deeply).
    let worker = std::thread::Builder::new().stack_size(STACK_BYTES).spawn(move || run(&args));
    let result = match worker.map(|h| h.join()) {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err("the interpreter thread failed".to_string()),
        Err(e) => Err(format!("cannot start the interpreter thread: {e}")),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            let _ = writeln!(std::io::stderr(), "ferroq: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    match args.first().map(String::as_str) {
        Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        Some("-V" | "--version") => {
            println!("ferroq {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        Some("decode") => decode(&args[1..]).map(|()| ExitCode::SUCCESS),
        _ => console(args),
    }
}

struct Options {
    script: Option<String>,
    quiet: bool,
    rows_cols: Option<(usize, usize)>,
    precision: Option<usize>,
    server: fq_server::Config,
    /// `.z.x`: arguments ferroq does not consume.
    rest: Vec<String>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        script: None,
        quiet: false,
        rows_cols: None,
        precision: None,
        server: fq_server::Config::default(),
        rest: Vec::new(),
    };
    let mut it = args.iter().peekable();
    let value = |flag: &str, it: &mut std::iter::Peekable<std::slice::Iter<'_, String>>| {
        it.next().cloned().ok_or_else(|| format!("{flag} needs a value"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "-q" => o.quiet = true,
            "-c" => {
                let r = value("-c", &mut it)?
                    .parse()
                    .map_err(|_| "-c rows cols: rows is not a number")?;
                let c = value("-c", &mut it)?
                    .parse()
                    .map_err(|_| "-c rows cols: cols is not a number")?;
                o.rows_cols = Some((r, c));
            }
            "-P" => {
                o.precision =
                    Some(value("-P", &mut it)?.parse().map_err(|_| "-P digits: not a number")?);
            }
            "-w" => {
                let mb: usize = value("-w", &mut it)?
                    .parse()
                    .map_err(|_| "-w MB: not a number of megabytes")?;
                if mb > 0 {
                    // kdb+'s -w: the workspace limit; over it, evaluation stops with 'wsfull.
                    fq_eval::limits::set_total_limit(mb << 20);
                    fq_eval::limits::set_ws_limit(mb << 20);
                }
            }
            "-p" => {
                let v = value("-p", &mut it)?;
                // kdb+'s 0W: any free port (\\p shows which).
                let port = if v == "0W" { Ok(0) } else { v.parse::<u16>() };
                o.server.port = Some(port.map_err(|_| format!("-p {v}: not a port number"))?);
            }
            "-t" => {
                let v = value("-t", &mut it)?;
                o.server.timer_ms =
                    v.parse().map_err(|_| format!("-t {v}: not a number of milliseconds"))?;
            }
            "-T" => {
                let v = value("-T", &mut it)?;
                o.server.timeout_s =
                    v.parse().map_err(|_| format!("-T {v}: not a number of seconds"))?;
            }
            "-u" | "-U" => {
                let v = value(a, &mut it)?;
                if v != "1" {
                    o.server.users =
                        fq_server::Users::from_file(&v).map_err(|e| format!("{a} {v}: {e}"))?;
                }
            }
            "--max-message" => {
                let v = value("--max-message", &mut it)?;
                let mb: usize =
                    v.parse().map_err(|_| format!("--max-message {v}: not a number of MB"))?;
                o.server.limits.max_message = mb << 20;
            }
            "--stall-timeout" => {
                let v = value("--stall-timeout", &mut it)?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--stall-timeout {v}: not a number of seconds"))?;
                o.server.limits.stall = std::time::Duration::from_secs(secs.max(1));
            }
            "--spin" => {
                let v = value("--spin", &mut it)?;
                let us: u64 =
                    v.parse().map_err(|_| format!("--spin {v}: not a number of microseconds"))?;
                o.server.spin = std::time::Duration::from_micros(us);
            }
            "-s" => {
                // Secondary threads for peach and parallel kernels (before the
                // interpreter is made: it starts with \s N).
                let n: i64 = value("-s", &mut it)?.parse().map_err(|_| "-s n: not a number")?;
                fq_eval::parallel::set_threads(n)?;
            }
            "-l" | "-L" => eprintln!(
                "ferroq: {a} (transaction logging) is not available in this version yet; ignored"
            ),
            // kdb+ leaves what it does not know to the script, in .z.x.
            s if s.starts_with('-') || o.script.is_some() => o.rest.push(s.to_string()),
            s => o.script = Some(s.to_string()),
        }
    }
    Ok(o)
}

fn console(args: &[String]) -> Result<ExitCode, String> {
    let o = parse_options(args)?;
    let mut i = Interp::new(Box::new(NativeHost));
    // Leave 32 MB of the thread's stack as margin below the limit.
    i.set_stack_limit(STACK_BYTES - (32 << 20));
    if let Some((r, c)) = o.rows_cols {
        i.console.rows = r.clamp(10, 2000);
        i.console.cols = c.clamp(10, 2000);
    }
    if let Some(p) = o.precision {
        i.console.precision = p.min(17);
    }
    i.process.args = o.rest.clone();
    i.process.argv = std::env::args().collect();
    i.process.file = o.script.clone().unwrap_or_default();
    i.process.hostname = hostname();
    // The runtime owns the interpreter from here: console lines, IPC and HTTP requests
    // and the timer all reach it as events, one at a time.
    let mut rt = fq_server::Runtime::new(i, &o.server).map_err(|e| {
        format!("-p {}: {e}", o.server.port.map_or(String::new(), |p| p.to_string()))
    })?;
    if let Some(path) = &o.script {
        let src = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        for chunk in script::chunks(&src) {
            let r = match chunk {
                script::Chunk::Code(code, _) => rt.interp.eval_line(&code),
                script::Chunk::System(cmd, _) if cmd.trim() == "\\" => {
                    return Ok(ExitCode::SUCCESS)
                }
                script::Chunk::System(cmd, _) => rt.interp.eval_line(&format!("\\{cmd}")),
            };
            // A script prints only errors and explicit output, as q does.
            if let Err(e) = r {
                rt.interp.host.stderr(&format!("{e}\n"));
            }
        }
    }
    // Ctrl-C interrupts the running expression with 'stop, as in q.
    let stop = rt.interp.stop.clone();
    let _ = ctrlc::set_handler(move || stop.store(true, std::sync::atomic::Ordering::Relaxed));
    let handle = rt.handle();
    let quiet = o.quiet;
    std::thread::Builder::new()
        .name("fq-console".into())
        .spawn(move || console_reader(&handle, quiet))
        .map_err(|e| format!("cannot start the console thread: {e}"))?;
    rt.run();
    Ok(ExitCode::SUCCESS)
}

/// The console: read lines (with editing on a terminal) and hand each to the
/// interpreter thread, which prints the result.
fn console_reader(rt: &fq_server::RuntimeHandle, quiet: bool) {
    if std::io::stdin().is_terminal() {
        if !quiet {
            println!("ferroq {} — q console. \\\\ to exit.", env!("CARGO_PKG_VERSION"));
        }
        let Ok(mut ed) = rustyline::DefaultEditor::new() else { return rt.console_closed() };
        let prompt = if quiet { "" } else { "q)" };
        loop {
            match ed.readline(prompt) {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        let _ = ed.add_history_entry(line.as_str());
                    }
                    if rt.line(&line) {
                        return;
                    }
                }
                Err(rustyline::error::ReadlineError::Interrupted) => continue,
                Err(_) => return rt.console_closed(),
            }
        }
    } else {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if rt.line(&line) {
                return;
            }
        }
        rt.console_closed();
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
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
