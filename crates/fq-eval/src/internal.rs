//! Internal functions `-n!x` (KX ref: internal): serialisation through the IPC codec and
//! a few introspection helpers.

use crate::interp::Interp;
use fq_ipc::{compress, serialize};
use fq_value::{QError, QResult, QType, Value, Vector};

fn bytes_of(v: &Value) -> QResult<&[u8]> {
    match v {
        Value::Vector(x) if x.ty() == QType::BYTE => Ok(x.as_bytes()),
        _ => Err(QError::Type),
    }
}

/// Call `-n!x`.
pub fn call(i: &mut Interp, n: i32, x: Value) -> QResult<Value> {
    match n {
        // -8!x: serialise to IPC bytes.
        -8 => {
            let b = serialize(&x).map_err(|e| e.to_q())?;
            Ok(Value::Vector(Vector::bytes(&b)))
        }
        // -9!x: deserialise IPC bytes.
        -9 => fq_ipc::deserialize(bytes_of(&x)?),
        // -18!x: serialise and compress (uncompressed when compression does not pay).
        -18 => {
            let b = serialize(&x).map_err(|e| e.to_q())?;
            Ok(Value::Vector(Vector::bytes(&compress::compress(&b).unwrap_or(b))))
        }
        // -22!x: uncompressed length of x's serialisation.
        -22 => {
            let n = fq_ipc::encoded_len(&x).map_err(|e| e.to_q())?;
            Ok(Value::Long(n as i64 + fq_ipc::HEADER_LEN as i64))
        }
        // -3!x: the string form of x.
        -3 => {
            let s = fq_format::Settings {
                rows: i.console.rows,
                cols: i.console.cols,
                precision: i.console.precision,
            };
            Ok(Value::string(&fq_format::repr(&x, &s)))
        }
        _ => Err(QError::Nyi),
    }
}
