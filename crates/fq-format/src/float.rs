//! Floating-point text under `\P`: C's `%.*g`, which is what kdb+ uses.
//!
//! `%.Pg` picks scientific notation when the decimal exponent is below -4 or at least `P`,
//! and strips trailing zeros either way: `0.1428571`, `1.234568e+08`, `1e-05`, `100000`.

use std::fmt::Write;

/// Append `x` formatted as C's `printf("%.{digits}g", x)`. `x` must be finite.
pub(crate) fn push_g(out: &mut String, x: f64, digits: usize) {
    let p = digits.max(1);
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    // The exponent %g uses is the one of the %e conversion at precision p-1, after rounding.
    let sci = format!("{:.*e}", p - 1, x);
    let Some((mantissa, exp)) = sci.split_once('e') else {
        out.push_str(&sci);
        return;
    };
    let exp: i64 = exp.parse().unwrap_or(0);
    let p_i = i64::try_from(p).unwrap_or(i64::MAX);
    if exp < -4 || exp >= p_i {
        out.push_str(strip_zeros(mantissa));
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exp.unsigned_abs());
    } else {
        let decimals = usize::try_from(p_i - 1 - exp).unwrap_or(0);
        let fixed = format!("{x:.decimals$}");
        out.push_str(strip_zeros(&fixed));
    }
}

/// Drop trailing zeros after a decimal point, and the point itself if nothing follows.
fn strip_zeros(s: &str) -> &str {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: f64, p: usize) -> String {
        let mut s = String::new();
        push_g(&mut s, x, p);
        s
    }

    #[test]
    fn matches_printf_g() {
        assert_eq!(g(1.0 / 7.0, 7), "0.1428571");
        assert_eq!(g(123_456_789.0, 7), "1.234568e+08");
        assert_eq!(g(1e-5, 7), "1e-05");
        assert_eq!(g(0.0001, 7), "0.0001");
        assert_eq!(g(1_000_000.0, 7), "1000000");
        assert_eq!(g(10_000_000.0, 7), "1e+07");
        assert_eq!(g(1.5, 7), "1.5");
        assert_eq!(g(-2.5, 7), "-2.5");
        assert_eq!(g(-0.0, 7), "-0");
        assert_eq!(g(1e-128, 7), "1e-128");
        assert_eq!(g(9.9999999, 7), "10");
        assert_eq!(g(0.1, 17), "0.10000000000000001");
        assert_eq!(g(1.0 / 3.0, 3), "0.333");
        assert_eq!(g(5e-324, 17), "4.9406564584124654e-324");
    }
}
