//! The Deployment helpers of `pkg/controller/deployment/util/deployment_util.go`
//! and `sync.go`: maxSurge/maxUnavailable resolution (ResolveFenceposts),
//! the pod-template-hash, proportional scaling's shares and the
//! revision-history annotation.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::meta::NAME_SUFFIX_ALPHABET;
use crate::time::SimTime;

/// `GetScaledValueFromIntOrPercent` (k8s.io/apimachinery/pkg/util/intstr):
/// an int as it is, a percent of `total` rounded up or down; any other
/// string is an error (`getIntOrPercentValueSafely`), worded as Go's.
pub fn scaled_value(v: &IntOrString, total: i32, round_up: bool) -> Result<i32, String> {
    let s = match v {
        IntOrString::Int(i) => return Ok(*i),
        IntOrString::String(s) => s,
    };
    let Some(digits) = s.strip_suffix('%') else {
        return Err(
            "invalid value for IntOrString: invalid type: string is not a percentage".into(),
        );
    };
    let pct: i64 = digits.parse().map_err(|e: std::num::ParseIntError| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        format!(
            "invalid value for IntOrString: invalid value \"{s}\": strconv.Atoi: parsing \"{digits}\": {why}"
        )
    })?;
    let num = i128::from(pct) * i128::from(total);
    let v = if round_up {
        (num + 99).div_euclid(100)
    } else {
        num.div_euclid(100)
    };
    Ok(i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX }))
}

/// `ResolveFenceposts`: (maxSurge, maxUnavailable) for `replicas`, with the
/// 0/0 rule; (0, 0) unless the strategy is RollingUpdate. An absent value
/// counts as 0 (`intstrutil.ValueOrDefault`); one that is neither an int
/// nor a percentage is the error `GetScaledValueFromIntOrPercent` returns.
pub fn resolve_fenceposts(d: &Deployment) -> Result<(i32, i32), String> {
    let spec = d.spec.as_ref();
    let replicas = spec.and_then(|s| s.replicas).unwrap_or(1);
    let strategy = spec.and_then(|s| s.strategy.as_ref());
    if strategy.and_then(|s| s.type_.as_deref()) != Some("RollingUpdate") {
        return Ok((0, 0));
    }
    let ru = strategy.and_then(|s| s.rolling_update.as_ref());
    let zero = IntOrString::Int(0);
    let surge = scaled_value(
        ru.and_then(|r| r.max_surge.as_ref()).unwrap_or(&zero),
        replicas,
        true,
    )?;
    let mut unavailable = scaled_value(
        ru.and_then(|r| r.max_unavailable.as_ref()).unwrap_or(&zero),
        replicas,
        false,
    )?;
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    Ok((surge, unavailable))
}

/// `MaxSurge`: the resolved surge, 0 when not RollingUpdate or when the
/// values do not resolve (the real function drops the error: "Error caught
/// by validation").
pub fn max_surge(d: &Deployment) -> i32 {
    resolve_fenceposts(d).map_or(0, |(surge, _)| surge)
}

/// `MaxUnavailable`: 0 for Recreate, zero replicas or values that do not
/// resolve (the error is dropped, as in `MaxSurge`), else at most `replicas`.
pub fn max_unavailable(d: &Deployment) -> i32 {
    let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    if replicas == 0 {
        return 0;
    }
    resolve_fenceposts(d)
        .map_or(0, |(_, unavailable)| unavailable)
        .min(replicas)
}

/// The pod-template-hash of a template: FNV-32a of its canonical JSON (and the
/// collision count), printed in decimal and mapped through SafeEncodeString,
/// so it uses only the characters `4-9bcdf` as the real hash does.
pub fn template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut h: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u32::from(*b);
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    feed(
        serde_json::to_string(template)
            .unwrap_or_default()
            .as_bytes(),
    );
    if let Some(c) = collision_count {
        let mut buf = [0u8; 8];
        buf[..4].copy_from_slice(&c.to_le_bytes());
        feed(&buf);
    }
    h.to_string()
        .bytes()
        .map(|b| char::from(NAME_SUFFIX_ALPHABET[usize::from(b) % NAME_SUFFIX_ALPHABET.len()]))
        .collect()
}

/// One active ReplicaSet as proportional scaling sees it.
#[derive(Clone, Debug)]
pub struct Share {
    /// `spec.replicas`.
    pub replicas: i32,
    /// The `max-replicas` annotation, if parseable.
    pub max_annotation: Option<i32>,
    /// Creation time.
    pub created: SimTime,
    /// Name (the creation-time tie-breaker).
    pub name: String,
}

/// `sync.go scale`, RollingUpdate branch, for the active ReplicaSets
/// `shares`: (index into `shares`, new size) in the order the controller
/// writes them. `allowed = R + surge` (0 when R is 0); the RSs are sorted by
/// size, ties newer first when adding and older first when removing
/// (`ReplicaSetsBySizeNewer/Older`); each gets `GetProportion` of the
/// difference (`getReplicaSetFraction`: round(replicas * (R + surge) /
/// max-replicas annotation, falling back to status.replicas) - replicas);
/// the first takes the leftover, floored at 0.
pub fn proportional_sizes(
    shares: &[Share],
    replicas: i32,
    surge: i32,
    status_replicas: i32,
) -> Vec<(usize, i32)> {
    let allowed = if replicas == 0 { 0 } else { replicas + surge };
    let to_add = allowed - shares.iter().map(|s| s.replicas).sum::<i32>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&shares[a], &shares[b]);
        let by_age = (x.created, &x.name).cmp(&(y.created, &y.name));
        y.replicas
            .cmp(&x.replicas)
            .then(if to_add > 0 { by_age.reverse() } else { by_age })
    });
    let mut added = 0;
    let mut sizes: Vec<(usize, i32)> = Vec::with_capacity(order.len());
    for &i in &order {
        let s = &shares[i];
        if to_add == 0 {
            sizes.push((i, s.replicas));
            continue;
        }
        let proportion = if s.replicas == 0 || to_add == added {
            0
        } else {
            let fraction = if replicas == 0 {
                -s.replicas
            } else {
                let before = s
                    .max_annotation
                    .filter(|&m| m != 0)
                    .unwrap_or(status_replicas);
                if before == 0 {
                    0
                } else {
                    let exact =
                        f64::from(s.replicas) * f64::from(replicas + surge) / f64::from(before);
                    exact.round() as i32 - s.replicas
                }
            };
            if to_add > 0 {
                fraction.min(to_add - added)
            } else {
                fraction.max(to_add - added)
            }
        };
        sizes.push((i, s.replicas + proportion));
        added += proportion;
    }
    if let Some(first) = sizes.first_mut() {
        if to_add != 0 {
            first.1 = (first.1 + to_add - added).max(0);
        }
    }
    sizes
}

/// The longest revision-history annotation (sync.go maxRevHistoryLengthInChars).
const MAX_REV_HISTORY_LENGTH: usize = 2000;

/// `SetNewReplicaSetAnnotations`: `history` with `old` appended, dropping
/// the oldest entries while the result would exceed 2000 characters.
pub fn append_revision_history(history: &str, old: &str) -> String {
    if history.is_empty() {
        return old.to_owned();
    }
    let entries: Vec<&str> = history.split(',').collect();
    let mut total = history.len() + old.len() + 1;
    let mut start = 0;
    while total > MAX_REV_HISTORY_LENGTH && start < entries.len() {
        total -= entries[start].len() + 1;
        start += 1;
    }
    if total <= MAX_REV_HISTORY_LENGTH {
        let mut kept: Vec<&str> = entries[start..].to_vec();
        kept.push(old);
        kept.join(",")
    } else {
        old.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};

    fn d(replicas: i32, surge: &str, unavailable: &str) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                strategy: Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(IntOrString::String(surge.into())),
                        max_unavailable: Some(IntOrString::String(unavailable.into())),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn fenceposts_match_the_worked_values() {
        // k8s-semantics §1.2 (deployment_util.go ResolveFenceposts).
        for (r, surge, unavail) in [
            (1, 1, 0),
            (2, 1, 0),
            (3, 1, 0),
            (4, 1, 1),
            (10, 3, 2),
            (100, 25, 25),
        ] {
            assert_eq!(
                resolve_fenceposts(&d(r, "25%", "25%")),
                Ok((surge, unavail)),
                "R={r}"
            );
        }
        assert_eq!(
            resolve_fenceposts(&d(3, "0%", "25%")),
            Ok((0, 1)),
            "0/0 after rounding gives unavailable 1"
        );
        assert_eq!(max_unavailable(&d(0, "25%", "25%")), 0);
    }

    #[test]
    fn values_that_are_neither_int_nor_percent_are_errors() {
        // intstr.GetScaledValueFromIntOrPercent / getIntOrPercentValueSafely.
        let s = |v: &str| IntOrString::String(v.into());
        assert_eq!(scaled_value(&IntOrString::Int(3), 10, true), Ok(3));
        assert_eq!(scaled_value(&s("25%"), 10, true), Ok(3));
        assert_eq!(scaled_value(&s("25%"), 10, false), Ok(2));
        assert_eq!(
            scaled_value(&s("oops"), 10, true),
            Err("invalid value for IntOrString: invalid type: string is not a percentage".into())
        );
        assert_eq!(
            scaled_value(&s("5"), 10, true),
            Err("invalid value for IntOrString: invalid type: string is not a percentage".into())
        );
        assert_eq!(
            scaled_value(&s("x%"), 10, true),
            Err("invalid value for IntOrString: invalid value \"x%\": strconv.Atoi: parsing \"x\": invalid syntax".into())
        );
        // The fenceposts fail instead of reading 0 (which the 0/0 rule
        // would have turned into a working rollout of surge 0, unavailable 1).
        assert!(resolve_fenceposts(&d(3, "oops", "25%")).is_err());
        assert!(resolve_fenceposts(&d(3, "25%", "oops")).is_err());
        // MaxSurge and MaxUnavailable drop the error ("Error caught by validation").
        assert_eq!(max_surge(&d(3, "oops", "25%")), 0);
        assert_eq!(max_unavailable(&d(3, "25%", "oops")), 0);
    }

    #[test]
    fn proportional_scaling_matches_the_documented_example() {
        // sync.go scale / deployment_util.go GetProportion, the example of the
        // Deployments concept page: R=10, maxSurge=3 mid-rollout with old 8 and
        // new 5 (max-replicas 13), scaled to 15: allowed 18, toAdd 5;
        // old: round(8*18/13 = 11.08) - 8 = 3; new: round(5*18/13 = 6.92) - 5 = 2.
        let at = |s| SimTime::ZERO + SimDuration::from_secs(s);
        let share = |replicas, created, name: &str| Share {
            replicas,
            max_annotation: Some(13),
            created: at(created),
            name: name.into(),
        };
        let shares = [share(5, 20, "new"), share(8, 10, "old")];
        assert_eq!(
            proportional_sizes(&shares, 15, 3, 13),
            vec![(1, 11), (0, 7)]
        );
        // Scaling down to R=5 (surge 3, allowed 8, toAdd -5), older first on ties:
        // old: max(round(8*8/13 = 4.92) - 8 = -3, -5) = -3; new: max(round(5*8/13 = 3.08) - 5 = -2, -2) = -2.
        assert_eq!(proportional_sizes(&shares, 5, 3, 13), vec![(1, 5), (0, 3)]);
        // Equal sizes: scaling up goes to the newer first, the leftover to it.
        let even = [share(2, 10, "a"), share(2, 20, "b")];
        // allowed 6 (R=5, surge 1), toAdd 2; b: round(2*6/13 = 0.92) - 2 = -1 -> min(-1, 2) = -1;
        // a: round(0.92) - 2 = -1 -> min(-1, 3) = -1; leftover 2 - (-2) = 4 to b: 2 - 1 + 4 = 5.
        assert_eq!(proportional_sizes(&even, 5, 1, 4), vec![(1, 5), (0, 1)]);
        // To zero: every RS gives up all its replicas.
        assert_eq!(proportional_sizes(&shares, 0, 3, 13), vec![(1, 0), (0, 0)]);
    }

    #[test]
    fn revision_history_appends_and_caps_at_2000_chars() {
        // deployment_util.go SetNewReplicaSetAnnotations (maxRevHistoryLengthInChars = 2000).
        assert_eq!(append_revision_history("", "1"), "1");
        assert_eq!(append_revision_history("1,3", "5"), "1,3,5");
        // "1,2,...,999" is 9 + 180 + 2700 digits + 998 commas = 3887 chars;
        // with ",1000" the total is 3892, so at least 1892 must go. Dropping
        // 1-9 frees 9*2 = 18, 10-99 frees 90*3 = 270 (288), then 4 per entry
        // from 100: ceil((1892 - 288) / 4) = 401 entries (100..=500), so the
        // first entry kept is 501.
        let long: Vec<String> = (1..=999).map(|i| i.to_string()).collect();
        let out = append_revision_history(&long.join(","), "1000");
        assert!(out.len() <= 2000, "{}", out.len());
        assert!(out.ends_with(",998,999,1000"));
        let first: i64 = out.split(',').next().unwrap().parse().unwrap();
        assert_eq!(first, 501);
    }

    #[test]
    fn template_hash_uses_the_safe_alphabet() {
        let h = template_hash(&PodTemplateSpec::default(), None);
        assert!(!h.is_empty() && h.len() <= 10);
        assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
        assert_ne!(h, template_hash(&PodTemplateSpec::default(), Some(1)));
    }
}
