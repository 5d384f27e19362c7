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
mod tests;
