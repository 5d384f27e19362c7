//! kubectl: the grammar ([`grammar`]), resource arguments (`resources`),
//! and execution against a simulated cluster: `dispatch` hands a
//! [`prepared`] command to its module in `commands`, which talk to the API
//! server through `client` and report in an `outcome`. Only the dispatcher
//! imports the command modules; the commands import the shared modules below
//! them.

pub(crate) mod client;
pub(crate) mod commands;
pub(crate) mod dispatch;
pub mod grammar;
pub(crate) mod outcome;
pub mod prepared;
pub(crate) mod resources;

pub(crate) use dispatch::{execute, open_exec_session};
pub use prepared::{Prepared, SourceFile};
