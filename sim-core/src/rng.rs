//! Seeded randomness: one independent ChaCha stream per component.
//!
//! Every random draw in a run comes from a [`ChaCha8Rng`] created here. All
//! streams share the scenario seed as their key and differ in the ChaCha
//! stream number, which is a stable hash of the component's name
//! (`"kube-scheduler"`, `"kubelet/worker-1"`, ...). Adding a component, or a
//! component drawing more numbers, therefore never changes another component's
//! draws.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Hands out the per-component random streams of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngStreams {
    seed: u64,
}

impl RngStreams {
    /// Streams keyed by the scenario `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// The scenario seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream of the component called `name`.
    pub fn stream(&self, name: &str) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stable_hash(name));
        rng
    }
}

/// FNV-1a, 64 bit: a hash that is the same on every machine and every release.
pub fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_seed_and_name_give_the_same_stream() {
        let s = RngStreams::new(42);
        let a: Vec<u32> = (0..8)
            .map(|_| 0)
            .scan(s.stream("x"), |r, _: u32| Some(r.random()))
            .collect();
        let b: Vec<u32> = (0..8)
            .map(|_| 0)
            .scan(s.stream("x"), |r, _: u32| Some(r.random()))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn streams_differ_by_name_and_seed() {
        let a: u64 = RngStreams::new(1).stream("kube-scheduler").random();
        let b: u64 = RngStreams::new(1).stream("kubelet/worker-1").random();
        let c: u64 = RngStreams::new(2).stream("kube-scheduler").random();
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn stable_hash_is_fnv1a() {
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
