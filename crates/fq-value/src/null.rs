//! Nulls and infinities of every q type, with kdb+'s bit patterns.
//!
//! q keeps nulls in-band: the minimum value of an integral type is its null (`0N`), the
//! maximum its positive infinity (`0W`) and minimum+1 its negative infinity (`-0W`).
//! Floating types use NaN for null and IEEE infinities. The wire form of a float null is
//! the quiet NaN `0x7FF8000000000000` (`0x7FC00000` for reals), which is what
//! [`NULL_F64`] and [`NULL_F32`] hold.

/// `0Nh`.
pub const NULL_I16: i16 = i16::MIN;
/// `0Wh`.
pub const INF_I16: i16 = i16::MAX;
/// `0Ni` (also the null of month, date, minute, second, time).
pub const NULL_I32: i32 = i32::MIN;
/// `0Wi` (also the infinity of month, date, minute, second, time).
pub const INF_I32: i32 = i32::MAX;
/// `0N` / `0Nj` (also the null of timestamp and timespan).
pub const NULL_I64: i64 = i64::MIN;
/// `0W` / `0Wj` (also the infinity of timestamp and timespan).
pub const INF_I64: i64 = i64::MAX;
/// `0Ne`: the quiet NaN kdb+ writes.
pub const NULL_F32: f32 = f32::from_bits(0x7FC0_0000);
/// `0We`.
pub const INF_F32: f32 = f32::INFINITY;
/// `0n`: the quiet NaN kdb+ writes.
pub const NULL_F64: f64 = f64::from_bits(0x7FF8_0000_0000_0000);
/// `0w`.
pub const INF_F64: f64 = f64::INFINITY;
/// The null char is a blank.
pub const NULL_CHAR: u8 = b' ';
/// `0Ng`: sixteen zero bytes.
pub const NULL_GUID: [u8; 16] = [0; 16];

/// Element types with an in-band null and infinities.
pub trait QNull: Copy {
    /// The null of this element type.
    const NULL: Self;
    /// Positive infinity (or the maximum for types with no infinity).
    const INF: Self;
    /// Negative infinity.
    const NEG_INF: Self;
    /// True when `self` is q's null of this type (any NaN for floats).
    fn is_null(self) -> bool;
}

macro_rules! int_null {
    ($t:ty) => {
        impl QNull for $t {
            const NULL: Self = <$t>::MIN;
            const INF: Self = <$t>::MAX;
            const NEG_INF: Self = <$t>::MIN + 1;
            #[inline]
            fn is_null(self) -> bool {
                self == <$t>::MIN
            }
        }
    };
}
int_null!(i16);
int_null!(i32);
int_null!(i64);

impl QNull for f32 {
    const NULL: Self = NULL_F32;
    const INF: Self = f32::INFINITY;
    const NEG_INF: Self = f32::NEG_INFINITY;
    #[inline]
    fn is_null(self) -> bool {
        self.is_nan()
    }
}

impl QNull for f64 {
    const NULL: Self = NULL_F64;
    const INF: Self = f64::INFINITY;
    const NEG_INF: Self = f64::NEG_INFINITY;
    #[inline]
    fn is_null(self) -> bool {
        self.is_nan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_bits() {
        assert_eq!(NULL_F64.to_le_bytes(), [0, 0, 0, 0, 0, 0, 0xf8, 0x7f]);
        assert_eq!(NULL_F32.to_le_bytes(), [0, 0, 0xc0, 0x7f]);
        assert!(i64::NULL.is_null() && !i64::NEG_INF.is_null());
        assert_eq!(i16::NEG_INF, -32767);
        assert!(f64::NAN.is_null());
    }
}
