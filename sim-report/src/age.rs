//! Human-readable durations, as kubectl prints them in AGE columns and in
//! `kubectl describe` event tables.
//!
//! This follows `k8s.io/apimachinery/pkg/util/duration/duration.go`
//! (`HumanDuration`, `ShortHumanDuration`) and the `translateTimestampSince`
//! helpers of `k8s.io/kubernetes/pkg/printers/internalversion/printers.go`
//! and `k8s.io/kubectl/pkg/describe/describe.go`. Durations are Go
//! `time.Duration` values: signed nanoseconds in an `i64`. The current time is
//! always passed in; the wall clock is never read.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;

/// Go's `Duration.Seconds()` truncated by `int(...)`: the float arithmetic is
/// reproduced so that the rounding matches Go exactly.
fn go_int_seconds(d_nanos: i64) -> i64 {
    let whole = d_nanos / NANOS_PER_SECOND;
    let frac = d_nanos % NANOS_PER_SECOND;
    go_float_to_int(whole as f64 + frac as f64 / 1e9)
}

/// Go's `Duration.Minutes()` truncated by `int(...)`.
fn go_int_minutes(d_nanos: i64) -> i64 {
    let whole = d_nanos / NANOS_PER_MINUTE;
    let frac = d_nanos % NANOS_PER_MINUTE;
    go_float_to_int(whole as f64 + frac as f64 / (60.0 * 1e9))
}

/// Go's `Duration.Hours()` as a float.
fn go_hours(d_nanos: i64) -> f64 {
    let whole = d_nanos / NANOS_PER_HOUR;
    let frac = d_nanos % NANOS_PER_HOUR;
    whole as f64 + frac as f64 / (60.0 * 60.0 * 1e9)
}

/// Go's float-to-int conversion on amd64: truncation toward zero, and the
/// "integer indefinite" value `i64::MIN` for NaN or out-of-range input.
pub fn go_float_to_int(f: f64) -> i64 {
    // 2^63 as f64; NaN is outside every range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// `duration.ShortHumanDuration`: one unit only ("45s", "5m", "3h", "2d", "1y"),
/// `"0s"` for small negative values and `"<invalid>"` below -1s.
pub fn short_human_duration(d_nanos: i64) -> String {
    let seconds = go_int_seconds(d_nanos);
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 {
        return format!("{seconds}s");
    }
    let minutes = go_int_minutes(d_nanos);
    if minutes < 60 {
        return format!("{minutes}m");
    }
    let hours = go_float_to_int(go_hours(d_nanos));
    if hours < 24 {
        return format!("{hours}h");
    }
    if hours < 24 * 365 {
        return format!("{}d", hours / 24);
    }
    format!("{}y", go_float_to_int(go_hours(d_nanos) / 24.0 / 365.0))
}

/// `duration.HumanDuration`: the AGE column format, with about two
/// significant units ("45s", "119s", "3m10s", "70m", "3h1m", "47h", "2d1h",
/// "367d", "2y1d", "8y"); `"0s"` for small negative values and `"<invalid>"`
/// below -1s.
pub fn human_duration(d_nanos: i64) -> String {
    let seconds = go_int_seconds(d_nanos);
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d_nanos / NANOS_PER_MINUTE;
    if minutes < 10 {
        let s = (d_nanos / NANOS_PER_SECOND) % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d_nanos / NANOS_PER_HOUR;
    if hours < 8 {
        let m = (d_nanos / NANOS_PER_MINUTE) % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{}h", hours / 24, h);
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{}d", hours / 24 / 365, dy);
    }
    format!("{}y", hours / 24 / 365)
}

/// `now - then` as a Go `time.Duration` (nanoseconds, saturating at the
/// `i64` bounds like Go's `Time.Sub`).
pub fn since_nanos(then: Timestamp, now: Timestamp) -> i64 {
    let d = now.as_nanosecond() - then.as_nanosecond();
    i64::try_from(d).unwrap_or(if d > 0 { i64::MAX } else { i64::MIN })
}

/// `translateTimestampSince`: the AGE of an object created at `created`,
/// `"<unknown>"` when the timestamp is missing (Go's zero time).
pub fn age(created: Option<&Time>, now: Timestamp) -> String {
    match created {
        Some(t) => human_duration(since_nanos(t.0, now)),
        None => "<unknown>".to_string(),
    }
}

/// `translateMicroTimestampSince`: like [`age`] for a `MicroTime`.
pub fn age_micro(t: Option<&MicroTime>, now: Timestamp) -> String {
    match t {
        Some(t) => human_duration(since_nanos(t.0, now)),
        None => "<unknown>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = NANOS_PER_SECOND;
    const MS: i64 = 1_000_000;
    const M: i64 = NANOS_PER_MINUTE;
    const H: i64 = NANOS_PER_HOUR;

    // TestHumanDuration in duration_test.go.
    #[test]
    fn human_duration_table() {
        let cases = [
            (S, "1s"),
            (70 * S, "70s"),
            (190 * S, "3m10s"),
            (70 * M, "70m"),
            (47 * H, "47h"),
            (49 * H, "2d1h"),
            ((8 * 24 + 2) * H, "8d"),
            ((367 * 24) * H, "367d"),
            ((365 * 2 * 24 + 25) * H, "2y1d"),
            ((365 * 8 * 24 + 2) * H, "8y"),
        ];
        for (d, want) in cases {
            assert_eq!(human_duration(d), want, "d={d}");
        }
    }

    // TestHumanDurationBoundaries in duration_test.go.
    #[test]
    fn human_duration_boundaries() {
        let y = 365 * 24 * H;
        let cases = [
            (-2 * S, "<invalid>"),
            (-2 * S + 1, "0s"),
            (0, "0s"),
            (S - MS, "0s"),
            (2 * M - MS, "119s"),
            (2 * M, "2m"),
            (2 * M + S, "2m1s"),
            (10 * M - MS, "9m59s"),
            (10 * M, "10m"),
            (10 * M + S, "10m"),
            (3 * H - MS, "179m"),
            (3 * H, "3h"),
            (3 * H + M, "3h1m"),
            (8 * H - MS, "7h59m"),
            (8 * H, "8h"),
            (8 * H + 59 * M, "8h"),
            (2 * 24 * H - MS, "47h"),
            (2 * 24 * H, "2d"),
            (2 * 24 * H + H, "2d1h"),
            (8 * 24 * H - MS, "7d23h"),
            (8 * 24 * H, "8d"),
            (8 * 24 * H + 23 * H, "8d"),
            (2 * y - MS, "729d"),
            (2 * y, "2y"),
            (2 * y + 23 * H, "2y"),
            (2 * y + 23 * H + 59 * M, "2y"),
            (2 * y + 24 * H - MS, "2y"),
            (2 * y + 24 * H, "2y1d"),
            (3 * y, "3y"),
            (4 * y, "4y"),
            (5 * y, "5y"),
            (6 * y, "6y"),
            (7 * y, "7y"),
            (8 * y - MS, "7y364d"),
            (8 * y, "8y"),
            (8 * y + 364 * 24 * H, "8y"),
            (9 * y, "9y"),
        ];
        for (d, want) in cases {
            assert_eq!(human_duration(d), want, "d={d}");
        }
    }

    // TestShortHumanDurationBoundaries in duration_test.go.
    #[test]
    fn short_human_duration_boundaries() {
        let cases = [
            (-2 * S, "<invalid>"),
            (-2 * S + 1, "0s"),
            (0, "0s"),
            (S - MS, "0s"),
            (S, "1s"),
            (2 * S - MS, "1s"),
            (M - MS, "59s"),
            (M, "1m"),
            (2 * M - MS, "1m"),
            (H - MS, "59m"),
            (H, "1h"),
            (2 * H - MS, "1h"),
            (24 * H - MS, "23h"),
            (24 * H, "1d"),
            (2 * 24 * H - MS, "1d"),
            (365 * 24 * H - MS, "364d"),
            (365 * 24 * H, "1y"),
            (2 * 365 * 24 * H - MS, "1y"),
            (2 * 365 * 24 * H, "2y"),
        ];
        for (d, want) in cases {
            assert_eq!(short_human_duration(d), want, "d={d}");
        }
    }

    #[test]
    fn go_float_conversion() {
        assert_eq!(go_float_to_int(1.9), 1);
        assert_eq!(go_float_to_int(-1.9), -1);
        assert_eq!(go_float_to_int(f64::NAN), i64::MIN);
        assert_eq!(go_float_to_int(f64::INFINITY), i64::MIN);
        assert_eq!(go_float_to_int(f64::NEG_INFINITY), i64::MIN);
    }

    #[test]
    fn extremes_do_not_panic() {
        assert_eq!(human_duration(i64::MIN), "<invalid>");
        assert_eq!(human_duration(i64::MAX), "292y");
        assert_eq!(short_human_duration(i64::MIN), "<invalid>");
        assert_eq!(short_human_duration(i64::MAX), "292y");
    }

    #[test]
    fn age_of_objects() {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let created = Time(Timestamp::from_second(1_700_000_000 - 312).unwrap());
        assert_eq!(age(Some(&created), now), "5m12s");
        assert_eq!(age(None, now), "<unknown>");
        let future = Time(Timestamp::from_second(1_700_000_030).unwrap());
        assert_eq!(age(Some(&future), now), "<invalid>");
        let micro = MicroTime(Timestamp::from_second(1_700_000_000 - 3 * 3600).unwrap());
        assert_eq!(age_micro(Some(&micro), now), "3h");
        assert_eq!(age_micro(None, now), "<unknown>");
        assert_eq!(since_nanos(now, created.0), -312 * S);
    }
}
