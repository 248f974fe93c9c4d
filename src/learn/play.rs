//! Learned agents acting: at `Decide`, after the hand-written decisions, every agent of a
//! `Learned` group observes ([`crate::observe`]), its network gives `π_θ`, and the agent draws
//! from `π_θ` projected onto its power budget ([`crate::rules::tilt::project`]) with the same
//! keyed draw as every other decision. The networks are this mechanism's part ([`Brains`]):
//! read from the group's `weights`, or freshly drawn with the run's seed. Training
//! ([`super::train`]) makes the same decisions through [`act`], batched over many worlds.

use std::sync::Arc;

use candle_core::Tensor;

use super::net::{DEVICE, Policy};
use crate::decision::{DEFAULT_POLICY, sample};
use crate::model::{Mechanism, ModelAgent, Part, Step, WorldModel};
use crate::policy_file::Header;
use crate::rng::{Purpose, TickKey};
use crate::rules::tilt;
use crate::scenario::{LearnedSpec, PolicySpec, Scenario};
use crate::vocab::Decision;

/// The learned groups' networks, by group index (`None` for other groups). Fixed by the
/// scenario and the seed, so checkpoints save nothing of it.
#[derive(Clone, Debug, Default)]
pub struct Brains {
    /// Each group's policy.
    pub groups: Vec<Option<Arc<Policy>>>,
}

impl Brains {
    /// Each group's policy, named as messages name the group.
    fn played(&self) -> impl Iterator<Item = (String, &Policy)> {
        self.groups.iter().flatten().map(|p| (format!("group `{}`", p.header.group), &**p))
    }
}

/// The networks are built from the scenario's files (or its seed): a checkpoint keeps their
/// digests, and a restore refuses files that changed since ([`Policy::check_mark`]).
impl Part for Brains {
    const NAME: &'static str = "learned";
    fn save(&self) -> Result<String, String> {
        Ok(Policy::mark(self.played()))
    }
    fn load(&mut self, text: &str) -> Result<(), crate::model::parts::LoadError> {
        Policy::check_mark(text, self.played())
    }
}

/// Learned agents: their networks, and their decisions at `Decide`.
pub const MECHANISM: Mechanism = Mechanism {
    name: "learned",
    build,
    steps: &[(Step::Decide, decide)],
    active: Some(|m| m.parts.has::<Brains>()),
    ..Mechanism::NONE
};

/// The learned spec of group `g`, if it learns.
pub fn learned(s: &Scenario, g: usize) -> Option<&LearnedSpec> {
    match &s.agents[g].policy {
        PolicySpec::Learned(l) => Some(l),
        _ => None,
    }
}

/// The header a policy for group `g` of `s` has.
pub fn header(s: &Scenario, g: usize) -> Option<Header> {
    let l = learned(s, g)?;
    let brackets = s.tax_brackets();
    Some(Header {
        format: crate::policy_file::FORMAT.into(),
        scenario: s.name.clone(),
        group: s.agents[g].name.clone(),
        observation: crate::observe::size(l.view, brackets),
        actions: crate::rules::action::Action::ALL.len(),
        view: l.view,
        hidden: l.hidden.clone(),
        networks: if l.shared { 1 } else { s.agents[g].count },
    })
}

/// The seed a group's fresh network is drawn with.
pub fn init_seed(seed: u64, g: usize) -> u64 {
    crate::rng::key(seed, 0, g as u64, Purpose::Learn)
}

fn build(s: &Scenario, m: &mut WorldModel) {
    if !(0..s.agents.len()).any(|g| learned(s, g).is_some()) {
        return;
    }
    let groups = (0..s.agents.len())
        .map(|g| {
            let header = header(s, g)?;
            let who = format!("group `{}`", header.group);
            let weights = learned(s, g)?.weights.as_deref();
            Some(Arc::new(Policy::read_or_fresh(weights, header, init_seed(m.clock.seed, g), &who)))
        })
        .collect();
    m.parts.insert(Brains { groups });
}

/// Which network of its group's policy agent `k` uses: 0 when shared, else its place among its
/// group's agents (id order).
pub fn network_of(agents: &[ModelAgent], k: usize, networks: usize) -> usize {
    if networks == 1 {
        return 0;
    }
    let g = agents[k].group;
    agents[..k].iter().filter(|a| a.group == g).count()
}

/// The observation radius of an agent's learned policy.
pub fn view_of(a: &ModelAgent) -> Option<u32> {
    match &a.policy.0 {
        PolicySpec::Learned(l) => Some(l.view),
        _ => None,
    }
}

/// The decision of an agent whose network gives `theta` (π_θ over the five moves): the
/// projection onto its power, and the draw. `scores` shows `ln π_θ`.
pub fn act(a: &ModelAgent, theta: &[f32], draws: &TickKey) -> Decision {
    let mut d = Decision::default();
    let p: Vec<f64> = theta.iter().map(|&x| x as f64).collect();
    for (s, &q) in d.scores.iter_mut().zip(&p) {
        *s = q.max(1e-300).ln();
    }
    let info = tilt::project(&DEFAULT_POLICY, &p, a.power, &mut d.probs);
    d.beta = info.beta;
    d.kl = info.kl;
    d.action = sample(&d.probs, draws.unit(a.id as u64, Purpose::Decide));
    d
}

/// Observations of `agents` (indices into `m.agents`) with window radius `view`, as one batch.
pub fn observations(m: &WorldModel, agents: &[usize], view: u32) -> Vec<f32> {
    let mut rows = Vec::new();
    let mut one = Vec::new();
    for &k in agents {
        crate::observe::observe(m, k, view, &mut one);
        rows.extend_from_slice(&one);
    }
    rows
}

/// The batch as a tensor of `rows` rows.
pub fn batch(data: Vec<f32>, rows: usize) -> Tensor {
    let cols = data.len().checked_div(rows).unwrap_or(0);
    Tensor::from_vec(data, (rows, cols), &DEVICE).expect("rows × cols values")
}

/// Agent `id`'s value estimate of the world as it stands (its network's critic), when it is
/// a learned agent of a world with networks: what the app's inspector shows.
pub fn value_estimate(m: &WorldModel, id: u32) -> Option<f64> {
    let k = m.agents.iter().position(|a| a.id == id)?;
    let view = view_of(&m.agents[k])?;
    let policy = m.parts.get::<Brains>()?.groups.get(m.agents[k].group as usize)?.as_ref()?;
    let net = network_of(&m.agents, k, policy.nets.len());
    let obs = batch(observations(m, &[k], view), 1);
    policy.values(net, &obs).ok()?.first().map(|&v| v as f64)
}

fn decide(m: &mut WorldModel) {
    let Some(brains) = m.parts.get::<Brains>().cloned() else { return };
    let draws = TickKey::new(m.clock.seed, m.clock.tick);
    for (g, policy) in brains.groups.iter().enumerate() {
        let Some(policy) = policy else { continue };
        let nets = policy.nets.len();
        let members: Vec<usize> =
            (0..m.agents.len()).filter(|&k| m.agents[k].group as usize == g && !m.agents[k].inactive).collect();
        for net in 0..nets {
            let mine: Vec<usize> = members.iter().copied().filter(|&k| network_of(&m.agents, k, nets) == net).collect();
            if mine.is_empty() {
                continue;
            }
            let obs = batch(observations(m, &mine, policy.header.view), mine.len());
            let probs = match policy.probs(net, &obs) {
                Ok(p) => p,
                Err(e) => {
                    crate::tell_err!(
                        "warning: group `{}`'s network failed ({e}); its agents walk at random",
                        policy.header.group
                    );
                    continue;
                }
            };
            for (&k, theta) in mine.iter().zip(&probs) {
                let d = act(&m.agents[k], theta, &draws);
                m.agents[k].decision = d;
            }
        }
    }
}
