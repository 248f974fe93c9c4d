//! Parameter sweeps: a base scenario, parameters addressed by path, replicates, run numbering,
//! sharding, restartable parallel runs and their tidy results table (BehaviorSpace, Mesa's
//! `batch_run`, Agents.jl's `paramscan`). See `docs/sweeps.md`.
//!
//! [`spec`] reads and checks sweep files; [`plan`] numbers runs and shards; [`runner`] runs
//! them and writes the table; [`merge`] joins shards; [`report`] summarises and plots.

pub mod merge;
pub mod plan;
pub mod report;
pub mod runner;
pub mod spec;

pub use plan::{Run, Shard};
pub use spec::{Sweep, SweepSpec, load};
