//! Seeded randomness: a platform-independent generator for shuffles and draws, and seeded
//! initialization of burn modules (the backend's generator behind one lock).

use burn::prelude::*;
use memlab_shared::model::{Classifier, ClassifierConfig};

/// A small deterministic generator (SplitMix64) for shuffling: the same seed gives the same
/// order on every platform and every version of memlab.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The generator's state (what [`SplitMix64::from_state`] goes on from).
    pub fn state(&self) -> u64 {
        self.0
    }

    /// A generator that goes on from a saved [`SplitMix64::state`].
    pub fn from_state(state: u64) -> Self {
        Self(state)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform draw from `[0, 1)` (53 random bits).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for index in (1..items.len()).rev() {
            let other = (self.next_u64() % (index as u64 + 1)) as usize;
            items.swap(index, other);
        }
    }
}

/// Serializes every use of the backend's random generator (seeded initializations, posterior
/// sampling): it may be shared by the process, so two users at once would interleave draws.
static RNG_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `draw` while no other part of memlab draws from the backend's generator.
pub fn with_rng<T>(draw: impl FnOnce() -> T) -> T {
    let _guard = RNG_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    draw()
}

/// Reads every parameter, so lazily initialized weights are drawn now.
struct Materialize;

impl burn::module::ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// Initializes `config` on `device` with weights drawn from a generator seeded with `seed`:
/// the same seed gives the same weights (drawn inside the lock, not lazily later).
pub fn seeded_init(config: &ClassifierConfig, device: &Device, seed: u64) -> Classifier {
    seeded(device, seed, || config.init(device))
}

/// Builds any module with `build` while `device`'s generator is seeded with `seed`, drawing
/// every weight inside the lock: the same seed gives the same weights.
pub fn seeded<M: Module>(device: &Device, seed: u64, build: impl FnOnce() -> M) -> M {
    with_rng(|| {
        device.seed(seed);
        let model = build();
        model.visit(&mut Materialize);
        model
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<usize> = (0..100).collect();
        let mut b = a.clone();
        SplitMix64::new(7).shuffle(&mut a);
        SplitMix64::new(7).shuffle(&mut b);
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_ne!(a, (0..100).collect::<Vec<_>>());
    }
}
