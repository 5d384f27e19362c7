//! `kubectl describe job` (`describeJob` in
//! `k8s.io/kubectl/pkg/describe/describe.go`, with `DescribePodTemplate`
//! and `DescribeEvents`).

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;

use super::deployment::describe_pod_template;
use super::events::{by_name, describe_events};
use super::{
    or_empty, print_annotations_multiline, print_labels_multiline, rfc1123z, PrefixWriter, LEVEL_0,
};
use crate::age::{human_duration, since_nanos};
use crate::printers::label_selector_string;

/// `kubectl describe job`; `events` are the Job's events in any order.
pub fn describe_job(job: &Job, events: &[&Event], now: Timestamp) -> String {
    let mut w = PrefixWriter::new();
    let meta = &job.metadata;
    let spec = job.spec.as_ref();
    let status = job.status.as_ref();
    let line = |w: &mut PrefixWriter, text: String| w.write(LEVEL_0, &format!("{text}\n"));
    line(&mut w, format!("Name:\t{}", or_empty(meta.name.as_ref())));
    line(
        &mut w,
        format!("Namespace:\t{}", or_empty(meta.namespace.as_ref())),
    );
    let selector = label_selector_string(spec.and_then(|s| s.selector.as_ref()));
    match selector {
        Ok(s) => line(&mut w, format!("Selector:\t{s}")),
        Err(e) => line(&mut w, format!("Selector:\tFailed to get selector: {e}")),
    }
    print_labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    let controller = meta
        .owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true));
    if let Some(r) = controller {
        line(&mut w, format!("Controlled By:\t{}/{}", r.kind, r.name));
    }
    if let Some(p) = spec.and_then(|s| s.parallelism) {
        line(&mut w, format!("Parallelism:\t{p}"));
    }
    match spec.and_then(|s| s.completions) {
        Some(c) => line(&mut w, format!("Completions:\t{c}")),
        None => line(&mut w, "Completions:\t<unset>".into()),
    }
    if let Some(m) = spec.and_then(|s| s.completion_mode.as_ref()) {
        line(&mut w, format!("Completion Mode:\t{m}"));
    }
    if let Some(s) = spec.and_then(|s| s.suspend) {
        line(&mut w, format!("Suspend:\t{s}"));
    }
    if let Some(b) = spec.and_then(|s| s.backoff_limit) {
        line(&mut w, format!("Backoff Limit:\t{b}"));
    }
    if let Some(t) = spec.and_then(|s| s.ttl_seconds_after_finished) {
        line(&mut w, format!("TTL Seconds After Finished:\t{t}"));
    }
    let start = status.and_then(|s| s.start_time.as_ref());
    let end = status.and_then(|s| s.completion_time.as_ref());
    if let Some(t) = start {
        line(&mut w, format!("Start Time:\t{}", rfc1123z(t.0)));
    }
    if let Some(t) = end {
        line(&mut w, format!("Completed At:\t{}", rfc1123z(t.0)));
    }
    if let (Some(s), Some(e)) = (start, end) {
        line(
            &mut w,
            format!("Duration:\t{}", human_duration(since_nanos(s.0, e.0))),
        );
    }
    if let Some(ads) = spec.and_then(|s| s.active_deadline_seconds) {
        line(&mut w, format!("Active Deadline Seconds:\t{ads}s"));
    }
    let count = |f: fn(&k8s_openapi::api::batch::v1::JobStatus) -> Option<i32>| {
        status.and_then(f).unwrap_or(0)
    };
    let (active, succeeded, failed) = (
        count(|s| s.active),
        count(|s| s.succeeded),
        count(|s| s.failed),
    );
    match status.and_then(|s| s.ready) {
        None => line(
            &mut w,
            format!("Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed"),
        ),
        Some(ready) => line(
            &mut w,
            format!(
                "Pods Statuses:\t{active} Active ({ready} Ready) / {succeeded} Succeeded / {failed} Failed"
            ),
        ),
    }
    describe_pod_template(&mut w, spec.map(|s| &s.template));
    describe_events(&mut w, &by_name(events), now);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::test_fixtures::*;
    use k8s_openapi::api::batch::v1::{JobSpec, JobStatus};
    use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

    #[test]
    fn a_completed_job() {
        let labels = map(&[
            ("batch.kubernetes.io/controller-uid", "u1"),
            ("batch.kubernetes.io/job-name", "pi"),
            ("controller-uid", "u1"),
            ("job-name", "pi"),
        ]);
        let job = Job {
            metadata: ObjectMeta {
                name: Some("pi".into()),
                namespace: Some("default".into()),
                labels: labels.clone(),
                ..Default::default()
            },
            spec: Some(JobSpec {
                parallelism: Some(1),
                completions: Some(1),
                completion_mode: Some("NonIndexed".into()),
                suspend: Some(false),
                backoff_limit: Some(4),
                selector: Some(LabelSelector {
                    match_labels: map(&[("batch.kubernetes.io/controller-uid", "u1")]),
                    ..Default::default()
                }),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels,
                        ..Default::default()
                    }),
                    spec: Some(PodSpec {
                        containers: vec![Container {
                            name: "pi".into(),
                            image: Some("perl:5.34.0".into()),
                            ..Default::default()
                        }],
                        restart_policy: Some("Never".into()),
                        ..Default::default()
                    }),
                },
                ..Default::default()
            }),
            status: Some(JobStatus {
                start_time: Some(ago(100)),
                completion_time: Some(ago(35)),
                succeeded: Some(1),
                ready: Some(0),
                ..Default::default()
            }),
        };
        let ev = [
            event(
                "pi.1",
                "SuccessfulCreate",
                "Created pod: pi-xf9p4",
                100,
                100,
                1,
                "job-controller",
            ),
            event(
                "pi.2",
                "Completed",
                "Job completed",
                35,
                35,
                1,
                "job-controller",
            ),
        ];
        let refs: Vec<&Event> = ev.iter().collect();
        let want = "\
Name:             pi
Namespace:        default
Selector:         batch.kubernetes.io/controller-uid=u1
Labels:           batch.kubernetes.io/controller-uid=u1
                  batch.kubernetes.io/job-name=pi
                  controller-uid=u1
                  job-name=pi
Annotations:      <none>
Parallelism:      1
Completions:      1
Completion Mode:  NonIndexed
Suspend:          false
Backoff Limit:    4
Start Time:       Sun, 15 Jun 2025 15:05:00 +0000
Completed At:     Sun, 15 Jun 2025 15:06:05 +0000
Duration:         65s
Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed
Pod Template:
  Labels:  batch.kubernetes.io/controller-uid=u1
           batch.kubernetes.io/job-name=pi
           controller-uid=u1
           job-name=pi
  Containers:
   pi:
    Image:         perl:5.34.0
    Port:          <none>
    Host Port:     <none>
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Events:
  Type    Reason            Age   From            Message
  ----    ------            ----  ----            -------
  Normal  SuccessfulCreate  100s  job-controller  Created pod: pi-xf9p4
  Normal  Completed         35s   job-controller  Job completed
";
        assert_eq!(describe_job(&job, &refs, now()), want);
    }
}
