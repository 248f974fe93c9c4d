"""Many copies of a world stepped in Rust, for PPO-style collectors."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

import threading

from ._polity import PolityError, RawVecEnv
from .env import _NotCopied, _overrides, _policies, _same_thread, _scenario, _seed, _view, _whole


try:
    from gymnasium.vector import AutoresetMode

    _SAME_STEP = AutoresetMode.SAME_STEP
except ImportError:  # Gymnasium 1.0 names no autoreset modes
    _SAME_STEP = "SameStep"


class VectorEnv(_NotCopied):
    """``num_envs`` copies of a scenario's world, each agent steered by your actions or left
    to decide as its scenario says (−1), stepped in parallel on the engine's thread pool
    (``polity.set_threads`` sizes it).

    ``reset()`` and ``step(actions)`` return NumPy arrays the environment owns and overwrites
    at the next call (copy what you keep): observations ``(num_envs, agents, obs_size)``
    float32, rewards ``(num_envs, agents)`` float32, terminations and truncations
    ``(num_envs,)`` bool. ``actions`` is ``(num_envs, agents)`` of ints 0–4, or −1 for an agent
    that decides as its scenario says. A world that reaches ``run.ticks`` is truncated and
    starts its next episode in the same step (Gymnasium's ``AutoresetMode.SAME_STEP``): the
    observation returned is the new episode's first, and that step's infos hold
    ``final_obs`` ``(num_envs, agents, obs_size)``, the ended episode's last observation
    (to bootstrap a value from), valid where the mask ``_final_obs`` (the truncations) is
    true. World ``e``'s ``k``-th episode has its own seed, derived from ``seed``, ``k`` and ``e``;
    ``reset()`` without a seed plays new worlds: the seed it was made with the first time, after
    that ``polity.next_seed`` of the last (as ``parallel_env`` does: VectorEnvs seeded 0, 1, 2, …
    never replay one another's worlds, as ``seed + 1`` would). ``step`` before the first
    ``reset()`` raises ``PolityError``, as ``parallel_env``'s does.
    The worlds are the engine's world model alone: no metrics, events or pictures (use
    ``parallel_env`` for those).
    """

    def __init__(
        self,
        scenario: str = "commons",
        num_envs: int = 8,
        seed: int | None = None,
        *,
        view: int | None = None,
        overrides: dict[str, float] | None = None,
        policies: dict[str, str] | None = None,
        **field_overrides: Any,
    ):
        num_envs = _whole("num_envs", num_envs, 1, 2**63 - 1)
        view = _view(view)
        self._thread = threading.get_ident()
        if seed is not None:
            seed = _seed(seed)
        self._raw_env = RawVecEnv(
            _scenario(scenario), int(num_envs), seed, _overrides(overrides, field_overrides, "seed, view, overrides, policies"), view, _policies(policies)
        )
        self.num_envs = self._raw.num_envs
        self.agents = list(self._raw.layout.names)
        self.num_agents = len(self.agents)
        dim = self._raw.layout.observation_size
        low, high = self._raw.layout.bounds()
        self.single_observation_space = spaces.Box(low, high, dtype=np.float32)
        self.single_action_space = spaces.Discrete(self._raw.layout.actions)
        shape = (self.num_envs, self.num_agents, 1)
        self.observation_space = spaces.Box(
            np.tile(low, shape), np.tile(high, shape), dtype=np.float32
        )
        self.action_space = spaces.MultiDiscrete(np.full((self.num_envs, self.num_agents), self._raw.layout.actions))
        self.max_episode_steps = self._raw.layout.ticks
        self.metadata = {"autoreset_mode": _SAME_STEP}
        self._obs = np.zeros((self.num_envs, self.num_agents, dim), dtype=np.float32)
        self._final_obs = np.zeros_like(self._obs)
        self._rewards = np.zeros((self.num_envs, self.num_agents), dtype=np.float32)
        self._terminated = np.zeros(self.num_envs, dtype=bool)
        self._truncated = np.zeros(self.num_envs, dtype=bool)
        self._started = False

    @property
    def _raw(self) -> RawVecEnv:
        """The engine's worlds, from the thread that made them only (else a PolityError)."""
        _same_thread(self._thread)
        if self._raw_env is None:
            raise PolityError("this VectorEnv is closed (close() let its worlds go); make another")
        return self._raw_env

    def reset(self, seed: int | None = None, options: dict | None = None):
        """Starts every world's episode: with ``seed``, world ``e``'s is derived from it and
        ``e``; without, the next seeds (see the class's docs). Returns ``(obs, {})``, ``obs``
        ``(num_envs, agents, obs_size)`` float32, overwritten at the next call."""
        _same_thread(self._thread)
        self._raw.reset(None if seed is None else _seed(seed))
        self._started = True
        self._raw.observe(self._obs)
        return self._obs, {}

    def step(self, actions):
        """One tick of every world: ``actions`` ``(num_envs, agents)`` ints 0–4, or −1 for an
        agent that decides as its scenario says. Returns ``(obs, rewards, terminated,
        truncated, infos)``; a truncated world starts its next episode in the same step, and
        ``infos["final_obs"]`` holds the ended episode's last observations where
        ``infos["_final_obs"]`` is true."""
        _same_thread(self._thread)
        if not self._started:
            raise PolityError("no episode yet: call reset() first")
        given = np.asarray(actions)
        if given.shape != (self.num_envs, self.num_agents):
            raise PolityError(
                f"actions of shape {given.shape}: expected ({self.num_envs}, {self.num_agents}) ints"
            )
        if not np.issubdtype(given.dtype, np.integer):
            raise PolityError(
                f"actions of dtype {given.dtype}: expected whole numbers 0 to 4 (stay, north, east, "
                "south, west), or -1 for an agent that decides as its scenario says"
            )
        bad = np.argwhere((given < -1) | (given > 4))
        if len(bad):
            e, k = bad[0]
            raise PolityError(
                f"world {e}: {self.agents[k]}'s action {given[e, k]} is out of range: 0 to 4 (stay, "
                "north, east, south, west), or -1 for an agent that decides as its scenario says"
            )
        actions = np.ascontiguousarray(given, dtype=np.int64)
        self._raw.step(actions, self._obs, self._final_obs, self._rewards, self._truncated)
        infos = {}
        if self._truncated.any():
            infos = {"final_obs": self._final_obs, "_final_obs": self._truncated}
        return self._obs, self._rewards, self._terminated, self._truncated, infos

    def seeds(self) -> list[int]:
        """Each world's seed for the episode it is playing (``parallel_env(scenario, seed=s)``
        makes the same world)."""
        return list(self._raw.seeds())

    def close(self):
        """Lets the engine's worlds go (their memory is freed); any later call but close()
        raises ``PolityError``. Closing twice is fine; closing from another thread than the one
        that made it raises ``PolityError`` (its worlds are let go on their own thread)."""
        if self._raw_env is not None:
            _same_thread(self._thread)
        self._raw_env = None
