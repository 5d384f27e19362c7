//! Scheduler plugins of the default profile. Each filter returns `Ok` or the
//! reason a node was rejected, worded as the real plugin words it, and whether
//! preemption could help (UnschedulableAndUnresolvable vs Unschedulable).

pub mod node_affinity;
pub mod node_name;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod taint_toleration;

/// A filter's rejection of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The plugin that rejected the node.
    pub plugin: &'static str,
    /// The reasons (a node can lack several resources at once).
    pub reasons: Vec<String>,
    /// True when removing pods from the node would not help (UnschedulableAndUnresolvable).
    pub unresolvable: bool,
}

impl Rejection {
    /// A rejection with one reason.
    pub fn new(plugin: &'static str, reason: impl Into<String>, unresolvable: bool) -> Self {
        Self {
            plugin,
            reasons: vec![reason.into()],
            unresolvable,
        }
    }
}
