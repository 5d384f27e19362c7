//! `cluster.scheduler`: a KubeSchedulerConfiguration in a scenario, defaulted,
//! validated and turned into sim-core's typed configuration.

use std::path::Path;

use sim_core::config::scheduler::{
    Profile, ResourceWeight, SchedulerConfiguration, ScoringStrategy,
};
use sim_core::time::SimDuration;
use sim_scenarios::ScenarioError;

/// A scenario whose `cluster.scheduler` is `config` (indented under it).
fn scenario(config: &str) -> String {
    let mut text = String::from("name: sched\ncluster:\n  scheduler:\n");
    for line in config.lines() {
        text.push_str("    ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

fn parse(config: &str) -> Result<SchedulerConfiguration, ScenarioError> {
    sim_scenarios::scenario::parse(&scenario(config), Path::new("s.yaml"))
        .map(|s| s.cluster.scheduler)
}

fn err(config: &str) -> String {
    match parse(config) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

fn scores(p: &Profile) -> Vec<(&str, i64)> {
    p.scores.iter().map(|(n, w)| (n.as_str(), *w)).collect()
}

const HEAD: &str = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

#[test]
fn minimal_document_is_the_default_configuration() {
    let c = parse(HEAD).unwrap();
    assert_eq!(c, SchedulerConfiguration::default());
}

#[test]
fn two_profiles_default_and_bin_packing() {
    let text = format!(
        "{HEAD}percentageOfNodesToScore: 50
podInitialBackoffSeconds: 2
podMaxBackoffSeconds: 20
parallelism: 8
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  percentageOfNodesToScore: 100
  plugins:
    score:
      enabled:
      - name: NodeResourcesFit
        weight: 5
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources:
        - name: cpu
          weight: 2
        - name: memory
"
    );
    let s = sim_scenarios::scenario::parse(&scenario(&text), Path::new("s.yaml")).unwrap();
    let c = &s.cluster.scheduler;
    assert_eq!(c.percentage_of_nodes_to_score, 50);
    assert_eq!(c.pod_initial_backoff_seconds, 2);
    assert_eq!(c.pod_max_backoff_seconds, 20);
    assert_eq!(
        s.cluster.timings.pod_initial_backoff,
        SimDuration::from_secs(2)
    );
    assert_eq!(
        s.cluster.timings.pod_max_backoff,
        SimDuration::from_secs(20)
    );
    assert_eq!(c.profiles.len(), 2);
    assert_eq!(c.profiles[0], Profile::default_named("default-scheduler"));

    let b = &c.profiles[1];
    assert_eq!(b.scheduler_name, "bin-packing");
    assert_eq!(b.percentage_of_nodes_to_score, Some(100));
    assert_eq!(b.args.fit_strategy, ScoringStrategy::MostAllocated);
    assert_eq!(
        b.args.fit_resources,
        [
            ResourceWeight::new("cpu", 2),
            ResourceWeight::new("memory", 1)
        ]
    );
    // Explicitly enabled at score and also in MultiPoint: it comes first,
    // with the explicit weight; the other MultiPoint score plugins follow.
    assert_eq!(
        scores(b),
        [
            ("NodeResourcesFit", 5),
            ("TaintToleration", 3),
            ("NodeAffinity", 2),
            ("VolumeBinding", 1),
            ("PodTopologySpread", 2),
            ("InterPodAffinity", 2),
            ("NodeResourcesBalancedAllocation", 1),
            ("ImageLocality", 1),
        ]
    );
    assert_eq!(b.filters, c.profiles[0].filters);
    assert_eq!(b.post_filters, ["DefaultPreemption"]);
}

#[test]
fn disable_all_scores_then_enable_only_fit() {
    let c = parse(&format!(
        "{HEAD}profiles:
- plugins:
    score:
      disabled:
      - name: '*'
      enabled:
      - name: NodeResourcesFit
"
    ))
    .unwrap();
    let p = &c.profiles[0];
    assert_eq!(p.scheduler_name, "default-scheduler");
    assert_eq!(scores(p), [("NodeResourcesFit", 1)]);
    // Other points keep the default plugins.
    assert_eq!(p.filters, Profile::default_named("x").filters);
}

#[test]
fn relisting_a_default_plugin_in_multipoint_without_weight_gives_weight_1() {
    let c = parse(&format!(
        "{HEAD}profiles:
- schedulerName: default-scheduler
  plugins:
    multiPoint:
      enabled:
      - name: TaintToleration
"
    ))
    .unwrap();
    let s = scores(&c.profiles[0]);
    assert_eq!(s[0], ("TaintToleration", 1), "{s:?}");
    assert_eq!(s[1], ("NodeAffinity", 2));
    // Still in its default place among the filters.
    assert_eq!(c.profiles[0].filters, Profile::default_named("x").filters);
}

#[test]
fn disabling_in_multipoint_removes_the_plugin_everywhere() {
    let c = parse(&format!(
        "{HEAD}profiles:
- plugins:
    multiPoint:
      disabled:
      - name: PodTopologySpread
      - name: ImageLocality
"
    ))
    .unwrap();
    let p = &c.profiles[0];
    assert!(!p.filters.contains(&"PodTopologySpread".to_owned()));
    assert!(!scores(p)
        .iter()
        .any(|(n, _)| *n == "ImageLocality" || *n == "PodTopologySpread"));
}

#[test]
fn plugin_args_are_read() {
    let c = parse(&format!(
        "{HEAD}profiles:
- pluginConfig:
  - name: InterPodAffinity
    args:
      hardPodAffinityWeight: 7
      ignorePreferredTermsOfExistingPods: true
  - name: PodTopologySpread
    args:
      defaultingType: List
      defaultConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: DoNotSchedule
  - name: DefaultPreemption
    args:
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: DefaultPreemptionArgs
      minCandidateNodesPercentage: 0
      minCandidateNodesAbsolute: 3
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: RequestedToCapacityRatio
        requestedToCapacityRatio:
          shape:
          - utilization: 0
            score: 0
          - utilization: 100
            score: 10
"
    ))
    .unwrap();
    let a = &c.profiles[0].args;
    assert_eq!(a.hard_pod_affinity_weight, 7);
    assert!(a.ignore_preferred_terms_of_existing_pods);
    assert!(!a.spread_system_defaulting);
    assert_eq!(a.spread_default_constraints.len(), 1);
    assert!(a.spread_default_constraints[0].do_not_schedule);
    assert_eq!(a.min_candidate_nodes_percentage, 0);
    assert_eq!(a.min_candidate_nodes_absolute, 3);
    assert_eq!(
        a.fit_strategy,
        ScoringStrategy::RequestedToCapacityRatio(vec![(0, 0), (100, 10)])
    );
}

#[test]
fn unknown_plugin_is_the_framework_error() {
    let e = err(&format!(
        "{HEAD}profiles:
- plugins:
    multiPoint:
      enabled:
      - name: Foo
"
    ));
    assert!(
        e.contains("cluster.scheduler.profiles[0].plugins.multiPoint.enabled[0].name"),
        "{e}"
    );
    assert!(
        e.contains("initializing profiles: creating profile for scheduler name default-scheduler: PreFilterPlugin \"Foo\" does not exist"),
        "{e}"
    );
    // The line of the entry (line 1 is `name: sched`).
    assert!(e.starts_with("s.yaml:10:"), "{e}");

    let e = err(&format!(
        "{HEAD}profiles:
- plugins:
    score:
      enabled:
      - name: NodeResourcesFitt
"
    ));
    assert!(
        e.contains("profiles[0].plugins.score.enabled[0].name"),
        "{e}"
    );
    assert!(
        e.contains("ScorePlugin \"NodeResourcesFitt\" does not exist"),
        "{e}"
    );

    let e = err(&format!(
        "{HEAD}profiles:
- plugins:
    filter:
      enabled:
      - name: ImageLocality
"
    ));
    assert!(
        e.contains("plugin \"ImageLocality\" does not extend FilterPlugin plugin"),
        "{e}"
    );
}

#[test]
fn percentage_out_of_range() {
    let e = err(&format!("{HEAD}percentageOfNodesToScore: 120\n"));
    assert!(
        e.contains("cluster.scheduler.percentageOfNodesToScore"),
        "{e}"
    );
    assert!(
        e.contains("percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100]"),
        "{e}"
    );
    let e = err(&format!(
        "{HEAD}profiles:\n- schedulerName: a\n  percentageOfNodesToScore: -1\n"
    ));
    assert!(
        e.contains("profiles[0].percentageOfNodesToScore: Invalid value: -1"),
        "{e}"
    );
}

#[test]
fn duplicate_scheduler_name() {
    let e = err(&format!(
        "{HEAD}profiles:\n- schedulerName: a\n- schedulerName: a\n"
    ));
    assert!(
        e.contains("profiles[1].schedulerName: Duplicate value: \"profiles[0].schedulerName\""),
        "{e}"
    );
    // Two profiles: names are not defaulted.
    let e = err(&format!("{HEAD}profiles:\n- schedulerName: a\n- {{}}\n"));
    assert!(
        e.contains("profiles[1].schedulerName: Required value"),
        "{e}"
    );
}

#[test]
fn unsorted_shape() {
    let e = err(&format!(
        "{HEAD}profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: RequestedToCapacityRatio
        requestedToCapacityRatio:
          shape:
          - utilization: 50
            score: 5
          - utilization: 10
            score: 10
"
    ));
    assert!(
        e.contains(
            "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 10"
        ),
        "{e}"
    );
    assert!(e.contains("sorted in increasing order"), "{e}");
}

#[test]
fn fit_strategy_errors_come_from_building_the_plugin() {
    let e = err(&format!(
        "{HEAD}profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: Packed
"
    ));
    assert!(
        e.contains("initializing plugin \"NodeResourcesFit\": scoringStrategy.type: Unsupported value: \"Packed\""),
        "{e}"
    );
    assert!(
        e.contains("pluginConfig[0].args.scoringStrategy.type"),
        "{e}"
    );
    let e = err(&format!(
        "{HEAD}profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: RequestedToCapacityRatio
"
    ));
    assert!(
        e.contains("scoringStrategy.requestedToCapacityRatio: Required value: must be specified when type is RequestedToCapacityRatio"),
        "{e}"
    );
}

#[test]
fn wrong_api_version_or_kind() {
    let e =
        err("apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n");
    assert!(e.contains("cluster.scheduler.apiVersion"), "{e}");
    assert!(e.contains("kubescheduler.config.k8s.io/v1beta3"), "{e}");
    assert!(e.contains("expected kubescheduler.config.k8s.io/v1"), "{e}");
    let e = err("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeProxyConfiguration\n");
    assert!(e.contains("cluster.scheduler.kind"), "{e}");
    let e = err("kind: KubeSchedulerConfiguration\n");
    assert!(e.contains("apiVersion: Required value"), "{e}");
}

#[test]
fn unknown_fields_are_refused_with_their_path() {
    let e = err(&format!(
        "{HEAD}profiles:\n- schedulerName: a\n  plugin: {{}}\n"
    ));
    assert!(e.contains("cluster.scheduler.profiles[0]"), "{e}");
    assert!(e.contains("unknown field `plugin`"), "{e}");
    assert!(e.contains("did you mean `plugins`?"), "{e}");

    let e = err(&format!(
        "{HEAD}profiles:
- plugins:
    score:
      enabled:
      - name: NodeResourcesFit
        wieght: 2
"
    ));
    assert!(
        e.contains(
            "cluster.scheduler.profiles[0].plugins.score.enabled[0]: unknown field `wieght`"
        ),
        "{e}"
    );

    // A field of another plugin's args.
    let e = err(&format!(
        "{HEAD}profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      hardPodAffinityWeight: 2
"
    ));
    assert!(
        e.contains("cluster.scheduler.profiles[0].pluginConfig[0].args.hardPodAffinityWeight"),
        "{e}"
    );
    assert!(e.contains("unknown field \"hardPodAffinityWeight\""), "{e}");
}

#[test]
fn other_validation_errors_are_all_listed() {
    let e = err(&format!(
        "{HEAD}parallelism: 0
podInitialBackoffSeconds: 20
profiles:
- schedulerName: a
  pluginConfig:
  - name: InterPodAffinity
    args:
      hardPodAffinityWeight: 101
  - name: InterPodAffinity
  - name: PodTopologySpread
    args:
      defaultConstraints:
      - maxSkew: 1
        topologyKey: zone
        whenUnsatisfiable: Never
- schedulerName: b
  plugins:
    queueSort:
      disabled:
      - name: '*'
"
    ));
    for want in [
        "parallelism: Invalid value: 0: should be an integer value greater than zero",
        "podMaxBackoffSeconds: Invalid value: 10: must be greater than or equal to PodInitialBackoffSeconds",
        "profiles[0].pluginConfig[1]: Duplicate value: \"InterPodAffinity\"",
        "profiles[0].pluginConfig[0].args.hardPodAffinityWeight: Invalid value: 101",
        "profiles[0].pluginConfig[2].args.defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty",
        "profiles[0].pluginConfig[2].args.defaultConstraints[0].whenUnsatisfiable: Unsupported value: \"Never\"",
        "profiles[1].plugins.queueSort: Invalid value",
    ] {
        assert!(e.contains(want), "missing {want:?} in {e}");
    }
    assert!(e.contains("errors)"), "{e}");
}

#[test]
fn not_simulated_fields_are_refused() {
    let e = err(&format!("{HEAD}extenders:\n- urlPrefix: http://x\n"));
    assert!(
        e.contains("extenders: extenders is not simulated by kubesim"),
        "{e}"
    );
    // Fields kube-scheduler reads but that do not change placement are accepted.
    parse(&format!(
        "{HEAD}leaderElection:\n  leaderElect: false\nclientConnection:\n  kubeconfig: /etc/kubernetes/scheduler.conf\n"
    ))
    .unwrap();
}

#[test]
fn queue_sort_and_bind_are_required() {
    let e = err(&format!(
        "{HEAD}profiles:
- plugins:
    bind:
      disabled:
      - name: DefaultBinder
"
    ));
    assert!(
        e.contains("at least one bind plugin is needed for profile with scheduler name \"default-scheduler\""),
        "{e}"
    );
}

#[test]
fn config_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sched.yaml");
    std::fs::write(
        &cfg,
        format!(
            "{HEAD}profiles:\n- schedulerName: default-scheduler\n  percentageOfNodesToScore: 30\n"
        ),
    )
    .unwrap();
    let scenario_path = dir.path().join("s.yaml");
    let text = "name: sched\ncluster:\n  scheduler: sched.yaml\n";
    let s = sim_scenarios::scenario::parse(text, &scenario_path).unwrap();
    assert_eq!(
        s.cluster.scheduler.profiles[0].percentage_of_nodes_to_score,
        Some(30)
    );

    // Errors point into the file, with its line.
    std::fs::write(
        &cfg,
        format!("{HEAD}profiles:\n- schedulerName: default-scheduler\n  percentageOfNodesToScore: 300\n"),
    )
    .unwrap();
    let e = sim_scenarios::scenario::parse(text, &scenario_path)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sched.yaml:5: profiles[0].percentageOfNodesToScore"),
        "{e}"
    );
    assert!(e.contains("named by cluster.scheduler in"), "{e}");

    std::fs::write(&cfg, format!("{HEAD}profiles:\n- schedulerNam: x\n")).unwrap();
    let e = sim_scenarios::scenario::parse(text, &scenario_path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("sched.yaml:4"), "{e}");
    assert!(e.contains("unknown field `schedulerNam`"), "{e}");

    let e = sim_scenarios::scenario::parse(
        "name: sched\ncluster:\n  scheduler: missing.yaml\n",
        &scenario_path,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cluster.scheduler"), "{e}");
    assert!(e.contains("no such file"), "{e}");
}

#[test]
fn fixture_file_and_doc_example() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/scheduler/bin-packing-scenario.yaml");
    let s = sim_scenarios::load(&path).unwrap();
    let c = &s.cluster.scheduler;
    let names: Vec<&str> = c
        .profiles
        .iter()
        .map(|p| p.scheduler_name.as_str())
        .collect();
    assert_eq!(names, ["default-scheduler", "bin-packing"]);
    let b = c.profile("bin-packing").unwrap();
    assert_eq!(b.args.fit_strategy, ScoringStrategy::MostAllocated);
    assert_eq!(scores(b)[0], ("NodeResourcesFit", 5));

    // The example of docs/scenario-format.md 4.5, inline.
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario-format.md"),
    )
    .unwrap();
    let start = doc.find("### 4.5 `cluster.scheduler`").unwrap();
    let block = doc[start..].split("```yaml\n").nth(1).unwrap();
    let block = block.split("```").next().unwrap();
    let text = format!("name: doc\n{block}");
    let d = sim_scenarios::scenario::parse(&text, Path::new("doc.yaml")).unwrap();
    assert_eq!(&d.cluster.scheduler, c);
}
