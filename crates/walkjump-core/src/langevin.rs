//! The one underdamped Langevin integrator: reference MD ([`crate::md`]), the walk in
//! y ([`crate::sampler`]) and the energy denoiser's inner chain
//! ([`crate::denoiser::energy`]) all step with [`Integrator::step`], and the walk
//! held on a burn device (walkjump-nn's `device_walk`) with [`Integrator::advance`],
//! the same splitting over any [`Splittable`] state.
//!
//! It integrates dx = v dt, M dv = F(x) dt − γ M v dt + √(2γ M kT) dW by splitting
//! into the updates
//!
//! - **B** (kick, h): v ← v + h F(x)/M,
//! - **A** (drift, h): x ← x + h v,
//! - **O** (thermostat, Δt, exact): v ← c₁ v + c₂ ξ, c₁ = e^{−γΔt}, c₂ = √((1 − c₁²) kT/M),
//!
//! composed as BAOAB (B A O A B) or ABOBA (A B O B A) with h = Δt/2 (Leimkuhler and
//! Matthews, Appl. Math. Res. Express 2013). The force is a callback, evaluated once a
//! step: at the end of the step for BAOAB (the force of the last B is kept for the
//! first B of the next step) and at the middle of the step for ABOBA (after the first
//! A). The callback sees x at that point, so a caller that records something with the
//! force (the walk records y with its jump) records it where the force was evaluated.
//!
//! For a harmonic potential, BAOAB's positions sample ⟨x²⟩ = kT/k exactly at any stable
//! step; ABOBA's do at the end of the step, and at its middle (the force point)
//! ⟨x²⟩ = kT/k / (1 − (ωΔt/2)²): the tests below check both, with a negative control.
//!
//! The state is flat slices, so one call can advance many chains at once (the walk
//! batches its chains through one denoiser call). The Gaussian draws for O are made
//! with one [`fill_normal`] over the whole state, after the first half of the step,
//! and the force callback is handed the same generator (a stochastic force, such as
//! the energy denoiser, draws from the stream in step order).

use crate::error::Result;
use crate::rng::{fill_normal, WjRng};

/// The order of the updates in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Splitting {
    /// B A O A B: force at the end of the step.
    Baoab,
    /// A B O B A: force at the middle of the step.
    Aboba,
}

/// Coefficients of the exact Ornstein–Uhlenbeck update v ← c₁ v + c₂ ξ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OStep {
    pub c1: f64,
    pub c2: f64,
}

impl OStep {
    /// c₁ = e^{−γΔt}, c₂ = √((1 − c₁²) kT/M): the fluctuation–dissipation pair that
    /// keeps the Maxwell distribution of v (variance kT/M) invariant.
    pub fn new(gamma: f64, dt: f64, kt: f64, mass: f64) -> Self {
        let c1 = (-gamma * dt).exp();
        OStep {
            c1,
            c2: ((1.0 - c1 * c1) * kt / mass).sqrt(),
        }
    }

    /// v ← c₁ v + c₂ ξ with ξ drawn into `noise` (one standard normal per coordinate).
    pub fn apply(&self, v: &mut [f64], noise: &mut [f64], rng: &mut WjRng) {
        fill_normal(rng, noise);
        for (v, n) in v.iter_mut().zip(noise.iter()) {
            *v = self.c1 * *v + self.c2 * n;
        }
    }
}

/// B: v ← v + h F/M.
pub fn kick(v: &mut [f64], force: &[f64], h: f64, inv_mass: f64) {
    for (v, f) in v.iter_mut().zip(force) {
        *v += h * f * inv_mass;
    }
}

/// A: x ← x + h v.
pub fn drift(x: &mut [f64], v: &[f64], h: f64) {
    for (x, v) in x.iter_mut().zip(v) {
        *x += h * v;
    }
}

/// One Langevin integrator: step, friction, temperature, mass and splitting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Integrator {
    pub dt: f64,
    pub gamma: f64,
    pub kt: f64,
    pub mass: f64,
    pub splitting: Splitting,
}

/// The buffers one step works on, all of one length (coordinates × chains). `force`
/// holds F(x) on entry for BAOAB (ABOBA overwrites it before use) and F at the force
/// point on return; `noise` is scratch for the O update.
pub struct Phase<'a> {
    pub x: &'a mut [f64],
    pub v: &'a mut [f64],
    pub force: &'a mut [f64],
    pub noise: &'a mut [f64],
}

impl Integrator {
    /// The O-step coefficients of this integrator.
    pub fn o_step(&self) -> OStep {
        OStep::new(self.gamma, self.dt, self.kt, self.mass)
    }

    /// One step. `force(x, f, rng)` writes F(x) into `f` and returns whatever the
    /// caller wants back from it (an energy, or nothing); its error ends the step.
    pub fn step<T>(
        &self,
        phase: Phase<'_>,
        rng: &mut WjRng,
        force: impl FnMut(&[f64], &mut [f64], &mut WjRng) -> Result<T>,
    ) -> Result<T> {
        self.step_with(self.o_step(), phase, rng, force)
    }

    /// [`Integrator::step`] with given O coefficients (the tests' negative controls
    /// use wrong ones).
    fn step_with<T>(
        &self,
        o: OStep,
        phase: Phase<'_>,
        rng: &mut WjRng,
        mut force: impl FnMut(&[f64], &mut [f64], &mut WjRng) -> Result<T>,
    ) -> Result<T> {
        let mut state = HostState { phase, rng };
        self.advance(o, &mut state, |s| force(s.phase.x, s.phase.force, s.rng))
    }

    /// One step of any [`Splittable`] state with O coefficients `o`: the order of the
    /// updates, written once for the host walk, MD and the device walk. `force` makes
    /// F at the state's current x (and returns what its caller wants back).
    pub fn advance<S: Splittable + ?Sized, T>(
        &self,
        o: OStep,
        s: &mut S,
        mut force: impl FnMut(&mut S) -> Result<T>,
    ) -> Result<T> {
        let h = 0.5 * self.dt;
        let h_over_m = h / self.mass;
        match self.splitting {
            Splitting::Baoab => {
                s.kick(h_over_m);
                s.drift(h);
                s.thermostat(o);
                s.drift(h);
                let out = force(s)?;
                s.kick(h_over_m);
                Ok(out)
            }
            Splitting::Aboba => {
                s.drift(h);
                let out = force(s)?;
                s.kick(h_over_m);
                s.thermostat(o);
                s.kick(h_over_m);
                s.drift(h);
                Ok(out)
            }
        }
    }
}

/// A state the integrator can advance: the three updates a splitting is made of, on
/// whatever memory the state lives in (host slices here; burn tensors for the device
/// walk in walkjump-nn), so that [`Integrator::advance`] holds the one order of them.
pub trait Splittable {
    /// B: v ← v + (h/M) F, with F the force last made.
    fn kick(&mut self, h_over_m: f64);
    /// A: x ← x + h v.
    fn drift(&mut self, h: f64);
    /// O: v ← c₁ v + c₂ ξ with fresh standard normals ξ.
    fn thermostat(&mut self, o: OStep);
}

/// The host buffers and the generator the O update draws from.
struct HostState<'a, 'r> {
    phase: Phase<'a>,
    rng: &'r mut WjRng,
}

impl Splittable for HostState<'_, '_> {
    fn kick(&mut self, h_over_m: f64) {
        kick(self.phase.v, self.phase.force, h_over_m, 1.0);
    }
    fn drift(&mut self, h: f64) {
        drift(self.phase.x, self.phase.v, h);
    }
    fn thermostat(&mut self, o: OStep) {
        o.apply(self.phase.v, self.phase.noise, self.rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    /// A 1-D harmonic oscillator U = k x²/2 at kT, mass M: ω = √(k/M).
    const K: f64 = 2.0;
    const KT: f64 = 0.7;
    const MASS: f64 = 0.5;

    fn integrator(splitting: Splitting) -> Integrator {
        // ωΔt = 1: a moderate step, where ABOBA's midpoint bias is 4/3.
        Integrator {
            dt: 0.5,
            gamma: 1.0,
            kt: KT,
            mass: MASS,
            splitting,
        }
    }

    /// ⟨x²⟩ over a run, at the end of the step and at the force point, each as
    /// (mean, standard error by batch means).
    fn second_moments(lang: Integrator, o: OStep, seed: u64) -> [(f64, f64); 2] {
        let (batches, per_batch, burn_in) = (100, 2_000, 1_000);
        let mut rng = seeded(seed);
        let (mut x, mut v, mut f, mut noise) = ([0.0], [0.0], [0.0], [0.0]);
        f[0] = -K * x[0];
        let mut means = [vec![], vec![]];
        for b in 0..batches + 1 {
            let mut sums = [0.0, 0.0];
            for _ in 0..if b == 0 { burn_in } else { per_batch } {
                let phase = Phase {
                    x: &mut x,
                    v: &mut v,
                    force: &mut f,
                    noise: &mut noise,
                };
                let at_force = lang
                    .step_with(o, phase, &mut rng, |x, f, _| {
                        f[0] = -K * x[0];
                        Ok(x[0] * x[0])
                    })
                    .unwrap();
                sums[0] += x[0] * x[0];
                sums[1] += at_force;
            }
            if b > 0 {
                for (m, s) in means.iter_mut().zip(sums) {
                    m.push(s / per_batch as f64);
                }
            }
        }
        means.map(|m| {
            let n = m.len() as f64;
            let mean = m.iter().sum::<f64>() / n;
            let var = m.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / (n - 1.0);
            (mean, (var / n).sqrt())
        })
    }

    /// How many standard errors `got` lies from `want`.
    fn z((mean, se): (f64, f64), want: f64) -> f64 {
        (mean - want) / se
    }

    /// The wrong coefficient a first-order discretisation gives: noise variance
    /// 2γΔt kT/M beside the exact friction e^{−γΔt}, which heats the oscillator by
    /// 2γΔt/(1 − e^{−2γΔt}) ≈ 1.58 here.
    fn euler_maruyama_o(lang: &Integrator) -> OStep {
        OStep {
            c1: (-lang.gamma * lang.dt).exp(),
            c2: (2.0 * lang.gamma * lang.dt * lang.kt / lang.mass).sqrt(),
        }
    }

    #[test]
    fn baoab_samples_the_harmonic_oscillator_exactly_in_x() {
        // Claim: BAOAB's positions have ⟨x²⟩ = kT/k at any stable step (ωΔt < 2), and
        // so do those at its force point (the end of the step, the same points).
        let lang = integrator(Splitting::Baoab);
        let [end, at_force] = second_moments(lang, lang.o_step(), 1);
        let want = KT / K;
        assert!(z(end, want).abs() < 4.0, "⟨x²⟩ = {end:?}, want {want}");
        assert_eq!(end, at_force);
        // The check can fail: its standard error is under 2 % of kT/k.
        assert!(end.1 < 0.02 * want, "{end:?}");
    }

    #[test]
    fn baoab_with_a_wrong_o_coefficient_is_caught() {
        // Negative control: the same check on the same run with the Euler–Maruyama
        // noise coefficient sees the oscillator too hot.
        let lang = integrator(Splitting::Baoab);
        let [end, _] = second_moments(lang, euler_maruyama_o(&lang), 1);
        assert!(z(end, KT / K) > 10.0, "⟨x²⟩ = {end:?}");
    }

    #[test]
    fn aboba_samples_the_harmonic_oscillator_exactly_at_the_end_of_the_step() {
        // Claim: ABOBA's end-of-step positions have ⟨x²⟩ = kT/k, and its force-point
        // (midpoint) positions ⟨x²⟩ = kT/k / (1 − (ωΔt/2)²), 4/3 of it at ωΔt = 1.
        let lang = integrator(Splitting::Aboba);
        let [end, mid] = second_moments(lang, lang.o_step(), 2);
        let want = KT / K;
        let omega_h = (K / MASS).sqrt() * lang.dt / 2.0;
        let want_mid = want / (1.0 - omega_h * omega_h);
        assert!(z(end, want).abs() < 4.0, "⟨x²⟩ end = {end:?}, want {want}");
        assert!(
            z(mid, want_mid).abs() < 4.0,
            "⟨x²⟩ mid = {mid:?}, want {want_mid}"
        );
        // The two claims are told apart: the midpoint is not at kT/k.
        assert!(z(mid, want) > 10.0, "{mid:?}");
    }

    #[test]
    fn aboba_with_a_wrong_o_coefficient_is_caught() {
        let lang = integrator(Splitting::Aboba);
        let [end, mid] = second_moments(lang, euler_maruyama_o(&lang), 2);
        let omega_h = (K / MASS).sqrt() * lang.dt / 2.0;
        assert!(z(end, KT / K) > 10.0, "⟨x²⟩ end = {end:?}");
        assert!(z(mid, KT / K / (1.0 - omega_h * omega_h)) > 10.0, "{mid:?}");
    }

    #[test]
    fn a_free_particle_keeps_the_maxwell_velocity_variance() {
        // Claim: with F = 0 the velocity is an exact Ornstein–Uhlenbeck process, so
        // ⟨v²⟩ = kT/M at any step, which ties c₂ to the mass.
        let lang = integrator(Splitting::Baoab);
        let mut rng = seeded(3);
        let (mut x, mut v, mut f, mut noise) =
            (vec![0.0; 4], vec![0.0; 4], vec![0.0; 4], vec![0.0; 4]);
        let (mut sum, mut n) = (0.0, 0.0);
        for s in 0..50_000 {
            let phase = Phase {
                x: &mut x,
                v: &mut v,
                force: &mut f,
                noise: &mut noise,
            };
            lang.step(phase, &mut rng, |_, f, _| {
                f.fill(0.0);
                Ok(())
            })
            .unwrap();
            if s >= 100 {
                sum += v.iter().map(|v| v * v).sum::<f64>();
                n += v.len() as f64;
            }
        }
        let got = sum / n;
        // ~200,000 draws correlated over ~1/(γΔt) = 2 steps: se ≈ 0.5 %.
        assert!((got / (KT / MASS) - 1.0).abs() < 0.025, "⟨v²⟩ = {got}");
    }
}
