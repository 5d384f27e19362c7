//! End-to-end tests of bad input: every kind of broken scenario, manifest or
//! command line makes the `sim` binary exit with code 2 and an error that
//! names the file, the line (when it can be known) or the YAML path, and
//! what was expected, and never panics. The fixtures are under
//! `tests/fixtures/bad/`; the last test feeds random text to the parser.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use proptest::prelude::*;

const BAD: &str = "tests/fixtures/bad";

/// Runs `sim` from the package root, so fixture paths are shown as given.
fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the sim binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit code 2 and an `error: ` with every one of `words`.
fn assert_invalid(out: &Output, what: &str, words: &[&str]) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: exit code {:?}, stderr:\n{err}",
        out.status.code()
    );
    assert!(
        err.starts_with("error: "),
        "{what}: stderr does not start with `error: `:\n{err}"
    );
    assert!(!err.contains("panicked"), "{what}: panic:\n{err}");
    for w in words {
        assert!(err.contains(w), "{what}: stderr lacks {w:?}:\n{err}");
    }
}

/// `sim validate` and `sim run` of the fixture `name` both fail with exit
/// code 2, naming `file:line` (the fixture itself unless `file` is given)
/// and every one of `words`.
fn check(name: &str, file: Option<&str>, line: Option<usize>, words: &[&str]) {
    let scenario = format!("{BAD}/{name}");
    let file = file.map_or_else(|| scenario.clone(), |f| format!("{BAD}/{f}"));
    let place = match line {
        Some(l) => format!("error: {file}:{l}:"),
        None => format!("error: {file}:"),
    };
    for cmd in ["validate", "run"] {
        let out = sim(&[cmd, &scenario]);
        let what = format!("sim {cmd} {scenario}");
        assert_invalid(&out, &what, words);
        assert!(
            stderr(&out).starts_with(&place),
            "{what}: stderr does not start with {place:?}:\n{}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{what}: a run started");
    }
}

// 1. Unknown fields in the scenario.

#[test]
fn unknown_top_level_field() {
    check(
        "unknown-top-field.yaml",
        None,
        Some(3),
        &[
            "unknown field `stpes`",
            "expected one of `name`",
            "did you mean `steps`?",
        ],
    );
}

#[test]
fn unknown_expect_field() {
    check(
        "unknown-expect-field.yaml",
        None,
        Some(7),
        &[
            "steps[1].expect: unknown field `withn`",
            "expected one of",
            "`within`",
        ],
    );
}

// 2. Broken YAML.

#[test]
fn broken_yaml_in_the_scenario() {
    check(
        "yaml-syntax.yaml",
        None,
        Some(6),
        &["invalid YAML", "quoted scalar at line 4"],
    );
    check(
        "yaml-indent.yaml",
        None,
        Some(4),
        &["invalid YAML", "expected '-' indicator"],
    );
}

#[test]
fn broken_yaml_in_a_manifest() {
    check(
        "manifest-syntax.yaml",
        Some("manifests/broken-syntax.yaml"),
        Some(9),
        &["invalid YAML", "flow sequence at line 8"],
    );
}

#[test]
fn broken_yaml_inline_points_at_scenario_lines() {
    check(
        "inline-block-syntax.yaml",
        None,
        Some(13),
        &["steps[1].apply", "invalid YAML", "flow sequence at line 12"],
    );
}

// 3. Durations.

#[test]
fn bad_durations_name_the_field_and_the_form() {
    check(
        "duration-within.yaml",
        None,
        Some(7),
        &[
            "steps[1].expect.within",
            "invalid duration \"5x\"",
            "expected one of ns, us, ms, s, m, h",
        ],
    );
    check(
        "duration-wait.yaml",
        None,
        Some(5),
        &[
            "steps[1].wait",
            "invalid duration \"10\"",
            "missing unit",
            "did you mean 10s?",
        ],
    );
    check(
        "duration-at.yaml",
        None,
        Some(3),
        &["steps[0].at", "invalid duration \"-3s\"", "negative"],
    );
}

// 4. Quantities.

#[test]
fn bad_node_quantities() {
    check(
        "quantity-cpu.yaml",
        None,
        Some(8),
        &[
            "cluster.nodes[1].cpu",
            "invalid quantity \"4x\"",
            "expected an optional sign",
        ],
    );
    check(
        "quantity-memory.yaml",
        None,
        Some(8),
        &[
            "cluster.nodes[1].memory",
            "invalid quantity \"8GB\"",
            "did you mean 8G or 8Gi?",
        ],
    );
}

#[test]
fn bad_quantity_in_a_manifest() {
    check(
        "quantity-manifest.yaml",
        Some("manifests/bad-cpu.yaml"),
        Some(1),
        &[
            "Pod \"greedy\" is invalid",
            "spec.containers[0].resources.requests[cpu]: Invalid value: \"2x\"",
        ],
    );
}

// 5. Kinds and versions.

#[test]
fn unknown_kind() {
    check(
        "unknown-kind.yaml",
        Some("manifests/widget.yaml"),
        Some(2),
        &[
            "no matches for kind \"Widget\" in version \"v1\"",
            "kubesim supports: Namespace",
        ],
    );
}

#[test]
fn known_kind_wrong_api_version() {
    check(
        "wrong-api-version.yaml",
        Some("manifests/deployment-v2.yaml"),
        Some(6),
        &[
            "no matches for kind \"Deployment\" in version \"apps/v2\"",
            "apiVersion apps/v1",
        ],
    );
}

// 6. Unknown fields in manifests, as the API server words them.

#[test]
fn unknown_field_in_a_pod_manifest() {
    check(
        "unknown-manifest-field-pod.yaml",
        Some("manifests/pod-imagee.yaml"),
        Some(1),
        &[
            "Pod in version \"v1\" cannot be handled as a Pod",
            "strict decoding error: unknown field \"spec.containers[0].imagee\"",
        ],
    );
}

#[test]
fn unknown_field_in_a_deployment_manifest() {
    check(
        "unknown-manifest-field-deploy.yaml",
        Some("manifests/deploy-contianers.yaml"),
        Some(7),
        &["unknown field \"spec.template.spec.contianers\""],
    );
}

#[test]
fn unknown_field_in_inline_manifests_points_at_scenario_lines() {
    check(
        "inline-apply.yaml",
        None,
        Some(6),
        &[
            "steps[1].apply",
            "unknown field \"spec.containers[0].imagee\"",
        ],
    );
    // The second document of an `apply: |` block.
    check(
        "inline-block.yaml",
        None,
        Some(11),
        &[
            "steps[1].apply",
            "unknown field \"spec.containers[0].imagee\"",
        ],
    );
}

// 7. Missing and empty manifests.

#[test]
fn missing_manifest_file() {
    for (name, field) in [
        ("missing-manifest-apply.yaml", "steps[1].apply"),
        ("missing-manifest-kubectl.yaml", "steps[1].kubectl"),
    ] {
        check(
            name,
            None,
            Some(4),
            &[
                field,
                "the path \"missing.yaml\" does not exist",
                "relative to the scenario file",
            ],
        );
    }
}

#[test]
fn manifest_without_objects() {
    check(
        "empty-manifest.yaml",
        None,
        Some(3),
        &["steps[0].apply", "no objects passed to apply"],
    );
}

// 8. Duplicates in one apply.

#[test]
fn duplicate_objects_in_one_apply() {
    check(
        "duplicate.yaml",
        Some("manifests/duplicate.yaml"),
        Some(6),
        &[
            "duplicate object: namespace \"twice\"",
            "also defined at tests/fixtures/bad/manifests/duplicate.yaml:1",
        ],
    );
    check(
        "duplicate-inline.yaml",
        None,
        Some(5),
        &[
            "steps[0].apply[1]",
            "duplicate object: namespace \"twice\"",
            "duplicate-inline.yaml:4",
        ],
    );
}

// 9. Expectations.

#[test]
fn expectation_on_an_unsupported_kind() {
    check(
        "expect-kind.yaml",
        None,
        Some(4),
        &[
            "steps[0].expect.object",
            "unsupported object kind \"widget\"",
            "expectations support: namespace, node, pod",
        ],
    );
}

#[test]
fn expectation_field_unsupported_for_the_kind() {
    check(
        "expect-field.yaml",
        None,
        Some(6),
        &[
            "steps[1].expect.availableReplicas",
            "availableReplicas is not supported for pod",
            "supported for: deployment",
        ],
    );
}

// 10. kubectl typos.

#[test]
fn kubectl_unknown_command() {
    check(
        "kubectl-command.yaml",
        None,
        Some(4),
        &[
            "steps[1].kubectl",
            "unknown command \"gte\" for \"kubectl\"",
            "Did you mean this?\n\tget",
        ],
    );
}

#[test]
fn kubectl_unknown_flag() {
    check(
        "kubectl-flag.yaml",
        None,
        Some(3),
        &[
            "steps[0].kubectl",
            "unknown flag: --imagee",
            "See 'kubectl run --help' for usage.",
        ],
    );
}

#[test]
fn kubectl_unknown_resource_type() {
    check(
        "kubectl-resource.yaml",
        None,
        Some(4),
        &[
            "steps[1].kubectl",
            "the server doesn't have a resource type \"podz\"",
        ],
    );
}

// 11. Steps with two actions, or none; step lines in every style.

#[test]
fn step_with_two_actions() {
    check(
        "two-actions.yaml",
        None,
        Some(4),
        &[
            "steps[1]: a step needs exactly one of apply, delete, kubectl, host, traffic, wait or expect",
            "found 2 (kubectl and wait)",
        ],
    );
}

#[test]
fn step_with_no_action() {
    check(
        "no-action.yaml",
        None,
        Some(4),
        &["steps[1]: a step needs exactly one of", "found none"],
    );
}

#[test]
fn step_lines_survive_flow_style_and_comments() {
    check(
        "flow-steps.yaml",
        None,
        Some(6),
        &["steps[2].expect.within", "invalid duration \"5x\""],
    );
    check(
        "comment-steps.yaml",
        None,
        Some(9),
        &["steps[2].kubectl", "resource type \"podz\""],
    );
}

// 12. Missing, empty and mis-shaped scenario files.

#[test]
fn scenario_file_that_does_not_exist() {
    let path = format!("{BAD}/does-not-exist.yaml");
    for cmd in ["validate", "run"] {
        let out = sim(&[cmd, &path]);
        assert_invalid(
            &out,
            "missing scenario",
            &[&format!("error: {path}: "), "no such file"],
        );
    }
    let out = sim(&["validate", BAD]);
    assert_invalid(
        &out,
        "directory as scenario",
        &[&format!("error: {BAD}: "), "is a directory"],
    );
}

#[test]
fn scenario_that_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binary.yaml");
    fs::write(&path, b"name: \xff\xfe\nsteps: []\n").unwrap();
    let out = sim(&["validate", path.to_str().unwrap()]);
    assert_invalid(
        &out,
        "binary scenario",
        &[path.to_str().unwrap(), "not UTF-8"],
    );
}

#[test]
fn empty_scenario_file() {
    check(
        "empty.yaml",
        None,
        None,
        &[
            "holds no YAML document",
            "expected a mapping with at least name and steps",
        ],
    );
}

#[test]
fn scenario_whose_top_level_is_a_list() {
    check(
        "top-level-list.yaml",
        None,
        Some(1),
        &[
            "invalid type: sequence",
            "expected a scenario: a mapping with name",
        ],
    );
}

#[test]
fn scenario_with_two_documents() {
    check(
        "two-documents.yaml",
        None,
        Some(5),
        &["found 2 YAML documents", "one YAML document"],
    );
}

// 13. --out.

const GOOD: &str = "scenarios/course/2.2-namespaces.yaml";

/// The names and contents of the files in `dir`.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let content = fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), content)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn out_refuses_a_directory_with_other_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "my notes\n").unwrap();
    fs::write(dir.path().join("events.jsonl"), "not kubesim's\n").unwrap();
    let before = snapshot(dir.path());
    let d = dir.path().to_str().unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["run", "--out", d];
        args.extend_from_slice(extra);
        args.push(GOOD);
        let out = sim(&args);
        assert_invalid(
            &out,
            "--out with foreign files",
            &[&format!("--out {d}"), "notes.txt", "did not write"],
        );
        assert!(out.stdout.is_empty(), "the run started");
        assert_eq!(snapshot(dir.path()), before, "files changed");
    }
}

#[test]
fn out_replaces_a_previous_run_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("out");
    let d = d.to_str().unwrap();
    let first = sim(&["run", "--out", d, GOOD]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let mut names: Vec<String> = snapshot(Path::new(d)).into_iter().map(|f| f.0).collect();
    names.sort();
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
        ]
    );
    #[cfg(unix)]
    for name in &names {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(Path::new(d).join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{name} is an ordinary file");
    }
    let before = snapshot(Path::new(d));

    let out = sim(&["run", "--out", d, GOOD]);
    assert_invalid(
        &out,
        "--out over a previous run",
        &[&format!("--out {d}"), "not empty", "--force"],
    );
    assert_eq!(
        snapshot(Path::new(d)),
        before,
        "files changed without --force"
    );

    let out = sim(&["run", "--force", "--seed", "2", "--out", d, GOOD]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let transcript = fs::read_to_string(Path::new(d).join("transcript.txt")).unwrap();
    assert_eq!(transcript.as_bytes(), out.stdout, "transcript not replaced");
}

#[test]
fn out_force_never_replaces_a_file_the_user_changed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("out");
    let d = d.to_str().unwrap();
    let first = sim(&["run", "--out", d, GOOD]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    // The user's own transcript, under kubesim's name.
    fs::write(Path::new(d).join("transcript.txt"), "my notes\n").unwrap();
    let before = snapshot(Path::new(d));
    let out = sim(&["run", "--force", "--out", d, GOOD]);
    assert_invalid(
        &out,
        "--force over a changed file",
        &[&format!("--out {d}"), "transcript.txt", "changed since"],
    );
    assert!(out.stdout.is_empty(), "the run started");
    assert_eq!(snapshot(Path::new(d)), before, "files changed");
}

#[cfg(unix)]
#[test]
fn out_refuses_a_directory_it_cannot_write_before_the_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    // Root writes anywhere: then use a directory no one can write.
    let target = if fs::write(ro.join("probe"), "x").is_ok() {
        std::path::PathBuf::from("/sys")
    } else {
        ro.clone()
    };
    let t = target.to_str().unwrap();
    let out = sim(&["run", "--out", t, GOOD]);
    assert_invalid(
        &out,
        "--out read-only",
        &[&format!("--out {t}"), "cannot write into it"],
    );
    assert!(
        out.stdout.is_empty(),
        "the run started before --out was checked"
    );
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn out_never_replaces_a_file_created_during_the_run() {
    use std::io::{BufRead, BufReader, Read};
    let dir = tempfile::tempdir().unwrap();
    // A scenario that prints more than a pipe holds, so that the run waits
    // for its reader: the file is created while it runs.
    let scenario = dir.path().join("long.yaml");
    let mut text = String::from("name: long\nsteps:\n");
    for _ in 0..40 {
        text.push_str("  - kubectl: get pods -A -o yaml\n");
    }
    fs::write(&scenario, text).unwrap();
    let out_dir = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args([
            "run",
            "--out",
            out_dir.to_str().unwrap(),
            scenario.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut header = String::new();
    stdout.read_line(&mut header).unwrap();
    assert!(header.starts_with("kubesim: scenario \"long\""), "{header}");
    fs::write(out_dir.join("transcript.txt"), "mine\n").unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_invalid(
        &out,
        "a file created during the run",
        &["transcript.txt", "appeared or changed during the run"],
    );
    assert_eq!(
        fs::read_to_string(out_dir.join("transcript.txt")).unwrap(),
        "mine\n"
    );
    assert!(
        out_dir.join("events.jsonl").is_file(),
        "the other files are written"
    );
}

#[test]
fn out_refuses_what_only_looks_like_a_previous_run() {
    // A directory named like an output file is not a previous run's output.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("events.jsonl")).unwrap();
    let d = dir.path().to_str().unwrap();
    let out = sim(&["run", "--force", "--out", d, GOOD]);
    assert_invalid(&out, "--out with a directory entry", &["events.jsonl"]);
    assert!(out.stdout.is_empty());
    // A file is not a directory.
    let file = dir.path().join("file.txt");
    fs::write(&file, "keep me\n").unwrap();
    let f = file.to_str().unwrap();
    let out = sim(&["run", "--force", "--out", f, GOOD]);
    assert_invalid(&out, "--out naming a file", &["not a directory"]);
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me\n");
}

// 14. Bad command-line values.

#[test]
fn bad_until_and_seed() {
    for (flag, value, words) in [
        ("--until", "5x", &["unknown unit \"x\""][..]),
        ("--until", "-3s", &["negative"][..]),
        ("--until", "", &["empty string"][..]),
        ("--seed", "abc", &["expected a non-negative integer"][..]),
        ("--seed", "-1", &["expected a non-negative integer"][..]),
        (
            "--seed",
            "99999999999999999999999",
            &["expected a non-negative integer"][..],
        ),
    ] {
        let out = sim(&["run", flag, value, GOOD]);
        let mut all = vec![flag, "invalid value"];
        all.extend_from_slice(words);
        assert_invalid(&out, &format!("run {flag} {value:?}"), &all);
        assert!(out.stdout.is_empty(), "{flag} {value:?}: the run started");
    }
}

// The one valid input.

#[test]
fn a_valid_scenario_validates() {
    let out = sim(&["validate", "scenarios/course/2.2-namespaces.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("valid scenario \"course-2.2-namespaces\""),
        "{stdout}"
    );
}

// 15. Garbage never panics the parser.

/// Pieces of scenario-like YAML, glued at random.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("name: x\n".to_owned()),
        Just("steps:\n".to_owned()),
        Just("cluster:\n  nodes:\n".to_owned()),
        Just("  - ".to_owned()),
        Just("- ".to_owned()),
        Just("kubectl: get pods\n".to_owned()),
        Just("kubectl: gte podz --x\n".to_owned()),
        Just("wait: 10\n".to_owned()),
        Just("expect:\n".to_owned()),
        Just("    object: pod/x\n".to_owned()),
        Just("    within: 5x\n".to_owned()),
        Just("apply: |\n".to_owned()),
        Just("apply:\n".to_owned()),
        Just("    apiVersion: v1\n    kind: Pod\n".to_owned()),
        Just("    metadata: {name: p}\n".to_owned()),
        Just("    spec: {containers: [{name: c, image: nginx}]}\n".to_owned()),
        Just("cpu: 4x\n".to_owned()),
        Just("controlPlane: true\n".to_owned()),
        Just("---\n".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("&a ".to_owned()),
        Just("*a ".to_owned()),
        Just("!tag ".to_owned()),
        Just("? ".to_owned()),
        Just(": ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("# c\n".to_owned()),
        Just("|".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("    ".to_owned()),
        "[a-zA-Z0-9./:=-]{1,8}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = sim_scenarios::scenario::parse(&text, Path::new("/nonexistent/kubesim/s.yaml"));
    }

    #[test]
    fn random_yamlish_text_never_panics(text in yamlish()) {
        let _ = sim_scenarios::scenario::parse(&text, Path::new("/nonexistent/kubesim/s.yaml"));
    }
}

#[test]
fn edit_step_needs_a_patch_and_a_patch_needs_edit() {
    check(
        "edit-without-patch.yaml",
        None,
        Some(4),
        &["steps[1].kubectl", "kubectl edit opens an editor", "patch:"],
    );
    check(
        "patch-without-edit.yaml",
        None,
        Some(5),
        &["steps[0].patch", "goes with `kubectl: edit TYPE NAME` only"],
    );
}

// Scheduler configuration and node pools.

#[test]
fn unknown_scheduler_plugin_names_the_config_file_and_line() {
    check(
        "scheduler-unknown-plugin.yaml",
        Some("manifests/scheduler-unknown-plugin.yaml"),
        Some(8),
        &[
            "profiles[0].plugins.score.enabled[0].name",
            "ScorePlugin \"NodeResourcesFitt\" does not exist",
            "cluster.scheduler in tests/fixtures/bad/scheduler-unknown-plugin.yaml",
        ],
    );
}

#[test]
fn join_at_on_the_control_plane_is_refused() {
    check(
        "join-control-plane.yaml",
        None,
        Some(6),
        &["cluster.nodes[0].joinAt", "joinAt is for workers"],
    );
}

#[test]
fn a_taint_reads_as_kubectl_taint_reads_it() {
    // kubectl's parseTaint splits at every ':' and refuses a third part; the
    // scenario once split at the last one and took `example.com/gpu:x` as
    // the key.
    check(
        "taint-two-colons.yaml",
        None,
        Some(7),
        &[
            "cluster.nodes[1].taints[0]",
            "invalid taint spec: example.com/gpu:x:NoSchedule",
        ],
    );
}

// 16. Sizes past their limits (docs/scenario-format.md, section 8).

#[test]
fn a_node_count_past_the_limit_is_refused_naming_the_field() {
    check(
        "node-count.yaml",
        None,
        Some(7),
        &[
            "cluster.nodes[1].count",
            "2147483647",
            "at most 15000 nodes",
        ],
    );
}

#[test]
fn a_million_replicas_are_refused_not_run() {
    check(
        "million-replicas.yaml",
        Some("manifests/million-replicas.yaml"),
        None,
        &[
            "spec.replicas: Invalid value: 1000000",
            "must be less than or equal to 150000",
        ],
    );
}

#[test]
fn a_gc_threshold_past_the_limit_is_refused() {
    check(
        "gc-threshold.yaml",
        None,
        None,
        &[
            "cluster.timings.terminatedPodGcThreshold",
            "at most 1000000",
        ],
    );
}

#[test]
fn a_random_crash_mtbf_below_the_floor_is_refused() {
    check(
        "fault-mtbf.yaml",
        None,
        Some(5),
        &["steps[0].fault.mtbf", "1ns", "shortest mtbf accepted is 1s"],
    );
}

#[test]
fn a_duration_past_the_limit_is_refused() {
    check(
        "wait-too-long.yaml",
        None,
        Some(3),
        &[
            "steps[0].wait",
            "100000h",
            "longest duration accepted is 1000h0m0s",
        ],
    );
}

#[test]
fn quantities_too_large_are_refused_alike() {
    for name in ["quantity-overflow.yaml", "quantity-exponent.yaml"] {
        check(
            name,
            None,
            Some(7),
            &[
                "cluster.nodes[1].memory",
                "is too large",
                "the largest value accepted is 1Pi",
            ],
        );
    }
}

// 17. Fault fields.

#[test]
fn a_fault_field_of_another_kind_is_refused() {
    check(
        "fault-stray-field.yaml",
        None,
        Some(7),
        &[
            "steps[1].fault.container",
            "a node-crash fault takes no container",
            "it takes node and duration",
        ],
    );
}

// 18. Positions.

#[test]
fn a_duplicate_key_is_reported_at_its_own_line() {
    check(
        "duplicate-key.yaml",
        None,
        Some(5),
        &["duplicate entry with key \"wait\""],
    );
}

#[test]
fn validating_many_steps_stays_linear() {
    // One parse of the YAML for the lines of every step: 20,000 steps
    // validate (with one error at the end, located at its own line).
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name: many\nsteps:\n");
    for i in 0..20_000 {
        text.push_str(&format!("  - name: step {i}\n    wait: 1s\n"));
    }
    let path = dir.path().join("many.yaml");
    fs::write(&path, &text).unwrap();
    let out = sim(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 nodes, 20000 steps"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    text.push_str("  - wait: 5x\n");
    fs::write(&path, &text).unwrap();
    let out = sim(&["validate", path.to_str().unwrap()]);
    assert_invalid(&out, "a late bad step", &[":40003:", "steps[20000].wait"]);
}

// 19. Byte-order marks, links, special files.

#[test]
fn a_byte_order_mark_is_accepted_in_every_yaml_file() {
    let dir = tempfile::tempdir().unwrap();
    let bom = "\u{feff}";
    fs::write(
        dir.path().join("ns.yaml"),
        format!("{bom}apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bom\n"),
    )
    .unwrap();
    fs::write(
        dir.path().join("sched.yaml"),
        format!(
            "{bom}apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
        ),
    )
    .unwrap();
    let scenario = dir.path().join("s.yaml");
    fs::write(
        &scenario,
        format!("{bom}name: bom\ncluster:\n  scheduler: sched.yaml\nsteps:\n  - apply: ns.yaml\n  - kubectl: apply -f ns.yaml\n"),
    )
    .unwrap();
    let out = sim(&["validate", scenario.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("b.yaml", dir.path().join("a.yaml")).unwrap();
    std::os::unix::fs::symlink("a.yaml", dir.path().join("b.yaml")).unwrap();
    let scenario = dir.path().join("s.yaml");
    fs::write(&scenario, "name: loop\nsteps:\n  - apply: a.yaml\n").unwrap();
    let out = sim(&["validate", scenario.to_str().unwrap()]);
    assert_invalid(
        &out,
        "manifest symlink loop",
        &["a.yaml", "Too many levels of symbolic links"],
    );
    assert!(!stderr(&out).contains("does not exist"), "{}", stderr(&out));
    let out = sim(&["validate", dir.path().join("a.yaml").to_str().unwrap()]);
    assert_invalid(
        &out,
        "scenario symlink loop",
        &["a.yaml", "Too many levels of symbolic links"],
    );
}

/// Runs `sim` with a deadline: a FIFO must be refused, not waited on.
#[cfg(unix)]
fn sim_with_deadline(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the sim binary runs");
    for _ in 0..300 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    panic!("sim {args:?} blocked (killed after 30 s): {}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.yaml");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let out = sim_with_deadline(&["validate", fifo.to_str().unwrap()]);
    assert_invalid(
        &out,
        "FIFO as scenario",
        &[
            "fifo.yaml",
            "not a regular file",
            "expected a scenario YAML file",
        ],
    );
    for step in [
        "apply: fifo.yaml",
        "kubectl: apply -f fifo.yaml",
        "kubectl: create configmap c --from-file=fifo.yaml",
    ] {
        let scenario = dir.path().join("s.yaml");
        fs::write(&scenario, format!("name: fifo\nsteps:\n  - {step}\n")).unwrap();
        let out = sim_with_deadline(&["validate", scenario.to_str().unwrap()]);
        assert_invalid(&out, step, &["fifo.yaml", "not a regular file"]);
    }
}

#[test]
fn pod_networks_that_cannot_hold_the_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str]); 5] = [
        (
            "networking: {podSubnet: 10.244.0.0}",
            &[
                "cluster.networking.podSubnet",
                "is not an IPv4 CIDR such as 10.244.0.0/16",
            ],
        ),
        (
            "networking: {podSubnet: 10.244.1.0/16}",
            &[
                "cluster.networking.podSubnet",
                "has host bits set; the network is 10.244.0.0/16",
            ],
        ),
        (
            "networking: {podSubnet: 10.244.0.0/16, nodeCidrMaskSize: 31}",
            &[
                "cluster.networking.nodeCidrMaskSize",
                "must be from 16 to 30",
            ],
        ),
        (
            "networking: {podSubnet: 10.244.0.0/16, nodeCidrMaskSize: 18}",
            &[
                "cluster.networking",
                "holds 4 node CIDRs of /18; the cluster has 5 nodes",
            ],
        ),
        (
            "networking: {podSubnet: 10.244.0.0/16, nodeMask: 18}",
            &[
                "unknown field `nodeMask`",
                "expected one of `podSubnet`, `nodeCidrMaskSize`, `loadBalancerPool`",
            ],
        ),
    ];
    for (i, (networking, words)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("net-{i}.yaml"));
        fs::write(
            &path,
            format!(
                "name: net\ncluster:\n  nodes:\n    - {{name: cp, controlPlane: true}}\n    - {{name: w, count: 4}}\n  {networking}\nsteps: []\n"
            ),
        )
        .unwrap();
        let out = sim(&["validate", path.to_str().unwrap()]);
        assert_invalid(&out, networking, words);
    }
}

// Containers (issue 11): exec input, image `from`, `http` and `workingDir`.

#[test]
fn container_fields_are_checked() {
    check(
        "input-without-stdin.yaml",
        None,
        Some(5),
        &[
            "steps[1].input",
            "add -i (or -it for a terminal) to kubectl exec",
        ],
    );
    check(
        "image-from-unknown.yaml",
        None,
        Some(5),
        &[
            "cluster.images[example/app:1].from",
            "\"busybxo\" is not a built-in image",
            "busybox",
        ],
    );
    check(
        "image-http-status.yaml",
        None,
        Some(9),
        &[
            "http.routes[/].status",
            "700 is not an HTTP status; expected 100 to 599",
        ],
    );
    check(
        "node-address-range.yaml",
        None,
        Some(4),
        &[
            "cluster.networking.firstNodeAddress",
            "3 nodes from 192.168.11.253 leave its /24",
        ],
    );
    check(
        "lb-pool-overlap.yaml",
        None,
        Some(4),
        &[
            "cluster.networking.loadBalancerPool",
            "10.96.1.0/28 overlaps the service network (10.96.0.0/12)",
        ],
    );
    check(
        "image-workdir.yaml",
        None,
        Some(5),
        &["workingDir", "\"app\" is not an absolute path"],
    );
}

// Hosts (issue 12): host steps.

#[test]
fn host_steps_are_checked() {
    check(
        "host-unknown-node.yaml",
        None,
        Some(5),
        &[
            "steps[1].host",
            "no node \"worker-9\" in the cluster",
            "control-plane, worker-1, worker-2",
        ],
    );
    check(
        "host-run-alone.yaml",
        None,
        Some(4),
        &["a step needs exactly one of apply, delete, kubectl, host"],
    );
    check(
        "host-status.yaml",
        None,
        Some(5),
        &["steps[0].status", "300 is not an exit status (0 to 255)"],
    );
}

// Traffic (issue 12): traffic steps.

#[test]
fn traffic_steps_are_checked() {
    check(
        "traffic-rate.yaml",
        None,
        Some(6),
        &[
            "steps[0].traffic.rate",
            "rate 5000 is out of range: 1 to 1000 requests a second",
        ],
    );
    check(
        "traffic-url.yaml",
        None,
        Some(5),
        &[
            "steps[0].traffic.url",
            "\"https://localhost/\" is not an http URL",
        ],
    );
    check(
        "traffic-percent.yaml",
        None,
        Some(8),
        &[
            "steps[0].traffic.maxFailedPercent",
            "150 is out of range: a percentage from 0 to 100",
        ],
    );
    check(
        "traffic-pod.yaml",
        None,
        Some(6),
        &[
            "steps[0].traffic.from",
            "\"Client_1\": a lowercase RFC 1123 subdomain",
        ],
    );
    check(
        "traffic-namespace.yaml",
        None,
        Some(7),
        &[
            "steps[0].traffic.namespace",
            "namespace applies to a traffic source in a pod (from: pod/NAME)",
        ],
    );
}

// Storage (issue 13): NFS servers.

#[test]
fn nfs_servers_are_checked() {
    check(
        "nfs-address.yaml",
        None,
        Some(5),
        &[
            "cluster.storage.nfsServers[0].address",
            "\"nfs.example.com\" is not an IPv4 address",
        ],
    );
    check(
        "nfs-export.yaml",
        None,
        Some(6),
        &[
            "cluster.storage.nfsServers[0].exports[1]",
            "\"nfs/other\" is not an absolute path",
        ],
    );
}

#[test]
fn disks_are_checked() {
    check(
        "disk-id.yaml",
        None,
        Some(6),
        &[
            "cluster.storage.disks[1].id",
            "\"my disk\" is not a disk id",
            "letters, digits",
        ],
    );
    check(
        "disk-twice.yaml",
        None,
        Some(6),
        &[
            "cluster.storage.disks[1].id",
            "disk data-1 is declared twice",
        ],
    );
}

#[test]
fn an_nfs_outage_names_a_server_address() {
    check(
        "fault-nfs-server.yaml",
        None,
        Some(3),
        &[
            "steps[0].fault.server",
            "\"nfs.example.com\" is not an IPv4 address",
        ],
    );
}
