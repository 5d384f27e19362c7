//! Tests of the shell grammar: the course's command lines, quoting,
//! expansion, redirections, dash's syntax errors, and that no line makes the
//! parser panic or run away.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// The fields of every word of the first command, expanded.
fn argv(line: &str, vars: &[(&str, &str)]) -> Vec<String> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let script = parse(line).unwrap();
    script.chains[0].first.commands[0]
        .words
        .iter()
        .flat_map(|w| expand(w, &vars, 0))
        .collect()
}

#[test]
fn the_course_lines_parse() {
    let s = parse("rm -rf webapps && mv webapps.dist webapps").unwrap();
    assert_eq!(s.chains.len(), 1);
    assert_eq!(s.chains[0].rest.len(), 1);
    assert_eq!(s.chains[0].rest[0].0, Connector::And);
    let s = parse("echo '<h1>hello nfs</h1>' > /usr/share/nginx/html/index.html").unwrap();
    let cmd = &s.chains[0].first.commands[0];
    assert_eq!(cmd.words.len(), 2);
    assert_eq!(cmd.redirections.len(), 1);
    assert_eq!(cmd.redirections[0].fd, 1);
    assert!(matches!(cmd.redirections[0].op, RedirectOp::Write(_)));
    let s = parse("cat /etc/os-release | grep NAME; ls -l /data").unwrap();
    assert_eq!(s.chains.len(), 2);
    assert_eq!(s.chains[0].first.commands.len(), 2);
}

#[test]
fn quoting_and_expansion() {
    let vars = [("HOME", "/root"), ("WORDS", "a  b c"), ("EMPTY", "")];
    assert_eq!(argv("echo $HOME", &vars), ["echo", "/root"]);
    assert_eq!(argv("echo \"$HOME/x\"", &vars), ["echo", "/root/x"]);
    assert_eq!(argv("echo '$HOME'", &vars), ["echo", "$HOME"]);
    assert_eq!(argv("echo ${HOME}dir", &vars), ["echo", "/rootdir"]);
    assert_eq!(argv("echo $WORDS", &vars), ["echo", "a", "b", "c"]);
    assert_eq!(argv("echo \"$WORDS\"", &vars), ["echo", "a  b c"]);
    assert_eq!(argv("echo x$WORDS", &vars), ["echo", "xa", "b", "c"]);
    assert_eq!(argv("echo $EMPTY end", &vars), ["echo", "end"]);
    assert_eq!(argv("echo \"$EMPTY\" end", &vars), ["echo", "", "end"]);
    assert_eq!(argv("echo '' \"\"", &vars), ["echo", "", ""]);
    assert_eq!(argv("echo a\\ b c\\$d", &vars), ["echo", "a b", "c$d"]);
    assert_eq!(
        argv("echo \"a \\\"q\\\" \\$x\"", &vars),
        ["echo", "a \"q\" $x"]
    );
    assert_eq!(argv("echo $ 5$", &vars), ["echo", "$", "5$"]);
    assert_eq!(argv("echo $UNSET-x", &vars), ["echo", "-x"]);
    assert_eq!(
        argv("echo it's# not a comment'", &vars),
        ["echo", "its# not a comment"]
    );
    assert_eq!(argv("echo a # a comment", &vars), ["echo", "a"]);
    let s = parse("false; echo $?").unwrap();
    let w = &s.chains[1].first.commands[0].words[1];
    assert_eq!(expand(w, &BTreeMap::new(), 1), ["1"]);
}

#[test]
fn assignments_redirections_and_pipelines() {
    let s = parse("A=1 B=\"x y\" env 2>&1 >>log <in").unwrap();
    let cmd = &s.chains[0].first.commands[0];
    assert_eq!(cmd.assignments.len(), 2);
    assert_eq!(cmd.assignments[1].0, "B");
    assert_eq!(expand(&cmd.assignments[1].1, &BTreeMap::new(), 0), ["x y"]);
    assert_eq!(cmd.words.len(), 1);
    let fds: Vec<(u32, &str)> = cmd
        .redirections
        .iter()
        .map(|r| {
            let kind = match r.op {
                RedirectOp::Read(_) => "<",
                RedirectOp::Write(_) => ">",
                RedirectOp::Append(_) => ">>",
                RedirectOp::Duplicate(_) => ">&",
            };
            (r.fd, kind)
        })
        .collect();
    assert_eq!(fds, [(2, ">&"), (1, ">>"), (0, "<")]);
    // An assignment after the command name is an argument.
    let s = parse("env A=1").unwrap();
    assert_eq!(s.chains[0].first.commands[0].words.len(), 2);
    let s = parse("! grep x f || echo none | wc -l &").unwrap();
    assert!(s.chains[0].first.negated);
    assert_eq!(s.chains[0].rest[0].0, Connector::Or);
    assert_eq!(s.chains[0].rest[0].1.commands.len(), 2);
    // Blank lines and a trailing separator.
    assert_eq!(parse("").unwrap(), Script::default());
    assert_eq!(parse("  # nothing").unwrap(), Script::default());
    assert_eq!(parse("ls;").unwrap().chains.len(), 1);
    assert_eq!(parse("ls\n\npwd\n").unwrap().chains.len(), 2);
    assert_eq!(parse("ls &&\npwd").unwrap().chains[0].rest.len(), 1);
}

#[test]
fn syntax_errors_as_dash_words_them() {
    let err = |line: &str| parse(line).unwrap_err().to_string();
    assert_eq!(
        err("echo 'open"),
        "Syntax error: Unterminated quoted string"
    );
    assert_eq!(
        err("echo \"open"),
        "Syntax error: Unterminated quoted string"
    );
    assert_eq!(err("| ls"), "Syntax error: \"|\" unexpected");
    assert_eq!(err("ls | | wc"), "Syntax error: \"|\" unexpected");
    assert_eq!(err("; ls"), "Syntax error: \";\" unexpected");
    assert_eq!(err("ls ; ; pwd"), "Syntax error: \";\" unexpected");
    assert_eq!(err("ls ;; pwd"), "Syntax error: \";;\" unexpected");
    assert_eq!(err("&& ls"), "Syntax error: \"&&\" unexpected");
    assert_eq!(err("ls &&"), "Syntax error: end of file unexpected");
    assert_eq!(err("ls |"), "Syntax error: end of file unexpected");
    assert_eq!(err("echo >"), "Syntax error: newline unexpected");
    assert_eq!(err("echo > | x"), "Syntax error: \"|\" unexpected");
    assert_eq!(err("echo ${A"), "Syntax error: Bad substitution");
    assert_eq!(err("echo ${1a}"), "Syntax error: Bad substitution");
    assert!(matches!(
        parse(&"x".repeat(MAX_LINE_BYTES + 1)),
        Err(SyntaxError::TooLong)
    ));
    assert!(matches!(
        parse(&"ls;".repeat(MAX_COMMANDS + 1)),
        Err(SyntaxError::TooLong)
    ));
}

proptest! {
    /// Any line, of the characters the grammar cares about, parses or is
    /// refused: never a panic; and what parses expands without one.
    #[test]
    fn no_line_makes_the_parser_panic(line in "[ a-c$'\"\\\\;&|<>!{}?#=0-9\\n]{0,60}") {
        if let Ok(script) = parse(&line) {
            let vars = BTreeMap::from([("a".to_owned(), "x y".to_owned())]);
            for chain in &script.chains {
                for p in std::iter::once(&chain.first).chain(chain.rest.iter().map(|(_, p)| p)) {
                    prop_assert!(!p.commands.is_empty());
                    for c in &p.commands {
                        for w in &c.words {
                            let _ = expand(w, &vars, 0);
                        }
                    }
                }
            }
        }
    }
}
