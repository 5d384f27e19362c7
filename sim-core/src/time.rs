//! Virtual time for the simulator: instants ([`SimTime`]) and spans
//! ([`SimDuration`]) counted in whole nanoseconds, with no floats and no
//! wall clock.
//!
//! Durations parse and print exactly like Go's `time.Duration`
//! (`src/time/format.go`: `ParseDuration` and `Duration.String`), restricted
//! to non-negative values, so that values written in scenarios look like the
//! ones found in Kubernetes manifests and flags ("300ms", "1h30m0s").
//! All arithmetic saturates instead of overflowing.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS_PER_MIN: u64 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MIN;

/// An instant of virtual time: nanoseconds since the simulation started.
///
/// Serializes as a plain integer number of nanoseconds.
#[derive(
    Copy,
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(u64);

/// A non-negative span of virtual time in nanoseconds.
///
/// Serializes as a plain integer number of nanoseconds; parses from and
/// prints as Go duration strings such as "1h30m0s".
#[derive(
    Copy,
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of the simulation.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable instant (used as "never").
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `value_ns` nanoseconds after the simulation start.
    pub const fn from_nanos(value_ns: u64) -> SimTime {
        SimTime(value_ns)
    }

    /// Nanoseconds since the simulation start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// This instant moved `d` later, saturating at [`SimTime::MAX`].
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The time elapsed since `earlier`, or zero when `earlier` is later than
    /// `self`.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// The empty duration.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The largest representable duration.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A duration of `value_ns` nanoseconds.
    pub const fn from_nanos(value_ns: u64) -> SimDuration {
        SimDuration(value_ns)
    }

    /// A duration of `value_us` microseconds, saturating at [`SimDuration::MAX`].
    pub const fn from_micros(value_us: u64) -> SimDuration {
        SimDuration(value_us.saturating_mul(NANOS_PER_MICRO))
    }

    /// A duration of `value_ms` milliseconds, saturating at [`SimDuration::MAX`].
    pub const fn from_millis(value_ms: u64) -> SimDuration {
        SimDuration(value_ms.saturating_mul(NANOS_PER_MILLI))
    }

    /// A duration of `value_s` seconds, saturating at [`SimDuration::MAX`].
    pub const fn from_secs(value_s: u64) -> SimDuration {
        SimDuration(value_s.saturating_mul(NANOS_PER_SEC))
    }

    /// A duration of `value_min` minutes, saturating at [`SimDuration::MAX`].
    pub const fn from_mins(value_min: u64) -> SimDuration {
        SimDuration(value_min.saturating_mul(NANOS_PER_MIN))
    }

    /// A duration of `value_h` hours, saturating at [`SimDuration::MAX`].
    pub const fn from_hours(value_h: u64) -> SimDuration {
        SimDuration(value_h.saturating_mul(NANOS_PER_HOUR))
    }

    /// The duration in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The number of whole milliseconds (rounded down).
    pub const fn as_millis(self) -> u64 {
        self.0 / NANOS_PER_MILLI
    }

    /// The number of whole seconds (rounded down).
    pub const fn as_secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }

    /// Whether this is the empty duration.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// This duration multiplied by `factor`, saturating at [`SimDuration::MAX`].
    pub const fn saturating_mul(self, factor: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(factor))
    }

    /// The sum of two durations, saturating at [`SimDuration::MAX`].
    pub const fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }

    /// `self - other`, or `None` when `other` is longer than `self`.
    pub const fn checked_sub(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(SimDuration(v)),
            None => None,
        }
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;

    /// Saturating addition.
    fn add(self, rhs: SimDuration) -> SimTime {
        self.saturating_add(rhs)
    }
}

impl AddAssign<SimDuration> for SimTime {
    /// Saturating addition.
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = self.saturating_add(rhs);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;

    /// Saturating addition.
    fn add(self, rhs: SimDuration) -> SimDuration {
        self.saturating_add(rhs)
    }
}

impl AddAssign for SimDuration {
    /// Saturating addition.
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = self.saturating_add(rhs);
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;

    /// The elapsed time, saturating to zero when `rhs` is later.
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.saturating_since(rhs)
    }
}

/// Why a duration string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The input was empty (or only a sign).
    #[error("invalid duration {input:?}: empty string (expected a number followed by ns, us, ms, s, m or h, e.g. 30s)")]
    Empty {
        /// The rejected input.
        input: String,
    },
    /// The input started with '-'.
    #[error("invalid duration {input:?}: negative durations are not allowed")]
    Negative {
        /// The rejected input.
        input: String,
    },
    /// A number was not followed by a unit.
    #[error("invalid duration {input:?}: missing unit (expected a number followed by ns, us, ms, s, m or h, e.g. 30s)")]
    MissingUnit {
        /// The rejected input.
        input: String,
    },
    /// A number was followed by something that is not a unit.
    #[error(
        "invalid duration {input:?}: unknown unit {unit:?} (expected one of ns, us, ms, s, m, h)"
    )]
    UnknownUnit {
        /// The rejected input.
        input: String,
        /// The text found where a unit was expected.
        unit: String,
    },
    /// Something other than a decimal number was found where one was expected.
    #[error(
        "invalid duration {input:?}: expected a decimal number such as 1, 1.5 or .5 at {found:?}"
    )]
    BadNumber {
        /// The rejected input.
        input: String,
        /// The remainder of the input where the number was expected.
        found: String,
    },
    /// The value does not fit in 64 bits of nanoseconds.
    #[error("invalid duration {input:?}: too large (the maximum is 5124095h34m33.709551615s)")]
    Overflow {
        /// The rejected input.
        input: String,
    },
}

/// Nanoseconds per unit, as Go's `unitMap` (src/time/format.go).
fn unit_nanos(unit: &str) -> Option<u64> {
    match unit {
        "ns" => Some(1),
        // "us", U+00B5 (micro sign) and U+03BC (Greek small letter mu).
        "us" | "\u{b5}s" | "\u{3bc}s" => Some(NANOS_PER_MICRO),
        "ms" => Some(NANOS_PER_MILLI),
        "s" => Some(NANOS_PER_SEC),
        "m" => Some(NANOS_PER_MIN),
        "h" => Some(NANOS_PER_HOUR),
        _ => None,
    }
}

/// `floor(unit * 0.d1d2d3...)` computed exactly for any number of fraction
/// digits: processing digits right to left, each step divides by ten and
/// keeps the floor, which composes to the floor of the whole product. The
/// carry always stays below `unit`, so nothing overflows.
fn fraction_nanos(digits: &[u8], unit: u64) -> u64 {
    let unit = u128::from(unit);
    let mut carry: u128 = 0;
    for d in digits.iter().rev() {
        let digit = u128::from(d.saturating_sub(b'0'));
        carry = (digit * unit + carry) / 10;
    }
    // carry < unit <= u64::MAX, so the conversion cannot fail.
    u64::try_from(carry).unwrap_or(u64::MAX)
}

/// Length of the leading run of bytes satisfying `pred`.
fn leading_len(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    bytes.iter().take_while(|b| pred(**b)).count()
}

/// Parses a Go duration string (see `ParseDuration` in Go's
/// src/time/format.go), rejecting negative values and values beyond `u64`
/// nanoseconds. Fractions are computed exactly and truncated to the
/// nanosecond (Go uses a float64 there, which agrees for all practical
/// inputs).
fn parse_duration(input: &str) -> Result<SimDuration, DurationError> {
    let owned = || input.to_string();
    let mut rest = input;
    if rest.starts_with('-') {
        return Err(DurationError::Negative { input: owned() });
    }
    if let Some(stripped) = rest.strip_prefix('+') {
        rest = stripped;
    }
    // Special case (as Go): a bare "0" needs no unit.
    if rest == "0" {
        return Ok(SimDuration::ZERO);
    }
    if rest.is_empty() {
        return Err(DurationError::Empty { input: owned() });
    }
    let mut total_ns: u64 = 0;
    while !rest.is_empty() {
        let bytes = rest.as_bytes();
        let bad_number = || DurationError::BadNumber {
            input: owned(),
            found: rest.to_string(),
        };
        let overflow = || DurationError::Overflow { input: owned() };
        // [0-9]*
        let int_len = leading_len(bytes, |b| b.is_ascii_digit());
        let int_digits = bytes.get(..int_len).unwrap_or_default();
        let mut value_ns: u64 = 0;
        for d in int_digits {
            value_ns = value_ns
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or_else(overflow)?;
        }
        let mut pos = int_len;
        // (\.[0-9]*)?
        let mut frac_digits: &[u8] = &[];
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let tail = bytes.get(pos..).unwrap_or_default();
            let frac_len = leading_len(tail, |b| b.is_ascii_digit());
            frac_digits = tail.get(..frac_len).unwrap_or_default();
            pos += frac_len;
        }
        if int_len == 0 && frac_digits.is_empty() {
            // No digits at all, e.g. "s", ".s" or "x".
            return Err(bad_number());
        }
        // Unit: everything up to the next '.' or digit.
        let tail = bytes.get(pos..).unwrap_or_default();
        let unit_len = leading_len(tail, |b| b != b'.' && !b.is_ascii_digit());
        if unit_len == 0 {
            return Err(DurationError::MissingUnit { input: owned() });
        }
        // Both cut points sit next to ASCII bytes, so they are char
        // boundaries; `get` keeps this panic-free regardless.
        let unit = rest.get(pos..pos + unit_len).unwrap_or_default();
        let unit_ns = unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
            input: owned(),
            unit: unit.to_string(),
        })?;
        value_ns = value_ns.checked_mul(unit_ns).ok_or_else(overflow)?;
        value_ns = value_ns
            .checked_add(fraction_nanos(frac_digits, unit_ns))
            .ok_or_else(overflow)?;
        total_ns = total_ns.checked_add(value_ns).ok_or_else(overflow)?;
        rest = rest.get(pos + unit_len..).unwrap_or_default();
    }
    Ok(SimDuration(total_ns))
}

impl FromStr for SimDuration {
    type Err = DurationError;

    /// Parses Go duration syntax such as "300ms", "1.5h" or "2h45m".
    fn from_str(s: &str) -> Result<SimDuration, DurationError> {
        parse_duration(s)
    }
}

/// Writes `int` followed by the fraction `frac / 10^prec` without trailing
/// zeros (and without the point when the fraction is zero), as Go's
/// `fmtFrac`/`fmtInt` do.
fn write_with_fraction(
    f: &mut fmt::Formatter<'_>,
    int: u64,
    frac: u64,
    prec: usize,
) -> fmt::Result {
    write!(f, "{int}")?;
    if frac != 0 {
        let digits = format!("{frac:0prec$}");
        write!(f, ".{}", digits.trim_end_matches('0'))?;
    }
    Ok(())
}

impl fmt::Display for SimDuration {
    /// Formats like Go's `time.Duration.String()`: "1h30m0s", "1.5s",
    /// "300ms", "1µs", "0s".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = self.0;
        if u == 0 {
            return f.write_str("0s");
        }
        if u < NANOS_PER_SEC {
            // Below one second Go switches to smaller units, like 1.2ms.
            let (unit, prec, scale) = if u < NANOS_PER_MICRO {
                ("ns", 0, 1)
            } else if u < NANOS_PER_MILLI {
                ("\u{b5}s", 3, NANOS_PER_MICRO)
            } else {
                ("ms", 6, NANOS_PER_MILLI)
            };
            write_with_fraction(f, u / scale, u % scale, prec)?;
            return f.write_str(unit);
        }
        let secs = u / NANOS_PER_SEC;
        let frac = u % NANOS_PER_SEC;
        let hours = secs / 3600;
        let mins = (secs / 60) % 60;
        let s = secs % 60;
        if hours > 0 {
            write!(f, "{hours}h{mins}m")?;
        } else if mins > 0 {
            write!(f, "{mins}m")?;
        }
        write_with_fraction(f, s, frac, 9)?;
        f.write_str("s")
    }
}

impl fmt::Display for SimTime {
    /// Formats the time elapsed since the simulation start, like a duration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&SimDuration(self.0), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<u64, DurationError> {
        s.parse::<SimDuration>().map(SimDuration::as_nanos)
    }

    #[test]
    fn parse_table() {
        // Mostly from Go's src/time/time_test.go parseDurationTests.
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("+0", 0),
            ("5s", 5 * NANOS_PER_SEC),
            ("30s", 30 * NANOS_PER_SEC),
            ("1478s", 1478 * NANOS_PER_SEC),
            ("+5s", 5 * NANOS_PER_SEC),
            ("0s", 0),
            ("0.0s", 0),
            ("5.0s", 5 * NANOS_PER_SEC),
            ("5.6s", 5 * NANOS_PER_SEC + 600 * NANOS_PER_MILLI),
            ("5.s", 5 * NANOS_PER_SEC),
            (".5s", 500 * NANOS_PER_MILLI),
            ("1.0s", NANOS_PER_SEC),
            ("1.00s", NANOS_PER_SEC),
            ("1.004s", NANOS_PER_SEC + 4 * NANOS_PER_MILLI),
            ("1.0040s", NANOS_PER_SEC + 4 * NANOS_PER_MILLI),
            ("100.00100s", 100 * NANOS_PER_SEC + NANOS_PER_MILLI),
            ("10ns", 10),
            ("11us", 11 * NANOS_PER_MICRO),
            ("12\u{b5}s", 12 * NANOS_PER_MICRO),
            ("12\u{3bc}s", 12 * NANOS_PER_MICRO),
            ("13ms", 13 * NANOS_PER_MILLI),
            ("14s", 14 * NANOS_PER_SEC),
            ("15m", 15 * NANOS_PER_MIN),
            ("16h", 16 * NANOS_PER_HOUR),
            ("3h30m", 3 * NANOS_PER_HOUR + 30 * NANOS_PER_MIN),
            (
                "10.5s4m",
                4 * NANOS_PER_MIN + 10 * NANOS_PER_SEC + 500 * NANOS_PER_MILLI,
            ),
            (
                "1h2m3s4ms5us6ns",
                NANOS_PER_HOUR + 2 * NANOS_PER_MIN + 3 * NANOS_PER_SEC + 4_005_006,
            ),
            (
                "39h9m14.425s",
                39 * NANOS_PER_HOUR + 9 * NANOS_PER_MIN + 14_425 * NANOS_PER_MILLI,
            ),
            ("52763797000ns", 52_763_797_000),
            // Go's float64 arithmetic rounds this one up to exactly 20m; the
            // exact value is just below, and is truncated.
            ("0.3333333333333333333h", 20 * NANOS_PER_MIN - 1),
            ("9223372036854775810ns", 9_223_372_036_854_775_810),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", 9_223_372_036_854_775_807),
            ("9223372036854775.807us", 9_223_372_036_854_775_807),
            ("9223372036s854ms775us807ns", 9_223_372_036_854_775_807),
            ("18446744073709551615ns", u64::MAX),
            ("0.100000000000000000000h", 6 * NANOS_PER_MIN),
            ("0.830103483285477580700h", 2_988_372_539_827),
            ("300ms", 300 * NANOS_PER_MILLI),
            ("1.5h", 90 * NANOS_PER_MIN),
            ("2h45m", 165 * NANOS_PER_MIN),
            ("40s", 40 * NANOS_PER_SEC),
            ("1.5s", 1_500_000_000),
            ("1.9999999999s", 1_999_999_999),
            ("1.5ns", 1),
            ("0.5us", 500),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), Ok(*want), "parsing {input:?}");
        }
    }

    #[test]
    fn parse_errors() {
        let bad = [
            "",
            "+",
            "-",
            "3",
            "-3s",
            "-0",
            "s",
            ".",
            ".s",
            "+.s",
            "1d",
            "\u{85}\u{85}",
            "\u{ffff}",
            "18446744073709551616ns",
            "18446744073709551615ns1ns",
            "5124096h",
            "1.2.3s",
            "1h 30m",
            " 1s",
            "1s ",
            "1S",
            "1e3s",
            "0x10s",
        ];
        for input in bad {
            let err = parse(input);
            assert!(err.is_err(), "{input:?} should be rejected, got {err:?}");
        }
    }

    #[test]
    fn error_messages() {
        let msg = |s: &str| parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("5x"),
            r#"invalid duration "5x": unknown unit "x" (expected one of ns, us, ms, s, m, h)"#
        );
        assert_eq!(
            msg("10"),
            r#"invalid duration "10": missing unit (expected a number followed by ns, us, ms, s, m or h, e.g. 30s)"#
        );
        assert_eq!(
            msg("-5s"),
            r#"invalid duration "-5s": negative durations are not allowed"#
        );
        assert_eq!(
            msg(""),
            r#"invalid duration "": empty string (expected a number followed by ns, us, ms, s, m or h, e.g. 30s)"#
        );
        assert_eq!(
            msg("abc"),
            r#"invalid duration "abc": expected a decimal number such as 1, 1.5 or .5 at "abc""#
        );
        assert_eq!(
            msg("1s.x"),
            r#"invalid duration "1s.x": expected a decimal number such as 1, 1.5 or .5 at ".x""#
        );
        assert!(msg("99999999999999999999ns").contains("too large"));
        assert!(matches!(
            parse("1h 30m"),
            Err(DurationError::UnknownUnit { ref unit, .. }) if unit == "h "
        ));
    }

    #[test]
    fn format_table() {
        // From Go's src/time/time_test.go durationTests plus examples.
        let cases: &[(u64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1100, "1.1\u{b5}s"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * NANOS_PER_MIN + 5 * NANOS_PER_SEC, "4m5s"),
            (4 * NANOS_PER_MIN + 5_001 * NANOS_PER_MILLI, "4m5.001s"),
            (
                5 * NANOS_PER_HOUR + 6 * NANOS_PER_MIN + 7_001 * NANOS_PER_MILLI,
                "5h6m7.001s",
            ),
            (8 * NANOS_PER_MIN + 1, "8m0.000000001s"),
            (i64::MAX as u64, "2562047h47m16.854775807s"),
            (u64::MAX, "5124095h34m33.709551615s"),
            (90 * NANOS_PER_MIN, "1h30m0s"),
            (5 * NANOS_PER_MIN, "5m0s"),
            (40 * NANOS_PER_SEC, "40s"),
            (1_500_000_000, "1.5s"),
            (300 * NANOS_PER_MILLI, "300ms"),
            (1000, "1\u{b5}s"),
            (2 * NANOS_PER_HOUR + 500 * NANOS_PER_MILLI, "2h0m0.5s"),
            (NANOS_PER_HOUR, "1h0m0s"),
            (999, "999ns"),
            (999_999, "999.999\u{b5}s"),
            (999_999_999, "999.999999ms"),
        ];
        for (ns, want) in cases {
            assert_eq!(SimDuration::from_nanos(*ns).to_string(), *want);
            assert_eq!(SimTime::from_nanos(*ns).to_string(), *want);
        }
    }

    #[test]
    fn constructors_and_arithmetic() {
        assert_eq!(SimDuration::from_micros(3).as_nanos(), 3_000);
        assert_eq!(SimDuration::from_millis(3).as_nanos(), 3_000_000);
        assert_eq!(SimDuration::from_secs(3).as_nanos(), 3 * NANOS_PER_SEC);
        assert_eq!(SimDuration::from_mins(2), SimDuration::from_secs(120));
        assert_eq!(SimDuration::from_hours(1), SimDuration::from_mins(60));
        assert_eq!(SimDuration::from_hours(u64::MAX), SimDuration::MAX);
        assert_eq!(SimDuration::from_nanos(1_999_999_999).as_secs(), 1);
        assert_eq!(SimDuration::from_nanos(1_999_999).as_millis(), 1);
        assert_eq!(
            SimDuration::from_secs(2).saturating_mul(3),
            SimDuration::from_secs(6)
        );
        assert_eq!(SimDuration::MAX.saturating_mul(2), SimDuration::MAX);
        assert_eq!(
            SimDuration::MAX + SimDuration::from_nanos(1),
            SimDuration::MAX
        );
        assert_eq!(
            SimDuration::from_secs(1).checked_sub(SimDuration::from_secs(2)),
            None
        );
        assert_eq!(
            SimDuration::from_secs(3).checked_sub(SimDuration::from_secs(2)),
            Some(SimDuration::from_secs(1))
        );
        let t = SimTime::ZERO + SimDuration::from_secs(5);
        assert_eq!(t.as_nanos(), 5 * NANOS_PER_SEC);
        let mut u = t;
        u += SimDuration::from_secs(1);
        assert_eq!(u - t, SimDuration::from_secs(1));
        assert_eq!(t - u, SimDuration::ZERO);
        assert_eq!(u.saturating_since(t), SimDuration::from_secs(1));
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
        assert_eq!(
            SimDuration::from_secs(1).min(SimDuration::from_millis(10)),
            SimDuration::from_millis(10)
        );
        assert!(SimDuration::ZERO.is_zero());
        assert!(SimTime::ZERO < SimTime::MAX);
    }

    #[test]
    fn serializes_as_plain_integer() {
        let d = SimDuration::from_millis(1500);
        assert_eq!(
            serde_json::to_string(&d).ok().as_deref(),
            Some("1500000000")
        );
        let back: Result<SimDuration, _> = serde_json::from_str("1500000000");
        assert_eq!(back.ok(), Some(d));
        let t = SimTime::from_nanos(7);
        assert_eq!(serde_json::to_string(&t).ok().as_deref(), Some("7"));
        let back: Result<SimTime, _> = serde_json::from_str("7");
        assert_eq!(back.ok(), Some(t));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(ns in any::<u64>()) {
            let d = SimDuration::from_nanos(ns);
            prop_assert_eq!(d.to_string().parse::<SimDuration>(), Ok(d));
        }

        #[test]
        fn small_values_round_trip(ns in 0u64..10_000_000_000) {
            let d = SimDuration::from_nanos(ns);
            prop_assert_eq!(d.to_string().parse::<SimDuration>(), Ok(d));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            let _ = s.parse::<SimDuration>();
        }

        #[test]
        fn duration_like_strings_never_panic(s in "[-+]?[0-9.]{0,25}(ns|us|µs|μs|ms|s|m|h|x|)[0-9.]{0,25}(h|m|s|)") {
            let _ = s.parse::<SimDuration>();
        }
    }
}
