"""One agent of a scenario as a Gymnasium environment (the others play as their scenario says)."""

from __future__ import annotations

from typing import Any

import gymnasium

import numpy as np

from ._polity import PolityError
from .env import ACTIONS, PRINCIPAL, PolityParallelEnv, _NotCopied, _seed, _unknown_agents


class GymEnv(_NotCopied, gymnasium.Env):
    """A single-agent view of a scenario: ``agent`` (default: the scenario's first agent,
    ``possible_agents[0]``) is steered; every other agent decides as its scenario says.
    Observations, actions and rewards are those of :class:`polity.PolityParallelEnv`."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        scenario: str = "commons",
        agent: str | None = None,
        seed: int | None = None,
        render_mode: str | None = None,
        **kwargs: Any,
    ):
        self._env = PolityParallelEnv(scenario, seed=seed, render_mode=render_mode, **kwargs)
        names = self._env.possible_agents
        if agent is None:
            agent = names[0]
        if agent not in names:
            hint = " (to steer the principal, pass principal=True too)" if agent == PRINCIPAL else ""
            raise _unknown_agents([agent], names, hint)
        self.agent = agent
        self.render_mode = render_mode
        self.observation_space = self._env.observation_space(agent)
        self.action_space = self._env.action_space(agent)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Starts an episode (seeds as :meth:`PolityParallelEnv.reset`); returns the agent's
        observation and info."""
        if seed is not None:
            # A NumPy integer as parallel_env takes it (Gymnasium's own check wants an int).
            seed = _seed(seed)
        super().reset(seed=seed)
        obs, infos = self._env.reset(seed=seed, options=options)
        return obs[self.agent], infos[self.agent]

    def step(self, action):
        """One tick: the steered agent makes ``action`` (0 stay, 1 north, 2 east, 3 south, 4
        west), every other agent decides as its scenario says; returns the agent's observation,
        reward, termination (never), truncation (at ``run.ticks``) and info."""
        given = np.asarray(action)
        if given.shape == () and np.issubdtype(given.dtype, np.integer) and not 0 <= int(given) < len(ACTIONS):
            # -1 (VectorEnv's "decide yourself") is no action here: the steered agent is told
            # its move every step; the other agents are the ones that play by their scenario.
            raise PolityError(
                f"action {int(given)} is out of range: 0 to {len(ACTIONS) - 1} (stay, north, east, south, "
                f"west); {self.agent} is the agent this environment steers and takes an action every step "
                "(the other agents act by their scenario's own policy)"
            )
        obs, rew, terms, truncs, infos = self._env.step({self.agent: action})
        return obs[self.agent], rew[self.agent], terms[self.agent], truncs[self.agent], infos[self.agent]

    @property
    def env(self) -> PolityParallelEnv:
        """The multi-agent environment underneath (every agent's spaces, ``groups``, the
        principal's)."""
        return self._env

    @property
    def seed(self) -> int:
        """The seed of the episode in play (as :attr:`PolityParallelEnv.seed`)."""
        return self._env.seed

    @property
    def tick(self) -> int:
        """The world's tick."""
        return self._env.tick

    def state(self) -> np.ndarray:
        """The global state (as :meth:`PolityParallelEnv.state`): the whole map and every agent."""
        return self._env.state()

    def state_hash(self) -> int:
        """The engine's digest of the whole state (as :meth:`PolityParallelEnv.state_hash`;
        ``polity run`` writes it to run.json in hexadecimal)."""
        return self._env.state_hash()

    def render(self):
        """The world now as an RGB array (``render_mode='rgb_array'``), else None."""
        return self._env.render()

    def close(self):
        """Lets the engine's world go (see :meth:`PolityParallelEnv.close`)."""
        self._env.close()
