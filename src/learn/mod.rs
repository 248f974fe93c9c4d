//! Agents that learn (issue 12): learned policies as small candle networks ([`net`]), their
//! decisions in the tick ([`play`]), and PPO training over many copies of a world ([`train`],
//! [`ppo`], [`adam`]); `polity train` writes what [`folder`] says. docs/learning.md documents
//! the observation, the reward and the algorithm.

pub mod adam;
pub mod folder;
pub mod net;
pub mod play;
pub mod ppo;
pub mod train;

pub use play::{Brains, MECHANISM};
