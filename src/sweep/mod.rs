//! Parameter sweeps: a base scenario, parameters addressed by path, replicates, run numbering,
//! sharding, restartable parallel runs and their tidy results table.
