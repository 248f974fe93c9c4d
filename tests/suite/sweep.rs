//! Parameter sweeps: run numbering, sharding, restart after a kill, merge and report.
