//! The layout of a learning agent's observation ([`crate::observe`] fills it): the window's
//! channels, the scalars, and the vector's length — plain data the scenario's checks use to
//! match a trained policy's file to the group that plays it.

/// The window's channels, in order.
pub const CHANNELS: [&str; 9] = ["wall", "apple", "grass", "lost_grass", "human", "ai", "vase", "box", "belt"];

/// The scalars before the brackets' rates, in order.
pub const SCALARS: [&str; 3] = ["sigma", "store", "marginal_rate"];

/// The scalars after the brackets' rates, in order.
pub const SCALARS_AFTER: [&str; 3] = ["elected_p", "period_left", "audited"];

/// The length of an observation with window radius `radius` in a world with `brackets` tax
/// brackets (0 without taxes).
pub fn size(radius: u32, brackets: usize) -> usize {
    let side = 2 * radius as usize + 1;
    CHANNELS.len() * side * side + SCALARS.len() + brackets + SCALARS_AFTER.len()
}

/// The name a learned principal's policy is saved and checked under.
pub const PRINCIPAL: &str = "principal";

/// The length of a learned principal's observation with `brackets` brackets and `agents`
/// agents: the served `p`, the episode's progress, each rate, and each agent's period net
/// income and store ([`crate::learn::principal`] fills it).
pub fn principal_size(brackets: usize, agents: usize) -> usize {
    2 + brackets + 2 * agents
}

/// A learned principal's choices per bracket on a rate grid of `step`: keep, then each of the
/// grid's points {0, step, …, 1}.
pub fn principal_choices(step: f64) -> usize {
    (1.0 / step + 1e-9).floor() as usize + 2
}

/// Every entry's name, in order: `apple[dy=-1,dx=2]`, …, `sigma`, `rate_0`, …
pub fn names(radius: u32, brackets: usize) -> Vec<String> {
    let r = radius as i64;
    let mut out = Vec::with_capacity(size(radius, brackets));
    for c in CHANNELS {
        for dy in -r..=r {
            for dx in -r..=r {
                out.push(format!("{c}[dy={dy},dx={dx}]"));
            }
        }
    }
    out.extend(SCALARS.iter().map(|s| s.to_string()));
    out.extend((0..brackets).map(|b| format!("rate_{b}")));
    out.extend(SCALARS_AFTER.iter().map(|s| s.to_string()));
    out
}
