"""A Polity world as a PettingZoo ``ParallelEnv``."""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from ._polity import PolityError, RawEnv
from ._polity import next_seed as _next_seed

#: The five moves, in action-index order.
ACTIONS = ("stay", "north", "east", "south", "west")

#: The principal's agent name, when the principal is steered (``principal=True``).
PRINCIPAL = "principal"


def _overrides(overrides: dict[str, float] | None, extra: dict[str, Any]) -> list[tuple[str, int | float]]:
    merged: dict[str, Any] = dict(overrides or {})
    both = sorted(str(k) for k in extra if k in merged)
    if both:
        raise PolityError(f"{', '.join(both)}: set both in overrides= and as a keyword; give each field once")
    merged.update(extra)
    out = []
    for path, value in merged.items():
        if "." not in str(path) and "[" not in str(path):
            raise PolityError(
                f"unknown keyword `{path}`: a scenario field is set by its path, as sweep files do "
                "(e.g. **{'run.ticks': 100} or overrides={'agents[0].count': 5}); see help(polity.parallel_env) "
                "for the keywords"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise PolityError(f"override `{path}` = {value!r}: overrides set numeric fields (as sweep files do)")
        # A whole number crosses as one, exactly (a seed past 2**53 is no float).
        out.append((str(path), int(value) if isinstance(value, (int, np.integer)) else float(value)))
    return out


def _whole(name: str, value: Any, least: int) -> int:
    """`value` as an int of at least `least`, or a PolityError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise PolityError(f"{name} = {value!r}: a whole number of at least {least}")
    return int(value)


def _seed(seed: Any) -> int:
    """`seed` as an int, or a PolityError (the engine checks its range)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise PolityError(f"seed {seed!r}: a seed is a whole number from 0 to 2^64 - 1")
    return int(seed)


def _same_thread(made_on: int) -> None:
    """Refuses a call from another thread than the one that made the environment (the engine's
    world is not shared between threads)."""
    if threading.get_ident() != made_on:
        raise PolityError(
            "this environment was made on another thread: an environment is used on the thread "
            "that made it (make one per thread)"
        )


def _policies(policies: dict[str, str] | None) -> list[tuple[str, str]]:
    if policies is not None and not isinstance(policies, dict):
        raise PolityError(f"policies = {policies!r}: a dict of group name to policy file, e.g. {{'humans': 'h.safetensors'}}")
    return [(str(g), str(p)) for g, p in (policies or {}).items()]


class PolityParallelEnv(ParallelEnv):
    """Every agent of a scenario as a PettingZoo agent (``human_0``, ``ai_5``, …).

    Each step runs one tick of the world exactly as ``polity run`` does; an agent's action is
    the move it makes (0 stay, 1 north, 2 east, 3 south, 4 west). An agent left out of the
    actions dict decides as its scenario says. Rewards are what the engine's own learner is
    paid: the SED reward increment (fines included) less, for AI agents, the impact penalty
    booked. Episodes never terminate; they truncate at ``run.ticks``.

    ``policies={"group": "file.safetensors"}`` makes a group play a policy file (one that
    ``polity train`` or :func:`polity.export_policy` wrote), as ``--policy GROUP=FILE`` does;
    its agents still take the actions you give them, and play the file when you give none.

    With ``principal=True`` the principal is an agent too (``"principal"``): its action is a
    choice per tax bracket (0 keeps the rate, ``i`` sets ``(i - 1) · step``), read at the end
    of each tax period; its reward, paid at period ends, is ``W_p`` of the agents' SED
    rewards over the period its last choice governed.
    """

    metadata = {"name": "polity_v0", "render_modes": ["rgb_array"], "render_fps": 10, "is_parallelizable": True}

    def __init__(
        self,
        scenario: str = "commons",
        seed: int | None = None,
        render_mode: str | None = None,
        *,
        view: int | None = None,
        principal: bool = False,
        overrides: dict[str, float] | None = None,
        render_size: tuple[int, int] = (960, 540),
        policies: dict[str, str] | None = None,
        **field_overrides: Any,
    ):
        if render_mode not in (None, "rgb_array"):
            raise PolityError(f"render_mode {render_mode!r}: Polity renders 'rgb_array' (or None)")
        if view is not None:
            view = _whole("view", view, 0)
        if not isinstance(principal, (bool, np.bool_)):
            raise PolityError(f"principal = {principal!r}: True to steer the principal, False (the default) not to")
        principal = bool(principal)
        if not (isinstance(render_size, (tuple, list)) and len(render_size) == 2):
            raise PolityError(f"render_size = {render_size!r}: (width, height) in pixels")
        render_size = (_whole("render_size's width", render_size[0], 1), _whole("render_size's height", render_size[1], 1))
        self._thread = threading.get_ident()
        if seed is not None:
            seed = _seed(seed)
        self._raw_env = RawEnv(
            str(scenario), seed, _overrides(overrides, field_overrides), view, principal, _policies(policies)
        )
        self.render_mode = render_mode
        self.render_size = render_size
        self._names = list(self._raw.layout.names)
        self._principal = principal
        self.possible_agents = self._names + ([PRINCIPAL] if principal else [])
        self.agents: list[str] = []
        self._columns = list(self._raw.columns)
        low, high = self._raw.layout.bounds()
        self._observation_spaces = {a: spaces.Box(low, high, dtype=np.float32) for a in self._names}
        self._action_spaces = {a: spaces.Discrete(self._raw.layout.actions) for a in self._names}
        if principal:
            low, high = self._raw.layout.principal_bounds()
            self._observation_spaces[PRINCIPAL] = spaces.Box(low, high, dtype=np.float32)
            self._action_spaces[PRINCIPAL] = spaces.MultiDiscrete(list(self._raw.layout.principal_choices))
        self.state_space = spaces.Box(-np.inf, np.inf, shape=(self._raw.state_size,), dtype=np.float32)
        self._seed = self._raw.seed
        self._started = False
        self.max_cycles = self._raw.layout.ticks

    @property
    def _raw(self) -> RawEnv:
        """The engine's world, from the thread that made it only (else a PolityError: every
        method and property goes through here)."""
        _same_thread(self._thread)
        return self._raw_env

    # -- spaces ---------------------------------------------------------------------------
    @property
    def observation_spaces(self) -> dict[str, spaces.Space]:
        """Every agent's observation space (PettingZoo's dict; ``observation_space(a)`` reads it)."""
        return dict(self._observation_spaces)

    @property
    def action_spaces(self) -> dict[str, spaces.Space]:
        """Every agent's action space (PettingZoo's dict; ``action_space(a)`` reads it)."""
        return dict(self._action_spaces)

    def observation_space(self, agent: str) -> spaces.Space:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[agent]

    @property
    def groups(self) -> dict[str, list[str]]:
        """The scenario's groups (in order) and their agents."""
        out: dict[str, list[str]] = {}
        for agent, group in zip(self._names, self._raw.groups):
            out.setdefault(group, []).append(agent)
        return out

    @property
    def scenario_name(self) -> str:
        return self._raw.scenario_name

    @property
    def tick(self) -> int:
        return self._raw.tick

    @property
    def seed(self) -> int:
        """The seed of the episode in play."""
        return self._raw.seed

    # -- the loop -------------------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict | None = None):
        """Starts an episode: with ``seed``, or (without) the scenario's seed the first time and
        after that the next of the last seed's sequence (``polity.next_seed``: environments
        seeded 0, 1, 2, … never replay one another's worlds, as ``seed + 1`` would).
        ``options`` are ignored: Polity's reset takes none (set scenario fields with overrides
        when making the environment); PettingZoo's API test requires that they be accepted."""
        _same_thread(self._thread)
        if seed is None:
            seed = _next_seed(self._seed) if self._started else self._seed
        seed = _seed(seed)
        # A seed the engine refuses changes nothing (the next reset() goes on from the last).
        self._raw.reset(seed)
        self._seed = seed
        self._started = True
        self.agents = list(self.possible_agents)
        return self._observations(), {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]):
        _same_thread(self._thread)
        if not self._started:
            raise PolityError("no episode yet: call reset() first")
        if not self.agents:
            raise PolityError("the episode is over (every agent is truncated); call reset() first")
        if not isinstance(actions, dict):
            raise PolityError(
                f"actions {actions!r}: a dict of agent name to action ({{}} lets every agent decide "
                "as its scenario says)"
            )
        if PRINCIPAL in actions and not self._principal:
            raise PolityError("the principal is not steered: make the env with principal=True")
        unknown = [a for a in actions if a not in self._observation_spaces]
        if unknown:
            raise PolityError(f"unknown agent(s) {unknown}; agents are {self.possible_agents}")
        index = {a: k for k, a in enumerate(self._names)}
        arr = np.full(len(self._names), -1, dtype=np.int64)
        for agent, a in actions.items():
            if agent == PRINCIPAL:
                continue
            value = np.asarray(a)
            if value.shape != () or not np.issubdtype(value.dtype, np.integer):
                raise PolityError(f"{agent}'s action {a!r} must be one integer, 0 to {len(ACTIONS) - 1}")
            if not -1 <= int(value) < len(ACTIONS):
                raise PolityError(
                    f"{agent}'s action {int(value)} is out of range: 0 to {len(ACTIONS) - 1} (stay, north, east, "
                    "south, west), or -1 for the agent's own"
                )
            arr[index[agent]] = int(value)
        choice = None
        if PRINCIPAL in actions:
            given = np.asarray(actions[PRINCIPAL])
            if not np.issubdtype(given.dtype, np.integer):
                raise PolityError(
                    f"the principal's action {actions[PRINCIPAL]!r} must be whole numbers, one choice "
                    "per tax bracket"
                )
            if given.ndim > 1:
                raise PolityError(
                    f"the principal's action has shape {given.shape}: one choice per tax bracket, a flat "
                    "array (as its action space, a MultiDiscrete, samples)"
                )
            # Out of int64's range (a uint64 of 2**64 - 1) is out of range: said with the value
            # given, before the conversion would wrap it.
            for b, c in enumerate(given.reshape(-1).tolist()):
                if not -(2**63) <= c < 2**63:
                    raise PolityError(f"the principal's choice for bracket {b} is {c}: out of range")
            choice = given.astype(np.int64).reshape(-1)
        rewards, lead, truncated, metrics, events, executed = self._raw.step(arr, choice)
        obs = self._observations()
        tick, row, lines = self._raw.tick, metrics.tolist(), [json.loads(e) for e in events]

        def common() -> dict[str, Any]:
            # Each agent its own dict and list: a change to one agent's info is not another's.
            return {"tick": tick, "metrics": dict(zip(self._columns, row)), "events": [dict(e) for e in lines]}

        rew = {a: float(r) for a, r in zip(self._names, rewards)}
        infos = {a: dict(common(), executed=ACTIONS[int(x)]) for a, x in zip(self._names, executed)}
        if self._principal:
            rew[PRINCIPAL] = float(lead)
            infos[PRINCIPAL] = dict(common(), acts_next=self._raw.principal_acts)
        terms = {a: False for a in self.agents}
        truncs = {a: bool(truncated) for a in self.agents}
        if truncated:
            self.agents = []
        return obs, rew, terms, truncs, infos

    def _observations(self) -> dict[str, np.ndarray]:
        rows = self._raw.observe()
        obs = {a: rows[k] for k, a in enumerate(self._names)}
        if self._principal:
            obs[PRINCIPAL] = self._raw.principal_observe()
        return obs

    # -- the rest of the API --------------------------------------------------------------
    def render(self):
        """The recorder's picture of the world now, (height, width, 3) uint8 (render_mode
        'rgb_array'); None without a render mode."""
        if self.render_mode is None:
            return None
        w, h = self.render_size
        return self._raw.render(w, h)

    def state(self) -> np.ndarray:
        """The global state for centralised critics: 5 planes of the whole map (apples, walls,
        live grass, humans, AIs; row by row), then per agent x/width, y/height and its store."""
        return self._raw.state()

    def state_hash(self) -> int:
        """The engine's digest of the whole state, as an integer (``polity run`` writes it to
        run.json in hexadecimal: ``f"{env.state_hash():016x}"``)."""
        return self._raw.state_hash()

    def close(self):
        pass


def parallel_env(scenario: str = "commons", seed: int | None = None, render_mode: str | None = None, **kwargs):
    """A PettingZoo ParallelEnv of ``scenario``: see :class:`PolityParallelEnv`."""
    return PolityParallelEnv(scenario, seed=seed, render_mode=render_mode, **kwargs)
