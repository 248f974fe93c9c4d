//! Sweep overhead: M short runs in one sweep against the runs' own time.
fn main() {}
