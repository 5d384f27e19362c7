//! `kubectl describe` output for pods, nodes, namespaces and deployments,
//! as kubectl v1.32 prints it.
//!
//! Follows `k8s.io/kubectl/pkg/describe/describe.go` (`describePod`,
//! `describeNode`, `describeNamespace`, `describeDeployment`,
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

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStatus, Event, Namespace, Node, PersistentVolumeClaimSpec,
    Pod, PodTemplateSpec, Probe, ResourceRequirements, Toleration, TopologySpreadConstraint,
    Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;
use sim_core::api::quantity::{ParsedQuantity, Quantity, QuantityFormat};

use crate::age::{age, age_micro, go_float_to_int};
use crate::printers::{format_label_selector, label_selector_string, node_roles};
use crate::table::{escape_terminal, tabwrite, KUBECTL_DESCRIBE};

const LEVEL_0: usize = 0;
const LEVEL_1: usize = 1;
const LEVEL_2: usize = 2;
const LEVEL_3: usize = 3;

/// Go's zero `time.Time` formatted as RFC 1123 with numeric zone.
const GO_ZERO_TIME: &str = "Mon, 01 Jan 0001 00:00:00 +0000";

/// Formats a timestamp like Go's `time.RFC1123Z`
/// ("Mon, 02 Jan 2006 15:04:05 -0700"), in UTC.
pub fn rfc1123z(t: Timestamp) -> String {
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

/// `printTolerationsMultilineWithIndent`.
fn print_tolerations_multiline(w: &mut PrefixWriter, title: &str, tolerations: &[Toleration]) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    if tolerations.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut tolerations: Vec<&Toleration> = tolerations.iter().collect();
    go_sort(&mut tolerations, &|a: &&Toleration, b: &&Toleration| {
        or_empty(a.key.as_ref()) < or_empty(b.key.as_ref())
    });
    for (i, t) in tolerations.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        let key = or_empty(t.key.as_ref());
        let value = or_empty(t.value.as_ref());
        let effect = or_empty(t.effect.as_ref());
        let mut line = key.to_string();
        if !value.is_empty() {
            line.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            line.push_str(&format!(":{effect}"));
        }
        if t.operator.as_deref() == Some("Exists") && value.is_empty() {
            if !key.is_empty() || !effect.is_empty() {
                line.push_str(" op=Exists");
            } else {
                line.push_str("op=Exists");
            }
        }
        if let Some(secs) = t.toleration_seconds {
            line.push_str(&format!(" for {secs}s"));
        }
        line.push('\n');
        w.write(LEVEL_0, &line);
    }
}

// ---------------------------------------------------------------------------
// Go's sort.Sort / sort.Slice (pdqsort), so that equal keys keep kubectl's
// order (`src/sort/zsortinterface.go`, `src/sort/sort.go`).

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hint {
    Unknown,
    Increasing,
    Decreasing,
}

fn bits_len(x: usize) -> usize {
    (usize::BITS - x.leading_zeros()) as usize
}

/// Sorts like Go's `sort.Sort` / `sort.Slice` with the given `Less`.
fn go_sort<T>(data: &mut [T], less: &dyn Fn(&T, &T) -> bool) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    pdqsort(data, less, 0, n, bits_len(n));
}

fn insertion_sort<T>(data: &mut [T], less: &dyn Fn(&T, &T) -> bool, a: usize, b: usize) {
    for i in a + 1..b {
        let mut j = i;
        while j > a && less(&data[j], &data[j - 1]) {
            data.swap(j, j - 1);
            j -= 1;
        }
    }
}

fn sift_down<T>(data: &mut [T], less: &dyn Fn(&T, &T) -> bool, lo: usize, hi: usize, first: usize) {
    let mut root = lo;
    loop {
        let mut child = 2 * root + 1;
        if child >= hi {
            return;
        }
        if child + 1 < hi && less(&data[first + child], &data[first + child + 1]) {
            child += 1;
        }
        if !less(&data[first + root], &data[first + child]) {
            return;
        }
        data.swap(first + root, first + child);
        root = child;
    }
}

fn heap_sort<T>(data: &mut [T], less: &dyn Fn(&T, &T) -> bool, a: usize, b: usize) {
    let first = a;
    let hi = b - a;
    let mut i = (hi as isize - 1) / 2;
    while i >= 0 {
        sift_down(data, less, i as usize, hi, first);
        i -= 1;
    }
    let mut i = hi as isize - 1;
    while i >= 0 {
        data.swap(first, first + i as usize);
        sift_down(data, less, 0, i as usize, first);
        i -= 1;
    }
}

fn pdqsort<T>(data: &mut [T], less: &dyn Fn(&T, &T) -> bool, a: usize, b: usize, limit: usize) {
    const MAX_INSERTION: usize = 12;
    let (mut a, mut b, mut limit) = (a, b, limit);
    let mut was_balanced = true;
    let mut was_partitioned = true;
    loop {
        let length = b - a;
        if length <= MAX_INSERTION {
            insertion_sort(data, less, a, b);
            return;
        }
        if limit == 0 {
            heap_sort(data, less, a, b);
            return;
        }
        if !was_balanced {
            break_patterns(data, a, b);
            limit -= 1;
        }
        let (mut pivot, mut hint) = choose_pivot(data, less, a, b);
        if hint == Hint::Decreasing {
            reverse_range(data, a, b);
            pivot = (b - 1) - (pivot - a);
            hint = Hint::Increasing;
        }
        if was_balanced
            && was_partitioned
            && hint == Hint::Increasing
            && partial_insertion_sort(data, less, a, b)
        {
            return;
        }
        if a > 0 && !less(&data[a - 1], &data[pivot]) {
            a = partition_equal(data, less, a, b, pivot);
            continue;
        }
        let (mid, already) = partition(data, less, a, b, pivot);
        was_partitioned = already;
        let (left_len, right_len) = (mid - a, b - mid);
        let balance_threshold = length / 8;
        if left_len < right_len {
            was_balanced = left_len >= balance_threshold;
            pdqsort(data, less, a, mid, limit);
            a = mid + 1;
        } else {
            was_balanced = right_len >= balance_threshold;
            pdqsort(data, less, mid + 1, b, limit);
            b = mid;
        }
    }
}

fn partition<T>(
    data: &mut [T],
    less: &dyn Fn(&T, &T) -> bool,
    a: usize,
    b: usize,
    pivot: usize,
) -> (usize, bool) {
    data.swap(a, pivot);
    let (mut i, mut j) = (a as isize + 1, b as isize - 1);
    while i <= j && less(&data[i as usize], &data[a]) {
        i += 1;
    }
    while i <= j && !less(&data[j as usize], &data[a]) {
        j -= 1;
    }
    if i > j {
        data.swap(j as usize, a);
        return (j as usize, true);
    }
    data.swap(i as usize, j as usize);
    i += 1;
    j -= 1;
    loop {
        while i <= j && less(&data[i as usize], &data[a]) {
            i += 1;
        }
        while i <= j && !less(&data[j as usize], &data[a]) {
            j -= 1;
        }
        if i > j {
            break;
        }
        data.swap(i as usize, j as usize);
        i += 1;
        j -= 1;
    }
    data.swap(j as usize, a);
    (j as usize, false)
}

fn partition_equal<T>(
    data: &mut [T],
    less: &dyn Fn(&T, &T) -> bool,
    a: usize,
    b: usize,
    pivot: usize,
) -> usize {
    data.swap(a, pivot);
    let (mut i, mut j) = (a as isize + 1, b as isize - 1);
    loop {
        while i <= j && !less(&data[a], &data[i as usize]) {
            i += 1;
        }
        while i <= j && less(&data[a], &data[j as usize]) {
            j -= 1;
        }
        if i > j {
            break;
        }
        data.swap(i as usize, j as usize);
        i += 1;
        j -= 1;
    }
    i as usize
}

fn partial_insertion_sort<T>(
    data: &mut [T],
    less: &dyn Fn(&T, &T) -> bool,
    a: usize,
    b: usize,
) -> bool {
    const MAX_STEPS: usize = 5;
    const SHORTEST_SHIFTING: usize = 50;
    let mut i = a + 1;
    for _ in 0..MAX_STEPS {
        while i < b && !less(&data[i], &data[i - 1]) {
            i += 1;
        }
        if i == b {
            return true;
        }
        if b - a < SHORTEST_SHIFTING {
            return false;
        }
        data.swap(i, i - 1);
        if i - a >= 2 {
            let mut j = i - 1;
            while j >= 1 {
                if !less(&data[j], &data[j - 1]) {
                    break;
                }
                data.swap(j, j - 1);
                j -= 1;
            }
        }
        if b - i >= 2 {
            let mut j = i + 1;
            while j < b {
                if !less(&data[j], &data[j - 1]) {
                    break;
                }
                data.swap(j, j - 1);
                j += 1;
            }
        }
    }
    false
}

fn break_patterns<T>(data: &mut [T], a: usize, b: usize) {
    let length = b - a;
    if length >= 8 {
        let mut random = length as u64;
        let modulus = 1u64 << bits_len(length);
        let start = a + (length / 4) * 2 - 1;
        for idx in start..=start + 2 {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            let mut other = (random & (modulus - 1)) as usize;
            if other >= length {
                other -= length;
            }
            data.swap(idx, a + other);
        }
    }
}

fn order2<T>(
    data: &[T],
    less: &dyn Fn(&T, &T) -> bool,
    a: usize,
    b: usize,
    swaps: &mut usize,
) -> (usize, usize) {
    if less(&data[b], &data[a]) {
        *swaps += 1;
        (b, a)
    } else {
        (a, b)
    }
}

fn median<T>(
    data: &[T],
    less: &dyn Fn(&T, &T) -> bool,
    a: usize,
    b: usize,
    c: usize,
    swaps: &mut usize,
) -> usize {
    let (a, b) = order2(data, less, a, b, swaps);
    let (b, _c) = order2(data, less, b, c, swaps);
    let (_a, b) = order2(data, less, a, b, swaps);
    b
}

fn choose_pivot<T>(data: &[T], less: &dyn Fn(&T, &T) -> bool, a: usize, b: usize) -> (usize, Hint) {
    const SHORTEST_NINTHER: usize = 50;
    const MAX_SWAPS: usize = 4 * 3;
    let l = b - a;
    let mut swaps = 0;
    let mut i = a + l / 4;
    let mut j = a + l / 4 * 2;
    let mut k = a + l / 4 * 3;
    if l >= 8 {
        if l >= SHORTEST_NINTHER {
            i = median(data, less, i - 1, i, i + 1, &mut swaps);
            j = median(data, less, j - 1, j, j + 1, &mut swaps);
            k = median(data, less, k - 1, k, k + 1, &mut swaps);
        }
        j = median(data, less, i, j, k, &mut swaps);
    }
    match swaps {
        0 => (j, Hint::Increasing),
        MAX_SWAPS => (j, Hint::Decreasing),
        _ => (j, Hint::Unknown),
    }
}

fn reverse_range<T>(data: &mut [T], a: usize, b: usize) {
    let (mut i, mut j) = (a, b - 1);
    while i < j {
        data.swap(i, j);
        i += 1;
        j -= 1;
    }
}

// ---------------------------------------------------------------------------
// Events.

/// `DescribeEvents`: the events in apiserver list order (by name) sorted
/// like kubectl (Go's unstable sort by `lastTimestamp`), with the Age column
/// `5m`, or `2m (x3 over 5m)` for repeated events.
fn describe_events(w: &mut PrefixWriter, events: &[&Event], now: Timestamp) {
    if events.is_empty() {
        w.write(LEVEL_0, "Events:\t<none>\n");
        return;
    }
    let mut events: Vec<&Event> = events.to_vec();
    go_sort(&mut events, &|a: &&Event, b: &&Event| {
        a.last_timestamp.as_ref().map(|t| t.0) < b.last_timestamp.as_ref().map(|t| t.0)
    });
    w.write(LEVEL_0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write(LEVEL_1, "----\t------\t----\t----\t-------\n");
    for e in events {
        let first = match &e.event_time {
            Some(t) => age_micro(Some(t), now),
            None => age(e.first_timestamp.as_ref(), now),
        };
        let count = e.count.unwrap_or(0);
        let interval = if let Some(series) = &e.series {
            format!(
                "{} (x{} over {})",
                age_micro(series.last_observed_time.as_ref(), now),
                series.count.unwrap_or(0),
                first
            )
        } else if count > 1 {
            format!(
                "{} (x{} over {})",
                age(e.last_timestamp.as_ref(), now),
                count,
                first
            )
        } else {
            first
        };
        let source = match e.source.as_ref().and_then(|s| s.component.as_deref()) {
            Some(c) if !c.is_empty() => c.to_string(),
            _ => or_empty(e.reporting_component.as_ref()).to_string(),
        };
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t{}\t{}\t{}\n",
                or_empty(e.type_.as_ref()),
                or_empty(e.reason.as_ref()),
                interval,
                source,
                or_empty(e.message.as_ref()).trim()
            ),
        );
    }
}

fn by_name<'a>(events: &[&'a Event]) -> Vec<&'a Event> {
    let mut v: Vec<&Event> = events.to_vec();
    v.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    v
}

// ---------------------------------------------------------------------------
// Resources and quantities.

type ResourceList = BTreeMap<String, K8sQuantity>;

/// A quantity as kubectl decodes it (Go `ParseQuantity`, printing the
/// input verbatim when Go would); zero when it does not parse.
fn parse_q(q: &K8sQuantity) -> ParsedQuantity {
    ParsedQuantity::parse(&q.0).unwrap_or_default()
}

/// The zero quantity printed in `format` (Go `resource.Quantity{Format: f}`).
fn zero_q(format: QuantityFormat) -> ParsedQuantity {
    Quantity::new(0, format).into()
}

/// `describeResources`.
fn describe_resources(
    w: &mut PrefixWriter,
    resources: Option<&ResourceRequirements>,
    level: usize,
) {
    let Some(r) = resources else {
        return;
    };
    if let Some(limits) = r.limits.as_ref().filter(|l| !l.is_empty()) {
        w.write(level, "Limits:\n");
        for (name, q) in limits {
            w.write(level + 1, &format!("{}:\t{}\n", name, parse_q(q)));
        }
    }
    if let Some(requests) = r.requests.as_ref().filter(|l| !l.is_empty()) {
        w.write(level, "Requests:\n");
        for (name, q) in requests {
            w.write(level + 1, &format!("{}:\t{}\n", name, parse_q(q)));
        }
    }
}

/// A resource list of parsed quantities.
type QList = BTreeMap<String, ParsedQuantity>;

fn to_qlist(list: Option<&ResourceList>) -> QList {
    list.into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), parse_q(v)))
        .collect()
}

fn add_resource_list(list: &mut QList, new: &QList) {
    for (name, q) in new {
        match list.get_mut(name) {
            Some(v) => v.add_saturating(&q.quantity()),
            None => {
                list.insert(name.clone(), q.clone());
            }
        }
    }
}

fn max_resource_list(list: &mut QList, new: &QList) {
    for (name, q) in new {
        match list.get(name) {
            Some(v) if q.cmp(v) != std::cmp::Ordering::Greater => {}
            _ => {
                list.insert(name.clone(), q.clone());
            }
        }
    }
}

fn is_restartable(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// `podRequests` of `kubectl/pkg/util/resource`.
fn pod_requests(pod: &Pod) -> QList {
    let mut reqs = QList::new();
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let statuses = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    for c in spec.map(|s| s.containers.as_slice()).unwrap_or(&[]) {
        let mut creqs = to_qlist(c.resources.as_ref().and_then(|r| r.requests.as_ref()));
        if let Some(cs_res) = statuses
            .iter()
            .rev()
            .find(|s| s.name == c.name)
            .and_then(|s| s.resources.as_ref())
        {
            let status_reqs = to_qlist(cs_res.requests.as_ref());
            if status.and_then(|s| s.resize.as_deref()) == Some("Infeasible") {
                creqs = status_reqs;
            } else {
                // max(container requests, status requests)
                let mut result = QList::new();
                for (k, v) in &creqs {
                    match status_reqs.get(k) {
                        Some(o) if v.cmp(o) != std::cmp::Ordering::Greater => {
                            result.insert(k.clone(), o.clone());
                        }
                        _ => {
                            result.insert(k.clone(), v.clone());
                        }
                    }
                }
                for (k, v) in &status_reqs {
                    result.entry(k.clone()).or_insert_with(|| v.clone());
                }
                creqs = result;
            }
        }
        add_resource_list(&mut reqs, &creqs);
    }
    let mut restartable = QList::new();
    let mut init = QList::new();
    for c in spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[])
    {
        let creqs = to_qlist(c.resources.as_ref().and_then(|r| r.requests.as_ref()));
        let effective = if is_restartable(c) {
            add_resource_list(&mut reqs, &creqs);
            add_resource_list(&mut restartable, &creqs);
            restartable.clone()
        } else {
            let mut tmp = QList::new();
            add_resource_list(&mut tmp, &creqs);
            add_resource_list(&mut tmp, &restartable);
            tmp
        };
        max_resource_list(&mut init, &effective);
    }
    max_resource_list(&mut reqs, &init);
    if let Some(overhead) = spec.and_then(|s| s.overhead.as_ref()) {
        add_resource_list(&mut reqs, &to_qlist(Some(overhead)));
    }
    reqs
}

/// `podLimits` of `kubectl/pkg/util/resource`.
fn pod_limits(pod: &Pod) -> QList {
    let mut limits = QList::new();
    let spec = pod.spec.as_ref();
    for c in spec.map(|s| s.containers.as_slice()).unwrap_or(&[]) {
        add_resource_list(
            &mut limits,
            &to_qlist(c.resources.as_ref().and_then(|r| r.limits.as_ref())),
        );
    }
    let mut restartable = QList::new();
    let mut init = QList::new();
    for c in spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[])
    {
        let climits = to_qlist(c.resources.as_ref().and_then(|r| r.limits.as_ref()));
        let effective = if is_restartable(c) {
            add_resource_list(&mut limits, &climits);
            add_resource_list(&mut restartable, &climits);
            restartable.clone()
        } else {
            let mut tmp = QList::new();
            add_resource_list(&mut tmp, &climits);
            add_resource_list(&mut tmp, &restartable);
            tmp
        };
        max_resource_list(&mut init, &effective);
    }
    max_resource_list(&mut limits, &init);
    if let Some(overhead) = spec.and_then(|s| s.overhead.as_ref()) {
        for (name, q) in to_qlist(Some(overhead)) {
            if let Some(v) = limits.get_mut(&name) {
                if !v.quantity().is_zero() {
                    v.add_saturating(&q.quantity());
                }
            }
        }
    }
    limits
}

fn qget(list: &QList, name: &str, format: QuantityFormat) -> ParsedQuantity {
    list.get(name).cloned().unwrap_or_else(|| zero_q(format))
}

/// `ComputePodQOS` (`kubectl/pkg/util/qos`), used when `status.qosClass`
/// is empty.
fn compute_pod_qos(pod: &Pod) -> &'static str {
    let zero = zero_q(QuantityFormat::DecimalSi);
    let supported = |n: &str| n == "cpu" || n == "memory";
    let process = |list: &mut QList, new: Option<&ResourceList>| {
        for (name, q) in new.into_iter().flatten() {
            if !supported(name) {
                continue;
            }
            let q = parse_q(q);
            if q.cmp(&zero) == std::cmp::Ordering::Greater {
                match list.get_mut(name) {
                    Some(v) => v.add_saturating(&q.quantity()),
                    None => {
                        list.insert(name.clone(), q);
                    }
                }
            }
        }
    };
    let has_all_limits = |l: Option<&ResourceList>| {
        let positive = |n: &str| {
            l.and_then(|l| l.get(n))
                .map(|q| parse_q(q).cmp(&zero) == std::cmp::Ordering::Greater)
                .unwrap_or(false)
        };
        positive("cpu") && positive("memory")
    };
    let mut requests = QList::new();
    let mut limits = QList::new();
    let mut guaranteed = true;
    let spec = pod.spec.as_ref();
    if let Some(res) = spec.and_then(|s| s.resources.as_ref()) {
        if res.requests.is_some() {
            process(&mut requests, res.requests.as_ref());
        }
        if res.limits.is_some() {
            process(&mut limits, res.limits.as_ref());
            if !has_all_limits(res.limits.as_ref()) {
                guaranteed = false;
            }
        }
    } else {
        let all = spec
            .map(|s| s.containers.iter())
            .into_iter()
            .flatten()
            .chain(
                spec.and_then(|s| s.init_containers.as_ref())
                    .into_iter()
                    .flatten(),
            );
        for c in all {
            let r = c.resources.as_ref();
            process(&mut requests, r.and_then(|r| r.requests.as_ref()));
            process(&mut limits, r.and_then(|r| r.limits.as_ref()));
            if !has_all_limits(r.and_then(|r| r.limits.as_ref())) {
                guaranteed = false;
            }
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed {
        for (name, req) in &requests {
            match limits.get(name) {
                Some(l) if l.cmp(req) == std::cmp::Ordering::Equal => {}
                _ => {
                    guaranteed = false;
                    break;
                }
            }
        }
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

// ---------------------------------------------------------------------------
// Containers.

/// `DescribeProbe`, with the apiserver's probe defaults for missing fields.
fn describe_probe(p: &Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.success_threshold.unwrap_or(1),
        p.failure_threshold.unwrap_or(3)
    );
    let port_str = |p: &IntOrString| match p {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(exec) = &p.exec {
        let cmd = exec.command.clone().unwrap_or_default().join(" ");
        return format!("exec [{cmd}] {attrs}");
    }
    if let Some(h) = &p.http_get {
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_lowercase();
        let host = or_empty(h.host.as_ref());
        let port = port_str(&h.port);
        let authority = if port.is_empty() {
            host.to_string()
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut path = or_empty(h.path.as_ref()).to_string();
        if !path.is_empty() && !path.starts_with('/') && !authority.is_empty() {
            path.insert(0, '/');
        }
        // net/url URL.String().
        let mut url = String::new();
        if !scheme.is_empty() {
            url.push_str(&scheme);
            url.push(':');
        }
        if !authority.is_empty() || !path.is_empty() {
            url.push_str("//");
        }
        url.push_str(&authority);
        url.push_str(&path);
        return format!("http-get {url} {attrs}");
    }
    if let Some(t) = &p.tcp_socket {
        return format!(
            "tcp-socket {}:{} {attrs}",
            or_empty(t.host.as_ref()),
            port_str(&t.port)
        );
    }
    if let Some(g) = &p.grpc {
        return format!(
            "grpc <pod>:{} {} {attrs}",
            g.port,
            or_empty(g.service.as_ref())
        );
    }
    format!("unknown {attrs}")
}

/// `describeStatus`.
fn describe_status(w: &mut PrefixWriter, state_name: &str, state: Option<&ContainerState>) {
    let running = state.and_then(|s| s.running.as_ref());
    let waiting = state.and_then(|s| s.waiting.as_ref());
    let terminated = state.and_then(|s| s.terminated.as_ref());
    if let Some(r) = running {
        w.write(LEVEL_2, &format!("{state_name}:\tRunning\n"));
        w.write(
            LEVEL_3,
            &format!("Started:\t{}\n", rfc1123z_opt(r.started_at.as_ref())),
        );
    } else if let Some(wt) = waiting {
        w.write(LEVEL_2, &format!("{state_name}:\tWaiting\n"));
        if let Some(r) = wt.reason.as_ref().filter(|r| !r.is_empty()) {
            w.write(LEVEL_3, &format!("Reason:\t{r}\n"));
        }
    } else if let Some(t) = terminated {
        w.write(LEVEL_2, &format!("{state_name}:\tTerminated\n"));
        if let Some(r) = t.reason.as_ref().filter(|r| !r.is_empty()) {
            w.write(LEVEL_3, &format!("Reason:\t{r}\n"));
        }
        if let Some(m) = t.message.as_ref().filter(|m| !m.is_empty()) {
            w.write(LEVEL_3, &format!("Message:\t{m}\n"));
        }
        w.write(LEVEL_3, &format!("Exit Code:\t{}\n", t.exit_code));
        if let Some(sig) = t.signal.filter(|s| *s > 0) {
            w.write(LEVEL_3, &format!("Signal:\t{sig}\n"));
        }
        w.write(
            LEVEL_3,
            &format!("Started:\t{}\n", rfc1123z_opt(t.started_at.as_ref())),
        );
        w.write(
            LEVEL_3,
            &format!("Finished:\t{}\n", rfc1123z_opt(t.finished_at.as_ref())),
        );
    } else {
        w.write(LEVEL_2, &format!("{state_name}:\tWaiting\n"));
    }
}

/// The value kubectl resolves for a `fieldRef` env var: only
/// `metadata.name` and `metadata.namespace` pass the field label conversion
/// of kubectl's scheme, so every other path shows empty.
fn resolve_field_ref(pod: Option<&Pod>, path: &str) -> String {
    match (pod, path) {
        (Some(p), "metadata.name") => p.metadata.name.clone().unwrap_or_default(),
        (Some(p), "metadata.namespace") => p.metadata.namespace.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// `ExtractContainerResourceValue` for the env var display.
fn container_resource_value(
    resource: &str,
    divisor: Option<&K8sQuantity>,
    c: &Container,
) -> Option<String> {
    let div = divisor
        .map(parse_q)
        .filter(|d| !d.quantity().is_zero())
        .unwrap_or_else(|| Quantity::new(1, QuantityFormat::DecimalSi).into());
    let res = c.resources.as_ref();
    let get = |list: Option<&ResourceList>, name: &str| {
        list.and_then(|l| l.get(name))
            .map(parse_q)
            .unwrap_or_else(|| zero_q(QuantityFormat::DecimalSi))
    };
    let limits = res.and_then(|r| r.limits.as_ref());
    let requests = res.and_then(|r| r.requests.as_ref());
    let ceil_div = |a: i64, b: i64| go_float_to_int((a as f64 / b as f64).ceil());
    let (q, cpu) = match resource {
        "limits.cpu" => (get(limits, "cpu"), true),
        "requests.cpu" => (get(requests, "cpu"), true),
        "limits.memory" => (get(limits, "memory"), false),
        "requests.memory" => (get(requests, "memory"), false),
        "limits.ephemeral-storage" => (get(limits, "ephemeral-storage"), false),
        "requests.ephemeral-storage" => (get(requests, "ephemeral-storage"), false),
        other => {
            if let Some(n) = other
                .strip_prefix("requests.")
                .filter(|n| n.starts_with("hugepages-"))
            {
                (get(requests, n), false)
            } else if let Some(n) = other
                .strip_prefix("limits.")
                .filter(|n| n.starts_with("hugepages-"))
            {
                (get(limits, n), false)
            } else {
                return None;
            }
        }
    };
    Some(if cpu {
        ceil_div(
            q.quantity().saturating_milli_value(),
            div.quantity().saturating_milli_value(),
        )
        .to_string()
    } else {
        ceil_div(
            q.quantity().saturating_value(),
            div.quantity().saturating_value(),
        )
        .to_string()
    })
}

fn describe_container_env(w: &mut PrefixWriter, c: &Container, pod: Option<&Pod>) {
    if let Some(env_from) = c.env_from.as_ref().filter(|e| !e.is_empty()) {
        w.write(LEVEL_2, "Environment Variables from:\n");
        for e in env_from {
            let (from, name, optional) = if let Some(cm) = &e.config_map_ref {
                ("ConfigMap", cm.name.clone(), cm.optional == Some(true))
            } else if let Some(s) = &e.secret_ref {
                ("Secret", s.name.clone(), s.optional == Some(true))
            } else {
                ("", String::new(), false)
            };
            match e.prefix.as_deref().filter(|p| !p.is_empty()) {
                None => w.write(LEVEL_3, &format!("{name}\t{from}\tOptional: {optional}\n")),
                Some(p) => w.write(
                    LEVEL_3,
                    &format!("{name}\t{from} with prefix '{p}'\tOptional: {optional}\n"),
                ),
            }
        }
    }
    let env = c.env.as_deref().unwrap_or(&[]);
    if env.is_empty() {
        w.write(LEVEL_2, "Environment:\t<none>\n");
    } else {
        w.write(LEVEL_2, "Environment:\n");
    }
    for e in env {
        let Some(vf) = &e.value_from else {
            for (i, s) in or_empty(e.value.as_ref()).split('\n').enumerate() {
                if i == 0 {
                    w.write(LEVEL_3, &format!("{}:\t{}\n", e.name, s));
                } else {
                    w.write(LEVEL_3, &format!("\t{s}\n"));
                }
            }
            continue;
        };
        if let Some(fr) = &vf.field_ref {
            let api_version = fr.api_version.as_deref().unwrap_or("v1");
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t{} ({}:{})\n",
                    e.name,
                    resolve_field_ref(pod, &fr.field_path),
                    api_version,
                    fr.field_path
                ),
            );
        } else if let Some(rf) = &vf.resource_field_ref {
            let mut value =
                container_resource_value(&rf.resource, rf.divisor.as_ref(), c).unwrap_or_default();
            if value == "0" && (rf.resource == "limits.cpu" || rf.resource == "limits.memory") {
                value = "node allocatable".to_string();
            }
            w.write(
                LEVEL_3,
                &format!("{}:\t{} ({})\n", e.name, value, rf.resource),
            );
        } else if let Some(sk) = &vf.secret_key_ref {
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                    e.name,
                    sk.key,
                    sk.name,
                    sk.optional == Some(true)
                ),
            );
        } else if let Some(ck) = &vf.config_map_key_ref {
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                    e.name,
                    ck.key,
                    ck.name,
                    ck.optional == Some(true)
                ),
            );
        }
    }
}

fn describe_container_volumes(w: &mut PrefixWriter, c: &Container) {
    let mut mounts: Vec<_> = c.volume_mounts.iter().flatten().collect();
    if mounts.is_empty() {
        w.write(LEVEL_2, "Mounts:\t<none>\n");
    } else {
        w.write(LEVEL_2, "Mounts:\n");
    }
    go_sort(
        &mut mounts,
        &|a: &&k8s_openapi::api::core::v1::VolumeMount,
          b: &&k8s_openapi::api::core::v1::VolumeMount| { a.mount_path < b.mount_path },
    );
    for m in mounts {
        let mut flags = vec![if m.read_only == Some(true) {
            "ro"
        } else {
            "rw"
        }
        .to_string()];
        if let Some(sp) = m.sub_path.as_ref().filter(|s| !s.is_empty()) {
            flags.push(format!("path={sp:?}"));
        }
        w.write(
            LEVEL_3,
            &format!("{} from {} ({})\n", m.mount_path, m.name, flags.join(",")),
        );
    }
    let mut devices: Vec<_> = c.volume_devices.iter().flatten().collect();
    if !devices.is_empty() {
        w.write(LEVEL_2, "Devices:\n");
        go_sort(
            &mut devices,
            &|a: &&k8s_openapi::api::core::v1::VolumeDevice,
              b: &&k8s_openapi::api::core::v1::VolumeDevice| {
                a.device_path < b.device_path
            },
        );
        for d in devices {
            w.write(LEVEL_3, &format!("{} from {}\n", d.device_path, d.name));
        }
    }
}

/// `describeContainers`; `pod` resolves fieldRef env vars (None for
/// templates) and `statuses` gives the runtime state (empty for templates).
fn describe_containers(
    w: &mut PrefixWriter,
    label: &str,
    containers: &[Container],
    statuses: &[ContainerStatus],
    pod: Option<&Pod>,
    space: &str,
) {
    let none = if containers.is_empty() { " <none>" } else { "" };
    w.write(LEVEL_0, &format!("{space}{label}:{none}\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in containers {
        let status = statuses.iter().rev().find(|s| s.name == c.name);
        w.write(LEVEL_1, &format!("{name_indent}{}:\n", c.name));
        if let Some(st) = status {
            w.write(
                LEVEL_2,
                &format!("Container ID:\t{}\n", or_empty(st.container_id.as_ref())),
            );
        }
        w.write(
            LEVEL_2,
            &format!("Image:\t{}\n", or_empty(c.image.as_ref())),
        );
        if let Some(st) = status {
            w.write(LEVEL_2, &format!("Image ID:\t{}\n", st.image_id));
        }
        let ports = c.ports.as_deref().unwrap_or(&[]);
        let proto = |p: &k8s_openapi::api::core::v1::ContainerPort| {
            p.protocol.clone().unwrap_or_else(|| "TCP".to_string())
        };
        let port_string = ports
            .iter()
            .map(|p| format!("{}/{}", p.container_port, proto(p)))
            .collect::<Vec<_>>()
            .join(", ");
        let host_port_string = ports
            .iter()
            .map(|p| format!("{}/{}", p.host_port.unwrap_or(0), proto(p)))
            .collect::<Vec<_>>()
            .join(", ");
        let or_none = |s: &str| {
            if s.is_empty() {
                "<none>".to_string()
            } else {
                s.to_string()
            }
        };
        if port_string.contains(',') {
            w.write(LEVEL_2, &format!("Ports:\t{port_string}\n"));
        } else {
            w.write(LEVEL_2, &format!("Port:\t{}\n", or_none(&port_string)));
        }
        if host_port_string.contains(',') {
            w.write(LEVEL_2, &format!("Host Ports:\t{host_port_string}\n"));
        } else {
            w.write(
                LEVEL_2,
                &format!("Host Port:\t{}\n", or_none(&host_port_string)),
            );
        }
        if let Some(sp) = c
            .security_context
            .as_ref()
            .and_then(|s| s.seccomp_profile.as_ref())
        {
            w.write(LEVEL_2, &format!("SeccompProfile:\t{}\n", sp.type_));
            if sp.type_ == "Localhost" {
                w.write(
                    LEVEL_3,
                    &format!(
                        "LocalhostProfile:\t{}\n",
                        or_empty(sp.localhost_profile.as_ref())
                    ),
                );
            }
        }
        for (title, items) in [("Command", &c.command), ("Args", &c.args)] {
            if let Some(items) = items.as_ref().filter(|v| !v.is_empty()) {
                w.write(LEVEL_2, &format!("{title}:\n"));
                for item in items {
                    for s in item.split('\n') {
                        w.write(LEVEL_3, &format!("{s}\n"));
                    }
                }
            }
        }
        if let Some(st) = status {
            describe_status(w, "State", st.state.as_ref());
            if let Some(last) = st.last_state.as_ref().filter(|l| l.terminated.is_some()) {
                describe_status(w, "Last State", Some(last));
            }
            w.write(LEVEL_2, &format!("Ready:\t{}\n", print_bool(st.ready)));
            w.write(LEVEL_2, &format!("Restart Count:\t{}\n", st.restart_count));
        }
        describe_resources(w, c.resources.as_ref(), LEVEL_2);
        for (title, probe) in [
            ("Liveness", &c.liveness_probe),
            ("Readiness", &c.readiness_probe),
            ("Startup", &c.startup_probe),
        ] {
            if let Some(p) = probe {
                w.write(LEVEL_2, &format!("{title}:\t{}\n", describe_probe(p)));
            }
        }
        describe_container_env(w, c, pod);
        describe_container_volumes(w, c);
    }
}

// ---------------------------------------------------------------------------
// Volumes.

fn describe_pvc_spec(
    w: &mut PrefixWriter,
    meta: Option<&ObjectMeta>,
    spec: &PersistentVolumeClaimSpec,
) {
    // printPersistentVolumeClaim(..., isFullPVC=false) through a nested writer.
    let class = meta
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get("volume.beta.kubernetes.io/storage-class"))
        .cloned()
        .or_else(|| spec.storage_class_name.clone())
        .unwrap_or_default();
    w.write(LEVEL_0, &format!("StorageClass:\t{class}\n"));
    w.write(
        LEVEL_0,
        &format!("Volume:\t{}\n", or_empty(spec.volume_name.as_ref())),
    );
    print_labels_multiline(w, "Labels", meta.and_then(|m| m.labels.as_ref()));
    print_annotations_multiline(w, "Annotations", meta.and_then(|m| m.annotations.as_ref()));
    // A template has no status: with a volume name the capacity is the zero
    // quantity, otherwise empty; the access modes are empty.
    let capacity = if spec.volume_name.as_deref().unwrap_or("").is_empty() {
        ""
    } else {
        "0"
    };
    w.write(LEVEL_0, &format!("Capacity:\t{capacity}\n"));
    w.write(LEVEL_0, "Access Modes:\t\n");
    if let Some(mode) = &spec.volume_mode {
        w.write(LEVEL_0, &format!("VolumeMode:\t{mode}\n"));
    }
    if let Some(ds) = &spec.data_source {
        w.write(LEVEL_0, "DataSource:\n");
        if let Some(g) = &ds.api_group {
            w.write(LEVEL_1, &format!("APIGroup:\t{g}\n"));
        }
        w.write(LEVEL_1, &format!("Kind:\t{}\n", ds.kind));
        w.write(LEVEL_1, &format!("Name:\t{}\n", ds.name));
    }
}

/// `describeVolumes` for the volume sources kubesim uses; other sources
/// print `<unknown>`.
fn describe_volumes(w: &mut PrefixWriter, volumes: &[Volume], space: &str) {
    if volumes.is_empty() {
        w.write(LEVEL_0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.write(LEVEL_0, &format!("{space}Volumes:\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in volumes {
        w.write(LEVEL_1, &format!("{name_indent}{}:\n", v.name));
        if let Some(hp) = &v.host_path {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
                    hp.path,
                    hp.type_.as_deref().unwrap_or("<none>")
                ),
            );
        } else if let Some(ed) = &v.empty_dir {
            let size = ed
                .size_limit
                .as_ref()
                .map(parse_q)
                .filter(|q| {
                    q.cmp(&zero_q(QuantityFormat::DecimalSi)) == std::cmp::Ordering::Greater
                })
                .map(|q| q.to_string())
                .unwrap_or_else(|| "<unset>".to_string());
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{}\n",
                    or_empty(ed.medium.as_ref()),
                    size
                ),
            );
        } else if let Some(sec) = &v.secret {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                    or_empty(sec.secret_name.as_ref()),
                    sec.optional == Some(true)
                ),
            );
        } else if let Some(cm) = &v.config_map {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
                    cm.name,
                    cm.optional == Some(true)
                ),
            );
        } else if let Some(nfs) = &v.nfs {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
                    nfs.server,
                    nfs.path,
                    nfs.read_only.unwrap_or(false)
                ),
            );
        } else if let Some(pvc) = &v.persistent_volume_claim {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
                    pvc.claim_name,
                    pvc.read_only.unwrap_or(false)
                ),
            );
        } else if let Some(eph) = &v.ephemeral {
            w.write(
                LEVEL_2,
                "Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)\n",
            );
            if let Some(t) = &eph.volume_claim_template {
                let saved = w.indent;
                w.indent += LEVEL_2;
                describe_pvc_spec(w, t.metadata.as_ref(), &t.spec);
                w.indent = saved;
            }
        } else if let Some(d) = &v.downward_api {
            w.write(
                LEVEL_2,
                "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n",
            );
            for item in d.items.iter().flatten() {
                if let Some(f) = &item.field_ref {
                    w.write(LEVEL_3, &format!("{} -> {}\n", f.field_path, item.path));
                }
                if let Some(r) = &item.resource_field_ref {
                    w.write(LEVEL_3, &format!("{} -> {}\n", r.resource, item.path));
                }
            }
        } else if let Some(p) = &v.projected {
            w.write(
                LEVEL_2,
                "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
            );
            for src in p.sources.iter().flatten() {
                if let Some(s) = &src.secret {
                    w.write(
                        LEVEL_2,
                        &format!(
                            "SecretName:\t{}\n    SecretOptionalName:\t{}\n",
                            s.name,
                            go_opt_bool(s.optional)
                        ),
                    );
                } else if src.downward_api.is_some() {
                    w.write(LEVEL_2, "DownwardAPI:\ttrue\n");
                } else if let Some(cm) = &src.config_map {
                    w.write(
                        LEVEL_2,
                        &format!(
                            "ConfigMapName:\t{}\n    ConfigMapOptional:\t{}\n",
                            cm.name,
                            go_opt_bool(cm.optional)
                        ),
                    );
                } else if let Some(sat) = &src.service_account_token {
                    w.write(
                        LEVEL_2,
                        &format!(
                            "TokenExpirationSeconds:\t{}\n",
                            sat.expiration_seconds.unwrap_or(3600)
                        ),
                    );
                }
            }
        } else if let Some(csi) = &v.csi {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n",
                    csi.driver,
                    or_empty(csi.fs_type.as_ref()),
                    csi.read_only == Some(true)
                ),
            );
            w.write(LEVEL_2, "VolumeAttributes:\t");
            match csi.volume_attributes.as_ref().filter(|a| !a.is_empty()) {
                None => w.write_line("<none>"),
                Some(attrs) => {
                    for (i, (k, val)) in attrs.iter().enumerate() {
                        if i != 0 {
                            w.write(LEVEL_2, "");
                            w.write(LEVEL_2, "\t");
                        }
                        let line = format!("{k}={val}");
                        w.write(
                            LEVEL_2,
                            &format!("{}\n", shorten(&line, MAX_ANNOTATION_LEN)),
                        );
                    }
                }
            }
        } else if let Some(img) = &v.image {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tImage (a container image or OCI artifact)\n    Reference:\t{}\n    PullPolicy:\t{}\n",
                    or_empty(img.reference.as_ref()),
                    or_empty(img.pull_policy.as_ref())
                ),
            );
        } else {
            w.write(LEVEL_1, "<unknown>\n");
        }
    }
}

fn describe_topology_spread_constraints(
    w: &mut PrefixWriter,
    tscs: &[TopologySpreadConstraint],
    space: &str,
) {
    if tscs.is_empty() {
        return;
    }
    let mut tscs: Vec<&TopologySpreadConstraint> = tscs.iter().collect();
    go_sort(
        &mut tscs,
        &|a: &&TopologySpreadConstraint, b: &&TopologySpreadConstraint| {
            a.topology_key < b.topology_key
        },
    );
    w.write(LEVEL_0, &format!("{space}Topology Spread Constraints:\t"));
    for (i, t) in tscs.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, space);
            w.write(LEVEL_0, "\t");
        }
        let mut line = format!(
            "{}:{} when max skew {} is exceeded",
            t.topology_key, t.when_unsatisfiable, t.max_skew
        );
        if let Some(sel) = &t.label_selector {
            let s = format_label_selector(Some(sel));
            line.push_str(&format!(" for selector {s}"));
        }
        line.push('\n');
        w.write(LEVEL_0, &line);
    }
}

// ---------------------------------------------------------------------------
// Pod.

/// `kubectl describe pod`. `events` are the events kubectl would find for
/// the pod (involvedObject = this pod), in any order: they are put in
/// apiserver list order (by name) and then sorted as kubectl does.
pub fn describe_pod(pod: &Pod, events: &[&Event], now: Timestamp) -> String {
    let mut w = PrefixWriter::new();
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    w.write(
        LEVEL_0,
        &format!("Name:\t{}\n", or_empty(meta.name.as_ref())),
    );
    w.write(
        LEVEL_0,
        &format!("Namespace:\t{}\n", or_empty(meta.namespace.as_ref())),
    );
    if let Some(p) = spec.and_then(|s| s.priority) {
        w.write(LEVEL_0, &format!("Priority:\t{p}\n"));
    }
    if let Some(pc) = spec
        .and_then(|s| s.priority_class_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Priority Class Name:\t{pc}\n"));
    }
    if let Some(rc) = spec
        .and_then(|s| s.runtime_class_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Runtime Class Name:\t{rc}\n"));
    }
    if let Some(sa) = spec
        .and_then(|s| s.service_account_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Service Account:\t{sa}\n"));
    }
    match spec
        .and_then(|s| s.node_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        None => w.write(LEVEL_0, "Node:\t<none>\n"),
        Some(n) => w.write(
            LEVEL_0,
            &format!(
                "Node:\t{}/{}\n",
                n,
                or_empty(status.and_then(|s| s.host_ip.as_ref()))
            ),
        ),
    }
    if let Some(st) = status.and_then(|s| s.start_time.as_ref()) {
        w.write(LEVEL_0, &format!("Start Time:\t{}\n", rfc1123z(st.0)));
    }
    print_labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".to_string());
    if meta.deletion_timestamp.is_some() && phase != "Failed" && phase != "Succeeded" {
        w.write(
            LEVEL_0,
            &format!(
                "Status:\tTerminating (lasts {})\n",
                age(meta.deletion_timestamp.as_ref(), now)
            ),
        );
        let grace = meta
            .deletion_grace_period_seconds
            .or_else(|| spec.and_then(|s| s.termination_grace_period_seconds))
            .unwrap_or(30);
        w.write(LEVEL_0, &format!("Termination Grace Period:\t{grace}s\n"));
    } else {
        w.write(LEVEL_0, &format!("Status:\t{phase}\n"));
    }
    if let Some(r) = status
        .and_then(|s| s.reason.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Reason:\t{r}\n"));
    }
    if let Some(m) = status
        .and_then(|s| s.message.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Message:\t{m}\n"));
    }
    if let Some(sp) = spec
        .and_then(|s| s.security_context.as_ref())
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        w.write(LEVEL_0, &format!("SeccompProfile:\t{}\n", sp.type_));
        if sp.type_ == "Localhost" {
            w.write(
                LEVEL_0,
                &format!(
                    "LocalhostProfile:\t{}\n",
                    or_empty(sp.localhost_profile.as_ref())
                ),
            );
        }
    }
    w.write(
        LEVEL_0,
        &format!(
            "IP:\t{}\n",
            or_empty(status.and_then(|s| s.pod_ip.as_ref()))
        ),
    );
    let ips = status.and_then(|s| s.pod_ips.as_deref()).unwrap_or(&[]);
    if ips.is_empty() {
        w.write(LEVEL_0, "IPs:\t<none>\n");
    } else {
        w.write(LEVEL_0, "IPs:\n");
        for ip in ips {
            w.write(LEVEL_1, &format!("IP:\t{}\n", ip.ip));
        }
    }
    if let Some(owner) = meta
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
    {
        w.write(
            LEVEL_0,
            &format!("Controlled By:\t{}/{}\n", owner.kind, owner.name),
        );
    }
    if let Some(n) = status
        .and_then(|s| s.nominated_node_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("NominatedNodeName:\t{n}\n"));
    }
    if let Some(res) = spec.and_then(|s| s.resources.as_ref()) {
        w.write(LEVEL_0, "Resources:\n");
        describe_resources(&mut w, Some(res), LEVEL_1);
    }
    let init = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    if !init.is_empty() {
        describe_containers(
            &mut w,
            "Init Containers",
            init,
            status
                .and_then(|s| s.init_container_statuses.as_deref())
                .unwrap_or(&[]),
            Some(pod),
            "",
        );
    }
    describe_containers(
        &mut w,
        "Containers",
        spec.map(|s| s.containers.as_slice()).unwrap_or(&[]),
        status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or(&[]),
        Some(pod),
        "",
    );
    let ephemeral: Vec<Container> = spec
        .and_then(|s| s.ephemeral_containers.as_ref())
        .into_iter()
        .flatten()
        .map(|e| Container {
            name: e.name.clone(),
            image: e.image.clone(),
            command: e.command.clone(),
            args: e.args.clone(),
            env: e.env.clone(),
            env_from: e.env_from.clone(),
            ports: e.ports.clone(),
            resources: e.resources.clone(),
            security_context: e.security_context.clone(),
            volume_mounts: e.volume_mounts.clone(),
            volume_devices: e.volume_devices.clone(),
            liveness_probe: e.liveness_probe.clone(),
            readiness_probe: e.readiness_probe.clone(),
            startup_probe: e.startup_probe.clone(),
            ..Default::default()
        })
        .collect();
    if !ephemeral.is_empty() {
        describe_containers(
            &mut w,
            "Ephemeral Containers",
            &ephemeral,
            status
                .and_then(|s| s.ephemeral_container_statuses.as_deref())
                .unwrap_or(&[]),
            Some(pod),
            "",
        );
    }
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    let gates = spec
        .and_then(|s| s.readiness_gates.as_deref())
        .unwrap_or(&[]);
    if !gates.is_empty() {
        w.write(LEVEL_0, "Readiness Gates:\n  Type\tStatus\n");
        for g in gates {
            let st = conditions
                .iter()
                .find(|c| c.type_ == g.condition_type)
                .map(|c| c.status.clone())
                .unwrap_or_else(|| "<none>".to_string());
            w.write(LEVEL_1, &format!("{} \t{} \n", g.condition_type, st));
        }
    }
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\n");
        for c in conditions {
            w.write(LEVEL_1, &format!("{} \t{} \n", c.type_, c.status));
        }
    }
    describe_volumes(
        &mut w,
        spec.and_then(|s| s.volumes.as_deref()).unwrap_or(&[]),
        "",
    );
    let qos = match status.and_then(|s| s.qos_class.as_deref()) {
        Some(q) if !q.is_empty() => q.to_string(),
        _ => compute_pod_qos(pod).to_string(),
    };
    w.write(LEVEL_0, &format!("QoS Class:\t{qos}\n"));
    print_labels_multiline(
        &mut w,
        "Node-Selectors",
        spec.and_then(|s| s.node_selector.as_ref()),
    );
    print_tolerations_multiline(
        &mut w,
        "Tolerations",
        spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]),
    );
    describe_topology_spread_constraints(
        &mut w,
        spec.and_then(|s| s.topology_spread_constraints.as_deref())
            .unwrap_or(&[]),
        "",
    );
    describe_events(&mut w, &by_name(events), now);
    w.finish()
}

// ---------------------------------------------------------------------------
// Node.

fn percent(num: i64, den: i64) -> i64 {
    go_float_to_int(num as f64 / den as f64 * 100.0)
}

/// `kubectl describe node`. `pods` are the node's non-terminated pods
/// (`spec.nodeName` = the node, phase not Succeeded/Failed), printed in
/// apiserver list order (by `namespace/name`); `lease` is the node's Lease
/// in `kube-node-lease` (`None` prints kubectl's not-found error); `events`
/// are the events about the node: those whose involvedObject.uid is the
/// node's UID come first, then the others (kubectl's two queries, by UID
/// and by name), each group in list order, before kubectl's sort.
pub fn describe_node(
    node: &Node,
    pods: &[&Pod],
    lease: Option<&Lease>,
    events: &[&Event],
    now: Timestamp,
) -> String {
    let mut w = PrefixWriter::new();
    let meta = &node.metadata;
    let spec = node.spec.as_ref();
    let status = node.status.as_ref();
    let name = or_empty(meta.name.as_ref());
    w.write(LEVEL_0, &format!("Name:\t{name}\n"));
    let roles = node_roles(node);
    if roles.is_empty() {
        w.write(LEVEL_0, "Roles:\t<none>\n");
    } else {
        w.write(LEVEL_0, &format!("Roles:\t{}\n", roles.join(",")));
    }
    print_labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    w.write(
        LEVEL_0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z_opt(meta.creation_timestamp.as_ref())
        ),
    );
    // printNodeTaintsMultiline
    w.write(LEVEL_0, "Taints:\t");
    let mut taints: Vec<_> = spec
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .collect();
    if taints.is_empty() {
        w.write_line("<none>");
    } else {
        go_sort(
            &mut taints,
            &|a: &&k8s_openapi::api::core::v1::Taint, b: &&k8s_openapi::api::core::v1::Taint| {
                format!("{},{}", a.effect, a.key) < format!("{},{}", b.effect, b.key)
            },
        );
        for (i, t) in taints.iter().enumerate() {
            if i != 0 {
                w.write(LEVEL_0, "\t");
            }
            let text = match t.value.as_deref().filter(|v| !v.is_empty()) {
                None => format!("{}:{}", t.key, t.effect),
                Some(v) => format!("{}={}:{}", t.key, v, t.effect),
            };
            w.write(LEVEL_0, &format!("{text}\n"));
        }
    }
    w.write(
        LEVEL_0,
        &format!(
            "Unschedulable:\t{}\n",
            spec.and_then(|s| s.unschedulable).unwrap_or(false)
        ),
    );
    match lease {
        Some(l) => {
            w.write(LEVEL_0, "Lease:\n");
            let ls = l.spec.as_ref();
            w.write(
                LEVEL_1,
                &format!(
                    "HolderIdentity:\t{}\n",
                    ls.and_then(|s| s.holder_identity.clone())
                        .unwrap_or_else(|| "<unset>".to_string())
                ),
            );
            let fmt_micro =
                |t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime>| {
                    t.map(|t| rfc1123z(t.0))
                        .unwrap_or_else(|| "<unset>".to_string())
                };
            w.write(
                LEVEL_1,
                &format!(
                    "AcquireTime:\t{}\n",
                    fmt_micro(ls.and_then(|s| s.acquire_time.as_ref()))
                ),
            );
            w.write(
                LEVEL_1,
                &format!(
                    "RenewTime:\t{}\n",
                    fmt_micro(ls.and_then(|s| s.renew_time.as_ref()))
                ),
            );
        }
        None => w.write(
            LEVEL_0,
            &format!(
                "Lease:\tFailed to get lease: leases.coordination.k8s.io \"{name}\" not found\n"
            ),
        ),
    }
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    if !conditions.is_empty() {
        w.write(
            LEVEL_0,
            "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
        );
        w.write(
            LEVEL_1,
            "----\t------\t-----------------\t------------------\t------\t-------\n",
        );
        for c in conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    c.type_,
                    c.status,
                    rfc1123z_opt(c.last_heartbeat_time.as_ref()),
                    rfc1123z_opt(c.last_transition_time.as_ref()),
                    or_empty(c.reason.as_ref()),
                    or_empty(c.message.as_ref())
                ),
            );
        }
    }
    w.write(LEVEL_0, "Addresses:\n");
    for a in status.and_then(|s| s.addresses.as_deref()).unwrap_or(&[]) {
        w.write(LEVEL_1, &format!("{}:\t{}\n", a.type_, a.address));
    }
    let capacity = status
        .and_then(|s| s.capacity.as_ref())
        .filter(|c| !c.is_empty());
    let allocatable_raw = status
        .and_then(|s| s.allocatable.as_ref())
        .filter(|c| !c.is_empty());
    for (title, list) in [("Capacity", capacity), ("Allocatable", allocatable_raw)] {
        if let Some(list) = list {
            w.write(LEVEL_0, &format!("{title}:\n"));
            for (name, q) in list {
                w.write(LEVEL_0, &format!("  {}:\t{}\n", name, parse_q(q)));
            }
        }
    }
    let default_info = k8s_openapi::api::core::v1::NodeSystemInfo::default();
    let info = status
        .and_then(|s| s.node_info.as_ref())
        .unwrap_or(&default_info);
    w.write(LEVEL_0, "System Info:\n");
    for (k, v) in [
        ("Machine ID", &info.machine_id),
        ("System UUID", &info.system_uuid),
        ("Boot ID", &info.boot_id),
        ("Kernel Version", &info.kernel_version),
        ("OS Image", &info.os_image),
        ("Operating System", &info.operating_system),
        ("Architecture", &info.architecture),
        ("Container Runtime Version", &info.container_runtime_version),
        ("Kubelet Version", &info.kubelet_version),
        ("Kube-Proxy Version", &info.kube_proxy_version),
    ] {
        w.write(LEVEL_0, &format!("  {k}:\t{v}\n"));
    }
    if let Some(c) = spec
        .and_then(|s| s.pod_cidr.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("PodCIDR:\t{c}\n"));
    }
    if let Some(c) = spec
        .and_then(|s| s.pod_cidrs.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("PodCIDRs:\t{}\n", c.join(",")));
    }
    if let Some(p) = spec
        .and_then(|s| s.provider_id.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("ProviderID:\t{p}\n"));
    }

    // describeNodeResource
    let mut pods: Vec<&Pod> = pods.to_vec();
    pods.sort_by_key(|p| {
        format!(
            "{}/{}",
            or_empty(p.metadata.namespace.as_ref()),
            or_empty(p.metadata.name.as_ref())
        )
    });
    w.write(
        LEVEL_0,
        &format!("Non-terminated Pods:\t({} in total)\n", pods.len()),
    );
    w.write(
        LEVEL_1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n",
    );
    w.write(
        LEVEL_1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n",
    );
    let allocatable = to_qlist(allocatable_raw.or(capacity));
    let alloc_cpu = qget(&allocatable, "cpu", QuantityFormat::DecimalSi)
        .quantity()
        .saturating_milli_value();
    let alloc_mem = qget(&allocatable, "memory", QuantityFormat::BinarySi)
        .quantity()
        .saturating_value();
    let alloc_eph = qget(&allocatable, "ephemeral-storage", QuantityFormat::BinarySi)
        .quantity()
        .saturating_value();
    let mut total_reqs = QList::new();
    let mut total_limits = QList::new();
    for p in &pods {
        let reqs = pod_requests(p);
        let limits = pod_limits(p);
        let cpu_req = qget(&reqs, "cpu", QuantityFormat::DecimalSi);
        let cpu_lim = qget(&limits, "cpu", QuantityFormat::DecimalSi);
        let mem_req = qget(&reqs, "memory", QuantityFormat::DecimalSi);
        let mem_lim = qget(&limits, "memory", QuantityFormat::DecimalSi);
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{}\n",
                or_empty(p.metadata.namespace.as_ref()),
                or_empty(p.metadata.name.as_ref()),
                cpu_req,
                percent(cpu_req.quantity().saturating_milli_value(), alloc_cpu),
                cpu_lim,
                percent(cpu_lim.quantity().saturating_milli_value(), alloc_cpu),
                mem_req,
                percent(mem_req.quantity().saturating_value(), alloc_mem),
                mem_lim,
                percent(mem_lim.quantity().saturating_value(), alloc_mem),
                age(p.metadata.creation_timestamp.as_ref(), now)
            ),
        );
        add_resource_list(&mut total_reqs, &reqs);
        add_resource_list(&mut total_limits, &limits);
    }
    w.write(
        LEVEL_0,
        "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n",
    );
    w.write(LEVEL_1, "Resource\tRequests\tLimits\n");
    w.write(LEVEL_1, "--------\t--------\t------\n");
    let guarded = |num: i64, den: i64| if den != 0 { percent(num, den) } else { 0 };
    for (name, den, milli) in [
        ("cpu", alloc_cpu, true),
        ("memory", alloc_mem, false),
        ("ephemeral-storage", alloc_eph, false),
    ] {
        let r = qget(&total_reqs, name, QuantityFormat::DecimalSi);
        let l = qget(&total_limits, name, QuantityFormat::DecimalSi);
        let (rv, lv) = if milli {
            (
                r.quantity().saturating_milli_value(),
                l.quantity().saturating_milli_value(),
            )
        } else {
            (
                r.quantity().saturating_value(),
                l.quantity().saturating_value(),
            )
        };
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{} ({}%)\t{} ({}%)\n",
                name,
                r,
                guarded(rv, den),
                l,
                guarded(lv, den)
            ),
        );
    }
    for (name, alloc_q) in allocatable
        .iter()
        .filter(|(n, _)| n.starts_with("hugepages-"))
    {
        let r = qget(&total_reqs, name, QuantityFormat::DecimalSi);
        let l = qget(&total_limits, name, QuantityFormat::DecimalSi);
        let den = alloc_q.quantity().saturating_value();
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{} ({}%)\t{} ({}%)\n",
                name,
                r,
                guarded(r.quantity().saturating_value(), den),
                l,
                guarded(l.quantity().saturating_value(), den)
            ),
        );
    }
    for name in allocatable.keys().filter(|n| {
        !matches!(n.as_str(), "cpu" | "memory" | "ephemeral-storage" | "pods")
            && !n.starts_with("hugepages-")
    }) {
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t{}\n",
                name,
                qget(&total_reqs, name, QuantityFormat::DecimalSi),
                qget(&total_limits, name, QuantityFormat::DecimalSi)
            ),
        );
    }
    // Events: first those found by UID, then those found by name.
    let uid = meta.uid.as_deref().unwrap_or("");
    let (mut by_uid, mut rest): (Vec<&Event>, Vec<&Event>) = events
        .iter()
        .copied()
        .partition(|e| !uid.is_empty() && e.involved_object.uid.as_deref() == Some(uid));
    by_uid = by_name(&by_uid);
    rest = by_name(&rest);
    by_uid.extend(rest);
    describe_events(&mut w, &by_uid, now);
    w.finish()
}

// ---------------------------------------------------------------------------
// Namespace.

/// `kubectl describe namespace` for a namespace without ResourceQuotas and
/// LimitRanges.
pub fn describe_namespace(ns: &Namespace) -> String {
    let mut w = PrefixWriter::new();
    w.write(
        LEVEL_0,
        &format!("Name:\t{}\n", or_empty(ns.metadata.name.as_ref())),
    );
    print_labels_multiline(&mut w, "Labels", ns.metadata.labels.as_ref());
    print_annotations_multiline(&mut w, "Annotations", ns.metadata.annotations.as_ref());
    let status = ns.status.as_ref();
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Active".to_string());
    w.write(LEVEL_0, &format!("Status:\t{phase}\n"));
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n");
        w.write(
            LEVEL_1,
            "Type\tStatus\tLastTransitionTime\tReason\tMessage\n",
        );
        w.write(
            LEVEL_1,
            "----\t------\t------------------\t------\t-------\n",
        );
        for c in conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    c.type_,
                    c.status,
                    rfc1123z_opt(c.last_transition_time.as_ref()),
                    or_empty(c.reason.as_ref()),
                    or_empty(c.message.as_ref())
                ),
            );
        }
    }
    w.write(LEVEL_0, "\n");
    w.write(LEVEL_0, "No resource quota.\n");
    w.write(LEVEL_0, "\n");
    w.write(LEVEL_0, "No LimitRange resource.\n");
    w.finish()
}

// ---------------------------------------------------------------------------
// Deployment.

fn describe_pod_template(w: &mut PrefixWriter, template: Option<&PodTemplateSpec>) {
    w.write(LEVEL_0, "Pod Template:\n");
    let Some(t) = template else {
        w.write(LEVEL_1, "<unset>");
        return;
    };
    let meta = t.metadata.as_ref();
    print_labels_multiline(w, "  Labels", meta.and_then(|m| m.labels.as_ref()));
    if let Some(a) = meta
        .and_then(|m| m.annotations.as_ref())
        .filter(|a| !a.is_empty())
    {
        print_annotations_multiline(w, "  Annotations", Some(a));
    }
    let spec = t.spec.as_ref();
    if let Some(sa) = spec
        .and_then(|s| s.service_account_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_1, &format!("Service Account:\t{sa}\n"));
    }
    let init = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    if !init.is_empty() {
        describe_containers(w, "Init Containers", init, &[], None, "  ");
    }
    describe_containers(
        w,
        "Containers",
        spec.map(|s| s.containers.as_slice()).unwrap_or(&[]),
        &[],
        None,
        "  ",
    );
    describe_volumes(
        w,
        spec.and_then(|s| s.volumes.as_deref()).unwrap_or(&[]),
        "  ",
    );
    describe_topology_spread_constraints(
        w,
        spec.and_then(|s| s.topology_spread_constraints.as_deref())
            .unwrap_or(&[]),
        "  ",
    );
    if let Some(pc) = spec
        .and_then(|s| s.priority_class_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_1, &format!("Priority Class Name:\t{pc}\n"));
    }
    print_labels_multiline(
        w,
        "  Node-Selectors",
        spec.and_then(|s| s.node_selector.as_ref()),
    );
    print_tolerations_multiline(
        w,
        "  Tolerations",
        spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]),
    );
}

fn int_or_string(v: Option<&IntOrString>, default: &str) -> String {
    match v {
        Some(IntOrString::Int(i)) => i.to_string(),
        Some(IntOrString::String(s)) => s.clone(),
        None => default.to_string(),
    }
}

fn replica_sets_by_labels(rss: &[&ReplicaSet]) -> String {
    let list: Vec<String> = rss
        .iter()
        .map(|rs| {
            format!(
                "{} ({}/{} replicas created)",
                or_empty(rs.metadata.name.as_ref()),
                rs.status.as_ref().map(|s| s.replicas).unwrap_or(0),
                rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
            )
        })
        .collect();
    if list.is_empty() {
        "<none>".to_string()
    } else {
        list.join(", ")
    }
}

/// `kubectl describe deployment`. `old_rss` / `new_rs` are the
/// deployment's old and current ReplicaSets (as
/// `deploymentutil.GetAllReplicaSets` finds them); `events` are the
/// deployment's events in any order.
pub fn describe_deployment(
    d: &Deployment,
    old_rss: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    events: &[&Event],
    now: Timestamp,
) -> String {
    let mut w = PrefixWriter::new();
    let meta = &d.metadata;
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    w.write(
        LEVEL_0,
        &format!("Name:\t{}\n", or_empty(meta.name.as_ref())),
    );
    w.write(
        LEVEL_0,
        &format!("Namespace:\t{}\n", or_empty(meta.namespace.as_ref())),
    );
    w.write(
        LEVEL_0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z_opt(meta.creation_timestamp.as_ref())
        ),
    );
    print_labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    let selector = label_selector_string(spec.map(|s| &s.selector))
        .unwrap_or_else(|_| "<invalid>".to_string());
    w.write(LEVEL_0, &format!("Selector:\t{selector}\n"));
    let st = |f: fn(&k8s_openapi::api::apps::v1::DeploymentStatus) -> Option<i32>| {
        status.and_then(f).unwrap_or(0)
    };
    w.write(
        LEVEL_0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            spec.and_then(|s| s.replicas).unwrap_or(1),
            st(|s| s.updated_replicas),
            st(|s| s.replicas),
            st(|s| s.available_replicas),
            st(|s| s.unavailable_replicas)
        ),
    );
    let strategy = spec.and_then(|s| s.strategy.as_ref());
    let strategy_type = strategy
        .and_then(|s| s.type_.clone())
        .unwrap_or_else(|| "RollingUpdate".to_string());
    w.write(LEVEL_0, &format!("StrategyType:\t{strategy_type}\n"));
    w.write(
        LEVEL_0,
        &format!(
            "MinReadySeconds:\t{}\n",
            spec.and_then(|s| s.min_ready_seconds).unwrap_or(0)
        ),
    );
    if strategy_type == "RollingUpdate" {
        let ru = strategy.and_then(|s| s.rolling_update.as_ref());
        w.write(
            LEVEL_0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                int_or_string(ru.and_then(|r| r.max_unavailable.as_ref()), "25%"),
                int_or_string(ru.and_then(|r| r.max_surge.as_ref()), "25%")
            ),
        );
    }
    let default_template = PodTemplateSpec::default();
    describe_pod_template(
        &mut w,
        Some(spec.map(|s| &s.template).unwrap_or(&default_template)),
    );
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(LEVEL_1, "----\t------\t------\n");
        for c in conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{}\t{}\n",
                    c.type_,
                    c.status,
                    or_empty(c.reason.as_ref())
                ),
            );
        }
    }
    let new_list: Vec<&ReplicaSet> = new_rs.into_iter().collect();
    if !old_rss.is_empty() || !new_list.is_empty() {
        w.write(
            LEVEL_0,
            &format!("OldReplicaSets:\t{}\n", replica_sets_by_labels(old_rss)),
        );
        w.write(
            LEVEL_0,
            &format!("NewReplicaSet:\t{}\n", replica_sets_by_labels(&new_list)),
        );
    }
    describe_events(&mut w, &by_name(events), now);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{
        DeploymentCondition, DeploymentSpec, DeploymentStatus, ReplicaSetSpec, ReplicaSetStatus,
    };
    use k8s_openapi::api::coordination::v1::LeaseSpec;
    use k8s_openapi::api::core::v1::{
        ConfigMapProjection, ContainerPort, ContainerStateRunning, ContainerStateTerminated,
        ContainerStateWaiting, DownwardAPIProjection, EnvVar, EnvVarSource, EventSource,
        HTTPGetAction, NamespaceStatus, NodeAddress, NodeCondition, NodeSpec, NodeStatus,
        NodeSystemInfo, ObjectFieldSelector, ObjectReference, PodCondition, PodIP, PodSpec,
        PodStatus, ProjectedVolumeSource, ServiceAccountTokenProjection, Taint, VolumeMount,
        VolumeProjection,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
        LabelSelector, MicroTime, OwnerReference,
    };

    const NOW: i64 = 1_750_000_000; // Sun, 15 Jun 2025 15:06:40 +0000

    fn now() -> Timestamp {
        Timestamp::from_second(NOW).unwrap()
    }

    fn ago(secs: i64) -> Time {
        Time(Timestamp::from_second(NOW - secs).unwrap())
    }

    fn map(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn q(pairs: &[(&str, &str)]) -> Option<ResourceList> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), K8sQuantity(v.to_string())))
                .collect(),
        )
    }

    fn event(
        name: &str,
        reason: &str,
        msg: &str,
        first_ago: i64,
        last_ago: i64,
        count: i32,
        from: &str,
    ) -> Event {
        Event {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            involved_object: ObjectReference::default(),
            reason: Some(reason.into()),
            message: Some(msg.into()),
            type_: Some("Normal".into()),
            source: Some(EventSource {
                component: Some(from.into()),
                host: None,
            }),
            first_timestamp: Some(ago(first_ago)),
            last_timestamp: Some(ago(last_ago)),
            count: Some(count),
            ..Default::default()
        }
    }

    fn api_access_volume() -> Volume {
        Volume {
            name: "kube-api-access-7xk2p".into(),
            projected: Some(ProjectedVolumeSource {
                default_mode: Some(420),
                sources: Some(vec![
                    VolumeProjection {
                        service_account_token: Some(ServiceAccountTokenProjection {
                            expiration_seconds: Some(3607),
                            path: "token".into(),
                            audience: None,
                        }),
                        ..Default::default()
                    },
                    VolumeProjection {
                        config_map: Some(ConfigMapProjection {
                            name: "kube-root-ca.crt".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    VolumeProjection {
                        downward_api: Some(DownwardAPIProjection::default()),
                        ..Default::default()
                    },
                ]),
            }),
            ..Default::default()
        }
    }

    fn tolerations() -> Option<Vec<Toleration>> {
        Some(
            [
                "node.kubernetes.io/unreachable",
                "node.kubernetes.io/not-ready",
            ]
            .iter()
            .map(|k| Toleration {
                key: Some(k.to_string()),
                operator: Some("Exists".into()),
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(300),
                value: None,
            })
            .collect(),
        )
    }

    fn nginx_pod() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("nginx".into()),
                namespace: Some("default".into()),
                labels: map(&[("run", "nginx")]),
                creation_timestamp: Some(ago(300)),
                ..Default::default()
            },
            spec: Some(PodSpec {
                priority: Some(0),
                service_account_name: Some("default".into()),
                node_name: Some("kind-worker".into()),
                containers: vec![Container {
                    name: "nginx".into(),
                    image: Some("nginx".into()),
                    ports: Some(vec![ContainerPort {
                        container_port: 80,
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    }]),
                    env: Some(vec![
                        EnvVar {
                            name: "POD_NAME".into(),
                            value_from: Some(EnvVarSource {
                                field_ref: Some(ObjectFieldSelector {
                                    api_version: Some("v1".into()),
                                    field_path: "metadata.name".into(),
                                }),
                                ..Default::default()
                            }),
                            value: None,
                        },
                        EnvVar {
                            name: "MODE".into(),
                            value: Some("production".into()),
                            value_from: None,
                        },
                    ]),
                    volume_mounts: Some(vec![VolumeMount {
                        mount_path: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
                        name: "kube-api-access-7xk2p".into(),
                        read_only: Some(true),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }],
                tolerations: tolerations(),
                volumes: Some(vec![api_access_volume()]),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                host_ip: Some("172.18.0.3".into()),
                pod_ip: Some("10.244.1.5".into()),
                pod_ips: Some(vec![PodIP {
                    ip: "10.244.1.5".into(),
                }]),
                qos_class: Some("BestEffort".into()),
                start_time: Some(ago(300)),
                conditions: Some(
                    [
                        "PodReadyToStartContainers",
                        "Initialized",
                        "Ready",
                        "ContainersReady",
                        "PodScheduled",
                    ]
                    .iter()
                    .map(|t| PodCondition {
                        type_: t.to_string(),
                        status: "True".into(),
                        ..Default::default()
                    })
                    .collect(),
                ),
                container_statuses: Some(vec![ContainerStatus {
                    name: "nginx".into(),
                    container_id: Some("containerd://4f1e2d".into()),
                    image: "docker.io/library/nginx:latest".into(),
                    image_id: "docker.io/library/nginx@sha256:abc123".into(),
                    ready: true,
                    started: Some(true),
                    state: Some(ContainerState {
                        running: Some(ContainerStateRunning {
                            started_at: Some(ago(290)),
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn rfc1123z_format() {
        assert_eq!(rfc1123z(now()), "Sun, 15 Jun 2025 15:06:40 +0000");
        assert_eq!(rfc1123z_opt(None), GO_ZERO_TIME);
    }

    #[test]
    fn describe_running_pod() {
        let pod = nginx_pod();
        let e1 = event(
            "nginx.1",
            "Scheduled",
            "Successfully assigned default/nginx to kind-worker",
            300,
            300,
            1,
            "default-scheduler",
        );
        let e2 = event(
            "nginx.2",
            "Pulling",
            "Pulling image \"nginx\"",
            299,
            299,
            1,
            "kubelet",
        );
        let e3 = event(
            "nginx.3",
            "Pulled",
            "Successfully pulled image \"nginx\" in 8.5s",
            291,
            291,
            1,
            "kubelet",
        );
        let e4 = event(
            "nginx.4",
            "Created",
            "Created container: nginx",
            120,
            60,
            3,
            "kubelet",
        );
        let got = describe_pod(&pod, &[&e4, &e3, &e1, &e2], now());
        let want = "\
Name:             nginx
Namespace:        default
Priority:         0
Service Account:  default
Node:             kind-worker/172.18.0.3
Start Time:       Sun, 15 Jun 2025 15:01:40 +0000
Labels:           run=nginx
Annotations:      <none>
Status:           Running
IP:               10.244.1.5
IPs:
  IP:  10.244.1.5
Containers:
  nginx:
    Container ID:   containerd://4f1e2d
    Image:          nginx
    Image ID:       docker.io/library/nginx@sha256:abc123
    Port:           80/TCP
    Host Port:      0/TCP
    State:          Running
      Started:      Sun, 15 Jun 2025 15:01:50 +0000
    Ready:          True
    Restart Count:  0
    Environment:
      POD_NAME:  nginx (v1:metadata.name)
      MODE:      production
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-7xk2p (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       True 
  ContainersReady             True 
  PodScheduled                True 
Volumes:
  kube-api-access-7xk2p:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    ConfigMapOptional:       <nil>
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type    Reason     Age               From               Message
  ----    ------     ----              ----               -------
  Normal  Scheduled  5m                default-scheduler  Successfully assigned default/nginx to kind-worker
  Normal  Pulling    4m59s             kubelet            Pulling image \"nginx\"
  Normal  Pulled     4m51s             kubelet            Successfully pulled image \"nginx\" in 8.5s
  Normal  Created    60s (x3 over 2m)  kubelet            Created container: nginx
";
        assert_eq!(got, want);
    }

    fn res_pod(
        ns: &str,
        name: &str,
        age_secs: i64,
        req: &[(&str, &str)],
        lim: &[(&str, &str)],
    ) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                creation_timestamp: Some(ago(age_secs)),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    resources: Some(ResourceRequirements {
                        requests: if req.is_empty() { None } else { q(req) },
                        limits: if lim.is_empty() { None } else { q(lim) },
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                node_name: Some("kind-control-plane".into()),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn control_plane() -> Node {
        let cond = |t: &str, s: &str, reason: &str, msg: &str| NodeCondition {
            type_: t.into(),
            status: s.into(),
            last_heartbeat_time: Some(ago(20)),
            last_transition_time: Some(ago(3600)),
            reason: Some(reason.into()),
            message: Some(msg.into()),
        };
        let resources = q(&[
            ("cpu", "8"),
            ("ephemeral-storage", "102626232Ki"),
            ("hugepages-1Gi", "0"),
            ("hugepages-2Mi", "0"),
            ("memory", "16331208Ki"),
            ("pods", "110"),
        ]);
        Node {
            metadata: ObjectMeta {
                name: Some("kind-control-plane".into()),
                uid: Some("7d1b6c1e".into()),
                labels: map(&[
                    ("kubernetes.io/arch", "amd64"),
                    ("kubernetes.io/hostname", "kind-control-plane"),
                    ("node-role.kubernetes.io/control-plane", ""),
                ]),
                annotations: map(&[
                    (
                        "kubeadm.alpha.kubernetes.io/cri-socket",
                        "unix:///run/containerd/containerd.sock",
                    ),
                    ("node.alpha.kubernetes.io/ttl", "0"),
                ]),
                creation_timestamp: Some(ago(3600)),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                pod_cidr: Some("10.244.0.0/24".into()),
                pod_cidrs: Some(vec!["10.244.0.0/24".into()]),
                provider_id: Some("kind://docker/kind/kind-control-plane".into()),
                taints: Some(vec![Taint {
                    effect: "NoSchedule".into(),
                    key: "node-role.kubernetes.io/control-plane".into(),
                    time_added: None,
                    value: None,
                }]),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                conditions: Some(vec![
                    cond(
                        "MemoryPressure",
                        "False",
                        "KubeletHasSufficientMemory",
                        "kubelet has sufficient memory available",
                    ),
                    cond(
                        "Ready",
                        "True",
                        "KubeletReady",
                        "kubelet is posting ready status",
                    ),
                ]),
                addresses: Some(vec![
                    NodeAddress {
                        type_: "InternalIP".into(),
                        address: "172.18.0.2".into(),
                    },
                    NodeAddress {
                        type_: "Hostname".into(),
                        address: "kind-control-plane".into(),
                    },
                ]),
                capacity: resources.clone(),
                allocatable: resources,
                node_info: Some(NodeSystemInfo {
                    machine_id: "b0d5f1c2".into(),
                    system_uuid: "3f0e9a7b".into(),
                    boot_id: "e4c1a9d8".into(),
                    kernel_version: "6.8.0-1021-azure".into(),
                    os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                    operating_system: "linux".into(),
                    architecture: "amd64".into(),
                    container_runtime_version: "containerd://2.1.1".into(),
                    kubelet_version: "v1.33.1".into(),
                    kube_proxy_version: "".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn describe_control_plane_node() {
        let node = control_plane();
        let coredns = res_pod(
            "kube-system",
            "coredns-674b8bbfcf-5kq8w",
            3500,
            &[("cpu", "100m"), ("memory", "70Mi")],
            &[("memory", "170Mi")],
        );
        let apiserver = res_pod(
            "kube-system",
            "kube-apiserver-kind-control-plane",
            3590,
            &[("cpu", "250m")],
            &[],
        );
        let etcd = res_pod(
            "kube-system",
            "etcd-kind-control-plane",
            3590,
            &[("cpu", "100m"), ("memory", "100Mi")],
            &[],
        );
        let lease = Lease {
            metadata: ObjectMeta::default(),
            spec: Some(LeaseSpec {
                holder_identity: Some("kind-control-plane".into()),
                renew_time: Some(MicroTime(Timestamp::from_second(NOW - 5).unwrap())),
                ..Default::default()
            }),
        };
        let mut ev = event(
            "kind-control-plane.1",
            "Starting",
            "Starting kubelet.",
            3600,
            3600,
            1,
            "kubelet",
        );
        ev.involved_object.uid = Some("kind-control-plane".into());
        let mut ev2 = event(
            "kind-control-plane.2",
            "RegisteredNode",
            "Node kind-control-plane event: Registered Node kind-control-plane in Controller",
            3550,
            3550,
            1,
            "node-controller",
        );
        ev2.involved_object.uid = Some("7d1b6c1e".into());
        let got = describe_node(
            &node,
            &[&etcd, &coredns, &apiserver],
            Some(&lease),
            &[&ev, &ev2],
            now(),
        );
        let want = "\
Name:               kind-control-plane
Roles:              control-plane
Labels:             kubernetes.io/arch=amd64
                    kubernetes.io/hostname=kind-control-plane
                    node-role.kubernetes.io/control-plane=
Annotations:        kubeadm.alpha.kubernetes.io/cri-socket: unix:///run/containerd/containerd.sock
                    node.alpha.kubernetes.io/ttl: 0
CreationTimestamp:  Sun, 15 Jun 2025 14:06:40 +0000
Taints:             node-role.kubernetes.io/control-plane:NoSchedule
Unschedulable:      false
Lease:
  HolderIdentity:  kind-control-plane
  AcquireTime:     <unset>
  RenewTime:       Sun, 15 Jun 2025 15:06:35 +0000
Conditions:
  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message
  ----             ------  -----------------                 ------------------                ------                       -------
  MemoryPressure   False   Sun, 15 Jun 2025 15:06:20 +0000   Sun, 15 Jun 2025 14:06:40 +0000   KubeletHasSufficientMemory   kubelet has sufficient memory available
  Ready            True    Sun, 15 Jun 2025 15:06:20 +0000   Sun, 15 Jun 2025 14:06:40 +0000   KubeletReady                 kubelet is posting ready status
Addresses:
  InternalIP:  172.18.0.2
  Hostname:    kind-control-plane
Capacity:
  cpu:                8
  ephemeral-storage:  102626232Ki
  hugepages-1Gi:      0
  hugepages-2Mi:      0
  memory:             16331208Ki
  pods:               110
Allocatable:
  cpu:                8
  ephemeral-storage:  102626232Ki
  hugepages-1Gi:      0
  hugepages-2Mi:      0
  memory:             16331208Ki
  pods:               110
System Info:
  Machine ID:                 b0d5f1c2
  System UUID:                3f0e9a7b
  Boot ID:                    e4c1a9d8
  Kernel Version:             6.8.0-1021-azure
  OS Image:                   Debian GNU/Linux 12 (bookworm)
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  containerd://2.1.1
  Kubelet Version:            v1.33.1
  Kube-Proxy Version:         
PodCIDR:                      10.244.0.0/24
PodCIDRs:                     10.244.0.0/24
ProviderID:                   kind://docker/kind/kind-control-plane
Non-terminated Pods:          (3 in total)
  Namespace                   Name                                 CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----                                 ------------  ----------  ---------------  -------------  ---
  kube-system                 coredns-674b8bbfcf-5kq8w             100m (1%)     0 (0%)      70Mi (0%)        170Mi (1%)     58m
  kube-system                 etcd-kind-control-plane              100m (1%)     0 (0%)      100Mi (0%)       0 (0%)         59m
  kube-system                 kube-apiserver-kind-control-plane    250m (3%)     0 (0%)      0 (0%)           0 (0%)         59m
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests    Limits
  --------           --------    ------
  cpu                450m (5%)   0 (0%)
  memory             170Mi (1%)  170Mi (1%)
  ephemeral-storage  0 (0%)      0 (0%)
  hugepages-1Gi      0 (0%)      0 (0%)
  hugepages-2Mi      0 (0%)      0 (0%)
Events:
  Type    Reason          Age   From             Message
  ----    ------          ----  ----             -------
  Normal  Starting        60m   kubelet          Starting kubelet.
  Normal  RegisteredNode  59m   node-controller  Node kind-control-plane event: Registered Node kind-control-plane in Controller
";
        assert_eq!(got, want);
    }

    #[test]
    fn describe_default_namespace() {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some("default".into()),
                labels: map(&[("kubernetes.io/metadata.name", "default")]),
                creation_timestamp: Some(ago(86400)),
                ..Default::default()
            },
            spec: None,
            status: Some(NamespaceStatus {
                phase: Some("Active".into()),
                conditions: None,
            }),
        };
        let want = "\
Name:         default
Labels:       kubernetes.io/metadata.name=default
Annotations:  <none>
Status:       Active

No resource quota.

No LimitRange resource.
";
        assert_eq!(describe_namespace(&ns), want);
        // A bare namespace does not panic.
        let bare = describe_namespace(&Namespace::default());
        assert!(bare.starts_with("Name:         \nLabels:       <none>\n"));
    }

    #[test]
    fn describe_nginx_deployment() {
        let labels = map(&[("app", "nginx")]);
        let d = Deployment {
            metadata: ObjectMeta {
                name: Some("nginx".into()),
                namespace: Some("default".into()),
                labels: labels.clone(),
                annotations: map(&[("deployment.kubernetes.io/revision", "1")]),
                creation_timestamp: Some(ago(600)),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(3),
                selector: LabelSelector {
                    match_labels: labels.clone(),
                    match_expressions: None,
                },
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: labels.clone(),
                        ..Default::default()
                    }),
                    spec: Some(PodSpec {
                        containers: vec![Container {
                            name: "nginx".into(),
                            image: Some("nginx:1.27".into()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                },
                ..Default::default()
            }),
            status: Some(DeploymentStatus {
                replicas: Some(3),
                updated_replicas: Some(3),
                ready_replicas: Some(3),
                available_replicas: Some(3),
                conditions: Some(vec![
                    DeploymentCondition {
                        type_: "Available".into(),
                        status: "True".into(),
                        reason: Some("MinimumReplicasAvailable".into()),
                        ..Default::default()
                    },
                    DeploymentCondition {
                        type_: "Progressing".into(),
                        status: "True".into(),
                        reason: Some("NewReplicaSetAvailable".into()),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
        };
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some("nginx-7854ff8877".into()),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(3),
                ..Default::default()
            }),
            status: Some(ReplicaSetStatus {
                replicas: 3,
                ..Default::default()
            }),
        };
        let ev = event(
            "nginx.1",
            "ScalingReplicaSet",
            "Scaled up replica set nginx-7854ff8877 from 0 to 3",
            600,
            600,
            1,
            "deployment-controller",
        );
        let want = "\
Name:                   nginx
Namespace:              default
CreationTimestamp:      Sun, 15 Jun 2025 14:56:40 +0000
Labels:                 app=nginx
Annotations:            deployment.kubernetes.io/revision: 1
Selector:               app=nginx
Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=nginx
  Containers:
   nginx:
    Image:         nginx:1.27
    Port:          <none>
    Host Port:     <none>
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
OldReplicaSets:  <none>
NewReplicaSet:   nginx-7854ff8877 (3/3 replicas created)
Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  10m   deployment-controller  Scaled up replica set nginx-7854ff8877 from 0 to 3
";
        assert_eq!(describe_deployment(&d, &[], Some(&rs), &[&ev], now()), want);
        // Without ReplicaSets the two lines are left out; without events "<none>".
        let bare = describe_deployment(&Deployment::default(), &[], None, &[], now());
        assert!(!bare.contains("NewReplicaSet"));
        assert!(bare.ends_with("Events:            <none>\n"), "{bare}");
    }

    #[test]
    fn describe_pending_and_crashing_pods() {
        // A pending pod: no node, no IP (kubectl leaves the padding of the
        // empty IP cell), waiting container.
        let pending = Pod {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "web".into(),
                    image: Some("nginx".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                conditions: Some(vec![PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    reason: Some("Unschedulable".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        };
        let mut warn = event(
            "web.1",
            "FailedScheduling",
            "0/1 nodes are available: 1 Insufficient cpu.",
            70,
            10,
            0,
            "default-scheduler",
        );
        warn.type_ = Some("Warning".into());
        warn.event_time = Some(MicroTime(Timestamp::from_second(NOW - 70).unwrap()));
        warn.series = Some(k8s_openapi::api::core::v1::EventSeries {
            count: Some(4),
            last_observed_time: Some(MicroTime(Timestamp::from_second(NOW - 10).unwrap())),
        });
        warn.source = None;
        warn.reporting_component = Some("default-scheduler".into());
        let want = "\
Name:         web
Namespace:    default
Node:         <none>
Labels:       <none>
Annotations:  <none>
Status:       Pending
IP:           
IPs:          <none>
Containers:
  web:
    Image:        nginx
    Port:         <none>
    Host Port:    <none>
    Environment:  <none>
    Mounts:       <none>
Conditions:
  Type           Status
  PodScheduled   False 
Volumes:         <none>
QoS Class:       BestEffort
Node-Selectors:  <none>
Tolerations:     <none>
Events:
  Type     Reason            Age                From               Message
  ----     ------            ----               ----               -------
  Warning  FailedScheduling  10s (x4 over 70s)  default-scheduler  0/1 nodes are available: 1 Insufficient cpu.
";
        assert_eq!(describe_pod(&pending, &[&warn], now()), want);

        // A crash-looping container with its last state, being deleted.
        let mut crash = nginx_pod();
        crash.metadata.deletion_timestamp = Some(ago(-25));
        crash.metadata.deletion_grace_period_seconds = Some(30);
        crash.metadata.owner_references = Some(vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: "nginx-7854ff8877".into(),
            uid: "u".into(),
            controller: Some(true),
            ..Default::default()
        }]);
        let spec = crash.spec.as_mut().unwrap();
        spec.tolerations = None;
        spec.volumes = None;
        let c = &mut spec.containers[0];
        c.env = None;
        c.volume_mounts = None;
        c.ports = None;
        c.resources = Some(ResourceRequirements {
            limits: q(&[("memory", "128Mi"), ("cpu", "500m")]),
            requests: q(&[("memory", "64Mi"), ("cpu", "0.25")]),
            ..Default::default()
        });
        c.liveness_probe = Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/healthz".into()),
                port: IntOrString::Int(8080),
                ..Default::default()
            }),
            ..Default::default()
        });
        let st = &mut crash
            .status
            .as_mut()
            .unwrap()
            .container_statuses
            .as_mut()
            .unwrap()[0];
        st.ready = false;
        st.restart_count = 5;
        st.state = Some(ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some("CrashLoopBackOff".into()),
                message: None,
            }),
            ..Default::default()
        });
        st.last_state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 137,
                reason: Some("OOMKilled".into()),
                started_at: Some(ago(100)),
                finished_at: Some(ago(95)),
                ..Default::default()
            }),
            ..Default::default()
        });
        crash.status.as_mut().unwrap().qos_class = None;
        crash.status.as_mut().unwrap().conditions = None;
        let got = describe_pod(&crash, &[], now());
        let want = "\
Name:                      nginx
Namespace:                 default
Priority:                  0
Service Account:           default
Node:                      kind-worker/172.18.0.3
Start Time:                Sun, 15 Jun 2025 15:01:40 +0000
Labels:                    run=nginx
Annotations:               <none>
Status:                    Terminating (lasts <invalid>)
Termination Grace Period:  30s
IP:                        10.244.1.5
IPs:
  IP:           10.244.1.5
Controlled By:  ReplicaSet/nginx-7854ff8877
Containers:
  nginx:
    Container ID:   containerd://4f1e2d
    Image:          nginx
    Image ID:       docker.io/library/nginx@sha256:abc123
    Port:           <none>
    Host Port:      <none>
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Sun, 15 Jun 2025 15:05:00 +0000
      Finished:     Sun, 15 Jun 2025 15:05:05 +0000
    Ready:          False
    Restart Count:  5
    Limits:
      cpu:     500m
      memory:  128Mi
    Requests:
      cpu:        250m
      memory:     64Mi
    Liveness:     http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment:  <none>
    Mounts:       <none>
Volumes:          <none>
QoS Class:        Burstable
Node-Selectors:   <none>
Tolerations:      <none>
Events:           <none>
";
        assert_eq!(got, want);
    }

    #[test]
    fn go_sort_orders_like_go() {
        // Small inputs use insertion sort: stable.
        let mut v = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        go_sort(&mut v, &|a: &(i32, char), b: &(i32, char)| a.0 < b.0);
        assert_eq!(v, vec![(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
        // Larger inputs come out sorted by key.
        for n in [13usize, 50, 64, 200, 1000] {
            let mut v: Vec<u64> = (0..n as u64)
                .map(|i| (i.wrapping_mul(2_654_435_761) ^ (i >> 3)) % 97)
                .collect();
            go_sort(&mut v, &|a: &u64, b: &u64| a < b);
            assert!(v.windows(2).all(|w| w[0] <= w[1]), "n={n}");
            let mut desc: Vec<usize> = (0..n).rev().collect();
            go_sort(&mut desc, &|a: &usize, b: &usize| a < b);
            assert_eq!(desc, (0..n).collect::<Vec<_>>());
        }
    }
    /// A pod whose quantities exercise every path of the resource summaries:
    /// text Go prints verbatim ("+1"), sums in mixed formats, an init
    /// container, a sidecar, overhead, hugepages and an extended resource,
    /// resourceFieldRef env values and emptyDir size limits.
    fn quantity_pod() -> Pod {
        use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, ResourceFieldSelector};
        let container = |name: &str, req: &[(&str, &str)], lim: &[(&str, &str)]| Container {
            name: name.into(),
            image: Some("busybox".into()),
            resources: Some(ResourceRequirements {
                requests: q(req),
                limits: q(lim),
                ..Default::default()
            }),
            ..Default::default()
        };
        let field = |name: &str, resource: &str, divisor: Option<&str>| EnvVar {
            name: name.into(),
            value: None,
            value_from: Some(EnvVarSource {
                resource_field_ref: Some(ResourceFieldSelector {
                    container_name: None,
                    divisor: divisor.map(|d| K8sQuantity(d.into())),
                    resource: resource.into(),
                }),
                ..Default::default()
            }),
        };
        let mut app = container(
            "app",
            &[
                ("cpu", "+1"),
                ("example.com/gpu", "1"),
                ("hugepages-2Mi", "+128Mi"),
                ("memory", "100Mi"),
            ],
            &[
                ("cpu", "2"),
                ("example.com/gpu", "1"),
                ("hugepages-2Mi", "128Mi"),
                ("memory", "1G"),
            ],
        );
        app.env = Some(vec![
            field("REQ_CPU", "requests.cpu", None),
            field("LIM_CPU_M", "limits.cpu", Some("1m")),
            field("REQ_MEM_MI", "requests.memory", Some("1Mi")),
            field("LIM_MEM", "limits.memory", None),
            field("REQ_HUGE", "requests.hugepages-2Mi", Some("1Mi")),
        ]);
        let mut helper = container(
            "helper",
            &[("cpu", "500m"), ("memory", "1G")],
            &[("cpu", "1.5"), ("memory", "0.5Gi")],
        );
        helper.env = Some(vec![field("LIM_CPU", "limits.cpu", Some("0"))]);
        let setup = container("setup", &[("cpu", "3"), ("memory", "64Mi")], &[]);
        let mut sidecar = container(
            "sidecar",
            &[("cpu", "250m"), ("memory", "1e6")],
            &[("cpu", "250m")],
        );
        sidecar.restart_policy = Some("Always".into());
        let empty_dir = |name: &str, limit: Option<&str>| Volume {
            name: name.into(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: None,
                size_limit: limit.map(|l| K8sQuantity(l.into())),
            }),
            ..Default::default()
        };
        Pod {
            metadata: ObjectMeta {
                name: Some("mixed".into()),
                namespace: Some("default".into()),
                creation_timestamp: Some(ago(120)),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some("kind-control-plane".into()),
                containers: vec![app, helper],
                init_containers: Some(vec![setup, sidecar]),
                overhead: q(&[("cpu", "100m"), ("memory", "10Mi")]),
                volumes: Some(vec![
                    empty_dir("cache", Some("1.5Gi")),
                    empty_dir("scratch", Some("+1Gi")),
                    empty_dir("tmp", None),
                ]),
                ..Default::default()
            }),
            status: None,
        }
    }

    #[test]
    fn describe_pod_quantities() {
        let got = describe_pod(&quantity_pod(), &[], now());
        let want = "\
Name:         mixed
Namespace:    default
Node:         kind-control-plane/
Labels:       <none>
Annotations:  <none>
Status:       Pending
IP:           
IPs:          <none>
Init Containers:
  setup:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Requests:
      cpu:        3
      memory:     64Mi
    Environment:  <none>
    Mounts:       <none>
  sidecar:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Limits:
      cpu:  250m
    Requests:
      cpu:        250m
      memory:     1e6
    Environment:  <none>
    Mounts:       <none>
Containers:
  app:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Limits:
      cpu:              2
      example.com/gpu:  1
      hugepages-2Mi:    128Mi
      memory:           1G
    Requests:
      cpu:              +1
      example.com/gpu:  1
      hugepages-2Mi:    128Mi
      memory:           100Mi
    Environment:
      REQ_CPU:     1 (requests.cpu)
      LIM_CPU_M:   2000 (limits.cpu)
      REQ_MEM_MI:  100 (requests.memory)
      LIM_MEM:     1000000000 (limits.memory)
      REQ_HUGE:    128 (requests.hugepages-2Mi)
    Mounts:        <none>
  helper:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Limits:
      cpu:     1500m
      memory:  512Mi
    Requests:
      cpu:     500m
      memory:  1G
    Environment:
      LIM_CPU:  2 (limits.cpu)
    Mounts:     <none>
Volumes:
  cache:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  1536Mi
  scratch:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  +1Gi
  tmp:
    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:      
    SizeLimit:   <unset>
QoS Class:       Burstable
Node-Selectors:  <none>
Tolerations:     <none>
Events:          <none>
";
        assert_eq!(got, want);
    }

    #[test]
    fn describe_node_quantities() {
        let mut node = control_plane();
        let alloc = node
            .status
            .as_mut()
            .and_then(|s| s.allocatable.as_mut())
            .unwrap();
        alloc.insert("hugepages-2Mi".into(), K8sQuantity("1Gi".into()));
        alloc.insert("example.com/gpu".into(), K8sQuantity("4".into()));
        alloc.insert("cpu".into(), K8sQuantity("+8".into()));
        let pod = quantity_pod();
        let other = res_pod(
            "default",
            "guaranteed",
            60,
            &[
                ("cpu", "0.5"),
                ("memory", "2048Ki"),
                ("example.com/gpu", "2"),
            ],
            &[
                ("cpu", "0.5"),
                ("memory", "2048Ki"),
                ("example.com/gpu", "2"),
            ],
        );
        let got = describe_node(&node, &[&pod, &other], None, &[], now());
        let want = "\
Name:               kind-control-plane
Roles:              control-plane
Labels:             kubernetes.io/arch=amd64
                    kubernetes.io/hostname=kind-control-plane
                    node-role.kubernetes.io/control-plane=
Annotations:        kubeadm.alpha.kubernetes.io/cri-socket: unix:///run/containerd/containerd.sock
                    node.alpha.kubernetes.io/ttl: 0
CreationTimestamp:  Sun, 15 Jun 2025 14:06:40 +0000
Taints:             node-role.kubernetes.io/control-plane:NoSchedule
Unschedulable:      false
Lease:              Failed to get lease: leases.coordination.k8s.io \"kind-control-plane\" not found
Conditions:
  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message
  ----             ------  -----------------                 ------------------                ------                       -------
  MemoryPressure   False   Sun, 15 Jun 2025 15:06:20 +0000   Sun, 15 Jun 2025 14:06:40 +0000   KubeletHasSufficientMemory   kubelet has sufficient memory available
  Ready            True    Sun, 15 Jun 2025 15:06:20 +0000   Sun, 15 Jun 2025 14:06:40 +0000   KubeletReady                 kubelet is posting ready status
Addresses:
  InternalIP:  172.18.0.2
  Hostname:    kind-control-plane
Capacity:
  cpu:                8
  ephemeral-storage:  102626232Ki
  hugepages-1Gi:      0
  hugepages-2Mi:      0
  memory:             16331208Ki
  pods:               110
Allocatable:
  cpu:                +8
  ephemeral-storage:  102626232Ki
  example.com/gpu:    4
  hugepages-1Gi:      0
  hugepages-2Mi:      1Gi
  memory:             16331208Ki
  pods:               110
System Info:
  Machine ID:                 b0d5f1c2
  System UUID:                3f0e9a7b
  Boot ID:                    e4c1a9d8
  Kernel Version:             6.8.0-1021-azure
  OS Image:                   Debian GNU/Linux 12 (bookworm)
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  containerd://2.1.1
  Kubelet Version:            v1.33.1
  Kube-Proxy Version:         
PodCIDR:                      10.244.0.0/24
PodCIDRs:                     10.244.0.0/24
ProviderID:                   kind://docker/kind/kind-control-plane
Non-terminated Pods:          (2 in total)
  Namespace                   Name          CPU Requests  CPU Limits   Memory Requests  Memory Limits    Age
  ---------                   ----          ------------  ----------   ---------------  -------------    ---
  default                     guaranteed    500m (6%)     500m (6%)    2Mi (0%)         2Mi (0%)         60s
  default                     mixed         3100m (38%)   3850m (48%)  1116343360 (6%)  1547356672 (9%)  2m
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests         Limits
  --------           --------         ------
  cpu                3600m (45%)      4350m (54%)
  memory             1118440512 (6%)  1549453824 (9%)
  ephemeral-storage  0 (0%)           0 (0%)
  hugepages-1Gi      0 (0%)           0 (0%)
  hugepages-2Mi      128Mi (12%)      128Mi (12%)
  example.com/gpu    3                3
Events:              <none>
";
        assert_eq!(got, want);
        let got = describe_pod(&other, &[], now());
        let want = "\
Name:         guaranteed
Namespace:    default
Node:         kind-control-plane/
Labels:       <none>
Annotations:  <none>
Status:       Pending
IP:           
IPs:          <none>
Containers:
  c:
    Image:      
    Port:       <none>
    Host Port:  <none>
    Limits:
      cpu:              500m
      example.com/gpu:  2
      memory:           2Mi
    Requests:
      cpu:              500m
      example.com/gpu:  2
      memory:           2Mi
    Environment:        <none>
    Mounts:             <none>
Volumes:                <none>
QoS Class:              Guaranteed
Node-Selectors:         <none>
Tolerations:            <none>
Events:                 <none>
";
        assert_eq!(got, want);
    }
}
