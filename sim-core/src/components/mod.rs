//! The components of the cluster: kube-controller-manager ([`controllers`]),
//! kube-scheduler ([`scheduler`]) and one [`kubelet`] per node, with what
//! they share: the informer cache ([`informer`]) and the Event recorder
//! ([`event_recorder`]). Each implements the contract of [`contract`].

pub mod contract;
pub mod controllers;
pub mod event_recorder;
pub mod informer;
pub mod kubelet;
pub mod scheduler;

pub use contract::{
    Component, ComponentId, ControlPlaneProcess, Ctx, Event, Role, Tag, TagSpace, WatchEvent,
};
