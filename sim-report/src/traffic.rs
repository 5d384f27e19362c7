//! The traffic file (`traffic.csv`): each traffic source's outcomes per
//! second of virtual time, one row per source and second, in start order:
//! `source,t_s,sent,ok,server_errors,refused,timed_out,unreachable,unresolved,not_sent,p50_ms,p90_ms,p99_ms`
//! (`t_s`: the second since the start of the run; `not_sent`: requests a
//! client pod that was not running could not send; the `p*_ms` columns: the
//! latency percentiles of that second's answered requests in milliseconds
//! to the microsecond, empty without an answer). A header alone when the
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
        "not_sent",
        "p50_ms",
        "p90_ms",
        "p99_ms",
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
                s.not_sent.to_string(),
                ms(s.latency_ns.map(|l| l.p50)),
                ms(s.latency_ns.map(|l| l.p90)),
                ms(s.latency_ns.map(|l| l.p99)),
            ])?;
        }
    }
    w.flush()
}

/// Nanoseconds as milliseconds to the microsecond (`20.125`), or nothing.
fn ms(ns: Option<u64>) -> String {
    match ns {
        Some(ns) => {
            let us = ns / 1_000;
            format!("{}.{:03}", us / 1_000, us % 1_000)
        }
        None => String::new(),
    }
}
