//! Units of the scenario format: durations (Go syntax, virtual time) and
//! quantities (Kubernetes syntax, integers), with hints for the classic
//! mistakes (`wait: 10`, `8GB`).

use std::path::Path;

use sim_core::time::SimDuration;

use crate::error::ScenarioError;

pub(super) fn parse_duration(
    s: &str,
    file: &Path,
    line: Option<usize>,
    path: &str,
) -> Result<SimDuration, ScenarioError> {
    s.parse::<SimDuration>().map_err(|e| {
        let mut msg = e.to_string();
        // A bare number is the classic mistake (`wait: 10`).
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            msg.push_str(&format!("; did you mean {s}s?"));
        }
        ScenarioError::at(file, line, path, msg)
    })
}

pub(super) fn quantity(
    v: Option<&str>,
    parse: fn(&str) -> Result<i64, sim_core::api::quantity::QuantityError>,
    file: &Path,
    path: &str,
    default: i64,
) -> Result<i64, ScenarioError> {
    match v {
        None => Ok(default),
        Some(s) => match parse(s) {
            Ok(n) if n >= 0 => Ok(n),
            Ok(_) => Err(ScenarioError::at(
                file,
                None,
                path,
                format!("{s:?} is negative; expected a non-negative quantity such as 4, 500m, 8Gi or 10M"),
            )),
            Err(e) => Err(ScenarioError::at(
                file,
                None,
                path,
                format!("{e}{}", quantity_hint(s, parse)),
            )),
        },
    }
}

/// For `8GB`, `512MiB` or `1KB`: "; did you mean 8G or 8Gi?" (Kubernetes
/// quantities have no B).
fn quantity_hint(
    s: &str,
    parse: fn(&str) -> Result<i64, sim_core::api::quantity::QuantityError>,
) -> String {
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
        .filter(|c| parse(c).is_ok())
        .collect();
    if ok.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", ok.join(" or "))
    }
}
