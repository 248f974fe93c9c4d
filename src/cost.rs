//! What a world will cost before it runs: its peak resident memory, estimated from the scenario
//! alone (without building the world) as a sum of named terms, and the memory this machine has
//! available, so `polity check` can say it and `polity run` can refuse a world that will not fit.
//!
//! The estimate is a model, not a measurement: each term is a count taken from the scenario
//! (cells, grass cells, patches, agents, copies of the world a mechanism holds at once) times a
//! constant measured on the development machine (docs/testing.md, "Cost estimates", lists the
//! estimate against the measured peak for several worlds; the suite keeps it within 25%).
//!
//! - **base**: the process itself (code, allocator, thread pool, the ECS app), a fixed amount.
//! - **grid**: one bit a cell for each per-cell fact plus a rank word per 64 cells, a few bytes
//!   per grass cell, a few per patch.
//! - **building**: while the world is built, the map's layout and the patch labelling's work
//!   arrays, then the shuffle of spawn points (4 bytes a free point when many agents are
//!   dealt), beyond everything held afterwards (both are freed before the agents are made, so
//!   the peak is the larger, not the sum).
//! - **agents**: each agent's entity, its copy in the world model and its resolved parameters.
//! - **shadow**: the inaction shadow (SUM's `harm`, impact accounting) is a whole second world.
//! - **imagined**: worlds a mechanism copies for a while each tick — impact's counterfactual
//!   rollouts, the PAA planner's, the shields' and a planning AI's sparse-sampling trees (a
//!   chain of `depth` copies on each thread) — at their peak, the largest of them.
//! - **networks**: learned groups' and a learned principal's networks.

use crate::scenario::{MapSpec, PlannerBudget, PolicySpec, PrincipalPolicy, Scenario, SpawnRule, Tile};

/// The process's fixed resident memory, in bytes, where it cannot be read (see [`base_bytes`]):
/// a tiny world's measured peak.
pub const BASE_BYTES: f64 = if cfg!(debug_assertions) { 14e6 } else { 8.5e6 };

/// What a run adds to the process's resident memory beyond what it holds when the estimate is
/// made, for a tiny world: the ECS app, the thread pool's stacks, the output buffers (measured:
/// 2–3 MB, debug and release builds).
const RUN_GROWTH: f64 = 3e6;

/// The process's base: its resident memory when first asked (`VmRSS`: the binary's code and
/// data as this build has them, a GUI build's included) plus what a run adds; [`BASE_BYTES`]
/// where `/proc` cannot be read. Read once: asked again after a world was built (`check --time`
/// of several files), the resident memory held that world's pages too, and the next file's
/// estimate grew by them (315, then 461, then 489 MB for one file given three times).
pub fn base_bytes() -> f64 {
    static BASE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        let rss = || -> Option<u64> {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            let kb: u64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        };
        rss().map_or(BASE_BYTES, |r| r as f64 + RUN_GROWTH)
    })
}

/// Bytes a grid costs per cell, per grass cell and per patch.
#[derive(Clone, Copy)]
struct GridBytes {
    cell: f64,
    grass: f64,
    patch: f64,
}

impl GridBytes {
    fn of(&self, c: &MapCounts) -> f64 {
        c.cells as f64 * self.cell + c.grass as f64 * self.grass + c.patches as f64 * self.patch
    }
}

/// The grid at its peak while it is built: the layout's bit sets and the patch labelling's
/// work arrays beside the grid's own (the constants are fitted to measured peaks).
const BUILDING: GridBytes = GridBytes { cell: 0.8, grass: 7.8, patch: 10.0 };
/// The grid held while the world runs: five bit sets and the rank words (7 bits a cell, of
/// which the `occupied` set is touched only where agents stand), a live count, a patch and a
/// candidate bit per grass cell, two counts per patch.
const HELD: GridBytes = GridBytes { cell: 0.75, grass: 5.1, patch: 8.0 };
/// A copy of the grid (the shadow, an imagined world): every page of it written.
const COPIED: GridBytes = GridBytes { cell: 0.875, grass: 5.125, patch: 8.0 };
/// Bytes per agent in the world model (its `ModelAgent` and what hangs off it): what each
/// copy of the world holds per agent.
const MODEL_BYTES_PER_AGENT: f64 = 440.0;
/// Bytes per agent outside the world model: its ECS entity and components, its resolved
/// parameters, the order and sampling buffers.
const ECS_BYTES_PER_AGENT: f64 = 710.0;

/// One named part of an estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// What it counts: `base`, `grid`, `building`, `agents`, `shadow`, `imagined`, `networks`
    /// (and, training, `worlds` and `rollouts`).
    pub name: &'static str,
    /// Its bytes.
    pub bytes: u64,
}

/// A scenario's estimated peak resident memory, as named terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// The terms, in a fixed order (zero terms left out).
    pub terms: Vec<Term>,
}

impl Estimate {
    /// The whole estimate, in bytes.
    pub fn total(&self) -> u64 {
        self.terms.iter().fold(0u64, |sum, t| sum.saturating_add(t.bytes))
    }
    /// A term's bytes (0 when absent).
    pub fn term(&self, name: &str) -> u64 {
        self.terms.iter().find(|t| t.name == name).map_or(0, |t| t.bytes)
    }
    /// `about 1.2 GB (grid 0.9 GB, shadow 0.3 GB, …)`: the total and its terms, largest first.
    pub fn describe(&self) -> String {
        let mut terms: Vec<&Term> = self.terms.iter().collect();
        terms.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(b.name)));
        let parts: Vec<String> = terms.iter().map(|t| format!("{} {}", t.name, bytes(t.bytes))).collect();
        format!("about {} ({})", bytes(self.total()), parts.join(", "))
    }
}

/// An estimate's bytes for people: `812 bytes`, `840 kB`, `17 MB`, `1.2 GB` (powers of 1000;
/// whole kB and MB, as rough as the estimate; under 1000 bytes, bytes: a small file said
/// `0 kB`). A measured size, to a tenth: [`size`].
pub fn bytes(b: u64) -> String {
    if b < 1000 {
        return crate::plural(b, "byte");
    }
    if b == u64::MAX {
        // A sum or a conversion that saturated: more than a u64 counts, not 18.4 EB exactly.
        return "18.4 EB or more".into();
    }
    let b = b as f64;
    if b >= 1e18 {
        format!("{:.1} EB", b / 1e18)
    } else if b >= 1e15 {
        format!("{:.1} PB", b / 1e15)
    } else if b >= 1e12 {
        format!("{:.1} TB", b / 1e12)
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

/// A measured size for people, to a tenth of its unit: `812 bytes`, `41.3 kB`, `2.4 MB`,
/// `1.2 GB` (a small GIF said `0.0 MB`). An estimate's, as rough as it is: [`bytes`].
pub fn size(b: u64) -> String {
    match b {
        0..1000 => crate::plural(b, "byte"),
        1000..1_000_000 => format!("{:.1} kB", b as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        _ => bytes(b),
    }
}

/// What a map is made of, counted from its spec.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapCounts {
    /// Cells.
    pub cells: u64,
    /// Grass cells (apple ground).
    pub grass: u64,
    /// Apple patches (at most: patches that touch are one).
    pub patches: u64,
    /// Spawn points.
    pub spawn: u64,
}

/// Counts a map's cells by class without laying it out: an ASCII map character by character;
/// a generated map from its rule (patches on the lattice times the disc's cells, capped by the
/// map).
pub fn map_counts(map: &MapSpec) -> MapCounts {
    match map {
        MapSpec::Ascii(a) => {
            let mut legend = crate::scenario::default_legend();
            legend.extend(a.legend.iter().map(|(k, v)| (*k, *v)));
            let mut c = MapCounts { cells: 0, grass: 0, patches: 0, spawn: 0 };
            for ch in a.rows.iter().flat_map(|r| r.chars()) {
                c.cells += 1;
                match legend.get(&ch) {
                    Some(Tile::Apple | Tile::Grass) => c.grass += 1,
                    Some(Tile::Spawn) => c.spawn += 1,
                    _ => {}
                }
            }
            // Not counted (that needs the layout): taken as a patch per ten grass cells.
            c.patches = c.grass.div_ceil(10);
            c
        }
        MapSpec::Generated(g) => {
            let (w, h) = (g.width as u64, g.height as u64);
            let s = g.patch_spacing.max(1) as u64;
            let along = |n: u64| if n > s / 2 { (n - s / 2).div_ceil(s) } else { 0 };
            let patches = along(w) * along(h);
            let ri = g.patch_radius.max(0.0).floor() as i64;
            let r2 = g.patch_radius * g.patch_radius;
            let disc = (-ri..=ri)
                .flat_map(|dy| (-ri..=ri).map(move |dx| (dx, dy)))
                .filter(|&(dx, dy)| ((dx * dx + dy * dy) as f64) <= r2)
                .count() as u64;
            let inner = if g.border_walls { w.saturating_sub(2) * h.saturating_sub(2) } else { w * h };
            let grass = (patches * disc).min(inner);
            MapCounts { cells: w * h, grass, patches, spawn: inner - grass }
        }
    }
}

/// The bytes one copy of the world holds: its grid and its model agents.
fn world_copy(c: &MapCounts, agents: u64) -> f64 {
    COPIED.of(c) + agents as f64 * MODEL_BYTES_PER_AGENT
}

/// The bytes one world model of `s` holds, with its inaction shadow if it has one (what a
/// vector environment keeps per world).
pub fn model_world(s: &Scenario) -> u64 {
    let c = map_counts(&s.map);
    let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
    let copy = world_copy(&c, agents);
    (if crate::shadow::wanted(s) { 2.0 * copy } else { copy }) as u64
}

/// Estimates the peak resident memory of running `s` with `threads` threads in the pool.
pub fn memory(s: &Scenario, threads: usize) -> Estimate {
    let c = map_counts(&s.map);
    let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
    let threads = threads.max(1) as f64;
    let copy = world_copy(&c, agents);
    let grid = HELD.of(&c);
    let agent_bytes = agents as f64 * (MODEL_BYTES_PER_AGENT + ECS_BYTES_PER_AGENT);
    let shadow = if crate::shadow::wanted(s) { copy } else { 0.0 };

    // Worlds imagined for a while each tick: the largest number alive at once.
    let mut imagined = 0.0f64;
    if let Some(i) = &s.impact {
        // The exact copy and its three rollouts (acted, rested, and the stationary form's
        // rested-with-replay).
        imagined = imagined.max(4.0);
        if let Some(p) = &i.plan {
            // A planning AI: on each thread a chain of `depth` imagined worlds, each with its
            // shadow, and at the deepest the accounting's four copies.
            let t = if p.threads == 0 { threads } else { p.threads as f64 };
            imagined = imagined.max(t * (2.0 * p.depth as f64 + 4.0));
        }
    }
    if let Some(p) = &s.principal {
        if matches!(p.policy, PrincipalPolicy::Paa) {
            let depth = match p.planner.budget {
                PlannerBudget::Budget { depth, .. } | PlannerBudget::TimeLimit { depth, .. } => depth as f64,
                // The depth the guarantee needs is found at run time; a guarantee that can be
                // computed at all is shallow.
                PlannerBudget::Guarantee { .. } => 3.0,
            };
            let t = if p.planner.threads == 0 { threads } else { p.planner.threads as f64 };
            imagined = imagined.max(1.0 + t * depth);
        }
        if p.shield.is_some() {
            imagined = imagined.max(3.0);
        }
    }
    for g in &s.agents {
        if let Some(sh) = &g.shield {
            imagined = imagined.max(2.0 + threads * sh.depth as f64);
        }
    }
    let imagined = imagined * copy;

    let brackets = s.tax_brackets();
    let mut params = 0u64;
    for g in &s.agents {
        if let PolicySpec::Learned(l) = &g.policy {
            let inputs = crate::rules::observation::size(l.view, brackets) as u64;
            let nets = if l.shared { 1 } else { g.count as u64 };
            params += nets * net_params(inputs, &l.hidden, 5);
        }
    }
    if let Some(p) = &s.principal
        && let PrincipalPolicy::Learned(l) = &p.policy
    {
        let inputs = crate::rules::observation::principal_size(brackets, agents as usize) as u64;
        params += net_params(inputs, &l.hidden, 64);
    }
    // Weights as f32, with candle's tensors and their gradients' room around them.
    let networks = params as f64 * 4.0 * 3.0;

    // Building the world has two peaks before the agents are made: the grid's construction
    // (its work arrays freed when it is built), then the deal of spawn points, which shuffles
    // an array of every free spawn point (a u32 each) when many agents are dealt or there are
    // few points (`rng::Stream::shuffled_prefix`), beside the grid. The peak is the largest of
    // those and of the running world; `building` is what the build needs beyond the latter.
    let random: u64 = s.agents.iter().filter(|g| matches!(g.spawn, SpawnRule::Random)).map(|g| g.count as u64).sum();
    let n = c.spawn;
    let shuffle =
        if random > 0 && (n < 1 << 16 || random > n / 16 || random >= 1 << 16) { 4.0 * n as f64 } else { 0.0 };
    let held = grid + agent_bytes + shadow + imagined + networks;
    let building = (BUILDING.of(&c).max(grid + shuffle) - held).max(0.0);

    let terms = [
        ("base", base_bytes()),
        ("grid", grid),
        ("building", building),
        ("agents", agent_bytes),
        ("shadow", shadow),
        ("imagined", imagined),
        ("networks", networks),
    ];
    Estimate {
        terms: terms
            .into_iter()
            .filter(|&(_, b)| b >= 1.0)
            .map(|(name, b)| Term { name, bytes: b.round() as u64 })
            .collect(),
    }
}

/// Estimates the peak resident memory of training `s` ([`crate::learn::train`]): the run's
/// terms ([`memory`]), the `envs` worlds played at once (`worlds`), and each update's samples
/// of `episode` ticks (`rollouts`): every learner's observation and action per tick, kept in
/// the buffer and copied once into the update's tensors, plus a minibatch's activations.
pub fn training(s: &Scenario, threads: usize, envs: u64, episode: u64) -> Estimate {
    let mut e = memory(s, threads);
    let c = map_counts(&s.map);
    let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
    let worlds = envs as f64 * world_copy(&c, agents);
    let brackets = s.tax_brackets();
    let minibatches = s.learning.minibatches.max(1) as f64;
    // Per row: the observation twice (buffer and tensor), six per-row numbers twice, the
    // advantage, the return and the shuffled order; per minibatch row the selected
    // observation and, per hidden unit, activations and their gradients.
    // Measured peaks (`polity train commons-learners`, 500 to 5,000 ticks, 8 to 64 worlds) were
    // 1.13 to 1.15 times this count: the allocator's and candle's slack, taken as 1.14.
    let rows_of = |learners: u64, dim: u64, hidden: &[u32]| -> f64 {
        let rows = (episode as f64) * envs as f64 * learners as f64;
        let widths: f64 = hidden.iter().map(|&h| h as f64).sum();
        1.14 * (rows * (8.0 * dim as f64 + 60.0) + rows / minibatches * (4.0 * dim as f64 + 24.0 * widths))
    };
    let mut rollouts = 0.0;
    for g in &s.agents {
        if let PolicySpec::Learned(l) = &g.policy {
            let dim = crate::rules::observation::size(l.view, brackets) as u64;
            rollouts += rows_of(g.count as u64, dim, &l.hidden);
        }
    }
    if let Some(p) = &s.principal
        && let PrincipalPolicy::Learned(l) = &p.policy
    {
        let dim = crate::rules::observation::principal_size(brackets, agents as usize) as u64;
        rollouts += rows_of(1, dim, &l.hidden);
    }
    for (name, b) in [("worlds", worlds), ("rollouts", rollouts)] {
        if b >= 1.0 {
            e.terms.push(Term { name, bytes: b.min(u64::MAX as f64).round() as u64 });
        }
    }
    e
}

/// The weights and biases of a trunk of `hidden` widths on `inputs`, with an actor of `actions`
/// logits and a critic.
fn net_params(inputs: u64, hidden: &[u32], actions: u64) -> u64 {
    let mut n = 0;
    let mut prev = inputs;
    for &h in hidden {
        n += prev * h as u64 + h as u64;
        prev = h as u64;
    }
    n + prev * actions + actions + prev + 1
}

/// The environment variable that stands in for this machine's available memory, in bytes
/// (a number, optionally with a `K`, `M` or `G` suffix, powers of 1024). For tests: it lets the
/// refusal be tried without a world that fills the machine.
pub const AVAILABLE_VAR: &str = "POLITY_AVAILABLE_MEMORY";

/// The memory this machine has available, in bytes: [`AVAILABLE_VAR`] when set, else
/// `MemAvailable` of `/proc/meminfo`; `None` when neither can be read.
pub fn available_memory() -> Option<u64> {
    if let Some(v) = std::env::var_os(AVAILABLE_VAR) {
        return parse_size(v.to_str()?);
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `123`, `64K`, `512M`, `2G` (powers of 1024) as bytes.
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

/// Bytes of a `metrics.csv` row in a world whose values are mostly fractions: 135 (`commons`)
/// and 156 (`commons-large`) measured, 13 columns written in full; worlds of whole numbers and
/// zeros write less (27 in `commons-learners`), worlds with more mechanisms up to 200.
const METRICS_ROW_BYTES: f64 = 140.0;

/// Bytes of an `agents.csv` row: 84 measured (`commons-large`, drawn selfishness and power
/// written in full, the group's name); about 30 in the vase worlds.
const AGENTS_ROW_BYTES: f64 = 84.0;

/// The fewest bytes a `metrics.csv` row can take: every world's 10 columns (the tick, the
/// commons' three, the welfare six), a digit and a comma or newline each: no run writes less.
const METRICS_ROW_FLOOR: f64 = 20.0;

/// The fewest bytes an `agents.csv` row can take: its 11 columns likewise, `ai` the shortest
/// kind and a group's name at least a character (`0,0,ai,g,0.0,0.0,0,0,0,0.0,0.0` and a
/// newline is 31).
const AGENTS_ROW_FLOOR: f64 = 30.0;

/// What a run of `s` for `ticks` ticks writes to disk, as terms: `metrics.csv` (a row a tick
/// and tick 0's) and `agents.csv` (every agent every `run.agents_every` ticks, at tick 0 and at
/// the end), for a world whose values are mostly fractions — rough: the built-in scenarios
/// write from 0.2 to 1.4 times it (whole numbers and zeros are short). `events.jsonl` is not
/// counted: its events depend on what happens (a patch is lost once: `commons-large`'s 200
/// ticks wrote 0.9 MB of them beside 2.2 MB of agents).
pub fn files(s: &Scenario, ticks: u64) -> Estimate {
    files_at(s, ticks, METRICS_ROW_BYTES, AGENTS_ROW_BYTES)
}

/// The fewest bytes [`files`]' terms can be: what a run surely writes.
pub fn files_floor(s: &Scenario, ticks: u64) -> Estimate {
    files_at(s, ticks, METRICS_ROW_FLOOR, AGENTS_ROW_FLOOR)
}

fn files_at(s: &Scenario, ticks: u64, metrics_row: f64, agents_row: f64) -> Estimate {
    let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
    let every = s.run.agents_every.max(1);
    let snapshots = (ticks / every) as f64 + 1.0 + if !ticks.is_multiple_of(every) { 1.0 } else { 0.0 };
    // (f64 → u64 saturates: `ticks: 18446744073709551615` is 18 EB, not a wrapped number.)
    let terms = vec![
        Term { name: "metrics.csv", bytes: ((ticks as f64 + 1.0) * metrics_row) as u64 },
        Term { name: "agents.csv", bytes: (agents as f64 * snapshots * agents_row) as u64 },
    ];
    Estimate { terms: terms.into_iter().filter(|t| t.bytes > 0).collect() }
}

/// Overrides the free disk space [`available_disk`] reads (bytes, or `64K`, `512M`, `2G`), for
/// tests.
pub const DISK_VAR: &str = "POLITY_AVAILABLE_DISK";

/// The disk space free to this user where `path` is (or would be: the nearest folder above it
/// that exists), in bytes: [`DISK_VAR`] when set, else `statvfs`'s blocks available to an
/// unprivileged user; `None` when it cannot be read.
pub fn available_disk(path: &std::path::Path) -> Option<u64> {
    if let Some(v) = std::env::var_os(DISK_VAR) {
        return parse_size(v.to_str()?);
    }
    // A relative path walked up from its own parts ran out (`runs/run` → `runs` → ``) before
    // reaching the working folder: `check` of a folder without runs/ then knew no free space,
    // and refused nothing.
    let mut at = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    while std::fs::metadata(&at).is_err() {
        if !at.pop() {
            return None;
        }
    }
    statvfs_free(&at)
}

#[cfg(unix)]
fn statvfs_free(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path and `st` a buffer of the struct statvfs fills.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled the struct.
    let st = unsafe { st.assume_init() };
    // (The fields' types differ between platforms: u64 on Linux.)
    #[allow(clippy::unnecessary_cast)]
    (st.f_bavail as u64).checked_mul(st.f_frsize as u64)
}

#[cfg(not(unix))]
fn statvfs_free(_: &std::path::Path) -> Option<u64> {
    None
}

/// Bytes of a checkpoint's text a cell of the map and an agent (a checkpoint's RON: measured
/// 143 MB for 5000² cells and 200,000 agents, 1.46 GB for 20000² and 1,000,000).
const CHECKPOINT_BYTES_PER_CELL: f64 = 2.7;
/// See [`CHECKPOINT_BYTES_PER_CELL`].
const CHECKPOINT_BYTES_PER_AGENT: f64 = 380.0;

/// About the size of a checkpoint of `s`: its file, and what a checkpointed run holds in
/// memory besides its world while it writes one.
pub fn checkpoint_bytes(s: &Scenario) -> u64 {
    let agents: u64 = s.agents.iter().map(|g| g.count as u64).sum();
    let c = map_counts(&s.map);
    (c.cells as f64 * CHECKPOINT_BYTES_PER_CELL + agents as f64 * CHECKPOINT_BYTES_PER_AGENT) as u64
}

/// [`memory`] of a run that saves checkpoints: a `checkpoint` term, the text it holds while
/// it writes one.
pub fn with_checkpoints(mut estimate: Estimate, s: &Scenario) -> Estimate {
    estimate.terms.push(Term { name: "checkpoint", bytes: checkpoint_bytes(s) });
    estimate
}

/// The disk check `polity run` makes before building its world: the line to print (`files:
/// about …; … free there`), or why it is refused — the fewest bytes the run's files can take
/// ([`files_floor`]) are more than the space free where they go (`dest`), so the run would
/// surely fill the disk; the rough estimate ([`files`]) alone never refuses. `force` lets it
/// through, saying so. With `checkpoints`, two checkpoints' files count too (the last, and
/// the next while it is written).
pub fn disk_gate(
    s: &Scenario,
    ticks: u64,
    dest: &std::path::Path,
    force: bool,
    checkpoints: bool,
) -> Result<String, String> {
    let (mut about, mut floor) = (files(s, ticks), files_floor(s, ticks));
    if checkpoints {
        // (The floor counts one: the text's size varies with the values it holds.)
        about.terms.push(Term { name: "checkpoints", bytes: 2 * checkpoint_bytes(s) });
        floor.terms.push(Term { name: "checkpoints", bytes: checkpoint_bytes(s) });
    }
    let free = available_disk(dest);
    let line = match free {
        Some(f) => format!("files: {}, events.jsonl not counted; {} free there", about.describe(), bytes(f)),
        None => format!("files: {}, events.jsonl not counted; the free disk space is unknown", about.describe()),
    };
    match free {
        Some(f) if floor.total() > f && !force => Err(format!(
            "this run's files need {} of disk ({} written as this world's values usually are) but {} are \
             free where they go ({})",
            match floor.total() {
                u64::MAX => "more than 18 EB".to_string(),
                b => format!("at least {}", bytes(b)),
            },
            about.describe(),
            bytes(f),
            dest.parent().unwrap_or(dest).display()
        )),
        Some(f) if floor.total() > f => Ok(format!("{line} (more than is free; going on because of --force)")),
        // Written as usual the files would not fit; at their smallest they would, so the run
        // goes on, saying so.
        Some(f) if about.total() > f => {
            Ok(format!("{line} (more than is free if written as usual: the disk may fill before the run ends)"))
        }
        _ => Ok(line),
    }
}

/// Whether `estimate` fits in `available` (unknown: it fits, nothing is refused).
pub fn fits(estimate: &Estimate, available: Option<u64>) -> bool {
    available.is_none_or(|a| estimate.total() <= a)
}

/// The memory check every command and the app make before building `what` ("this run",
/// "this training"): the line to print (`memory: …; this machine has … available`), or why it
/// is refused. `force` lets an estimate past the memory available through, saying so.
pub fn gate(what: &str, estimate: &Estimate, force: bool) -> Result<String, String> {
    let available = available_memory();
    let have = match available {
        Some(a) => format!("this machine has {} available", bytes(a)),
        None => "this machine's available memory is unknown (no MemAvailable in /proc/meminfo), so nothing is refused"
            .into(),
    };
    let line = format!("memory: {}; {have}", estimate.describe());
    if fits(estimate, available) {
        Ok(line)
    } else if force {
        Ok(format!("{line} (more than is available; going on because of --force)"))
    } else {
        let a = available.unwrap_or(0);
        Err(format!("{what} needs {} of memory but {} are available", estimate.describe(), bytes(a)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_relative_path_not_made_yet_is_on_the_working_folders_disk() {
        // (`check` asks of runs/run, which a new folder has not made: it read no free space.)
        if std::env::var_os(DISK_VAR).is_none() {
            let here = available_disk(std::path::Path::new(".")).expect("the working folder's disk");
            let there = available_disk(std::path::Path::new("no-such-folder-here/run")).expect("found");
            assert!(there.abs_diff(here) < 1 << 30, "{here} and {there}");
        }
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("64k"), Some(64 << 10));
        assert_eq!(parse_size("x"), None);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(0.000_25), "250 µs");
        assert_eq!(duration(0.0123), "12.3 ms");
        assert_eq!(duration(42.0), "42.0 s");
        assert_eq!(duration(600.0), "10 minutes");
        assert_eq!(duration(5.0 * 3600.0), "5.0 hours");
        assert_eq!(duration(30.0 * 86400.0), "30 days");
        // u64::MAX ticks at 10 µs a tick: the estimate was for 2³² − 1 ticks (12 hours).
        let mut c = Calibration {
            build: std::time::Duration::from_millis(2),
            ticks: 20,
            elapsed: std::time::Duration::from_micros(200),
            period_end: None,
        };
        assert!(
            c.describe(u64::MAX).contains("about 5.85e6 years for its 18446744073709551615 ticks"),
            "{}",
            c.describe(u64::MAX)
        );
        assert!(c.describe(1000).contains("about 10.0 ms for its 1000 ticks"), "{}", c.describe(1000));
        // A planning principal's period ends: 40 of 1000 ticks at 3 s each, 960 at 10 µs.
        c.period_end = Some(PeriodEnd { period: 25, took: std::time::Duration::from_secs(3) });
        let line = c.describe(1000);
        assert!(line.contains("3.0 s for a tick that ends a tax period (tick 25)"), "{line}");
        assert!(line.contains("about 2 minutes for its 1000 ticks, 40 of them period ends"), "{line}");
    }

    #[test]
    fn bytes_read_well() {
        assert_eq!(bytes(840_000), "840 kB");
        assert_eq!(bytes(17_200_000), "17 MB");
        assert_eq!(bytes(1_230_000_000), "1.2 GB");
        assert_eq!(bytes(280), "280 bytes", "not `0 kB`");
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(999), "999 bytes");
        assert_eq!(bytes(1000), "1 kB");
        assert_eq!(size(812), "812 bytes");
        assert_eq!(size(41_300), "41.3 kB");
        assert_eq!(size(2_400_000), "2.4 MB");
        assert_eq!(size(3_456_000_000), "3.5 GB");
    }
}

/// What a short calibration measured: how long the world took to build, and its first ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// Building the world (map, agents, mechanisms, tick 0's measurements).
    pub build: std::time::Duration,
    /// Ticks run.
    pub ticks: u64,
    /// Their time in all.
    pub elapsed: std::time::Duration,
    /// With a tax, its first period end, when the calibration reached it: the period and the
    /// time of its last tick (a planning principal plans then, which can cost far more than a
    /// tick; the ticks above do not include it).
    pub period_end: Option<PeriodEnd>,
}

/// The tick that ended the first tax period, timed apart ([`Calibration::period_end`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeriodEnd {
    /// The tax period, in ticks: the first period's end is this tick.
    pub period: u64,
    /// Its time.
    pub took: std::time::Duration,
}

impl Calibration {
    /// The mean time of the ticks run (None when none ran).
    pub fn per_tick(&self) -> Option<std::time::Duration> {
        (self.ticks > 0).then(|| self.elapsed / self.ticks as u32)
    }

    /// One line for `polity check`: the build time, a tick's, and what `ticks` would take.
    pub fn describe(&self, ticks: u64) -> String {
        let secs = |d: std::time::Duration| duration(d.as_secs_f64());
        let Some(t) = self.per_tick() else {
            return format!("time: built in {}; no tick measured", secs(self.build));
        };
        match self.period_end {
            Some(p) => {
                let ends = ticks / p.period;
                let total = t.as_secs_f64() * (ticks - ends) as f64 + p.took.as_secs_f64() * ends as f64;
                format!(
                    "time: built in {}; about {} a tick (its first {} measured here) and {} for a tick that ends a tax period (tick {}) → about {} for its {ticks} ticks, {ends} of them period ends (estimates: later ticks, period ends and this machine's load differ)",
                    secs(self.build),
                    secs(t),
                    self.ticks,
                    secs(p.took),
                    p.period,
                    duration(total)
                )
            }
            None => format!(
                "time: built in {}; about {} a tick (its first {} measured here) → about {} for its {ticks} ticks (estimates: later ticks, period ends and this machine's load differ)",
                secs(self.build),
                secs(t),
                self.ticks,
                duration(t.as_secs_f64() * ticks as f64)
            ),
        }
    }
}

/// `s` seconds as a person reads them: µs, ms and s, then minutes, hours, days and years.
pub fn duration(s: f64) -> String {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 60.0 * MINUTE;
    const DAY: f64 = 24.0 * HOUR;
    const YEAR: f64 = 365.25 * DAY;
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 2.0 * MINUTE {
        format!("{s:.1} s")
    } else if s < 2.0 * HOUR {
        format!("{:.0} minutes", s / MINUTE)
    } else if s < 2.0 * DAY {
        format!("{:.1} hours", s / HOUR)
    } else if s < YEAR {
        format!("{:.0} days", s / DAY)
    } else {
        format!("{:.2e} years", s / YEAR)
    }
}

/// Builds the world of `s` for `seed` and runs its first ticks, at most `max_ticks` (and no
/// more than the scenario's), stopping once `budget` is spent: the short calibration
/// `polity check` reports. With a tax whose first period ends within the run, the ticks up to
/// it are run too (while a second `budget` lasts) and the period's last tick is timed apart:
/// a planning principal plans then, and one such tick can cost more than all the others.
pub fn calibrate(s: &Scenario, seed: u64, max_ticks: u64, budget: std::time::Duration) -> Calibration {
    let started = std::time::Instant::now();
    let mut sim = crate::sim::Sim::new(s, seed, s.run.ticks);
    let build = started.elapsed();
    let period = s.tax.as_ref().map(|t| t.period()).filter(|&p| p >= 1 && p <= s.run.ticks);
    let ticking = std::time::Instant::now();
    let mut ticks = 0;
    let mut spent = std::time::Duration::ZERO;
    while ticks < max_ticks.min(s.run.ticks) && ticking.elapsed() < budget && Some(sim.tick() + 1) != period {
        sim.step();
        sim.drain();
        ticks += 1;
        spent = ticking.elapsed();
    }
    let mut period_end = None;
    if let Some(p) = period {
        let on = std::time::Instant::now();
        while sim.tick() + 1 < p && on.elapsed() < budget {
            sim.step();
            sim.drain();
        }
        if sim.tick() + 1 == p {
            let t0 = std::time::Instant::now();
            sim.step();
            sim.drain();
            period_end = Some(PeriodEnd { period: p, took: t0.elapsed() });
        }
    }
    // A period of one tick: every tick ends one, and the first was timed apart.
    if ticks == 0
        && let Some(end) = period_end
    {
        return Calibration { build, ticks: 1, elapsed: end.took, period_end: None };
    }
    Calibration { build, ticks, elapsed: spent, period_end }
}
