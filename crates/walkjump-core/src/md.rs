//! Reference dynamics: underdamped Langevin ([`crate::langevin`], BAOAB) at unit mass.

use crate::error::{Error, Result};
use crate::langevin::{Integrator, Phase, Splitting};
use crate::rng::WjRng;
use crate::systems::System;

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct LangevinParams {
    pub dt: f64,
    pub gamma: f64,
    pub kt: f64,
}

impl Default for LangevinParams {
    fn default() -> Self {
        LangevinParams {
            dt: 0.005,
            gamma: 1.0,
            kt: 1.0,
        }
    }
}

/// State of one Langevin trajectory.
pub struct Langevin<'a> {
    pub system: &'a dyn System,
    pub params: LangevinParams,
    pub x: Vec<f64>,
    pub v: Vec<f64>,
    pub force: Vec<f64>,
    pub energy: f64,
    noise: Vec<f64>,
    /// Steps taken, for the divergence report.
    steps: u64,
}

impl<'a> Langevin<'a> {
    pub fn new(system: &'a dyn System, params: LangevinParams, x0: Vec<f64>) -> Result<Self> {
        if !(params.dt > 0.0 && params.gamma >= 0.0 && params.kt > 0.0) {
            return Err(Error::Parameter(format!(
                "Langevin needs dt > 0, gamma >= 0, kT > 0 (got {params:?})"
            )));
        }
        let n = system.dim();
        let mut force = vec![0.0; n];
        let energy = system.energy_and_forces(&x0, &mut force);
        Ok(Langevin {
            system,
            params,
            x: x0,
            v: vec![0.0; n],
            force,
            energy,
            noise: vec![0.0; n],
            steps: 0,
        })
    }

    /// One BAOAB step. Fails with [`Error::Diverged`], rather than returning NaN, if
    /// the state blows up.
    pub fn step(&mut self, rng: &mut WjRng) -> Result<()> {
        let LangevinParams { dt, gamma, kt } = self.params;
        let integrator = Integrator {
            dt,
            gamma,
            kt,
            mass: 1.0,
            splitting: Splitting::Baoab,
        };
        let phase = Phase {
            x: &mut self.x,
            v: &mut self.v,
            force: &mut self.force,
            noise: &mut self.noise,
        };
        let system = self.system;
        self.energy = integrator.step(phase, rng, |x, f, _| Ok(system.energy_and_forces(x, f)))?;
        self.steps += 1;
        let detail = if !self.energy.is_finite() {
            format!("energy {}", self.energy)
        } else if self.v.iter().any(|v| !v.is_finite()) {
            "velocity not finite".into()
        } else {
            return Ok(());
        };
        Err(Error::Diverged {
            what: "MD".into(),
            step: self.steps,
            detail,
            fix: format!(
                "lower the time step (--dt, now {dt}) or check the starting structure and the potential"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;
    use crate::systems::DoubleWell;

    #[test]
    fn a_run_that_blows_up_says_so_and_what_to_change() {
        // ωΔt ≈ 3 in the double well's minimum: past BAOAB's stability limit of 2.
        let params = LangevinParams {
            dt: 0.5,
            ..Default::default()
        };
        let mut rng = seeded(1);
        let mut md = Langevin::new(&DoubleWell, params, DoubleWell.initial(&mut rng)).unwrap();
        let e = (0..1000)
            .find_map(|_| md.step(&mut rng).err())
            .expect("Δt = 0.5 diverges in the double well");
        assert!(matches!(e, Error::Diverged { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.starts_with("MD diverged at step "), "{msg}");
        assert!(msg.contains("lower the time step (--dt, now 0.5)"), "{msg}");
    }
}
