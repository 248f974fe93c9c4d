"""PettingZoo's and Gymnasium's own conformance tests on Polity's environments."""

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, render_test, seed_test

import polity

SCENARIOS = ["commons", "sed-apple-picking", "audited-commons", "vase-push-catch"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_parallel_api(scenario):
    env = polity.parallel_env(scenario, seed=3)
    with warnings.catch_warnings():
        # Any warning of the API test is a failure: it only warns about broken contracts.
        warnings.simplefilter("error")
        parallel_api_test(env, num_cycles=1000)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_parallel_seed(scenario):
    parallel_seed_test(lambda: polity.parallel_env(scenario, **{"run.ticks": 200}), num_cycles=200)


@pytest.mark.parametrize("scenario", ["commons", "sed-apple-picking"])
def test_aec_api_and_seed(scenario):
    # PettingZoo's AEC tests, on polity.aec_env (parallel_to_aec of the parallel env).
    env = polity.aec_env(scenario, seed=3, **{"run.ticks": 60})
    api_test(env, num_cycles=200)
    seed_test(lambda: polity.aec_env(scenario, **{"run.ticks": 60}), num_cycles=60)
    # A tick runs once every live agent has acted: the AEC walk of 10 ticks is 10 × agents steps.
    aec = polity.aec_env(scenario, seed=0, **{"run.ticks": 10})
    aec.reset(seed=0)
    n = len(aec.agents)
    steps = 0
    for agent in aec.agent_iter():
        _, _, term, trunc, _ = aec.last()
        aec.step(None if term or trunc else aec.action_space(agent).sample())
        steps += 1
    assert steps == 10 * n + n  # every agent acts each tick, then steps once more to leave


def test_render_test_with_rgb_arrays():
    # PettingZoo's render_test asks for "human"; Polity renders arrays (docs/python.md says how).
    render_test(lambda render_mode=None: polity.aec_env("commons", render_mode="rgb_array", **{"run.ticks": 20}))


def test_parallel_api_with_the_principal_as_an_agent():
    env = polity.parallel_env("sed-apple-picking", principal=True, **{"run.ticks": 300})
    assert env.possible_agents[-1] == "principal"
    space = env.action_space("principal")
    assert list(space.nvec) == [12, 12, 12]  # keep + 11 rates on SED's 0.1 grid, 3 brackets
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parallel_api_test(env, num_cycles=300)
    parallel_seed_test(lambda: polity.parallel_env("sed-apple-picking", principal=True, **{"run.ticks": 120}), 120)


def test_gymnasium_check_env():
    env = polity.GymEnv("commons", agent="human_0", **{"run.ticks": 50})
    check_env(env, skip_render_check=True)
    import gymnasium

    env = gymnasium.make("polity/Polity-v0", scenario="commons", render_mode="rgb_array", **{"run.ticks": 5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


def test_spaces_match_the_observations():
    env = polity.parallel_env("audited-commons", seed=1)
    obs, _ = env.reset()
    for a in env.agents:
        assert env.observation_space(a).contains(obs[a])
        assert obs[a].dtype == np.float32
    assert env.state().shape == env.state_space.shape


def test_aec_refuses_a_bad_action_at_the_step_that_gives_it():
    """The AEC wrapper keeps actions until every agent has acted: `step(7)` for human_0 was
    taken, the error came at the last agent's step, and every step after it raised again until
    reset(). Now the step that gives it raises, and the turn goes on as if it had not been given."""
    aec = polity.aec_env("commons", seed=0, **{"run.ticks": 5})
    aec.reset(seed=0)
    first = aec.agent_selection
    for bad in (7, -1, None, 1.5, "north"):
        with pytest.raises(polity.PolityError, match=f"{first}'s action"):
            aec.step(bad)
        assert aec.agent_selection == first
    with pytest.raises(polity.PolityError, match="AEC API every agent acts in turn"):
        aec.step(7)
    ticks = 0
    for agent in aec.agent_iter():
        _, _, term, trunc, _ = aec.last()
        aec.step(None if term or trunc else 2)
        ticks += agent == first
    assert aec.unwrapped.tick == 5 and ticks >= 5
