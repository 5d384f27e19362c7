//! Determinism: the same scenario and seed give the same bytes out, for every
//! shipped scenario (stdout and every file of `--out`); a different seed
//! changes what is drawn at random and nothing else. Scenarios marked
//! `# heavy:` (the scale workloads of scenarios/perf/) are only validated
//! here: their runs belong to release builds and docs/performance.md.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every shipped scenario: the YAML files under scenarios/ outside `manifests/` directories.
fn shipped_scenarios() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("scenarios/ is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "manifests") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("scenarios"), &mut out);
    out
}

/// A scenario too large to run twice in a debug build: its file says so.
fn heavy(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .expect("scenario readable")
        .lines()
        .take_while(|l| l.starts_with('#'))
        .any(|l| l.starts_with("# heavy:"))
}

#[test]
fn every_shipped_scenario_is_valid_heavy_ones_too() {
    let scenarios = shipped_scenarios();
    assert!(
        scenarios.iter().any(|s| heavy(s)),
        "no heavy scenario found"
    );
    for s in &scenarios {
        let out = Command::new(env!("CARGO_BIN_EXE_sim"))
            .arg("validate")
            .arg(s)
            .output()
            .expect("sim runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            s.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    files: Vec<(String, Vec<u8>)>,
}

fn run(scenario: &Path, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out_dir)
        .args(extra)
        .current_dir(root())
        .output()
        .expect("sim runs");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).expect("readable"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        files,
    }
}

#[test]
fn every_shipped_scenario_passes_and_replays_byte_for_byte() {
    let scenarios = shipped_scenarios();
    assert!(
        scenarios.len() >= 3,
        "expected the course and perf scenarios, found {scenarios:?}"
    );
    for s in scenarios.iter().filter(|s| !heavy(s)) {
        let a = run(s, &[]);
        assert_eq!(
            a.code,
            0,
            "{} must pass:\n{}",
            s.display(),
            String::from_utf8_lossy(&a.stdout)
        );
        let b = run(s, &[]);
        assert_eq!(
            a.stdout,
            b.stdout,
            "{}: stdout differs between two runs",
            s.display()
        );
        let names: Vec<&str> = a.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                ".kubesim-out",
                "events.jsonl",
                "k8s-events.jsonl",
                "metrics.csv",
                "scheduling.jsonl",
                "traffic.csv",
                "transcript.txt"
            ],
            "{}",
            s.display()
        );
        for ((na, ca), (nb, cb)) in a.files.iter().zip(&b.files) {
            assert_eq!(na, nb);
            assert!(ca == cb, "{}: {na} differs between two runs", s.display());
            assert!(!ca.is_empty(), "{}: {na} is empty", s.display());
        }
        let transcript = &a
            .files
            .iter()
            .find(|(n, _)| n == "transcript.txt")
            .unwrap()
            .1;
        assert_eq!(transcript, &a.stdout, "the transcript is what was printed");
    }
}

/// Replaces what a seed draws: generated-name suffixes and long hex ids (uids,
/// container ids, boot ids).
fn normalize(text: &str) -> String {
    const SUFFIX: &str = "bcdfghjklmnpqrstvwxz2456789";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        // `-xxxxx` name suffix followed by a non-name character.
        if bytes[i] == b'-'
            && i + 6 <= bytes.len()
            && bytes[i + 1..i + 6]
                .iter()
                .all(|b| SUFFIX.as_bytes().contains(b))
        {
            let next = bytes.get(i + 6).copied().unwrap_or(b' ');
            if !(next.is_ascii_alphanumeric() || next == b'-') {
                out.push_str("-<rand>");
                i += 6;
                continue;
            }
        }
        // Runs of 16 or more hex digits or uuid groups.
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit() || **b == b'-')
            .count();
        let hex = bytes[i..i + run]
            .iter()
            .filter(|b| b.is_ascii_hexdigit())
            .count();
        if hex >= 16 && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            out.push_str("<id>");
            i += run;
            continue;
        }
        out.push(char::from(bytes[i]));
        i += 1;
    }
    out
}

#[test]
fn another_seed_changes_only_what_is_random() {
    let s = root().join("tests/fixtures/seed/one-worker.yaml");
    let a = run(&s, &["--seed", "1"]);
    let b = run(&s, &["--seed", "2"]);
    assert_eq!(
        (a.code, b.code),
        (0, 0),
        "{}",
        String::from_utf8_lossy(&a.stdout)
    );
    assert_ne!(
        a.stdout, b.stdout,
        "a different seed must draw different names"
    );
    // kubectl sorts rows by name, and names are drawn at random: compare the
    // normalized lines as a multiset, so that only a reordering of rows is allowed.
    let lines = |bytes: &[u8], seed: &str| -> Vec<String> {
        let mut v: Vec<String> = normalize(&String::from_utf8_lossy(bytes))
            .replace(&format!("(seed {seed},"), "(seed <n>,")
            .lines()
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        lines(&a.stdout, "1"),
        lines(&b.stdout, "2"),
        "beyond random names and ids, the runs must be identical"
    );
    for ((name, ca), (_, cb)) in a
        .files
        .iter()
        .zip(&b.files)
        .filter(|((n, _), _)| n == "events.jsonl")
    {
        assert_eq!(
            lines(ca, "1"),
            lines(cb, "2"),
            "{name}: the same actions at the same virtual times"
        );
    }
}

#[test]
fn normalize_hides_only_random_draws() {
    assert_eq!(
        normalize("web-7c5ddbdf54-x2k8q Running"),
        "web-7c5ddbdf54-<rand> Running"
    );
    assert_eq!(
        normalize("uid 3f2a9c1e-0b1d-4a5e-9f00-123456789abc ok"),
        "uid <id> ok"
    );
    assert_eq!(normalize("worker-1 Ready"), "worker-1 Ready");
}
