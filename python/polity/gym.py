"""One agent of a scenario as a Gymnasium environment (the others play as their scenario says)."""

from __future__ import annotations

from typing import Any

import gymnasium

from ._polity import PolityError
from .env import PolityParallelEnv


class GymEnv(gymnasium.Env):
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
            raise PolityError(f"no agent `{agent}` in this scenario; its agents: {', '.join(names)}")
        self.agent = agent
        self.render_mode = render_mode
        self.observation_space = self._env.observation_space(agent)
        self.action_space = self._env.action_space(agent)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, infos = self._env.reset(seed=seed, options=options)
        return obs[self.agent], infos[self.agent]

    def step(self, action):
        obs, rew, terms, truncs, infos = self._env.step({self.agent: action})
        return obs[self.agent], rew[self.agent], terms[self.agent], truncs[self.agent], infos[self.agent]

    def render(self):
        return self._env.render()

    def close(self):
        self._env.close()
