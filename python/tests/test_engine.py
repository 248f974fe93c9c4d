"""The Python API is the engine: the same worlds as `polity run`, exact replays, clear errors."""

import json
import os
import pathlib
import subprocess

import gymnasium
from gymnasium.vector import AutoresetMode
import numpy as np
import pytest

import polity

REPO = pathlib.Path(__file__).resolve().parents[2]


def polity_binary() -> pathlib.Path:
    """The `polity` CLI: $POLITY_BIN, else the repository's release or debug build."""
    if os.environ.get("POLITY_BIN"):
        return pathlib.Path(os.environ["POLITY_BIN"])
    for profile in ("release", "debug"):
        p = REPO / "target" / profile / "polity"
        if p.exists():
            return p
    pytest.fail("no polity binary: build it (`cargo build`) or set POLITY_BIN")


def run_hash(tmp_path, scenario: str, seed: int, ticks: int) -> str:
    out = tmp_path / f"run-{scenario}-{seed}-{ticks}"
    subprocess.run(
        [str(polity_binary()), "run", scenario, "--seed", str(seed), "--ticks", str(ticks), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return json.loads((out / "run.json").read_text())["state_hash"]


@pytest.mark.parametrize("scenario", ["commons", "audited-commons", "sed-apple-picking", "vase-push-catch"])
def test_an_env_left_alone_is_polity_run(tmp_path, scenario):
    """Agents given no action decide as their scenario says: the world is `polity run`'s,
    hash for hash, every tick of the first 20 and at tick 60."""
    env = polity.parallel_env(scenario, seed=7)
    env.reset(seed=7)
    done = 0
    for ticks in [*range(1, 21), 60]:
        ticks = min(ticks, env.max_cycles)
        while done < ticks:
            env.step({})
            done += 1
        assert f"{env.state_hash():016x}" == run_hash(tmp_path, scenario, 7, ticks), f"tick {ticks}"


@pytest.mark.parametrize("scenario", ["commons", "audited-commons", "vase-push-catch"])
def test_the_same_actions_replay_the_same_world(scenario):
    """Random actions, then the actions each agent carried out, given again: the same world tick
    for tick; and telling agents what they would have done anyway changes nothing."""
    rng = np.random.default_rng(0)
    a = polity.parallel_env(scenario, seed=11)
    a.reset(seed=11)
    hashes, executed = [], []
    for _ in range(min(80, a.max_cycles)):
        acts = {ag: int(rng.integers(0, 5)) for ag in a.agents}
        _, _, _, _, infos = a.step(acts)
        executed.append({ag: polity.ACTIONS.index(infos[ag]["executed"]) for ag in a.possible_agents})
        hashes.append(a.state_hash())
    b = polity.parallel_env(scenario, seed=11)
    b.reset(seed=11)
    for t, acts in enumerate(executed):
        b.step(acts)
        assert b.state_hash() == hashes[t], f"tick {t + 1}"
    # A world left alone, then one told exactly what the first did: identical.
    c = polity.parallel_env(scenario, seed=5)
    d = polity.parallel_env(scenario, seed=5)
    c.reset(seed=5)
    d.reset(seed=5)
    for t in range(min(60, c.max_cycles)):
        _, rc, _, _, infos = c.step({})
        _, rd, _, _, _ = d.step({ag: polity.ACTIONS.index(infos[ag]["executed"]) for ag in d.possible_agents})
        assert c.state_hash() == d.state_hash(), f"tick {t + 1}"
        assert rc == rd


def test_actions_move_agents():
    env = polity.parallel_env("commons", seed=0)
    obs, _ = env.reset(seed=0)
    before = env.state()
    env.step({a: 0 for a in env.agents})  # everyone stays
    stay = env.state()
    n = len(env.agents)
    tail = lambda s: s[-3 * n :].reshape(n, 3)[:, :2]  # noqa: E731
    assert np.array_equal(tail(before), tail(stay))
    moved = 0
    for _ in range(5):
        _, _, _, _, infos = env.step({a: 2 for a in env.agents})  # everyone east
        moved += sum(infos[a]["executed"] == "east" for a in env.agents)
    assert moved > 0 and not np.array_equal(tail(stay), tail(env.state()))


def test_rewards_are_the_engines_reward_increments():
    """The sum of an agent's rewards is its SED reward total (human agents, no impact)."""
    env = polity.parallel_env("sed-apple-picking", seed=2, **{"run.ticks": 120})
    env.reset(seed=2)
    total = dict.fromkeys(env.agents, 0.0)
    while env.agents:
        _, rew, _, _, infos = env.step({})
        for a, r in rew.items():
            total[a] += r
    # Taxes were collected and paid back, so rewards are not just apples picked.
    events = infos[next(iter(infos))]["events"]
    assert isinstance(events, list)
    assert any(r != 0 for r in total.values())
    assert abs(sum(total.values())) > 0


def test_the_principal_sets_rates_from_python():
    env = polity.parallel_env("sed-apple-picking", seed=0, principal=True, **{"run.ticks": 120})
    _, infos = env.reset(seed=0)
    # reset() says whether the first step's choice is read (the period is 50 ticks: not yet).
    assert infos["principal"] == {"tick": 0, "acts_next": False}
    assert all(infos[a] == {"tick": 0} for a in env.possible_agents if a != "principal")
    _, every = polity.parallel_env("sed-apple-picking", principal=True, **{"tax.period": 1}).reset()
    assert every["principal"]["acts_next"] is True
    seen, lead = [], []
    while env.agents:
        # Choice i sets rate (i - 1) * 0.1: bracket rates 30%, 50%, 90%.
        _, rew, _, _, infos = env.step({"principal": [4, 6, 10]})
        lead.append(rew["principal"])
        seen += [e for e in infos["principal"]["events"] if e["kind"] == "tax_rates"]
    assert seen, "rates were set at period ends"
    assert seen[0]["details"]["rates"] == pytest.approx([0.3, 0.5, 0.9])
    # sed-apple-picking's period is 50 ticks: tick 50's choice is paid at tick 100, tick 100's
    # for the part-period left at the episode's end (120); the first period, nobody's choice,
    # pays nothing.
    paid = [t + 1 for t, r in enumerate(lead) if r != 0]
    assert paid == [100, 120]


def test_render_is_the_recorders_picture():
    env = polity.parallel_env("commons", seed=0, render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    assert first.shape == (540, 960, 3) and first.dtype == np.uint8
    for _ in range(20):
        env.step({})
    later = env.render()
    assert not np.array_equal(first, later)
    assert len(np.unique(later.reshape(-1, 3), axis=0)) > 8  # a picture, not a blank
    # No render mode: nothing, with Gymnasium's warning (as its own environments do).
    with pytest.warns(UserWarning, match="render_mode='rgb_array'"):
        assert polity.parallel_env("commons").render() is None


def test_vector_env_worlds_are_parallel_env_worlds():
    """World e of a VectorEnv is the world parallel_env makes with its seed: the same
    observations and rewards for the same actions."""
    v = polity.VectorEnv("audited-commons", num_envs=4, seed=9, **{"run.ticks": 30})
    obs, _ = v.reset()
    obs = obs.copy()
    seeds = v.seeds()
    envs = [polity.parallel_env("audited-commons", seed=s, **{"run.ticks": 30}) for s in seeds]
    for e in envs:
        e.reset(seed=e.seed)
    for e, env in enumerate(envs):
        o = env._observations()
        assert np.array_equal(np.stack([o[a] for a in env.possible_agents]), obs[e])
    rng = np.random.default_rng(1)
    for t in range(29):
        acts = rng.integers(-1, 5, size=(4, v.num_agents))
        vo, vr, _, vt, vi = v.step(acts)
        assert vi == {}, f"tick {t + 1}: infos without a truncation"
        for e, env in enumerate(envs):
            o, r, _, tr, _ = env.step({a: int(x) for a, x in zip(env.possible_agents, acts[e]) if x >= 0})
            assert np.array_equal(np.stack([o[a] for a in env.possible_agents]), vo[e]), f"tick {t + 1}"
            assert np.allclose([r[a] for a in env.possible_agents], vr[e], atol=1e-5)
            assert not vt[e]
    # The last tick truncates every world, which starts its next episode at once; the infos
    # hold each world's last observation of the episode that ended (to bootstrap from).
    vo, _, _, vt, vi = v.step(np.zeros((4, v.num_agents), dtype=np.int64))
    assert vt.all()
    assert v.seeds() != seeds
    assert v.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert vi["_final_obs"].tolist() == [True] * 4
    for e, env in enumerate(envs):
        o, _, _, tr, _ = env.step({a: 0 for a in env.possible_agents})
        assert all(tr.values())
        last = np.stack([o[a] for a in env.possible_agents])
        assert np.array_equal(vi["final_obs"][e], last), f"world {e}'s final observation"
        assert not np.array_equal(vo[e], last)


def test_vector_env_is_reproducible():
    def roll(seed):
        v = polity.VectorEnv("commons", num_envs=3, seed=seed)
        v.reset()
        rng = np.random.default_rng(4)
        out = []
        for _ in range(50):
            o, r, _, _, _ = v.step(rng.integers(0, 5, size=(3, v.num_agents)))
            out.append((o.copy(), r.copy()))
        return out

    a, b, c = roll(1), roll(1), roll(2)
    assert all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(x[0], y[0]) for x, y in zip(a, c))


def test_overrides_change_the_scenario():
    env = polity.parallel_env("commons", **{"run.ticks": 7})
    env.reset()
    steps = 0
    while env.agents:
        env.step({})
        steps += 1
    assert steps == 7
    env = polity.parallel_env("commons", overrides={"run.ticks": 3})
    assert env.max_cycles == 3


# ---- bad input: a Python exception with the engine's message, never a crash ----------------


def test_unknown_scenario():
    with pytest.raises(polity.PolityError, match="no built-in scenario by this name") as e:
        polity.parallel_env("comons")
    assert "did you mean the built-in `commons`" in str(e.value)
    # Not a name, path or text at all: refused as such (None was looked up as "None"), and a
    # path-like is taken as the path it is.
    for bad in [None, 3, ["commons"]]:
        for make in [polity.parallel_env, polity.VectorEnv]:
            with pytest.raises(polity.PolityError, match=r"scenario = .*: give a built-in name"):
                make(bad)
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "commons.ron"
    assert polity.parallel_env(path).possible_agents == polity.parallel_env("commons").possible_agents


def test_scenario_errors_carry_file_line_column(tmp_path):
    bad = tmp_path / "bad.ron"
    bad.write_text('(\n    version: 1,\n    name: "bad",\n    map: Generated(width: 0, height: 5),\n)\n')
    with pytest.raises(polity.PolityError) as e:
        polity.parallel_env(str(bad))
    assert f"{bad}:4:" in str(e.value)
    with pytest.raises(polity.PolityError, match=r"<scenario text>:1:\d+"):
        polity.parallel_env("(version: 1, map: Nowhere)")
    with pytest.raises(ValueError):  # PolityError is a ValueError
        polity.VectorEnv(str(bad))


def test_bad_overrides():
    with pytest.raises(polity.PolityError, match="tax.rates"):
        polity.parallel_env("commons", **{"tax.rates[0]": 0.5})  # commons has no tax
    with pytest.raises(polity.PolityError, match="numeric"):
        polity.parallel_env("commons", **{"run.ticks": "many"})
    with pytest.raises(polity.PolityError, match="run.ticks"):
        polity.parallel_env("commons", **{"run.ticks": -1})


def test_bad_actions():
    env = polity.parallel_env("commons", seed=0)
    env.reset()
    with pytest.raises(polity.PolityError, match="out of range"):
        env.step({"human_0": 7})
    with pytest.raises(polity.PolityError, match="one integer"):
        env.step({"human_0": 1.5})
    with pytest.raises(polity.PolityError, match="one integer"):
        env.step({"human_0": [1, 2]})
    with pytest.raises(polity.PolityError, match="unknown agent"):
        env.step({"human_99": 1})
    # Also a KeyError, as a dict of agents raises; its message unquoted, the agents listed at
    # most 12 (commons-large's 10,000 were all printed).
    with pytest.raises(KeyError) as e:
        env.step({"human_99": 1, "bob": 2})
    assert isinstance(e.value, polity.UnknownAgentError) and str(e.value).startswith("unknown agents ['human_99', 'bob']")
    big = polity.parallel_env("commons-large", seed=0)
    with pytest.raises(KeyError, match=r"… \(10000 in all\)"):
        big.action_space("bob")
    with pytest.raises(polity.PolityError, match="not steered"):
        env.step({"principal": [1]})
    assert env.tick == 0  # nothing ran
    env.step({"human_0": 1})
    assert env.tick == 1
    p = polity.parallel_env("sed-apple-picking", principal=True)
    p.reset()
    with pytest.raises(polity.PolityError, match="3 choices"):
        p.step({"principal": [1, 2]})
    with pytest.raises(polity.PolityError, match="bracket 1 is 12"):
        p.step({"principal": [1, 12, 0]})
    with pytest.raises(polity.PolityError, match="no principal"):
        polity.parallel_env("commons", principal=True)
    v = polity.VectorEnv("commons", num_envs=2)
    v.reset()
    with pytest.raises(polity.PolityError, match="shape"):
        v.step(np.zeros((3, v.num_agents)))
    with pytest.raises(polity.PolityError, match="out of range"):
        v.step(np.full((2, v.num_agents), 9))
    with pytest.raises(polity.PolityError, match="num_envs"):
        polity.VectorEnv("commons", num_envs=0)


def test_stepping_after_the_end():
    env = polity.parallel_env("commons", **{"run.ticks": 2})
    env.reset()
    env.step({})
    env.step({})
    assert env.agents == []
    with pytest.raises(polity.PolityError, match="reset"):
        env.step({})
    env.reset()
    assert env.agents and env.tick == 0


def test_reset_seeds():
    env = polity.parallel_env("commons")
    env.reset()
    assert env.seed == 0  # the scenario's run.seed
    env.reset()
    assert env.seed == polity.next_seed(0)  # then the next of the sequence
    env.reset(seed=40)
    a = env.state()
    env.reset(seed=40)
    assert np.array_equal(a, env.state())
    with pytest.raises(polity.PolityError, match="from 0 to"):
        env.reset(seed=-1)


def test_what_a_new_user_got_wrong_is_refused_clearly():
    """Inputs a new user tried that crashed, ran silently or misled (docs/python.md)."""
    nobody = {"agents[0].count": 0, "agents[1].count": 0}
    with pytest.raises(polity.PolityError, match="has no agents"):
        polity.VectorEnv("commons", num_envs=1, **nobody)
    with pytest.raises(polity.PolityError, match="has no agents"):
        polity.parallel_env("commons", **nobody)
    with pytest.raises(polity.PolityError, match="run.ticks = 0"):
        polity.parallel_env("commons", **{"run.ticks": 0})
    # VectorEnv's actions are checked as parallel_env's are: whole numbers 0–4, or -1.
    v = polity.VectorEnv("commons", num_envs=2)
    v.reset()
    shape = (2, v.num_agents)
    with pytest.raises(polity.PolityError, match="dtype float64"):
        v.step(np.zeros(shape) + 0.7)
    with pytest.raises(polity.PolityError, match="action -2 is out of range"):
        v.step(np.full(shape, -2))
    with pytest.raises(polity.PolityError, match="out of range"):
        v.step(np.full(shape, 2**63 + 1, dtype=np.uint64))
    v.step(np.full(shape, -1))
    # reset() without a seed plays new worlds, as parallel_env's does.
    first = v.seeds()
    v.reset()
    assert v.seeds() != first
    with pytest.raises(polity.PolityError, match="whole number"):
        v.reset(seed=1.5)
    # A refused seed changes nothing: the next reset() goes on from the last good one.
    env = polity.parallel_env("commons")
    with pytest.raises(polity.PolityError, match="call reset"):
        env.step({})
    env.reset(seed=5)
    for bad in (-1, 1.7, "3", True):
        with pytest.raises(polity.PolityError):
            env.reset(seed=bad)
    env.reset()
    assert env.seed == polity.next_seed(5)
    with pytest.raises(polity.PolityError, match="a dict"):
        env.step(None)
    p = polity.parallel_env("sed-apple-picking", principal=True)
    p.reset()
    with pytest.raises(polity.PolityError, match="whole numbers"):
        p.step({"principal": [1.9, 1.9, 1.9]})
    # run.json's state hash is the integer in hexadecimal.
    assert len(f"{env.state_hash():016x}") == 16
    # Bad keywords get PolityError, not OverflowError or a message about overrides.
    with pytest.raises(polity.PolityError, match="view = -1"):
        polity.parallel_env("commons", view=-1)
    with pytest.raises(polity.PolityError, match="render_size's width"):
        polity.parallel_env("commons", render_size=(-5, 100))
    with pytest.raises(polity.PolityError, match="unknown keyword `render_mdoe`"):
        polity.parallel_env("commons", render_mdoe="rgb_array")
    # PettingZoo's and Gymnasium's names for an episode's length point at run.ticks.
    for name in ("max_cycles", "max_episode_steps"):
        with pytest.raises(polity.PolityError, match=r"run\.ticks"):
            polity.parallel_env("commons", **{name: 100})
    with pytest.raises(polity.PolityError, match=r"run\.ticks"):
        polity.VectorEnv("commons", num_envs=1, max_cycles=100)
    # overrides= that is not a dict is said so, not a TypeError from dict().
    for wrong in ([1], "run.ticks=5", 5):
        with pytest.raises(polity.PolityError, match="a dict of a scenario field's path"):
            polity.parallel_env("commons", overrides=wrong)
    with pytest.raises(polity.PolityError, match="at least 1"):
        polity.set_threads(-1)
    # A million threads: refused at once (it started threads for minutes), as --threads is.
    with pytest.raises(polity.PolityError, match=r"set_threads\(1000000\): at most \d+ here"):
        polity.set_threads(10**6)
    size = polity.set_threads()
    assert polity.set_threads(size) == size
    with pytest.raises(polity.PolityError, match=f"already has {size} threads"):
        polity.set_threads(size + 1)


def test_an_env_is_used_on_the_thread_that_made_it():
    import threading

    env = polity.parallel_env("commons", render_mode="rgb_array")
    env.reset(seed=0)
    venv = polity.VectorEnv("commons", num_envs=2)
    venv.reset(seed=0)
    calls = {
        "step": lambda: env.step({}),
        "reset": lambda: env.reset(),
        "state": env.state,
        "state_hash": env.state_hash,
        "render": env.render,
        "tick": lambda: env.tick,
        "seed": lambda: env.seed,
        "groups": lambda: env.groups,
        "VectorEnv.seeds": venv.seeds,
        "VectorEnv.reset": venv.reset,
    }
    caught = {}

    def other():
        # Every call is refused with a PolityError (an Exception), not a Rust panic (a
        # BaseException that `except Exception` lets through).
        for name, call in calls.items():
            try:
                call()
            except polity.PolityError as e:
                caught[name] = str(e)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert sorted(caught) == sorted(calls)
    assert all("thread that made it" in m for m in caught.values()), caught
    env.step({})  # still fine on its own thread
    assert env.tick == 1
    # close() from another thread is refused too (it returned, and the world was dropped on
    # the wrong thread: a RuntimeError printed, the world leaked); on its own thread it closes.
    refused = []

    def close_elsewhere():
        for e in (env, venv):
            try:
                e.close()
            except polity.PolityError as err:
                refused.append(str(err))

    t = threading.Thread(target=close_elsewhere)
    t.start()
    t.join()
    assert len(refused) == 2 and all("thread that made it" in m for m in refused), refused
    env.step({})
    env.close()
    venv.close()
    with pytest.raises(polity.PolityError, match="closed"):
        env.step({})


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_steps_worlds_after_the_parent_used_the_pool():
    """multiprocessing's default start method on Linux forks: the child had none of the
    parent's pool threads, and its first VectorEnv.reset waited for them for ever."""
    import time

    v = polity.VectorEnv("commons", num_envs=2)
    v.reset(seed=0)
    parent = v.step(np.zeros((2, v.num_agents), dtype=np.int64))[1].copy()
    big = polity.parallel_env("commons-large", **{"run.ticks": 3})
    big.reset(seed=0)
    big.step({})
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if both worlds step and the rewards are the parent's
        code = 1
        try:
            w = polity.VectorEnv("commons", num_envs=2)
            w.reset(seed=0)
            child = w.step(np.zeros((2, w.num_agents), dtype=np.int64))[1]
            e = polity.parallel_env("commons-large", **{"run.ticks": 3})
            e.reset(seed=0)
            e.step({})
            code = 0 if np.array_equal(child, parent) else 3
        finally:
            os._exit(code)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child's worlds did not step within 120 s")


def test_reset_without_a_seed_never_replays_another_envs_worlds():
    """Environments seeded 0..3 (as Gymnasium's vector environments seed theirs), each reset
    four times: 16 worlds, where `last seed + 1` gave 7."""
    envs = [polity.parallel_env("commons", seed=k, **{"run.ticks": 3}) for k in range(4)]
    seeds = set()
    for e in envs:
        for _ in range(4):
            e.reset()
            seeds.add(e.seed)
    assert len(seeds) == 16
    e = polity.parallel_env("commons", seed=2**64 - 1)
    e.reset()
    e.reset()  # past the largest seed: the sequence goes on
    assert e.seed == polity.next_seed(2**64 - 1)


def test_space_dicts_and_infos_no_agent_can_change_for_another():
    """PettingZoo's space dicts. The tick's metrics and events are one read-only dict and list
    in every agent's info (they once shared one mutable dict, then were copied per agent at a
    cost of agents x events); copies are plain, and JSON and pickle take them as they are."""
    import copy
    import pickle

    env = polity.parallel_env("commons")
    assert set(env.observation_spaces) == set(env.possible_agents)
    assert env.action_spaces["human_0"] == env.action_space("human_0")
    with pytest.raises(polity.PolityError, match="unknown agent 'bob'; agents are"):
        env.observation_space("bob")
    with pytest.raises(polity.PolityError, match="only with principal=True"):
        env.action_space("principal")
    env.reset(seed=0)
    events = []
    for _ in range(60):
        _, _, _, _, infos = env.step({})
        events += infos["human_0"]["events"]
    assert events, "60 ticks of commons log events"
    info = infos["human_0"]
    assert info["metrics"] is infos["ai_5"]["metrics"] and info["events"] is infos["ai_5"]["events"]
    before = json.dumps(infos["human_1"], sort_keys=True)
    for change in (
        lambda: info["metrics"].__setitem__("apples", -999),
        lambda: info["metrics"].update(apples=-999),
        lambda: info["metrics"].pop("apples"),
        lambda: info["events"].append({"mine": True}),
        lambda: info["events"].clear(),
        lambda: events[0].__setitem__("kind", "mine"),
    ):
        with pytest.raises(TypeError, match="shared by every agent's info"):
            change()
    assert json.dumps(infos["human_1"], sort_keys=True) == before
    # Copies are plain, to change at will; JSON and pickle see a dict and a list.
    mine = dict(info["metrics"])
    mine["apples"] = -999
    deep = copy.deepcopy(info)
    deep["events"].append({"mine": True})
    assert type(deep["metrics"]) is dict and type(deep["events"]) is list
    assert json.loads(json.dumps(info))["metrics"] == dict(info["metrics"])
    back = pickle.loads(pickle.dumps(info))
    assert back == info and type(back["metrics"]) is dict
    assert infos["human_1"]["metrics"]["apples"] != -999


def test_wrong_arguments_are_polity_errors_naming_the_agent():
    env = polity.parallel_env("commons")
    env.reset(seed=0)
    with pytest.raises(polity.PolityError, match="ai_6's action 7 is out of range"):
        env.step({"ai_6": 7})
    with pytest.raises(polity.PolityError, match="human_0's action 18446744073709551615 is out of range"):
        env.step({"human_0": np.uint64(2**64 - 1)})
    assert env.tick == 0
    with pytest.raises(polity.PolityError, match="principal = 1"):
        polity.parallel_env("sed-apple-picking", principal=1)
    with pytest.raises(polity.PolityError, match="a dict of group name"):
        polity.parallel_env("commons", policies=["humans"])


def test_messages_speak_python_and_close_lets_the_world_go(tmp_path):
    """A new user's findings: command-line wording in Python errors, a bare OverflowError from
    next_seed, GymEnv refusing NumPy seeds, close() that did nothing, help that did not help."""
    with pytest.raises(polity.PolityError) as e:
        polity.parallel_env(str(tmp_path / "missing.ron"))
    assert "polity.builtins()" in str(e.value) and "polity scenarios" not in str(e.value)
    assert "problem found" not in str(e.value) and "nothing was run" not in str(e.value)
    with pytest.raises(polity.PolityError) as e:
        polity.parallel_env("commons", **{"run.ticks": -1})
    assert "run.ticks" in str(e.value) and "problem found" not in str(e.value)
    with pytest.raises(polity.PolityError, match="use fps=50 or less"):
        polity.record("commons", None, out=str(tmp_path / "f.gif"), fps=60, ticks=2)
    assert not (tmp_path / "f.gif").exists()
    for bad in (-1, 2**64, 1.5):
        with pytest.raises(polity.PolityError, match="a seed is a whole number from 0 to 2\\^64 - 1"):
            polity.next_seed(bad)
    assert polity.next_seed(np.uint64(7)) == polity.next_seed(7)
    with pytest.raises(polity.PolityError, match="keywords are seed, render_mode, view, principal"):
        polity.parallel_env("commons", sead=3)
    with pytest.raises(polity.PolityError, match="keywords are seed, view, overrides, policies"):
        polity.VectorEnv("commons", 2, render_mode="rgb_array")
    with pytest.raises(polity.PolityError, match="pass principal=True too"):
        polity.GymEnv("sed-apple-picking", agent="principal")
    with pytest.raises(KeyError, match="unknown agent 'human_99'"):
        polity.GymEnv("commons", agent="human_99")
    gym = polity.GymEnv("commons")
    a, _ = gym.reset(seed=np.int64(5))
    b, _ = polity.GymEnv("commons").reset(seed=5)
    assert np.array_equal(a, b)
    with pytest.raises(polity.PolityError, match="a seed is a whole number"):
        gym.reset(seed=-1)
    for doc in (polity.GymEnv.step, polity.GymEnv.reset, polity.GymEnv.close, polity.VectorEnv.close):
        assert doc.__doc__ and doc.__doc__ != gymnasium.Env.step.__doc__, doc
    env = polity.parallel_env("commons")
    env.reset(seed=0)
    env.close()
    env.close()
    for call in (lambda: env.step({}), env.reset, env.state, lambda: env.tick):
        with pytest.raises(polity.PolityError, match="closed"):
            call()
    venv = polity.VectorEnv("commons", 2)
    venv.close()
    venv.close()
    with pytest.raises(polity.PolityError, match="closed"):
        venv.reset()


def test_what_was_accepted_without_comment_is_refused():
    with pytest.raises(polity.PolityError, match="run.ticks: set both"):
        polity.parallel_env("commons", overrides={"run.ticks": 5}, **{"run.ticks": 9})
    env = polity.parallel_env("sed-apple-picking", principal=True)
    env.reset(seed=0)
    brackets = len(env.action_space("principal").nvec)
    with pytest.raises(polity.PolityError, match="flat"):
        env.step({"principal": np.ones((brackets, 1), dtype=np.int64)})
    env.step({"principal": np.ones(brackets, dtype=np.int64)})


def test_a_file_name_with_a_bracket_and_too_many_worlds(tmp_path, monkeypatch):
    copy = tmp_path / "commons (copy).ron"
    copy.write_text((REPO / "scenarios" / "commons.ron").read_text())
    assert polity.parallel_env(str(copy)).scenario_name == "commons"
    monkeypatch.setenv("POLITY_AVAILABLE_MEMORY", "1G")
    with pytest.raises(polity.PolityError, match="make fewer"):
        polity.VectorEnv("commons", num_envs=10**7)


def test_what_the_engine_says_is_said_in_python(tmp_path, monkeypatch):
    # A run.seed past 2**53 crosses exactly (overrides crossed as floats, and this was refused).
    env = polity.parallel_env("commons", **{"run.seed": 2**64 - 1})
    assert env.seed == 2**64 - 1
    env.reset()
    assert env.seed == 2**64 - 1
    assert polity.parallel_env("commons", **{"run.seed": 2**53 + 1}).seed == 2**53 + 1
    with pytest.raises(polity.PolityError, match="run.seed"):
        polity.parallel_env("commons", **{"run.seed": 2**64})
    with pytest.raises(polity.PolityError, match="takes a whole number, not 2.5"):
        polity.parallel_env("commons", **{"run.ticks": 2.5})
    # The principal's choice as given, not wrapped by a conversion to int64.
    p = polity.parallel_env("sed-apple-picking", principal=True)
    p.reset(seed=0)
    with pytest.raises(polity.PolityError, match="bracket 1 is 18446744073709551615"):
        p.step({"principal": np.array([1, 2**64 - 1, 0], dtype=np.uint64)})
    # A policy named as Python names it (policies=), not as the CLI's --policy.
    with pytest.raises(polity.PolityError) as e:
        polity.parallel_env("commons", policies={"people": str(tmp_path / "p.safetensors")})
    assert "policies={\"people\": " in str(e.value) and "--policy" not in str(e.value), str(e.value)
    # A file named exactly like a built-in is refused as ambiguous, and read by its path.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "commons").write_text((REPO / "scenarios" / "tragedy.ron").read_text())
    with pytest.raises(polity.PolityError, match="names both the built-in scenario and a file"):
        polity.parallel_env("commons")
    assert polity.parallel_env("./commons").scenario_name == "tragedy"


# ---- what a new user found next (seeds of VectorEnv, copies, -1, observations, big ints) ----


def test_a_vector_env_reset_without_a_seed_moves_on_as_parallel_env_does():
    """reset() without a seed moves on by polity.next_seed, not `last seed + 1`: a VectorEnv
    seeded 0 and reset twice played the worlds of one seeded 1 (observations, rewards and all)."""
    kw = {"num_envs": 3, "run.ticks": 5}
    a = polity.VectorEnv("commons", seed=0, **kw)
    b = polity.VectorEnv("commons", seed=1, **kw)
    a.reset()
    first = a.seeds()
    obs_a = a.reset()[0].copy()
    obs_b = b.reset()[0].copy()
    assert a.seeds() != b.seeds()
    assert not np.array_equal(obs_a, obs_b)
    # Its seeds follow next_seed, as parallel_env's do: the second reset plays next_seed(0)'s
    # worlds, the third next_seed(next_seed(0))'s.
    seed = 0
    for _ in range(2):
        seed = polity.next_seed(seed)
        c = polity.VectorEnv("commons", seed=seed, **kw)
        c.reset()
        assert a.seeds() == c.seeds()
        a.reset()
    assert a.seeds() != first


def _copyable_kinds():
    return {
        "parallel_env": lambda: polity.parallel_env("commons", **{"run.ticks": 5}),
        "GymEnv": lambda: polity.GymEnv("commons", **{"run.ticks": 5}),
        "VectorEnv": lambda: polity.VectorEnv("commons", num_envs=2, **{"run.ticks": 5}),
    }


@pytest.mark.parametrize("kind", sorted(_copyable_kinds()))
def test_an_environment_cannot_be_copied_in_any_way(kind):
    """copy.copy gave a second environment stepping the same engine world (pickle and deepcopy
    already raised): every way of copying raises the same TypeError, and the env still works."""
    import copy
    import pickle

    env = _copyable_kinds()[kind]()
    env.reset(seed=0)
    for how in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError, match="cannot be copied or pickled: it owns its engine world"):
            how(env)
    if kind == "VectorEnv":
        env.step(np.zeros((2, env.num_agents), dtype=np.int64))
    elif kind == "GymEnv":
        env.step(0)
    else:
        env.step({})


def test_minus_one_is_no_action_of_parallel_env_or_gym_env():
    """action_space is Discrete(5): -1 (VectorEnv's 'decide yourself') is refused, with how to
    let an agent decide (leave it out of the dict); VectorEnv's arrays still take it."""
    env = polity.parallel_env("commons", **{"run.ticks": 5})
    env.reset(seed=0)
    assert not env.action_space("human_0").contains(-1)
    for bad in (-1, np.int64(-1)):
        with pytest.raises(polity.PolityError, match=r"human_0's action -1 is out of range: 0 to 4 .*leave it out of the actions dict"):
            env.step({"human_0": bad})
    assert env.tick == 0
    g = polity.GymEnv("commons", agent="human_0", **{"run.ticks": 5})
    g.reset(seed=0)
    with pytest.raises(polity.PolityError, match="action -1 is out of range: 0 to 4"):
        g.step(-1)
    with pytest.raises(polity.PolityError, match="action 5 is out of range: 0 to 4"):
        g.step(5)
    assert g._env.tick == 0
    g.step(4)
    v = polity.VectorEnv("commons", num_envs=2, **{"run.ticks": 5})
    v.reset(seed=0)
    v.step(np.full((2, v.num_agents), -1))


def test_each_agents_observation_is_an_array_of_its_own():
    """An observation was a view of every agent's: keeping one kept them all. Each is its own
    float32 array now, with the same values."""
    env = polity.parallel_env("commons", **{"run.ticks": 5})
    obs, _ = env.reset(seed=0)
    for step in range(3):
        rows = env._raw.observe()
        for k, a in enumerate(env.possible_agents):
            assert obs[a].base is None and obs[a].flags.owndata, a
            assert obs[a].dtype == np.float32 and obs[a].shape == (rows.shape[1],)
            assert np.array_equal(obs[a], rows[k])
        kept = {a: o.copy() for a, o in obs.items()}
        held = obs
        obs, _, _, _, _ = env.step({})
        assert all(np.array_equal(held[a], kept[a]) for a in kept)  # not overwritten
    g = polity.GymEnv("commons", agent="ai_6", **{"run.ticks": 5})
    o, _ = g.reset(seed=0)
    assert o.base is None and o.dtype == np.float32
    o2 = g.step(0)[0]
    assert o2.base is None and o2.flags.owndata and o2.dtype == np.float32
    assert np.array_equal(o2, g._env._raw.observe()[g._env.possible_agents.index("ai_6")])
    p = polity.parallel_env("sed-apple-picking", principal=True, **{"run.ticks": 5})
    obs, _ = p.reset(seed=0)
    assert all(o.base is None and o.dtype == np.float32 for a, o in obs.items() if a != "principal")
    # The principal's is an array the engine made for it alone (its base the Rust buffer, no
    # other array).
    assert not isinstance(obs["principal"].base, np.ndarray) and obs["principal"].dtype == np.float32


def test_very_large_integers_are_polity_errors_naming_the_argument(tmp_path):
    """Past the engine's integer types these were bare OverflowErrors; view=0 passed Python's
    check and was refused by the engine. Each names its argument and the range allowed."""
    big = 2**40
    cases = [
        (lambda: polity.parallel_env("commons", view=big), rf"view = {big}: .*radius, a whole number from 1 to 8"),
        (lambda: polity.parallel_env("commons", view=0), r"view = 0: .*radius, a whole number from 1 to 8"),
        (lambda: polity.parallel_env("commons", view=9), r"view = 9: .*radius, a whole number from 1 to 8"),
        (lambda: polity.VectorEnv("commons", 2, view=big), rf"view = {big}: .*radius, a whole number from 1 to 8"),
        (lambda: polity.VectorEnv("commons", 2, view=0), r"view = 0: .*radius, a whole number from 1 to 8"),
        (lambda: polity.VectorEnv("commons", num_envs=2**70), r"num_envs = \d+: a whole number from 1 to"),
        (
            lambda: polity.parallel_env("commons", render_mode="rgb_array", render_size=(big, 540)),
            rf"render_size's width = {big}: too large; a frame is 160x90 to 7680x4320",
        ),
        (
            lambda: polity.parallel_env("commons", render_size=(960, 10)),
            r"render_size's height = 10: too small; a frame is 160x90 to 7680x4320",
        ),
        (
            lambda: polity.record("commons", None, tmp_path / "x.gif", ticks=1, size=(big, 540)),
            rf"size's width = {big}: too large; a frame is 160x90 to 7680x4320",
        ),
        (
            lambda: polity.record("commons", None, tmp_path / "y.gif", ticks=1, size=(160, 90), fps=big),
            rf"fps = {big}: a whole number from 1 to 120",
        ),
        (lambda: polity.parallel_env("commons", seed=2**70), "seed .*from 0 to 2\\^64 - 1"),
        (lambda: polity.VectorEnv("commons", 2, seed=2**64), "seed .*from 0 to 2\\^64 - 1"),
        (lambda: polity.parallel_env("commons", **{"run.ticks": 2**200}), r"run\.ticks"),
        (lambda: polity.parallel_env("commons", **{"run.ticks": 2**1100}), r"run\.ticks"),
        (
            lambda: polity.export_policy(tmp_path / "p.safetensors", "commons", "humans", {}, view=big),
            rf"view = {big}: .*radius, a whole number from 1 to 8",
        ),
    ]
    for make, needle in cases:
        with pytest.raises(polity.PolityError, match=needle):
            make()
    env = polity.parallel_env("commons", seed=0)
    env.reset()
    with pytest.raises(polity.PolityError, match="seed .*from 0 to"):
        env.reset(seed=2**70)
    assert env.seed == 0  # refused: nothing changed
    assert list(tmp_path.iterdir()) == []


def test_an_override_refused_is_told_without_an_internal_location():
    """The message glued the line:column of the scenario text the engine spliced the value
    into onto the value (`= -1:82:16: …`): it reads `override `run.ticks` = -1: expected …`."""
    import re

    for scenario, path, value in [
        ("commons", "run.ticks", -1),
        ("commons", "run.ticks", 2**70),
        ("sed-apple-picking", "tax.rates[0]", 1.5),
    ]:
        with pytest.raises(polity.PolityError) as e:
            polity.parallel_env(scenario, **{path: value})
        said = str(e.value)
        assert said.startswith(f"override `{path}` = {value}: "), said
        assert not re.search(r"= [^:]*:\d+:\d+", said), said
        assert f": {path}: " not in said, said  # the field is not named twice
    with pytest.raises(polity.PolityError, match=r"^override `run.ticks` = -1: expected"):
        polity.VectorEnv("commons", **{"run.ticks": -1})


def test_a_vector_env_steps_only_after_reset():
    v = polity.VectorEnv("commons", num_envs=2)
    with pytest.raises(polity.PolityError, match=r"no episode yet: call reset\(\) first"):
        v.step(np.zeros((2, v.num_agents), dtype=np.int64))
    env = polity.parallel_env("commons")
    with pytest.raises(polity.PolityError, match=r"no episode yet: call reset\(\) first"):
        env.step({})
    v.reset()
    v.step(np.zeros((2, v.num_agents), dtype=np.int64))


def test_an_overrides_key_that_is_no_path_is_said_to_be_one():
    """`overrides={1: 5}` said "unknown keyword `1`", though no keyword was given."""
    with pytest.raises(polity.PolityError, match=r"overrides key 1: a scenario field's path, as a string"):
        polity.parallel_env("commons", overrides={1: 5})


def test_gym_env_says_its_seed_tick_and_state():
    """GymEnv had no seed, tick, state() or state_hash() of its own (a new-user tour reached
    into ``_env``): they are those of the parallel environment underneath."""
    g = polity.GymEnv("commons", agent="human_0", **{"run.ticks": 5})
    p = polity.parallel_env("commons", **{"run.ticks": 5})
    g.reset(seed=7)
    p.reset(seed=7)
    assert g.seed == 7 and g.tick == 0
    assert g.state_hash() == p.state_hash() and np.array_equal(g.state(), p.state())
    g.step(1)
    p.step({"human_0": 1})
    assert g.tick == 1 and g.state_hash() == p.state_hash()
    assert g.env.groups == p.groups
    g.reset()
    assert g.seed == polity.next_seed(7)
