"""PPO on Polity's commons, scaled out on Ray: the same script on a laptop and on a cluster.

    pip install ./python "ray==2.*" jax optax
    python examples/python/train_commons_ray.py                       # a laptop: Ray starts locally
    RAY_ADDRESS=auto python examples/python/train_commons_ray.py \\
        --collectors 32 --envs 64                                      # a cluster: the same script
    python examples/python/train_commons_ray.py --smoke               # the CI's small configuration

Every agent of the scenario is a learner sharing one policy (parameter sharing: the commons'
agents are alike). `--collectors` Ray actors each own a `polity.VectorEnv` of `--envs` worlds
stepped in Rust on the actor's cores; each update they play `--steps` ticks with the current
weights (a NumPy forward pass) and send their samples back; the driver runs PPO (clipped
objective, GAE, Adam) in JAX and broadcasts the new weights. At the end the policy is written
as a Polity policy file for each group, so the engine plays it:

    polity run commons --policy humans=out/humans.safetensors --policy harvesters=out/harvesters.safetensors

The network is Polity's own shape (a tanh trunk, an actor and a critic head: docs/python.md), so
the file needs no conversion. Throughput and what comes out are in docs/python.md.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import ray

import polity

# ---- the policy: Polity's network shape, in NumPy (collectors) and JAX (learner) -------------


def init_params(rng: np.random.Generator, obs: int, hidden: list[int], actions: int) -> dict:
    params, inputs = {}, obs
    for i, w in enumerate(hidden):
        params[f"trunk.{i}.weight"] = rng.normal(0, np.sqrt(2 / inputs), (w, inputs)).astype(np.float32)
        params[f"trunk.{i}.bias"] = np.zeros(w, np.float32)
        inputs = w
    params["actor.weight"] = rng.normal(0, 0.01, (actions, inputs)).astype(np.float32)
    params["actor.bias"] = np.zeros(actions, np.float32)
    params["critic.weight"] = rng.normal(0, 1 / np.sqrt(inputs), (1, inputs)).astype(np.float32)
    params["critic.bias"] = np.zeros(1, np.float32)
    return params


def layers(params: dict) -> int:
    return sum(1 for k in params if k.startswith("trunk.") and k.endswith(".weight"))


def forward_np(params: dict, x: np.ndarray):
    for i in range(layers(params)):
        x = np.tanh(x @ params[f"trunk.{i}.weight"].T + params[f"trunk.{i}.bias"])
    logits = x @ params["actor.weight"].T + params["actor.bias"]
    value = (x @ params["critic.weight"].T + params["critic.bias"])[..., 0]
    return logits, value


@ray.remote
class Collector:
    """A VectorEnv of `envs` worlds and the policy's NumPy forward pass."""

    def __init__(self, scenario: str, envs: int, seed: int, threads: int, overrides: dict):
        polity.set_threads(threads)
        self.env = polity.VectorEnv(scenario, num_envs=envs, seed=seed, overrides=overrides)
        self.obs, _ = self.env.reset()
        self.obs = self.obs.copy()
        self.rng = np.random.default_rng(seed)
        self.running = np.zeros(self.obs.shape[:2])  # each agent's return so far this episode

    def collect(self, params: dict, steps: int, gamma: float) -> dict:
        E, N, D = self.obs.shape
        out = {k: [] for k in ("obs", "actions", "logp", "values", "rewards", "dones")}
        finished = []  # mean return per agent of each episode that ended
        start = time.perf_counter()
        for _ in range(steps):
            flat = self.obs.reshape(E * N, D)
            logits, value = forward_np(params, flat)
            z = logits - logits.max(-1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(-1, keepdims=True)
            a = (p.cumsum(-1) > self.rng.random((E * N, 1))).argmax(-1)
            out["obs"].append(flat.copy())
            out["actions"].append(a)
            out["logp"].append(np.log(p[np.arange(E * N), a] + 1e-12))
            out["values"].append(value)
            obs, rew, _, trunc, info = self.env.step(a.reshape(E, N))
            self.running += rew
            rew = rew.copy()
            if trunc.any():
                # A truncation is not an end: the episode's last state still had a value, so
                # the reward carries γ·V(final_obs) and the advantage stops there (dones).
                ended = info["final_obs"][info["_final_obs"]]
                _, v = forward_np(params, ended.reshape(-1, D))
                rew[trunc] += gamma * v.reshape(-1, N)
            out["rewards"].append(rew.reshape(-1))
            out["dones"].append(np.repeat(trunc, N))
            for e in np.flatnonzero(trunc):
                finished.append(float(self.running[e].mean()))
                self.running[e] = 0
            self.obs = obs.copy()
        _, last_value = forward_np(params, self.obs.reshape(E * N, D))
        batch = {k: np.stack(v) for k, v in out.items()}  # (steps, lanes, …)
        batch["last_value"] = last_value
        batch["seconds"] = time.perf_counter() - start
        batch["env_steps"] = steps * E
        batch["episodes"] = finished
        return batch


# ---- PPO in JAX --------------------------------------------------------------------------------


def gae(rewards, values, dones, last_value, gamma, lam):
    T = rewards.shape[0]
    adv = np.zeros_like(rewards)
    running = np.zeros_like(last_value)
    for t in reversed(range(T)):
        nxt = last_value if t == T - 1 else values[t + 1]
        live = 1.0 - dones[t]
        delta = rewards[t] + gamma * nxt * live - values[t]
        running = delta + gamma * lam * live * running
        adv[t] = running
    return adv, adv + values


def make_update(lr: float, clip: float, ent: float, vf: float):
    import jax
    import jax.numpy as jnp
    import optax

    opt = optax.chain(optax.clip_by_global_norm(0.5), optax.adam(lr))

    def forward(params, x):
        for i in range(sum(1 for k in params if k.startswith("trunk.") and k.endswith(".weight"))):
            x = jnp.tanh(x @ params[f"trunk.{i}.weight"].T + params[f"trunk.{i}.bias"])
        return x @ params["actor.weight"].T + params["actor.bias"], (x @ params["critic.weight"].T)[:, 0] + params[
            "critic.bias"
        ][0]

    def loss(params, b):
        logits, value = forward(params, b["obs"])
        logp_all = jax.nn.log_softmax(logits)
        logp = jnp.take_along_axis(logp_all, b["actions"][:, None], 1)[:, 0]
        ratio = jnp.exp(logp - b["logp"])
        adv = (b["adv"] - b["adv"].mean()) / (b["adv"].std() + 1e-8)
        pg = -jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - clip, 1 + clip) * adv).mean()
        v = 0.5 * ((value - b["ret"]) ** 2).mean()
        entropy = -(jnp.exp(logp_all) * logp_all).sum(-1).mean()
        return pg + vf * v - ent * entropy, (pg, v, entropy)

    @jax.jit
    def step(params, state, b):
        (total, aux), grads = jax.value_and_grad(loss, has_aux=True)(params, b)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, aux

    return opt, step


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="commons")
    ap.add_argument("--collectors", type=int, default=2, help="Ray actors, each with its own VectorEnv")
    ap.add_argument("--envs", type=int, default=16, help="worlds per collector")
    ap.add_argument("--steps", type=int, default=128, help="ticks per collector per update")
    ap.add_argument("--updates", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--minibatches", type=int, default=4)
    ap.add_argument("--hidden", default="64,64")
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--gamma", type=float, default=0.99)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ticks", type=int, help="episode length (the scenario's run.ticks by default)")
    ap.add_argument("--out", default="ray-commons")
    ap.add_argument("--smoke", action="store_true", help="a tiny run (CI): 2 updates of 2 collectors × 4 worlds × 16 ticks, episodes of 10 ticks (so some end)")
    args = ap.parse_args()
    if args.smoke:
        args.collectors, args.envs, args.steps, args.updates, args.epochs = 2, 4, 16, 2, 1
        args.hidden = "16"
        args.ticks = args.ticks or 10

    ray.init(include_dashboard=False, log_to_driver=False)  # RAY_ADDRESS=auto joins a cluster
    cpus = int(ray.available_resources().get("CPU", 1))
    threads = max(1, cpus // args.collectors)
    overrides = {"run.ticks": args.ticks} if args.ticks else {}
    probe = polity.VectorEnv(args.scenario, num_envs=1, overrides=overrides)
    obs_size, agents = probe.single_observation_space.shape[0], probe.num_agents
    rng = np.random.default_rng(args.seed)
    hidden = [int(h) for h in args.hidden.split(",")]
    params = init_params(rng, obs_size, hidden, 5)
    collectors = [
        Collector.options(num_cpus=min(threads, cpus)).remote(
            args.scenario, args.envs, args.seed * 1000 + i, threads, overrides
        )
        for i in range(args.collectors)
    ]

    import jax
    import jax.numpy as jnp

    opt, step = make_update(args.lr, 0.2, 0.01, 0.5)
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    state = opt.init(jparams)
    log = []
    print(f"{args.scenario}: {agents} agents, obs {obs_size}, {args.collectors} collectors × {args.envs} worlds, {cpus} CPUs")
    for u in range(1, args.updates + 1):
        t0 = time.perf_counter()
        np_params = {k: np.asarray(v) for k, v in jparams.items()}
        ref = ray.put(np_params)
        batches = ray.get([c.collect.remote(ref, args.steps, args.gamma) for c in collectors])
        t_collect = time.perf_counter() - t0
        data = {k: [] for k in ("obs", "actions", "logp", "adv", "ret")}
        mean_reward = float(np.mean([b["rewards"].sum(0).mean() for b in batches]))
        episodes = [r for b in batches for r in b["episodes"]]
        for b in batches:
            adv, ret = gae(b["rewards"], b["values"], b["dones"].astype(np.float32), b["last_value"], args.gamma, 0.95)
            data["obs"].append(b["obs"].reshape(-1, obs_size))
            data["actions"].append(b["actions"].reshape(-1))
            data["logp"].append(b["logp"].reshape(-1))
            data["adv"].append(adv.reshape(-1))
            data["ret"].append(ret.reshape(-1))
        data = {k: np.concatenate(v) for k, v in data.items()}
        n = len(data["actions"])
        mb = n // args.minibatches
        for _ in range(args.epochs):
            perm = rng.permutation(n)
            for i in range(args.minibatches):
                idx = perm[i * mb : (i + 1) * mb]
                jparams, state, (pg, v, entropy) = step(jparams, state, {k: jnp.asarray(x[idx]) for k, x in data.items()})
        env_steps = sum(b["env_steps"] for b in batches)
        row = {
            "update": u,
            "reward_per_agent_per_update": mean_reward,
            "episodes_ended": len(episodes),
            "episode_return_per_agent": float(np.mean(episodes)) if episodes else None,
            "entropy": float(entropy),
            "env_steps_per_s_collecting": env_steps / t_collect,
            "seconds": time.perf_counter() - t0,
        }
        log.append(row)
        ret = f"{np.mean(episodes):7.2f} ({len(episodes)} ep.)" if episodes else "      -        "
        print(
            f"update {u:4d}  episode return/agent {ret}  reward/agent {mean_reward:7.3f}  entropy {float(entropy):.3f}  "
            f"{row['env_steps_per_s_collecting']:9,.0f} env steps/s collecting  {row['seconds']:.1f} s"
        )
    os.makedirs(args.out, exist_ok=True)
    final = {k: np.asarray(v) for k, v in jparams.items()}
    for g in polity.parallel_env(args.scenario).groups:
        polity.export_policy(os.path.join(args.out, f"{g}.safetensors"), args.scenario, g, final, force=True)
    with open(os.path.join(args.out, "log.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(f"wrote {args.out}/: one policy file per group, and log.json")
    ray.shutdown()


if __name__ == "__main__":
    main()
