//! Calendar and clock text for the temporal types, from kdb+'s representations.
//!
//! Values outside a day wrap into the date part (timestamps, datetimes) or into more
//! hours (time, second, minute: `25:00:00.000`); negative durations carry a leading `-`
//! (`-0D00:00:00.000000001`, `-00:00:01.000`).

use fq_value::temporal::{ymd_from_days, MILLIS_PER_DAY, NANOS_PER_DAY};
use std::fmt::Write;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// `yyyy.mm.dd` for days since 2000.01.01.
pub(crate) fn push_date(out: &mut String, days: i64) {
    let days = i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX });
    let (y, m, d) = ymd_from_days(days);
    let _ = write!(out, "{y:04}.{m:02}.{d:02}");
}

/// `yyyy.mm` for months since 2000.01.
pub(crate) fn push_month(out: &mut String, months: i32) {
    let m = i64::from(months);
    let _ = write!(out, "{:04}.{:02}", 2000 + m.div_euclid(12), m.rem_euclid(12) + 1);
}

/// `hh:mm:ss.nnnnnnnnn` for nanoseconds within a day (or more hours).
fn push_clock_nanos(out: &mut String, ns: u64) {
    let secs = ns / NANOS_PER_SEC;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}.{:09}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ns % NANOS_PER_SEC
    );
}

/// `hh:mm:ss.mmm` for milliseconds.
fn push_clock_millis(out: &mut String, ms: u64) {
    let secs = ms / 1000;
    let _ =
        write!(out, "{:02}:{:02}:{:02}.{:03}", secs / 3600, secs / 60 % 60, secs % 60, ms % 1000);
}

/// `yyyy.mm.ddDhh:mm:ss.nnnnnnnnn` for nanoseconds since 2000.01.01.
pub(crate) fn push_timestamp(out: &mut String, ns: i64) {
    push_date(out, ns.div_euclid(NANOS_PER_DAY));
    out.push('D');
    push_clock_nanos(out, ns.rem_euclid(NANOS_PER_DAY).unsigned_abs());
}

/// `[-]dDhh:mm:ss.nnnnnnnnn` for a duration in nanoseconds.
pub(crate) fn push_timespan(out: &mut String, ns: i64) {
    if ns < 0 {
        out.push('-');
    }
    let a = ns.unsigned_abs();
    let per_day = NANOS_PER_DAY.unsigned_abs();
    let _ = write!(out, "{}D", a / per_day);
    push_clock_nanos(out, a % per_day);
}

/// `[-]hh:mm` for minutes.
pub(crate) fn push_minute(out: &mut String, m: i32) {
    if m < 0 {
        out.push('-');
    }
    let a = m.unsigned_abs();
    let _ = write!(out, "{:02}:{:02}", a / 60, a % 60);
}

/// `[-]hh:mm:ss` for seconds.
pub(crate) fn push_second(out: &mut String, s: i32) {
    if s < 0 {
        out.push('-');
    }
    let a = s.unsigned_abs();
    let _ = write!(out, "{:02}:{:02}:{:02}", a / 3600, a / 60 % 60, a % 60);
}

/// `[-]hh:mm:ss.mmm` for milliseconds.
pub(crate) fn push_time(out: &mut String, ms: i32) {
    if ms < 0 {
        out.push('-');
    }
    push_clock_millis(out, u64::from(ms.unsigned_abs()));
}

/// `yyyy.mm.ddThh:mm:ss.mmm` for fractional days since 2000.01.01, rounded to the
/// millisecond. `x` must be finite.
pub(crate) fn push_datetime(out: &mut String, x: f64) {
    let per_day = i64::from(MILLIS_PER_DAY);
    // `as` saturates: absurd magnitudes land on the i64 range, then clamp in push_date.
    let ms = (x * per_day as f64).round() as i64;
    push_date(out, ms.div_euclid(per_day));
    out.push('T');
    push_clock_millis(out, ms.rem_euclid(per_day).unsigned_abs());
}
