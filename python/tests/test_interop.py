"""Policies from Python back into Polity: policy files the engine plays, and recordings."""

import os
import struct
import subprocess
import zlib

import numpy as np
import pytest
from test_engine import polity_binary

import polity


def east_policy(obs_size: int, hidden=(8,)):
    """A network whose actor always prefers east, by far."""
    t = {}
    inputs = obs_size
    for i, w in enumerate(hidden):
        t[f"trunk.{i}.weight"] = np.zeros((w, inputs), np.float32)
        t[f"trunk.{i}.bias"] = np.zeros(w, np.float32)
        inputs = w
    t["actor.weight"] = np.zeros((5, inputs), np.float32)
    t["actor.bias"] = np.array([0, 0, 20, 0, 0], np.float32)
    t["critic.weight"] = np.zeros((1, inputs), np.float32)
    t["critic.bias"] = np.zeros(1, np.float32)
    return t


def east_share(env, group_agents, ticks=30):
    env.reset(seed=0)
    east = 0
    for _ in range(ticks):
        _, _, _, _, infos = env.step({})
        east += sum(infos[a]["executed"] == "east" for a in group_agents)
    return east / (ticks * len(group_agents))


def test_an_exported_policy_is_played(tmp_path):
    env = polity.parallel_env("commons")
    path = tmp_path / "humans.safetensors"
    header = polity.export_policy(path, "commons", "humans", east_policy(env._raw.layout.observation_size))
    assert header["group"] == "humans" and header["hidden"] == [8] and header["view"] == 3
    humans = [a for a in env.possible_agents if a.startswith("human")]
    before = east_share(env, humans)
    played = polity.parallel_env("commons", policies={"humans": str(path)})
    after = east_share(played, humans)
    assert after > 0.6 > before + 0.3, (before, after)
    # The engine's own command line plays it too.
    out = tmp_path / "run"
    r = subprocess.run(
        [str(polity_binary()), "run", "commons", "--policy", f"humans={path}", "--ticks", "5", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_a_policy_exported_with_another_view_than_the_groups_is_played(tmp_path):
    """commons-learners' group learns with view 3; a policy exported with view 5 plays (the
    group takes the file's view). It was refused, with no field to change from Python."""
    size = polity.parallel_env("commons-learners", view=5)._raw.layout.observation_size
    path = tmp_path / "learners.safetensors"
    header = polity.export_policy(path, "commons-learners", "learners", east_policy(size), view=5)
    assert header["view"] == 5
    env = polity.parallel_env("commons-learners")
    before = east_share(env, env.possible_agents)
    played = polity.parallel_env("commons-learners", policies={"learners": str(path)})
    after = east_share(played, played.possible_agents)
    assert after > 0.6 > before + 0.3, (before, after)


def test_torch_like_modules_export(tmp_path):
    class Linear:
        def __init__(self, o, i, bias=0.0):
            self.weight = T(np.zeros((o, i), np.float32))
            self.bias = T(np.full(o, bias, np.float32))

    class T:
        def __init__(self, a):
            self.a = a

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    class Tanh:
        pass

    dim = polity.parallel_env("commons")._raw.layout.observation_size
    tensors = polity.torch_tensors([Linear(16, dim), Tanh(), Linear(16, 16), Tanh()], Linear(5, 16))
    header = polity.export_policy(tmp_path / "p.safetensors", "commons", "harvesters", tensors)
    assert header["hidden"] == [16, 16]

    # The engine plays tanh layers: a trunk of anything else was exported without a word (ReLU
    # kept only the Linear layers) and played as a tanh network.
    class ReLU:
        pass

    for trunk in (
        [Linear(16, dim), ReLU(), Linear(16, 16), ReLU()],
        [Linear(16, dim), Tanh(), Linear(16, 16)],
        [Linear(16, dim), Linear(16, 16), Tanh(), Tanh()],
        [],
    ):
        with pytest.raises(polity.PolityError, match="Linear, Tanh, Linear, Tanh"):
            polity.torch_tensors(trunk, Linear(5, 16))
    with pytest.raises(polity.PolityError, match="actor: a Linear layer, not ReLU"):
        polity.torch_tensors([Linear(16, dim), Tanh()], ReLU())


def test_bad_exports_are_refused(tmp_path):
    dim = polity.parallel_env("commons")._raw.layout.observation_size
    good = east_policy(dim)
    path = tmp_path / "p.safetensors"
    with pytest.raises(polity.PolityError, match="no group named `people`"):
        polity.export_policy(path, "commons", "people", good)
    bad = dict(good, **{"trunk.0.weight": np.zeros((8, dim + 1), np.float32)})
    with pytest.raises(polity.PolityError, match=r"trunk.0.weight.*needs \[8, " + str(dim)):
        polity.export_policy(path, "commons", "humans", bad)
    missing = {k: v for k, v in good.items() if k != "actor.bias"}
    with pytest.raises(polity.PolityError, match="missing.*actor.bias"):
        polity.export_policy(path, "commons", "humans", missing)
    nan = dict(good, **{"actor.bias": np.array([0, np.nan, 0, 0, 0], np.float32)})
    with pytest.raises(polity.PolityError, match="finite"):
        polity.export_policy(path, "commons", "humans", nan)
    assert os.listdir(tmp_path) == []  # nothing written
    polity.export_policy(path, "commons", "humans", good)
    with pytest.raises(polity.PolityError, match="exists") as e:
        polity.export_policy(path, "commons", "humans", good)
    # Told as Python says it: the keyword, not the CLI's flag.
    assert "force=True" in str(e.value) and "--force" not in str(e.value)
    polity.export_policy(path, "commons", "humans", good, force=True)
    assert os.listdir(tmp_path) == ["p.safetensors"]


def read_png(path):
    """Decodes an 8-bit RGB or RGBA PNG (what the recorder writes) into (h, w, 3)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * channels
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        for x in range(stride):
            a = cur[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 0:
                p = 0
            elif f == 1:
                p = a
            elif f == 2:
                p = b
            elif f == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + p) & 0xFF
        out[y] = cur
        prev = cur
    return out.reshape(h, w, channels)[:, :, :3].astype(np.uint8)


def gif_frames(path):
    """Counts a GIF's frames by walking its blocks."""
    d = open(path, "rb").read()
    assert d[:6] == b"GIF89a"
    flags = d[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    while d[pos] != 0x3B:
        if d[pos] == 0x21:  # an extension: label, then sub-blocks
            pos += 2
        else:  # an image: descriptor, local table, LZW code size, then sub-blocks
            assert d[pos] == 0x2C
            local = d[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0) + 1
            frames += 1
        while d[pos] != 0:
            pos += d[pos] + 1
        pos += 1
    return frames


def always(action):
    return lambda obs: {a: action for a in obs}


def test_record_png_frames_are_the_envs_pictures(tmp_path):
    out = tmp_path / "frames"
    n = polity.record("commons", always(2), out=str(out) + "/", ticks=7, ticks_per_frame=3, size=(320, 180), seed=4)
    assert n == 3  # after ticks 3, 6 and 7
    names = sorted(os.listdir(out))
    # The frames and the folder's record of them (which lets a later recording with force=True
    # tell them from files of the user's own).
    assert names == ["frame-000000.png", "frame-000001.png", "frame-000002.png", "frames.json"]
    names.pop()
    env = polity.parallel_env("commons", render_mode="rgb_array", render_size=(320, 180), seed=4)
    obs, _ = env.reset(seed=4)
    for _ in range(7):
        obs, *_ = env.step(always(2)(obs))
    assert np.array_equal(read_png(out / names[-1]), env.render())


def test_record_gif(tmp_path):
    out = tmp_path / "x.gif"
    assert polity.record("vase-push-catch", None, out=out, size=(320, 180)) == 20
    assert gif_frames(out) == 20
    with pytest.raises(polity.PolityError, match="exists") as e:
        polity.record("vase-push-catch", None, out=out)
    assert "force=True" in str(e.value) and "--force" not in str(e.value)
    assert polity.record("vase-push-catch", None, out=out, ticks=4, force=True, size=(320, 180)) == 4
    assert gif_frames(out) == 4


def test_a_failed_recording_leaves_nothing(tmp_path):
    def broken(obs):
        broken.calls += 1
        if broken.calls > 3:
            raise RuntimeError("the policy failed")
        return {}

    broken.calls = 0
    with pytest.raises(RuntimeError, match="policy failed"):
        polity.record("commons", broken, out=tmp_path / "x.gif", size=(320, 180))
    import gc

    gc.collect()
    assert os.listdir(tmp_path) == []
    with pytest.raises(polity.PolityError, match="ticks = 0"):
        polity.record("commons", None, out=tmp_path / "y.gif", ticks=0)
    with pytest.raises(polity.PolityError, match="too small"):
        polity.record("commons", None, out=tmp_path / "y.gif", size=(10, 10))
    assert os.listdir(tmp_path) == []


def test_wrong_argument_types_are_polity_errors(tmp_path):
    """What a new user passed that raised TypeError or OverflowError, or was rounded silently."""
    out = str(tmp_path / "x.gif")
    for kwargs, needle in [
        ({"size": (-1, 5)}, "size's width"),
        ({"fps": 2.5}, "fps"),
        ({"ticks": 2.7}, "ticks"),
        ({"ticks_per_frame": 1.5}, "ticks_per_frame"),
        ({"render_mode": "rgb_array"}, "render_mode"),
    ]:
        with pytest.raises(polity.PolityError, match=needle):
            polity.record("commons", None, out=out, **kwargs)
    assert list(tmp_path.iterdir()) == []
    for kwargs, needle in [({"view": -1}, "view"), ({"overrides": {"run.ticks": True}}, "numeric")]:
        with pytest.raises(polity.PolityError, match=needle):
            polity.export_policy(tmp_path / "p.safetensors", "commons", "humans", {}, **kwargs)
    with pytest.raises(polity.PolityError, match="group"):
        polity.export_policy(tmp_path / "p.safetensors", "commons", None, {})
    for seed in (1.5, "3", True):
        with pytest.raises(polity.PolityError, match="seed"):
            polity.parallel_env("commons", seed=seed)
        with pytest.raises(polity.PolityError, match="seed"):
            polity.VectorEnv("commons", num_envs=1, seed=seed)
