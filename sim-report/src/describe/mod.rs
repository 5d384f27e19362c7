//! `kubectl describe` output for pods, nodes, namespaces, deployments and
//! jobs, as kubectl v1.32 prints it.
//!
//! Follows `k8s.io/kubectl/pkg/describe/describe.go` (`describePod`,
//! `describeNode`, `describeNamespace`, `describeDeployment`, `describeJob`,
//! `DescribeEvents` and their helpers), `k8s.io/kubectl/pkg/util/qos/qos.go`
//! (QoS class), `k8s.io/kubectl/pkg/util/resource/resource.go` (pod
//! requests and limits), `k8s.io/kubectl/pkg/util/event/sorted_event_list.go`
//! (event order) and Go's `sort.Sort` (pdqsort, `src/sort/zsortinterface.go`)
//! so that equal keys end up in the same order as in kubectl.
//!
//! Text is produced like kubectl's `PrefixWriter` (two spaces per level,
//! terminal-escaped) and aligned by Go's `text/tabwriter` with the settings
//! of `tabbedString` ([`crate::table::KUBECTL_DESCRIBE`]).
//!
//! Deviations, all documented where they happen: times are printed in UTC
//! (kubectl uses the local time zone of its machine); `*bool` values that Go
//! prints as pointers print as `<nil>`/`true`/`false`; fields the apiserver
//! always defaults are defaulted when missing.
//!
//! This module holds the `PrefixWriter`, the time format and the small
//! print helpers of `describe.go` (labels, annotations); the rest is one
//! room per kind and one per shared piece:
//!
//! - `pod.rs`, `node.rs`, `namespace.rs`, `deployment.rs`, `job.rs`: the
//!   entry points, [`describe_pod`], [`describe_node`], [`describe_namespace`],
//!   [`describe_deployment`] (the pod template of a deployment and a job too)
//!   and [`describe_job`];
//! - `containers.rs`: containers, their state, probes, environment and
//!   mounts (`describeContainers` and its helpers);
//! - `volumes.rs`: pod volumes (`describeVolumes`);
//! - `resources.rs`: requests, limits and the QoS class
//!   (`describeResources`, `podRequests` / `podLimits`, `ComputePodQOS`);
//! - `placement.rs`: tolerations and topology spread constraints;
//! - `events.rs`: the Events table (`DescribeEvents`);
//! - `go_sort.rs`: Go's `sort.Sort`, so that equal keys keep kubectl's order.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::table::{escape_terminal, tabwrite, KUBECTL_DESCRIBE};

mod containers;
mod deployment;
mod events;
mod go_sort;
mod job;
mod namespace;
mod node;
mod placement;
mod pod;
mod resources;
mod storage;
mod volumes;

#[cfg(test)]
mod test_fixtures;

pub use deployment::describe_deployment;
pub use job::describe_job;
pub use namespace::describe_namespace;
pub use node::describe_node;
pub use pod::describe_pod;
pub use storage::{describe_persistent_volume, describe_persistent_volume_claim};

const LEVEL_0: usize = 0;
const LEVEL_1: usize = 1;
const LEVEL_2: usize = 2;
const LEVEL_3: usize = 3;

/// Go's zero `time.Time` formatted as RFC 1123 with numeric zone.
const GO_ZERO_TIME: &str = "Mon, 01 Jan 0001 00:00:00 +0000";

/// Formats a timestamp like Go's `time.RFC1123Z`
/// ("Mon, 02 Jan 2006 15:04:05 -0700"), in UTC.
fn rfc1123z(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn rfc1123z_opt(t: Option<&Time>) -> String {
    t.map(|t| rfc1123z(t.0))
        .unwrap_or_else(|| GO_ZERO_TIME.to_string())
}

// ---------------------------------------------------------------------------
// PrefixWriter.

/// kubectl's `prefixWriter` / `nestedPrefixWriter` writing into a buffer
/// that is aligned by the tab writer at the end.
struct PrefixWriter {
    out: String,
    indent: usize,
}

impl PrefixWriter {
    fn new() -> Self {
        PrefixWriter {
            out: String::new(),
            indent: 0,
        }
    }

    /// `Write(level, format, args...)` with the text already formatted.
    fn write(&mut self, level: usize, text: &str) {
        let mut s = "  ".repeat(level + self.indent);
        s.push_str(text);
        self.out.push_str(&escape_terminal(&s));
    }

    /// `WriteLine(a...)`: the text and a newline; a nested writer indents it.
    fn write_line(&mut self, text: &str) {
        if self.indent > 0 {
            let t = format!("{text}\n");
            self.write(0, &t);
        } else {
            self.out.push_str(&escape_terminal(text));
            self.out.push('\n');
        }
    }

    fn finish(self) -> String {
        tabwrite(&self.out, KUBECTL_DESCRIBE)
    }
}

fn or_empty(v: Option<&String>) -> &str {
    v.map(String::as_str).unwrap_or("")
}

fn print_bool(v: bool) -> &'static str {
    if v {
        "True"
    } else {
        "False"
    }
}

fn go_opt_bool(v: Option<bool>) -> String {
    match v {
        Some(b) => b.to_string(),
        None => "<nil>".to_string(),
    }
}

/// `printLabelsMultilineWithIndent` (no skipped keys).
fn print_labels_multiline(
    w: &mut PrefixWriter,
    title: &str,
    labels: Option<&BTreeMap<String, String>>,
) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    let labels = match labels {
        Some(l) if !l.is_empty() => l,
        _ => {
            w.write_line("<none>");
            return;
        }
    };
    for (i, (k, v)) in labels.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        w.write(LEVEL_0, &format!("{k}={v}\n"));
    }
}

const MAX_ANNOTATION_LEN: usize = 140;

fn shorten(s: &str, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...", &s[..cut])
    } else {
        s.to_string()
    }
}

/// `printAnnotationsMultiline`: sorted, without the last-applied
/// configuration, long or multi-line values folded.
fn print_annotations_multiline(
    w: &mut PrefixWriter,
    title: &str,
    annotations: Option<&BTreeMap<String, String>>,
) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    let keys: Vec<(&String, &String)> = annotations
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "kubectl.kubernetes.io/last-applied-configuration")
        .collect();
    if keys.is_empty() {
        w.write_line("<none>");
        return;
    }
    let indent = "\t";
    for (i, (key, value)) in keys.into_iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, indent);
        }
        let value = value.strip_suffix('\n').unwrap_or(value);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.write(LEVEL_0, &format!("{key}:\n"));
            for s in value.split('\n') {
                w.write(
                    LEVEL_0,
                    &format!("{indent}  {}\n", shorten(s, MAX_ANNOTATION_LEN - 2)),
                );
            }
        } else {
            w.write(LEVEL_0, &format!("{key}: {value}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::test_fixtures::*;

    #[test]
    fn rfc1123z_format() {
        assert_eq!(rfc1123z(now()), "Sun, 15 Jun 2025 15:06:40 +0000");
        assert_eq!(rfc1123z_opt(None), GO_ZERO_TIME);
    }
}
