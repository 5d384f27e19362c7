//! `metrics.csv` (in `sim run --out`) and `sim run --stats`, end to end: the
//! samples come every 10 virtual seconds and once at the end, the counters
//! only grow, the census follows the cluster (a node that dies is counted
//! NotReady), and `--stats` writes on stderr without changing stdout.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("sim runs")
}

const HEADER: &str = "t_ns,nodes,nodes_ready,pods_pending,pods_running,pods_succeeded,pods_failed,objects,api_writes,events,watch_deliveries";

#[test]
fn metrics_are_sampled_every_ten_seconds_and_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = sim(&[
        "run",
        "--out",
        out.to_str().unwrap(),
        "scenarios/faults/node-dies.yaml",
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(HEADER));
    let rows: Vec<Vec<u64>> = lines
        .map(|l| l.split(',').map(|f| f.parse().unwrap()).collect())
        .collect();
    assert!(rows.len() > 30, "{} rows", rows.len());
    let (last, periodic) = rows.split_last().unwrap();
    for (i, row) in periodic.iter().enumerate() {
        assert_eq!(row.len(), 11);
        assert_eq!(
            row[0],
            i as u64 * 10_000_000_000,
            "row {i} is off the 10 s grid"
        );
    }
    assert!(
        last[0] > periodic.last().unwrap()[0],
        "the last row is the end"
    );
    assert!(last[0] - periodic.last().unwrap()[0] <= 10_000_000_000);
    for pair in rows.windows(2) {
        for col in [8, 9, 10] {
            assert!(pair[1][col] >= pair[0][col], "counter {col} went back");
        }
    }
    // Three nodes; one dies, and at some sample only two are Ready.
    assert!(rows[1..].iter().all(|r| r[1] == 3));
    assert!(
        rows.iter().any(|r| r[2] == 2),
        "the dead node is never NotReady"
    );
    assert!(rows[1..].iter().all(|r| r[3] + r[4] + r[5] + r[6] > 0));
}

#[test]
fn stats_go_to_stderr_and_leave_stdout_alone() {
    let scenario = "scenarios/course/2.3-pods.yaml";
    let plain = sim(&["run", scenario]);
    let with = sim(&["run", "--stats", scenario]);
    assert_eq!(with.status.code(), Some(0));
    assert_eq!(plain.stdout, with.stdout);
    let stderr = String::from_utf8(with.stderr).unwrap();
    for field in [
        "virtual time",
        "wall time",
        "virtual/wall",
        "events ",
        "events/s (wall)",
        "API requests",
        "API writes",
        "watch deliveries",
        "peak objects",
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("stats: ") && l.contains(field)),
            "no {field:?} in {stderr}"
        );
    }
    let writes: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("stats: API writes"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(writes > 50, "{writes} writes");
}
