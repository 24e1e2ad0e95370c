//! Seeded random numbers shared by MD, the sampler and the denoisers.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

pub type WjRng = SmallRng;

pub fn seeded(seed: u64) -> WjRng {
    SmallRng::seed_from_u64(seed)
}

/// Fill `out` with independent standard normal draws.
pub fn fill_normal(rng: &mut WjRng, out: &mut [f64]) {
    for v in out.iter_mut() {
        *v = rng.sample(StandardNormal);
    }
}

pub fn normal(rng: &mut WjRng) -> f64 {
    rng.sample(StandardNormal)
}
