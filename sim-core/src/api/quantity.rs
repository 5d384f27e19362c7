//! Kubernetes resource quantities ("100m", "1.5Gi", "129e6"): exact parsing,
//! rounding, addition, comparison and canonical printing.
//!
//! Follows `k8s.io/apimachinery/pkg/api/resource/quantity.go` (v0.33):
//! `ParseQuantity`, `parseQuantityString`, `ScaledValue`, `Add`, `Cmp`,
//! `CanonicalizeBytes` and the suffix table of `suffix.go`. Like Kubernetes,
//! a parsed value is rounded away from zero to a whole number of nanounits
//! ("0.1n" becomes "1n"), and values with a binary suffix are capped at
//! 2^63-1. The value is held exactly as an `i128` count of nanounits; no
//! floats are involved. [`ParsedQuantity`] adds Go's habit of printing an
//! input that is already canonical verbatim, as kubectl shows quantities.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The regular expression quoted by the API server's parse error
/// (Go `splitREString`).
pub const QUANTITY_REGEX: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/// Most significant digits accepted in one quantity (after leading and
/// trailing zeros are removed); a guard against pathological input.
const MAX_SIGNIFICANT_DIGITS: usize = 128;

const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// Largest magnitude of a quantity with a binary suffix, in nanounits: Go caps
/// such values at `maxAllowed` = 2^63-1.
const BINARY_CAP_NANOS: u128 = (i64::MAX as u128) * 1_000_000_000;

/// Why a quantity string could not be parsed or converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// The text does not have the shape of a quantity (Go `ErrFormatWrong`).
    #[error("invalid quantity {input:?}: quantities must match the regular expression '{QUANTITY_REGEX}' (expected an optional sign, a decimal number such as 100, 0.5 or 1.5, then an optional suffix: n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent such as e3; no spaces)")]
    Format {
        /// The rejected input.
        input: String,
    },
    /// The number is followed by an unknown suffix (Go `ErrSuffix`).
    #[error("invalid quantity {input:?}: unable to parse quantity's suffix {suffix:?} (expected one of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent such as e3 or E-6; suffixes are case-sensitive)")]
    Suffix {
        /// The rejected input.
        input: String,
        /// The suffix that was not recognised.
        suffix: String,
    },
    /// The value is too large (or too precise) to be represented exactly.
    #[error("invalid quantity {input:?}: {reason}")]
    OutOfRange {
        /// The rejected input.
        input: String,
        /// What exceeded the limits.
        reason: String,
    },
    /// A conversion to a 64-bit integer overflowed.
    #[error(
        "quantity {quantity} is too large: its {what} does not fit in a signed 64-bit integer"
    )]
    Overflow {
        /// The quantity, in canonical form.
        quantity: String,
        /// Which conversion was asked for ("value", "milli value").
        what: &'static str,
    },
}

/// How a quantity prints (Go `Format`): chosen from the suffix it was parsed
/// with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum QuantityFormat {
    /// Exponent notation, e.g. "12e6".
    DecimalExponent,
    /// Binary SI suffixes, e.g. "12Mi" (12 * 2^20).
    BinarySi,
    /// Decimal SI suffixes, e.g. "12M" (12 * 10^6).
    #[default]
    DecimalSi,
}

/// An exact Kubernetes resource quantity.
///
/// Equality, ordering and hashing consider only the numeric value, as
/// Kubernetes' `Cmp` does: "1Gi" equals "1073741824".
#[derive(Debug, Clone, Copy, Default)]
pub struct Quantity {
    /// The value in units of 10^-9.
    nanos: i128,
    format: QuantityFormat,
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

/// A minimal unsigned big integer (little-endian base 2^32 limbs), enough to
/// scale the parsed digits exactly.
struct BigUint(Vec<u32>);

impl BigUint {
    fn mul_add(&mut self, factor: u32, addend: u32) {
        let mut carry = u64::from(addend);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(factor) + carry;
            *limb = (v & 0xffff_ffff) as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push((carry & 0xffff_ffff) as u32);
        }
    }

    /// Divides in place, returning the remainder. `divisor` must be non-zero.
    fn div_rem(&mut self, divisor: u32) -> u32 {
        let divisor = u64::from(divisor.max(1));
        let mut rem: u64 = 0;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = ((cur / divisor) & 0xffff_ffff) as u32;
            rem = cur % divisor;
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        (rem & 0xffff_ffff) as u32
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|l| *l == 0)
    }

    fn to_u128(&self) -> Option<u128> {
        let mut out: u128 = 0;
        for (i, limb) in self.0.iter().enumerate() {
            if *limb == 0 {
                continue;
            }
            if i >= 4 {
                return None;
            }
            out |= u128::from(*limb) << (32 * i);
        }
        Some(out)
    }
}

/// The base and exponent a suffix stands for (Go `suffix.go` `interpret`).
enum Suffix {
    Decimal(i64),
    Binary(u32),
    Exponent(i64),
}

fn interpret_suffix(suffix: &str) -> Option<Suffix> {
    let decimal = |e| Some(Suffix::Decimal(e));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => Some(Suffix::Binary(10)),
        "Mi" => Some(Suffix::Binary(20)),
        "Gi" => Some(Suffix::Binary(30)),
        "Ti" => Some(Suffix::Binary(40)),
        "Pi" => Some(Suffix::Binary(50)),
        "Ei" => Some(Suffix::Binary(60)),
        _ => {
            let rest = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            if rest.is_empty() {
                return None;
            }
            rest.parse::<i64>().ok().map(Suffix::Exponent)
        }
    }
}

/// Splits a quantity into sign, integer digits, fraction digits and suffix,
/// as Go's `parseQuantityString` scanner does, except that at least one digit
/// is required (Go also accepts numberless strings such as "Gi", "+" or "."
/// as zero, which the documented grammar does not).
fn scan(input: &str) -> Option<(bool, &str, &str, &str)> {
    let bytes = input.as_bytes();
    let mut pos = 0;
    let mut negative = false;
    match bytes.first() {
        Some(b'-') => {
            negative = true;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    let digits_from = |start: usize| {
        start
            + bytes
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
    };
    let int_end = digits_from(pos);
    let int_digits = input.get(pos..int_end)?;
    pos = int_end;
    let mut frac_digits = "";
    if bytes.get(pos) == Some(&b'.') {
        let frac_end = digits_from(pos + 1);
        frac_digits = input.get(pos + 1..frac_end)?;
        pos = frac_end;
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    // Suffix: [eEinumkKMGTP]*[-+]?[0-9]* and then the end of the input.
    let suffix_start = pos;
    pos += bytes
        .get(pos..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b"eEinumkKMGTP".contains(b))
        .count();
    if matches!(bytes.get(pos), Some(b'-' | b'+')) {
        pos += 1;
    }
    pos = digits_from(pos);
    if pos != bytes.len() {
        return None;
    }
    Some((
        negative,
        int_digits,
        frac_digits,
        input.get(suffix_start..)?,
    ))
}

impl Quantity {
    /// Parses a quantity such as "100m", "1.5Gi", "129e6" or "-2".
    ///
    /// Follows Go `ParseQuantity`: non-zero values are rounded away from zero
    /// to a whole number of nanounits and binary-suffixed values are capped
    /// at 2^63-1. Leading or trailing whitespace is an error.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        match Self::parse_plain(input) {
            Some(q) => Ok(q),
            None => Self::parse_general(input),
        }
    }

    /// The common shape of quantities in manifests, plain digits with an
    /// optional SI or binary suffix ("100m", "500Mi", "4"), computed in
    /// machine integers; `None` sends everything else (signs, fractions,
    /// exponents, very long or very large values) to [`Quantity::parse_general`].
    /// Both give the same result wherever this one answers.
    fn parse_plain(input: &str) -> Option<Quantity> {
        let digits_end = input
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(input.len());
        if digits_end == 0 || digits_end > 18 {
            return None;
        }
        let (digits, suffix) = input.split_at(digits_end);
        let value: i128 = digits.parse().ok()?;
        let (nanos, format) = match interpret_suffix(suffix)? {
            Suffix::Decimal(e) if e >= -9 => {
                let scale = 10i128.checked_pow(u32::try_from(e + 9).ok()?)?;
                (value.checked_mul(scale)?, QuantityFormat::DecimalSi)
            }
            Suffix::Binary(e) => {
                let nanos = value.checked_mul(1i128 << e)?.checked_mul(NANOS_PER_UNIT)?;
                let cap = i128::try_from(BINARY_CAP_NANOS).ok()?;
                (nanos.min(cap), QuantityFormat::BinarySi)
            }
            _ => return None,
        };
        Some(Quantity { nanos, format })
    }

    fn parse_general(input: &str) -> Result<Quantity, QuantityError> {
        let format_err = || QuantityError::Format {
            input: input.to_string(),
        };
        let out_of_range = |reason: &str| QuantityError::OutOfRange {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (negative, int_digits, frac_digits, suffix) = scan(input).ok_or_else(format_err)?;
        let interpreted = interpret_suffix(suffix).ok_or_else(|| QuantityError::Suffix {
            input: input.to_string(),
            suffix: suffix.to_string(),
        })?;
        let (exp10, exp2, mut format) = match interpreted {
            Suffix::Decimal(e) => (e, 0, QuantityFormat::DecimalSi),
            Suffix::Binary(e) => (0, e, QuantityFormat::BinarySi),
            Suffix::Exponent(e) => (e, 0, QuantityFormat::DecimalExponent),
        };
        // All digits, without leading zeros; trailing zeros move into the
        // decimal exponent.
        let all_digits = format!("{int_digits}{frac_digits}");
        let significant = all_digits.trim_start_matches('0');
        let trimmed = significant.trim_end_matches('0');
        if trimmed.is_empty() {
            return Ok(Quantity { nanos: 0, format });
        }
        if trimmed.len() > MAX_SIGNIFICANT_DIGITS {
            return Err(out_of_range(
                "too many significant digits (at most 128 are supported)",
            ));
        }
        // value = trimmed * 2^exp2 * 10^shift nanounits.
        let shift: i128 = i128::from(exp10) + 9 - frac_digits.len() as i128
            + (significant.len() - trimmed.len()) as i128;
        let mut n = BigUint(Vec::new());
        for d in trimmed.bytes() {
            n.mul_add(10, u32::from(d.saturating_sub(b'0')));
        }
        for _ in 0..exp2 / 10 {
            n.mul_add(1024, 0);
        }
        let mut inexact = false;
        let mut too_large = false;
        if shift >= 0 {
            for _ in 0..shift {
                n.mul_add(10, 0);
                if n.0.len() > 5 {
                    too_large = true;
                    break;
                }
            }
        } else {
            let mut remaining = -shift;
            while remaining > 0 && !n.is_zero() {
                inexact |= n.div_rem(10) != 0;
                remaining -= 1;
            }
        }
        // Round away from zero to the next nanounit (Go: inf.RoundUp).
        let magnitude = if too_large {
            None
        } else {
            n.to_u128().and_then(|m| m.checked_add(u128::from(inexact)))
        };
        let magnitude = match (magnitude, format) {
            (Some(m), QuantityFormat::BinarySi) => Some(m.min(BINARY_CAP_NANOS)),
            (None, QuantityFormat::BinarySi) => Some(BINARY_CAP_NANOS),
            (m, _) => m,
        };
        let nanos = magnitude
            .and_then(|m| i128::try_from(m).ok())
            .ok_or_else(|| {
                out_of_range(
                    "the value is too large to represent (the magnitude must be below about 1.7e29)",
                )
            })?;
        if format == QuantityFormat::BinarySi && nanos > 0 && nanos < NANOS_PER_UNIT {
            // Go: fractions of one are shown as DecimalSI to avoid rounding.
            format = QuantityFormat::DecimalSi;
        }
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
            format,
        })
    }

    /// A quantity of `value` whole units printed in `format` (Go `NewQuantity`).
    pub fn new(value: i64, format: QuantityFormat) -> Quantity {
        Quantity {
            nanos: i128::from(value) * NANOS_PER_UNIT,
            format,
        }
    }

    /// A quantity of `value_m` thousandths, printed as DecimalSI
    /// (Go `NewMilliQuantity(value, DecimalSI)`), e.g. CPU millicores.
    pub fn new_milli(value_m: i64) -> Quantity {
        Quantity {
            nanos: i128::from(value_m) * 1_000_000,
            format: QuantityFormat::DecimalSi,
        }
    }

    /// How this quantity prints.
    pub fn format(&self) -> QuantityFormat {
        self.format
    }

    /// The value counted in units of 10^`scale`, rounded away from zero
    /// when inexact (Go `ScaledValue`, whose `int64Amount.AsScaledInt64`
    /// rounds with `negativeScaleInt64`: "1n" gives 1 milli, "-1n" gives -1).
    fn scaled_value(&self, scale: i32, what: &'static str) -> Result<i64, QuantityError> {
        let overflow = || QuantityError::Overflow {
            quantity: self.to_string(),
            what,
        };
        let diff = scale + 9;
        let result: i128 = if diff >= 0 {
            let divisor = 10i128
                .checked_pow(diff.unsigned_abs())
                .ok_or_else(overflow)?;
            let q = self.nanos / divisor;
            if self.nanos % divisor != 0 {
                q + self.nanos.signum()
            } else {
                q
            }
        } else {
            let factor = 10i128
                .checked_pow(diff.unsigned_abs())
                .ok_or_else(overflow)?;
            self.nanos.checked_mul(factor).ok_or_else(overflow)?
        };
        i64::try_from(result).map_err(|_| overflow())
    }

    /// The value in thousandths, rounded away from zero when inexact
    /// (Go `MilliValue`; "1n" gives 1, "-1n" gives -1). Errors instead of
    /// wrapping when the result does not fit in an `i64`.
    pub fn milli_value(&self) -> Result<i64, QuantityError> {
        self.scaled_value(-3, "milli value")
    }

    /// The value as an integer, rounded away from zero when inexact (Go
    /// `Value`; "100m" gives 1, "-100m" gives -1). Errors instead of
    /// wrapping when the result does not fit in an `i64`.
    pub fn value(&self) -> Result<i64, QuantityError> {
        self.scaled_value(0, "value")
    }

    /// [`Quantity::value`], clamped to `i64::MIN..=i64::MAX` instead of
    /// failing (for display, where a huge value should not abort the output).
    pub fn saturating_value(&self) -> i64 {
        self.value().unwrap_or(self.saturated_i64())
    }

    /// [`Quantity::milli_value`], clamped to `i64::MIN..=i64::MAX` instead of
    /// failing.
    pub fn saturating_milli_value(&self) -> i64 {
        self.milli_value().unwrap_or(self.saturated_i64())
    }

    /// The `i64` bound on this quantity's side of zero.
    fn saturated_i64(&self) -> i64 {
        if self.nanos < 0 {
            i64::MIN
        } else {
            i64::MAX
        }
    }

    /// The exact sum `self + other` (Go `Quantity.Add`), or `None` when it
    /// exceeds the representable range (about 1.7e29 in magnitude). As in
    /// Go, the sum prints in this quantity's format, unless this quantity is
    /// zero, in which case it takes `other`'s: "100Mi" + "1G" prints
    /// "1104857600", "0" + "64Mi" prints "64Mi".
    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        let nanos = self.nanos.checked_add(other.nanos)?;
        let format = if self.nanos == 0 {
            other.format
        } else {
            self.format
        };
        Some(Quantity { nanos, format })
    }

    /// [`Quantity::checked_add`], clamping the magnitude to the largest
    /// representable one instead of failing; exact whenever the sum is
    /// representable.
    pub fn saturating_add(&self, other: &Quantity) -> Quantity {
        // Only two non-zero values of the same sign can overflow, so the
        // format is this quantity's.
        self.checked_add(other).unwrap_or(Quantity {
            nanos: if self.nanos < 0 {
                -i128::MAX
            } else {
                i128::MAX
            },
            format: self.format,
        })
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// Whether the value is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }
}

/// A quantity as Go's `resource.Quantity` holds it after `ParseQuantity`:
/// the value, plus the input text when Go keeps it as the printed form.
///
/// Go's fast path (values that fit an `int64` at a scale of at least 10^-9)
/// stores the input string in `Quantity.s` when it looks canonical, and
/// `String()` then returns it verbatim: "+1", "007", "1.234k" and "1E3" print
/// as written, while "1000", "0.5" and "2048Ki" print as "1k", "500m" and
/// "2Mi". `kubectl` prints quantities it decoded from JSON this way. Any
/// arithmetic drops the text, as Go's `Add` clears `s`.
///
/// Equality, ordering and hashing consider only the value, like
/// [`Quantity`].
#[derive(Debug, Clone, Default)]
pub struct ParsedQuantity {
    quantity: Quantity,
    /// The input, when Go keeps it as the printed form.
    text: Option<String>,
}

impl ParsedQuantity {
    /// Parses like [`Quantity::parse`], remembering the input when Go's
    /// `ParseQuantity` would.
    pub fn parse(input: &str) -> Result<ParsedQuantity, QuantityError> {
        let quantity = Quantity::parse(input)?;
        Ok(ParsedQuantity {
            quantity,
            text: go_keeps_text(input).then(|| input.to_string()),
        })
    }

    /// The value.
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }

    /// Adds `other` in place like Go `Quantity.Add` (see
    /// [`Quantity::saturating_add`]), which also forgets the parsed text.
    pub fn add_saturating(&mut self, other: &Quantity) {
        self.quantity = self.quantity.saturating_add(other);
        self.text = None;
    }
}

impl From<Quantity> for ParsedQuantity {
    /// The quantity with no parsed text: it prints in canonical form.
    fn from(quantity: Quantity) -> ParsedQuantity {
        ParsedQuantity {
            quantity,
            text: None,
        }
    }
}

impl PartialEq for ParsedQuantity {
    fn eq(&self, other: &ParsedQuantity) -> bool {
        self.quantity == other.quantity
    }
}

impl Eq for ParsedQuantity {}

impl PartialOrd for ParsedQuantity {
    fn partial_cmp(&self, other: &ParsedQuantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ParsedQuantity {
    fn cmp(&self, other: &ParsedQuantity) -> Ordering {
        self.quantity.cmp(&other.quantity)
    }
}

impl Hash for ParsedQuantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.quantity.hash(state);
    }
}

impl fmt::Display for ParsedQuantity {
    /// Go `Quantity.String()`: the kept input if any, else the canonical
    /// form of [`Quantity`]'s `Display`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            Some(text) => f.write_str(text),
            None => self.quantity.fmt(f),
        }
    }
}

/// Whether Go's `ParseQuantity` keeps `input` as the printed form of a
/// quantity that [`Quantity::parse`] accepted. Its fast path applies when
/// the digits (leading zeros of the integer part removed) number at most 18
/// for a decimal suffix, or at most `14 - 3 * exponent / 10` with no fraction
/// for a binary one, the scale after the fraction is at least -9 and the
/// value fits an `int64`; the input is then kept for a binary suffix when the
/// digits are not a multiple of 8, and for a decimal one when the scale is a
/// multiple of three and the digits neither start with 0 nor end with 000.
fn go_keeps_text(input: &str) -> bool {
    if input == "0" {
        return true;
    }
    let Some((_, int_digits, frac_digits, suffix)) = scan(input) else {
        return false;
    };
    let Some(interpreted) = interpret_suffix(suffix) else {
        return false;
    };
    let num = match int_digits.trim_start_matches('0') {
        "" => "0",
        n => n,
    };
    let digits = num.len() + frac_digits.len();
    let (exponent, multiplier) = match interpreted {
        Suffix::Decimal(e) | Suffix::Exponent(e) if digits <= 18 => (e, 1i64),
        Suffix::Binary(e)
            if frac_digits.is_empty() && num.len() as i64 <= 14 - i64::from(e) * 3 / 10 =>
        {
            (0, 1i64 << e)
        }
        _ => return false,
    };
    let scale = i128::from(exponent) - frac_digits.len() as i128;
    if scale < -9 {
        return false;
    }
    let shifted = format!("{num}{frac_digits}");
    let Ok(value) = shifted.parse::<i64>() else {
        return false;
    };
    if value.checked_mul(multiplier).is_none() {
        return false;
    }
    match interpreted {
        Suffix::Binary(_) => value & 0x07 != 0,
        _ => scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0'),
    }
}

/// Parses a CPU quantity into millicores: "100m" gives 100, "2" gives 2000,
/// "0.5" gives 500 (rounded up like Go `MilliValue`).
pub fn parse_cpu_millis(s: &str) -> Result<i64, QuantityError> {
    Quantity::parse(s)?.milli_value()
}

/// Parses a memory or storage quantity into bytes: "1Gi" gives 1073741824,
/// "10M" gives 10000000, "100m" gives 1 (rounded up like Go `Value`).
pub fn parse_bytes(s: &str) -> Result<i64, QuantityError> {
    Quantity::parse(s)?.value()
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(s)
    }
}

impl TryFrom<&k8s_openapi::apimachinery::pkg::api::resource::Quantity> for Quantity {
    type Error = QuantityError;

    /// Parses the string of a k8s-openapi quantity, trimming surrounding
    /// whitespace as Go's `Quantity.UnmarshalJSON` does.
    fn try_from(
        q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity,
    ) -> Result<Quantity, QuantityError> {
        Quantity::parse(q.0.trim())
    }
}

impl From<&Quantity> for k8s_openapi::apimachinery::pkg::api::resource::Quantity {
    /// The canonical string form.
    fn from(q: &Quantity) -> Self {
        k8s_openapi::apimachinery::pkg::api::resource::Quantity(q.to_string())
    }
}

/// The DecimalSI suffix for a power of ten that is a multiple of three.
fn decimal_si_suffix(exponent: i32) -> Option<&'static str> {
    Some(match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => return None,
    })
}

impl fmt::Display for Quantity {
    /// The canonical form, following Go `CanonicalizeBytes`: "1Gi", "1080m",
    /// "300M", "1e3", "0". One deliberate difference: DecimalSI values of
    /// 10^21 and more, for which Go finds no suffix and prints the bare
    /// mantissa (changing the value), print with the "E" suffix instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let mut format = self.format;
        if format == QuantityFormat::BinarySi {
            let small = self.nanos.unsigned_abs() < 1024 * NANOS_PER_UNIT as u128;
            if small || self.nanos % NANOS_PER_UNIT != 0 {
                format = QuantityFormat::DecimalSi;
            }
        }
        if format == QuantityFormat::BinarySi {
            // AsCanonicalBase1024Bytes: remove factors of 1024.
            let mut amount = self.nanos / NANOS_PER_UNIT;
            let mut times = 0usize;
            while amount.unsigned_abs() >= 1024 && amount % 1024 == 0 && times < 6 {
                amount /= 1024;
                times += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .get(times)
                .copied()
                .unwrap_or_default();
            return write!(f, "{amount}{suffix}");
        }
        // AsCanonicalBytes: move factors of ten into the exponent, then lower
        // the exponent to a multiple of three.
        let mut mantissa = self.nanos;
        let mut exponent: i32 = -9;
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        while exponent.rem_euclid(3) != 0 {
            mantissa *= 10;
            exponent -= 1;
        }
        match format {
            QuantityFormat::DecimalExponent => {
                if exponent == 0 {
                    write!(f, "{mantissa}")
                } else {
                    write!(f, "{mantissa}e{exponent}")
                }
            }
            _ => match decimal_si_suffix(exponent) {
                Some(suffix) => write!(f, "{mantissa}{suffix}"),
                None => {
                    // Above 10^18: express in units of E.
                    let mut digits = mantissa.to_string();
                    for _ in 0..(exponent - 18).max(0) {
                        digits.push('0');
                    }
                    write!(f, "{digits}E")
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(s: &str) -> Quantity {
        match Quantity::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    #[test]
    fn brief_examples() {
        assert_eq!(parse_cpu_millis("100m"), Ok(100));
        assert_eq!(parse_cpu_millis("2"), Ok(2000));
        assert_eq!(parse_cpu_millis("0.5"), Ok(500));
        assert_eq!(parse_bytes("1Gi"), Ok(1_073_741_824));
        assert_eq!(parse_bytes("200Mi"), Ok(209_715_200));
        assert_eq!(parse_bytes("10M"), Ok(10_000_000));
        assert_eq!(parse_bytes("1e3"), Ok(1000));
        assert_eq!(parse_bytes("100m"), Ok(1));
        assert_eq!(parse_bytes("1.5Gi"), Ok(1_610_612_736));
        assert_eq!(parse_bytes("128974848"), Ok(128_974_848));
        assert_eq!(parse_bytes("129e6"), Ok(129_000_000));
        assert_eq!(parse_bytes("123Mi"), Ok(128_974_848));
        assert_eq!(parse_bytes("2"), Ok(2));
        assert_eq!(parse_bytes("0.5"), Ok(1));
    }

    #[test]
    fn malformed_inputs_are_rejected() {
        for s in [
            "1.2.3", "Gi", "1 Gi", "1gi", "1KB", "", "abc", "1e", "--1", " 1", "1 ", "1.1.M",
            "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", "+", "-", ".",
            "m", "e3", "1ki", "1ee3", "1e3.5", "1Mi3", "1.5 ", "\u{661}",
        ] {
            assert!(Quantity::parse(s).is_err(), "{s:?} should be rejected");
        }
    }

    #[test]
    fn error_messages() {
        let msg = |s: &str| {
            Quantity::parse(s)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let m = msg("1KB");
        assert!(m.starts_with(r#"invalid quantity "1KB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"#), "{m}");
        assert!(m.contains("Ki, Mi, Gi"));
        let m = msg("1gi");
        assert!(m.contains("regular expression"), "{m}");
        let m = msg("1ki");
        assert!(
            m.starts_with(r#"invalid quantity "1ki": unable to parse quantity's suffix "ki""#),
            "{m}"
        );
        assert!(msg("1e").contains(r#"suffix "e""#));
        assert!(msg("").starts_with(r#"invalid quantity "": quantities must match"#));
        let m = match q("8E").milli_value() {
            Err(e) => e.to_string(),
            Ok(v) => panic!("unexpected {v}"),
        };
        assert_eq!(
            m,
            "quantity 8E is too large: its milli value does not fit in a signed 64-bit integer"
        );
    }

    #[test]
    fn parse_table_from_go() {
        // (input, value in nanounits) from quantity_test.go TestQuantityParse.
        let g: i128 = NANOS_PER_UNIT;
        let cases: &[(&str, i128)] = &[
            ("0", 0),
            ("0n", 0),
            ("0Ki", 0),
            ("0T", 0),
            ("1", g),
            ("1Ki", 1024 * g),
            ("8Ki", 8 * 1024 * g),
            ("7Mi", 7 * (1 << 20) * g),
            ("6Gi", 6 * (1 << 30) * g),
            ("5Ti", 5 * (1 << 40) * g),
            ("4Pi", 4 * (1 << 50) * g),
            ("3Ei", 3 * (1 << 60) * g),
            ("5n", 5),
            ("4u", 4_000),
            ("3m", 3_000_000),
            ("8k", 8_000 * g),
            ("50k", 50_000 * g),
            ("300T", 300 * 1_000_000_000_000 * g),
            ("1E", 1_000_000_000_000_000_000 * g),
            ("12E", 12_000_000_000_000_000_000 * g),
            ("1E-3", 1_000_000),
            ("1e3", 1000 * g),
            ("1E18", 1_000_000_000_000_000_000 * g),
            ("1e14", 100_000_000_000_000 * g),
            ("100.035k", 100_035 * g),
            ("0.001", 1_000_000),
            ("0.0005k", 500_000_000),
            ("0.00050k", 500_000_000),
            ("0.5e-2", 5_000_000),
            ("10.035M", 10_035_000 * g),
            ("1.2e3", 1200 * g),
            ("1.3E+6", 1_300_000 * g),
            ("1.53E12", 1_530_000_000_000 * g),
            ("6.987654321G", 6_987_654_321 * g),
            ("1.01E", 1_010_000_000_000_000_000 * g),
            ("3.001n", 4),
            ("1.1E-9", 2),
            ("0.0000000001", 1),
            ("0.0000000005", 1),
            ("0.5e-9", 1),
            ("0.9n", 1),
            ("0.00000012345", 124),
            ("0.00000012354", 124),
            ("9Ei", i128::from(i64::MAX) * g),
            ("9223372036854775807Ki", i128::from(i64::MAX) * g),
            ("100.035Ki", 102_435_840_000_000),
            ("0.5Mi", 524_288 * g),
            ("0.05Gi", 53_687_091_200_000_000),
            ("0.025Ti", 27_487_790_694_400_000_000),
            ("0.000000000001Ki", 2),
            (".001", 1_000_000),
            (".0001k", 100_000_000),
            ("1.", g),
            ("1.G", g * g),
            ("-1.5", -1_500_000_000),
            ("+1.5", 1_500_000_000),
            ("-0.000000000001Ki", -2),
            ("-9Ei", -i128::from(i64::MAX) * g),
            ("1e-1000", 1),
            ("0e999999999999", 0),
            ("007", 7 * g),
        ];
        for (input, nanos) in cases {
            assert_eq!(q(input).nanos, *nanos, "parsing {input:?}");
        }
    }

    #[test]
    fn formats_follow_suffix() {
        assert_eq!(q("1Ki").format(), QuantityFormat::BinarySi);
        assert_eq!(q("0Ki").format(), QuantityFormat::BinarySi);
        assert_eq!(q("0.5Ki").format(), QuantityFormat::BinarySi);
        assert_eq!(q("0.000000000001Ki").format(), QuantityFormat::DecimalSi);
        assert_eq!(q("1e3").format(), QuantityFormat::DecimalExponent);
        assert_eq!(q("1k").format(), QuantityFormat::DecimalSi);
        assert_eq!(q("1").format(), QuantityFormat::DecimalSi);
    }

    #[test]
    fn rounding_away_from_zero() {
        // Go `negativeScaleInt64`: "The value returned, if not exact, is
        // rounded away from zero."
        assert_eq!(q("1n").milli_value(), Ok(1));
        assert_eq!(q("-1n").milli_value(), Ok(-1));
        assert_eq!(q("1n").value(), Ok(1));
        assert_eq!(q("-1n").value(), Ok(-1));
        assert_eq!(q("1001m").value(), Ok(2));
        assert_eq!(q("-1001m").value(), Ok(-2));
        assert_eq!(q("-1500m").value(), Ok(-2));
        assert_eq!(q("-100m").value(), Ok(-1));
        assert_eq!(q("-1000m").value(), Ok(-1));
        assert_eq!(q("-1.0001m").milli_value(), Ok(-2));
        assert_eq!(q("-1.5").milli_value(), Ok(-1500));
        assert_eq!(q("-2").value(), Ok(-2));
        assert_eq!(q("1.0001m").milli_value(), Ok(2));
        assert_eq!(q("999u").milli_value(), Ok(1));
        assert_eq!(q("0").milli_value(), Ok(0));
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(q("9223372036854775807").value(), Ok(i64::MAX));
        assert!(q("9223372036854775808").value().is_err());
        assert_eq!(q("-9223372036854775808").value(), Ok(i64::MIN));
        assert!(q("9223372036854775807").milli_value().is_err());
        assert_eq!(q("9223372036854775807m").milli_value(), Ok(i64::MAX));
        assert_eq!(q("8Ei").value(), Ok(i64::MAX));
        assert!(q("100000000000000000000000000000").value().is_err());
        assert!(Quantity::parse("1e30").is_err());
        assert_eq!(q(&format!("1{}Ki", "0".repeat(40))).value(), Ok(i64::MAX)); // binary values saturate
        assert!(Quantity::parse(&format!("1.{}1", "0".repeat(200))).is_err());
    }

    #[test]
    fn predicates_and_ordering() {
        assert!(q("-1m").is_negative());
        assert!(!q("-0").is_negative());
        assert!(q("-0").is_zero());
        assert!(q("0Gi").is_zero());
        assert!(!q("1n").is_zero());
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1000m"), q("1"));
        assert!(q("100m") < q("1"));
        assert!(q("-1") < q("-1m"));
        assert!(q("1Ki") > q("1k"));
    }

    #[test]
    fn canonical_display_from_go() {
        // quantity_test.go TestQuantityParseEmit and TestQuantityString.
        let cases: &[(&str, &str)] = &[
            ("1Ki", "1Ki"),
            ("1Mi", "1Mi"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1000M", "1G"),
            (".001Ki", "1024m"),
            (".000001Ki", "1024u"),
            (".000000001Ki", "1024n"),
            (".000000000001Ki", "2n"),
            ("307200Ki", "300Mi"),
            ("6Ki", "6Ki"),
            ("1025024Mi", "1001Gi"),
            ("1024Gi", "1Ti"),
            ("0.001T", "1G"),
            ("1000u", "1m"),
            ("80m", "80m"),
            ("1.08", "1080m"),
            ("1080000000n", "1080m"),
            ("300M", "300M"),
            ("1T", "1T"),
            ("1234567M", "1234567M"),
            ("3k", "3k"),
            ("1025Ki", "1025Ki"),
            ("0", "0"),
            ("0Gi", "0"),
            ("00", "0"),
            (".001e12", "1e9"),
            ("0.001e0", "1e-3"),
            ("1000e-12", "1e-9"),
            ("80e-3", "80e-3"),
            ("300e6", "300e6"),
            ("3e3", "3e3"),
            ("1n", "1n"),
            ("1080n", "1080n"),
            ("1080u", "1080u"),
            ("100m", "100m"),
            ("0.5", "500m"),
            ("2", "2"),
            ("1.5Gi", "1536Mi"),
            ("1.5Ki", "1536"),
            ("0.5Ki", "512"),
            ("1023Ki", "1023Ki"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("123Mi", "123Mi"),
            ("10M", "10M"),
            ("1e3", "1e3"),
            ("1e0", "1"),
            ("12E", "12E"),
            ("1000E", "1000E"),
            ("1500E", "1500E"),
            ("9Ei", "9223372036854775807"),
            ("50k", "50k"),
            ("1.5k", "1500"),
        ];
        for (input, want) in cases {
            assert_eq!(q(input).to_string(), *want, "canonical form of {input:?}");
            if *want != "0" {
                assert_eq!(
                    q(&format!("-{input}")).to_string(),
                    format!("-{want}"),
                    "canonical form of -{input}"
                );
            }
            // The canonical form parses back to the same value.
            assert_eq!(q(want), q(input));
        }
        assert_eq!(Quantity::new(5, QuantityFormat::BinarySi).to_string(), "5");
        assert_eq!(
            Quantity::new(2048, QuantityFormat::BinarySi).to_string(),
            "2Ki"
        );
        assert_eq!(Quantity::new_milli(1500).to_string(), "1500m");
        assert_eq!(Quantity::new_milli(2000).to_string(), "2");
    }

    #[test]
    fn saturating_values() {
        assert_eq!(q("1500m").saturating_value(), 2);
        assert_eq!(q("-1500m").saturating_value(), -2);
        assert_eq!(q("250m").saturating_milli_value(), 250);
        assert_eq!(q("1e20").saturating_value(), i64::MAX);
        assert_eq!(q("-1e20").saturating_value(), i64::MIN);
        assert_eq!(q("9223372036854775807").saturating_milli_value(), i64::MAX);
        assert_eq!(q("-9223372036854775807").saturating_milli_value(), i64::MIN);
        assert_eq!(q("0").saturating_value(), 0);
    }

    #[test]
    fn cmp_from_go() {
        // quantity_test.go TestQuantityCmp.
        let cases: &[(&str, &str, Ordering)] = &[
            ("0", "0", Ordering::Equal),
            ("100m", "50m", Ordering::Greater),
            ("50m", "100m", Ordering::Less),
            ("10000T", "100Gi", Ordering::Greater),
            ("1Ki", "1024", Ordering::Equal),
            ("-1", "-1000m", Ordering::Equal),
            ("-1n", "0", Ordering::Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(q(a).cmp(&q(b)), *want, "{a} vs {b}");
        }
    }

    #[test]
    fn checked_add_is_exact_and_keeps_go_formats() {
        // (a, b, a + b printed): Go `Add` keeps a's format unless a is zero.
        let cases: &[(&str, &str, &str)] = &[
            ("10", "10", "20"),
            ("100m", "200m", "300m"),
            ("1", "500m", "1500m"),
            ("128Mi", "64Mi", "192Mi"),
            ("1Gi", "1Gi", "2Gi"),
            ("512Mi", "512Mi", "1Gi"),
            // BinarySI left operand: printed in bytes once not a power of 1024.
            ("100Mi", "1G", "1104857600"),
            ("1G", "100Mi", "1104857600"),
            ("1G", "1G", "2G"),
            ("1G", "1024Mi", "2073741824"),
            // Not a whole number of bytes: BinarySI falls back to DecimalSI.
            ("1Gi", "1m", "1073741824001m"),
            ("1e3", "1e3", "2e3"),
            ("1e3", "1", "1001"),
            ("0", "64Mi", "64Mi"),
            ("0Gi", "1k", "1k"),
            ("0", "1e3", "1e3"),
            ("64Mi", "0", "64Mi"),
            ("1Gi", "-1Gi", "0"),
            ("-1Gi", "512Mi", "-512Mi"),
            ("1n", "999999999n", "1"),
            ("0.000000001", "0.000000001", "2n"),
        ];
        for (a, b, want) in cases {
            let sum = q(a).checked_add(&q(b));
            assert_eq!(
                sum.map(|s| s.to_string()).as_deref(),
                Some(*want),
                "{a} + {b}"
            );
            // The sum is the exact value.
            assert_eq!(sum, Some(q(want)), "{a} + {b}");
        }
        assert_eq!(
            Quantity::new(0, QuantityFormat::BinarySi)
                .checked_add(&q("1k"))
                .map(|s| s.format()),
            Some(QuantityFormat::DecimalSi)
        );
        assert_eq!(
            q("1k")
                .checked_add(&Quantity::new(0, QuantityFormat::BinarySi))
                .map(|s| s.format()),
            Some(QuantityFormat::DecimalSi)
        );
        let big = q("100000000000000000000000000000");
        assert_eq!(big.checked_add(&big), None);
        assert_eq!(
            big.checked_add(&q("-1")),
            Some(q("99999999999999999999999999999"))
        );
    }

    #[test]
    fn saturating_add_clamps() {
        let big = q("100000000000000000000000000000");
        let neg = q("-100000000000000000000000000000");
        assert_eq!(big.saturating_add(&big).nanos, i128::MAX);
        assert_eq!(neg.saturating_add(&neg).nanos, -i128::MAX);
        assert_eq!(
            q("1Gi").saturating_add(&big).saturating_add(&big).format(),
            QuantityFormat::BinarySi
        );
        assert_eq!(q("1").saturating_add(&q("1")), q("2"));
        assert_eq!(q("0").saturating_add(&q("1Ki")).to_string(), "1Ki");
        // The clamped value still prints and parses back.
        let clamped = big.saturating_add(&big);
        assert_eq!(q(&clamped.to_string()), clamped);
    }

    #[test]
    fn parsed_quantity_prints_like_go_string() {
        // (input, Go `ParseQuantity(input).String()`): the fast path keeps
        // inputs that look canonical; the rest print canonically.
        let cases: &[(&str, &str)] = &[
            ("0", "0"),
            ("-0", "0"),
            ("00", "0"),
            ("0.0", "0"),
            ("0Gi", "0"),
            ("1", "1"),
            ("-1", "-1"),
            ("+1", "+1"),
            ("007", "007"),
            ("1.", "1."),
            ("1.G", "1.G"),
            ("100m", "100m"),
            ("+100m", "+100m"),
            ("1500", "1500"),
            ("1000", "1k"),
            ("1000m", "1"),
            ("0.5", "500m"),
            ("1.5", "1500m"),
            ("10.0", "10"),
            ("1.234k", "1.234k"),
            ("1.500k", "1.500k"),
            ("1.000k", "1k"),
            ("1.5k", "1500"),
            ("1e3", "1e3"),
            ("1E3", "1E3"),
            ("1e+3", "1e+3"),
            ("10e3", "10e3"),
            ("1.5e3", "1500"),
            ("12e6", "12e6"),
            ("129e6", "129e6"),
            ("1e-9", "1e-9"),
            ("1E-3", "1E-3"),
            ("1e-10", "1e-9"),
            ("0.0000000001", "1n"),
            ("1n", "1n"),
            ("1Ki", "1Ki"),
            ("+1Ki", "+1Ki"),
            ("01Ki", "01Ki"),
            ("-1Ki", "-1Ki"),
            ("8Ki", "8Ki"),
            ("2048Ki", "2Mi"),
            ("3072Ki", "3Mi"),
            ("1024Mi", "1Gi"),
            ("1025Ki", "1025Ki"),
            ("16331208Ki", "16331208Ki"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ki", "512"),
            ("128974848", "128974848"),
            // More than 18 digits: the slow path, canonical.
            ("0012345678901234567890", "12345678901234567890"),
            ("123456789012345678", "123456789012345678"),
            ("+123456789012345678", "+123456789012345678"),
            ("+1234567890123456789", "1234567890123456789"),
            // Binary fast path: at most 14 - 3 * exponent / 10 digits.
            ("+12345678901Ki", "+12345678901Ki"),
            ("+123456789012Ki", "123456789012Ki"),
            ("+10Ti", "+10Ti"),
            ("+100Ti", "100Ti"),
            ("+1Pi", "1Pi"),
            ("+1Ei", "1Ei"),
        ];
        for (input, want) in cases {
            let parsed = match ParsedQuantity::parse(input) {
                Ok(p) => p,
                Err(e) => panic!("{input:?} should parse: {e}"),
            };
            assert_eq!(parsed.to_string(), *want, "String() of {input:?}");
            assert_eq!(parsed.quantity(), q(input));
            assert_eq!(parsed, ParsedQuantity::from(q(want)));
        }
        assert!(ParsedQuantity::parse("1KB").is_err());
        assert!(ParsedQuantity::parse(" 1").is_err());
    }

    #[test]
    fn parsed_quantity_arithmetic_drops_the_text() {
        let parse = |s: &str| match ParsedQuantity::parse(s) {
            Ok(p) => p,
            Err(e) => panic!("{s:?} should parse: {e}"),
        };
        let mut a = parse("+1");
        assert_eq!(a.to_string(), "+1");
        a.add_saturating(&q("0"));
        assert_eq!(a.to_string(), "1");
        let mut b = parse("1.234k");
        b.add_saturating(&q("1"));
        assert_eq!(b.to_string(), "1235");
        let mut z = ParsedQuantity::from(Quantity::new(0, QuantityFormat::DecimalSi));
        assert_eq!(z.to_string(), "0");
        z.add_saturating(&q("64Mi"));
        assert_eq!(z.to_string(), "64Mi");
        assert!(parse("1") < parse("+2"));
        assert_eq!(parse("1Gi"), parse("1073741824"));
        let mut set = std::collections::HashSet::new();
        set.insert(parse("+1"));
        assert!(set.contains(&parse("1000m")));
        assert_eq!(ParsedQuantity::default().to_string(), "0");
    }

    #[test]
    fn k8s_openapi_conversions() {
        use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
        let k = K8sQuantity("250m".to_string());
        assert_eq!(
            Quantity::try_from(&k).and_then(|q| q.milli_value()),
            Ok(250)
        );
        let k = K8sQuantity(" 1Gi ".to_string());
        assert_eq!(Quantity::try_from(&k).and_then(|q| q.value()), Ok(1 << 30));
        assert!(Quantity::try_from(&K8sQuantity("1 Gi".to_string())).is_err());
        let back: K8sQuantity = (&q("1024Mi")).into();
        assert_eq!(back.0, "1Gi");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            if let Ok(v) = Quantity::parse(&s) {
                let _ = v.value();
                let _ = v.milli_value();
                let _ = v.to_string();
            }
        }

        #[test]
        fn quantity_like_strings_never_panic(s in "[-+]?[0-9]{0,40}[.]?[0-9]{0,40}[eEinumkKMGTP]{0,3}[-+]?[0-9]{0,12}") {
            if let Ok(v) = Quantity::parse(&s) {
                let _ = v.value();
                let _ = v.milli_value();
                let printed = v.to_string();
                // The canonical form always parses back to the same value.
                prop_assert_eq!(Quantity::parse(&printed).ok(), Some(v));
            }
        }

        #[test]
        fn the_plain_shape_parses_as_the_general_parser_does(
            digits in "[0-9]{1,19}",
            suffix in prop::sample::select(vec![
                "", "n", "u", "m", "k", "M", "G", "T", "P", "E",
                "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e3", "x",
            ]),
        ) {
            let s = format!("{digits}{suffix}");
            if let Some(plain) = Quantity::parse_plain(&s) {
                prop_assert_eq!(Ok(plain), Quantity::parse_general(&s));
            }
        }

        #[test]
        fn integers_round_trip(n in any::<i64>()) {
            let v = q(&n.to_string());
            prop_assert_eq!(v.value(), Ok(n));
            prop_assert_eq!(v.to_string().parse::<Quantity>().ok(), Some(v));
            prop_assert_eq!(parse_bytes(&v.to_string()), Ok(n));
        }

        #[test]
        fn millis_round_trip(n in -9_000_000_000_000i64..9_000_000_000_000) {
            prop_assert_eq!(parse_cpu_millis(&format!("{n}m")), Ok(n));
            prop_assert_eq!(parse_cpu_millis(&Quantity::new_milli(n).to_string()), Ok(n));
        }

        #[test]
        fn binary_round_trip(n in 0i64..8_000_000, suffix in 0usize..4) {
            let s = ["Ki", "Mi", "Gi", "Ti"][suffix];
            let v = q(&format!("{n}{s}"));
            prop_assert_eq!(v.value(), Ok(n << (10 * (suffix + 1))));
            prop_assert_eq!(q(&v.to_string()), v);
        }
    }
}
