//! Run numbering and sharding: a pure function of the sweep file.
//!
//! Combinations are numbered in the order of the parameters' values with the first parameter
//! varying slowest; run `n = combination × replicates + replicate`. Shard `i` of `N` (0-based,
//! as Slurm array indices and Kubernetes completion indices are) takes the runs with
//! `n mod N = i`, so every shard gets a fair mix of combinations.

use super::spec::{SeedKind, Sweep};
use crate::scenario::Scenario;

/// One run of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Its number.
    pub number: u64,
    /// Its parameter combination's number.
    pub combination: u64,
    /// Which replicate of the combination.
    pub replicate: u32,
    /// Each parameter's value.
    pub values: Vec<f64>,
    /// Its seed.
    pub seed: u64,
}

impl Sweep {
    /// How many combinations.
    pub fn combinations(&self) -> u64 {
        self.values.iter().map(|v| v.len() as u64).product()
    }

    /// How many runs.
    pub fn runs(&self) -> u64 {
        self.combinations() * self.spec.replicates as u64
    }

    /// Run `n` (< [`Sweep::runs`]).
    pub fn run(&self, n: u64) -> Run {
        let reps = self.spec.replicates as u64;
        let (combination, replicate) = (n / reps, (n % reps) as u32);
        let mut rest = combination;
        let mut values = vec![0.0; self.values.len()];
        for (k, vs) in self.values.iter().enumerate().rev() {
            values[k] = vs[(rest % vs.len() as u64) as usize];
            rest /= vs.len() as u64;
        }
        let seed = match self.spec.seeds.rule {
            SeedKind::PerReplicate => self.spec.seeds.from + replicate as u64,
            SeedKind::PerRun => self.spec.seeds.from + n,
        };
        Run { number: n, combination, replicate, values, seed }
    }

    /// The scenario of a run (its parameters spliced into the base; checked when the sweep
    /// was loaded), with the run's seed and ticks in `run`: the sweep's `ticks`, or the value
    /// of a varied `run.ticks`.
    pub fn scenario(&self, run: &Run) -> Scenario {
        self.try_scenario(run).expect("every combination is checked at load")
    }

    /// [`Sweep::scenario`], or why the run's combination of values makes it invalid (what the
    /// load checks of every combination).
    pub fn try_scenario(&self, run: &Run) -> Result<Scenario, String> {
        let mut text = self.base_ron.clone();
        for (p, &v) in self.spec.parameters.iter().zip(&run.values) {
            text = crate::spanned_ron::splice_number(&text, &p.path, v)?;
        }
        let mut s = crate::scenario::parse(&text, "sweep", &self.base.name).map_err(|ps| {
            let why: Vec<String> = ps.0.iter().map(|x| format!("{}: {}", x.path, x.message)).collect();
            why.join("; ")
        })?;
        if !self.varies(super::spec::RUN_TICKS) {
            s.run.ticks = self.ticks;
        }
        s.run.seed = run.seed;
        Ok(s)
    }

    /// The sweep's hash as `sweep.json` writes it (16 hex digits).
    pub fn hex(&self) -> String {
        format!("{:016x}", self.hash)
    }

    /// Whether the sweep varies the scenario field at `path`.
    pub fn varies(&self, path: &str) -> bool {
        self.spec.parameters.iter().any(|p| p.path == path)
    }
}

/// A shard: `index` of `count`, 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which shard.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("`{s}`: a shard is I/N, e.g. 0/8"))?;
        let index = i.trim().parse::<u64>().map_err(|_| format!("`{s}`: `{i}` is not a shard index"))?;
        let count = n.trim().parse::<u64>().map_err(|_| format!("`{s}`: `{n}` is not a shard count"))?;
        if count == 0 {
            return Err(format!("`{s}`: the number of shards N must be at least 1"));
        }
        if index >= count {
            return Err(format!("`{s}`: the index must be 0 to {} (shards are numbered from 0)", count - 1));
        }
        Ok(Shard { index, count })
    }

    /// Whether run `n` is in this shard.
    pub fn has(&self, n: u64) -> bool {
        n % self.count == self.index
    }
}
