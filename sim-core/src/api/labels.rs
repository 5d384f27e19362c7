//! Label selectors (temporary stand-in).
use std::collections::BTreeMap;
/// sel
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector { reqs: Vec<(String, Option<String>)>, nothing: bool }
/// err
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(String);
impl Selector {
    /// e
    pub fn everything() -> Self { Self::default() }
    /// n
    pub fn nothing() -> Self { Self { reqs: vec![], nothing: true } }
    /// e
    pub fn is_everything(&self) -> bool { self.reqs.is_empty() && !self.nothing }
    /// p
    pub fn parse(s: &str) -> Result<Self, SelectorError> { let mut reqs = vec![]; for part in s.split(',').filter(|p| !p.trim().is_empty()) { match part.split_once('=') { Some((k, v)) => reqs.push((k.trim().to_string(), Some(v.trim().to_string()))), None => reqs.push((part.trim().to_string(), None)) } } Ok(Self { reqs, nothing: false }) }
    /// f
    pub fn from_label_selector(ls: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector) -> Result<Self, SelectorError> { Ok(Self { reqs: ls.match_labels.clone().unwrap_or_default().into_iter().map(|(k, v)| (k, Some(v))).collect(), nothing: false }) }
    /// m
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool { !self.nothing && self.reqs.iter().all(|(k, v)| match v { Some(v) => labels.get(k) == Some(v), None => labels.contains_key(k) }) }
}
impl std::fmt::Display for Selector { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{:?}", self.reqs) } }
