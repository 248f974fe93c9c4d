//! The simulation core: the `SimTick` schedule with its ordered phases, the clock, and the
//! headless [`Sim`] that builds a world from a scenario and steps it.
//!
//! One tick runs the phases `Observe → Decide → Shield → Act → Resolve → Govern → Account →
//! Measure`, single-threaded, with ambiguity detection set to error, so the order in which
//! anything happens is written down here and nowhere else. Nothing in a tick reads
//! wall-clock or frame time; the headless runner calls the schedule N times, the app k times
//! per frame.

use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings, ScheduleLabel, SingleThreadedExecutor};
use bevy::prelude::*;

use crate::agents::{self, Agent, AgentOrder, Ledger, Position};
use crate::grid::Grid;
use crate::scenario::Scenario;
use crate::world::{self, AgentInit};

/// The schedule that runs one tick of the world.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimTick;

/// The schedule of measurements, run at the end of each tick and once at tick 0.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimMeasure;

/// The phases of a tick, chained in this order.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TickSystems {
    /// Agents observe the world (observation noise goes here).
    Observe,
    /// Agents score actions and draw one.
    Decide,
    /// Shields restrict what policies may do.
    Shield,
    /// Moves are resolved.
    Act,
    /// Consequences: harvest, regrowth.
    Resolve,
    /// Institutions: taxes, elections, the principal.
    Govern,
    /// Ledgers and rewards are settled.
    Account,
    /// The clock advances and metrics are taken.
    Measure,
}

/// The steps of `Govern` at a period end, chained in this order.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GovernSystems {
    /// Taxes are collected and redistributed.
    Collect,
    /// Elections are held.
    Elect,
    /// The principal proposes rates.
    Propose,
    /// A shield may review the proposal.
    Review,
    /// The rates are applied.
    Apply,
}

/// The clock and the seed of every random draw.
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimClock {
    /// Ticks completed.
    pub tick: u64,
    /// The run's seed.
    pub seed: u64,
}

impl SimClock {
    /// The number of the tick in progress (ticks are numbered from 1; row `t` of
    /// `metrics.csv` is the state after tick `t`, row 0 the start).
    pub fn current(&self) -> u64 {
        self.tick + 1
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

/// Counters for the current tick, reset at its start.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct TickStats {
    /// Apples picked this tick.
    pub harvested: u32,
    /// Apples that regrew this tick.
    pub regrown: u32,
}

/// The resolved scenario the world was built from.
#[derive(Resource, Clone, Debug)]
pub struct ScenarioRes(pub Scenario);

/// Sets up the tick schedule, its phases and the clock.
pub struct SimPlugin;

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        for label in [SimTick.intern(), SimMeasure.intern()] {
            let mut schedule = Schedule::new(label);
            schedule.set_executor(SingleThreadedExecutor::new());
            schedule.set_build_settings(ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..default() });
            app.add_schedule(schedule);
        }
        app.configure_sets(
            SimTick,
            (
                TickSystems::Observe,
                TickSystems::Decide,
                TickSystems::Shield,
                TickSystems::Act,
                TickSystems::Resolve,
                TickSystems::Govern,
                TickSystems::Account,
                TickSystems::Measure,
            )
                .chain(),
        )
        .configure_sets(
            SimTick,
            (
                GovernSystems::Collect,
                GovernSystems::Elect,
                GovernSystems::Propose,
                GovernSystems::Review,
                GovernSystems::Apply,
            )
                .chain()
                .in_set(TickSystems::Govern),
        )
        .init_resource::<TickStats>()
        .add_systems(SimTick, reset_stats.in_set(TickSystems::Observe))
        .add_systems(SimTick, (advance_clock, run_measure).chain().in_set(TickSystems::Measure));
    }
}

fn reset_stats(mut stats: ResMut<TickStats>, mut grid: ResMut<Grid>) {
    *stats = TickStats::default();
    grid.effects.clear();
}

fn advance_clock(mut clock: ResMut<SimClock>) {
    clock.tick += 1;
}

fn run_measure(world: &mut World) {
    world.run_schedule(SimMeasure);
}

/// All of Polity's simulation plugins, in one.
pub struct PolityPlugins;

impl Plugin for PolityPlugins {
    fn build(&self, app: &mut App) {
        app.add_plugins((
            SimPlugin,
            crate::decision::DecisionPlugin,
            crate::movement::MovementPlugin,
            crate::harvest::HarvestPlugin,
            crate::metrics::MetricsPlugin,
            crate::tax::TaxPlugin,
            crate::voting::VotingPlugin,
            crate::principal::PrincipalPlugin,
            crate::sum::SumPlugin,
            crate::oversight::OversightPlugin,
            crate::impact::ImpactPlugin,
        ));
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
        let grid = world::build_grid(scenario);
        let agents = world::resolve_agents(scenario, &grid, seed);
        Sim::with_agents(scenario, seed, end_tick, grid, &agents)
    }

    /// Builds a world from an already-built grid and resolved agents, spawned in the order
    /// given (the order does not change the outcome: systems order by stable id).
    pub fn with_agents(scenario: &Scenario, seed: u64, end_tick: u64, mut grid: Grid, agents: &[AgentInit]) -> Sim {
        let mut app = App::empty();
        app.add_plugins(PolityPlugins);
        app.insert_resource(SimClock { tick: 0, seed })
            .insert_resource(RunSettings { end_tick, agents_every: scenario.run.agents_every.max(1) })
            .insert_resource(ScenarioRes(scenario.clone()));
        let w = app.world_mut();
        let mut order = Vec::with_capacity(agents.len());
        for a in agents {
            grid.set_occupied(grid.index(a.x, a.y), true);
            order.push((a.id, agents::spawn(w, a)));
        }
        order.sort_unstable();
        w.insert_resource(crate::social::Social::new(&scenario.social_graph, agents.len()));
        if let Some(t) = &scenario.tax {
            w.insert_resource(crate::tax::initial_state(t));
        }
        if let Some(o) = &scenario.oversight {
            w.insert_resource(crate::oversight::Oversight::new(o, seed));
        }
        if let Some(v) = &scenario.voting {
            w.insert_resource(crate::voting::Election::new(v));
        }
        if let Some(p) = &scenario.principal {
            w.spawn(crate::principal::Principal {
                policy: p.policy,
                objective: p.objective,
                climber: Default::default(),
            });
        }
        w.insert_resource(grid);
        w.insert_resource(AgentOrder(order.into_iter().map(|(_, e)| e).collect()));
        if let Some(spec) = &scenario.impact {
            let impact = crate::impact::Impact::new(spec, app.world_mut());
            app.world_mut().insert_resource(impact);
        }
        if scenario.sum.harm {
            let mut shadow = crate::model::WorldModel::extract(app.world_mut());
            shadow.agents.iter_mut().filter(|a| a.ai).for_each(|a| a.inactive = true);
            shadow.principal = None;
            app.world_mut().insert_resource(crate::sum::InactionShadow(shadow));
        }
        app.finish();
        app.cleanup();
        app.world_mut().run_schedule(SimMeasure);
        Sim { app }
    }

    /// Runs one tick.
    pub fn step(&mut self) {
        self.app.world_mut().run_schedule(SimTick);
    }

    /// Takes everything measured since the last drain (the one way out of the world's logs).
    pub fn drain(&mut self) -> crate::metrics::TickOutput {
        crate::metrics::drain(self.app.world_mut())
    }

    /// Ticks completed.
    pub fn tick(&self) -> u64 {
        self.app.world().resource::<SimClock>().tick
    }

    /// The Bevy world, to read.
    pub fn world(&self) -> &World {
        self.app.world()
    }

    /// The Bevy world, to change (live parameters, tests).
    pub fn world_mut(&mut self) -> &mut World {
        self.app.world_mut()
    }

    /// A stable digest of the whole state: tick, seed, apples standing, every agent's id,
    /// position, ledger, last action and SED reward, in id order, and the institutions (tax
    /// rates and totals, the election, oversight's counters). Equal digests mean equal worlds.
    pub fn state_hash(&mut self) -> u64 {
        let clock = *self.world().resource::<SimClock>();
        let apples = self.world().resource::<Grid>().apple_digest();
        let mut q = self.app.world_mut().query::<(&Agent, &Position, &Ledger, &agents::Decision, &agents::Reward)>();
        let mut rows: Vec<[u64; 7]> = q
            .iter(self.app.world())
            .map(|(a, p, l, d, r)| {
                [a.id as u64, p.x as u64, p.y as u64, l.picked, l.balance as u64, d.action as u64, r.total.to_bits()]
            })
            .collect();
        rows.sort_unstable();
        let w = self.world();
        let institutions = Institutions {
            tax: w.get_resource::<crate::tax::TaxState>(),
            election: w.get_resource::<crate::voting::Election>(),
            oversight: w.get_resource::<crate::oversight::Oversight>(),
        };
        state_digest(clock, apples, rows, &institutions)
    }
}

/// The institutions' part of the state digest (each may be absent).
pub struct Institutions<'a> {
    /// Taxes: the rates in force, periods finished, the last period's revenue, the treasury.
    pub tax: Option<&'a crate::tax::TaxState>,
    /// The election: the `p` elected, elections held, the last shares.
    pub election: Option<&'a crate::voting::Election>,
    /// Oversight: audits, detections, violations, fines.
    pub oversight: Option<&'a crate::oversight::Oversight>,
}

/// The state digest shared by [`Sim::state_hash`] and the world model: FNV-1a over the tick,
/// the seed, the apples standing, each agent's (id, x, y, picked, balance, action, reward) in
/// id order, and the institutions, each preceded by whether it exists.
pub fn state_digest(
    clock: SimClock,
    apples: u64,
    rows: impl IntoIterator<Item = [u64; 7]>,
    institutions: &Institutions,
) -> u64 {
    let mut h = crate::hash::Fnv::new();
    for v in [clock.tick, clock.seed, apples] {
        h.write_u64(v);
    }
    for row in rows {
        for v in row {
            h.write_u64(v);
        }
    }
    h.write_u64(institutions.tax.is_some() as u64);
    if let Some(t) = institutions.tax {
        h.write_u64(t.schedule.rates.len() as u64);
        for &r in &t.schedule.rates {
            h.write_u64(r as u64);
        }
        for v in [t.periods, t.last_revenue as u64, t.treasury as u64] {
            h.write_u64(v);
        }
    }
    h.write_u64(institutions.election.is_some() as u64);
    if let Some(e) = institutions.election {
        h.write_f64(e.elected);
        h.write_u64(e.held);
        h.write_u64(e.shares.len() as u64);
        for &s in &e.shares {
            h.write_f64(s);
        }
    }
    h.write_u64(institutions.oversight.is_some() as u64);
    if let Some(o) = institutions.oversight {
        for v in [o.audits, o.detections, o.violations, o.fines as u64] {
            h.write_u64(v);
        }
    }
    h.finish()
}
