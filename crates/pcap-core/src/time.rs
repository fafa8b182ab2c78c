//! RFC 3339 timestamps (UTC) for packet times, so that every capture tool
//! prints them the same way, and reads them back ([`parse_rfc3339`]).
//!
//! ```
//! use pcap_core::time::{Rfc3339, format_rfc3339};
//!
//! let ts_ns = 1_709_210_096_123_456_789; // 2024-02-29 12:34:56.123456789 UTC
//! assert_eq!(format_rfc3339(ts_ns, 6), "2024-02-29T12:34:56.123456Z");
//! // Without allocating, e.g. straight into a writer:
//! let mut out = Vec::new();
//! std::io::Write::write_fmt(&mut out, format_args!("{}", Rfc3339::new(ts_ns, 9))).unwrap();
//! assert_eq!(out, b"2024-02-29T12:34:56.123456789Z");
//! ```

use std::fmt;

/// A timestamp in nanoseconds since the Unix epoch, displayed as RFC 3339
/// UTC (`2026-11-25T09:30:00.123456Z`) with `digits` fractional digits
/// (0 to 9; 0 prints no fraction and no dot, more than 9 is taken as 9).
///
/// The fraction is truncated, never rounded (like `tshark` and `strftime`):
/// a time never shows as the next second. Times before 1970 count
/// backwards as usual (`-1` ns is `1969-12-31T23:59:59.999999999Z`).
/// Every `i64` is valid (years 1677 to 2262); the date is the proleptic
/// Gregorian calendar, leap seconds are not represented (as in Unix time).
///
/// Formatting does not allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfc3339 {
    ts_ns: i64,
    digits: u8,
}

impl Rfc3339 {
    /// `ts_ns` (nanoseconds since the epoch) with `digits` fractional digits.
    pub const fn new(ts_ns: i64, digits: u8) -> Self {
        Rfc3339 {
            ts_ns,
            digits: if digits > 9 { 9 } else { digits },
        }
    }

    /// The text in `buf` (`YYYY-MM-DDTHH:MM:SS[.f...]Z`, at most 30
    /// bytes), its length. Written digit by digit: every row of the
    /// capture tools has a timestamp, and the formatter's padding costs
    /// several times more. i64 nanoseconds span the years 1677 to 2262, so
    /// the year always has four digits.
    fn text(&self, buf: &mut [u8; 30]) -> usize {
        fn put(buf: &mut [u8], mut n: u64) {
            for b in buf.iter_mut().rev() {
                *b = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
        let secs = self.ts_ns.div_euclid(1_000_000_000);
        let nanos = self.ts_ns.rem_euclid(1_000_000_000);
        let sod = secs.rem_euclid(86_400) as u64;
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        put(&mut buf[0..4], y as u64);
        buf[4] = b'-';
        put(&mut buf[5..7], m as u64);
        buf[7] = b'-';
        put(&mut buf[8..10], d as u64);
        buf[10] = b'T';
        put(&mut buf[11..13], sod / 3600);
        buf[13] = b':';
        put(&mut buf[14..16], sod % 3600 / 60);
        buf[16] = b':';
        put(&mut buf[17..19], sod % 60);
        let mut n = 19;
        if self.digits > 0 {
            let w = usize::from(self.digits);
            let frac = nanos / 10i64.pow(9 - u32::from(self.digits));
            buf[19] = b'.';
            put(&mut buf[20..20 + w], frac as u64);
            n = 20 + w;
        }
        buf[n] = b'Z';
        n + 1
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 30];
        let n = self.text(&mut buf);
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

/// [`Rfc3339`] as a `String`: `ts_ns` nanoseconds since the epoch in UTC
/// with `digits` (0 to 9) fractional digits, truncated.
pub fn format_rfc3339(ts_ns: i64, digits: u8) -> String {
    Rfc3339::new(ts_ns, digits).to_string()
}

/// Parses a time into nanoseconds since the epoch, the inverse of
/// [`format_rfc3339`]: RFC 3339 (`2026-11-25T09:30:00Z`,
/// `2026-11-25T09:30:00.25+01:00`; `t`, `z` and a space for `T` accepted)
/// or, in UTC, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`,
/// `YYYY-MM-DD HH:MM:SS[.frac]` (`T` in place of the space too).
/// Fractions beyond nanoseconds are truncated. `None` for anything else,
/// and outside the years 1678 to 2261 (the range of i64 nanoseconds).
///
/// ```
/// use pcap_core::time::{format_rfc3339, parse_rfc3339};
///
/// let ts = parse_rfc3339("2024-02-29T13:34:56.5+01:00").unwrap();
/// assert_eq!(format_rfc3339(ts, 1), "2024-02-29T12:34:56.5Z");
/// assert_eq!(parse_rfc3339("2024-02-30"), None);
/// ```
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = b.get(r)?;
        if d.iter().all(u8::is_ascii_digit) {
            Some(d.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')))
        } else {
            None
        }
    };
    // Date.
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1678..=2261).contains(&y) || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let mut nanos = 0i64;
    let mut i = 10;
    if i < b.len() {
        if !matches!(b[i], b'T' | b't' | b' ') {
            return None;
        }
        i += 1;
        // HH:MM
        let (h, mi) = (num(i..i + 2)?, num(i + 3..i + 5)?);
        if b.get(i + 2) != Some(&b':') || h > 23 || mi > 59 {
            return None;
        }
        secs += h * 3600 + mi * 60;
        i += 5;
        if b.get(i) == Some(&b':') {
            let sec = num(i + 1..i + 3)?;
            if sec > 59 {
                return None; // leap seconds are not Unix time
            }
            secs += sec;
            i += 3;
            if b.get(i) == Some(&b'.') {
                i += 1;
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let digits = i - start;
                if digits == 0 {
                    return None;
                }
                // Up to nanoseconds; further digits are truncated.
                let used = digits.min(9);
                nanos = num(start..start + used)? * 10i64.pow(9 - used as u32);
            }
        }
        // Zone: Z, +HH:MM, -HH:MM, or none (UTC).
        match b.get(i) {
            None => {}
            Some(b'Z' | b'z') if i + 1 == b.len() => {}
            Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
                let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let off = oh * 3600 + om * 60;
                // Local time = UTC + offset.
                secs -= if sign == b'+' { off } else { -off };
            }
            _ => return None,
        }
    }
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar, after Howard Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html>).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: i64 = 1_000_000_000;

    /// The digit-by-digit text equals the formatter's padded one.
    #[test]
    fn direct_text_equals_the_padded_format() {
        /// The formatter's padded text (what `Rfc3339` wrote before).
        struct Padded(Rfc3339);
        impl fmt::Display for Padded {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let secs = self.0.ts_ns.div_euclid(1_000_000_000);
                let nanos = self.0.ts_ns.rem_euclid(1_000_000_000);
                let sod = secs.rem_euclid(86_400);
                let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
                write!(
                    f,
                    "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
                    sod / 3600,
                    sod % 3600 / 60,
                    sod % 60
                )?;
                if self.0.digits > 0 {
                    let w = usize::from(self.0.digits);
                    let frac = nanos / 10i64.pow(9 - u32::from(self.0.digits));
                    write!(f, ".{frac:0w$}")?;
                }
                f.write_str("Z")
            }
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut cases: Vec<i64> = vec![0, -1, 1, i64::MIN, i64::MAX, 1_700_000_000_123_456_789];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push(x as i64);
        }
        for ts in cases {
            for digits in 0..=9u8 {
                let r = Rfc3339::new(ts, digits);
                let want = Padded(r).to_string();
                assert_eq!(format_rfc3339(ts, digits), want, "{ts} {digits}");
                assert_eq!(r.to_string(), want, "{ts} {digits}");
            }
        }
    }

    #[test]
    fn known_dates() {
        // Expected values from `date -u -d @SECONDS +%FT%TZ`.
        assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(0, 9), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            format_rfc3339(1_709_164_800 * NS, 6),
            "2024-02-29T00:00:00.000000Z"
        );
        // The second after the leap day's last one.
        assert_eq!(
            format_rfc3339(1_709_251_200 * NS - 1, 0),
            "2024-02-29T23:59:59Z"
        );
        assert_eq!(
            format_rfc3339(1_709_251_200 * NS, 0),
            "2024-03-01T00:00:00Z"
        );
        // 2038: past the 32-bit time_t limit (2^31 s).
        assert_eq!(
            format_rfc3339(2_147_483_648 * NS, 3),
            "2038-01-19T03:14:08.000Z"
        );
        assert_eq!(
            format_rfc3339(4_102_444_800 * NS, 0),
            "2100-01-01T00:00:00Z"
        );
        // Before 1970.
        assert_eq!(format_rfc3339(-86_400 * NS, 0), "1969-12-31T00:00:00Z");
        assert_eq!(
            format_rfc3339(-2_208_988_800 * NS, 6),
            "1900-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn fractions_are_truncated_never_rounded() {
        let t = 1_795_600_800 * NS + 999_999_999; // 2026-11-25T10:00:00.999999999Z
        assert_eq!(format_rfc3339(t, 9), "2026-11-25T10:00:00.999999999Z");
        assert_eq!(format_rfc3339(t, 6), "2026-11-25T10:00:00.999999Z");
        assert_eq!(format_rfc3339(t, 3), "2026-11-25T10:00:00.999Z");
        assert_eq!(format_rfc3339(t, 1), "2026-11-25T10:00:00.9Z");
        assert_eq!(format_rfc3339(t, 0), "2026-11-25T10:00:00Z");
        // Leading zeros of the fraction are kept.
        assert_eq!(
            format_rfc3339(1_795_600_800 * NS + 1_000_000, 6),
            "2026-11-25T10:00:00.001000Z"
        );
        assert_eq!(
            format_rfc3339(1_795_600_800 * NS + 5, 9),
            "2026-11-25T10:00:00.000000005Z"
        );
        assert_eq!(
            format_rfc3339(1_795_600_800 * NS + 5, 6),
            "2026-11-25T10:00:00.000000Z"
        );
        // More than 9 digits is 9.
        assert_eq!(
            format_rfc3339(1_795_600_800 * NS + 5, 12),
            "2026-11-25T10:00:00.000000005Z"
        );
    }

    #[test]
    fn negative_times_count_back_from_the_epoch() {
        assert_eq!(format_rfc3339(-1, 9), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(format_rfc3339(-1_000, 6), "1969-12-31T23:59:59.999999Z");
        assert_eq!(format_rfc3339(-1, 0), "1969-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(-NS, 0), "1969-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(-NS - 1, 0), "1969-12-31T23:59:58Z");
    }

    #[test]
    fn the_whole_i64_range_formats() {
        // date -u -d @9223372036 / @-9223372037
        assert_eq!(
            format_rfc3339(i64::MAX, 9),
            "2262-04-11T23:47:16.854775807Z"
        );
        assert_eq!(
            format_rfc3339(i64::MIN, 9),
            "1677-09-21T00:12:43.145224192Z"
        );
    }

    #[test]
    fn display_equals_the_string() {
        let r = Rfc3339::new(1_709_164_800 * NS, 6);
        assert_eq!(format!("{r}"), format_rfc3339(1_709_164_800 * NS, 6));
    }

    /// Every day from 1677 to 2263 against a calendar counted day by day
    /// (leap years by the Gregorian rule), independent of the formula.
    #[test]
    fn every_day_matches_a_naive_calendar() {
        fn leap(y: i64) -> bool {
            (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        }
        fn month_len(y: i64, m: i64) -> i64 {
            match m {
                2 if leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            }
        }
        // Start at 1677-01-01: days from it to 1970-01-01.
        let start_days = -(1677..1970)
            .map(|y| if leap(y) { 366 } else { 365 })
            .sum::<i64>();
        let (mut y, mut m, mut d) = (1677, 1, 1);
        let mut days = start_days;
        while y < 2263 {
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            days += 1;
            d += 1;
            if d > month_len(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }
}
