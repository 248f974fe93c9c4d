"""Bringing Python policies back to Polity: videos of them, and policy files the engine plays."""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import numpy as np

from ._polity import PolityError, RawRecording
from ._polity import export_policy as _export
from .env import PolityParallelEnv, _frame, _overrides, _scenario, _view, _whole

#: Frames per second a recording may have, as `polity record --fps` allows (at most 50 for a GIF).
FPS = (1, 120)


def record(
    scenario: str,
    policy: Callable[[dict[str, np.ndarray]], dict[str, Any]] | None = None,
    out: str | os.PathLike = "polity.gif",
    *,
    seed: int | None = None,
    ticks: int | None = None,
    ticks_per_frame: int = 1,
    fps: int = 30,
    size: tuple[int, int] = (960, 540),
    force: bool = False,
    **env_kwargs: Any,
) -> int:
    """Records ``scenario`` played by ``policy`` into ``out`` (``.gif``, ``.mp4``/``.webm``
    through ffmpeg, or a folder for PNG frames), as ``polity record`` draws it: frame ``i``
    shows the world after tick ``(i + 1) · ticks_per_frame``. ``policy(observations)`` gets the
    observation dict of ``parallel_env`` and returns an actions dict (agents left out decide as
    their scenario says; ``None`` as the policy: every agent does). ``env_kwargs`` go to
    :func:`polity.parallel_env` (``principal``, ``policies``, overrides, …). The output is
    staged and moved into place only when complete; an existing file is replaced only with
    ``force``. Returns the number of frames."""
    ticks_per_frame = _whole("ticks_per_frame", ticks_per_frame, 1)
    fps = _whole("fps", fps, *FPS)
    size = _frame("size", size)
    if "render_mode" in env_kwargs:
        raise PolityError("render_mode: record() renders every frame itself (leave render_mode out)")
    env = PolityParallelEnv(scenario, seed=seed, render_mode="rgb_array", **env_kwargs)
    total = env.max_cycles if ticks is None else _whole("ticks", ticks, 0)
    if not 1 <= total <= env.max_cycles:
        raise PolityError(f"ticks = {total}: record 1 to {env.max_cycles} ticks (the scenario's run.ticks)")
    rec = RawRecording(os.fspath(out), size[0], size[1], fps, force)
    obs, _ = env.reset(seed=seed)
    for t in range(1, total + 1):
        obs, _, _, _, _ = env.step(policy(obs) if policy is not None else {})
        if t % ticks_per_frame == 0 or t == total:
            rec.frame(env._raw)
    return rec.finish()


def export_policy(
    path: str | os.PathLike,
    scenario: str,
    group: str,
    tensors: dict[str, Any],
    *,
    view: int | None = None,
    force: bool = False,
    overrides: dict[str, float] | None = None,
) -> dict:
    """Writes a policy file that ``Learned(weights: …)`` and ``--policy GROUP=FILE`` read, for
    ``group`` of ``scenario``, from a network trained elsewhere.

    The network is Polity's: a trunk of ``tanh(W x + b)`` layers, then two linear heads on the
    last layer, ``actor`` (5 logits: stay, north, east, south, west; the engine takes their
    softmax and bounds it by the agent's power) and ``critic`` (1 value). ``tensors`` maps
    ``trunk.0.weight``, ``trunk.0.bias``, …, ``actor.weight``, ``actor.bias``,
    ``critic.weight``, ``critic.bias`` to arrays (anything ``np.asarray`` takes, a PyTorch
    tensor's ``.detach().numpy()`` included); weights are ``outputs × inputs``, as
    ``torch.nn.Linear`` stores them, and the input is the observation of radius ``view`` (the
    group's own when it learns, else 3) that ``parallel_env`` gives. Returns the file's header."""
    if not isinstance(group, str):
        raise PolityError(f"group = {group!r}: the name of the scenario's agent group the file is for")
    view = _view(view)
    if not isinstance(tensors, dict):
        raise PolityError(f"tensors: a dict of tensor name to array (see polity.torch_tensors), not {type(tensors).__name__}")
    named = []
    for name, value in tensors.items():
        arr = np.ascontiguousarray(np.asarray(value, dtype=np.float32))
        named.append((str(name), list(arr.shape), arr.reshape(-1).tolist()))
    overrides_list = _overrides(overrides, {})
    return json.loads(_export(os.fspath(path), _scenario(scenario), group, named, view, force, overrides_list))


def torch_tensors(trunk: Any, actor: Any, critic: Any | None = None) -> dict[str, np.ndarray]:
    """The tensors :func:`export_policy` takes, from PyTorch modules: ``trunk`` an
    ``nn.Sequential`` of ``nn.Linear`` and ``nn.Tanh`` layers, ``actor`` and ``critic``
    ``nn.Linear`` heads (no critic: zeros; the engine's play never reads it)."""
    out: dict[str, np.ndarray] = {}
    # The engine plays tanh(W x + b) layers: a trunk of other layers (ReLU, dropout, norms)
    # would be played as something else than it was trained as. Linear then Tanh, each time.
    layers = list(trunk)
    kinds = [type(m).__name__ for m in layers]
    if not layers or kinds != ["Linear", "Tanh"] * (len(layers) // 2):
        raise PolityError(
            f"trunk layers {kinds}: the engine plays a trunk of tanh(W x + b) layers, so the trunk must be "
            "Linear, Tanh, Linear, Tanh, … (the actor and critic heads apart); train with nn.Tanh "
            "activations and no other layers"
        )
    for head, m in (("actor", actor), ("critic", critic)):
        if m is not None and type(m).__name__ != "Linear":
            raise PolityError(f"{head}: a Linear layer, not {type(m).__name__}")
    linears = layers[0::2]
    for i, layer in enumerate(linears):
        out[f"trunk.{i}.weight"] = layer.weight.detach().cpu().numpy()
        out[f"trunk.{i}.bias"] = layer.bias.detach().cpu().numpy()
    out["actor.weight"] = actor.weight.detach().cpu().numpy()
    out["actor.bias"] = actor.bias.detach().cpu().numpy()
    if critic is None:
        width = out["actor.weight"].shape[1]
        out["critic.weight"] = np.zeros((1, width), dtype=np.float32)
        out["critic.bias"] = np.zeros((1,), dtype=np.float32)
    else:
        out["critic.weight"] = critic.weight.detach().cpu().numpy()
        out["critic.bias"] = critic.bias.detach().cpu().numpy()
    return out
