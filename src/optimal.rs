//! Exact optimal values for small governance worlds: the PAA principal's period-level decision
//! problem enumerated state by state, solved by value iteration, and the planner's decisions
//! judged against it.
//!
//! **The decision problem.** At the start of each tax period the principal picks one of the
//! `Menu` schedules; the world then runs one period — the engine's own tick, through
//! [`RatesMdp::step`](crate::paa::RatesMdp) — and pays `W_p` of the utility each agent gained
//! over the period ([`crate::utility`]). The *state* is what the next period depends on: which grass cells hold an apple, where each
//! agent stands, and the period number mod the number of agents (it rotates who gets the
//! milli-apples of a pool that does not split evenly). Each period's luck is one of
//! [`Spec::luck`] equally likely draws (the period's seed), so every transition has finitely
//! many outcomes and the problem is a finite MDP whose optimum value iteration finds exactly
//! (to 1e-12). A world whose other state matters (an election, audits, objects, learners, …)
//! is refused: its state would not be Markov in these variables.
//!
//! **Judging a planner.** Sparse sampling ([`crate::planner::q_values`]) is run on the
//! enumerated table — the same transitions, looked up instead of recomputed
//! ([`TableMdp`] draws the luck from the sample key as [`WorldMdp`] does on the world model, so
//! the two give identical estimates) — once in every state, with one seed per policy. The
//! policy's value `V^π` is then computed exactly, and its regret `V*(s₀) − V^π(s₀)` compared with
//! the ε the budget certifies.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{SimClock, WorldModel};
use crate::paa::RatesMdp;
use crate::planner::{self, Generative};
use crate::rng::{self, Purpose};
use crate::scenario::{ModelError, Objective, PolicySpec, PrincipalPolicy, RateCandidates, Scenario};
use crate::tax::TaxState;

/// One state of the period-level decision problem (see the module's documentation).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// Whether each grass cell holds an apple, in cell order, packed 64 to a word.
    pub apples: Vec<u64>,
    /// Each agent's cell, in id order.
    pub cells: Vec<u32>,
    /// The period number mod the number of agents.
    pub phase: u64,
}

/// What the problem is built from.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Equally likely lucks (period seeds) per transition.
    pub luck: u32,
    /// The most states enumerated before giving up.
    pub max_states: usize,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec { luck: 16, max_states: 200_000 }
    }
}

/// The period seed of luck `i`.
pub fn luck_seed(i: u32) -> u64 {
    rng::key(0x4c75_636b, 0, i as u64, Purpose::Planner)
}

/// The luck a sample key draws, uniform on `0..n` (multiply-shift on the key's mix).
pub fn luck_of(key: u64, n: u32) -> u32 {
    ((rng::mix64(key) as u128 * n as u128) >> 64) as u32
}

/// The world at the start of a period, and the rule that turns a [`State`] into a world and
/// back.
#[derive(Clone, Debug)]
pub struct Template {
    /// The imagined world at tick 0, without a principal.
    model: WorldModel,
    /// The grass cells, in order.
    grass: Vec<usize>,
    /// The candidate schedules (the actions).
    pub actions: Vec<Vec<f64>>,
    /// The `p` of `W_p`.
    pub p: f64,
    /// Ticks per period.
    pub period: u64,
    /// The largest reward of a period ([`crate::utility::period_bound`]).
    pub r_max: f64,
}

impl Template {
    /// The decision problem of `scenario`'s principal, with the planner's model error when
    /// `modelled` (the planner's model) or none (the world). Refuses worlds whose state is
    /// not captured by [`State`].
    pub fn new(scenario: &Scenario, modelled: bool) -> Result<Template, String> {
        let principal = scenario.principal.as_ref().ok_or("it has no principal: add `principal: (policy: Paa, …)`")?;
        if principal.policy != PrincipalPolicy::Paa {
            return Err(format!(
                "its principal's policy is {:?}; polity optimal judges a `Paa` principal",
                principal.policy
            ));
        }
        let p = match principal.objective {
            Objective::Fixed(p) => p,
            Objective::Elected => {
                return Err("its principal serves the elected p; set `objective: Fixed(p)` (an election's state is not enumerated)".into());
            }
        };
        let actions = match &principal.planner.candidates {
            RateCandidates::Menu(m) => m.clone(),
            RateCandidates::Steps => {
                return Err("its planner's candidates are `Steps`, which depend on the rates in force; list them as `candidates: Menu([[…], …])`".into());
            }
        };
        if scenario.tax.is_none() {
            return Err("it has no tax: the principal's actions are tax schedules; add `tax: (…)`".into());
        }
        let mut unsupported = Vec::new();
        if scenario.voting.is_some() {
            unsupported.push("voting");
        }
        if scenario.oversight.is_some() {
            unsupported.push("oversight");
        }
        if scenario.impact.is_some() {
            unsupported.push("impact");
        }
        if scenario.sum.harm {
            unsupported.push("sum.harm");
        }
        if principal.shield.is_some() || scenario.agents.iter().any(|g| g.shield.is_some()) {
            unsupported.push("a shield");
        }
        if scenario.agents.iter().any(|g| g.steal) {
            unsupported.push("thieves");
        }
        if scenario.agents.iter().any(|g| matches!(g.policy, PolicySpec::Learned(_) | PolicySpec::Script(_))) {
            unsupported.push("learned or scripted agents");
        }
        if !unsupported.is_empty() {
            return Err(format!(
                "it has {}, whose state polity optimal does not enumerate; remove {}",
                unsupported.join(", "),
                if unsupported.len() == 1 { "it" } else { "them" }
            ));
        }
        let seed = scenario.run.seed;
        let world = crate::sim::Sim::model_of(scenario, seed, &crate::sim::Sim::mechanisms());
        if !world.grid.objects.is_empty() {
            return Err("it has objects or belts, whose state polity optimal does not enumerate; remove them".into());
        }
        let error = if modelled { principal.planner.model_error.clone() } else { ModelError::default() };
        if error.selfishness != 0.0 || error.power != 0.0 || error.observation != 0.0 {
            return Err("its planner's model error has selfishness, power or observation noise; polity optimal models a regrowth bias only".into());
        }
        let mut model = world.imagine_with_error(&error, seed);
        model.parts.remove::<crate::principal::Principal>();
        let grass = (0..(model.grid.width() * model.grid.height()) as usize)
            .filter(|&i| model.grid.terrain(i) == crate::grid::Terrain::Grass)
            .collect();
        let period = model.parts.get::<TaxState>().map_or(1, |t| t.period.max(1));
        let r_max = crate::utility::period_bound(&model, period);
        Ok(Template { model, grass, actions, p, period, r_max })
    }

    /// The state of `m`.
    pub fn state(&self, m: &WorldModel) -> State {
        let mut apples = vec![0u64; self.grass.len().div_ceil(64)];
        for (k, &i) in self.grass.iter().enumerate() {
            if m.grid.has_apple(i) {
                apples[k / 64] |= 1 << (k % 64);
            }
        }
        let cells = m.agents.iter().map(|a| m.grid.index(a.pos.x, a.pos.y) as u32).collect();
        let n = m.agents.len().max(1) as u64;
        let phase = m.parts.get::<TaxState>().map_or(0, |t| t.periods % n);
        State { apples, cells, phase }
    }

    /// The world in state `s`, at `clock`.
    pub fn world(&self, s: &State, clock: SimClock) -> WorldModel {
        let mut m = self.model.clone();
        m.clock = clock;
        for (k, &i) in self.grass.iter().enumerate() {
            m.grid.set_apple_state(i, s.apples[k / 64] >> (k % 64) & 1 == 1);
        }
        for a in &m.agents {
            let i = m.grid.index(a.pos.x, a.pos.y);
            m.grid.set_occupied(i, false);
        }
        let w = m.grid.width();
        for (a, &c) in m.agents.iter_mut().zip(&s.cells) {
            a.pos = crate::vocab::Position { x: c % w, y: c / w };
        }
        for &c in &s.cells {
            m.grid.set_occupied(c as usize, true);
        }
        if let Some(t) = m.parts.get_mut::<TaxState>() {
            t.periods = s.phase;
        }
        m
    }

    /// The problem as the planner sees it on the world model, in state `s`.
    pub fn mdp(&self, s: &State) -> WorldMdp {
        WorldMdp { template: Arc::new(self.clone()), state: s.clone() }
    }

    /// One period from state `s` under action `a` with luck `i`: the reward and the next state.
    pub fn transition(&self, s: &State, a: usize, i: u32) -> (f64, State) {
        let mut mdp = RatesMdp {
            model: self.world(s, SimClock { tick: 0, seed: 0 }),
            candidates: RateCandidates::Menu(self.actions.clone()),
            root_extra: None,
            fixed_p: Some(self.p),
            kappa: None,
            r_max: self.r_max,
        };
        let r = mdp.step(&self.actions[a], luck_seed(i));
        (r, self.state(&mdp.model))
    }

    /// The state the world starts in.
    pub fn start(&self) -> State {
        self.state(&self.model)
    }
}

/// The bound on one period's divergence (nats) between the world's regrowth and a model's
/// with `bias`: `period` ticks of [`crate::rules::divergence::regrowth_bound`].
pub fn kappa_bound(world: &Template, bias: f64) -> f64 {
    let g = &world.model.grid;
    world.period as f64 * crate::rules::divergence::regrowth_bound(g.probabilities(), bias, g.grass_cells())
}

/// The decision problem on the world model: each step materialises the state and runs the
/// engine's period (what [`Table`] enumerates).
#[derive(Clone, Debug)]
pub struct WorldMdp {
    template: Arc<Template>,
    /// The state.
    pub state: State,
}

impl Generative for WorldMdp {
    type Action = usize;
    fn actions(&self) -> Vec<usize> {
        (0..self.template.actions.len()).collect()
    }
    fn step(&mut self, a: &usize, key: u64) -> f64 {
        let (r, next) = self.template.transition(&self.state, *a, luck_of(key, LUCK.with(|l| l.get())));
        self.state = next;
        r
    }
}

thread_local! {
    /// The lucks [`WorldMdp`] draws from (set by [`Table::build`]'s caller through
    /// [`with_luck`]).
    static LUCK: std::cell::Cell<u32> = const { std::cell::Cell::new(16) };
}

/// Runs `f` with [`WorldMdp`] drawing from `n` lucks on this thread.
pub fn with_luck<R>(n: u32, f: impl FnOnce() -> R) -> R {
    let old = LUCK.with(|l| l.replace(n));
    let r = f();
    LUCK.with(|l| l.set(old));
    r
}

/// Every state reachable from the start, and every transition: `next[(s·k + a)·n + i]` is the
/// reward and next state of action `a` with luck `i` in state `s`.
#[derive(Clone, Debug)]
pub struct Table {
    /// The states, the start first.
    pub states: Vec<State>,
    /// Actions per state.
    pub k: usize,
    /// Lucks per transition.
    pub n: u32,
    /// `(reward, next state)` per state, action and luck.
    pub next: Vec<(f64, u32)>,
}

impl Table {
    /// Enumerates the states reachable from `starts` (breadth first), on the thread pool.
    /// `progress` is told how many states are known and done.
    pub fn build(
        t: &Template,
        starts: &[State],
        spec: &Spec,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Table, String> {
        use rayon::prelude::*;
        let (k, n) = (t.actions.len(), spec.luck.max(1));
        let mut index: HashMap<State, u32> = HashMap::new();
        let mut states: Vec<State> = Vec::new();
        for s in starts {
            if !index.contains_key(s) {
                index.insert(s.clone(), states.len() as u32);
                states.push(s.clone());
            }
        }
        let mut next = Vec::new();
        let mut done = 0;
        while done < states.len() {
            let batch: Vec<State> = states[done..].to_vec();
            let rows: Vec<Vec<(f64, State)>> = batch
                .par_iter()
                .map(|s| (0..k).flat_map(|a| (0..n).map(move |i| (a, i))).map(|(a, i)| t.transition(s, a, i)).collect())
                .collect();
            for row in rows {
                for (r, s2) in row {
                    let j = match index.get(&s2) {
                        Some(&j) => j,
                        None => {
                            if states.len() >= spec.max_states {
                                return Err(format!(
                                    "more than {} states are reachable; shrink the world (cells, agents, candidates) or raise --max-states",
                                    spec.max_states
                                ));
                            }
                            let j = states.len() as u32;
                            index.insert(s2.clone(), j);
                            states.push(s2);
                            j
                        }
                    };
                    next.push((r, j));
                }
                done += 1;
            }
            progress(states.len(), done);
        }
        Ok(Table { states, k, n, next })
    }

    /// The states where the action changes where the world goes (for some luck, two actions
    /// lead to different next states): only there can looking ahead change a decision.
    pub fn steerable(&self) -> usize {
        (0..self.states.len())
            .filter(|&s| (1..self.k).any(|a| self.row(s, a).iter().zip(self.row(s, 0)).any(|(x, y)| x.1 != y.1)))
            .count()
    }

    fn row(&self, s: usize, a: usize) -> &[(f64, u32)] {
        let n = self.n as usize;
        &self.next[(s * self.k + a) * n..(s * self.k + a + 1) * n]
    }

    /// `Q(s, a) = mean_i [r + γ·V(s')]`.
    pub fn q(&self, v: &[f64], gamma: f64, s: usize, a: usize) -> f64 {
        let row = self.row(s, a);
        row.iter().map(|&(r, j)| r + gamma * v[j as usize]).sum::<f64>() / row.len() as f64
    }

    /// The optimal values `V*` by value iteration, to a sup-norm change below `1e-12`.
    pub fn optimal_values(&self, gamma: f64) -> Vec<f64> {
        self.iterate(gamma, |v, s| (0..self.k).map(|a| self.q(v, gamma, s, a)).fold(f64::NEG_INFINITY, f64::max))
    }

    /// The values of the stationary policy `policy` (an action per state), exactly as above.
    pub fn policy_values(&self, gamma: f64, policy: &[usize]) -> Vec<f64> {
        self.iterate(gamma, |v, s| self.q(v, gamma, s, policy[s]))
    }

    fn iterate(&self, gamma: f64, backup: impl Fn(&[f64], usize) -> f64) -> Vec<f64> {
        let mut v = vec![0.0; self.states.len()];
        loop {
            let w: Vec<f64> = (0..v.len()).map(|s| backup(&v, s)).collect();
            let change = w.iter().zip(&v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            v = w;
            if change < 1e-12 || gamma == 0.0 {
                return v;
            }
        }
    }
}

/// The decision problem on the table: what [`WorldMdp`] computes, looked up.
#[derive(Clone, Debug)]
pub struct TableMdp {
    /// The table.
    pub table: Arc<Table>,
    /// The state's index.
    pub state: u32,
}

impl Generative for TableMdp {
    type Action = usize;
    fn actions(&self) -> Vec<usize> {
        (0..self.table.k).collect()
    }
    fn step(&mut self, a: &usize, key: u64) -> f64 {
        let i = luck_of(key, self.table.n) as usize;
        let (r, j) = self.table.row(self.state as usize, *a)[i];
        self.state = j;
        r
    }
}

/// A planner's budget and its discount.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Width C.
    pub width: u32,
    /// Depth H.
    pub depth: u32,
    /// Discount γ.
    pub gamma: f64,
}

/// The planner's stationary policy on `model` with `seed`: sparse sampling's choice in every
/// state of `world` (its states looked up in the model's table by value), and its estimates
/// `Q̂(s₀, ·)` in the start state.
pub fn planner_policy(world: &Table, model: &Arc<Table>, budget: Budget, seed: u64) -> (Vec<usize>, Vec<f64>) {
    use rayon::prelude::*;
    let lookup: HashMap<&State, u32> = model.states.iter().enumerate().map(|(j, s)| (s, j as u32)).collect();
    let estimates: Vec<Vec<f64>> = (0..world.states.len())
        .into_par_iter()
        .map(|s| {
            let state = lookup[&world.states[s]];
            let root = TableMdp { table: model.clone(), state };
            let key = rng::key(seed, s as u64, 0, Purpose::Planner);
            planner::q_values(&root, budget.gamma, budget.width, budget.depth, key, 1)
        })
        .collect();
    let policy = estimates.iter().map(|q| planner::argmax(q)).collect();
    (policy, estimates.into_iter().next().unwrap_or_default())
}

/// How a budget did against the optimum over seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    /// `V*(s₀)`.
    pub v_star: f64,
    /// `V^π(s₀)` of each seed's policy.
    pub values: Vec<f64>,
    /// `V*(s₀) − Q*(s₀, a)` of each seed's first decision.
    pub first_regret: Vec<f64>,
    /// `max_a |Q̂(s₀, a) − Q*(s₀, a)|` of each seed's first decision.
    pub first_error: Vec<f64>,
}

impl Judged {
    /// Regret `V*(s₀) − V^π(s₀)` per seed (clamped at 0 against the last bits of rounding).
    pub fn regrets(&self) -> Vec<f64> {
        self.values.iter().map(|v| (self.v_star - v).max(0.0)).collect()
    }
    /// The fraction of seeds whose regret is at most `eps`.
    pub fn within(&self, eps: f64) -> f64 {
        let r = self.regrets();
        r.iter().filter(|&&x| x <= eps).count() as f64 / r.len().max(1) as f64
    }
}

/// Judges `budget` on the world (`world`, its optimum `v_star`) planning on `model` (the same
/// table when the model is exact), one policy per seed.
pub fn judge(world: &Table, v_star: &[f64], model: &Arc<Table>, budget: Budget, seeds: &[u64]) -> Judged {
    let mut j = Judged { v_star: v_star[0], values: Vec::new(), first_regret: Vec::new(), first_error: Vec::new() };
    for &seed in seeds {
        let (policy, q_hat) = planner_policy(world, model, budget, seed);
        let v = world.policy_values(budget.gamma, &policy);
        j.values.push(v[0]);
        j.first_regret.push((v_star[0] - world.q(v_star, budget.gamma, 0, policy[0])).max(0.0));
        let error = q_hat.iter().enumerate().map(|(a, q)| (q - world.q(v_star, budget.gamma, 0, a)).abs());
        j.first_error.push(error.fold(0.0, f64::max));
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two states, two actions, one luck: in state 0 action 0 pays 1 and stays, action 1 pays
    /// 0 and moves to state 1, where every action pays 2 and stays.
    fn two_states() -> Table {
        Table { states: vec![], k: 2, n: 1, next: vec![(1.0, 0), (0.0, 1), (2.0, 1), (2.0, 1)] }
    }

    #[test]
    fn value_iteration_matches_the_hand_computed_two_state_case() {
        let mut t = two_states();
        t.states = vec![
            State { apples: vec![0], cells: vec![], phase: 0 },
            State { apples: vec![1], cells: vec![], phase: 0 },
        ];
        // γ = 0.5: V(1) = 2/(1−0.5) = 4; staying in 0 is worth 1/(1−0.5) = 2, moving 0 + 0.5·4 = 2:
        // a tie at 2. γ = 0.9: V(1) = 20; stay 10, move 18 → V(0) = 18.
        let v = t.optimal_values(0.5);
        assert!((v[0] - 2.0).abs() < 1e-9 && (v[1] - 4.0).abs() < 1e-9, "{v:?}");
        let v = t.optimal_values(0.9);
        assert!((v[0] - 18.0).abs() < 1e-9 && (v[1] - 20.0).abs() < 1e-9, "{v:?}");
        // The policy that stays: V(0) = 10.
        let stay = t.policy_values(0.9, &[0, 0]);
        assert!((stay[0] - 10.0).abs() < 1e-9, "{stay:?}");
    }

    #[test]
    fn luck_draws_are_uniform() {
        let mut counts = [0u32; 4];
        for k in 0..40_000u64 {
            counts[luck_of(k, 4) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (9_600..10_400).contains(&c)), "{counts:?}");
    }
}
