//! The traffic file (`traffic.csv`): each traffic source's outcomes per
//! second of virtual time, one row per source and second, in start order:
//! `source,t_s,sent,ok,server_errors,refused,timed_out,unreachable,unresolved`
//! (`t_s`: the second since the start of the run). A header alone when the
//! run had no traffic.

use std::io::{self, Write};

use sim_core::cluster::Traffic;

/// Writes the rows of `sources`.
pub fn write_traffic(sources: &[Traffic], out: impl Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "source",
        "t_s",
        "sent",
        "ok",
        "server_errors",
        "refused",
        "timed_out",
        "unreachable",
        "unresolved",
    ])?;
    for t in sources {
        let first = t.start.as_nanos() / 1_000_000_000;
        for (i, s) in t.seconds.iter().enumerate() {
            w.write_record([
                t.spec.name.clone(),
                (first + i as u64).to_string(),
                s.sent.to_string(),
                s.ok.to_string(),
                s.server_errors.to_string(),
                s.refused.to_string(),
                s.timed_out.to_string(),
                s.unreachable.to_string(),
                s.unresolved.to_string(),
            ])?;
        }
    }
    w.flush()
}
