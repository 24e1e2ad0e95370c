//! An exponential moving average of a module's weights, the model a run writes when
//! `TrainConfig::ema` is set.
//!
//! Why: the walk integrates the learned score along the torsions, where a small
//! systematic error shifts whole basin populations, and on alanine dipeptide that
//! error moved from checkpoint to checkpoint of one run (mean force along ψ +0.20,
//! −0.58, +0.38 k_BT/rad) while the average of the three checkpoints' jumps read
//! 0.00: much of it is the noise of the last optimiser steps, which averaging the
//! weights over the run's tail removes without more data or compute.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{backend::Backend, Tensor};

/// The average of a module's weights over the steps it was shown, each step's
/// weights decaying by `decay` per later step.
#[derive(Debug, Clone)]
pub struct WeightAverage<M> {
    pub average: M,
    decay: f64,
}

/// A step's weight on the old average: `decay`, but less early on, so the average
/// does not cling to where the run started (the usual warm-up (1+t)/(10+t)).
pub fn keep_at(decay: f64, step: usize) -> f64 {
    let t = step as f64;
    decay.min((1.0 + t) / (10.0 + t))
}

impl<M> WeightAverage<M> {
    /// Start the average at `start` (the weights before the first step).
    pub fn new(start: M, decay: f64) -> Self {
        Self {
            average: start,
            decay,
        }
    }

    /// Fold in the weights after step `step` (0-based, counting a resumed run's
    /// earlier steps): average ← k·average + (1−k)·current, k = [`keep_at`].
    pub fn update<B: Backend>(&mut self, current: &M, step: usize)
    where
        M: Module<B>,
    {
        let mut collect = Collect::<B> { tensors: vec![] };
        current.visit(&mut collect);
        let mut blend = Blend {
            current: collect.tensors.into_iter(),
            keep: keep_at(self.decay, step),
        };
        self.average = self.average.clone().map(&mut blend);
        // Both walks visit the same module type in the same field order.
        debug_assert!(blend.current.next().is_none(), "same parameters");
    }
}

/// Every float parameter, flattened, in visiting order.
struct Collect<B: Backend> {
    tensors: Vec<Tensor<B, 1>>,
}

impl<B: Backend> ModuleVisitor<B> for Collect<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let t = param.val();
        let n = t.shape().num_elements();
        self.tensors.push(t.reshape([n]));
    }
}

/// Blends each float parameter with the next collected one, in the same order.
struct Blend<B: Backend> {
    current: std::vec::IntoIter<Tensor<B, 1>>,
    keep: f64,
}

impl<B: Backend> ModuleMapper<B> for Blend<B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, average, mapper) = param.consume();
        let current = self
            .current
            .next()
            .expect("the averaged module has the parameters of the trained one")
            .reshape(average.shape());
        let blended = average * self.keep + current * (1.0 - self.keep);
        Param::from_mapped_value(id, blended, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::TensorData;

    type B = burn_ndarray::NdArray<f32>;

    fn weights(l: &Linear<B>) -> Vec<f32> {
        let mut w: Vec<f32> = l.weight.val().into_data().to_vec().unwrap();
        if let Some(b) = &l.bias {
            w.extend(b.val().into_data().to_vec::<f32>().unwrap());
        }
        w
    }

    /// The same layer with every weight and bias set to `values` (in `weights` order).
    fn with_weights(l: &Linear<B>, values: &[f32]) -> Linear<B> {
        let device = Default::default();
        let [i, o] = l.weight.val().dims();
        let mut l = l.clone();
        l.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(values[..i * o].to_vec(), [i, o]),
            &device,
        ));
        l.bias = Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(values[i * o..].to_vec(), [o]),
            &device,
        )));
        l
    }

    #[test]
    fn the_average_follows_the_recursion_in_every_weight_and_bias() {
        let device = Default::default();
        let layer = LinearConfig::new(3, 2).init::<B>(&device);
        let n = weights(&layer).len();
        let start: Vec<f32> = (0..n).map(|k| k as f32).collect();
        let mut avg = WeightAverage::new(with_weights(&layer, &start), 0.9);
        let mut want: Vec<f64> = start.iter().map(|&v| v as f64).collect();
        for step in 0..40 {
            let now: Vec<f32> = (0..n).map(|k| ((step * 7 + k * 3) % 11) as f32).collect();
            avg.update(&with_weights(&layer, &now), step);
            let keep = keep_at(0.9, step);
            for (w, &v) in want.iter_mut().zip(&now) {
                *w = keep * *w + (1.0 - keep) * v as f64;
            }
        }
        for (got, want) in weights(&avg.average).iter().zip(&want) {
            assert!((*got as f64 - want).abs() < 1e-4, "{got} against {want}");
        }
    }

    /// The claim behind it: weights that scatter around a centre step by step (as SGD's
    /// do around a minimum) average to nearer the centre than the last step's weights
    /// are. The last weights are the control: their error does not shrink.
    #[test]
    fn averaging_noisy_weights_lands_nearer_their_centre_than_the_last_step() {
        use rand::{Rng, SeedableRng};
        let device = Default::default();
        let layer = LinearConfig::new(4, 4).init::<B>(&device);
        let n = weights(&layer).len();
        let centre: Vec<f32> = (0..n).map(|k| (k as f32 * 0.37).sin()).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut noisy = || -> Vec<f32> {
            centre
                .iter()
                .map(|c| c + rng.random_range(-1.0f32..1.0))
                .collect()
        };
        let mut avg = WeightAverage::new(with_weights(&layer, &noisy()), 0.99);
        let mut last = vec![];
        for step in 0..2000 {
            last = noisy();
            avg.update(&with_weights(&layer, &last), step);
        }
        let rms = |w: &[f32]| {
            (w.iter()
                .zip(&centre)
                .map(|(a, c)| (a - c).powi(2))
                .sum::<f32>()
                / n as f32)
                .sqrt()
        };
        let (e_avg, e_last) = (rms(&weights(&avg.average)), rms(&last));
        // Uniform noise has RMS 0.58; an average over ~200 independent steps, ~0.04.
        assert!(
            e_last > 0.3,
            "control: the last step stays noisy ({e_last})"
        );
        assert!(e_avg < 0.1, "the average is {e_avg} from the centre");
    }

    #[test]
    fn the_warm_up_lets_the_first_steps_replace_the_start() {
        assert!(keep_at(0.999, 0) < 0.11);
        assert!((keep_at(0.999, 100_000) - 0.999).abs() < 1e-12);
        assert_eq!(keep_at(0.0, 5), 0.0, "decay 0 keeps only the last weights");
    }
}
