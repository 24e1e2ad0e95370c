//! The walk held on a burn device: y, v, the score and the jumps are tensors on the
//! network's backend, the Langevin updates are tensor operations (the one splitting,
//! [`Integrator::advance`]), the noise is drawn on the device, and a step is device
//! work only. The host sees the state at jump steps (every `jump_every` steps): the
//! recorded y and x̂, and one flag a chain for divergence.
//!
//! [`Integrator::advance`]: walkjump_core::langevin::Integrator::advance
//!
//! The device works in f32, the host walk ([`WalkJump`](walkjump_core::sampler::WalkJump))
//! in f64; `tests/device_walk.rs` checks that the statistics do not move (exact 2-D
//! laws) and that both walks follow the same deterministic path.

use crate::denoiser::LearnedDenoiser;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};
use walkjump_core::denoiser::Denoiser;
use walkjump_core::error::{Error, Result};
use walkjump_core::langevin::{OStep, Splittable};
use walkjump_core::rng::{seeded, WjRng};
use walkjump_core::sampler::{
    chain_starts, noisy_start, ChiralityGuard, JumpKind, StepReport, Walk, WalkParams,
};

/// A denoiser whose input and output stay on the device: x̂(y) for y [chains, dim].
pub trait TensorDenoiser<B: Backend>: Send {
    fn name(&self) -> String;
    fn dim(&self) -> usize;
    fn denoise(&mut self, y: Tensor<B, 2>, sigma: f64) -> Result<Tensor<B, 2>>;
    /// A chain was restarted: forget any state kept for it.
    fn reset_chain(&mut self, _chain: usize) {}
}

impl<B: Backend> TensorDenoiser<B> for LearnedDenoiser<B>
where
    B::Device: Send,
{
    fn name(&self) -> String {
        Denoiser::name(self)
    }
    fn dim(&self) -> usize {
        Denoiser::dim(self)
    }
    fn denoise(&mut self, y: Tensor<B, 2>, sigma: f64) -> Result<Tensor<B, 2>> {
        self.check_sigma(sigma);
        Ok(self.denoise_tensor(y))
    }
}

/// x̂(y) = y on the device at no cost: times the device walk's own arithmetic.
pub struct DeviceIdentity {
    pub dim: usize,
}

impl<B: Backend> TensorDenoiser<B> for DeviceIdentity {
    fn name(&self) -> String {
        "identity".into()
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn denoise(&mut self, y: Tensor<B, 2>, _sigma: f64) -> Result<Tensor<B, 2>> {
        Ok(y)
    }
}

/// A host [`Denoiser`] driven from the device walk, copying y down and x̂ up on every
/// call: how the exact 2-D denoisers check the device walk's arithmetic.
pub struct OnHost<B: Backend> {
    pub denoiser: Box<dyn Denoiser>,
    pub device: B::Device,
    rng: WjRng,
}

impl<B: Backend> OnHost<B> {
    pub fn new(denoiser: Box<dyn Denoiser>, device: B::Device, seed: u64) -> Self {
        OnHost {
            denoiser,
            device,
            rng: seeded(seed),
        }
    }
}

impl<B: Backend> TensorDenoiser<B> for OnHost<B>
where
    B::Device: Send,
{
    fn name(&self) -> String {
        self.denoiser.name()
    }
    fn dim(&self) -> usize {
        self.denoiser.dim()
    }
    fn denoise(&mut self, y: Tensor<B, 2>, sigma: f64) -> Result<Tensor<B, 2>> {
        let shape = y.dims();
        let host = to_host(y)?;
        let mut mean = vec![0.0; host.len()];
        self.denoiser
            .denoise(&host, sigma, &mut self.rng, &mut mean, None)?;
        Ok(to_device(&mean, shape, &self.device))
    }
    fn reset_chain(&mut self, chain: usize) {
        self.denoiser.reset_chain(chain);
    }
}

/// f64 host values as an f32 device tensor.
pub fn to_device<B: Backend>(v: &[f64], shape: [usize; 2], device: &B::Device) -> Tensor<B, 2> {
    let flat: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    Tensor::from_data(TensorData::new(flat, shape), device)
}

/// A device tensor read back as f64 host values.
pub fn to_host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Result<Vec<f64>> {
    let v: Vec<f32> =
        t.into_data().convert::<f32>().to_vec().map_err(|e| {
            Error::Denoiser(format!("reading a tensor back from the device: {e:?}"))
        })?;
    Ok(v.into_iter().map(f64::from).collect())
}

/// The walk's tensors, [chains, dim] each.
struct State<B: Backend> {
    y: Tensor<B, 2>,
    v: Tensor<B, 2>,
    /// The clipped score at the last force point: the force of the next kick.
    force: Tensor<B, 2>,
    xhat: Tensor<B, 2>,
    /// The y that `xhat` was evaluated at (BAOAB: end of step; ABOBA: middle).
    y_jump: Tensor<B, 2>,
}

// By hand: a derive would ask for `B: Clone`. Tensors clone as handles.
impl<B: Backend> Clone for State<B> {
    fn clone(&self) -> Self {
        State {
            y: self.y.clone(),
            v: self.v.clone(),
            force: self.force.clone(),
            xhat: self.xhat.clone(),
            y_jump: self.y_jump.clone(),
        }
    }
}

/// The state at the last jump step, kept while a chirality guard is set: the device
/// tensors (handles, no copy) and the host's y and x̂.
struct Saved<B: Backend> {
    state: State<B>,
    y_host: Vec<f64>,
    xhat_host: Vec<f64>,
}

impl<B: Backend> Splittable for State<B> {
    fn kick(&mut self, h_over_m: f64) {
        self.v = self.v.clone() + self.force.clone() * h_over_m;
    }
    fn drift(&mut self, h: f64) {
        self.y = self.y.clone() + self.v.clone() * h;
    }
    fn thermostat(&mut self, o: OStep) {
        let xi: Tensor<B, 2> = Tensor::random(
            self.v.dims(),
            Distribution::Normal(0.0, 1.0),
            &self.v.device(),
        );
        self.v = self.v.clone() * o.c1 + xi * o.c2;
    }
}

impl<B: Backend> State<B> {
    /// One denoiser call at the current y: the jumps, their y, and the clipped score.
    fn evaluate(&mut self, den: &mut dyn TensorDenoiser<B>, p: &WalkParams) -> Result<()> {
        let xhat = den.denoise(self.y.clone(), p.sigma)?;
        let mut score = (xhat.clone() - self.y.clone()) / (p.sigma * p.sigma);
        if let Some(clip) = p.clip {
            // Each chain's score scaled to at most `clip` in norm (a zero norm gives an
            // infinite ratio, clamped to 1).
            let norm = score.clone().powi_scalar(2).sum_dim(1).sqrt();
            score = score * (norm.recip() * clip).clamp_max(1.0);
        }
        self.force = score;
        self.xhat = xhat;
        self.y_jump = self.y.clone();
        Ok(())
    }

    /// 1 for each chain whose y, v or x̂ is not finite or beyond `bound`, else 0: [chains].
    fn diverged(&self, bound: f64) -> Result<Vec<bool>> {
        let bad = |t: &Tensor<B, 2>| {
            t.clone()
                .is_nan()
                .bool_or(t.clone().abs().greater_elem(bound))
                .float()
                .sum_dim(1)
        };
        let flags = to_host(bad(&self.y) + bad(&self.v) + bad(&self.xhat))?;
        Ok(flags.into_iter().map(|f| f > 0.0).collect())
    }
}

/// What both the start and a change of parameters accept: valid parameters and mean
/// jumps (the device walk draws no x ~ p(x|y)).
fn check_params<B: Backend>(params: &WalkParams, den: &dyn TensorDenoiser<B>) -> Result<()> {
    params.validate()?;
    if params.jump == JumpKind::Sample {
        return Err(Error::Parameter(format!(
            "the device walk records mean jumps only; {} cannot draw x ~ p(x|y)",
            den.name()
        )));
    }
    Ok(())
}

pub struct DeviceWalk<B: Backend> {
    params: WalkParams,
    den: Box<dyn TensorDenoiser<B>>,
    device: B::Device,
    chains: usize,
    dim: usize,
    state: State<B>,
    starts: Vec<Vec<f64>>,
    /// Places restarted chains (the device draws the walk's own noise).
    rng: WjRng,
    /// The state as of the last jump step, on the host.
    y_host: Vec<f64>,
    xhat_host: Vec<f64>,
    steps: u64,
    restarts: usize,
    guard: Option<ChiralityGuard>,
    saved: Option<Saved<B>>,
}

impl<B: Backend> DeviceWalk<B>
where
    B::Device: Send,
{
    /// Chains start at y = x₀ + σε with v = 0, drawn on the host exactly as
    /// [`WalkJump::new`](walkjump_core::sampler::WalkJump::new) draws them for the
    /// same seed; the device's generator is seeded from `seed` too.
    pub fn new(
        params: WalkParams,
        mut den: Box<dyn TensorDenoiser<B>>,
        device: B::Device,
        starts: Vec<Vec<f64>>,
        chains: usize,
        seed: u64,
    ) -> Result<Self> {
        check_params(&params, den.as_ref())?;
        let dim = den.dim();
        let starts = chain_starts(&starts, dim, chains, &den.name())?;
        let mut rng = seeded(seed);
        let mut y = vec![0.0; dim * chains];
        for (c, s) in starts.iter().enumerate() {
            noisy_start(s, params.sigma, &mut rng, &mut y[c * dim..(c + 1) * dim]);
        }
        B::seed(&device, seed);
        let y = to_device::<B>(&y, [chains, dim], &device);
        let zeros = || Tensor::<B, 2>::zeros([chains, dim], &device);
        let mut state = State {
            y,
            v: zeros(),
            force: zeros(),
            xhat: zeros(),
            y_jump: zeros(),
        };
        state.evaluate(den.as_mut(), &params)?;
        let mut walk = DeviceWalk {
            params,
            den,
            device,
            chains,
            dim,
            state,
            starts,
            rng,
            y_host: vec![],
            xhat_host: vec![],
            steps: 0,
            restarts: 0,
            guard: None,
            saved: None,
        };
        walk.download()?;
        Ok(walk)
    }

    /// At a jump step, after the download: chains whose jump turned a centre over go
    /// back to the last jump step's state with their velocity reversed
    /// (`walkjump_core::sampler::guard`), masked on the device; then this state is
    /// saved.
    fn guard_jumps(&mut self) -> Result<Vec<usize>> {
        let Some(g) = self.guard.as_mut() else {
            return Ok(vec![]);
        };
        let d = self.dim;
        let xhat = &self.xhat_host;
        let rejected = g.reject(self.chains, |c| &xhat[c * d..(c + 1) * d]);
        if let (false, Some(s)) = (rejected.is_empty(), &self.saved) {
            let mut flags = vec![0.0; self.chains * d];
            for &c in &rejected {
                let r = c * d..(c + 1) * d;
                flags[r.clone()].fill(1.0);
                self.xhat_host[r.clone()].copy_from_slice(&s.xhat_host[r.clone()]);
                self.y_host[r.clone()].copy_from_slice(&s.y_host[r]);
                self.den.reset_chain(c);
            }
            let back = to_device::<B>(&flags, [self.chains, d], &self.device).greater_elem(0.5);
            let take =
                |now: &Tensor<B, 2>, then: Tensor<B, 2>| now.clone().mask_where(back.clone(), then);
            let st = &mut self.state;
            st.y = take(&st.y, s.state.y.clone());
            st.v = take(&st.v, s.state.v.clone().neg());
            st.force = take(&st.force, s.state.force.clone());
            st.xhat = take(&st.xhat, s.state.xhat.clone());
            st.y_jump = take(&st.y_jump, s.state.y_jump.clone());
        }
        self.save();
        Ok(rejected)
    }

    fn save(&mut self) {
        self.saved = self.guard.as_ref().map(|_| Saved {
            state: self.state.clone(),
            y_host: self.y_host.clone(),
            xhat_host: self.xhat_host.clone(),
        });
    }

    /// Bring the recorded y and x̂ to the host.
    fn download(&mut self) -> Result<()> {
        self.y_host = to_host(self.state.y_jump.clone())?;
        self.xhat_host = to_host(self.state.xhat.clone())?;
        Ok(())
    }

    /// Diverged chains back to a fresh noisy start with v = 0, and a new denoiser call
    /// (as the host walk does; here checked at jump steps only, which is when anything
    /// is read from the device).
    fn restart_diverged(&mut self) -> Result<Vec<usize>> {
        let bad: Vec<usize> = self
            .state
            .diverged(self.params.divergence_bound)?
            .into_iter()
            .enumerate()
            .filter_map(|(c, b)| b.then_some(c))
            .collect();
        if bad.is_empty() {
            return Ok(bad);
        }
        let d = self.dim;
        let mut y = to_host(self.state.y.clone())?;
        let mut v = to_host(self.state.v.clone())?;
        for &c in &bad {
            noisy_start(
                &self.starts[c],
                self.params.sigma,
                &mut self.rng,
                &mut y[c * d..(c + 1) * d],
            );
            v[c * d..(c + 1) * d].fill(0.0);
            self.den.reset_chain(c);
            tracing::warn!(chain = c, step = self.steps, "chain diverged; restarted");
        }
        self.state.y = to_device::<B>(&y, [self.chains, d], &self.device);
        self.state.v = to_device::<B>(&v, [self.chains, d], &self.device);
        self.state.evaluate(self.den.as_mut(), &self.params)?;
        self.restarts += bad.len();
        Ok(bad)
    }
}

impl<B: Backend> Walk for DeviceWalk<B>
where
    B::Device: Send,
{
    fn step(&mut self) -> Result<StepReport> {
        let DeviceWalk {
            params, den, state, ..
        } = self;
        params
            .integrator()
            .advance(params.integrator().o_step(), state, |s| {
                s.evaluate(den.as_mut(), params)
            })?;
        self.steps += 1;
        let jumped = self.steps.is_multiple_of(self.params.jump_every as u64);
        let (mut restarted, mut rejected) = (vec![], vec![]);
        if jumped {
            restarted = self.restart_diverged()?;
            self.download()?;
            rejected = self.guard_jumps()?;
        }
        Ok(StepReport {
            restarted,
            rejected,
            jumped,
        })
    }
    fn chains(&self) -> usize {
        self.chains
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn params(&self) -> WalkParams {
        self.params
    }
    fn jump_of(&self, c: usize) -> &[f64] {
        &self.xhat_host[c * self.dim..(c + 1) * self.dim]
    }
    fn y_of(&self, c: usize) -> &[f64] {
        &self.y_host[c * self.dim..(c + 1) * self.dim]
    }
    fn restarts(&self) -> usize {
        self.restarts
    }
    fn set_guard(&mut self, guard: Option<ChiralityGuard>) {
        self.guard = guard;
        self.save();
    }
    fn chirality_guard(&self) -> Option<&ChiralityGuard> {
        self.guard.as_ref()
    }
    fn denoiser_name(&self) -> String {
        // "learned:x (σ=0.4, wgpu)" becomes "learned:x (σ=0.4, wgpu, walk on the device)".
        let name = self.den.name();
        match name.strip_suffix(')') {
            Some(open) => format!("{open}, walk on the device)"),
            None => format!("{name} (walk on the device)"),
        }
    }
    fn steps(&self) -> u64 {
        self.steps
    }
    /// A new σ or clip changes the force: the denoiser is called again, as on the host.
    fn set_params(&mut self, params: WalkParams) -> Result<()> {
        check_params(&params, self.den.as_ref())?;
        let refresh = params.sigma != self.params.sigma || params.clip != self.params.clip;
        self.params = params;
        if refresh {
            self.state.evaluate(self.den.as_mut(), &self.params)?;
            self.download()?;
        }
        // A rejected chain must go back to a state of these parameters.
        self.save();
        Ok(())
    }
    fn rebuilt(
        self: Box<Self>,
        params: WalkParams,
        starts: Vec<Vec<f64>>,
        chains: usize,
        seed: u64,
    ) -> Result<Box<dyn Walk>> {
        let DeviceWalk {
            den, device, guard, ..
        } = *self;
        let mut w = DeviceWalk::new(params, den, device, starts, chains, seed)?;
        w.set_guard(guard);
        Ok(Box::new(w))
    }
}
