//! Quantities (temporary stand-in).
/// err
#[derive(Debug, thiserror::Error)]
#[error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {0:?}")]
pub struct QuantityError(String);
fn parse(s: &str, milli: bool) -> Result<i64, QuantityError> { let (n, m): (&str, f64) = if let Some(n) = s.strip_suffix("Gi") { (n, 1073741824.0) } else if let Some(n) = s.strip_suffix("Mi") { (n, 1048576.0) } else if let Some(n) = s.strip_suffix("Ki") { (n, 1024.0) } else if let Some(n) = s.strip_suffix('m') { (n, 0.001) } else if let Some(n) = s.strip_suffix('k') { (n, 1e3) } else if let Some(n) = s.strip_suffix('M') { (n, 1e6) } else if let Some(n) = s.strip_suffix('G') { (n, 1e9) } else { (s, 1.0) }; let v: f64 = n.parse().map_err(|_| QuantityError(s.into()))?; let k = if milli { 1000.0 } else { 1.0 }; Ok((v * m * k).ceil() as i64) }
/// cpu
pub fn parse_cpu_millis(s: &str) -> Result<i64, QuantityError> { parse(s, true) }
/// bytes
pub fn parse_bytes(s: &str) -> Result<i64, QuantityError> { parse(s, false) }
/// q
#[derive(Debug, Clone)]
pub struct Quantity(i64);
impl Quantity {
    /// p
    pub fn parse(s: &str) -> Result<Self, QuantityError> { parse(s, true).map(Quantity) }
    /// m
    pub fn milli_value(&self) -> Result<i64, QuantityError> { Ok(self.0) }
    /// n
    pub fn is_negative(&self) -> bool { self.0 < 0 }
}
