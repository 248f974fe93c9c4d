//! Worlds driven from outside, one tick at a time (the Python API, issue 14): [`Env`] is one
//! world as `polity run` steps it (the ECS tick, its metrics, events and the recorder's
//! picture), [`VecEnv`] many copies of the world model stepped in parallel for PPO-style
//! collectors. Both read the caller's actions through the [`steer`] mechanism, observe as
//! learned agents do ([`crate::observe`]), and pay each agent what the built-in learner is paid:
//! its SED reward increment (fines included), less the impact penalty booked for AI agents.
//! docs/python.md documents the layouts.

pub mod steer;

use crate::model::{Mechanism, WorldModel};
use crate::rules::action::Action;
use crate::scenario::{self, Scenario};
use crate::sim::{MechanismPlugin, Sim};
pub use crate::spanned_ron::Number;
pub use steer::Steering;

/// A scenario from a built-in name, a path to a `.ron` file or `run.json`, or RON source text
/// (anything with a `(` in it), with numeric fields changed by the same paths sweep files vary
/// (`tax.rates[0]`, `oversight.k`, `run.ticks`). Errors carry file:line:column and a hint.
pub fn scenario_from(arg: &str, overrides: &[(String, Number)]) -> Result<Scenario, String> {
    let show = |p: scenario::Problems| format!("{p:#}").trim_end().to_string();
    // RON text has a `(`; so may a file's name ("commons (copy).ron"): a file there is read.
    let mut s = if arg.contains('(') && !std::path::Path::new(arg).is_file() {
        scenario::parse(arg, "<scenario text>", "scenario").map_err(show)?
    } else {
        scenario::load(arg).map_err(show)?
    };
    // Two spellings of one field (`agents.harvesters.power`, `agents[1].power`): the later
    // would win silently, as sweeps refuse it.
    let ron = scenario::to_ron(&s);
    let spans: Vec<_> =
        overrides.iter().map(|(p, _)| crate::spanned_ron::number_at(&ron, p).ok().map(|x| x.0)).collect();
    for (k, (path, _)) in overrides.iter().enumerate() {
        if let Some(first) = spans[..k].iter().position(|x| x.is_some() && *x == spans[k])
            && overrides[first].0 != *path
        {
            return Err(format!(
                "override `{path}` sets the field override `{}` sets; set it once",
                overrides[first].0
            ));
        }
    }
    for (path, value) in overrides {
        let said = format!("override `{path}` = {value}");
        let text = crate::spanned_ron::splice_number(&scenario::to_ron(&s), path, *value)
            .map_err(|e| format!("{said}: {e}"))?;
        s = scenario::parse(&text, &said, &s.name).map_err(|p| show(unplaced(p, path)))?;
    }
    Ok(s)
}

/// An override's problems without a line and column: they would point into the scenario's
/// text as the engine wrote it out to splice the value in, which the caller never sees (and
/// ``override `run.ticks` = -1:82:16: …`` reads as if the value were `-1:82:16`). A problem
/// with the field overridden does not name the field again.
fn unplaced(mut problems: scenario::Problems, path: &str) -> scenario::Problems {
    for p in &mut problems.0 {
        p.position = None;
        if p.path == path {
            p.path.clear();
        }
    }
    problems
}

/// The radii an observation window may have (`view`), as scenarios' learned policies allow.
pub const VIEWS: std::ops::RangeInclusive<u32> = 1..=8;

/// The seed an environment's `reset()` plays after `seed` when given none: the next of
/// SplitMix64's sequence from it. Environments seeded 0, 1, 2, … (as Gymnasium's vector
/// environments seed theirs) then play worlds of their own, where `seed + 1` had the second
/// replay the first's next episode; and it never runs past 2⁶⁴ − 1.
pub fn next_seed(seed: u64) -> u64 {
    crate::rng::mix64(seed.wrapping_add(0x9e37_79b9_7f4a_7c15))
}

/// Makes the groups named in `policies` play the policy files given
/// ([`crate::learn::play_file`]), `principal` the learned principal's file; messages name a
/// pair as Python gives it (`policies={"learners": "FILE"}`).
pub fn play_files(s: &mut Scenario, policies: &[(String, String)]) -> Result<(), String> {
    for (group, path) in policies {
        crate::learn::play_file(s, group, path, &format!("policies={{{group:?}: {path:?}}}"))?;
    }
    Ok(())
}

/// A policy file for `group` of `s`, from a network trained elsewhere: its header says what the
/// engine checks (this scenario and group, the observation of radius `view` — the group's own
/// when it learns, else 3 —, 5 actions, the hidden widths read off `trunk.L.weight`) and the
/// tensors are named and laid out as [`crate::policy_file::Header::shapes`] says (a PyTorch
/// `nn.Linear`'s `weight` is already `outputs × inputs`). Written atomically; an existing file
/// is replaced only with `force`.
pub fn export_policy(
    s: &Scenario,
    group: &str,
    view: Option<u32>,
    tensors: &[(String, Vec<usize>, Vec<f32>)],
    path: &std::path::Path,
    force: bool,
) -> Result<crate::policy_file::Header, String> {
    let Some(g) = s.agents.iter().position(|x| x.name == group) else {
        let names: Vec<&str> = s.agents.iter().map(|x| x.name.as_str()).collect();
        return Err(format!("scenario `{}` has no group named `{group}` (its groups: {})", s.name, names.join(", ")));
    };
    let own = crate::learn::play::learned(s, g).map(|l| l.view);
    let view = view.or(own).unwrap_or(crate::scenario::LearnedSpec::default().view);
    if !VIEWS.contains(&view) {
        return Err(format!("view = {view}: the observation window's radius must be 1 to 8"));
    }
    let mut hidden = Vec::new();
    while let Some((_, shape, _)) = tensors.iter().find(|(n, _, _)| *n == format!("trunk.{}.weight", hidden.len())) {
        hidden.push(shape.first().copied().unwrap_or(0) as u32);
    }
    if let Some(why) = crate::scenario::hidden_problem(&hidden) {
        return Err(format!("the network's {why} (from its `trunk.L.weight` tensors)"));
    }
    let header = crate::policy_file::Header {
        format: crate::policy_file::FORMAT.into(),
        scenario: s.name.clone(),
        group: group.to_string(),
        observation: crate::observe::size(view, s.tax_brackets()),
        actions: Action::ALL.len(),
        view,
        hidden,
        networks: 1,
    };
    for (name, shape, _) in tensors {
        if let Some((_, want)) = header.shapes().into_iter().find(|(n, _)| n == name)
            && *shape != want
        {
            return Err(format!("tensor `{name}` is {shape:?}; this scenario's group `{group}` needs {want:?}"));
        }
    }
    let named: Vec<(String, Vec<f32>)> = tensors.iter().map(|(n, _, v)| (n.clone(), v.clone())).collect();
    let bytes = crate::policy_file::encode(&header, &named)?;
    let dest = crate::outputs::check_file(path, force).map_err(|e| e.0)?;
    crate::outputs::write_file(&dest, &bytes, force).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(header)
}

/// How a world is exposed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// The observation window's radius for every agent; `None`: the learned groups' own
    /// (when they agree), else 3.
    pub view: Option<u32>,
    /// Whether the principal is steered from outside too (needs a tax and a principal).
    pub principal: bool,
}

/// An agent's name: `human_3`, `ai_5` (its kind and id).
pub fn agent_name(ai: bool, id: u32) -> String {
    format!("{}_{id}", if ai { "ai" } else { "human" })
}

/// The observation radius a world is exposed with.
fn view_of(s: &Scenario, opts: &Options) -> Result<u32, String> {
    if let Some(v) = opts.view {
        if !VIEWS.contains(&v) {
            return Err(format!("view = {v}: the observation window's radius must be 1 to 8"));
        }
        return Ok(v);
    }
    let views: std::collections::BTreeSet<u32> =
        (0..s.agents.len()).filter_map(|g| crate::learn::play::learned(s, g)).map(|l| l.view).collect();
    match views.len() {
        0 => Ok(crate::scenario::LearnedSpec::default().view),
        1 => Ok(*views.first().unwrap()),
        _ => Err(format!("the scenario's learned groups see different windows ({views:?}); choose one with `view`")),
    }
}

/// What the principal needs from a world to be steered, or why it cannot be.
fn check_principal(s: &Scenario) -> Result<(), String> {
    if s.tax.is_none() || s.principal.is_none() {
        return Err(format!(
            "scenario `{}` has no principal to steer\n    hint: give it a `tax` and a `principal` section, or leave `principal` off",
            s.name
        ));
    }
    Ok(())
}

/// The layout of a world as exposed: agents, observation sizes, choices.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Agent names, id order.
    pub names: Vec<String>,
    /// Observation radius.
    pub view: u32,
    /// An agent's observation length.
    pub observation: usize,
    /// Tax brackets (0 without a tax): their rates are part of the observation.
    pub brackets: usize,
    /// Actions an agent has.
    pub actions: usize,
    /// The principal's observation length (0 unless steered).
    pub principal_observation: usize,
    /// The principal's choices per bracket, one entry per bracket (empty unless steered).
    pub principal_choices: Vec<usize>,
    /// Ticks in an episode.
    pub ticks: u64,
}

impl Layout {
    fn of(s: &Scenario, m: &WorldModel, opts: &Options) -> Result<Layout, String> {
        if m.agents.is_empty() {
            return Err(format!(
                "{}: the scenario has no agents, and an environment steers agents; give a group of \
                 `agents` a count of at least 1",
                s.name
            ));
        }
        if s.run.ticks == 0 {
            return Err(format!(
                "{}: run.ticks = 0, so an episode would end before its first step; set `run.ticks` \
                 to 1 or more",
                s.name
            ));
        }
        let view = view_of(s, opts)?;
        let brackets = s.tax_brackets();
        let (principal_observation, principal_choices) = if opts.principal {
            check_principal(s)?;
            let step = s.tax.as_ref().map_or(0.1, |t| t.rate_step());
            (
                crate::learn::principal::observation_size(brackets, m.agents.len()),
                vec![crate::learn::principal::choices(step); brackets],
            )
        } else {
            (0, Vec::new())
        };
        Ok(Layout {
            names: m.agents.iter().map(|a| agent_name(a.ai, a.id)).collect(),
            view,
            observation: crate::observe::size(view, brackets),
            brackets,
            actions: Action::ALL.len(),
            principal_observation,
            principal_choices,
            ticks: s.run.ticks,
        })
    }

    /// Each observation value's bounds (low, high): the window's channels and the scalars are in
    /// [0, 1] but the store (|store| ≤ [`STORE_BOUND`]) and the elected `p` ([−1, 1]).
    pub fn bounds(&self) -> (Vec<f32>, Vec<f32>) {
        let names = crate::rules::observation::names(self.view, self.brackets);
        let low = names
            .iter()
            .map(|n| {
                if n == "store" {
                    -STORE_BOUND
                } else if n == "elected_p" {
                    -1.0
                } else {
                    0.0
                }
            })
            .collect();
        let high = names.iter().map(|n| if n == "store" { STORE_BOUND } else { 1.0 }).collect();
        (low, high)
    }

    /// The principal's observation bounds: `p` in [−1, 1], progress and rates in [0, 1], the
    /// agents' squashed incomes and stores within ±[`STORE_BOUND`].
    pub fn principal_bounds(&self) -> (Vec<f32>, Vec<f32>) {
        let n = self.principal_observation;
        let brackets = self.principal_choices.len();
        let low = (0..n)
            .map(|i| {
                if i == 0 {
                    -1.0
                } else if i < 2 + brackets {
                    0.0
                } else {
                    -STORE_BOUND
                }
            })
            .collect();
        let high = (0..n).map(|i| if i < 2 + brackets { 1.0 } else { STORE_BOUND }).collect();
        (low, high)
    }

    /// The length of [`state`]'s vector for a `w × h` map.
    pub fn state_size(&self, w: u32, h: u32) -> usize {
        STATE_PLANES * (w * h) as usize + 3 * self.names.len()
    }
}

/// What each agent has been paid so far: its SED reward total less, for AI agents, the impact
/// penalty booked (what the built-in learner is paid, tick by tick).
pub fn paid(m: &WorldModel, out: &mut Vec<f64>) {
    let booked = crate::impact::booked(m);
    out.clear();
    out.extend(m.agents.iter().map(|a| a.reward.total - if a.ai { booked } else { 0.0 }));
}

/// The principal's reward at a period end, as the learned principal's: `W_p` (the `p` served
/// when its last choice was made) of each agent's utility ([`crate::utility`]) gained over the
/// period.
fn principal_reward(m: &WorldModel, at_choice: &[f64], p: f64) -> f64 {
    let gained: Vec<f64> = crate::utility::stock(m).iter().zip(at_choice).map(|(now, then)| now - then).collect();
    crate::rules::welfare::power_mean(&gained, p)
}

/// Each agent's utility since tick 0 ([`crate::utility::stock`]).
fn totals(m: &WorldModel) -> Vec<f64> {
    crate::utility::stock(m)
}

/// The largest squashed store or income: `ln(1 + 2⁶³ / 1000)` = 36.76 (a balance is an `i64`
/// of milli-apples), rounded up.
pub const STORE_BOUND: f32 = 37.0;

/// Planes of [`state`]: apples, walls, grass whose patch lives, humans, AIs.
pub const STATE_PLANES: usize = 5;

/// The global state for centralised critics: `STATE_PLANES` planes of the whole map (row by
/// row), then per agent (id order) `x / width`, `y / height` and its store
/// (`sign(w)·ln(1 + |w|)`).
pub fn state(m: &WorldModel, out: &mut Vec<f32>) {
    use crate::grid::Terrain;
    let g = &m.grid;
    let cells = (g.width() * g.height()) as usize;
    out.clear();
    out.resize(STATE_PLANES * cells + 3 * m.agents.len(), 0.0);
    for i in 0..cells {
        if g.has_apple(i) {
            out[i] = 1.0;
        }
        match g.terrain(i) {
            Terrain::Wall => out[cells + i] = 1.0,
            Terrain::Grass if g.patches_alive_of(i) => out[2 * cells + i] = 1.0,
            _ => {}
        }
    }
    let tail = STATE_PLANES * cells;
    for (k, a) in m.agents.iter().enumerate() {
        let i = g.index(a.pos.x, a.pos.y);
        out[(if a.ai { 4 } else { 3 }) * cells + i] = 1.0;
        out[tail + 3 * k] = a.pos.x as f32 / g.width() as f32;
        out[tail + 3 * k + 1] = a.pos.y as f32 / g.height() as f32;
        out[tail + 3 * k + 2] = crate::observe::squash_store(a.ledger.wealth()) as f32;
    }
}

/// The principal's observation (as the learned principal's), or nothing without a tax.
pub fn principal_observation(m: &WorldModel, ticks: u64) -> Vec<f32> {
    let Some(tax) = m.parts.get::<crate::tax::TaxState>() else { return Vec::new() };
    crate::learn::principal::observe(m, tax, served(m), ticks.max(1), m.agents.len())
}

/// Whether the tick about to run ends a tax period (when the principal's choice is read).
pub fn principal_acts(m: &WorldModel) -> bool {
    m.parts.get::<crate::tax::TaxState>().is_some_and(|t| t.period_ends(&m.clock))
}

/// The `p` the principal serves now.
fn served(m: &WorldModel) -> f64 {
    use crate::principal::{Principal, served_p};
    m.parts.get::<Principal>().map_or(1.0, |pr| served_p(pr.objective, m.parts.get::<crate::voting::Election>()))
}

/// The principal's bookkeeping: each agent's utility at its last choice and the `p`
/// served then; `chosen` is false until the first period end, whose period no choice
/// governed (it pays nothing, as the learned principal's books).
#[derive(Clone, Debug, Default)]
struct Ledger {
    at_choice: Vec<f64>,
    p: f64,
    chosen: bool,
}

/// Checks actions against the world's agents: one per agent (or none), each below `actions`.
fn check_actions(actions: &[Option<i64>], n: usize) -> Result<Vec<Option<Action>>, String> {
    if actions.len() != n {
        return Err(format!("expected {n} actions (one per agent, id order), got {}", actions.len()));
    }
    actions
        .iter()
        .enumerate()
        .map(|(k, a)| match a {
            None => Ok(None),
            Some(v) if (0..Action::ALL.len() as i64).contains(v) => Ok(Some(Action::ALL[*v as usize])),
            Some(v) => Err(format!(
                "agent {k}'s action {v} is out of range: actions are 0 to {} (stay, north, east, south, \
                 west), or −1 to let the agent decide as its scenario says",
                Action::ALL.len() - 1
            )),
        })
        .collect()
}

/// Checks the principal's choice: one per bracket, each below its count.
fn check_choice(choice: &[i64], counts: &[usize]) -> Result<Vec<u32>, String> {
    if choice.len() != counts.len() {
        return Err(format!(
            "the principal's action needs {} choices (one per tax bracket), got {}",
            counts.len(),
            choice.len()
        ));
    }
    choice
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(b, (&c, &k))| {
            if (0..k as i64).contains(&c) {
                Ok(c as u32)
            } else {
                Err(format!("the principal's choice for bracket {b} is {c}: choices are 0 (keep) to {}", k - 1))
            }
        })
        .collect()
}

/// What one tick of an [`Env`] gave.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Each agent's reward, id order.
    pub rewards: Vec<f64>,
    /// The principal's reward: at each period end after the first, for the choice made at the
    /// one before; at the episode's end, for the last choice's part-period; 0 otherwise.
    pub principal_reward: f64,
    /// Whether the episode reached `run.ticks`.
    pub truncated: bool,
    /// The tick's metrics row (see [`Env::columns`]).
    pub metrics: Vec<f64>,
    /// The tick's events.
    pub events: Vec<crate::model::SimEvent>,
    /// The action each agent carried out (a shield may have replaced the one asked for).
    pub executed: Vec<usize>,
}

/// One world as `polity run` steps it, driven from outside.
pub struct Env {
    scenario: Scenario,
    opts: Options,
    layout: Layout,
    panel: crate::record::Panel,
    seed: u64,
    paid: Vec<f64>,
    ledger: Ledger,
    size: crate::record::Size,
}

impl Env {
    /// A world of `scenario` (validated) for `seed` (the scenario's own when `None`).
    pub fn new(scenario: Scenario, seed: Option<u64>, opts: Options) -> Result<Env, String> {
        let seed = seed.unwrap_or(scenario.run.seed);
        let panel = Self::panel(&scenario, seed, crate::record::Size::DEFAULT);
        let layout = Layout::of(&scenario, panel.sim().core(), &opts)?;
        let mut env = Env {
            scenario,
            opts,
            layout,
            panel,
            seed,
            paid: Vec::new(),
            ledger: Ledger::default(),
            size: crate::record::Size::DEFAULT,
        };
        env.start();
        Ok(env)
    }

    fn panel(s: &Scenario, seed: u64, size: crate::record::Size) -> crate::record::Panel {
        let sim = Sim::with_plugins(s, seed, s.run.ticks, |app| {
            app.add_plugins(MechanismPlugin(steer::MECHANISM));
        });
        crate::record::Panel::with_sim(&s.name, sim, size)
    }

    fn start(&mut self) {
        let m = self.panel.sim().core();
        paid(m, &mut self.paid);
        self.ledger = Ledger { at_choice: totals(m), p: served(m), chosen: false };
    }

    /// Starts again from tick 0 with `seed` (the last seed when `None`).
    pub fn reset(&mut self, seed: Option<u64>) {
        if let Some(s) = seed {
            self.seed = s;
        }
        self.panel = Self::panel(&self.scenario, self.seed, self.size);
        self.start();
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The seed of the episode.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The world model as it stands.
    pub fn world(&self) -> &WorldModel {
        self.panel.sim().core()
    }

    /// The metrics' column names.
    pub fn columns(&self) -> &[crate::metrics::Column] {
        self.panel.columns()
    }

    /// Ticks done.
    pub fn tick(&self) -> u64 {
        self.world().clock.tick
    }

    /// Runs one tick with `actions` (one per agent, id order; `None`: the agent decides as
    /// its scenario says) and, when the principal is steered, its `choice` (read at period
    /// ends only; `None` keeps the scenario's principal).
    pub fn step(&mut self, actions: &[Option<i64>], choice: Option<&[i64]>) -> Result<Outcome, String> {
        if self.tick() >= self.layout.ticks {
            return Err(format!(
                "the episode is over (tick {} of {}); call reset() first",
                self.tick(),
                self.layout.ticks
            ));
        }
        let actions = check_actions(actions, self.layout.names.len())?;
        let choice = match (choice, self.opts.principal) {
            (Some(c), true) => Some(check_choice(c, &self.layout.principal_choices)?),
            (Some(_), false) => return Err("the principal is not steered: make the env with principal=True".into()),
            (None, _) => None,
        };
        let acts_now = principal_acts(self.world());
        let steering = self.panel.sim_mut().part_mut::<Steering>().expect("an Env's world is steered");
        steering.actions = actions;
        steering.principal = choice;
        let out = self.panel.step();
        let m = self.panel.sim().core();
        let before = std::mem::take(&mut self.paid);
        paid(m, &mut self.paid);
        let rewards = self.paid.iter().zip(&before).map(|(now, then)| now - then).collect();
        // The principal is paid for a choice when the period it governed ends: at the next
        // period end, or at the episode's end for the part-period left (as the learned
        // principal's books, docs/learning.md).
        let truncated = m.clock.tick >= self.layout.ticks;
        let mut lead = 0.0;
        if self.opts.principal && (acts_now || truncated) {
            if self.ledger.chosen {
                lead = principal_reward(m, &self.ledger.at_choice, self.ledger.p);
            }
            self.ledger = Ledger { at_choice: totals(m), p: served(m), chosen: acts_now };
        }
        Ok(Outcome {
            rewards,
            principal_reward: lead,
            truncated,
            metrics: self.panel.last().to_vec(),
            events: out.events,
            executed: m
                .agents
                .iter()
                .map(|a| Action::ALL.iter().position(|&x| x == a.decision.action).unwrap_or(0))
                .collect(),
        })
    }

    /// Every agent's observation, id order, into `out` (`agents × observation`).
    pub fn observe(&self, out: &mut [f32]) {
        observe_all(self.world(), self.layout.view, out);
    }

    /// The principal's observation (empty unless steered).
    pub fn principal_observation(&self) -> Vec<f32> {
        if !self.opts.principal {
            return Vec::new();
        }
        principal_observation(self.world(), self.layout.ticks)
    }

    /// The global state ([`state`]).
    pub fn state(&self) -> Vec<f32> {
        let mut out = Vec::new();
        state(self.world(), &mut out);
        out
    }

    /// The recorder's frame of the world as it stands, `size` pixels.
    pub fn render(&mut self, size: crate::record::Size) -> crate::paint::Canvas {
        if size != self.size {
            self.size = size;
            self.panel.resize(size);
        }
        self.panel.frame(self.layout.ticks)
    }

    /// The world's state digest (as `polity run` reports it).
    pub fn state_hash(&self) -> u64 {
        self.world().state_hash()
    }
}

/// Every agent's observation with radius `view`, id order, into `out` (`agents × size`).
pub fn observe_all(m: &WorldModel, view: u32, out: &mut [f32]) {
    let n = m.agents.len();
    if n == 0 {
        return;
    }
    let dim = out.len() / n;
    let mut one = Vec::with_capacity(dim);
    for k in 0..n {
        crate::observe::observe(m, k, view, &mut one);
        out[k * dim..(k + 1) * dim].copy_from_slice(&one);
    }
}

/// Many copies of a world, stepped in parallel on the one thread pool: the world model alone
/// (no ECS, no metrics, no events), for collectors of samples. World `e`'s `k`-th episode is
/// seeded by `rng::key(seed, k, e, Learn)`; a world that reaches `run.ticks` starts its next
/// episode in the same step (its `truncated` is set, its observation is the new episode's
/// first, and the last observation of the episode that ended goes to `final_obs`).
pub struct VecEnv {
    scenario: Scenario,
    layout: Layout,
    mechanisms: Vec<Mechanism>,
    seed: u64,
    worlds: Vec<Slot>,
    /// Whether `reset` has been called (a reset without a seed then moves on to the next).
    reset_before: bool,
}

struct Slot {
    m: WorldModel,
    episode: u64,
    paid: Vec<f64>,
}

/// World `e`'s episode `episode`.
fn fresh(scenario: &Scenario, mechanisms: &[Mechanism], seed: u64, e: usize, episode: u64) -> Slot {
    let seed = crate::rng::key(seed, episode, e as u64, crate::rng::Purpose::Learn);
    let mut m = Sim::model_of(scenario, seed, mechanisms);
    m.quiet();
    let mut p = Vec::new();
    paid(&m, &mut p);
    Slot { m, episode, paid: p }
}

impl VecEnv {
    /// `envs` copies of `scenario` (validated).
    pub fn new(scenario: Scenario, envs: usize, seed: Option<u64>, opts: Options) -> Result<VecEnv, String> {
        if envs == 0 {
            return Err("num_envs must be at least 1".into());
        }
        if opts.principal {
            return Err("a VectorEnv steers agents only; use parallel_env(…, principal=True) for the principal".into());
        }
        let mut mechanisms = Sim::mechanisms();
        // Steering after Polity's own mechanisms, before the shadow (built last).
        let at = mechanisms.iter().position(|m| m.name == "shadow").unwrap_or(mechanisms.len());
        mechanisms.insert(at, steer::MECHANISM);
        let seed = seed.unwrap_or(scenario.run.seed);
        // The worlds are built at once: too many for this machine is an error, not an abort.
        let need = crate::cost::model_world(&scenario).saturating_mul(envs as u64);
        if let Some(have) = crate::cost::available_memory()
            && need > have
        {
            return Err(format!(
                "num_envs = {envs}: {envs} worlds of `{}` need about {} of memory but {} are available; make fewer",
                scenario.name,
                crate::cost::bytes(need),
                crate::cost::bytes(have)
            ));
        }
        let probe = Sim::model_of(&scenario, seed, &mechanisms);
        let layout = Layout::of(&scenario, &probe, &opts)?;
        let mut v = VecEnv { scenario, layout, mechanisms, seed, worlds: Vec::new(), reset_before: false };
        v.worlds = (0..envs).map(|e| v.fresh(e, 0)).collect();
        Ok(v)
    }

    fn fresh(&self, e: usize, episode: u64) -> Slot {
        fresh(&self.scenario, &self.mechanisms, self.seed, e, episode)
    }

    /// Starts every world's episode 0 again, with `seed`; without one, with the seed it was made
    /// with the first time and [`next_seed`] of the last seed after that (as `parallel_env`
    /// does), so each reset plays new worlds and a `VecEnv` seeded 0 never replays one seeded 1.
    pub fn reset(&mut self, seed: Option<u64>) {
        match seed {
            Some(s) => self.seed = s,
            None if self.reset_before => self.seed = next_seed(self.seed),
            None => {}
        }
        self.reset_before = true;
        let worlds: Vec<Slot> = {
            use rayon::prelude::*;
            (0..self.worlds.len()).into_par_iter().map(|e| self.fresh(e, 0)).collect()
        };
        self.worlds = worlds;
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Worlds.
    pub fn len(&self) -> usize {
        self.worlds.len()
    }

    /// Whether there are no worlds (never: at least one is made).
    pub fn is_empty(&self) -> bool {
        self.worlds.is_empty()
    }

    /// Each world's seed for the episode it is playing.
    pub fn seeds(&self) -> Vec<u64> {
        self.worlds.iter().map(|s| s.m.clock.seed).collect()
    }

    /// World `e` as it stands.
    pub fn world(&self, e: usize) -> &WorldModel {
        &self.worlds[e].m
    }

    /// Every world's observations into `obs` (`envs × agents × observation`).
    pub fn observe(&self, obs: &mut [f32]) {
        use rayon::prelude::*;
        let per = obs.len() / self.worlds.len();
        let view = self.layout.view;
        obs.par_chunks_mut(per).zip(&self.worlds).for_each(|(o, s)| observe_all(&s.m, view, o));
    }

    /// One tick of every world with `actions` (`envs × agents`, each 0..5, or −1: the agent
    /// decides as its scenario says); writes the new observations, each agent's reward and
    /// each world's `truncated` (then the world has started its next episode, and its part of
    /// `final_obs`, the same shape as `obs`, holds the ended episode's last observation, for
    /// bootstrapping a value; a world not truncated leaves its part as it was).
    pub fn step(
        &mut self,
        actions: &[i64],
        obs: &mut [f32],
        final_obs: &mut [f32],
        rewards: &mut [f32],
        truncated: &mut [bool],
    ) -> Result<(), String> {
        use rayon::prelude::*;
        let n = self.layout.names.len();
        let envs = self.worlds.len();
        if actions.len() != envs * n {
            return Err(format!("expected actions of shape ({envs}, {n}), got {} values", actions.len()));
        }
        let mut steered = Vec::with_capacity(envs);
        for (e, row) in actions.chunks(n.max(1)).enumerate().take(envs) {
            let row: Vec<Option<i64>> = row.iter().map(|&a| (a != -1).then_some(a)).collect();
            steered.push(check_actions(&row, n).map_err(|m| format!("world {e}: {m}"))?);
        }
        let ticks = self.layout.ticks;
        let view = self.layout.view;
        let per_obs = obs.len() / envs;
        if final_obs.len() != obs.len() {
            return Err(format!("final_obs must be the shape of obs ({} values), got {}", obs.len(), final_obs.len()));
        }
        let scenario = &self.scenario;
        let mechanisms = &self.mechanisms;
        let seed = self.seed;
        self.worlds
            .par_iter_mut()
            .zip(steered)
            .zip(obs.par_chunks_mut(per_obs))
            .zip(final_obs.par_chunks_mut(per_obs))
            .zip(rewards.par_chunks_mut(n.max(1)))
            .zip(truncated.par_iter_mut())
            .enumerate()
            .for_each(|(e, (((((slot, acts), o), last), r), t))| {
                slot.m.parts.get_mut::<Steering>().expect("steered").actions = acts;
                slot.m.step();
                let before = std::mem::take(&mut slot.paid);
                paid(&slot.m, &mut slot.paid);
                for ((r, now), then) in r.iter_mut().zip(&slot.paid).zip(&before) {
                    *r = (now - then) as f32;
                }
                *t = slot.m.clock.tick >= ticks;
                if *t {
                    observe_all(&slot.m, view, last);
                    *slot = fresh(scenario, mechanisms, seed, e, slot.episode + 1);
                }
                observe_all(&slot.m, view, o);
            });
        Ok(())
    }
}
