//! Temporal epochs and calendar arithmetic.
//!
//! q counts every temporal type from 2000.01.01: timestamps in nanoseconds, dates in
//! days, months in months, datetimes in fractional days. Unix-based consumers (Arrow,
//! Python) shift by the constants here.

/// Days from 1970.01.01 to 2000.01.01.
pub const EPOCH_OFFSET_DAYS: i64 = 10_957;
/// Seconds from 1970.01.01 to 2000.01.01.
pub const EPOCH_OFFSET_SECS: i64 = 946_684_800;
/// Nanoseconds from 1970.01.01 to 2000.01.01.
pub const EPOCH_OFFSET_NANOS: i64 = 946_684_800_000_000_000;
/// Nanoseconds in a day.
pub const NANOS_PER_DAY: i64 = 86_400_000_000_000;
/// Milliseconds in a day.
pub const MILLIS_PER_DAY: i32 = 86_400_000;

/// (year, month 1..=12, day 1..=31) for a q date (days since 2000.01.01).
///
/// Proleptic Gregorian, valid for the whole i32 range (H. Hinnant's algorithm).
pub fn ymd_from_days(days: i32) -> (i32, u32, u32) {
    let z = i64::from(days) + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// Days since 2000.01.01 for a proleptic Gregorian (year, month, day).
///
/// Month and day are not validated; callers check ranges first.
pub fn days_from_ymd(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 - 10_957
}

/// True for a valid calendar day.
pub fn is_valid_ymd(y: i32, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    d <= days[(m - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(ymd_from_days(0), (2000, 1, 1));
        assert_eq!(ymd_from_days(366), (2001, 1, 1));
        assert_eq!(ymd_from_days(121), (2000, 5, 1));
        assert_eq!(ymd_from_days(-10_957), (1970, 1, 1));
        for d in (-800_000..800_000).step_by(997) {
            let (y, m, dd) = ymd_from_days(d);
            assert!(is_valid_ymd(y, m, dd));
            assert_eq!(days_from_ymd(y, m, dd), i64::from(d));
        }
    }
}
