//! kubectl: the grammar ([`grammar`]), resource arguments ([`resources`]),
//! and execution against a simulated cluster: [`dispatch`] hands a
//! [`prepared`] command to its module in [`commands`], which talk to the API
//! server through [`client`] and report in an [`outcome`].

pub mod client;
pub mod commands;
pub mod dispatch;
pub mod grammar;
pub mod outcome;
pub mod prepared;
pub mod resources;

pub use dispatch::{execute, Execution};
pub use outcome::Outcome;
pub use prepared::{Prepared, SourceFile};
