//! One module per kubectl command: what it does against the cluster and what it prints.

pub mod apply;
pub mod create;
pub mod delete;
pub mod describe;
pub mod edit;
pub mod exec;
pub mod expose;
pub mod get;
pub mod label;
pub mod logs;
pub mod node;
pub mod patch;
pub mod rollout;
pub mod run;
pub mod scale;
pub mod set;
