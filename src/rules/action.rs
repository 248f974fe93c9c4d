//! The five moves every agent chooses among: the vocabulary of decisions, moves and pushes.

/// The five moves, in the order of score and probability arrays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    /// Stay where you are.
    #[default]
    Stay,
    /// Up one row (y − 1).
    North,
    /// Right one column (x + 1).
    East,
    /// Down one row (y + 1).
    South,
    /// Left one column (x − 1).
    West,
}

impl Action {
    /// All actions, in array order.
    pub const ALL: [Action; 5] = [Action::Stay, Action::North, Action::East, Action::South, Action::West];

    /// The move as `(dx, dy)`.
    pub fn delta(self) -> (i64, i64) {
        match self {
            Action::Stay => (0, 0),
            Action::North => (0, -1),
            Action::East => (1, 0),
            Action::South => (0, 1),
            Action::West => (-1, 0),
        }
    }

    /// The lower-case name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Action::Stay => "stay",
            Action::North => "north",
            Action::East => "east",
            Action::South => "south",
            Action::West => "west",
        }
    }
}
