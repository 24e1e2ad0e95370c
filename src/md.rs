//! Reference dynamics: underdamped Langevin with BAOAB splitting at k_BT = 1, unit mass.

use crate::error::{Error, Result};
use crate::rng::{fill_normal, WjRng};
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
        })
    }

    /// One BAOAB step. Fails, rather than returning NaN, if the state blows up.
    pub fn step(&mut self, rng: &mut WjRng) -> Result<()> {
        let LangevinParams { dt, gamma, kt } = self.params;
        let c1 = (-gamma * dt).exp();
        let c2 = ((1.0 - c1 * c1) * kt).sqrt();
        for i in 0..self.x.len() {
            self.v[i] += 0.5 * dt * self.force[i];
            self.x[i] += 0.5 * dt * self.v[i];
        }
        fill_normal(rng, &mut self.noise);
        for i in 0..self.x.len() {
            self.v[i] = c1 * self.v[i] + c2 * self.noise[i];
            self.x[i] += 0.5 * dt * self.v[i];
        }
        self.energy = self.system.energy_and_forces(&self.x, &mut self.force);
        for i in 0..self.x.len() {
            self.v[i] += 0.5 * dt * self.force[i];
        }
        if !self.energy.is_finite() || self.v.iter().any(|v| !v.is_finite()) {
            return Err(Error::Parameter(format!(
                "MD diverged (energy {}); lower --dt",
                self.energy
            )));
        }
        Ok(())
    }
}
