//! Virtual time (temporary stand-in; replaced by the full implementation).
use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign, Sub};
/// ns since start.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimTime(u64);
/// ns.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimDuration(u64);
impl SimTime {
    /// zero
    pub const ZERO: SimTime = SimTime(0);
    /// max
    pub const MAX: SimTime = SimTime(u64::MAX);
    /// from
    pub const fn from_nanos(n: u64) -> Self { Self(n) }
    /// as
    pub const fn as_nanos(self) -> u64 { self.0 }
    /// add
    pub fn saturating_add(self, d: SimDuration) -> Self { Self(self.0.saturating_add(d.0)) }
    /// since
    pub fn saturating_since(self, e: SimTime) -> SimDuration { SimDuration(self.0.saturating_sub(e.0)) }
}
impl SimDuration {
    /// zero
    pub const ZERO: SimDuration = SimDuration(0);
    /// from
    pub const fn from_nanos(n: u64) -> Self { Self(n) }
    /// from
    pub const fn from_micros(n: u64) -> Self { Self(n.saturating_mul(1_000)) }
    /// from
    pub const fn from_millis(n: u64) -> Self { Self(n.saturating_mul(1_000_000)) }
    /// from
    pub const fn from_secs(n: u64) -> Self { Self(n.saturating_mul(1_000_000_000)) }
    /// from
    pub const fn from_mins(n: u64) -> Self { Self(n.saturating_mul(60_000_000_000)) }
    /// from
    pub const fn from_hours(n: u64) -> Self { Self(n.saturating_mul(3_600_000_000_000)) }
    /// as
    pub const fn as_nanos(self) -> u64 { self.0 }
    /// as
    pub const fn as_secs(self) -> u64 { self.0 / 1_000_000_000 }
    /// as
    pub const fn as_millis(self) -> u64 { self.0 / 1_000_000 }
    /// mul
    pub fn saturating_mul(self, k: u64) -> Self { Self(self.0.saturating_mul(k)) }
    /// add
    pub fn saturating_add(self, d: SimDuration) -> Self { Self(self.0.saturating_add(d.0)) }
    /// sub
    pub fn checked_sub(self, d: SimDuration) -> Option<Self> { self.0.checked_sub(d.0).map(Self) }
}
impl Add<SimDuration> for SimTime { type Output = SimTime; fn add(self, d: SimDuration) -> SimTime { self.saturating_add(d) } }
impl AddAssign<SimDuration> for SimTime { fn add_assign(&mut self, d: SimDuration) { *self = *self + d } }
impl Add for SimDuration { type Output = SimDuration; fn add(self, d: SimDuration) -> SimDuration { self.saturating_add(d) } }
impl Sub for SimTime { type Output = SimDuration; fn sub(self, e: SimTime) -> SimDuration { self.saturating_since(e) } }
/// err
#[derive(Debug, thiserror::Error)]
#[error("invalid duration {0:?}")]
pub struct DurationError(String);
impl std::str::FromStr for SimDuration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, DurationError> {
        let (num, mul) = if let Some(n) = s.strip_suffix("ms") { (n, 1_000_000) } else if let Some(n) = s.strip_suffix('s') { (n, 1_000_000_000) } else if let Some(n) = s.strip_suffix('m') { (n, 60_000_000_000) } else if let Some(n) = s.strip_suffix('h') { (n, 3_600_000_000_000) } else { return Err(DurationError(s.into())) };
        num.parse::<u64>().map(|n| SimDuration(n * mul)).map_err(|_| DurationError(s.into()))
    }
}
impl std::fmt::Display for SimDuration { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}.{:03}s", self.0 / 1_000_000_000, (self.0 / 1_000_000) % 1000) } }
impl std::fmt::Display for SimTime { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { SimDuration(self.0).fmt(f) } }
