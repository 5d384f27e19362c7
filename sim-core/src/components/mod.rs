//! The components of the cluster: kube-controller-manager ([`controllers`]),
//! kube-scheduler ([`scheduler`]) and one [`kubelet`] and one [`kube_proxy`] per node, with what
//! they share: the informer cache (`informer`) and the Event recorder
//! (`event_recorder`). Each implements the contract of [`contract`].

pub(crate) mod addon_pod;
pub mod contract;
pub mod controllers;
pub mod disk_driver;
pub mod disk_provisioner;
pub(crate) mod event_recorder;
pub(crate) mod informer;
pub mod ingress;
pub mod kube_proxy;
pub mod kubelet;
pub mod nfs_provisioner;
pub mod scheduler;

pub use contract::{
    Component, ComponentId, ControlPlaneProcess, Ctx, Event, Role, Tag, TagSpace, WatchEvent,
};
