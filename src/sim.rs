//! The ECS side of the tick: the `SimTick` schedule runs the world model's phase list
//! ([`crate::model::phases`]) through one thin system per step, on the [`Core`] resource
//! that holds the world's whole changing state; agents stay entities whose components mirror
//! the core between ticks. Also the headless [`Sim`] that builds a world from a scenario and
//! steps it.
//!
//! One tick runs the steps of [`Step::ALL`] in order, each in its [`StepSet`],
//! single-threaded, with ambiguity detection set to error. Before the core's
//! `Observe`, components the app or a plugin changed (σ, power, weights, policy) are copied
//! into the core; after its `Measure`, the core's agents are copied out to their components
//! (position, ledger, decision, reward) and its events into the [`EventLog`], then the
//! measuring schedule runs. Nothing in a tick reads wall-clock or frame time.

use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings, ScheduleLabel, SingleThreadedExecutor};
use bevy::prelude::*;

use crate::agents::{
    Agent, AgentOrder, Ai, Decision, Human, Ledger, Policy, Position, Power, Reward, Selfishness, Thief, Weights,
};
use crate::grid::Grid;
use crate::metrics::EventLog;
use crate::model::{Mechanism, ModelAgent, Part, Step, WorldModel};
use crate::scenario::Scenario;
use crate::world::{self, AgentInit};

pub use crate::model::{SimClock, TickStats};

/// The schedule that runs one tick of the world.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimTick;

/// The schedule of measurements, run at the end of each tick and once at tick 0.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimMeasure;

/// The system set of one step of the phase list ([`Step::ALL`]): `SimTick` runs one thin
/// system per step, each in its step's set, the sets chained in the list's order.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StepSet(pub Step);

/// The world's whole changing state: the world model the tick runs on.
#[derive(Resource, Debug, Deref, DerefMut)]
pub struct Core(pub WorldModel);

/// The mechanisms the plugins registered, in order.
#[derive(Resource, Clone, Debug, Default)]
pub struct Mechanisms(pub Vec<Mechanism>);

/// Registers a mechanism (its plugin calls this): its parts are built with the world and its
/// phase functions run in the tick.
pub fn add_mechanism(app: &mut App, mechanism: Mechanism) {
    app.world_mut().get_resource_or_insert_with(Mechanisms::default).0.push(mechanism);
}

/// The plugin of one mechanism: registers it, so the world builds its parts and runs its
/// phase functions. `app.add_plugins(MechanismPlugin(my_mechanism::MECHANISM))` is all a new
/// mechanism needs (see docs/architecture.md).
pub struct MechanismPlugin(pub Mechanism);

impl Plugin for MechanismPlugin {
    fn build(&self, app: &mut App) {
        add_mechanism(app, self.0);
    }
    fn name(&self) -> &str {
        self.0.name
    }
    fn is_unique(&self) -> bool {
        false
    }
}

/// Run settings the measuring systems need.
#[derive(Resource, Clone, Debug)]
pub struct RunSettings {
    /// The tick the run ends at (for the last agent sample).
    pub end_tick: u64,
    /// Sample agents every this many ticks.
    pub agents_every: u64,
}

/// The resolved scenario the world was built from.
#[derive(Resource, Clone, Debug)]
pub struct ScenarioRes(pub Scenario);

/// The world model of a Bevy world.
pub fn core(world: &World) -> &WorldModel {
    &world.resource::<Core>().0
}

/// The thin system of one step: the step's phase functions, on the core.
fn run_step(step: Step) -> impl FnMut(ResMut<Core>) {
    move |mut core: ResMut<Core>| core.run(step, step)
}

/// Sets up the tick schedule, one system set a step, the clock, and the thin systems that run
/// the world model's phase list.
pub struct SimPlugin;

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        add_mechanism(app, crate::model::CLOCK);
        for label in [SimTick.intern(), SimMeasure.intern()] {
            let mut schedule = Schedule::new(label);
            schedule.set_executor(SingleThreadedExecutor::new());
            schedule.set_build_settings(ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..default() });
            app.add_schedule(schedule);
        }
        for pair in Step::ALL.windows(2) {
            app.configure_sets(SimTick, StepSet(pair[1]).after(StepSet(pair[0])));
        }
        for step in Step::ALL {
            let (system, set) = (run_step(step), StepSet(step));
            match step {
                Step::Observe => app.add_systems(SimTick, (sync_in, system).chain().in_set(set)),
                Step::Measure => app.add_systems(SimTick, (system, sync_out, run_measure).chain().in_set(set)),
                _ => app.add_systems(SimTick, system.in_set(set)),
            };
        }
    }
}

/// Copies what the app or a plugin changed since the last tick (σ, power, weights, policy)
/// into the core.
#[allow(clippy::type_complexity)]
fn sync_in(
    mut core: ResMut<Core>,
    agents: Query<
        (&Agent, Ref<Selfishness>, Ref<Power>, Ref<Weights>, Ref<Policy>),
        Or<(Changed<Selfishness>, Changed<Power>, Changed<Weights>, Changed<Policy>)>,
    >,
) {
    for (agent, sigma, power, weights, policy) in &agents {
        let Some(a) = core.agents.get_mut(agent.id as usize) else { continue };
        a.sigma = sigma.0;
        a.power = power.0;
        a.weights = *weights;
        if a.policy != *policy {
            a.policy = (*policy).clone();
        }
    }
}

/// Copies the core's agents out to their components, and its events into the event log.
/// The agents' components are read table by table as slices ([`Query::contiguous_iter_mut`])
/// and copied on the thread pool, `SYNC_CHUNK` agents a task; a component is marked changed
/// only when its value changes (as `set_if_neq` would), but for the decision, which is new
/// every tick. Polity builds Bevy without `track_location`, so no caller is recorded.
fn sync_out(
    mut core: ResMut<Core>,
    mut events: ResMut<EventLog>,
    mut agents: Query<(&Agent, &mut Position, &mut Ledger, &mut Decision, &mut Reward, &mut Selfishness)>,
) {
    use bevy::ecs::change_detection::{ContiguousMut, Tick};
    use rayon::prelude::*;
    const SYNC_CHUNK: usize = 1024;
    /// A run of one component's values and their changed ticks.
    type Column<'a, T> = (&'a mut [T], &'a mut [Tick]);
    /// A run of agents: their ids, positions, ledgers, decisions, rewards and σ.
    type Rows<'a> = (
        &'a [Agent],
        Column<'a, Position>,
        Column<'a, Ledger>,
        Column<'a, Decision>,
        Column<'a, Reward>,
        Column<'a, Selfishness>,
    );
    fn split<T>(c: ContiguousMut<'_, T>) -> (&mut [T], bevy::ecs::change_detection::ContiguousComponentTicksMut<'_>) {
        ContiguousMut::bypass_change_detection_split(c)
    }
    /// Sets the `k`-th value to `new`, marking it changed at `now` if that changes it.
    fn set<T: PartialEq>((values, changed): &mut Column<'_, T>, k: usize, new: T, now: Tick) {
        if values[k] != new {
            values[k] = new;
            changed[k] = now;
        }
    }
    let model = &core.agents;
    let tables = agents.contiguous_iter_mut().expect("an agent's components are stored in tables");
    for (ids, pos, ledger, decision, reward, sigma) in tables {
        let ((pos, mut pos_t), (ledger, mut ledger_t)) = (split(pos), split(ledger));
        let ((decision, mut decision_t), (reward, mut reward_t), (sigma, mut sigma_t)) =
            (split(decision), split(reward), split(sigma));
        let now = pos_t.this_run();
        let copy = |(ids, mut pos, mut ledger, decision, mut reward, mut sigma): Rows<'_>| {
            for (k, id) in ids.iter().enumerate() {
                let Some(a) = model.get(id.id as usize) else { continue };
                set(&mut pos, k, a.pos, now);
                // A mechanism may move σ (SUM's loop aligning an AI).
                set(&mut sigma, k, Selfishness(a.sigma), now);
                set(&mut ledger, k, a.ledger, now);
                (decision.0[k], decision.1[k]) = (a.decision, now);
                set(&mut reward, k, a.reward, now);
            }
        };
        if ids.len() <= SYNC_CHUNK {
            // One task: copied here (handing it to the pool costs more than a small world's copy).
            copy((
                ids,
                (pos, pos_t.changed_mut()),
                (ledger, ledger_t.changed_mut()),
                (decision, decision_t.changed_mut()),
                (reward, reward_t.changed_mut()),
                (sigma, sigma_t.changed_mut()),
            ));
            continue;
        }
        (
            ids.par_chunks(SYNC_CHUNK),
            pos.par_chunks_mut(SYNC_CHUNK).zip(pos_t.changed_mut().par_chunks_mut(SYNC_CHUNK)),
            ledger.par_chunks_mut(SYNC_CHUNK).zip(ledger_t.changed_mut().par_chunks_mut(SYNC_CHUNK)),
            decision.par_chunks_mut(SYNC_CHUNK).zip(decision_t.changed_mut().par_chunks_mut(SYNC_CHUNK)),
            reward.par_chunks_mut(SYNC_CHUNK).zip(reward_t.changed_mut().par_chunks_mut(SYNC_CHUNK)),
            sigma.par_chunks_mut(SYNC_CHUNK).zip(sigma_t.changed_mut().par_chunks_mut(SYNC_CHUNK)),
        )
            .into_par_iter()
            .with_max_len(1)
            .for_each(copy);
    }
    for e in core.take_events() {
        events.push(e);
    }
}

/// Copies every agent's whole state out to its components (after a world is built or restored).
fn sync_all(world: &mut World) {
    let order = world.resource::<AgentOrder>().0.clone();
    let agents = core(world).agents.clone();
    for (&e, a) in order.iter().zip(&agents) {
        world.entity_mut(e).insert((
            a.pos,
            Selfishness(a.sigma),
            Power(a.power),
            a.weights,
            a.policy.clone(),
            a.ledger,
            a.reward,
            a.decision,
        ));
    }
}

/// Spawns one agent entity from its resolved parameters.
fn spawn(commands: &mut World, a: &AgentInit) -> Entity {
    let mut e = commands.spawn((
        Agent { id: a.id, group: a.group },
        Position { x: a.x, y: a.y },
        Selfishness(a.selfishness),
        Power(a.power),
        Weights(a.weights),
        Policy(a.policy.clone()),
    ));
    match a.kind {
        crate::scenario::Kind::Human => e.insert(Human),
        crate::scenario::Kind::Ai => e.insert(Ai),
    };
    if a.steal {
        e.insert(Thief);
    }
    e.id()
}

fn run_measure(world: &mut World) {
    world.run_schedule(SimMeasure);
}

/// All of Polity's simulation plugins but the inaction shadow, in one. The order is the
/// order mechanisms at one step run in, metrics columns are set in and parts are digested in.
/// [`Sim`] adds the shadow after these and any extra plugins: it copies every other
/// mechanism's part, so it is built last.
pub struct PolityPlugins;

impl Plugin for PolityPlugins {
    fn build(&self, app: &mut App) {
        app.add_plugins((SimPlugin, crate::metrics::MetricsPlugin));
        for m in [
            crate::decision::MECHANISM,
            crate::learn::MECHANISM,
            crate::movement::MECHANISM,
            crate::belts::MECHANISM,
            crate::harvest::MECHANISM,
            crate::theft::MECHANISM,
            crate::tax::MECHANISM,
            crate::utility::MECHANISM,
            crate::utility::WINDOW,
            crate::voting::MECHANISM,
            crate::principal::MECHANISM,
            crate::learn::principal::MECHANISM,
            crate::paa::MECHANISM,
            crate::shield::MECHANISM,
            crate::oversight::MECHANISM,
            crate::sum::MECHANISM,
            crate::sum::HARM,
            crate::sum::world_loop::MECHANISM,
            crate::impact::MECHANISM,
            crate::impact_plan::MECHANISM,
        ] {
            app.add_plugins(MechanismPlugin(m));
        }
    }
}

/// A headless world: a Bevy `App` with the simulation plugins, built from a scenario.
pub struct Sim {
    app: App,
}

impl Sim {
    /// Builds the world of a validated `scenario` for `seed`, to run until `end_tick`, and
    /// takes the tick-0 measurements.
    pub fn new(scenario: &Scenario, seed: u64, end_tick: u64) -> Sim {
        let (grid, agents) = world::build(scenario, seed);
        Sim::with_agents(scenario, seed, end_tick, grid, &agents)
    }

    /// Builds a world from an already-built grid and resolved agents, spawned in the order
    /// given (the order does not change the outcome: the core keeps agents in id order).
    pub fn with_agents(scenario: &Scenario, seed: u64, end_tick: u64, grid: Grid, agents: &[AgentInit]) -> Sim {
        Sim::build(scenario, seed, end_tick, grid, agents, |_| {})
    }

    /// Builds the world of `scenario` with extra plugins (a new mechanism, a plugin's
    /// systems) added after Polity's own.
    pub fn with_plugins(scenario: &Scenario, seed: u64, end_tick: u64, extra: impl FnOnce(&mut App)) -> Sim {
        let (grid, agents) = world::build(scenario, seed);
        Sim::build(scenario, seed, end_tick, grid, &agents, extra)
    }

    fn build(
        scenario: &Scenario,
        seed: u64,
        end_tick: u64,
        mut grid: Grid,
        agents: &[AgentInit],
        extra: impl FnOnce(&mut App),
    ) -> Sim {
        let mut app = App::empty();
        app.add_plugins(PolityPlugins);
        extra(&mut app);
        app.add_plugins(MechanismPlugin(crate::shadow::MECHANISM));
        app.insert_resource(RunSettings { end_tick, agents_every: scenario.run.agents_every.max(1) })
            .insert_resource(ScenarioRes(scenario.clone()));
        let w = app.world_mut();
        let mut order = Vec::with_capacity(agents.len());
        for a in agents {
            grid.set_occupied(grid.index(a.x, a.y), true);
            order.push((a.id, spawn(w, a)));
        }
        order.sort_unstable();
        let model_agents = model_agents(agents);
        w.insert_resource(AgentOrder(order.into_iter().map(|(_, e)| e).collect()));
        let mechanisms = w.resource::<Mechanisms>().0.clone();
        let model = WorldModel::build(scenario, SimClock { tick: 0, seed }, grid, model_agents, &mechanisms);
        w.insert_resource(Core(model));
        app.finish();
        app.cleanup();
        app.world_mut().run_schedule(SimMeasure);
        Sim { app }
    }

    /// The mechanisms a `Sim` with no extra plugins runs, in order (for [`Sim::model_of`]).
    pub fn mechanisms() -> Vec<Mechanism> {
        let mut app = App::empty();
        app.add_plugins(PolityPlugins);
        app.add_plugins(MechanismPlugin(crate::shadow::MECHANISM));
        app.world().resource::<Mechanisms>().0.clone()
    }

    /// The world model a `Sim` of `scenario` and `seed` starts from, built without the ECS
    /// (a learner builds thousands): `mechanisms` from [`Sim::mechanisms`]. It records events.
    pub fn model_of(scenario: &Scenario, seed: u64, mechanisms: &[Mechanism]) -> WorldModel {
        let (mut grid, agents) = world::build(scenario, seed);
        for a in &agents {
            grid.set_occupied(grid.index(a.x, a.y), true);
        }
        WorldModel::build(scenario, SimClock { tick: 0, seed }, grid, model_agents(&agents), mechanisms)
    }
}

/// The world model's agents (id order) from the resolved agents.
fn model_agents(agents: &[AgentInit]) -> Vec<ModelAgent> {
    let mut inits: Vec<&AgentInit> = agents.iter().collect();
    inits.sort_unstable_by_key(|a| a.id);
    inits
        .into_iter()
        .map(|a| ModelAgent {
            id: a.id,
            group: a.group,
            pos: Position { x: a.x, y: a.y },
            sigma: a.selfishness,
            power: a.power,
            weights: Weights(a.weights),
            policy: Policy(a.policy.clone()),
            ledger: Ledger::default(),
            reward: Reward::default(),
            decision: Decision::default(),
            ai: a.kind == crate::scenario::Kind::Ai,
            inactive: false,
            violations: Vec::new(),
            thief: a.steal,
        })
        .collect()
}

impl Sim {
    /// Runs one tick.
    pub fn step(&mut self) {
        let agents = self.core().agents.len();
        crate::parallel::tick(agents, || self.app.world_mut().run_schedule(SimTick));
    }

    /// Takes everything measured since the last drain (the one way out of the world's logs).
    pub fn drain(&mut self) -> crate::metrics::TickOutput {
        crate::metrics::drain(self.app.world_mut())
    }

    /// Ticks completed.
    pub fn tick(&self) -> u64 {
        self.core().clock.tick
    }

    /// The clock.
    pub fn clock(&self) -> SimClock {
        self.core().clock
    }

    /// The world model: the world's whole changing state.
    pub fn core(&self) -> &WorldModel {
        core(self.app.world())
    }

    /// The world model, to change between ticks (live edits, tests). Agents' σ, power,
    /// weights and policy are the components' (copied in as each tick starts); change those
    /// on the entities.
    pub fn core_mut(&mut self) -> &mut WorldModel {
        &mut self.app.world_mut().resource_mut::<Core>().into_inner().0
    }

    /// A mechanism's part, if the world has it.
    pub fn part<T: Part>(&self) -> Option<&T> {
        self.core().parts.get::<T>()
    }

    /// A mechanism's part, to change between ticks.
    pub fn part_mut<T: Part>(&mut self) -> Option<&mut T> {
        self.core_mut().parts.get_mut::<T>()
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.core().grid
    }

    /// An imagined copy of the world as it stands (see [`WorldModel::imagine`]), after the
    /// components' live edits.
    pub fn model(&mut self) -> WorldModel {
        self.pull_components();
        self.core().imagine()
    }

    /// Copies the components' live edits (σ, power, weights, policy) into the core now,
    /// rather than as the next tick starts.
    pub fn pull_components(&mut self) {
        self.app.world_mut().run_system_cached(sync_in).expect("sync_in runs");
    }

    /// The world model itself, taken out of the app (a learner's world: it steps it directly).
    pub fn into_model(mut self) -> WorldModel {
        self.pull_components();
        self.app.world_mut().remove_resource::<Core>().expect("a Sim has its core").0
    }

    /// The Bevy world, to read.
    pub fn world(&self) -> &World {
        self.app.world()
    }

    /// The Bevy world, to change (live parameters, tests).
    pub fn world_mut(&mut self) -> &mut World {
        self.app.world_mut()
    }

    /// Copies the core's whole agent state out to the components (after the core was
    /// replaced or edited directly).
    pub fn sync_components(&mut self) {
        sync_all(self.app.world_mut());
    }

    /// A stable digest of the whole state: tick, seed, apples standing, every agent's id,
    /// position, ledger, last action and SED reward, in id order, and the institutions (tax
    /// rates and totals, the election, oversight's counters). Equal digests mean equal worlds.
    pub fn state_hash(&mut self) -> u64 {
        self.core().state_hash()
    }
}
