//! Field selectors (temporary stand-in).
/// f
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector { reqs: Vec<(String, bool, String)> }
/// err
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FieldSelectorError(String);
impl FieldSelector {
    /// e
    pub fn everything() -> Self { Self::default() }
    /// e
    pub fn is_everything(&self) -> bool { self.reqs.is_empty() }
    /// p
    pub fn parse(s: &str) -> Result<Self, FieldSelectorError> { let mut reqs = vec![]; for part in s.split(',').filter(|p| !p.is_empty()) { if let Some((k, v)) = part.split_once("!=") { reqs.push((k.into(), false, v.into())) } else if let Some((k, v)) = part.split_once('=') { reqs.push((k.into(), true, v.trim_start_matches('=').into())) } else { return Err(FieldSelectorError(part.into())) } } Ok(Self { reqs }) }
    /// m
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool { self.reqs.iter().all(|(k, eq, v)| get(k).map(|x| (&x == v) == *eq).unwrap_or(false)) }
    /// f
    pub fn fields(&self) -> impl Iterator<Item = &str> { self.reqs.iter().map(|r| r.0.as_str()) }
    /// x
    pub fn exact_match(&self, field: &str) -> Option<&str> { self.reqs.iter().find(|r| r.0 == field && r.1).map(|r| r.2.as_str()) }
}
