//! Object metadata helpers: virtual time as API timestamps, uids, generated
//! names, owner references and conditions.
//!
//! Virtual time zero is mapped to a fixed wall-clock instant, [`EPOCH_UNIX_SECS`]
//! (2025-04-23T00:00:00Z, the day Kubernetes v1.33 was released), so every
//! timestamp a run writes is the same on every machine.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;
use rand::Rng;

use super::object::Object;
use crate::time::{SimDuration, SimTime};

/// Unix seconds of virtual time zero: 2025-04-23T00:00:00Z.
pub const EPOCH_UNIX_SECS: i64 = 1_745_366_400;

/// The wall-clock instant of a virtual time, at nanosecond precision.
pub fn timestamp(t: SimTime) -> Timestamp {
    let nanos = i128::from(EPOCH_UNIX_SECS) * 1_000_000_000 + i128::from(t.as_nanos());
    Timestamp::from_nanosecond(nanos).unwrap_or(Timestamp::MAX)
}

/// A `metav1.Time` (second precision, as the API server stores it).
pub fn time(t: SimTime) -> Time {
    let secs = EPOCH_UNIX_SECS
        .saturating_add(i64::try_from(t.as_nanos() / 1_000_000_000).unwrap_or(i64::MAX));
    Time(Timestamp::from_second(secs).unwrap_or(Timestamp::MAX))
}

/// A `metav1.MicroTime` (microsecond precision).
pub fn micro_time(t: SimTime) -> MicroTime {
    let micros =
        EPOCH_UNIX_SECS * 1_000_000 + i64::try_from(t.as_nanos() / 1_000).unwrap_or(i64::MAX / 2);
    MicroTime(Timestamp::from_microsecond(micros).unwrap_or(Timestamp::MAX))
}

/// The virtual time of an API timestamp (saturating at zero for instants before the epoch).
pub fn sim_time_of(ts: &Timestamp) -> SimTime {
    let nanos = ts.as_nanosecond() - i128::from(EPOCH_UNIX_SECS) * 1_000_000_000;
    SimTime::from_nanos(u64::try_from(nanos.max(0)).unwrap_or(u64::MAX))
}

/// Seconds as a virtual duration, negative values clamped to zero.
pub fn secs(s: i64) -> SimDuration {
    SimDuration::from_secs(u64::try_from(s).unwrap_or(0))
}

/// The alphabet of generated name suffixes (k8s.io/apimachinery/pkg/util/rand:
/// consonants without vowels, digits without 0, 1 and 3, so that no words form).
pub const NAME_SUFFIX_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// Longest prefix kept from `generateName` (k8s.io/apiserver/pkg/storage/names).
pub const MAX_GENERATED_NAME_BASE: usize = 58;

/// Five random characters from the suffix alphabet.
pub fn random_suffix(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(NAME_SUFFIX_ALPHABET[rng.random_range(0..NAME_SUFFIX_ALPHABET.len())]))
        .collect()
}

/// A name from `generateName`: the base cut to 58 characters plus 5 random ones.
pub fn generate_name(base: &str, rng: &mut impl Rng) -> String {
    let cut = base
        .char_indices()
        .nth(MAX_GENERATED_NAME_BASE)
        .map(|(i, _)| i)
        .unwrap_or(base.len());
    format!("{}{}", &base[..cut], random_suffix(rng, 5))
}

/// A random (version 4) UUID drawn from a seeded stream, formatted as Kubernetes uids are.
pub fn new_uid(rng: &mut impl Rng) -> String {
    let uuid = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
    uuid.hyphenated()
        .encode_lower(&mut uuid::Uuid::encode_buffer())
        .to_owned()
}

/// An ownerReference to `owner`, marked as its controller when `controller` is set
/// (with blockOwnerDeletion, as controllers set it).
pub fn owner_reference(owner: &Object, controller: bool) -> OwnerReference {
    OwnerReference {
        api_version: owner.kind().api_version().to_owned(),
        kind: owner.kind().name().to_owned(),
        name: owner.name().to_owned(),
        uid: owner.uid().to_owned(),
        controller: controller.then_some(true),
        block_owner_deletion: controller.then_some(true),
    }
}

/// The controller ownerReference of an object, if any.
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|r| r.controller == Some(true))
}

/// True when the object is being deleted.
pub fn is_terminating(meta: &ObjectMeta) -> bool {
    meta.deletion_timestamp.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn epoch_is_the_v1_33_release_day() {
        let t = serde_json::to_value(time(SimTime::ZERO)).unwrap();
        assert_eq!(t, "2025-04-23T00:00:00Z");
        let t = serde_json::to_value(time(SimTime::from_nanos(61_500_000_000))).unwrap();
        assert_eq!(t, "2025-04-23T00:01:01Z");
        let m = serde_json::to_value(micro_time(SimTime::from_nanos(1_500_000_000))).unwrap();
        assert_eq!(m, "2025-04-23T00:00:01.500000Z");
        assert_eq!(
            sim_time_of(&timestamp(SimTime::from_nanos(42))),
            SimTime::from_nanos(42)
        );
    }

    #[test]
    fn generated_names_use_the_real_alphabet_and_length() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let n = generate_name("nginx-7c5ddbdf54-", &mut rng);
        assert_eq!(n.len(), "nginx-7c5ddbdf54-".len() + 5);
        assert!(n[17..].bytes().all(|b| NAME_SUFFIX_ALPHABET.contains(&b)));
        let long = "a".repeat(70);
        assert_eq!(generate_name(&long, &mut rng).len(), 63);
    }

    #[test]
    fn uids_look_like_uuid_v4() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let u = new_uid(&mut rng);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4", "version 4");
        assert!("89ab".contains(&u[19..20]), "RFC 4122 variant");
        assert_eq!(u.matches('-').count(), 4);
    }
}
