//! One module per kubectl command: what it does against the cluster and what it prints.

pub mod apply;
pub mod create;
pub mod delete;
pub mod describe;
pub mod get;
pub mod logs;
pub mod run;
