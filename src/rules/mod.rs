//! The world's rules as plain functions over plain data.
//!
//! ECS systems call these to run the world; the world model (the planner's imagination)
//! calls the same functions to imagine it. Nothing here knows about Bevy.

pub mod action;
pub mod detection;
pub mod divergence;
pub mod forage;
pub mod observation;
pub mod regrowth;
pub mod sparse_sampling;
pub mod tax;
pub mod tilt;
pub mod voting;
pub mod welfare;

/// The index of the largest value (ties: the first; an empty slice gives 0).
pub fn argmax<T: PartialOrd + Copy>(values: &[T]) -> usize {
    let mut best = 0;
    for (k, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = k;
        }
    }
    best
}
