//! Polity's integration tests, one module per capability, linked into a single test binary:
//! every test binary links the whole engine (and, with the `gui` feature, Bevy's renderer),
//! so one binary instead of twelve keeps the build small and fast.
//!
//! Run one capability with a filter: `cargo test --test suite governance::`.

mod architecture;
mod checkpoint;
mod cli;
mod compare;
mod control;
mod cost;
mod engine;
mod env;
mod faults;
mod governance;
mod gui;
mod impact;
mod learn;
mod learned_principal;
mod messages;
mod model;
mod observe;
mod optimal;
mod outputs;
mod oversight;
mod paa;
mod parallel;
mod planner;
mod promises;
mod properties;
mod record;
mod roundtrip;
mod soak;
mod sum;
mod sweep;
