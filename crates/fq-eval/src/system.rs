//! System commands (`\t`, `\c`, `\P`, `\d`, `\v`, `\l`, `\\`…) and computed system
//! variables (`.z.p`, `.z.d`, `.z.t`…).

use crate::interp::Interp;
use fq_value::{QError, QResult, Sym, Value, Vector, GENERIC_NULL};

/// `.z` variables computed on read.
pub fn zvar(i: &mut Interp, s: Sym) -> Option<Value> {
    let name = s.as_bytes();
    let mut now = || i.host.now_nanos();
    Some(match name {
        b".z.p" | b".z.P" => Value::Timestamp(now()),
        b".z.n" | b".z.N" => Value::Timespan(now().rem_euclid(86_400_000_000_000)),
        b".z.d" | b".z.D" => Value::Date(now().div_euclid(86_400_000_000_000) as i32),
        b".z.t" | b".z.T" => Value::Time((now().rem_euclid(86_400_000_000_000) / 1_000_000) as i32),
        b".z.z" | b".z.Z" => Value::Datetime(now() as f64 / 86_400_000_000_000.0),
        b".z.K" => Value::Float(4.1),
        b".z.k" => Value::Date(9131),
        b".z.o" => Value::sym("l64"),
        b".z.i" => Value::Int(std::process::id() as i32),
        b".z.h" => Value::sym(if i.process.hostname.is_empty() {
            "localhost"
        } else {
            &i.process.hostname
        }),
        b".z.u" => Value::Symbol(i.session.user),
        b".z.x" => Value::list(i.process.args.iter().map(|a| Value::string(a)).collect()),
        b".z.X" => Value::list(i.process.argv.iter().map(|a| Value::string(a)).collect()),
        b".z.f" => Value::sym(&i.process.file),
        b".z.w" => Value::Int(i.session.handle as i32),
        b".z.a" => Value::Int(i.session.addr),
        b".z.b" => i.view_dependencies().ok()?,
        _ => return None,
    })
}

fn ints(a: &str) -> Vec<i64> {
    a.split_whitespace().filter_map(|w| w.parse().ok()).collect()
}

/// Run a system command (the text after `\`), returning its value (`::` for none).
pub fn command(i: &mut Interp, cmd: &str) -> QResult<Value> {
    let cmd = cmd.trim();
    let (name, arg) = match cmd.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (cmd, ""),
    };
    // `	:n expr` and `	s:n expr`: the repeat count rides on the command name.
    let timed;
    let (name, arg) = match name.split_once(':') {
        Some((n @ ("t" | "ts"), reps)) => {
            timed = format!(":{reps} {arg}");
            (n, timed.as_str())
        }
        _ => (name, arg),
    };
    if i.is_secondary()
        && !arg.is_empty()
        && matches!(
            name,
            "c" | "P"
                | "d"
                | "l"
                | "cd"
                | "e"
                | "g"
                | "o"
                | "p"
                | "T"
                | "S"
                | "W"
                | "z"
                | "u"
                | "x"
                | "r"
        )
    {
        // Settings are global state: not from a secondary thread.
        return Err(crate::parallel::noupdate());
    }
    if let Some(r) = i.host.setting(name, arg) {
        return r;
    }
    match name {
        "s" => crate::parallel::command(i, arg),
        "b" => Ok(i.view_names()),
        "B" => Ok(i.pending_views()),
        "c" => {
            if arg.is_empty() {
                return Ok(Value::Vector(Vector::ints(&[
                    i.console.rows as i32,
                    i.console.cols as i32,
                ])));
            }
            let v = ints(arg);
            if v.len() != 2 {
                return Err(QError::Domain);
            }
            i.console.rows = (v[0].clamp(10, 2000)) as usize;
            i.console.cols = (v[1].clamp(10, 2000)) as usize;
            Ok(GENERIC_NULL)
        }
        "P" => {
            if arg.is_empty() {
                return Ok(Value::Int(i.console.precision as i32));
            }
            let v = ints(arg);
            match v.as_slice() {
                [p] if (0..=17).contains(p) => {
                    i.console.precision = *p as usize;
                    Ok(GENERIC_NULL)
                }
                _ => Err(QError::Domain),
            }
        }
        "d" => {
            if arg.is_empty() {
                return Ok(Value::Symbol(if i.ns.is_null() { Sym::new(".") } else { i.ns }));
            }
            i.ns = if arg == "." { Sym::EMPTY } else { Sym::new(arg) };
            Ok(GENERIC_NULL)
        }
        "v" => {
            let names: Vec<Sym> =
                i.global_names().into_iter().filter(|n| !n.as_bytes().contains(&b'.')).collect();
            Ok(Value::Vector(Vector::syms(&names)))
        }
        "f" => {
            let names: Vec<Sym> = i
                .global_names()
                .into_iter()
                .filter(|n| {
                    !n.as_bytes().contains(&b'.') && matches!(i.get(*n), Some(Value::Lambda(_)))
                })
                .collect();
            Ok(Value::Vector(Vector::syms(&names)))
        }
        "a" => crate::prims::list::tables(i, GENERIC_NULL),
        "t" | "ts" => {
            let (reps, expr) = match arg.strip_prefix(':') {
                Some(rest) => {
                    let (n, e) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                    (n.parse::<i64>().map_err(|_| QError::Domain)?, e)
                }
                None => (1, arg),
            };
            let start = std::time::Instant::now();
            for _ in 0..reps.max(1) {
                i.eval_str(expr)?;
            }
            let ms = start.elapsed().as_millis() as i64;
            Ok(if name == "t" { Value::Long(ms) } else { Value::Vector(Vector::longs(&[ms, 0])) })
        }
        "w" => match arg {
            "" => Ok(Value::Vector(Vector::longs(&workspace()))),
            "0" | "1" => Ok(Value::Vector(Vector::longs(&symbol_space()))),
            _ => {
                // `\w n`: the workspace limit in MB; the answer is the limit in bytes.
                let mb: i64 = arg.parse().map_err(|_| QError::Domain)?;
                let bytes = usize::try_from(mb).ok().and_then(|m| m.checked_mul(1 << 20));
                match bytes {
                    Some(b) if b > 0 => {
                        crate::limits::set_total_limit(b);
                        crate::limits::set_ws_limit(b);
                        Ok(Value::Long(b as i64))
                    }
                    // Too large (or not positive): as `\w 0`, as kdb+ does.
                    _ => Ok(Value::Vector(Vector::longs(&symbol_space()))),
                }
            }
        },
        "l" => {
            let src = i.host.read_file(arg).map_err(|_| QError::Undefined(arg.into()))?;
            crate::script::run_script(i, &String::from_utf8_lossy(&src))?;
            Ok(GENERIC_NULL)
        }
        "cd" => {
            if arg.is_empty() {
                let d = i.host.cwd();
                return Ok(Value::string(&d));
            }
            i.host.chdir(arg).map_err(|_| QError::Os)?;
            Ok(GENERIC_NULL)
        }
        "x" if !arg.is_empty() => {
            // `\x .z.pg`: back to the default handler (the definition is removed).
            if arg.starts_with(".z.") {
                i.remove_global(Sym::new(arg));
            }
            Ok(GENERIC_NULL)
        }
        "e" | "g" | "o" | "p" | "T" | "S" | "W" | "z" | "u" | "x" | "r" => {
            // Recognised settings whose subsystems arrive later: reading gives the default.
            Ok(match name {
                "e" | "g" | "p" | "T" | "W" | "z" | "o" => Value::Int(0),
                _ => GENERIC_NULL,
            })
        }
        "\\" => crate::prims::ipc::exit(i, Value::Int(0)),
        _ => {
            // Anything else goes to the operating system.
            let lines = i.host.system(cmd).map_err(|_| QError::Os)?;
            Ok(Value::list(lines.iter().map(|l| Value::string(l)).collect()))
        }
    }
}

/// `\w`: kdb+'s used, heap, peak, wmax, mmap, mphy. With the `ferroq` binary's counting
/// allocator: `used` is the bytes allocated now; `peak` the most allocated at once since
/// the start or the last `.fq.resetpeak[]` (kdb+'s is the heap's high-water mark); `heap`
/// the process's anonymous resident bytes (the allocator keeps freed pages for reuse, as
/// kdb+'s does), at least `used`. Without a counter (embedded interpreters), `used` and
/// `heap` are the resident bytes and `peak` is their high-water mark. `wmax` is the `-w`
/// limit (0 for none), `mmap` the bytes of files mapped by `.arrow.read`, `mphy` the
/// physical memory.
fn workspace() -> [i64; 6] {
    let (resident, file) = crate::limits::resident_split();
    let (used, heap, peak) = match (crate::limits::live_bytes(), crate::limits::peak_bytes()) {
        (Some(used), Some(peak)) => (used, resident.saturating_sub(file).max(used), peak.max(used)),
        _ => (resident, resident, peak_resident().max(resident)),
    };
    #[cfg(feature = "arrow")]
    let mapped = fq_arrow::ipc::mapped_bytes();
    #[cfg(not(feature = "arrow"))]
    let mapped = 0;
    let long = |b: usize| i64::try_from(b).unwrap_or(i64::MAX);
    [
        long(used),
        long(heap),
        long(peak),
        long(crate::limits::total_limit_setting()),
        long(mapped),
        long(crate::limits::physical_memory()),
    ]
}

/// `\w 0`: the number of interned symbols and the bytes their names take (each name and
/// its terminating NUL, as kdb+ stores them).
fn symbol_space() -> [i64; 2] {
    let bytes = fq_value::sym::with_names(|names| names.iter().map(|n| n.len() + 1).sum::<usize>());
    [i64::from(fq_value::sym::symbol_count()), i64::try_from(bytes).unwrap_or(i64::MAX)]
}

/// Peak resident bytes of this process (Linux `VmHWM`; 0 where unknown).
fn peak_resident() -> usize {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return 0 };
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}
