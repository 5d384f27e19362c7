//! One module per kubectl command: what it does against the cluster and what it prints.

pub(crate) mod apply;
pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod describe;
pub(crate) mod edit;
pub(crate) mod exec;
pub(crate) mod expose;
pub(crate) mod first_pod;
pub(crate) mod get;
pub(crate) mod label;
pub(crate) mod logs;
pub(crate) mod node;
pub(crate) mod patch;
pub(crate) mod rollout;
pub(crate) mod run;
pub(crate) mod scale;
pub(crate) mod set;
