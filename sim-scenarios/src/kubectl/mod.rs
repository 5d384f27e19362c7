//! kubectl: the grammar ([`grammar`]), resource arguments ([`resources`]) and
//! execution against a simulated cluster ([`exec`]).

pub mod commands;
pub mod exec;
pub mod grammar;
pub mod resources;
