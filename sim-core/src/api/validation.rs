//! Validation (temporary stand-in).
/// v
pub fn is_dns1123_label(v: &str) -> Vec<String> { if !v.is_empty() && v.len() <= 63 && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') && !v.starts_with('-') && !v.ends_with('-') { vec![] } else { vec!["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".into()] } }
/// v
pub fn is_dns1123_subdomain(v: &str) -> Vec<String> { if !v.is_empty() && v.len() <= 253 && v.split('.').all(|p| is_dns1123_label(p).is_empty()) { vec![] } else { vec!["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into()] } }
/// v
pub fn is_dns1035_label(v: &str) -> Vec<String> { is_dns1123_label(v) }
/// v
pub fn is_qualified_name(v: &str) -> Vec<String> { if v.is_empty() { vec!["name part must be non-empty".into()] } else { vec![] } }
/// v
pub fn is_valid_label_value(_v: &str) -> Vec<String> { vec![] }
