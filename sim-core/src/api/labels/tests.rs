//! Tests of the labels module, against values and messages of the Go code.

use super::*;

#[test]
fn label_keys_merge_the_owning_pods_values() {
    let own: BTreeMap<String, String> = [
        ("app".to_owned(), "web".to_owned()),
        ("pod-template-hash".to_owned(), "abc".to_owned()),
    ]
    .into();
    let base = Selector::parse("app=web").unwrap();
    let s = base.with_label_keys(
        &own,
        &["pod-template-hash".to_owned(), "missing".to_owned()],
        &["app".to_owned()],
    );
    assert_eq!(
        s.to_string(),
        "app=web,app notin (web),pod-template-hash in (abc)"
    );
    let same_rollout: BTreeMap<String, String> = [
        ("app".to_owned(), "db".to_owned()),
        ("pod-template-hash".to_owned(), "abc".to_owned()),
    ]
    .into();
    assert!(!s.matches(&own));
    assert!(!s.matches(&same_rollout), "app=web still required");
    let only_match = base.with_label_keys(&own, &["pod-template-hash".to_owned()], &[]);
    assert!(only_match.matches(&own));
    assert!(Selector::nothing()
        .with_label_keys(&own, &["app".to_owned()], &[])
        .matches_nothing());
}
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
use proptest::prelude::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sel(s: &str) -> Selector {
    match Selector::parse(s) {
        Ok(v) => v,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

fn err(s: &str) -> String {
    match Selector::parse(s) {
        Ok(v) => panic!("{s:?} should be rejected, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn good_strings_restring_without_spaces() {
    // selector_test.go TestSelectorParse.
    for s in [
        "x=a,y=b,z=c",
        "",
        "x!=a,y=b",
        "x=",
        "x= ",
        "x=,z= ",
        "x= ,z= ",
        "!x",
        "x>1",
        "x>1,z<5",
    ] {
        assert_eq!(sel(s).to_string(), s.replace(' ', ""), "restring of {s:?}");
    }
    assert_eq!(sel("x=a,a=x").to_string(), sel("a=x,x=a").to_string());
}

#[test]
fn parse_table() {
    // (input, canonical string) from TestSetSelectorParser and more.
    let cases: &[(&str, &str)] = &[
        ("", ""),
        ("   ", ""),
        ("\rx", "x"),
        (
            "this-is-a-dns.domain.com/key-with-dash",
            "this-is-a-dns.domain.com/key-with-dash",
        ),
        (
            "this-is-another-dns.domain.com/key-with-dash in (so,what)",
            "this-is-another-dns.domain.com/key-with-dash in (so,what)",
        ),
        (
            "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
            "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)",
        ),
        ("foo  in\t (abc)", "foo in (abc)"),
        ("x notin\n (abc)", "x notin (abc)"),
        ("x  notin\t\t(abc,def)", "x notin (abc,def)"),
        ("x in (def,abc)", "x in (abc,def)"),
        ("x in (abc,)", "x in (,abc)"),
        ("x in ()", "x in ()"),
        (
            "x notin (abc,,def),bar,z in (),w",
            "bar,w,x notin (,abc,def),z in ()",
        ),
        ("x,y in (a)", "x,y in (a)"),
        ("x=a", "x=a"),
        ("x==a", "x==a"),
        ("x>1", "x>1"),
        ("x<7", "x<7"),
        ("a==", "a=="),
        ("x=a,y!=b", "x=a,y!=b"),
        ("x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"),
        ("x notin ( )", "x notin ()"),
        ("x notin (, a)", "x notin (,a)"),
        ("a ", "a"),
        ("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"),
        ("a in (b,b,a)", "a in (a,b)"),
        ("notin=in", "notin=in"),
        ("in", "in"),
        ("!in", "!in"),
        ("app = web , tier != db", "app=web,tier!=db"),
    ];
    for (input, want) in cases {
        assert_eq!(sel(input).to_string(), *want, "parsing {input:?}");
    }
}

#[test]
fn parse_structure() {
    let s = sel("x notin (abc,,def),bar,z in (),w");
    let keys: Vec<&str> = s.requirements().iter().map(Requirement::key).collect();
    assert_eq!(keys, ["bar", "w", "x", "z"]);
    let x = &s.requirements()[2];
    assert_eq!(x.operator(), Operator::NotIn);
    assert_eq!(x.values(), ["", "abc", "def"]);
    assert_eq!(
        sel("!a").requirements()[0].operator(),
        Operator::DoesNotExist
    );
    assert_eq!(sel("a").requirements()[0].operator(), Operator::Exists);
    assert_eq!(
        sel("a>1").requirements()[0].operator(),
        Operator::GreaterThan
    );
    assert!(sel("").is_everything());
    assert!(!sel("a").is_everything());
}

#[test]
fn bad_strings() {
    for s in [
        "x=a||y=b",
        "x==a==b",
        "!x=a",
        "x<a",
        "x>",
        "x>1.5",
        "x,,y",
        ",x,y",
        "x nott in (y)",
        "a in (xyz),",
        "a in (xyz)b notin ()",
        "a in (xyz abc)",
        "a notin(",
        "a (",
        "(",
        ")",
        "!",
        "a in",
        "a in (",
        "a in (b",
        "a in b",
        "a=(b)",
        "-a",
        "a/b/c",
        "a=-b",
        "a b",
        "a=b c",
        "x=a,",
        "a!",
        "a in (b,c",
        "a=!b",
        "a=b=",
        "x>-1",
    ] {
        assert!(Selector::parse(s).is_err(), "{s:?} should be rejected");
    }
}

#[test]
fn error_messages() {
    assert_eq!(
        err(",x"),
        "found ',', expected: !, identifier, or 'end of string'"
    );
    assert_eq!(err("x,,y"), "found ',', expected: identifier after ','");
    assert_eq!(err("x=a,"), "found '', expected: identifier after ','");
    assert_eq!(err("!a b"), "found 'b', expected: ',' or 'end of string'");
    assert_eq!(
        err("a b"),
        "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
    );
    assert_eq!(
        err("x nott in (y)"),
        "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"
    );
    assert_eq!(
        err("x==a==b"),
        "found '==', expected: ',' or 'end of string'"
    );
    assert_eq!(err("!x=a"), "found '=', expected: ',' or 'end of string'");
    assert_eq!(
        err("a in b"),
        "unable to parse requirement: found 'b' expected: '('"
    );
    assert_eq!(
        err("a in (xyz abc)"),
        "unable to parse requirement: found 'abc', expected: ',' or ')'"
    );
    assert_eq!(
        err("a notin("),
        "unable to parse requirement: found '', expected: ',', ')' or identifier"
    );
    assert_eq!(
        err("a in (b,="),
        "unable to parse requirement: found '=', expected: ',', or identifier"
    );
    assert_eq!(
        err("!"),
        "unable to parse requirement: found '', expected: identifier"
    );
    assert_eq!(
        err("x<a"),
        "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"
    );
    assert_eq!(
        err("-a"),
        "unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    );
    assert_eq!(
        err("app=-b"),
        "unable to parse requirement: values[0][app]: Invalid value: \"-b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    );
    assert_eq!(
        err("x>-b"),
        "unable to parse requirement: [values[0]: Invalid value: \"-b\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][x]: Invalid value: \"-b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]"
    );
}

#[test]
fn nul_byte_behaves_as_in_go() {
    // Go's lexer reads a NUL byte as "end of input" for the token at hand.
    assert!(sel("\u{0}b").is_everything());
    assert!(Selector::parse("a\u{0}b").is_err());
}

#[test]
fn matching_table() {
    // selector_test.go TestSelectorMatches and TestRequirementSelectorMatching.
    let yes: &[(&str, &[(&str, &str)])] = &[
        ("", &[("x", "y")]),
        ("x=y", &[("x", "y")]),
        ("x==y", &[("x", "y")]),
        ("x=y,z=w", &[("x", "y"), ("z", "w")]),
        ("x!=y,z!=w", &[("x", "z"), ("z", "a")]),
        ("notin=in", &[("notin", "in")]),
        ("x", &[("x", "z")]),
        ("!x", &[("y", "z")]),
        ("x>1", &[("x", "2")]),
        ("x<1", &[("x", "0")]),
        ("x<1", &[("x", "-5")]),
        ("x!=y", &[]),
        ("x notin (a)", &[]),
        ("x in (foo),y notin (alpha)", &[("x", "foo"), ("y", "baz")]),
        ("x notin (),y", &[("y", "")]),
        ("!x,y", &[("y", "")]),
        ("x=", &[("x", "")]),
        ("x in (a,b)", &[("x", "b")]),
        ("foo=bar,baz=blah", &[("foo", "bar"), ("baz", "blah")]),
    ];
    for (s, ls) in yes {
        assert!(sel(s).matches(&labels(ls)), "{s:?} should match {ls:?}");
    }
    let no: &[(&str, &[(&str, &str)])] = &[
        ("x=z", &[]),
        ("x=y", &[("x", "z")]),
        ("x=y,z=w", &[("x", "w"), ("z", "w")]),
        ("x!=y,z!=w", &[("x", "z"), ("z", "w")]),
        ("x", &[("y", "z")]),
        ("!x", &[("x", "z")]),
        ("x>1", &[("x", "0")]),
        ("x>1", &[("x", "1")]),
        ("x<1", &[("x", "2")]),
        ("x>1", &[("x", "v2")]),
        ("x>1", &[]),
        ("x in (foo),y in (alpha)", &[("x", "foo"), ("y", "baz")]),
        ("x notin (),!y", &[("y", "")]),
        ("x in ()", &[("y", "baz")]),
        ("x=", &[]),
        (
            "foo=bar,foobar=bar,baz=blah",
            &[("foo", "bar"), ("baz", "blah")],
        ),
    ];
    for (s, ls) in no {
        assert!(
            !sel(s).matches(&labels(ls)),
            "{s:?} should not match {ls:?}"
        );
    }
    assert!(sel("!x").matches_opt(None));
    assert!(!sel("x").matches_opt(None));
    assert!(Selector::everything().matches_opt(None));
    assert!(!Selector::nothing().matches_opt(None));
    assert!(!Selector::nothing().matches(&labels(&[("x", "y")])));
}

#[test]
fn from_label_selector_cases() {
    let ls =
        |ml: Option<&[(&str, &str)]>, exprs: Option<Vec<LabelSelectorRequirement>>| LabelSelector {
            match_labels: ml.map(labels),
            match_expressions: exprs,
        };
    let expr = |key: &str, op: &str, values: Option<&[&str]>| LabelSelectorRequirement {
        key: key.to_string(),
        operator: op.to_string(),
        values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
    };

    let empty = Selector::from_label_selector(&ls(None, None));
    assert_eq!(empty, Ok(Selector::everything()));
    let empty = Selector::from_label_selector(&ls(Some(&[]), Some(vec![])));
    assert!(empty.is_ok_and(|s| s.is_everything()));
    assert!(Selector::from_label_selector_opt(None).is_ok_and(|s| s.matches_nothing()));

    let s = Selector::from_label_selector(&ls(
        Some(&[("tier", "web"), ("app", "shop")]),
        Some(vec![
            expr("env", "In", Some(&["prod", "staging"])),
            expr("track", "NotIn", Some(&["canary"])),
            expr("owner", "Exists", None),
            expr("legacy", "DoesNotExist", Some(&[])),
        ]),
    ));
    let s = match s {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        s.to_string(),
        "app=shop,env in (prod,staging),!legacy,owner,tier=web,track notin (canary)"
    );
    let pod = labels(&[
        ("app", "shop"),
        ("tier", "web"),
        ("env", "prod"),
        ("owner", "me"),
    ]);
    assert!(s.matches(&pod));
    let mut canary = pod.clone();
    canary.insert("track".into(), "canary".into());
    assert!(!s.matches(&canary));
    let mut legacy = pod.clone();
    legacy.insert("legacy".into(), "true".into());
    assert!(!s.matches(&legacy));
    assert_eq!(s.requires_exact_match("app"), Some("shop"));
    assert_eq!(s.requires_exact_match("env"), None);
    assert_eq!(s.requires_exact_match("missing"), None);

    let bad_op = Selector::from_label_selector(&ls(None, Some(vec![expr("a", "Equals", None)])));
    assert_eq!(
        bad_op.map_err(|e| e.to_string()),
        Err("\"Equals\" is not a valid label selector operator (expected one of In, NotIn, Exists, DoesNotExist)".to_string())
    );
    let no_values = Selector::from_label_selector(&ls(None, Some(vec![expr("a", "In", None)])));
    assert_eq!(
        no_values.map_err(|e| e.to_string()),
        Err("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty".to_string())
    );
    let no_values =
        Selector::from_label_selector(&ls(None, Some(vec![expr("a", "NotIn", Some(&[]))])));
    assert!(no_values.is_err());
    let with_values = Selector::from_label_selector(&ls(
        None,
        Some(vec![expr("a", "Exists", Some(&["x", "y"]))]),
    ));
    assert_eq!(
        with_values.map_err(|e| e.to_string()),
        Err("values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and does not exist".to_string())
    );
    let bad_key = Selector::from_label_selector(&ls(Some(&[("-a", "b")]), None));
    assert!(bad_key.is_err_and(|e| e
        .to_string()
        .starts_with("key: Invalid value: \"-a\": name part")));
    let bad_value = Selector::from_label_selector(&ls(Some(&[("a", "b c")]), None));
    assert!(bad_value.is_err_and(|e| e
        .to_string()
        .starts_with("values[0][a]: Invalid value: \"b c\"")));
}

#[test]
fn from_map_and_requirement_display() {
    let s = Selector::from_map(&labels(&[("b", "2"), ("a", "1")]));
    assert_eq!(s.map(|s| s.to_string()), Ok("a=1,b=2".to_string()));
    assert_eq!(
        Selector::from_map(&BTreeMap::new()),
        Ok(Selector::everything())
    );
    let r = Requirement::new("x", Operator::In, vec!["def".into(), "abc".into()]);
    assert_eq!(r.map(|r| r.to_string()), Ok("x in (abc,def)".to_string()));
    let r = Requirement::new("x", Operator::Equals, vec!["a".into(), "b".into()]);
    assert_eq!(
        r.map_err(|e| e.to_string()),
        Err("values: Invalid value: []string{\"a\", \"b\"}: exact-match compatibility requires one single value".to_string())
    );
    assert_eq!(Selector::nothing().to_string(), "");
    assert_eq!(Operator::GreaterThan.as_str(), "gt");
}

proptest! {
    #[test]
    fn parse_never_panics(s in any::<String>()) {
        if let Ok(v) = Selector::parse(&s) {
            let _ = v.matches(&BTreeMap::new());
            let _ = v.to_string();
        }
    }

    #[test]
    fn selector_like_strings_never_panic(s in "[a-z!=<>(), \t0-9-]{0,30}") {
        if let Ok(v) = Selector::parse(&s) {
            // The canonical form parses back to the same selector string.
            let printed = v.to_string();
            let reparsed = Selector::parse(&printed).map(|r| r.to_string());
            prop_assert_eq!(reparsed, Ok(printed));
        }
    }
}
