"""A Polity world as a PettingZoo ``ParallelEnv``."""

from __future__ import annotations

import inspect
import json
import os
import threading
from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from ._polity import FRAME_SIZES, VIEWS, PolityError, RawEnv
from ._polity import next_seed as _next_seed

#: The five moves, in action-index order.
ACTIONS = ("stay", "north", "east", "south", "west")

#: The principal's agent name, when the principal is steered (``principal=True``).
PRINCIPAL = "principal"


class UnknownAgentError(PolityError, KeyError):
    """An agent name the environment does not have: a :class:`PolityError` (a ``ValueError``)
    and a ``KeyError``, as a dict of agents would raise."""

    def __str__(self) -> str:
        # KeyError's own str() quotes its message.
        return str(self.args[0]) if self.args else ""


def _unknown_agents(unknown: list[str], possible: list[str], hint: str = "") -> UnknownAgentError:
    """The error for agent names not in ``possible`` (at most 12 of them listed)."""
    shown = possible if len(possible) <= 12 else possible[:12] + [f"… ({len(possible)} in all)"]
    what = f"unknown agent {unknown[0]!r}" if len(unknown) == 1 else f"unknown agents {unknown[:12]}"
    return UnknownAgentError(f"{what}{hint}; agents are {shown}")


#: Other libraries' names for an episode's length, answered with the field Polity reads.
_EPISODE_LENGTH = ("max_cycles", "max_episode_steps", "max_steps")


def _overrides(
    overrides: dict[str, float] | None, extra: dict[str, Any], keywords: str = ""
) -> list[tuple[str, int | float]]:
    """The overrides as the engine takes them; `keywords` names the caller's own keywords
    (said when a keyword is neither one of them nor a field's path)."""
    if overrides is not None and not isinstance(overrides, Mapping):
        raise PolityError(
            f"overrides={overrides!r}: a dict of a scenario field's path to its number, "
            "e.g. overrides={'agents[0].count': 5, 'run.ticks': 100}"
        )
    merged: dict[str, Any] = dict(overrides or {})
    both = sorted(str(k) for k in extra if k in merged)
    if both:
        raise PolityError(f"{', '.join(both)}: set both in overrides= and as a keyword; give each field once")
    merged.update(extra)
    out = []
    for path, value in merged.items():
        if not isinstance(path, str):
            raise PolityError(
                f"overrides key {path!r}: a scenario field's path, as a string (e.g. 'run.ticks' or "
                "'agents[0].count')"
            )
        if str(path) in _EPISODE_LENGTH:
            raise PolityError(
                f"`{path}`: a Polity episode lasts its scenario's `run.ticks`; set that instead, "
                "e.g. **{'run.ticks': 100} (or overrides={'run.ticks': 100})"
            )
        if "." not in str(path) and "[" not in str(path):
            known = f"; this function's keywords are {keywords}" if keywords else ""
            raise PolityError(
                f"unknown keyword `{path}`{known}; any other keyword sets a scenario field by its path, "
                "as sweep files do (e.g. **{'run.ticks': 100} or overrides={'agents[0].count': 5})"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise PolityError(f"override `{path}` = {value!r}: overrides set numeric fields (as sweep files do)")
        if isinstance(value, (int, np.integer)) and not -(2**127) <= value < 2**127:
            raise PolityError(f"override `{path}` = {value}: out of range for any scenario field")
        # A whole number crosses as one, exactly (a seed past 2**53 is no float).
        out.append((str(path), int(value) if isinstance(value, (int, np.integer)) else float(value)))
    return out


#: The largest value of the engine's 32-bit and 64-bit unsigned arguments.
U32_MAX, U64_MAX = 2**32 - 1, 2**64 - 1


def _whole(name: str, value: Any, least: int, most: int | None = None, why: str = "") -> int:
    """`value` as an int from `least` to `most` (no bound: of at least `least`), or a
    PolityError naming `name` and the range, checked here so that no Python int too large for
    the engine's argument crosses (an OverflowError naming nothing). `why` says what the
    range is, when it is the engine's own (the observation window's radius)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < least
        or (most is not None and value > most)
    ):
        said = f"a whole number from {least} to {most}" if most is not None else f"a whole number of at least {least}"
        raise PolityError(f"{name} = {value!r}: {why or said}")
    return int(value)


def _view(view: Any) -> int | None:
    """`view` (None: the scenario's), in the engine's range (1 to 8)."""
    if view is None:
        return None
    least, most = VIEWS
    return _whole("view", view, least, most, f"the observation window's radius, a whole number from {least} to {most}")


def _frame(name: str, size: Any) -> tuple[int, int]:
    """A frame's (width, height), in the range the engine draws (160x90 to 7680x4320)."""
    if not (isinstance(size, (tuple, list)) and len(size) == 2):
        raise PolityError(f"{name} = {size!r}: (width, height) in pixels")
    (w0, h0), (w1, h1) = FRAME_SIZES
    out = []
    for side, v, least, most in (("width", size[0], w0, w1), ("height", size[1], h0, h1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise PolityError(f"{name}'s {side} = {v!r}: a whole number of pixels, {least} to {most}")
        if not least <= v <= most:
            raise PolityError(
                f"{name}'s {side} = {v}: too {'small' if v < least else 'large'}; a frame is {w0}x{h0} to "
                f"{w1}x{h1} pixels"
            )
        out.append(int(v))
    return out[0], out[1]


def _seed(seed: Any) -> int:
    """`seed` as an int from 0 to 2⁶⁴ − 1, or a PolityError."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= U64_MAX:
        raise PolityError(f"seed {seed!r}: a seed is a whole number from 0 to 2^64 - 1")
    return int(seed)


_SHARED = (
    "is shared by every agent's info this step and cannot be changed (one copy for all agents, "
    "not one per agent); copy it first: dict(info['metrics']) for the metrics, "
    "copy.deepcopy(info['events']) for events you can change (list(...) copies the list, not its events)"
)


class _SharedDict(dict):
    """A dict in every agent's info at once (the tick's metrics, an event): read-only. Copies
    (``dict(x)``, ``copy.copy``, ``copy.deepcopy``, pickling) are plain dicts; JSON writes it
    as any dict."""

    __slots__ = ()

    def _refuse(self, *_: Any, **__: Any) -> None:
        raise TypeError(f"this dict {_SHARED}")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = __ior__ = _refuse  # type: ignore[assignment]

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        import copy

        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self):
        return (dict, (dict(self),))


class _SharedList(list):
    """A list in every agent's info at once (the tick's events): read-only, as
    :class:`_SharedDict`."""

    __slots__ = ()

    def _refuse(self, *_: Any, **__: Any) -> None:
        raise TypeError(f"this list {_SHARED}")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse  # type: ignore[assignment]
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, memo: dict) -> list:
        import copy

        return [copy.deepcopy(v, memo) for v in self]

    def __reduce__(self):
        return (list, (list(self),))


def _shared(value: Any) -> Any:
    """`value` (JSON's dicts, lists and scalars) read-only all the way down."""
    if isinstance(value, dict):
        return _SharedDict((k, _shared(v)) for k, v in value.items())
    if isinstance(value, list):
        return _SharedList(_shared(v) for v in value)
    return value


class _NotCopied:
    """An environment owns its engine world, which cannot be shared or duplicated: a copy
    would step the same world (copy.copy) or could not be made (pickle, copy.deepcopy). Every
    way of copying one raises the same TypeError."""

    def _refuse_copy(self, *_: Any) -> None:
        raise TypeError(
            f"a {type(self).__name__} cannot be copied or pickled: it owns its engine world; make "
            "another with the same arguments (and seed) instead"
        )

    __copy__ = _refuse_copy
    __deepcopy__ = _refuse_copy
    __reduce_ex__ = _refuse_copy
    __reduce__ = _refuse_copy


def _same_thread(made_on: int) -> None:
    """Refuses a call from another thread than the one that made the environment (the engine's
    world is not shared between threads)."""
    if threading.get_ident() != made_on:
        raise PolityError(
            "this environment was made on another thread: an environment is used on the thread "
            "that made it (make one per thread)"
        )


def _scenario(scenario: Any) -> str:
    """The scenario argument as the engine takes it: a name, a path or RON text (``str`` or a
    path-like). Anything else is refused by name (``None`` was looked up as a scenario "None")."""
    if isinstance(scenario, str):
        return scenario
    if isinstance(scenario, os.PathLike):
        return os.fspath(scenario)
    raise PolityError(
        f"scenario = {scenario!r}: give a built-in name (polity.builtins()), a path to a .ron file "
        "or a run's run.json, or RON text"
    )


def _policies(policies: dict[str, str] | None) -> list[tuple[str, str]]:
    if policies is not None and not isinstance(policies, dict):
        raise PolityError(f"policies = {policies!r}: a dict of group name to policy file, e.g. {{'humans': 'h.safetensors'}}")
    return [(str(g), str(p)) for g, p in (policies or {}).items()]


#: parallel_env's and PolityParallelEnv's keywords (GymEnv adds `agent`).
_KEYWORDS = "seed, render_mode, view, principal, overrides, render_size, policies"


def next_seed(seed: int) -> int:
    """The seed ``reset()`` plays after ``seed`` when given none (SplitMix64's next: worlds
    seeded 0, 1, 2, … never replay one another, as ``seed + 1`` would)."""
    return _next_seed(_seed(seed))


class PolityParallelEnv(_NotCopied, ParallelEnv):
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
    of each tax period. A choice is paid when the period it governed ends (at the next period
    end, or at the episode's end for the part-period left), with ``W_p`` of the agents' utility
    gained over that period (SED's reward by default); the first period end pays nothing, as
    no choice governed the ticks before it (docs/python.md).
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
        view = _view(view)
        if not isinstance(principal, (bool, np.bool_)):
            raise PolityError(f"principal = {principal!r}: True to steer the principal, False (the default) not to")
        principal = bool(principal)
        render_size = _frame("render_size", render_size)
        self._thread = threading.get_ident()
        if seed is not None:
            seed = _seed(seed)
        self._raw_env = RawEnv(
            _scenario(scenario),
            seed,
            _overrides(overrides, field_overrides, _KEYWORDS),
            view,
            principal,
            _policies(policies),
        )
        self.render_mode = render_mode
        self.render_size = render_size
        # The layout is read once: each read builds it anew (in time linear in the agents), and
        # read once per agent it made a 10,000-agent world take seconds to open.
        layout = self._raw.layout
        self._names = list(layout.names)
        self._principal = principal
        self.possible_agents = self._names + ([PRINCIPAL] if principal else [])
        self.agents: list[str] = []
        self._columns = list(self._raw.columns)
        low, high = layout.bounds()
        actions = layout.actions
        self._observation_spaces = {a: spaces.Box(low, high, dtype=np.float32) for a in self._names}
        self._action_spaces = {a: spaces.Discrete(actions) for a in self._names}
        if principal:
            low, high = layout.principal_bounds()
            self._observation_spaces[PRINCIPAL] = spaces.Box(low, high, dtype=np.float32)
            self._action_spaces[PRINCIPAL] = spaces.MultiDiscrete(list(layout.principal_choices))
        self.state_space = spaces.Box(-np.inf, np.inf, shape=(self._raw.state_size,), dtype=np.float32)
        self._seed = self._raw.seed
        self._started = False
        self.max_cycles = layout.ticks

    @property
    def _raw(self) -> RawEnv:
        """The engine's world, from the thread that made it only (else a PolityError: every
        method and property goes through here)."""
        _same_thread(self._thread)
        if self._raw_env is None:
            raise PolityError("this environment is closed (close() let its world go); make another")
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
        """The agent's observation space (a float32 Box; the principal's its own)."""
        return self._observation_spaces[self._known(agent)]

    def action_space(self, agent: str) -> spaces.Space:
        """The agent's action space (Discrete(5); the principal's a MultiDiscrete)."""
        return self._action_spaces[self._known(agent)]

    def _known(self, agent: str) -> str:
        if agent not in self._action_spaces:
            hint = " (the principal is an agent only with principal=True)" if agent == PRINCIPAL else ""
            raise _unknown_agents([agent], self.possible_agents, hint)
        return agent

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
        """Starts an episode: with ``seed``, or (without) the environment's seed the first time
        (``parallel_env(..., seed=S)``'s, else the scenario's ``run.seed``) and after that the
        next of the last seed's sequence (``polity.next_seed``: environments
        seeded 0, 1, 2, … never replay one another's worlds, as ``seed + 1`` would).
        ``options`` are ignored: Polity's reset takes none (set scenario fields with overrides
        when making the environment); PettingZoo's API test requires that they be accepted."""
        _same_thread(self._thread)
        if seed is None:
            seed = next_seed(self._seed) if self._started else self._seed
        seed = _seed(seed)
        # A seed the engine refuses changes nothing (the next reset() goes on from the last).
        self._raw.reset(seed)
        self._seed = seed
        self._started = True
        self.agents = list(self.possible_agents)
        infos = {a: {"tick": 0} for a in self._names}
        if self._principal:
            # Whether the first step's choice is read (a tax period of one tick ends at once).
            infos[PRINCIPAL] = {"tick": 0, "acts_next": self._raw.principal_acts}
        return self._observations(), infos

    def step(self, actions: dict[str, Any]):
        """One tick of the world: ``actions`` maps agents to moves (0 stay, 1 north, 2 east,
        3 south, 4 west; the principal's, with ``principal=True``, a choice per tax bracket);
        an agent left out decides as its scenario says (``{}``: every agent does). Returns
        ``(observations, rewards, terminations, truncations, infos)``, each a dict by agent;
        every agent's info holds the tick, the tick's ``metrics`` row and ``events`` (one
        read-only dict and list shared by all) and the move it ``executed`` (a shield may
        have changed it). Terminations are never true; truncations are at ``run.ticks``."""
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
            raise _unknown_agents(unknown, self.possible_agents)
        index = {a: k for k, a in enumerate(self._names)}
        arr = np.full(len(self._names), -1, dtype=np.int64)
        for agent, a in actions.items():
            if agent != PRINCIPAL:
                arr[index[agent]] = _agent_action(agent, a)
        choice = _principal_action(actions[PRINCIPAL]) if PRINCIPAL in actions else None
        rewards, lead, truncated, metrics, events, executed = self._raw.step(arr, choice)
        obs = self._observations()
        # The tick's metrics and events: one read-only dict and list in every agent's info (a
        # copy per agent cost agents × events: a second a step in a 10,000-agent world), which
        # no agent's info can change for another's.
        tick = self._raw.tick
        row = _SharedDict(zip(self._columns, metrics.tolist()))
        lines = _shared([json.loads(e) for e in events])
        rew = {a: float(r) for a, r in zip(self._names, rewards)}
        infos = {
            a: {"tick": tick, "metrics": row, "events": lines, "executed": ACTIONS[int(x)]}
            for a, x in zip(self._names, executed)
        }
        if self._principal:
            rew[PRINCIPAL] = float(lead)
            infos[PRINCIPAL] = {"tick": tick, "metrics": row, "events": lines, "acts_next": self._raw.principal_acts}
        terms = {a: False for a in self.agents}
        truncs = {a: bool(truncated) for a in self.agents}
        if truncated:
            self.agents = []
        return obs, rew, terms, truncs, infos

    def _observations(self) -> dict[str, np.ndarray]:
        rows = self._raw.observe()
        # Each agent's observation an array of its own (a row of `rows` is a view that keeps
        # every agent's alive: a learner storing one would hold them all).
        obs = {a: rows[k].copy() for k, a in enumerate(self._names)}
        if self._principal:
            obs[PRINCIPAL] = self._raw.principal_observe()
        return obs

    # -- the rest of the API --------------------------------------------------------------
    def render(self):
        """The recorder's picture of the world now, (height, width, 3) uint8 (render_mode
        'rgb_array'); None without a render mode."""
        if self.render_mode is None:
            _ = self._raw  # (a closed environment or another thread raises, as everywhere)
            # As Gymnasium's and PettingZoo's own environments say it.
            gymnasium.logger.warn(
                "render() without a render mode returns None: make the environment with "
                "render_mode='rgb_array' to get pictures"
            )
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
        """Lets the engine's world go (its memory is freed); any later call but close() raises
        ``PolityError``. Closing twice is fine; closing from another thread than the one that
        made it raises ``PolityError`` (the world is let go on its own thread)."""
        if self._raw_env is not None:
            _same_thread(self._thread)
        self._raw_env = None


_OWN_POLICY = (
    "to let an agent act by its scenario's own policy, leave it out of the actions dict"
)


def _agent_action(agent: str, a: Any, own: str = _OWN_POLICY) -> int:
    """An agent's action as the engine takes it, or a PolityError saying what is wrong."""
    value = np.asarray(a)
    if value.shape != () or not np.issubdtype(value.dtype, np.integer):
        raise PolityError(f"{agent}'s action {a!r} must be one integer, 0 to {len(ACTIONS) - 1}")
    if not 0 <= int(value) < len(ACTIONS):
        # -1 is VectorEnv's "decide yourself" in its action arrays; here an agent decides
        # as its scenario says when it is left out of the dict.
        raise PolityError(
            f"{agent}'s action {int(value)} is out of range: 0 to {len(ACTIONS) - 1} (stay, north, east, "
            f"south, west); {own}"
        )
    return int(value)


def _principal_action(a: Any) -> np.ndarray:
    """The principal's choices as the engine takes them, or a PolityError."""
    given = np.asarray(a)
    if not np.issubdtype(given.dtype, np.integer):
        raise PolityError(f"the principal's action {a!r} must be whole numbers, one choice per tax bracket")
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
    return given.astype(np.int64).reshape(-1)


def parallel_env(*args: Any, **kwargs: Any):
    """A PettingZoo ParallelEnv of ``scenario`` (a built-in's name, a ``.ron`` file or a run's
    ``run.json``, or RON text): see :class:`PolityParallelEnv`.

    ``view`` the observation radius (1–8; a learning group's own, else 3); ``principal=True``
    makes the principal an agent; ``overrides`` (or keywords such as ``**{"run.ticks": 200}``)
    set scenario fields by path; ``render_size`` the size of ``render()``'s pictures;
    ``policies={"group": "file.safetensors"}`` makes groups play policy files."""
    return PolityParallelEnv(*args, **kwargs)


# PolityParallelEnv's arguments, as help() and editors show them.
parallel_env.__signature__ = inspect.signature(PolityParallelEnv)  # type: ignore[attr-defined]


def aec_env(*args: Any, **kwargs: Any):
    """A PettingZoo AECEnv of ``scenario`` (the same arguments as :func:`parallel_env`): the
    parallel environment through PettingZoo's ``parallel_to_aec`` wrapper, so agents act in turn
    and a tick runs once every live agent has acted; each action is checked at the step that
    gives it."""
    from pettingzoo.utils.conversions import parallel_to_aec_wrapper
    from pettingzoo.utils.wrappers import OrderEnforcingWrapper

    class PolityAECEnv(parallel_to_aec_wrapper):
        """PettingZoo's AEC wrapper of the parallel environment, checking each action at the
        step that gives it (the wrapper keeps actions until every agent has acted: a bad one was
        refused only at the last agent's step, and every step after it until reset())."""

        def step(self, action: Any) -> None:
            agent = self.agent_selection
            if not (self.terminations.get(agent) or self.truncations.get(agent)):
                if agent == PRINCIPAL:
                    _principal_action(action)
                else:
                    _agent_action(
                        agent,
                        action,
                        "in the AEC API every agent acts in turn: to let agents act by their scenario's own "
                        "policy, use parallel_env and leave them out of the actions dict",
                    )
            super().step(action)

    # As parallel_to_aec does: PettingZoo's order checks (reset before step) around it.
    return OrderEnforcingWrapper(PolityAECEnv(parallel_env(*args, **kwargs)))


# The same arguments as parallel_env's, as help() and editors show them.
aec_env.__signature__ = inspect.signature(parallel_env)  # type: ignore[attr-defined]
