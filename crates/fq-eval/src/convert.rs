//! Conversions between atoms and vectors.

use fq_value::{QType, Sym, Value, Vector};

/// A typed vector from atoms that all have the atom type of `ty`.
pub fn atoms_to_vector(ty: QType, atoms: &[Value]) -> Option<Value> {
    macro_rules! collect {
        ($t:ty, $pat:pat => $e:expr) => {{
            let v: Vec<$t> = atoms
                .iter()
                .map(|a| match a {
                    $pat => Some($e),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            Vector::new(ty, &v)
        }};
    }
    let v = match ty.code() {
        1 => collect!(u8, Value::Bool(b) => u8::from(*b)),
        2 => collect!([u8; 16], Value::Guid(g) => **g),
        4 => collect!(u8, Value::Byte(b) => *b),
        5 => collect!(i16, Value::Short(x) => *x),
        6 => collect!(i32, Value::Int(x) => *x),
        7 => collect!(i64, Value::Long(x) => *x),
        8 => collect!(f32, Value::Real(x) => *x),
        9 => collect!(f64, Value::Float(x) => *x),
        10 => collect!(u8, Value::Char(x) => *x),
        11 => collect!(Sym, Value::Symbol(x) => *x),
        12 => collect!(i64, Value::Timestamp(x) => *x),
        13 => collect!(i32, Value::Month(x) => *x),
        14 => collect!(i32, Value::Date(x) => *x),
        15 => collect!(f64, Value::Datetime(x) => *x),
        16 => collect!(i64, Value::Timespan(x) => *x),
        17 => collect!(i32, Value::Minute(x) => *x),
        18 => collect!(i32, Value::Second(x) => *x),
        19 => collect!(i32, Value::Time(x) => *x),
        _ => return None,
    };
    Some(Value::Vector(v))
}

/// One-item vector from an atom (`enlist` of an atom).
pub fn enlist_atom(a: &Value) -> Value {
    atoms_to_vector(a.qtype().vector(), std::slice::from_ref(a))
        .unwrap_or_else(|| Value::list(vec![a.clone()]))
}

/// An i64 reading of an integral atom (bool, byte, short, int, long), for indices and counts.
pub fn atom_i64(v: &Value) -> Option<i64> {
    Some(match v {
        Value::Bool(b) => i64::from(*b),
        Value::Byte(x) => i64::from(*x),
        Value::Short(x) => i64::from(*x),
        Value::Int(x) => i64::from(*x),
        Value::Long(x) => *x,
        _ => return None,
    })
}

/// Integral items as i64 (bool, byte, short, int, long vectors), for index vectors.
pub fn vector_i64(v: &Vector) -> Option<Vec<i64>> {
    Some(match v.ty().code() {
        1 | 4 => v.as_slice::<u8>().iter().map(|&x| i64::from(x)).collect(),
        5 => v
            .as_slice::<i16>()
            .iter()
            .map(|&x| if x == i16::MIN { i64::MIN } else { i64::from(x) })
            .collect(),
        6 => v
            .as_slice::<i32>()
            .iter()
            .map(|&x| if x == i32::MIN { i64::MIN } else { i64::from(x) })
            .collect(),
        7 => v.as_slice::<i64>().to_vec(),
        _ => return None,
    })
}
