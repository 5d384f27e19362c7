//! The Event table (`printEvent` of
//! `k8s.io/kubernetes/pkg/printers/internalversion/printers.go`): LAST SEEN,
//! the involved object, and the `-o wide` source and counts.

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;

use super::{col, name_of, s, wide, Column, Printable};
use crate::age::{age, age_micro};

impl Printable for Event {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Last Seen"),
            col("Type"),
            col("Reason"),
            col("Object"),
            wide("Subobject"),
            wide("Source"),
            col("Message"),
            wide("First Seen"),
            wide("Count"),
            wide("Name"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let first = match &self.first_timestamp {
            Some(t) => age(Some(t), now),
            None => age_micro(self.event_time.as_ref(), now),
        };
        let mut last = match &self.last_timestamp {
            Some(t) => age(Some(t), now),
            None => first.clone(),
        };
        let mut count = self.count.unwrap_or(0);
        if let Some(series) = &self.series {
            last = age_micro(series.last_observed_time.as_ref(), now);
            count = series.count.unwrap_or(0);
        } else if count == 0 {
            count = 1;
        }
        let io = &self.involved_object;
        let kind = s(io.kind.as_ref()).to_lowercase();
        let target = match io.name.as_deref() {
            Some(n) if !n.is_empty() => format!("{kind}/{n}"),
            _ => kind,
        };
        let first_non_empty = |a: Option<&String>, b: Option<&String>| -> String {
            match (a.filter(|v| !v.is_empty()), b) {
                (Some(v), _) => v.clone(),
                (None, Some(v)) => v.clone(),
                (None, None) => String::new(),
            }
        };
        let src = self.source.as_ref();
        let component = first_non_empty(
            src.and_then(|s| s.component.as_ref()),
            self.reporting_component.as_ref(),
        );
        let instance = first_non_empty(
            src.and_then(|s| s.host.as_ref()),
            self.reporting_instance.as_ref(),
        );
        let source = if instance.is_empty() {
            component
        } else {
            format!("{component}, {instance}")
        };
        vec![
            last,
            s(self.type_.as_ref()).to_string(),
            s(self.reason.as_ref()).to_string(),
            target,
            s(io.field_path.as_ref()).to_string(),
            source,
            s(self.message.as_ref()).trim().to_string(),
            first,
            count.to_string(),
            name_of(&self.metadata),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use crate::printers::{print_table, PrintOptions};

    #[test]
    fn events_table() {
        use k8s_openapi::api::core::v1::{EventSource, ObjectReference};
        let ev = Event {
            metadata: meta(Some("default"), "nginx.17f1a2b3c4d5e6f7", 300),
            involved_object: ObjectReference {
                kind: Some("Pod".into()),
                name: Some("nginx".into()),
                field_path: Some("spec.containers{nginx}".into()),
                ..Default::default()
            },
            reason: Some("Pulled".into()),
            message: Some("Successfully pulled image \"nginx\"\n".into()),
            type_: Some("Normal".into()),
            source: Some(EventSource {
                component: Some("kubelet".into()),
                host: Some("worker-1".into()),
            }),
            first_timestamp: Some(ago(300)),
            last_timestamp: Some(ago(120)),
            count: Some(3),
            ..Default::default()
        };
        let want = "\
LAST SEEN   TYPE     REASON   OBJECT      MESSAGE
2m          Normal   Pulled   pod/nginx   Successfully pulled image \"nginx\"
";
        assert_eq!(print_table(&[&ev], now(), &PrintOptions::default()), want);
        let want_wide = "\
LAST SEEN   TYPE     REASON   OBJECT      SUBOBJECT                SOURCE              MESSAGE                             FIRST SEEN   COUNT   NAME
2m          Normal   Pulled   pod/nginx   spec.containers{nginx}   kubelet, worker-1   Successfully pulled image \"nginx\"   5m           3       nginx.17f1a2b3c4d5e6f7
";
        assert_eq!(
            print_table(
                &[&ev],
                now(),
                &PrintOptions {
                    wide: true,
                    ..Default::default()
                }
            ),
            want_wide
        );
    }
}
