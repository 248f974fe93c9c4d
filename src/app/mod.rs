//! The desktop app (feature `gui`).
