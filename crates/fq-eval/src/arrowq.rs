//! The `.arrow` namespace (cargo feature `arrow`): Arrow IPC files and streams as q tables.
//!
//! - `.arrow.read path` → table (path: `` `:f.arrow ``, `` `f.arrow `` or `"f.arrow"`)
//! - `.arrow.write[path;t]` → `` `:path `` (t a table or keyed table; keys are unkeyed)
//! - `.arrow.readstream` / `.arrow.writestream`: the same for the IPC stream format.
//!
//! Options ride along with the path as further symbols: `` .arrow.read`:f.arrow`strings ``
//! reads string columns as q strings instead of symbols; `` .arrow.write[`:f`nulls;t] ``
//! adds validity bitmaps for q nulls, `` `utf8 `` writes symbols as Utf8 instead of
//! dictionaries. Like `.Q`, the functions are lambdas over internal functions `-n!x`
//! (codes below); files go through the [`crate::Host`].

use crate::interp::Interp;
use fq_arrow::{ipc, StringsAs, SymbolsAs, ToArrowOptions, ToQOptions};
use fq_value::{Lambda, QError, QResult, QType, Sym, Value};
use std::sync::Arc;

/// First and last internal-function codes taken by `.arrow`.
pub const FIRST: i64 = -1103;
/// See [`FIRST`].
pub const LAST: i64 = -1100;

const READ: i64 = -1100;
const WRITE: i64 = -1101;
const READ_STREAM: i64 = -1102;
const WRITE_STREAM: i64 = -1103;

static LAMBDAS: &[(&str, &str)] = &[
    ("read", "{-1100!x}"),
    ("write", "{-1101!(x;y)}"),
    ("readstream", "{-1102!x}"),
    ("writestream", "{-1103!(x;y)}"),
];

/// The value of `.arrow.name`, if defined.
pub fn var(s: Sym) -> Option<Value> {
    let name = s.as_bytes().strip_prefix(b".arrow.")?;
    let (_, src) = LAMBDAS.iter().find(|(n, _)| n.as_bytes() == name)?;
    Some(Value::Lambda(Arc::new(Lambda::new(Sym::new(".arrow"), *src))))
}

/// `-n!x` for the `.arrow` codes ([`FIRST`]..=[`LAST`]).
pub fn call(i: &mut Interp, n: i64, x: Value) -> QResult<Value> {
    match n {
        READ | READ_STREAM => {
            let (path, flags) = path_and_flags(&x)?;
            let mut opts = ToQOptions::default();
            for f in flags {
                match f.as_bytes() {
                    b"strings" => opts.strings = StringsAs::Strings,
                    b"symbols" => opts.strings = StringsAs::Symbols,
                    _ => return Err(QError::Domain),
                }
            }
            if n == READ && i.host.real_files() {
                return Ok(fq_arrow::read_file_mapped(&path, &opts)?.into());
            }
            let bytes = i.host.read_file(&path).map_err(|e| ipc::os_error(&path, &e))?;
            let t = if n == READ {
                fq_arrow::read_ipc_file_buffer(arrow_buffer_from(bytes), &opts)?
            } else {
                fq_arrow::read_ipc_stream(&bytes, &opts)?
            };
            Ok(t.into())
        }
        WRITE | WRITE_STREAM => {
            let (target, t) = match crate::atomic::items(&x) {
                Some(v) if v.len() == 2 => {
                    let mut it = v.into_iter();
                    (
                        it.next().unwrap_or(fq_value::GENERIC_NULL),
                        it.next().unwrap_or(fq_value::GENERIC_NULL),
                    )
                }
                _ => return Err(QError::Rank),
            };
            let (path, flags) = path_and_flags(&target)?;
            let mut opts = ToArrowOptions::default();
            for f in flags {
                match f.as_bytes() {
                    b"nulls" => opts.nulls = true,
                    b"utf8" => opts.symbols = SymbolsAs::Utf8,
                    b"dict" => opts.symbols = SymbolsAs::Dictionary,
                    _ => return Err(QError::Domain),
                }
            }
            let bytes = if n == WRITE {
                fq_arrow::write_ipc_file(&t, &opts)?
            } else {
                fq_arrow::write_ipc_stream(&t, &opts)?
            };
            i.host.write_file(&path, &bytes).map_err(|e| ipc::os_error(&path, &e))?;
            let mut hsym = b":".to_vec();
            hsym.extend_from_slice(path.as_bytes());
            Ok(Value::Symbol(Sym::from_bytes(&hsym)))
        }
        _ => Err(QError::Nyi),
    }
}

/// A file path (hsym, symbol or string), then option symbols.
fn path_and_flags(x: &Value) -> QResult<(String, Vec<Sym>)> {
    let (first, rest): (Value, Vec<Sym>) = match x {
        Value::Symbol(_) => (x.clone(), vec![]),
        Value::Vector(v) if v.ty() == QType::CHAR => (x.clone(), vec![]),
        Value::Vector(v) if v.ty() == QType::SYMBOL && !v.is_empty() => {
            let s = v.as_slice::<Sym>();
            (Value::Symbol(s[0]), s[1..].to_vec())
        }
        Value::List(l) if !l.is_empty() => {
            let mut rest = Vec::new();
            for item in &l.items()[1..] {
                match item {
                    Value::Symbol(s) => rest.push(*s),
                    Value::Vector(v) if v.ty() == QType::SYMBOL => {
                        rest.extend_from_slice(v.as_slice::<Sym>())
                    }
                    _ => return Err(QError::Type),
                }
            }
            (l.items()[0].clone(), rest)
        }
        _ => return Err(QError::Type),
    };
    let bytes: Vec<u8> = match &first {
        Value::Symbol(s) => s.as_bytes().to_vec(),
        Value::Vector(v) if v.ty() == QType::CHAR => v.as_bytes().to_vec(),
        _ => return Err(QError::Type),
    };
    let bytes = bytes.strip_prefix(b":").unwrap_or(&bytes);
    if bytes.is_empty() {
        return Err(QError::Domain);
    }
    let path = String::from_utf8(bytes.to_vec()).map_err(|_| QError::Domain)?;
    Ok((path, rest))
}

/// An Arrow buffer adopting the bytes (no copy).
fn arrow_buffer_from(bytes: Vec<u8>) -> fq_arrow::ArrowBuffer {
    fq_arrow::ArrowBuffer::from_vec(bytes)
}

#[cfg(test)]
mod tests {
    use crate::{Interp, MemHost};
    use fq_value::Value;

    fn q(i: &mut Interp, src: &str) -> Value {
        i.eval_str(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn write_then_read_gives_the_table_back() {
        let mut i = Interp::new(Box::new(MemHost::default()));
        q(
            &mut i,
            "t:([]time:2024.01.02D09:30:00.000000001 0Np;sym:`ibm`;price:1.5 0n;size:100 0N;\
             d:2024.01.02 0Nd;m:2024.01 2000.12m;s:(\"ab\";\"\");c:\"xy\";b:10b;n:0D01 0Nn)",
        );
        assert_eq!(q(&mut i, ".arrow.write[`:t.arrow;t]"), Value::sym(":t.arrow"));
        assert_eq!(q(&mut i, ".arrow.write[`:t2.arrow;t]"), Value::sym(":t2.arrow"));
        assert_eq!(q(&mut i, "t~.arrow.read`:t.arrow"), Value::Bool(true));
        assert_eq!(q(&mut i, "t~.arrow.read\"t2.arrow\""), Value::Bool(true));
        // Streams, options, keyed tables.
        q(&mut i, ".arrow.writestream[`:t.arrows`nulls`utf8;t]");
        assert_eq!(q(&mut i, "t~.arrow.readstream`:t.arrows"), Value::Bool(true));
        assert_eq!(q(&mut i, "(.arrow.read`:t.arrow`strings)`sym"), q(&mut i, "(\"ibm\";\"\")"));
        q(&mut i, ".arrow.write[`:k.arrow;`sym xkey t]");
        assert_eq!(q(&mut i, "(0!`sym xkey t)~.arrow.read`:k.arrow"), Value::Bool(true));
    }

    #[test]
    fn errors() {
        let mut i = Interp::new(Box::new(MemHost::default()));
        let e = i.eval_str(".arrow.read`:nope.arrow").err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("'nope.arrow. OS reports: No such file or directory"));
        i.host.write_file("junk.arrow", b"ARROW1 but not really").unwrap();
        let e = i.eval_str(".arrow.read`:junk.arrow").err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.starts_with("'arrow: ")));
        let e = i.eval_str(".arrow.write[`:x.arrow;42]").err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("'type"));
        let e = i.eval_str(".arrow.write[`:x.arrow;([]f:(1;`a))]").err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.starts_with("'nyi") && e.contains("column f")));
    }
}
