//! `hopen` and `hclose`: IPC handles. The sockets live in the [`Host`](crate::Host); the
//! interpreter only parses kdb+'s connection strings.

use crate::interp::Interp;
use fq_value::{QError, QResult, Value, GENERIC_NULL};

/// The connection text of a `hopen` argument, without the leading colon, and its timeout
/// in milliseconds (0: none). Accepts a port (`hopen 5001`), `` `:host:port[:user:pw] ``
/// (also as a string), `` `::port ``, `` `:unix://port `` and `(target;timeout)`.
fn target(x: &Value) -> QResult<(String, i64)> {
    match x {
        Value::Int(p) => Ok((format!("localhost:{p}"), 0)),
        Value::Long(p) => Ok((format!("localhost:{p}"), 0)),
        Value::Short(p) => Ok((format!("localhost:{p}"), 0)),
        Value::Symbol(s) => text(&s.name()),
        Value::Vector(v) if v.ty() == fq_value::QType::CHAR => {
            text(&String::from_utf8_lossy(v.as_bytes()))
        }
        Value::List(l) if l.len() == 2 => {
            let items = l.items();
            let (t, _) = target(&items[0])?;
            let ms = match &items[1] {
                Value::Int(n) => i64::from(*n),
                Value::Long(n) => *n,
                Value::Short(n) => i64::from(*n),
                _ => return Err(QError::Type),
            };
            Ok((t, ms.max(0)))
        }
        _ => Err(QError::Type),
    }
}

fn text(s: &str) -> QResult<(String, i64)> {
    let Some(rest) = s.strip_prefix(':') else { return Err(QError::Type) };
    if rest.is_empty() {
        return Err(QError::Signal("hop".into()));
    }
    Ok((rest.to_string(), 0))
}

/// `hopen x`: open a connection; the handle.
pub fn hopen(i: &mut Interp, x: Value) -> QResult<Value> {
    let (t, ms) = target(&x)?;
    let h = i.host.hopen(&t, ms)?;
    Ok(Value::Int(h as i32))
}

/// `hclose h`: close a connection.
pub fn hclose(i: &mut Interp, x: Value) -> QResult<Value> {
    let h = match x {
        Value::Int(h) => i64::from(h),
        Value::Long(h) => h,
        Value::Short(h) => i64::from(h),
        _ => return Err(QError::Type),
    };
    i.host.hclose(h.abs())?;
    Ok(GENERIC_NULL)
}

/// `exit n`: run `.z.exit` (if defined) with the code, then end the process.
pub fn exit(i: &mut Interp, x: Value) -> QResult<Value> {
    let code = match x {
        Value::Int(n) => n,
        Value::Long(n) => n as i32,
        Value::Short(n) => i32::from(n),
        Value::Bool(b) => i32::from(b),
        _ => return Err(QError::Type),
    };
    if let Some(f) = i.get(fq_value::Sym::new(".z.exit")).cloned() {
        let _ = i.apply(&f, vec![Value::Int(code)]);
    }
    i.host.exit(code);
    Ok(GENERIC_NULL)
}
