"""Polity from Python: the engine's worlds as PettingZoo and Gymnasium environments.

    import polity
    env = polity.parallel_env("commons", seed=0)            # a PettingZoo ParallelEnv
    aec = polity.aec_env("commons", seed=0)                 # the same, as a PettingZoo AECEnv
    obs, infos = env.reset(seed=0)
    obs, rewards, terms, truncs, infos = env.step({a: env.action_space(a).sample() for a in env.agents})

    venv = polity.VectorEnv("commons", num_envs=64)          # many worlds stepped in Rust
    gym_env = polity.GymEnv("commons", agent="human_0")       # one learner, the rest play themselves

A scenario is a built-in name (``polity.builtins()``), a path to a ``.ron`` file or a run's
``run.json``, or RON text. Numeric fields can be overridden by the paths sweep files use:
``polity.parallel_env("sed-apple-picking", **{"tax.rates[0]": 0.3})`` or ``overrides={...}``.
Errors in a scenario raise ``polity.PolityError`` (a ``ValueError``) with the engine's
message, file:line:column included. An environment is used on the thread that made it (make
one per thread; a call from another raises ``PolityError``). docs/python.md documents observations, actions and rewards.
"""

from ._polity import PolityError, __version__, builtins
from ._polity import set_threads as _set_threads
from .env import ACTIONS, PolityParallelEnv, UnknownAgentError, aec_env, next_seed, parallel_env
from .gym import GymEnv
from .interop import export_policy, record, torch_tensors
from .vector import VectorEnv

import gymnasium as _gymnasium


def set_threads(threads: int | None = None) -> int:
    """Sizes the engine's thread pool, once, before the first environment (``None``: one
    thread per core); returns its size. Once the pool is sized (by a call or the first
    environment), a call asking for another number of threads raises; ``None`` then asks for
    nothing and returns the pool's size."""
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise PolityError(f"set_threads({threads!r}): a whole number of threads, at least 1 (or None)")
    got = _set_threads(threads)
    if threads is not None and got != threads:
        raise PolityError(
            f"set_threads({threads}): the engine's thread pool already has {got} threads (it is sized "
            "once, by the first set_threads call or the first environment)"
        )
    return got


if "polity/Polity-v0" not in _gymnasium.registry:
    # gymnasium.make("polity/Polity-v0", scenario="commons", agent="human_0", …)
    _gymnasium.register(id="polity/Polity-v0", entry_point="polity.gym:GymEnv")

__all__ = [
    "ACTIONS",
    "GymEnv",
    "PolityError",
    "PolityParallelEnv",
    "UnknownAgentError",
    "VectorEnv",
    "__version__",
    "aec_env",
    "builtins",
    "export_policy",
    "next_seed",
    "parallel_env",
    "record",
    "set_threads",
    "torch_tensors",
]
