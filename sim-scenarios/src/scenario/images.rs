//! Image profiles (`cluster.images`, `cluster.defaultImage`): each entry
//! overrides the fields it names on top of the profile its key resolved to.

use std::path::Path;

use sim_core::config::{ExitBehaviour, HealthChange, HttpRoute, ImageProfile, ServerProfile};
use sim_core::time::SimDuration;

use super::units::{parse_duration, quantity, Measure};
use crate::error::ScenarioError;
use crate::limits::{MAX_EXIT_CODE, MAX_HTTP_BODY_BYTES, MAX_HTTP_ROUTES};
use crate::raw::{RawHttp, RawImage};

/// An image's `http` server.
fn http_server(h: &RawHttp, file: &Path, path: &str) -> Result<ServerProfile, ScenarioError> {
    let err = |field: String, msg: String| ScenarioError::at(file, None, field, msg);
    if h.port == 0 {
        return Err(err(
            format!("{path}.http.port"),
            "port 0; expected 1 to 65535".into(),
        ));
    }
    if h.routes.len() > MAX_HTTP_ROUTES {
        return Err(err(
            format!("{path}.http.routes"),
            format!("{} routes; at most {MAX_HTTP_ROUTES}", h.routes.len()),
        ));
    }
    let mut routes = std::collections::BTreeMap::new();
    for (p, r) in &h.routes {
        let here = format!("{path}.http.routes[{p}]");
        if !p.starts_with('/') {
            return Err(err(
                here,
                format!("{p:?} is not a path; expected one starting with /"),
            ));
        }
        let status = r.status.unwrap_or(200);
        if !(100..=599).contains(&status) {
            return Err(err(
                format!("{here}.status"),
                format!("{status} is not an HTTP status; expected 100 to 599"),
            ));
        }
        let body = r.body.clone().unwrap_or_default();
        if body.len() > MAX_HTTP_BODY_BYTES {
            return Err(err(
                format!("{here}.body"),
                format!("{} bytes; at most {MAX_HTTP_BODY_BYTES}", body.len()),
            ));
        }
        routes.insert(p.clone(), HttpRoute { status, body });
    }
    let latency = match &h.latency {
        Some(l) => parse_duration(l, file, None, &format!("{path}.http.latency"))?,
        None => SimDuration::ZERO,
    };
    Ok(ServerProfile::Http {
        port: h.port,
        routes,
        latency,
    })
}

/// An image profile: the fields `raw` names on top of `base`.
pub(super) fn image(
    raw: &RawImage,
    file: &Path,
    path: &str,
    base: &ImageProfile,
) -> Result<ImageProfile, ScenarioError> {
    let d = |v: &Option<String>, field: &str| -> Result<Option<SimDuration>, ScenarioError> {
        v.as_deref()
            .map(|s| parse_duration(s, file, None, &format!("{path}.{field}")))
            .transpose()
    };
    let size = quantity(
        raw.size.as_deref(),
        Measure::Bytes,
        file,
        &format!("{path}.size"),
        i64::try_from(base.size_bytes).unwrap_or(0),
    )?;
    let exit = match &raw.exit {
        None => base.exit,
        Some(e) => {
            let code = e.code.unwrap_or(0);
            if !(0..=MAX_EXIT_CODE).contains(&code) {
                return Err(ScenarioError::at(
                    file,
                    None,
                    format!("{path}.exit.code"),
                    format!("exit code {code} is out of range; expected 0 to {MAX_EXIT_CODE}"),
                ));
            }
            Some(ExitBehaviour {
                after: parse_duration(&e.after, file, None, &format!("{path}.exit.after"))?,
                code,
            })
        }
    };
    Ok(ImageProfile {
        size_bytes: u64::try_from(size).unwrap_or(0),
        pull_duration: d(&raw.pull_time, "pullTime")?.or(base.pull_duration),
        startup: d(&raw.startup, "startup")?.unwrap_or(base.startup),
        stop: d(&raw.stop, "stop")?.unwrap_or(base.stop),
        exit,
        missing: raw.missing.unwrap_or(base.missing),
        logs: if raw.logs.is_empty() {
            base.logs.clone()
        } else {
            raw.logs.clone()
        },
        env: env(raw, file, path, base)?,
        files: files(raw, file, path, base)?,
        workdir: match &raw.working_dir {
            None => base.workdir.clone(),
            Some(d) if d.starts_with('/') => d.clone(),
            Some(d) => {
                return Err(ScenarioError::at(
                    file,
                    None,
                    format!("{path}.workingDir"),
                    format!(
                    "{d:?} is not an absolute path; expected a directory such as /usr/local/tomcat"
                ),
                ))
            }
        },
        tree: Default::default(),
        addon: base.addon,
        server: match &raw.http {
            None => base.server.clone(),
            Some(h) => Some(http_server(h, file, path)?),
        },
        memory_bytes: match raw.memory.as_deref() {
            None => base.memory_bytes,
            Some(m) => Some(quantity(
                Some(m),
                Measure::Bytes,
                file,
                &format!("{path}.memory"),
                0,
            )?),
        },
        health: if raw.health.is_empty() {
            base.health.clone()
        } else {
            health(raw, file, path)?
        },
        private: raw.private.unwrap_or(base.private),
    })
}

/// The environment: variables are set on top of the base profile's (in
/// place when already defined), as a Dockerfile ENV does.
fn env(
    raw: &RawImage,
    file: &Path,
    path: &str,
    base: &ImageProfile,
) -> Result<Vec<(String, String)>, ScenarioError> {
    let mut env = base.env.clone();
    if let Some(map) = &raw.env {
        for (k, v) in image_env(map, file, &format!("{path}.env"))? {
            match env.iter_mut().find(|(n, _)| *n == k) {
                Some(e) => e.1 = v,
                None => env.push((k, v)),
            }
        }
    }
    Ok(env)
}

/// The files: added to (or replacing entries of) the base profile's; paths
/// must be absolute.
fn files(
    raw: &RawImage,
    file: &Path,
    path: &str,
    base: &ImageProfile,
) -> Result<std::collections::BTreeMap<String, String>, ScenarioError> {
    let Some(files) = &raw.files else {
        return Ok(base.files.clone());
    };
    if let Some(p) = files.keys().find(|p| !p.starts_with('/')) {
        return Err(ScenarioError::at(
            file,
            None,
            format!("{path}.files"),
            format!("\"{p}\" is not an absolute path"),
        ));
    }
    let mut all = base.files.clone();
    all.extend(files.clone());
    Ok(all)
}

/// The health timeline, in time order.
fn health(raw: &RawImage, file: &Path, path: &str) -> Result<Vec<HealthChange>, ScenarioError> {
    let mut changes: Vec<HealthChange> = Vec::new();
    for (i, h) in raw.health.iter().enumerate() {
        let at = format!("{path}.health[{i}]");
        let pass = |v: &Option<String>, field: &str| match v.as_deref() {
            None => Ok(None),
            Some("pass") => Ok(Some(true)),
            Some("fail") => Ok(Some(false)),
            Some(other) => Err(ScenarioError::at(
                file,
                None,
                format!("{at}.{field}"),
                format!("\"{other}\" is not pass or fail"),
            )),
        };
        let change = HealthChange {
            after: parse_duration(&h.after, file, None, &format!("{at}.after"))?,
            liveness: pass(&h.liveness, "liveness")?,
            readiness: pass(&h.readiness, "readiness")?,
            memory_bytes: h
                .memory
                .as_deref()
                .map(|m| quantity(Some(m), Measure::Bytes, file, &format!("{at}.memory"), 0))
                .transpose()?,
        };
        if changes.last().is_some_and(|l| l.after > change.after) {
            return Err(ScenarioError::at(
                file,
                None,
                format!("{at}.after"),
                "health changes must be in time order".to_owned(),
            ));
        }
        changes.push(change);
    }
    Ok(changes)
}

/// An image's `env` mapping, in the order written; values are scalars.
fn image_env(
    map: &crate::yaml::OrderedMapping,
    file: &Path,
    path: &str,
) -> Result<Vec<(String, String)>, ScenarioError> {
    crate::yaml::scalar_entries(map)
        .into_iter()
        .map(|(k, v)| match (k, v) {
            (Some(k), Some(v)) if !k.is_empty() && !k.contains('=') => Ok((k, v)),
            _ => Err(ScenarioError::at(
                file,
                None,
                path,
                "each entry must be NAME: value (a scalar)",
            )),
        })
        .collect()
}
