//! The workload tables: Deployment, ReplicaSet, DaemonSet, StatefulSet and
//! Job (`k8s.io/kubernetes/pkg/printers/internalversion/printers.go`),
//! with their `-o wide` CONTAINERS, IMAGES and SELECTOR columns.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::jiff::Timestamp;

use super::{
    col, format_label_selector, format_labels, label_selector_string, name_of, obj_age, wide,
    Column, Printable,
};
use crate::age::{human_duration, since_nanos};

/// `layoutContainerCells`: container names and images, comma-separated.
fn layout_container_cells(containers: &[Container]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = containers
        .iter()
        .map(|c| c.image.as_deref().unwrap_or(""))
        .collect();
    (names.join(","), images.join(","))
}

fn template_containers(t: Option<&PodTemplateSpec>) -> &[Container] {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[])
}

impl Printable for Deployment {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Ready"),
            col("Up-to-date"),
            col("Available"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        let ready = st.and_then(|s| s.ready_replicas).unwrap_or(0);
        let selector = label_selector_string(spec.map(|s| &s.selector))
            .unwrap_or_else(|_| "<invalid>".to_string());
        let (names, images) =
            layout_container_cells(template_containers(spec.map(|s| &s.template)));
        vec![
            name_of(&self.metadata),
            format!("{ready}/{desired}"),
            st.and_then(|s| s.updated_replicas).unwrap_or(0).to_string(),
            st.and_then(|s| s.available_replicas)
                .unwrap_or(0)
                .to_string(),
            obj_age(&self.metadata, now),
            names,
            images,
            selector,
        ]
    }
}

impl Printable for ReplicaSet {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Desired"),
            col("Current"),
            col("Ready"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let (names, images) =
            layout_container_cells(template_containers(spec.and_then(|s| s.template.as_ref())));
        vec![
            name_of(&self.metadata),
            spec.and_then(|s| s.replicas).unwrap_or(1).to_string(),
            st.map(|s| s.replicas).unwrap_or(0).to_string(),
            st.and_then(|s| s.ready_replicas).unwrap_or(0).to_string(),
            obj_age(&self.metadata, now),
            names,
            images,
            format_label_selector(spec.map(|s| &s.selector)),
        ]
    }
}

impl Printable for DaemonSet {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Desired"),
            col("Current"),
            col("Ready"),
            col("Up-to-date"),
            col("Available"),
            col("Node Selector"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let template = spec.map(|s| &s.template);
        let node_selector = template
            .and_then(|t| t.spec.as_ref())
            .and_then(|s| s.node_selector.as_ref());
        let (names, images) = layout_container_cells(template_containers(template));
        vec![
            name_of(&self.metadata),
            st.map(|s| s.desired_number_scheduled)
                .unwrap_or(0)
                .to_string(),
            st.map(|s| s.current_number_scheduled)
                .unwrap_or(0)
                .to_string(),
            st.map(|s| s.number_ready).unwrap_or(0).to_string(),
            st.and_then(|s| s.updated_number_scheduled)
                .unwrap_or(0)
                .to_string(),
            st.and_then(|s| s.number_available).unwrap_or(0).to_string(),
            format_labels(node_selector),
            obj_age(&self.metadata, now),
            names,
            images,
            format_label_selector(spec.map(|s| &s.selector)),
        ]
    }
}

impl Printable for StatefulSet {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Ready"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        let ready = self
            .status
            .as_ref()
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0);
        let (names, images) =
            layout_container_cells(template_containers(spec.map(|s| &s.template)));
        vec![
            name_of(&self.metadata),
            format!("{ready}/{desired}"),
            obj_age(&self.metadata, now),
            names,
            images,
        ]
    }
}

fn job_condition(job: &Job, type_: &str) -> bool {
    // hasJobCondition: the first condition of the type decides.
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == type_))
        .map(|c| c.status == "True")
        .unwrap_or(false)
}

impl Printable for Job {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Status"),
            col("Completions"),
            col("Duration"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let succeeded = st.and_then(|s| s.succeeded).unwrap_or(0);
        let completions = match spec.and_then(|s| s.completions) {
            Some(c) => format!("{succeeded}/{c}"),
            None => {
                let parallelism = spec.and_then(|s| s.parallelism).unwrap_or(0);
                if parallelism > 1 {
                    format!("{succeeded}/1 of {parallelism}")
                } else {
                    format!("{succeeded}/1")
                }
            }
        };
        let start = st.and_then(|s| s.start_time.as_ref());
        let completion = st.and_then(|s| s.completion_time.as_ref());
        let duration = match (start, completion) {
            (None, _) => String::new(),
            (Some(start), None) => human_duration(since_nanos(start.0, now)),
            (Some(start), Some(end)) => human_duration(since_nanos(start.0, end.0)),
        };
        let status = if job_condition(self, "Complete") {
            "Complete"
        } else if job_condition(self, "Failed") {
            "Failed"
        } else if self.metadata.deletion_timestamp.is_some() {
            "Terminating"
        } else if job_condition(self, "Suspended") {
            "Suspended"
        } else if job_condition(self, "FailureTarget") {
            "FailureTarget"
        } else {
            "Running"
        };
        let (names, images) =
            layout_container_cells(template_containers(spec.map(|s| &s.template)));
        vec![
            name_of(&self.metadata),
            status.to_string(),
            completions,
            duration,
            obj_age(&self.metadata, now),
            names,
            images,
            format_label_selector(spec.and_then(|s| s.selector.as_ref())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use crate::printers::{print_names, print_table, PrintOptions};
    use k8s_openapi::api::core::v1::PodSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

    fn nginx_template(labels_: &[(&str, &str)]) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: labels(labels_),
                ..Default::default()
            }),
            spec: Some(PodSpec {
                containers: vec![container("nginx", "nginx:1.27")],
                ..Default::default()
            }),
        }
    }

    fn app_selector() -> LabelSelector {
        LabelSelector {
            match_labels: labels(&[("app", "nginx")]),
            match_expressions: None,
        }
    }

    #[test]
    fn workloads_tables() {
        use k8s_openapi::api::apps::v1::{
            DaemonSetSpec, DaemonSetStatus, DeploymentSpec, DeploymentStatus, ReplicaSetSpec,
            ReplicaSetStatus, StatefulSetSpec, StatefulSetStatus,
        };
        let d = Deployment {
            metadata: meta(Some("default"), "my-tomcat", 600),
            spec: Some(DeploymentSpec {
                replicas: Some(3),
                selector: app_selector(),
                template: nginx_template(&[("app", "nginx")]),
                ..Default::default()
            }),
            status: Some(DeploymentStatus {
                ready_replicas: Some(2),
                updated_replicas: Some(3),
                available_replicas: Some(2),
                replicas: Some(3),
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&d], now(), &PrintOptions::default()),
            "NAME        READY   UP-TO-DATE   AVAILABLE   AGE\nmy-tomcat   2/3     3            2           10m\n"
        );
        assert_eq!(
            print_table(&[&d], now(), &PrintOptions { wide: true, ..Default::default() }),
            "NAME        READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n\
             my-tomcat   2/3     3            2           10m   nginx        nginx:1.27   app=nginx\n"
        );
        let rs = ReplicaSet {
            metadata: meta(Some("default"), "my-tomcat-7c5ddbdf54", 600),
            spec: Some(ReplicaSetSpec {
                replicas: Some(3),
                selector: LabelSelector {
                    match_labels: labels(&[("app", "nginx"), ("pod-template-hash", "7c5ddbdf54")]),
                    match_expressions: None,
                },
                template: Some(nginx_template(&[])),
                ..Default::default()
            }),
            status: Some(ReplicaSetStatus {
                replicas: 3,
                ready_replicas: Some(3),
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&rs], now(), &PrintOptions { wide: true, ..Default::default() }),
            "NAME                   DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES       SELECTOR\n\
             my-tomcat-7c5ddbdf54   3         3         3       10m   nginx        nginx:1.27   app=nginx,pod-template-hash=7c5ddbdf54\n"
        );
        let mut tmpl = nginx_template(&[]);
        tmpl.spec.as_mut().unwrap().node_selector = labels(&[("kubernetes.io/os", "linux")]);
        let ds = DaemonSet {
            metadata: meta(Some("kube-system"), "kube-proxy", 86400 * 10),
            spec: Some(DaemonSetSpec {
                selector: LabelSelector {
                    match_labels: labels(&[("k8s-app", "kube-proxy")]),
                    match_expressions: None,
                },
                template: tmpl,
                ..Default::default()
            }),
            status: Some(DaemonSetStatus {
                desired_number_scheduled: 3,
                current_number_scheduled: 3,
                number_ready: 3,
                updated_number_scheduled: Some(3),
                number_available: Some(3),
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&ds], now(), &PrintOptions { with_namespace: true, ..Default::default() }),
            "NAMESPACE     NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE\n\
             kube-system   kube-proxy   3         3         3       3            3           kubernetes.io/os=linux   10d\n"
        );
        let sts = StatefulSet {
            metadata: meta(Some("default"), "web", 45),
            spec: Some(StatefulSetSpec {
                replicas: Some(2),
                selector: app_selector(),
                service_name: Some("nginx".into()),
                template: nginx_template(&[]),
                ..Default::default()
            }),
            status: Some(StatefulSetStatus {
                ready_replicas: Some(1),
                replicas: 2,
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&sts], now(), &PrintOptions::default()),
            "NAME   READY   AGE\nweb    1/2     45s\n"
        );
        assert_eq!(print_names(&[&sts]), "statefulset.apps/web\n");
    }

    #[test]
    fn jobs_table() {
        use k8s_openapi::api::batch::v1::{JobCondition, JobSpec, JobStatus};
        let done = Job {
            metadata: meta(Some("default"), "pi", 400),
            spec: Some(JobSpec {
                completions: Some(1),
                template: nginx_template(&[]),
                ..Default::default()
            }),
            status: Some(JobStatus {
                succeeded: Some(1),
                start_time: Some(ago(400)),
                completion_time: Some(ago(372)),
                conditions: Some(vec![JobCondition {
                    type_: "Complete".into(),
                    status: "True".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        };
        let running = Job {
            metadata: meta(Some("default"), "batch", 90),
            spec: Some(JobSpec {
                parallelism: Some(3),
                template: nginx_template(&[]),
                ..Default::default()
            }),
            status: Some(JobStatus {
                start_time: Some(ago(90)),
                ..Default::default()
            }),
        };
        let want = "\
NAME    STATUS     COMPLETIONS   DURATION   AGE
pi      Complete   1/1           28s        6m40s
batch   Running    0/1 of 3      90s        90s
";
        assert_eq!(
            print_table(&[&done, &running], now(), &PrintOptions::default()),
            want
        );
    }
}
