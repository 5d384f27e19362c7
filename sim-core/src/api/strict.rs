//! Strict decoding (temporary stand-in).
/// err
#[derive(Debug, thiserror::Error)]
pub enum StrictError {
    /// unknown
    #[error("strict decoding error: {}", .0.iter().map(|f| format!("unknown field \"{f}\"")).collect::<Vec<_>>().join(", "))]
    UnknownFields(Vec<String>),
    /// decode
    #[error("{0}")]
    Decode(String),
}
/// decode
pub fn decode_strict<T: serde::de::DeserializeOwned + serde::Serialize>(input: &serde_json::Value) -> Result<T, StrictError> {
    serde_json::from_value(input.clone()).map_err(|e| StrictError::Decode(e.to_string()))
}
