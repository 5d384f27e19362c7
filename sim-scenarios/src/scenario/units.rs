//! Units of the scenario format: durations (Go syntax, virtual time) and
//! quantities (Kubernetes syntax, integers), with hints for the classic
//! mistakes (`wait: 10`, `8GB`).

use std::path::Path;

use sim_core::api::quantity::{parse_bytes, parse_cpu_millis, QuantityError};
use sim_core::time::SimDuration;

use crate::error::ScenarioError;
use crate::limits::{MAX_BYTES, MAX_CPU_MILLIS, MAX_DURATION};

/// A duration in Go syntax, at most [`MAX_DURATION`].
pub(super) fn parse_duration(
    s: &str,
    file: &Path,
    line: Option<usize>,
    path: &str,
) -> Result<SimDuration, ScenarioError> {
    let d = s.parse::<SimDuration>().map_err(|e| {
        let mut msg = e.to_string();
        // A bare number is the classic mistake (`wait: 10`).
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            msg.push_str(&format!("; did you mean {s}s?"));
        }
        ScenarioError::at(file, line, path, msg)
    })?;
    if d > MAX_DURATION {
        return Err(ScenarioError::at(
            file,
            line,
            path,
            format!("{s:?} is too long; the longest duration accepted is {MAX_DURATION}"),
        ));
    }
    Ok(d)
}

/// What a quantity measures: how it is read and how large it may be.
#[derive(Clone, Copy, Debug)]
pub(super) enum Measure {
    /// CPU, in millicores.
    Cpu,
    /// Memory, storage, sizes and bandwidths, in bytes.
    Bytes,
}

impl Measure {
    fn parse(self, s: &str) -> Result<i64, QuantityError> {
        match self {
            Measure::Cpu => parse_cpu_millis(s),
            Measure::Bytes => parse_bytes(s),
        }
    }

    /// The largest value, in the unit of [`Measure::parse`].
    fn max(self) -> i64 {
        match self {
            Measure::Cpu => MAX_CPU_MILLIS,
            Measure::Bytes => MAX_BYTES,
        }
    }

    /// The largest value as a user writes it.
    fn max_text(self) -> &'static str {
        match self {
            Measure::Cpu => "1000000 (a million cores)",
            Measure::Bytes => "1Pi (1125899906842624 bytes)",
        }
    }
}

/// A non-negative quantity no larger than its measure's limit; `default`
/// when absent. A value too large to represent at all is refused the same way
/// as one past the limit.
pub(super) fn quantity(
    v: Option<&str>,
    measure: Measure,
    file: &Path,
    path: &str,
    default: i64,
) -> Result<i64, ScenarioError> {
    let Some(s) = v else { return Ok(default) };
    let err = |msg: String| ScenarioError::at(file, None, path, msg);
    let too_large = || {
        err(format!(
            "{s:?} is too large; the largest value accepted is {}",
            measure.max_text()
        ))
    };
    match measure.parse(s) {
        Ok(n) if n > measure.max() => Err(too_large()),
        Ok(n) if n >= 0 => Ok(n),
        Ok(_) => Err(err(format!(
            "{s:?} is negative; expected a non-negative quantity such as 4, 500m, 8Gi or 10M"
        ))),
        Err(QuantityError::Overflow { .. }) => Err(too_large()),
        Err(QuantityError::OutOfRange { reason, .. }) if reason.contains("too large") => {
            Err(too_large())
        }
        Err(e) => Err(err(format!("{e}{}", quantity_hint(s, measure)))),
    }
}

/// For `8GB`, `512MiB` or `1KB`: "; did you mean 8G or 8Gi?" (Kubernetes
/// quantities have no B).
fn quantity_hint(s: &str, measure: Measure) -> String {
    let Some(stem) = s.strip_suffix(['B', 'b']) else {
        return String::new();
    };
    let mut candidates = Vec::new();
    if stem.ends_with('i') {
        candidates.push(stem.to_owned());
    } else {
        candidates.push(stem.replace('K', "k"));
        candidates.push(format!("{}i", stem.replace('k', "K")));
    }
    let ok: Vec<String> = candidates
        .into_iter()
        .filter(|c| measure.parse(c).is_ok())
        .collect();
    if ok.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", ok.join(" or "))
    }
}
