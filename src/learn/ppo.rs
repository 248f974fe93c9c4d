//! PPO's arithmetic (Schulman et al. 2017, as CleanRL writes it): generalised advantage
//! estimates over each agent's episode, and the update — clipped surrogate, value loss,
//! entropy bonus, gradients clipped to a global norm — on minibatches drawn with our keyed
//! random streams. candle computes the gradients; nothing here differentiates by hand.
//!
//! The policy that acts is the network's `π_θ` projected onto the agent's power budget: with
//! the uniform default policy that is `softmax(β · logits)` with the β the projection chose when
//! the action was drawn. The ratio and the entropy are those of that acting policy, with β held
//! at its drawn value (a budget that binds changes β with θ; that dependence is not followed).
//! A learned principal's row holds one choice per bracket ([`Samples::heads`]): its policy is
//! the product of one softmax per bracket, so `ln π` and the entropy are the brackets' sums.

use candle_core::{D, DType, Tensor};

use super::adam::Adam;
use super::net::{DEVICE, Policy, Result, err};
use crate::rng::{self, Purpose};
use crate::scenario::LearningSpec;

/// One network's samples from one update's episodes, rows in `(tick, world, agent)` order.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Observation length.
    pub dim: usize,
    /// Observations, `rows × dim`.
    pub obs: Vec<f32>,
    /// Independent choices per row (0 or 1: one; a learned principal: one per bracket).
    pub heads: usize,
    /// The action drawn (index into `Action::ALL`), or a row's `heads` choices in turn.
    pub actions: Vec<u32>,
    /// β of the projection.
    pub betas: Vec<f32>,
    /// `ln π(action)` of the acting policy.
    pub logp: Vec<f32>,
    /// The reward that followed.
    pub rewards: Vec<f32>,
    /// The critic's value of the observation when the action was drawn.
    pub values: Vec<f32>,
}

impl Samples {
    /// Rows.
    pub fn len(&self) -> usize {
        self.actions.len() / self.heads.max(1)
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// Generalised advantage estimates and returns for rows laid out `(tick, world, agent)` over
/// `ticks` ticks and `lanes` = worlds × agents trajectories, each ending (terminally) at its
/// last tick.
pub fn gae(
    rewards: &[f32],
    values: &[f32],
    ticks: usize,
    lanes: usize,
    gamma: f64,
    lambda: f64,
) -> (Vec<f32>, Vec<f32>) {
    let mut adv = vec![0.0f32; rewards.len()];
    for lane in 0..lanes {
        let mut running = 0.0f64;
        for t in (0..ticks).rev() {
            let row = t * lanes + lane;
            let next = if t + 1 < ticks { values[row + lanes] as f64 } else { 0.0 };
            let delta = rewards[row] as f64 + gamma * next - values[row] as f64;
            running = delta + gamma * lambda * running;
            adv[row] = running as f32;
        }
    }
    let ret = adv.iter().zip(values).map(|(a, v)| a + v).collect();
    (adv, ret)
}

/// What one update did, averaged over its minibatches.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// The acting policy's mean entropy (nats).
    pub entropy: f64,
    /// The approximate KL between the policies before and after (`(r − 1) − ln r`).
    pub approx_kl: f64,
    /// The fraction of samples whose ratio was clipped.
    pub clip_fraction: f64,
    /// The value loss (½ mean squared error).
    pub value_loss: f64,
    /// The clipped surrogate's loss.
    pub policy_loss: f64,
}

fn scalar(t: &Tensor) -> candle_core::Result<f64> {
    t.to_dtype(DType::F64)?.to_scalar::<f64>()
}

/// PPO's update of network `k` on `s` with advantages `adv` and returns `ret`; minibatches are
/// shuffled with the stream keyed by `seed`.
#[allow(clippy::too_many_arguments)]
pub fn update(
    policy: &Policy,
    k: usize,
    adam: &mut Adam,
    s: &Samples,
    adv: &[f32],
    ret: &[f32],
    spec: &LearningSpec,
    seed: u64,
) -> Result<Stats> {
    let n = s.len();
    if n == 0 {
        return Ok(Stats::default());
    }
    // Samples that are no numbers (rewards that overflowed, say) would make the loss NaN: the
    // update is refused before any step, so the weights stay as the last update left them.
    for (what, values) in [("return", ret), ("advantage", adv), ("observation", &s.obs[..])] {
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(format!("the training diverged: a sample's {what} is {v}, so the loss is NaN"));
        }
    }
    let net = &policy.nets[k];
    let vars = policy.vars_of(k);
    let obs = Tensor::from_slice(&s.obs, (n, s.dim), &DEVICE).map_err(err)?;
    let heads = s.heads.max(1);
    let actions = Tensor::from_slice(&s.actions, (n, heads), &DEVICE).map_err(err)?;
    let betas = Tensor::from_slice(&s.betas, (n, 1), &DEVICE).map_err(err)?;
    let logp_old = Tensor::from_slice(&s.logp, n, &DEVICE).map_err(err)?;
    let returns = Tensor::from_slice(ret, n, &DEVICE).map_err(err)?;
    let size = n.div_ceil(spec.minibatches as usize);
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut totals = Stats::default();
    let mut batches = 0.0;
    for epoch in 0..spec.epochs {
        rng::stream(seed, epoch as u64, k as u64, Purpose::Learn).shuffle(&mut order);
        for chunk in order.chunks(size) {
            let mut step = || -> candle_core::Result<Stats> {
                let m = chunk.len();
                let idx = Tensor::from_slice(chunk, m, &DEVICE)?;
                let o = obs.index_select(&idx, 0)?;
                let a = actions.index_select(&idx, 0)?;
                let b = betas.index_select(&idx, 0)?;
                let old = logp_old.index_select(&idx, 0)?;
                let r = returns.index_select(&idx, 0)?;
                // Advantages normalised within the minibatch.
                let raw: Vec<f32> = chunk.iter().map(|&i| adv[i as usize]).collect();
                let mean = raw.iter().map(|&x| x as f64).sum::<f64>() / m as f64;
                let var = raw.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (m.max(2) - 1) as f64;
                let sd = var.sqrt() + 1e-8;
                let normed: Vec<f32> = raw.iter().map(|&x| ((x as f64 - mean) / sd) as f32).collect();
                let advantage = Tensor::from_vec(normed, m, &DEVICE)?;

                let features = net.features(&o)?;
                let logits = net.logits(&features)?.broadcast_mul(&b)?;
                // One softmax per head: rows × heads × choices (one head: rows × actions).
                let (logp_all, logp) = if heads == 1 {
                    let all = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
                    let logp = all.gather(&a, 1)?.squeeze(1)?;
                    (all, logp)
                } else {
                    let k = logits.dim(1)? / heads;
                    let all = candle_nn::ops::log_softmax(&logits.reshape((m, heads, k))?, D::Minus1)?;
                    let logp = all.gather(&a.unsqueeze(2)?, 2)?.squeeze(2)?.sum(1)?;
                    (all.reshape((m, heads * k))?, logp)
                };
                let logratio = (&logp - &old)?;
                let ratio = logratio.exp()?;
                let eps = spec.clip;
                let pg1 = (&ratio * &advantage)?;
                let pg2 = (ratio.clamp(1.0 - eps, 1.0 + eps)? * &advantage)?;
                let policy_loss = pg1.minimum(&pg2)?.mean_all()?.neg()?;
                let entropy = (logp_all.exp()? * &logp_all)?.sum(1)?.mean_all()?.neg()?;
                let v = net.value(&features)?.squeeze(1)?;
                let value_loss = ((&v - &r)?.sqr()?.mean_all()? * 0.5)?;
                let loss = ((&policy_loss - (&entropy * spec.entropy_coef)?)? + (&value_loss * spec.value_coef)?)?;
                // A loss or gradient that is no number would turn every weight into NaN (or,
                // clipped, leave them as they were): the training has diverged; say so.
                let diverged = |what: &str, v: f64| {
                    candle_core::Error::msg(format!(
                        "the training diverged: the {what} is {v} (policy loss {}, value loss {})",
                        scalar(&policy_loss).unwrap_or(f64::NAN),
                        scalar(&value_loss).unwrap_or(f64::NAN)
                    ))
                };
                let total = scalar(&loss)?;
                if !total.is_finite() {
                    return Err(diverged("loss", total));
                }
                let grads = loss.backward()?;
                let g: Vec<Tensor> = vars
                    .iter()
                    .map(|v| match grads.get(v.as_tensor()) {
                        Some(g) => Ok(g.clone()),
                        None => v.as_tensor().zeros_like(),
                    })
                    .collect::<candle_core::Result<_>>()?;
                let mut norm2 = 0.0;
                for t in &g {
                    norm2 += scalar(&t.sqr()?.sum_all()?)?;
                }
                let norm = norm2.sqrt();
                if !norm.is_finite() {
                    return Err(diverged("gradient's norm", norm));
                }
                let scale = if norm > spec.max_grad_norm { spec.max_grad_norm / (norm + 1e-6) } else { 1.0 };
                adam.step(&g, scale).map_err(candle_core::Error::msg)?;
                let ratio_v = ratio.to_vec1::<f32>()?;
                let lr_v = logratio.to_vec1::<f32>()?;
                let kl = ratio_v.iter().zip(&lr_v).map(|(&r, &l)| (r as f64 - 1.0) - l as f64).sum::<f64>() / m as f64;
                let clipped = ratio_v.iter().filter(|&&r| (r as f64 - 1.0).abs() > eps).count() as f64 / m as f64;
                Ok(Stats {
                    entropy: scalar(&entropy)?,
                    approx_kl: kl,
                    clip_fraction: clipped,
                    value_loss: scalar(&value_loss)?,
                    policy_loss: scalar(&policy_loss)?,
                })
            };
            let st = step().map_err(err)?;
            totals.entropy += st.entropy;
            totals.approx_kl += st.approx_kl;
            totals.clip_fraction += st.clip_fraction;
            totals.value_loss += st.value_loss;
            totals.policy_loss += st.policy_loss;
            batches += 1.0;
        }
    }
    Ok(Stats {
        entropy: totals.entropy / batches,
        approx_kl: totals.approx_kl / batches,
        clip_fraction: totals.clip_fraction / batches,
        value_loss: totals.value_loss / batches,
        policy_loss: totals.policy_loss / batches,
    })
}
