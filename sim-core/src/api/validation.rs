//! Name and label validation, worded exactly as the Kubernetes API server
//! words it.
//!
//! Follows `k8s.io/apimachinery/pkg/util/validation/validation.go` (v0.33):
//! every function returns the list of error messages the Go function of the
//! same name returns (empty when the value is valid), so that users can
//! compare them with real `kubectl` output. The regular expressions of the Go
//! source are implemented here as small hand-written matchers; the messages
//! quote the Go regular-expression text verbatim.

/// Go `qnameCharFmt + qnameExtCharFmt` composition (`qualifiedNameFmt`).
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
/// Maximum length of the name part of a qualified name (Go `qualifiedNameMaxLength`).
pub const QUALIFIED_NAME_MAX_LENGTH: usize = 63;

/// Go `labelValueFmt`.
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
/// Maximum length of a label value (Go `LabelValueMaxLength`).
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;

/// Go `dns1123LabelFmt`.
const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
/// Maximum length of an RFC 1123 label (Go `DNS1123LabelMaxLength`).
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;

/// Go `dns1123SubdomainFmt`.
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
/// Maximum length of an RFC 1123 subdomain (Go `DNS1123SubdomainMaxLength`).
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;

/// Go `dns1035LabelFmt`.
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_ERR_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
/// Maximum length of an RFC 1035 label (Go `DNS1035LabelMaxLength`).
pub const DNS1035_LABEL_MAX_LENGTH: usize = 63;

/// Go `MaxLenError`.
fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

/// Go `EmptyError`.
fn empty_error() -> &'static str {
    "must be non-empty"
}

/// Go `RegexError`: the message, the examples and the regular expression.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = String::from(msg);
    out.push_str(" (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push('\'');
        out.push_str(example);
        out.push_str("', ");
    }
    out.push_str("regex used for validation is '");
    out.push_str(fmt);
    out.push_str("')");
    out
}

/// Matches `^first middle* last$` or `^first$` where the single character must
/// satisfy both `first` and `last`; the shape shared by every regular
/// expression in this file (`X([M]*Y)?` and `(X[M]*)?Y`).
fn matches_shape(
    value: &str,
    first: fn(u8) -> bool,
    middle: fn(u8) -> bool,
    last: fn(u8) -> bool,
) -> bool {
    let bytes = value.as_bytes();
    match bytes {
        [] => false,
        [only] => first(*only) && last(*only),
        [head, mid @ .., tail] => first(*head) && last(*tail) && mid.iter().all(|b| middle(*b)),
    }
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn is_lower_alnum_or_dash(b: u8) -> bool {
    is_lower_alnum(b) || b == b'-'
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_qname_ext_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
fn dns1123_label_matches(value: &str) -> bool {
    matches_shape(
        value,
        is_lower_alnum,
        is_lower_alnum_or_dash,
        is_lower_alnum,
    )
}

/// `^dns1123Label(\.dns1123Label)*$`
fn dns1123_subdomain_matches(value: &str) -> bool {
    value.split('.').all(dns1123_label_matches)
}

/// `^[a-z]([-a-z0-9]*[a-z0-9])?$`
fn dns1035_label_matches(value: &str) -> bool {
    matches_shape(
        value,
        |b| b.is_ascii_lowercase(),
        is_lower_alnum_or_dash,
        is_lower_alnum,
    )
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`
fn qualified_name_matches(value: &str) -> bool {
    matches_shape(value, is_alnum, is_qname_ext_char, is_alnum)
}

/// Checks a DNS (RFC 1123) label such as a namespace name: at most 63
/// characters, lower case alphanumerics or '-', starting and ending with an
/// alphanumeric (Go `IsDNS1123Label`).
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !dns1123_label_matches(value) {
        if dns1123_subdomain_matches(value) {
            // A valid subdomain but not a valid label: since the length was
            // already checked, it must be the dots.
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// Checks a DNS (RFC 1123) subdomain such as most object names: at most 253
/// characters, dot-separated RFC 1123 labels (Go `IsDNS1123Subdomain`).
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !dns1123_subdomain_matches(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// Checks a DNS (RFC 1035) label such as a Service name: at most 63
/// characters, lower case alphanumerics or '-', starting with a letter and
/// ending with an alphanumeric (Go `IsDNS1035Label`).
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1035_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1035_LABEL_MAX_LENGTH));
    }
    if !dns1035_label_matches(value) {
        errs.push(regex_error(
            DNS1035_LABEL_ERR_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// Checks a "qualified name" such as a label or annotation key: an optional
/// DNS subdomain prefix and '/', then a name of at most 63 alphanumerics,
/// '-', '_' or '.', starting and ending with an alphanumeric
/// (Go `IsQualifiedName`).
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {}", empty_error()));
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_ERR_MSG,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"],
                )
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {}", empty_error()));
    } else if name.len() > QUALIFIED_NAME_MAX_LENGTH {
        errs.push(format!(
            "name part {}",
            max_len_error(QUALIFIED_NAME_MAX_LENGTH)
        ));
    }
    if !qualified_name_matches(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"],
            )
        ));
    }
    errs
}

/// Checks a label value: empty, or at most 63 alphanumerics, '-', '_' or '.',
/// starting and ending with an alphanumeric (Go `IsValidLabelValue`).
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !(value.is_empty() || qualified_name_matches(value)) {
        errs.push(regex_error(
            LABEL_VALUE_ERR_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LABEL_REGEX_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    #[test]
    fn dns1123_label_message_is_exact() {
        // The doubled space after 'my-name', is what Go's RegexError produces.
        assert_eq!(is_dns1123_label("My-Name"), vec![LABEL_REGEX_MSG]);
        assert_eq!(is_dns1123_label("a.b"), vec!["must not contain dots"]);
    }

    #[test]
    fn dns1123_label_table() {
        let good = [
            "a",
            "ab",
            "abc",
            "a1",
            "a-1",
            "a--1--2--b",
            "0",
            "01",
            "0-0",
            "1-a",
        ];
        for v in good {
            assert!(is_dns1123_label(v).is_empty(), "{v:?} should be valid");
        }
        assert!(is_dns1123_label(&"a".repeat(63)).is_empty());
        let bad = [
            "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_",
            "_a", "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2", " ", "a ",
            " a", "a b", "1 ", " 1", "1 2", "a\n", "é",
        ];
        for v in bad {
            assert!(!is_dns1123_label(v).is_empty(), "{v:?} should be invalid");
        }
        let long = "a".repeat(64);
        assert_eq!(
            is_dns1123_label(&long),
            vec!["must be no more than 63 characters"]
        );
        let long_dash = format!("{}-", "a".repeat(64));
        assert_eq!(
            is_dns1123_label(&long_dash),
            vec![
                "must be no more than 63 characters".to_string(),
                LABEL_REGEX_MSG.to_string()
            ]
        );
    }

    #[test]
    fn dns1123_subdomain_table() {
        let good = [
            "a",
            "ab",
            "abc",
            "a1",
            "a-1",
            "a--1--2--b",
            "0",
            "01",
            "0-0",
            "a.a",
            "ab.c",
            "a-1.b-2",
            "0.0",
            "00.00",
            "1.2.3.4",
        ];
        for v in good {
            assert!(is_dns1123_subdomain(v).is_empty(), "{v:?} should be valid");
        }
        let long_ok = format!("{}.{}", "a".repeat(63), "b".repeat(189));
        assert_eq!(long_ok.len(), 253);
        assert!(is_dns1123_subdomain(&long_ok).is_empty());
        let bad = [
            "", "A", "ABC", "aBc", "-", "a-", "-a", "_", "a_b", ".", "a.", ".a", "a..b", "a.-b",
            "a-.b", "a b", "a@b",
        ];
        for v in bad {
            assert!(
                !is_dns1123_subdomain(v).is_empty(),
                "{v:?} should be invalid"
            );
        }
        assert_eq!(
            is_dns1123_subdomain("A.b"),
            vec!["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
        assert_eq!(
            is_dns1123_subdomain(&"a".repeat(254)),
            vec!["must be no more than 253 characters"]
        );
    }

    #[test]
    fn dns1035_label_table() {
        for v in ["a", "ab", "a1", "a-1", "a--1--2--b"] {
            assert!(is_dns1035_label(v).is_empty(), "{v:?} should be valid");
        }
        assert!(is_dns1035_label(&"a".repeat(63)).is_empty());
        for v in [
            "0", "01", "0-0", "1-a", "", "A", "a-", "-a", "a_b", "a.b", "a b",
        ] {
            assert!(!is_dns1035_label(v).is_empty(), "{v:?} should be invalid");
        }
        assert_eq!(
            is_dns1035_label("1abc"),
            vec!["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]
        );
        assert_eq!(
            is_dns1035_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters"]
        );
    }

    #[test]
    fn qualified_name_table() {
        // Cases from validation_test.go TestIsQualifiedName.
        let good = [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "simple/simple",
            "now-with-dashes/simple",
            "now-with-dashes/now-with-dashes",
            "now.with.dots/simple",
            "now-with.dashes-and.dots/simple",
            "1-num.2-num/3-num",
            "1234/5678",
            "1.2.3.4/5678",
            "Uppercase_Is_OK_123",
            "example.com/Uppercase_Is_OK_123",
            "requests.storage-foo",
        ];
        for v in good {
            assert!(is_qualified_name(v).is_empty(), "{v:?} should be valid");
        }
        assert!(is_qualified_name(&"a".repeat(63)).is_empty());
        assert!(is_qualified_name(&format!("{}/{}", "a".repeat(253), "b".repeat(63))).is_empty());
        let bad = [
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash-",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            &"a".repeat(64),
            &format!("{}/b", "a".repeat(254)),
            "",
            "a\n",
        ];
        for v in bad {
            assert!(!is_qualified_name(v).is_empty(), "{v:?} should be invalid");
        }
    }

    #[test]
    fn qualified_name_messages() {
        let name_regex = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
        assert_eq!(is_qualified_name("a-"), vec![name_regex]);
        assert_eq!(
            is_qualified_name(""),
            vec!["name part must be non-empty", name_regex]
        );
        assert_eq!(
            is_qualified_name("/a"),
            vec!["prefix part must be non-empty"]
        );
        assert_eq!(
            is_qualified_name("a/b/c"),
            vec!["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        );
        assert_eq!(
            is_qualified_name("Example.com/a"),
            vec!["prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
        assert_eq!(
            is_qualified_name(&"a".repeat(64)),
            vec!["name part must be no more than 63 characters"]
        );
    }

    #[test]
    fn label_value_table() {
        // Cases from validation_test.go TestIsValidLabelValue.
        let good = [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "end-with-num-1",
            "1234",
            "",
            "A",
            "AB",
            "AbC",
            "a.b_c-d",
            &"a".repeat(63),
        ];
        for v in good {
            assert!(is_valid_label_value(v).is_empty(), "{v:?} should be valid");
        }
        let bad = [
            "nospecialchars%^=@",
            "Tama-nui-te-rā.is.Māori.sun",
            "\\backslashes\\are\\bad",
            "-starts-with-dash",
            "ends-with-dash-",
            ".starts.with.dot",
            "ends.with.dot.",
            "a/b",
            " ",
        ];
        for v in bad {
            assert!(
                !is_valid_label_value(v).is_empty(),
                "{v:?} should be invalid"
            );
        }
        assert_eq!(
            is_valid_label_value("-a"),
            vec!["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]
        );
        assert_eq!(
            is_valid_label_value(&"a".repeat(64)),
            vec!["must be no more than 63 characters"]
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = is_dns1123_label(&s);
            let _ = is_dns1123_subdomain(&s);
            let _ = is_dns1035_label(&s);
            let _ = is_qualified_name(&s);
            let _ = is_valid_label_value(&s);
        }

        #[test]
        fn generated_labels_are_valid(s in "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?") {
            prop_assert!(is_dns1123_label(&s).is_empty());
            prop_assert!(is_dns1123_subdomain(&s).is_empty());
            prop_assert!(is_qualified_name(&s).is_empty());
            prop_assert!(is_valid_label_value(&s).is_empty());
        }
    }
}
