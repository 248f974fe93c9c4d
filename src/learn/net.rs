//! The networks of a learned policy: per network a tanh trunk of the group's hidden widths
//! shared by an actor head (one logit per action) and a critic head (a value), in candle (one
//! trunk: the update's forward and backward passes cost half what two networks would). Weights are drawn from our keyed random streams in name order (never candle's
//! unseeded CPU generator), saved as safetensors with the [`crate::policy_file`] header, and
//! hashed in name order, so the same seed gives the same bytes on any thread count.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, Var};

use crate::policy_file::Header;
use crate::rng::{self, Purpose};

/// candle's errors, as text for our messages.
pub type Result<T> = std::result::Result<T, String>;

/// candle's error as text, without the backtrace candle adds to it when `RUST_BACKTRACE` is
/// set (30 lines of candle's frames between a message and its hint).
pub fn err(e: candle_core::Error) -> String {
    match e {
        candle_core::Error::WithBacktrace { inner, .. } => err(*inner),
        e => e.to_string(),
    }
}

/// One network: a tanh trunk shared by two linear heads, the actor (one logit per action)
/// and the critic (a value).
#[derive(Clone, Debug)]
pub struct Net {
    /// The trunk's layers, input first: `(weight (out × in), bias (out))`, tanh after each.
    pub trunk: Vec<(Var, Var)>,
    /// Last width → logits.
    pub actor: (Var, Var),
    /// Last width → value.
    pub critic: (Var, Var),
}

fn linear(x: &Tensor, (w, b): &(Var, Var)) -> candle_core::Result<Tensor> {
    x.matmul(&w.as_tensor().t()?)?.broadcast_add(b.as_tensor())
}

impl Net {
    /// The trunk's features for a batch `x` (rows × inputs).
    pub fn features(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.trunk {
            h = linear(&h, layer)?.tanh()?;
        }
        Ok(h)
    }
    /// Logits from features.
    pub fn logits(&self, features: &Tensor) -> candle_core::Result<Tensor> {
        linear(features, &self.actor)
    }
    /// Values (rows × 1) from features.
    pub fn value(&self, features: &Tensor) -> candle_core::Result<Tensor> {
        linear(features, &self.critic)
    }
    /// Every variable with its name (unprefixed), in name order.
    pub fn named(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for (l, (w, b)) in self.trunk.iter().enumerate() {
            out.push((format!("trunk.{l}.weight"), w.clone()));
            out.push((format!("trunk.{l}.bias"), b.clone()));
        }
        for (head, (w, b)) in [("actor", &self.actor), ("critic", &self.critic)] {
            out.push((format!("{head}.weight"), w.clone()));
            out.push((format!("{head}.bias"), b.clone()));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// A group's learned policy: its header and its networks (one, or one per agent).
#[derive(Clone, Debug)]
pub struct Policy {
    /// What it is for.
    pub header: Header,
    /// The networks.
    pub nets: Vec<Net>,
}

/// The CPU device everything runs on.
pub const DEVICE: Device = Device::Cpu;

impl Policy {
    /// A freshly initialised policy: weights uniform with variance `gain² / fan_in` (gain √2
    /// for the trunk, 0.01 for the actor head so the first policy is near uniform, 1 for the
    /// critic head), biases 0 — each tensor drawn from its own stream keyed by `seed` and its
    /// name.
    pub fn init(header: Header, seed: u64) -> Policy {
        let mut tensors = HashMap::new();
        for (name, shape) in header.shapes() {
            let n: usize = shape.iter().product();
            let values = if name.ends_with(".bias") {
                vec![0.0f32; n]
            } else {
                let fan_in = shape[1] as f64;
                let gain = if name.contains("actor.") {
                    0.01
                } else if name.contains("critic.") {
                    1.0
                } else {
                    2f64.sqrt()
                };
                let bound = gain * (3.0 / fan_in).sqrt();
                let mut st = rng::stream(seed, 0, crate::hash::of(name.as_bytes()), Purpose::Learn);
                (0..n).map(|_| ((2.0 * st.unit() - 1.0) * bound) as f32).collect()
            };
            let t = Tensor::from_vec(values, shape, &DEVICE).expect("a tensor of the shape's size");
            tensors.insert(name, t);
        }
        Policy::from_tensors(header, &tensors).expect("init makes every tensor")
    }

    /// A policy from its tensors by name (as a file holds them).
    pub fn from_tensors(header: Header, tensors: &HashMap<String, Tensor>) -> Result<Policy> {
        let var = |name: String| -> Result<Var> {
            let t = tensors.get(&name).ok_or_else(|| format!("tensor `{name}` is missing"))?;
            Var::from_tensor(&t.to_dtype(DType::F32).map_err(err)?).map_err(err)
        };
        let pair =
            |name: String| -> Result<(Var, Var)> { Ok((var(format!("{name}.weight"))?, var(format!("{name}.bias"))?)) };
        let nets = (0..header.networks)
            .map(|k| {
                let prefix = crate::policy_file::prefix(header.networks, k);
                Ok(Net {
                    trunk: (0..header.hidden.len())
                        .map(|l| pair(format!("{prefix}trunk.{l}")))
                        .collect::<Result<_>>()?,
                    actor: pair(format!("{prefix}actor"))?,
                    critic: pair(format!("{prefix}critic"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Policy { header, nets })
    }

    /// Every variable with its name, in name order.
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for (k, net) in self.nets.iter().enumerate() {
            let prefix = crate::policy_file::prefix(self.nets.len() as u32, k as u32);
            out.extend(net.named().into_iter().map(|(n, v)| (format!("{prefix}{n}"), v)));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The variables of network `k`, in name order.
    pub fn vars_of(&self, k: usize) -> Vec<Var> {
        self.nets[k].named().into_iter().map(|(_, v)| v).collect()
    }

    /// The file's bytes: safetensors with the header.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let named = self.named_vars();
        let views: Vec<(String, Tensor)> = named.into_iter().map(|(n, v)| (n, v.as_tensor().clone())).collect();
        safetensors::serialize(views.iter().map(|(n, t)| (n.as_str(), t)), Some(self.header.metadata()))
            .map_err(|e| e.to_string())
    }

    /// The policy in the file `weights` when one is given (an error names it), else a fresh one
    /// drawn with `seed`: what a learned group or principal starts from.
    pub fn read_or_init(weights: Option<&str>, header: Header, seed: u64) -> Result<Policy> {
        match weights {
            Some(path) => Policy::read(path).map_err(|e| format!("{path}: {e}")),
            None => Ok(Policy::init(header, seed)),
        }
    }

    /// [`Policy::read_or_init`] for a world being built: its file was checked when the scenario
    /// was loaded, so one changed since is warned about and `who` plays a fresh network.
    pub fn read_or_fresh(weights: Option<&str>, header: Header, seed: u64, who: &str) -> Policy {
        Policy::read_or_init(weights, header.clone(), seed).unwrap_or_else(|e| {
            crate::tell_err!("warning: {e}; {who} plays a fresh network");
            Policy::init(header, seed)
        })
    }

    /// Reads a policy file (checked with [`crate::policy_file::read_header`] first).
    pub fn read(path: &str) -> Result<Policy> {
        let header = crate::policy_file::read_header(path).map_err(|p| p.message)?;
        let bytes = crate::policy_file::read_file(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &DEVICE).map_err(err)?;
        Policy::from_tensors(header, &tensors)
    }

    /// What a checkpoint keeps of the networks a world plays, `(who, policy)`: each one's
    /// digest ([`Policy::hash`]), `WHO=HEX` joined by `;`. The networks are read from files
    /// again when the world is restored ([`Policy::check_mark`]).
    pub fn mark<'a>(played: impl IntoIterator<Item = (String, &'a Policy)>) -> String {
        let marks: Vec<String> = played.into_iter().map(|(who, p)| format!("{who}={:016x}", p.hash())).collect();
        marks.join(";")
    }

    /// Checks that the networks a restored world plays, read again from their files, are the
    /// ones its checkpoint was saved with ([`Policy::mark`]; an empty mark, from before marks
    /// were kept, checks nothing). A file trained again or replaced since would go on with
    /// other weights than the run began with, and the run would not be the one it was.
    pub fn check_mark<'a>(
        mark: &str,
        played: impl IntoIterator<Item = (String, &'a Policy)>,
    ) -> std::result::Result<(), crate::model::parts::LoadError> {
        use crate::model::parts::LoadError;
        if mark.is_empty() {
            return Ok(());
        }
        let now = Policy::mark(played);
        let kept: Vec<&str> = mark.split(';').collect();
        for (was, is) in kept.iter().zip(now.split(';')) {
            if was != &is {
                let (who, was) = was.split_once('=').unwrap_or(("a learned policy", was));
                let is = is.split_once('=').map_or(is, |(_, h)| h);
                return Err(LoadError::Changed(format!(
                    "{who} played weights {was}, but the scenario now gives it weights {is} (its policy file trained again or replaced since the checkpoint, or a network trained in the app and never saved to a file), so the world would not go on as it was\n    hint: put back the policy file the run played, then resume; or start the run again to play the file as it is now"
                )));
            }
        }
        if kept.len() != now.split(';').count() {
            return Err(format!("the checkpoint's learned policies ({mark}) are not the scenario's ({now})").into());
        }
        Ok(())
    }

    /// A digest of the weights: FNV-1a over every tensor's name and f32 bits, in name order.
    pub fn hash(&self) -> u64 {
        let mut h = crate::hash::Fnv::new();
        for (name, var) in self.named_vars() {
            h.write(name.as_bytes());
            for v in var.as_tensor().flatten_all().and_then(|t| t.to_vec1::<f32>()).unwrap_or_default() {
                h.write_u64(v.to_bits() as u64);
            }
        }
        h.finish()
    }

    /// The action probabilities of network `k` for a batch of observations (rows × size).
    pub fn probs(&self, k: usize, obs: &Tensor) -> Result<Vec<Vec<f32>>> {
        let net = &self.nets[k];
        let logits = net.features(obs).and_then(|f| net.logits(&f)).map_err(err)?;
        candle_nn::ops::softmax_last_dim(&logits).and_then(|p| p.to_vec2::<f32>()).map_err(err)
    }

    /// The action probabilities and values of network `k` for a batch of observations, from
    /// one pass through the trunk.
    pub fn probs_and_values(&self, k: usize, obs: &Tensor) -> Result<(Vec<Vec<f32>>, Vec<f32>)> {
        let net = &self.nets[k];
        let run = || -> candle_core::Result<_> {
            let f = net.features(obs)?;
            let probs = candle_nn::ops::softmax_last_dim(&net.logits(&f)?)?.to_vec2::<f32>()?;
            let values = net.value(&f)?.squeeze(1)?.to_vec1::<f32>()?;
            Ok((probs, values))
        };
        run().map_err(err)
    }

    /// The values of network `k` for a batch of observations.
    pub fn values(&self, k: usize, obs: &Tensor) -> Result<Vec<f32>> {
        let net = &self.nets[k];
        net.features(obs)
            .and_then(|f| net.value(&f))
            .and_then(|v| v.squeeze(1))
            .and_then(|v| v.to_vec1::<f32>())
            .map_err(err)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn candles_backtrace_stays_out_of_messages() {
        // With RUST_BACKTRACE set, candle wraps its errors with one, and the message carried it.
        let e = candle_core::Error::WithBacktrace {
            inner: Box::new(candle_core::Error::Msg("the shapes differ".into())),
            backtrace: Box::new(std::backtrace::Backtrace::force_capture()),
        };
        assert_eq!(super::err(e), "the shapes differ");
    }
}
