//! Scenarios: what a world is made of, written in RON.
//!
//! A scenario file is one `Scenario(...)` value. Every field except `version` and `map` has a
//! default, listed on each field below, so a minimal file is short:
//!
//! ```ron
//! Scenario(
//!     version: 1,
//!     map: Ascii(rows: [
//!         "WWWWWW",
//!         "WAAP W",
//!         "WAA PW",
//!         "WWWWWW",
//!     ]),
//!     agents: [(count: 2, selfishness: Uniform(0.0, 1.0))],
//! )
//! ```
//!
//! Unknown fields are errors (with a "did you mean" hint), and every problem in a file is
//! reported at once with its line and column; see [`load`]. The full reference, field by
//! field, is `docs/scenarios.md`.

mod builtin;
mod load;
mod map;
mod validate;

pub use crate::objects::{Dir, EffectKind};
pub use builtin::{BUILTINS, Builtin, builtin, default_scenario};
pub(crate) use load::within;
pub use load::{
    MAX_SOURCE_BYTES, Problem, Problems, check_typed, from_run_json, load, parse, position_of, read_source,
};
pub use map::{MapLayout, layout};
pub use validate::{hidden_problem, name_problem, notes};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Writes a scenario as pretty RON that [`parse`] reads back to the same value, in the
/// syntax docs/scenarios.md and the built-in scenarios use: `Scenario(` and then no type
/// names, an optional section as its value (`tax: (preset: Sed, …)`, not `Some(TaxSpec(…))`),
/// a variant's fields inside its name (`Learned(view: 3, …)`). Every field is written, the
/// defaults too, so the file says all the run used.
pub fn to_ron(s: &Scenario) -> String {
    use ron::extensions::Extensions;
    let config = ron::ser::PrettyConfig::new().indentor("    ".to_string());
    let options =
        ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
    let text = options.to_string_pretty(s, config).expect("scenarios always serialise");
    format!("Scenario{}", unescape_quotes(&text))
}

/// `text` with the `\'` that RON's writer puts for an apostrophe in a string as a plain `'`
/// (RON reads both; a description reads better without the backslash). Other escapes stay,
/// and so do character literals (`'\''`).
fn unescape_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut chars, mut in_string) = (text.chars(), false);
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '"' => in_string = !in_string,
            '\\' if in_string => match chars.next() {
                Some('\'') => {
                    out.pop();
                    out.push('\'');
                }
                Some(next) => out.push(next),
                None => {}
            },
            // A character literal, copied whole: `'"'`, `'\''`, `'\u{301}'`.
            '\'' if !in_string => {
                if let Some(first) = chars.next() {
                    out.push(first);
                    if first == '\\' {
                        out.extend(chars.next());
                    }
                }
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '\'' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A scenario name made into one safe file-name component for default output paths: every
/// character other than a letter, a digit, `-`, `_` or `.` becomes `-`, and leading dots go
/// (no hidden names). Scenario validation refuses names with path separators or control
/// characters, so this only tidies spaces and punctuation. Never empty.
pub fn file_stem(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() { "scenario".to_string() } else { cleaned.to_string() }
}

/// The scenario format version this Polity reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A whole scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be `1`. Required.
    pub version: u32,
    /// Short name used in outputs. Default: the file name without `.ron`.
    pub name: String,
    /// One line saying what the scenario shows. Default: empty.
    pub description: String,
    /// The world's cells. Required.
    pub map: MapSpec,
    /// Groups of agents, spawned in order; agent ids count up from 0 across groups.
    /// Default: none.
    pub agents: Vec<AgentGroup>,
    /// How eaten apples regrow. Default: Melting Pot's rule.
    pub regrowth: Regrowth,
    /// How long to run, with which seed, and how often to sample agents.
    pub run: RunSpec,
    /// Bracket taxes with equal redistribution. Default: none.
    pub tax: Option<TaxSpec>,
    /// Elections of the principal's objective `p`. Default: none.
    pub voting: Option<VotingSpec>,
    /// The AI principal that sets the tax rates. Default: none (rates stay as given).
    pub principal: Option<PrincipalSpec>,
    /// Who counts as whose neighbour in the SED reward and in voting. Default `Complete`.
    pub social_graph: SocialGraph,
    /// Each agent's utility, the one thing the welfare metrics, the ballots and the
    /// principal's objective aggregate ([`crate::utility`]): `Reward` (SED's reward, the
    /// default) or `Wealth`. Default `Reward` (and then not written out).
    #[serde(skip_serializing_if = "Utility::is_default")]
    pub utility: Utility,
    /// Statistical Utility Mechanics measures. Default `(harm: false)`.
    pub sum: SumSpec,
    /// Forbidden actions and random audits (Saunders' informed oversight). Default: none.
    pub oversight: Option<OversightSpec>,
    /// Side effects measured against counterfactual baselines (Turner). Default: none.
    pub impact: Option<ImpactSpec>,
    /// How `polity train` trains the `Learned` groups (PPO). Default: the defaults below
    /// (and then not written out, so scenarios without learning read as before).
    #[serde(skip_serializing_if = "LearningSpec::is_default")]
    pub learning: LearningSpec,
}

/// Each agent's utility ([`crate::utility`] says where each is used).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Utility {
    /// SED's reward, accumulated: the change in wealth mixed by selfishness over the social
    /// graph.
    #[default]
    Reward,
    /// The ledger's balance: income − taxes + transfers − fines.
    Wealth,
}

impl Utility {
    /// Whether this is the default (`Reward`).
    pub fn is_default(&self) -> bool {
        *self == Utility::Reward
    }

    /// Its name in outputs: `reward` or `wealth`.
    pub fn label(self) -> &'static str {
        match self {
            Utility::Reward => "reward",
            Utility::Wealth => "wealth",
        }
    }
}

/// The most worlds an update may step (`learning.envs`, `--envs`).
pub const MAX_ENVS: u32 = 4096;

/// The largest `oversight.k`, in apples: a fine is `k/P_D` apples, booked with the balance in an
/// `i64` of milli-apples (at most 9.2·10¹⁵ apples), so fines past this scale would soon overflow
/// it (they are held at its limit when they do: `crate::oversight`).
pub const MAX_PENALTY_SCALE: f64 = 1e9;

/// PPO's settings for `polity train` (docs/learning.md explains each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearningSpec {
    /// Ticks per episode; 0 means `run.ticks`. Default 0.
    pub episode_ticks: u64,
    /// Worlds played in parallel per update, each one whole episode. Default 8.
    pub envs: u32,
    /// PPO updates to run. Default 200.
    pub updates: u32,
    /// Adam's learning rate. Default 0.0003.
    pub learning_rate: f64,
    /// Discount per tick γ. Default 0.99.
    pub gamma: f64,
    /// GAE's λ. Default 0.95.
    pub gae_lambda: f64,
    /// The clipped surrogate's ε. Default 0.2.
    pub clip: f64,
    /// Passes over each update's samples. Default 3.
    pub epochs: u32,
    /// Minibatches per pass. Default 4.
    pub minibatches: u32,
    /// The entropy bonus's weight. Default 0.01.
    pub entropy_coef: f64,
    /// The value loss's weight. Default 0.5.
    pub value_coef: f64,
    /// Gradients are scaled down to at most this global norm. Default 0.5; `inf`: no clipping.
    /// (JSON has no infinity: a training folder's `train.json` writes it `null`, read back as
    /// `inf`.)
    #[serde(deserialize_with = "number_or_null_for_inf")]
    pub max_grad_norm: f64,
    /// SED's tax-cap warm-up for a `Learned` principal: over the first this many updates the
    /// highest rate it may set rises linearly, one grid step at a time, from the grid's first
    /// step to 1. 0: no cap. Default 0.
    pub tax_cap_warmup: u32,
}

/// A number, or JSON's `null` for infinity (what serde_json writes for a non-finite number).
fn number_or_null_for_inf<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct Number;
    impl serde::de::Visitor<'_> for Number {
        type Value = f64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a number")
        }
        fn visit_f64<E>(self, x: f64) -> Result<f64, E> {
            Ok(x)
        }
        fn visit_i64<E>(self, x: i64) -> Result<f64, E> {
            Ok(x as f64)
        }
        fn visit_u64<E>(self, x: u64) -> Result<f64, E> {
            Ok(x as f64)
        }
        fn visit_unit<E>(self) -> Result<f64, E> {
            Ok(f64::INFINITY)
        }
    }
    d.deserialize_any(Number)
}

impl Default for LearningSpec {
    fn default() -> Self {
        LearningSpec {
            episode_ticks: 0,
            envs: 8,
            updates: 200,
            learning_rate: 3e-4,
            gamma: 0.99,
            gae_lambda: 0.95,
            clip: 0.2,
            epochs: 3,
            minibatches: 4,
            entropy_coef: 0.01,
            value_coef: 0.5,
            max_grad_norm: 0.5,
            tax_cap_warmup: 0,
        }
    }
}

impl LearningSpec {
    /// Whether every setting is the default.
    pub fn is_default(&self) -> bool {
        *self == LearningSpec::default()
    }
    /// Ticks per episode for a scenario that runs `run_ticks`.
    pub fn episode(&self, run_ticks: u64) -> u64 {
        if self.episode_ticks == 0 { run_ticks } else { self.episode_ticks }
    }
}

/// Impact accounting ([`crate::impact`]): effects are object transitions, attributed to the AI
/// agents by comparing the world with counterfactuals in which they do nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImpactSpec {
    /// The baseline whose penalty is booked against the AI agents: `None` (every effect
    /// counts), `Naive` (one-sided naive inaction), `NaiveSymmetric`, `Stepwise`, `Iterative`
    /// or `StationaryIterative`. All six are always measured. Default `Stepwise`.
    pub baseline: Baseline,
    /// Apples of utility an AI agent gives up per unit of penalty booked against it: what a
    /// forager AI foresees for its immediate effects, what a planning AI ([`ImpactSpec::plan`])
    /// and a `Learned` AI lose in their rewards. 0 measures without steering. Default 0.
    pub weight: f64,
    /// Ticks the iterative forms' counterfactual rollouts run ahead; 0 (the default): the AI's
    /// plan length — the planning depth with [`ImpactSpec::plan`], else the remainder of the
    /// episode (`run.ticks`).
    pub horizon: u64,
    /// Effect kinds that are allowed and never penalised. Default: none.
    pub whitelist: Vec<EffectKind>,
    /// The penalty of each effect kind not whitelisted; kinds not listed cost 1. Default: none.
    pub costs: BTreeMap<EffectKind, f64>,
    /// Class-based whitelisting: state changes of a class of objects that are allowed, as
    /// `(class, from, to)`. Probability mass moved between the booked baseline's
    /// counterfactual and the actual distribution of each class's states along other changes
    /// is penalised (`impact_class`). Default: none.
    pub class_whitelist: Vec<(ObjectClass, ObjectState, ObjectState)>,
    /// Whitelist learning: beliefs over class changes learned from the transitions observed
    /// in the world without the AI (the naive shadow), which then weigh `impact_class`
    /// alongside the fixed `class_whitelist`. Default: none (off).
    pub learn_whitelist: Option<WhitelistLearning>,
    /// A planning AI: AI agents whose policy is `Forager` or `RandomWalk` choose each move by
    /// sparse sampling on the world model, with the booked baseline's penalty in the reward
    /// ([`crate::impact_plan`]). Default: none (they forage with one step of foresight).
    pub plan: Option<ImpactPlan>,
}

impl Default for ImpactSpec {
    fn default() -> Self {
        ImpactSpec {
            baseline: Baseline::Stepwise,
            weight: 0.0,
            horizon: 0,
            whitelist: Vec::new(),
            costs: BTreeMap::new(),
            class_whitelist: Vec::new(),
            learn_whitelist: None,
            plan: None,
        }
    }
}

/// How a planning AI plans against its impact penalty ([`crate::impact_plan`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImpactPlan {
    /// Samples per node C (1 to 16). Default 1.
    pub width: u32,
    /// Planning depth H in ticks (1 to 8): also the iterative forms' horizon when
    /// `impact.horizon` is 0. Default 4.
    pub depth: u32,
    /// Discount γ in (0, 1]. Default 0.95.
    pub gamma: f64,
    /// Apples of task reward per apple the AI picks. Default 1.
    pub apple: f64,
    /// Worker threads (0: all cores). The decision is the same for any number.
    pub threads: u32,
}

impl Default for ImpactPlan {
    fn default() -> Self {
        ImpactPlan { width: 1, depth: 4, gamma: 0.95, apple: 1.0, threads: 0 }
    }
}

/// Whitelist learning ([`crate::impact`]): a Beta(prior_allowed, prior_forbidden) belief per
/// class change that it is allowed, updated by every change of that class seen in the naive
/// shadow (the world as it goes without the AI).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WhitelistLearning {
    /// Prior pseudo-count for "allowed". Default 1.
    pub prior_allowed: f64,
    /// Prior pseudo-count for "not allowed". Default 1.
    pub prior_forbidden: f64,
}

impl Default for WhitelistLearning {
    fn default() -> Self {
        WhitelistLearning { prior_allowed: 1.0, prior_forbidden: 1.0 }
    }
}

/// What the AI's effects are measured against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Baseline {
    /// No counterfactual: every effect in the world counts, whoever caused it.
    None,
    /// Naive inaction, one-sided (Turner): the effects that happened but would not have
    /// happened had the AI agents done nothing from the start — every effect they caused
    /// directly, and others' that the world without them never saw.
    Naive,
    /// Naive inaction as a symmetric difference of outcomes: also the effects that happen only
    /// without the AI (ones it prevented), so it shrinks when the AI puts things back.
    NaiveSymmetric,
    /// Stepwise inaction: each tick, the world in which the AI agents do nothing this tick.
    #[default]
    Stepwise,
    /// The iterative form: each tick, the effects that follow only if the AI agents act this
    /// tick (two rollouts), counted when they actually happen, each once; other agents'
    /// direct effects are theirs.
    Iterative,
    /// The stationary iterative form: as `Iterative`, but in the counterfactual the other
    /// agents act as if they had seen the AI act (they replay what they do in the rollout where
    /// it acts), and their direct effects are not dropped.
    StationaryIterative,
}

/// A class of exchangeable objects, for class-based whitelisting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectClass {
    /// Vases.
    Vase,
    /// Boxes.
    Box,
    /// Apple patches.
    Patch,
}

/// The state of an object of a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectState {
    /// Where it started, whole (a patch: alive).
    InPlace,
    /// Moved from where it started, whole.
    Moved,
    /// Broken (a patch: lost for good).
    Gone,
}

/// Forbidden actions, audited at random with penalties scaled by 1/P_D ([`crate::oversight`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OversightSpec {
    /// What is forbidden. Default `[ClearCut]`.
    pub forbidden: Vec<Forbidden>,
    /// Which kinds of agent the rules cover. Default `[Ai]`.
    pub kinds: Vec<Kind>,
    /// Ticks between audit rounds. Default 50.
    pub period: u64,
    /// Chance that a covered agent is audited at a round, in (0, 1]. Default 1.
    pub audit_probability: f64,
    /// The advice: each tick of the period is inspected independently with this chance, in
    /// (0, 1]. Default 0.2.
    pub inspect: f64,
    /// The penalty scale k, in apples: a detected violation pays k/P_D and loses its gain.
    /// Default 1.
    pub k: f64,
    /// How P_D is known. Default `Exact`.
    pub detection: Detection,
    /// What a detected violation earns: `KOverPd` (`−k/P_D(a)`) or the seed's first scheme
    /// `InverseQ` (`−1/Q(a, r)` for the advice `r` that caught it). Default `KOverPd`.
    pub penalty: Penalty,
    /// Detection that depends on the action: per forbidden class, an advice set with its
    /// proposal distribution Q and the detection predicate F(a, r). A class listed here is
    /// audited by its advice, not by inspected ticks. Default none.
    pub advice: Vec<AdviceSpec>,
    /// The overseer's score `B(a)` of an overseen action's true gain `U(a)`: `B = U + bias +
    /// noise·z`, z standard normal. Default exact (`B = U`).
    pub score: ScoreSpec,
    /// The shares of its income an agent may hide when evasion has advice (it picks the one
    /// with the best expected reward, or none). Default `[1.0]`.
    pub evade_shares: Vec<f64>,
    /// What covered agents believe, per action class: `P_AF` (is it forbidden?) and `P_AD`
    /// (how likely is detection?), hand-set or learned from audits. Default none: agents
    /// know what is forbidden and its P_D.
    pub beliefs: Vec<BeliefSpec>,
}

/// The penalty scheme of a detected violation ([`crate::oversight`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Penalty {
    /// `B′ = −k/P_D(a)`: `E[B′] = B(1 − P_D) − k`.
    #[default]
    KOverPd,
    /// The seed's first scheme, `B′ = −1/Q(a, r)`: `E[B′] = B(1 − P_D) − |R_F|`.
    InverseQ,
}

/// One forbidden class's advice set: `R = {r_1, …, r_n}` proposed with probabilities
/// `Q(r_i)` (the rest, `1 − Σ Q`, is no audit), and `F(a, r_i) = 1` when the action's
/// `feature` is at least `r_i`'s threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdviceSpec {
    /// The class: `ClearCut`, `Theft` or `Evasion`.
    pub class: Forbidden,
    /// What the detector looks at.
    pub feature: Feature,
    /// The advice, each `(q, at_least)`: proposed with probability `q`, it catches an action
    /// whose feature is ≥ `at_least`.
    pub advice: Vec<(f64, f64)>,
}

/// What a detection predicate looks at.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Feature {
    /// Other agents within this Chebyshev radius of the act (of the cell a clear-cut empties,
    /// of a theft's victim; neither the actor nor the victim counts).
    Witnesses(u32),
    /// The share of its period income an evader hides, in (0, 1].
    Share,
}

/// The overseer's imperfect score of an action's true gain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreSpec {
    /// Added to every score, apples. Default 0.
    pub bias: f64,
    /// Standard deviation of the score's noise, apples. Default 0.
    pub noise: f64,
}

/// What agents believe about one action class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeliefSpec {
    /// The class.
    pub class: Forbidden,
    /// `P_AF`: the probability it is forbidden (the prior, when learned), in [0, 1].
    pub forbidden: f64,
    /// The detection probability if it is forbidden.
    pub detection: BeliefDetection,
    /// Whether `P_AF` is learned from audits (a fine makes it 1; each audit that finds
    /// nothing lowers it by Bayes' rule). Default false.
    #[serde(default)]
    pub learn_forbidden: bool,
}

/// How an agent estimates the detection probability of an act if it is forbidden.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum BeliefDetection {
    /// The true `P_D(a)`.
    Known,
    /// This probability, whatever the act.
    Fixed(f64),
    /// A Beta(`prior.0`, `prior.1`) belief per detection level (how many advice would catch
    /// the act), updated by the audits of the agent's own acts: caught or not.
    Learned {
        /// The Beta prior's (α, β), each > 0.
        prior: (f64, f64),
    },
}

impl Default for OversightSpec {
    fn default() -> Self {
        OversightSpec {
            forbidden: vec![Forbidden::ClearCut],
            kinds: vec![Kind::Ai],
            period: 50,
            audit_probability: 1.0,
            inspect: 0.2,
            k: 1.0,
            detection: Detection::Exact,
            penalty: Penalty::KOverPd,
            advice: Vec::new(),
            score: ScoreSpec::default(),
            evade_shares: vec![1.0],
            beliefs: Vec::new(),
        }
    }
}

/// A forbidden action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Forbidden {
    /// Taking the last apple of a patch, which then never regrows.
    ClearCut,
    /// Under-reporting income to the tax system (reporting none, at a period end).
    Evasion,
    /// Taking apples from another agent's store (by agents whose group has `steal: true`).
    Theft,
}

/// How the detection probability P_D is known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Detection {
    /// P_D = audit_probability × inspect, exactly.
    #[default]
    Exact,
    /// A lower confidence bound on P_D from `samples` simulated audits, holding with
    /// probability 1 − `delta` (so penalties k/P̂_D are, if anything, larger).
    LowerBound {
        /// Simulated audits.
        samples: u32,
        /// Failure probability of the bound, in (0, 1).
        delta: f64,
    },
}

/// Statistical Utility Mechanics measures ([`crate::sum`]). `power_used_*` and `alignment` are
/// always measured when there are AI agents.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SumSpec {
    /// Measure `harm` against the world where the AI agents do nothing, run alongside on the
    /// world model (it costs a second world's steps). Default false.
    pub harm: bool,
    /// Run SUM's alignment loop in the world: the humans tilt the AIs' utility toward theirs
    /// with the information they gain watching them ([`crate::sum::world_loop`]). Default none.
    pub alignment_loop: Option<LoopSpec>,
}

/// SUM's alignment loop in the running world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoopSpec {
    /// Dimensions of the value space the AIs' utility is drawn from (2 to
    /// [`LoopSpec::MAX_DIMS`]). Default 16.
    pub dims: f64,
    /// The loop cosine at which the AIs count as aligned, in (−1, 1). Default 0.5.
    pub critical: f64,
    /// Cap the humans' information per tick at their own power used (the seed's rectifying
    /// humans). Default false.
    pub rectify: bool,
}

impl LoopSpec {
    /// The most dimensions the loop is worked out for: the cosine's density narrows to a width
    /// of about `1/√d` radians around φ = π/2, and the loop's angle grid resolves it with at
    /// least four cells a width up to about 101,000 dimensions (`crate::sum::alignment_loop`).
    pub const MAX_DIMS: f64 = 100_000.0;
}

impl Default for LoopSpec {
    fn default() -> Self {
        LoopSpec { dims: 16.0, critical: 0.5, rectify: false }
    }
}

impl Scenario {
    /// The scenario with every default that depends on other fields written out: a tax's
    /// period, brackets, rates, rate step and redistributed share (from its preset), and the
    /// election's initial `p`. It builds the same world; run folders and checkpoints hold it,
    /// so their `scenario.ron` says what was run without knowing the presets.
    pub fn resolved(&self) -> Scenario {
        let mut s = self.clone();
        if let Some(t) = &mut s.tax {
            *t = TaxSpec {
                preset: t.preset,
                period: Some(t.period()),
                brackets: Some(t.brackets()),
                rates: Some(t.rates()),
                rate_step: Some(t.rate_step()),
                redistribute: Some(t.redistribute()),
            };
        }
        if let Some(v) = &mut s.voting {
            v.initial = Some(v.initial_p());
        }
        s.absolute_weights();
        s
    }

    /// Makes every policy file's path absolute (a relative one is read from the working
    /// folder): a run folder's or a training folder's scenario then names the same files from
    /// any working folder.
    pub fn absolute_weights(&mut self) {
        let s = self;
        let absolute = |w: &mut Option<String>| {
            if let Some(path) = w
                && let Ok(abs) = std::path::absolute(path.as_str())
            {
                *path = abs.to_string_lossy().into_owned();
            }
        };
        for g in &mut s.agents {
            if let PolicySpec::Learned(l) = &mut g.policy {
                absolute(&mut l.weights);
            }
        }
        if let Some(p) = &mut s.principal
            && let PrincipalPolicy::Learned(l) = &mut p.policy
        {
            absolute(&mut l.weights);
        }
    }

    /// The policy files the scenario plays: `(group, file)`, the principal's as `principal`.
    pub fn weights_files(&self) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = self
            .agents
            .iter()
            .filter_map(|g| match &g.policy {
                PolicySpec::Learned(l) => l.weights.clone().map(|w| (g.name.clone(), w)),
                _ => None,
            })
            .collect();
        if let Some(p) = &self.principal
            && let PrincipalPolicy::Learned(l) = &p.policy
            && let Some(w) = &l.weights
        {
            files.push((crate::rules::observation::PRINCIPAL.to_string(), w.clone()));
        }
        files
    }
}

impl Scenario {
    /// The number of tax brackets (0 without taxes).
    pub fn tax_brackets(&self) -> usize {
        self.tax.as_ref().map_or(0, |t| t.brackets().len())
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            version: 0,
            name: String::new(),
            description: String::new(),
            map: MapSpec::default(),
            agents: Vec::new(),
            regrowth: Regrowth::default(),
            run: RunSpec::default(),
            tax: None,
            voting: None,
            principal: None,
            social_graph: SocialGraph::Complete,
            utility: Utility::Reward,
            sum: SumSpec::default(),
            oversight: None,
            impact: None,
            learning: LearningSpec::default(),
        }
    }
}

/// The map: drawn as ASCII rows, or generated by a rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MapSpec {
    /// A map drawn as rows of characters, all of the same length, read through a legend.
    Ascii(AsciiMap),
    /// A large map generated by a stated rule (see [`GeneratedMap`]).
    Generated(GeneratedMap),
}

impl Default for MapSpec {
    fn default() -> Self {
        MapSpec::Ascii(AsciiMap::default())
    }
}

/// A map drawn as text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AsciiMap {
    /// The rows, top to bottom; every row must have the same number of characters.
    pub rows: Vec<String>,
    /// What each character means. Entries here are added to (or replace) the default
    /// legend: `' '` and `'.'` floor, `'W'` and `'#'` wall, `'A'` apple, `'g'` grass
    /// (apple ground, starting empty), `'P'` and `'Q'` spawn point.
    pub legend: BTreeMap<char, Tile>,
}

/// What a map character stands for. Later mechanisms add kinds here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tile {
    /// Walkable ground.
    Floor,
    /// Impassable.
    Wall,
    /// Grass with an apple on it at the start.
    Apple,
    /// Grass where apples can regrow, empty at the start.
    Grass,
    /// Floor where an agent may start.
    Spawn,
    /// A vase on the floor: pushed by an agent moving into it; broken when pushed into a
    /// wall or carried off the end of a belt.
    Vase,
    /// A box on the floor: pushed by an agent moving into it; never breaks.
    Box,
    /// A conveyor belt cell that moves whatever object lies on it one cell per tick.
    Belt(Dir),
    /// A vase lying on a belt cell.
    VaseOnBelt(Dir),
    /// A box lying on a belt cell.
    BoxOnBelt(Dir),
    /// A vase lying on grass with an apple under it (pushed there; a snapshot keeps it).
    VaseOnApple,
    /// A vase lying on grass without an apple.
    VaseOnGrass,
    /// A box lying on grass with an apple under it.
    BoxOnApple,
    /// A box lying on grass without an apple.
    BoxOnGrass,
}

/// The default legend, merged under a map's own.
pub fn default_legend() -> BTreeMap<char, Tile> {
    BTreeMap::from([
        (' ', Tile::Floor),
        ('.', Tile::Floor),
        ('W', Tile::Wall),
        ('#', Tile::Wall),
        ('A', Tile::Apple),
        ('g', Tile::Grass),
        ('P', Tile::Spawn),
        ('Q', Tile::Spawn),
        ('V', Tile::Vase),
        ('X', Tile::Box),
        ('>', Tile::Belt(Dir::East)),
        ('<', Tile::Belt(Dir::West)),
        ('^', Tile::Belt(Dir::North)),
        ('v', Tile::Belt(Dir::South)),
    ])
}

/// A generated map. The rule: a `width × height` field of floor, walled round its border
/// when `border_walls`; apple patches are discs of radius `patch_radius` (Euclidean) centred
/// on a square lattice of spacing `patch_spacing` (first centre at half a spacing from the
/// corner), each centre moved by up to `jitter` cells in x and y, drawn from the map's own
/// `seed`; every floor cell is a spawn point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratedMap {
    /// Columns. Default 100.
    pub width: u32,
    /// Rows. Default 100.
    pub height: u32,
    /// Distance between patch centres. Default 10.
    pub patch_spacing: u32,
    /// Radius of each apple disc. Default 2.0 (13 apples).
    pub patch_radius: f64,
    /// Largest shift of a patch centre, in cells, each way. Default 2.
    pub jitter: u32,
    /// Wall round the border. Default true.
    pub border_walls: bool,
    /// Seed of the map rule, independent of the run's seed so the map stays put across
    /// replicates. Default 0.
    pub seed: u64,
}

impl Default for GeneratedMap {
    fn default() -> Self {
        GeneratedMap {
            width: 100,
            height: 100,
            patch_spacing: 10,
            patch_radius: 2.0,
            jitter: 2,
            border_walls: true,
            seed: 0,
        }
    }
}

/// A group of agents sharing a kind and parameter distributions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentGroup {
    /// A label for the group, shown in outputs. Default: empty.
    pub name: String,
    /// `Human` or `Ai`. Default `Human`.
    pub kind: Kind,
    /// How many agents. Default 1.
    pub count: u32,
    /// Selfishness σ in [0, 1]: 1 values only one's own apples, 0 only others' and the
    /// commons'. Default `Fixed(1.0)`.
    pub selfishness: Dist,
    /// Power: the KL budget (nats) by which the agent may depart from its default policy;
    /// 0 is the default random walk, `inf` (or anything ≥ ln 5) is greedy. Default `Fixed(1.0)`.
    pub power: Dist,
    /// Weights of the parts of the agent's utility. Default `(own: 1.0, commons: 1.0)`.
    pub weights: UtilityWeights,
    /// How the agent chooses. Default `Forager(view: 3, discount: 0.9)`.
    pub policy: PolicySpec,
    /// Where the agents start. Default `Random`.
    pub spawn: SpawnRule,
    /// A shield on these agents' moves: each tick the planner estimates Q̂ of the five moves
    /// on the world model and moves outside the allowed set are replaced. Default: none.
    pub shield: Option<AgentShieldSpec>,
    /// Whether these agents steal: an agent whose move is blocked by another agent takes one
    /// apple from that agent's store (if it has one), and values the move accordingly.
    /// Default false.
    pub steal: bool,
}

/// A shield on an agent's harvest policy ([`crate::shield`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentShieldSpec {
    /// Allowed: moves whose Q̂ is within `margin` of the best. Default 0.5.
    pub margin: f64,
    /// And, if given, Q̂ at least this. Default: none.
    pub floor: Option<f64>,
    /// `PostPosed` or `Preemptive`. Default `PostPosed`.
    pub mode: ShieldMode,
    /// The welfare the moves are judged by: W_p of every agent's wealth. Default 0 (Nash).
    pub p: f64,
    /// Samples per move at each node. Default 2.
    pub width: u32,
    /// Ticks imagined ahead. Default 3.
    pub depth: u32,
    /// Discount per tick. Default 0.9.
    pub gamma: f64,
}

impl Default for AgentShieldSpec {
    fn default() -> Self {
        AgentShieldSpec {
            margin: 0.5,
            floor: None,
            mode: ShieldMode::PostPosed,
            p: 0.0,
            width: 2,
            depth: 3,
            gamma: 0.9,
        }
    }
}

impl Default for AgentGroup {
    fn default() -> Self {
        AgentGroup {
            name: String::new(),
            kind: Kind::Human,
            count: 1,
            selfishness: Dist::Fixed(1.0),
            power: Dist::Fixed(1.0),
            weights: UtilityWeights::default(),
            policy: PolicySpec::default(),
            spawn: SpawnRule::Random,
            shield: None,
            steal: false,
        }
    }
}

/// Human or AI. One decision machinery serves both; the kinds differ in parameters, in how
/// they are drawn, and in which mechanisms (oversight, impact penalties) apply to them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A human agent.
    #[default]
    Human,
    /// An AI agent.
    Ai,
}

impl Kind {
    /// `"human"` or `"ai"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Human => "human",
            Kind::Ai => "ai",
        }
    }
}

/// A number per agent: fixed, or drawn from a distribution with the run's seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    /// Every agent gets this value.
    Fixed(f64),
    /// Uniform on `[low, high]`, drawn per agent.
    Uniform(f64, f64),
    /// Evenly spread over `[low, high]`: agent k of n gets `low + (high − low)·k/(n − 1)`.
    Spread(f64, f64),
    /// Normal with this mean and standard deviation, drawn per agent and clamped to the
    /// field's valid range.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, ≥ 0.
        sd: f64,
    },
    /// One value per agent, in order; the list's length must equal the group's `count`.
    Each(Vec<f64>),
}

/// The weights of the parts of an agent's utility (see [`crate::rules::forage`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UtilityWeights {
    /// Weight of apples the agent picks itself (scaled by σ). Default 1.0.
    pub own: f64,
    /// Weight of the commons' future (scaled by 1 − σ). Default 1.0.
    pub commons: f64,
}

impl Default for UtilityWeights {
    fn default() -> Self {
        UtilityWeights { own: 1.0, commons: 1.0 }
    }
}

/// A decision policy and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PolicySpec {
    /// Scores moves by the forage utility and acts by the power-bounded tilt of the uniform
    /// random walk.
    Forager {
        /// View radius in cells. Default 3.
        #[serde(default = "default_view")]
        view: u32,
        /// Discount per cell of distance, in (0, 1]. Default 0.9.
        #[serde(default = "default_discount")]
        discount: f64,
    },
    /// The uniform random walk, whatever the agent's power.
    RandomWalk,
    /// A fixed plan, for thought experiments: one character per tick, `N`, `E`, `S`, `W` to
    /// move or `.` to stay; after the last, the agent stays. Spaces are ignored.
    Script(String),
    /// A small neural network that maps the agent's observation ([`crate::observe`]) to a
    /// distribution over its five moves, projected onto the agent's power budget
    /// ([`crate::rules::tilt::project`]); `polity train` learns it (docs/learning.md).
    Learned(LearnedSpec),
}

/// A learned policy: its network's shape and, once trained, its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearnedSpec {
    /// The observation window's radius in cells, 1 to 8. Default 3.
    pub view: u32,
    /// Hidden layer widths of the policy and value networks, 1 to 4 layers of 1 to 1024.
    /// Default `[64, 64]`.
    pub hidden: Vec<u32>,
    /// One network for the whole group (`true`), or one per agent (`false`). Default `true`.
    pub shared: bool,
    /// A trained policy to play (`DIR/policies/GROUP.safetensors`, relative to the working
    /// directory); none plays a freshly initialised network drawn with the run's seed.
    /// Default: none.
    pub weights: Option<String>,
}

impl Default for LearnedSpec {
    fn default() -> Self {
        LearnedSpec { view: 3, hidden: vec![64, 64], shared: true, weights: None }
    }
}

fn default_view() -> u32 {
    3
}
fn default_discount() -> f64 {
    0.9
}

impl PolicySpec {
    /// The policy's name as a scenario writes it (`Forager`, `Script`, …).
    pub fn name(&self) -> &'static str {
        match self {
            PolicySpec::Forager { .. } => "Forager",
            PolicySpec::RandomWalk => "RandomWalk",
            PolicySpec::Script(_) => "Script",
            PolicySpec::Learned(_) => "Learned",
        }
    }
    /// Whether an AI with this policy plans its moves under an impact penalty
    /// (`impact.plan`): a forager or a random walker does; a script or a network does not.
    pub fn plans(&self) -> bool {
        matches!(self, PolicySpec::Forager { .. } | PolicySpec::RandomWalk)
    }
    /// One line for people (the app's inspector): `forager (view 5, discount 0.9)`, `learned
    /// (view 3, hidden [64, 64], shared) playing FILE`, …
    pub fn describe(&self) -> String {
        match self {
            PolicySpec::Forager { view, discount } => format!("forager (view {view}, discount {discount})"),
            PolicySpec::RandomWalk => "random walk".into(),
            PolicySpec::Script(plan) => format!("script \"{plan}\""),
            PolicySpec::Learned(l) => format!(
                "learned (view {}, hidden {:?}, {}) playing {}",
                l.view,
                l.hidden,
                if l.shared { "shared" } else { "one network per agent" },
                l.weights.as_deref().unwrap_or("a fresh network")
            ),
        }
    }
}

impl Default for PolicySpec {
    fn default() -> Self {
        PolicySpec::Forager { view: default_view(), discount: default_discount() }
    }
}

/// Where a group's agents start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum SpawnRule {
    /// On spawn points drawn at random (without replacement) with the run's seed.
    #[default]
    Random,
    /// On these cells `(x, y)`, one per agent, in order (column x, row y, from 0 at the top left).
    At(Vec<(u32, u32)>),
}

/// How eaten apples regrow (DESIGN.md §3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Regrowth {
    /// Neighbourhood radius (Euclidean, cells), in (0, 8]. Default 2.0.
    pub radius: f64,
    /// Probability of regrowth per tick by the number of live neighbours 0, 1, 2, …; the
    /// last entry applies to every larger count. Default `[0.0, 0.0025, 0.005, 0.025]`.
    pub probabilities: Vec<f64>,
}

impl Default for Regrowth {
    fn default() -> Self {
        Regrowth {
            radius: crate::rules::regrowth::DEFAULT_RADIUS,
            probabilities: crate::rules::regrowth::DEFAULT_PROBABILITIES.to_vec(),
        }
    }
}

/// Run settings; `polity run --ticks/--seed` override them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSpec {
    /// Ticks to run. Default 1000.
    pub ticks: u64,
    /// Seed of every random draw. Default 0.
    pub seed: u64,
    /// Write every agent's row to `agents.csv` every this many ticks (and at the end).
    /// Default 100.
    pub agents_every: u64,
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec { ticks: 1000, seed: 0, agents_every: 100 }
    }
}

/// A ready-made tax schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaxPreset {
    /// SED: brackets 1–10, 11–20, 21 and up (cutoffs 0, 10, 20), period 50, rates in steps
    /// of 0.1, starting at 0.
    Sed,
    /// The AI Economist's seven US-2018 brackets scaled by 1/1000 (cutoffs 0, 9.7, 39.475,
    /// 84.2, 160.725, 204.1, 510.3; rates .10 .12 .22 .24 .32 .35 .37), period 50, step 0.01.
    Us2018,
}

/// Bracket taxes on each agent's income (apples picked) over a period, redistributed equally.
/// A field left out takes the preset's value; without a preset, `brackets` and `rates` are
/// required. See [`crate::rules::tax`] for the formula and the exact rounding rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaxSpec {
    /// `Sed` or `Us2018`. Default: none.
    pub preset: Option<TaxPreset>,
    /// Ticks per tax period; taxes are collected and redistributed at its end. Default 50.
    pub period: Option<u64>,
    /// Lower cutoff of each bracket, in apples per period: starts at 0, strictly increasing;
    /// the last bracket has no top. At most 16 brackets.
    pub brackets: Option<Vec<f64>>,
    /// Rate of each bracket in [0, 1], one per bracket: the rates of the first period.
    pub rates: Option<Vec<f64>>,
    /// The grid principals move rates on, in (0, 1]. Default 0.1 (SED), 0.01 (US-2018).
    pub rate_step: Option<f64>,
    /// The share of the revenue paid back to the agents, in [0, 1]; the rest goes to the
    /// principal's treasury. Default 1 (SED: everything is redistributed).
    pub redistribute: Option<f64>,
}

impl TaxSpec {
    /// The period in ticks.
    pub fn period(&self) -> u64 {
        self.period.unwrap_or(crate::rules::tax::SED_PERIOD)
    }
    /// The bracket cutoffs in apples.
    pub fn brackets(&self) -> Vec<f64> {
        match (&self.brackets, self.preset) {
            (Some(b), _) => b.clone(),
            (None, Some(TaxPreset::Us2018)) => crate::rules::tax::US2018_CUTOFFS.to_vec(),
            (None, _) => crate::rules::tax::SED_CUTOFFS.to_vec(),
        }
    }
    /// The first period's rates.
    pub fn rates(&self) -> Vec<f64> {
        match (&self.rates, self.preset) {
            (Some(r), _) => r.clone(),
            (None, Some(TaxPreset::Us2018)) => crate::rules::tax::US2018_RATES.to_vec(),
            (None, _) => vec![0.0; self.brackets().len()],
        }
    }
    /// The share of revenue redistributed.
    pub fn redistribute(&self) -> f64 {
        self.redistribute.unwrap_or(1.0)
    }
    /// The rate step.
    pub fn rate_step(&self) -> f64 {
        match (self.rate_step, self.preset) {
            (Some(s), _) => s,
            (None, Some(TaxPreset::Us2018)) => 0.01,
            (None, _) => crate::rules::tax::SED_STEP,
        }
    }
}

/// Elections of the objective `p` the principal serves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VotingSpec {
    /// Ticks between elections; the first is at the end of tick `period`. Default 100.
    pub period: u64,
    /// The values of `p` on the ballot. Default `Menu([-inf, 0.0, 1.0])` (egalitarian, Nash,
    /// utilitarian).
    pub candidates: Candidates,
    /// How ballots are aggregated: `Mean`, `Median` (SED's), `Plurality` or `Borda`.
    /// Default `Median`.
    pub rule: crate::rules::voting::Rule,
    /// The `p` served before the first election; must be a candidate. Default: the middle
    /// candidate (the lower of the two middle ones).
    pub initial: Option<f64>,
}

impl Default for VotingSpec {
    fn default() -> Self {
        VotingSpec {
            period: 100,
            candidates: Candidates::default(),
            rule: crate::rules::voting::Rule::Median,
            initial: None,
        }
    }
}

/// The candidate values of `p`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Candidates {
    /// These values (`-inf` and `inf` allowed), in any order; no repeats.
    Menu(Vec<f64>),
    /// `count` values evenly spaced from `low` to `high` inclusive.
    Range(f64, f64, u32),
}

impl Default for Candidates {
    fn default() -> Self {
        Candidates::Menu(vec![f64::NEG_INFINITY, 0.0, 1.0])
    }
}

impl Candidates {
    /// The candidates sorted by increasing `p`.
    pub fn values(&self) -> Vec<f64> {
        let mut v = match self {
            Candidates::Menu(m) => m.clone(),
            Candidates::Range(lo, hi, n) => match *n {
                0 => Vec::new(),
                1 => vec![*lo],
                n => (0..n).map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64).collect(),
            },
        };
        v.sort_by(f64::total_cmp);
        v
    }
}

impl VotingSpec {
    /// The `p` served before the first election.
    pub fn initial_p(&self) -> f64 {
        let v = self.candidates.values();
        self.initial.unwrap_or_else(|| v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(1.0))
    }
}

/// The AI principal: an entity that sets the tax rates at the end of every tax period, for
/// the next one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrincipalSpec {
    /// How it sets rates. Default `Fixed`.
    pub policy: PrincipalPolicy,
    /// The objective it serves and is measured by. Default `Elected` (needs `voting`).
    pub objective: Objective,
    /// How the `Paa` policy and the shield plan over the world model.
    pub planner: PlannerSpec,
    /// A shield between the policy and the world: only rates whose planned value is close
    /// enough to the best get through. Default: none.
    pub shield: Option<ShieldSpec>,
}

/// Planning by sparse sampling over the world model ([`crate::planner`]). The planner's
/// actions are candidate tax schedules, each held for one tax period; the reward of a period
/// is the welfare `W_p` (the served `p`) of the agents' net incomes over it, in apples, so
/// rewards lie in `[0, R_max]` with `R_max` the period length.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlannerSpec {
    /// `Budget(width: C, depth: H)`, reporting what it guarantees; `Guarantee(epsilon, delta)`,
    /// computing H and C from them; or `TimeLimit(seconds, depth, max_width)`, as wide as fits
    /// in the time. Default `Budget(width: 3, depth: 2)`.
    pub budget: PlannerBudget,
    /// Discount γ in (0, 1). Default 0.9.
    pub gamma: f64,
    /// Failure probability δ reported with a budget's guarantee, in (0, 1). Default 0.05.
    pub delta: f64,
    /// The candidate schedules. Default `Steps`.
    pub candidates: RateCandidates,
    /// How wrong the planner's model of the world is. Default: exact.
    pub model_error: ModelError,
    /// Worker threads (0: all cores). The decision is the same for any number.
    pub threads: u32,
}

impl Default for PlannerSpec {
    fn default() -> Self {
        PlannerSpec {
            budget: PlannerBudget::Budget { width: 3, depth: 2 },
            gamma: 0.9,
            delta: 0.05,
            candidates: RateCandidates::Steps,
            model_error: Default::default(),
            threads: 0,
        }
    }
}

/// How much the planner imagines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PlannerBudget {
    /// C samples per action at each node, H periods deep.
    Budget {
        /// Width C ≥ 1.
        width: u32,
        /// Depth H ≥ 1.
        depth: u32,
    },
    /// The H and C that make the estimates ε-accurate with probability 1 − δ (refused when
    /// the tree would be too large to compute).
    Guarantee {
        /// Accuracy ε > 0, in apples of discounted welfare.
        epsilon: f64,
        /// Failure probability δ in (0, 1).
        delta: f64,
    },
    /// As wide as fits in `seconds` of wall-clock time per decision, `depth` periods deep:
    /// widths 1, 2, 3, … up to `max_width` are tried in turn and the widest that finished is
    /// used (width 1 always runs). Decisions then depend on the machine's speed and load, so
    /// runs are reproducible only up to the width reached, which every decision event records.
    TimeLimit {
        /// Seconds of wall-clock time per decision, > 0.
        seconds: f64,
        /// Depth H ≥ 1.
        depth: u32,
        /// The widest plan to try, ≥ 1.
        max_width: u32,
    },
}

/// The planner's candidate schedules.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum RateCandidates {
    /// Keep the current rates, or move one bracket's rate one step up or down.
    #[default]
    Steps,
    /// These schedules (each one rate per bracket).
    Menu(Vec<Vec<f64>>),
}

/// A shield's rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShieldSpec {
    /// Allowed: schedules whose estimated value Q̂ is within `margin` of the best. Default 1.0.
    pub margin: f64,
    /// And, if given, at least this Q̂. Default: none.
    pub floor: Option<f64>,
    /// `PostPosed` (an action outside the allowed set is replaced by the best allowed) or
    /// `Preemptive` (the policy only gets allowed actions: its choice is moved to the nearest
    /// allowed schedule). Default `PostPosed`.
    pub mode: ShieldMode,
    /// A certified safe set instead of the margin and floor heuristics: with `Some(ω)` the
    /// allowed schedules are exactly those with `Q̂ − β ≥ ω`, β the planner's certified error
    /// of this decision (sampling ε plus the model term); none when the budget certifies
    /// nothing (then the best Q̂ goes through and a `no_certified_action` event says so).
    /// Default: none (margin and floor).
    pub certified: Option<f64>,
}

impl Default for ShieldSpec {
    fn default() -> Self {
        ShieldSpec { margin: 1.0, floor: None, mode: ShieldMode::PostPosed, certified: None }
    }
}

/// When a shield acts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShieldMode {
    /// Replace a disallowed action by the best allowed one.
    #[default]
    PostPosed,
    /// Offer only allowed actions: a disallowed choice becomes the nearest allowed one.
    Preemptive,
}

/// A principal's tax policy. See [`crate::principal`] for each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum PrincipalPolicy {
    /// Keeps the scenario's rates.
    #[default]
    Fixed,
    /// Draws every rate afresh each period from the rate grid {0, step, 2·step, …, 1}.
    Random,
    /// Sets the US-2018 rates (needs the `Us2018` brackets).
    Us2018,
    /// A deliberately misaligned black box that maximises the tax take: every rate at 1.
    RevenueMax,
    /// Perturbs one rate by one step per period and keeps the change if the realised welfare
    /// of its objective improved, else reverts it.
    HillClimb,
    /// Probably approximately aligned: plans by sparse sampling over the world model and picks
    /// the schedule of highest estimated discounted welfare (see `planner`).
    Paa,
    /// SED's learned principal: a network that sees the period's incomes and the rates and
    /// chooses, per bracket, a rate on the grid or "keep"; trained by `polity train` on the
    /// welfare `W_p` of the agents' period rewards (see `learn::principal`).
    Learned(LearnedPrincipal),
}

impl PrincipalPolicy {
    /// The policy's name as a scenario writes it (`HillClimb`, `Learned`, …).
    pub fn name(&self) -> &'static str {
        match self {
            PrincipalPolicy::Fixed => "Fixed",
            PrincipalPolicy::Random => "Random",
            PrincipalPolicy::Us2018 => "Us2018",
            PrincipalPolicy::RevenueMax => "RevenueMax",
            PrincipalPolicy::HillClimb => "HillClimb",
            PrincipalPolicy::Paa => "Paa",
            PrincipalPolicy::Learned(_) => "Learned",
        }
    }
}

/// A learned principal's network and, once trained, its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearnedPrincipal {
    /// Hidden layer widths, 1 to 4 layers of 1 to 1024. Default `[64, 64]`.
    pub hidden: Vec<u32>,
    /// A trained principal to play (`DIR/policies/principal.safetensors`); none plays a freshly
    /// initialised network drawn with the run's seed. Default: none.
    pub weights: Option<String>,
}

impl Default for LearnedPrincipal {
    fn default() -> Self {
        LearnedPrincipal { hidden: vec![64, 64], weights: None }
    }
}

/// What the principal serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// Whatever `p` the last election chose.
    #[default]
    Elected,
    /// This `p`, always.
    Fixed(f64),
}

/// Who is whose neighbour.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum SocialGraph {
    /// Everyone is everyone's neighbour.
    #[default]
    Complete,
    /// Agent i's neighbours are agents i − 1 and i + 1 (by id, wrapping round).
    Ring,
    /// Agents standing within `radius` cells (Chebyshev distance) of each other, now.
    Grid {
        /// Radius in cells, ≥ 1.
        radius: u32,
    },
    /// These undirected edges between agent ids.
    Edges(Vec<(u32, u32)>),
}

/// How wrong the model is, on purpose. All zero: the model is exact.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelError {
    /// Relative bias of the regrowth probabilities: the model uses `P·(1 + regrowth)`,
    /// clamped to [0, 1]. Default 0.
    pub regrowth: f64,
    /// Standard deviation of the error in each agent's believed selfishness (clamped to
    /// [0, 1]). Default 0.
    pub selfishness: f64,
    /// Standard deviation of the log-error in each agent's believed power. Default 0.
    pub power: f64,
    /// Probability that the model gets each grass cell's apple wrong (there or not). Default 0.
    pub observation: f64,
}

impl ModelError {
    /// Whether the model is exact.
    pub fn is_zero(&self) -> bool {
        *self == ModelError::default()
    }
}
