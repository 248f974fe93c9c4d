//! The networks of a learned policy: per network an actor (observation → one logit per
//! action) and a critic (observation → a value), each a tanh MLP of the group's hidden widths,
//! in candle. Weights are drawn from our keyed random streams in name order (never candle's
//! unseeded CPU generator), saved as safetensors with the [`crate::policy_file`] header, and
//! hashed in name order, so the same seed gives the same bytes on any thread count.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, Var};

use crate::policy_file::Header;
use crate::rng::{self, Purpose};

/// candle's errors, as text for our messages.
pub type Result<T> = std::result::Result<T, String>;

/// candle's error as text.
pub fn err(e: candle_core::Error) -> String {
    e.to_string()
}

/// One tanh MLP: `(weight (out × in), bias (out))` per layer.
#[derive(Clone, Debug)]
pub struct Mlp {
    /// The layers, input first.
    pub layers: Vec<(Var, Var)>,
}

impl Mlp {
    /// The output for a batch `x` (rows × inputs): tanh between layers, none after the last.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        let last = self.layers.len() - 1;
        for (l, (w, b)) in self.layers.iter().enumerate() {
            h = h.matmul(&w.as_tensor().t()?)?.broadcast_add(b.as_tensor())?;
            if l < last {
                h = h.tanh()?;
            }
        }
        Ok(h)
    }
}

/// One network: the actor and the critic.
#[derive(Clone, Debug)]
pub struct Net {
    /// Observation → logits.
    pub actor: Mlp,
    /// Observation → value.
    pub critic: Mlp,
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
    /// for hidden layers, 0.01 for the actor's output so the first policy is near uniform, 1 for
    /// the critic's), biases 0 — each tensor drawn from its own stream keyed by `seed` and its
    /// name.
    pub fn init(header: Header, seed: u64) -> Policy {
        let mut tensors = HashMap::new();
        for (name, shape) in header.shapes() {
            let n: usize = shape.iter().product();
            let values = if name.ends_with(".bias") {
                vec![0.0f32; n]
            } else {
                let fan_in = shape[1] as f64;
                let last = name.contains(&format!(".{}.", header.hidden.len()));
                let gain = match (last, name.contains("actor")) {
                    (false, _) => 2f64.sqrt(),
                    (true, true) => 0.01,
                    (true, false) => 1.0,
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
        let layers = header.hidden.len() + 1;
        let var = |name: String| -> Result<Var> {
            let t = tensors.get(&name).ok_or_else(|| format!("tensor `{name}` is missing"))?;
            Var::from_tensor(&t.to_dtype(DType::F32).map_err(err)?).map_err(err)
        };
        let mlp = |prefix: &str, head: &str| -> Result<Mlp> {
            let layers = (0..layers)
                .map(|l| Ok((var(format!("{prefix}{head}.{l}.weight"))?, var(format!("{prefix}{head}.{l}.bias"))?)))
                .collect::<Result<Vec<_>>>()?;
            Ok(Mlp { layers })
        };
        let nets = (0..header.networks)
            .map(|k| {
                let prefix = if header.networks == 1 { String::new() } else { format!("a{k}.") };
                Ok(Net { actor: mlp(&prefix, "actor")?, critic: mlp(&prefix, "critic")? })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Policy { header, nets })
    }

    /// Every variable with its name, in name order.
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for (k, net) in self.nets.iter().enumerate() {
            let prefix = if self.nets.len() == 1 { String::new() } else { format!("a{k}.") };
            for (head, mlp) in [("actor", &net.actor), ("critic", &net.critic)] {
                for (l, (w, b)) in mlp.layers.iter().enumerate() {
                    out.push((format!("{prefix}{head}.{l}.weight"), w.clone()));
                    out.push((format!("{prefix}{head}.{l}.bias"), b.clone()));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The variables of network `k`, in name order.
    pub fn vars_of(&self, k: usize) -> Vec<Var> {
        let net = &self.nets[k];
        let mut named: Vec<(String, Var)> = Vec::new();
        for (head, mlp) in [("actor", &net.actor), ("critic", &net.critic)] {
            for (l, (w, b)) in mlp.layers.iter().enumerate() {
                named.push((format!("{head}.{l}.weight"), w.clone()));
                named.push((format!("{head}.{l}.bias"), b.clone()));
            }
        }
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named.into_iter().map(|(_, v)| v).collect()
    }

    /// The file's bytes: safetensors with the header.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let named = self.named_vars();
        let views: Vec<(String, Tensor)> = named.into_iter().map(|(n, v)| (n, v.as_tensor().clone())).collect();
        safetensors::serialize(views.iter().map(|(n, t)| (n.as_str(), t)), Some(self.header.metadata()))
            .map_err(|e| e.to_string())
    }

    /// Reads a policy file (checked with [`crate::policy_file::read_header`] first).
    pub fn read(path: &str) -> Result<Policy> {
        let header = crate::policy_file::read_header(path).map_err(|p| p.message)?;
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &DEVICE).map_err(err)?;
        Policy::from_tensors(header, &tensors)
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
        let logits = self.nets[k].actor.forward(obs).map_err(err)?;
        candle_nn::ops::softmax_last_dim(&logits).and_then(|p| p.to_vec2::<f32>()).map_err(err)
    }

    /// The values of network `k` for a batch of observations.
    pub fn values(&self, k: usize, obs: &Tensor) -> Result<Vec<f32>> {
        self.nets[k].critic.forward(obs).and_then(|v| v.squeeze(1)).and_then(|v| v.to_vec1::<f32>()).map_err(err)
    }
}
