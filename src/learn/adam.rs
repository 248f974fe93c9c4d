//! Adam (Kingma & Ba), written over candle's tensors so its moments can be saved and a killed
//! training run resumed exactly (candle-nn's `AdamW` keeps them private). Gradients come from
//! candle's autodiff; this is only the update rule.

use candle_core::{Tensor, Var};

use super::net::{Result, err};

/// Adam's state for a list of variables.
#[derive(Debug)]
pub struct Adam {
    vars: Vec<Var>,
    first: Vec<Tensor>,
    second: Vec<Tensor>,
    /// Steps taken.
    pub steps: u64,
    /// The learning rate.
    pub lr: f64,
}

/// β₁, β₂ and ε (CleanRL's PPO: ε = 1e-5).
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-5;

impl Adam {
    /// Fresh state (zero moments) for `vars`.
    pub fn new(vars: Vec<Var>, lr: f64) -> Result<Adam> {
        let zeros = |v: &Var| v.as_tensor().zeros_like().map_err(err);
        let first = vars.iter().map(zeros).collect::<Result<Vec<_>>>()?;
        let second = vars.iter().map(zeros).collect::<Result<Vec<_>>>()?;
        Ok(Adam { vars, first, second, steps: 0, lr })
    }

    /// One step with the gradients `grads` (one per variable, same order), scaled by `scale`.
    pub fn step(&mut self, grads: &[Tensor], scale: f64) -> Result<()> {
        self.steps += 1;
        let t = self.steps as i32;
        let (c1, c2) = (1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t));
        for (k, var) in self.vars.iter().enumerate() {
            let mut run = || -> candle_core::Result<()> {
                let g = grads[k].affine(scale, 0.0)?;
                let m = ((&self.first[k] * BETA1)? + (&g * (1.0 - BETA1))?)?;
                let v = ((&self.second[k] * BETA2)? + (g.sqr()? * (1.0 - BETA2))?)?;
                let step = ((&m / c1)? / ((&v / c2)?.sqrt()? + EPS)?)?;
                var.set(&(var.as_tensor() - (step * self.lr)?)?)?;
                self.first[k] = m;
                self.second[k] = v;
                Ok(())
            };
            run().map_err(err)?;
        }
        Ok(())
    }

    /// The moments, for saving: `(first, second)` per variable.
    pub fn moments(&self) -> (&[Tensor], &[Tensor]) {
        (&self.first, &self.second)
    }

    /// Restores saved moments and the step count.
    pub fn restore(&mut self, first: Vec<Tensor>, second: Vec<Tensor>, steps: u64) -> Result<()> {
        if first.len() != self.vars.len() || second.len() != self.vars.len() {
            return Err("the optimiser's saved state does not match the network".into());
        }
        for ((f, s), v) in first.iter().zip(&second).zip(&self.vars) {
            if f.dims() != v.as_tensor().dims() || s.dims() != v.as_tensor().dims() {
                return Err("the optimiser's saved state does not match the network's shapes".into());
            }
        }
        self.first = first;
        self.second = second;
        self.steps = steps;
        Ok(())
    }
}
