"""One training run of ``rl.py``: the vectorised task, the agent, periodic
checkpoints (resumed with ``resume=true`` in the same run directory), the
evaluation of the trained policy where the searchers' programs are scored,
and ``results.json`` with the keys leaps.report reads (``searcher`` = the
agent, ``model`` = the observation kind: ``ppo (grid)`` is the paper's DRL,
``ppo (abstract)`` its DRL-abs)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from leaps.atomic_files import write_json_atomic
from leaps.karel import protocols
from leaps.karel.protocols.base import EvaluationWorlds
from leaps.karel.vector import KarelVectorEnv
from leaps.karel.vector.observations import check_observation
from leaps.rl.agents import check_agent, load_agent, make_agent
from leaps.rl.evaluation import evaluate_policy
from leaps.rl.run_log import TrainingLog, make_log
from leaps.rl.sb3_env import SB3KarelVecEnv
from leaps.threads import check_threads, set_threads

CHECKPOINT_DIR = "checkpoint"
GRID_KEYS = ("height", "width")


class TrainingError(ValueError):
    """A setting that makes no sense, said in one line."""


def _positive(cfg: DictConfig, key: str) -> int:
    value = OmegaConf.select(cfg, key)
    if value is None or int(value) < 1 or int(value) != float(value):
        raise TrainingError(f"{key} must be a whole number >= 1, got {value}")
    return int(value)


def check_config(cfg: DictConfig) -> None:
    """Every setting the run depends on, before anything is built."""
    try:
        check_agent(str(cfg.agent.name))
        check_observation(str(cfg.obs.name))
        protocol = protocols.get(str(cfg.protocol.name))
        check_threads(cfg.get("torch_threads"), cfg.get("numba_threads"))
    except ValueError as err:
        raise TrainingError(str(err)) from None
    task = str(cfg.task.name)
    if task not in protocol.task_names():
        raise TrainingError(f"protocol={protocol.name} has no task {task!r}; its tasks: "
                            f"{', '.join(protocol.task_names())}")
    for key in ("total_steps", "agent.num_envs", "agent.n_steps", "agent.batch_size", "agent.n_epochs",
                "checkpoint_every", "test_worlds"):
        _positive(cfg, key)
    rollout = int(cfg.agent.num_envs) * int(cfg.agent.n_steps)
    if int(cfg.agent.batch_size) > rollout:
        raise TrainingError(f"agent.batch_size={cfg.agent.batch_size} exceeds a rollout of agent.num_envs x "
                            f"agent.n_steps = {rollout} steps")


def task_options(cfg: DictConfig) -> dict[str, Any]:
    """The task's settings the protocol takes (grid size and call budget under leaps)."""
    options = {key: cfg.task.get(key) for key in (*GRID_KEYS, "call_budget") if cfg.task.get(key) is not None}
    return {k: int(v) for k, v in options.items()}


class Checkpoints:
    """The model, the environments and the run's counters, written together
    under ``<run dir>/checkpoint`` (progress.json last, so a checkpoint counts
    only once complete)."""

    def __init__(self, out_dir: Path):
        self.dir = out_dir / CHECKPOINT_DIR

    def exists(self) -> bool:
        return (self.dir / "progress.json").exists()

    def save(self, model: Any, venv: SB3KarelVecEnv, wall: float) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "progress.json").unlink(missing_ok=True)
        model.save(self.dir / "model.zip")
        venv.save_state(self.dir / "env.npz")
        _save_rng(self.dir / "rng.npz")
        write_json_atomic(self.dir / "progress.json", {
            "num_timesteps": int(model.num_timesteps), "wall_time_s": wall,
            "last_episode_starts": [bool(b) for b in model._last_episode_starts]})

    def load(self, agent: str, venv: SB3KarelVecEnv) -> tuple[Any, float]:
        progress = json.loads((self.dir / "progress.json").read_text())
        model = load_agent(agent, str(self.dir / "model.zip"), venv)
        model._last_obs = venv.load_state(self.dir / "env.npz")
        model._last_episode_starts = np.array(progress["last_episode_starts"], dtype=bool)
        if (self.dir / "rng.npz").exists():  # checkpoints written before it was saved resume with reseeded RNGs
            _load_rng(self.dir / "rng.npz")
        return model, float(progress["wall_time_s"])


def _save_rng(path: Path) -> None:
    """The global RNGs SB3 draws from (torch: the policy's actions; numpy: the minibatch order). Loading a model
    reseeds both with its initial seed, so without them a resumed run would not continue the uninterrupted one."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    with open(path, "wb") as f:
        np.savez(f, torch=torch.get_rng_state().numpy(), numpy_keys=keys, numpy_pos=pos, numpy_has_gauss=has_gauss,
                 numpy_cached_gaussian=cached)


def _load_rng(path: Path) -> None:
    with np.load(path, allow_pickle=False) as data:
        torch.set_rng_state(torch.from_numpy(data["torch"].copy()))
        np.random.set_state(("MT19937", data["numpy_keys"], int(data["numpy_pos"]), int(data["numpy_has_gauss"]),
                             float(data["numpy_cached_gaussian"])))


def _callback(checkpoints: Checkpoints, every: int, log: TrainingLog, venv: SB3KarelVecEnv, start_steps: int,
              wall_before: float) -> Any:
    from stable_baselines3.common.callbacks import BaseCallback

    class Progress(BaseCallback):
        """After each rollout the metrics; before each rollout (once the previous one has been trained on) a
        checkpoint every ``every`` steps: saved after the rollout, it would lose that rollout's update."""

        def _on_training_start(self) -> None:
            self.started = time.perf_counter()
            self.saved_at = start_steps

        def _on_step(self) -> bool:
            return True

        def _on_rollout_start(self) -> None:
            steps = int(self.model.num_timesteps)
            if steps - self.saved_at >= every:
                checkpoints.save(self.model, venv, wall_before + time.perf_counter() - self.started)
                self.saved_at = steps

        def _on_rollout_end(self) -> None:
            steps = int(self.model.num_timesteps)
            elapsed = time.perf_counter() - self.started
            episodes = list(self.model.ep_info_buffer)
            metrics = {"steps_per_s": (steps - start_steps) / max(elapsed, 1e-9), "episodes": venv.episodes,
                       "episode_return": float(np.mean([e["r"] for e in episodes])) if episodes else float("nan"),
                       "episode_length": float(np.mean([e["l"] for e in episodes])) if episodes else float("nan")}
            log.log(metrics, steps)

    return Progress()


def train(cfg: DictConfig, out_dir: Path) -> dict[str, Any]:
    """Train (or resume), evaluate and write results.json; returns its contents."""
    check_config(cfg)
    set_threads(cfg.get("torch_threads"), cfg.get("numba_threads"))
    protocol, task, obs = str(cfg.protocol.name), str(cfg.task.name), str(cfg.obs.name)
    last_action = bool(cfg.obs.get("last_action", False))
    seed, total = int(cfg.seed), int(cfg.total_steps)
    try:
        env = KarelVectorEnv(task, int(cfg.agent.num_envs), protocol=protocol, obs=obs, last_action=last_action,
                             autoreset_mode="same_step", **task_options(cfg))
    except ValueError as err:
        raise TrainingError(str(err)) from None
    venv = SB3KarelVecEnv(env)
    checkpoints = Checkpoints(out_dir)
    config = OmegaConf.to_container(cfg, resolve=True)
    if cfg.get("resume") and checkpoints.exists():
        model, wall_before = checkpoints.load(str(cfg.agent.name), venv)
        print(f"resuming at {model.num_timesteps:,} of {total:,} environment steps")
    else:
        model, wall_before = make_agent(cfg.agent, venv, obs, seed), 0.0
    log = make_log(cfg.logger, out_dir, f"{task}-{cfg.agent.name}-{obs}-seed{seed}", config)
    try:
        start_steps = int(model.num_timesteps)
        started = time.perf_counter()
        if start_steps < total:
            callback = _callback(checkpoints, int(cfg.checkpoint_every), log, venv, start_steps, wall_before)
            model.learn(total_timesteps=total - start_steps, callback=callback, reset_num_timesteps=False)
        wall = wall_before + time.perf_counter() - started
        checkpoints.save(model, venv, wall)
        # the whole run's rate: a resumed run (or one resumed after it had finished) counts every session of it
        steps_per_s = int(model.num_timesteps) / max(wall, 1e-9)
        summary = _summary(cfg, model, wall, steps_per_s, config, last_action)
        write_json_atomic(out_dir / "results.json", summary)
        log.summary(summary)
    finally:
        log.close()
    return summary


def _summary(cfg: DictConfig, model: Any, wall: float, steps_per_s: float, config: Any,
             last_action: bool) -> dict[str, Any]:
    protocol, task, obs, seed = str(cfg.protocol.name), str(cfg.task.name), str(cfg.obs.name), int(cfg.seed)
    spec = protocols.get(protocol)
    options = task_options(cfg)
    budget = options.pop("call_budget", None)
    ev = cfg.get("eval") or {}
    deterministic = bool(ev.get("deterministic", False))
    n_worlds = cfg.task.get("n_worlds")

    def score(worlds: EvaluationWorlds, call_budget: int | None = budget, **grid: Any) -> float:
        return evaluate_policy(model.policy, protocol, task, obs, last_action, worlds, call_budget, deterministic,
                               **{**options, **grid})

    best = score(EvaluationWorlds(seed, None if n_worlds is None else int(n_worlds)))
    test_worlds = int(cfg.test_worlds)
    test = score(EvaluationWorlds(seed, test_worlds, held_out=True))
    generalisation: dict[str, float] = {}
    gen = cfg.get("generalisation") or {}
    if spec.grid_sizes(task):
        gen_budget = gen.get("call_budget")
        for size in gen.get("sizes") or []:
            h, w = int(size[0]), int(size[1])
            generalisation[f"{h}x{w}"] = score(EvaluationWorlds(seed, int(gen.get("n_worlds", 10))),
                                               budget if gen_budget is None else int(gen_budget), height=h, width=w)
    return {
        "protocol": protocol, "task": task, "searcher": str(cfg.agent.name), "model": obs, "observation": obs,
        "seed": seed, "best_return": best, "test_return": test, "test_worlds": test_worlds,
        "evaluations": int(model.num_timesteps), "env_steps": int(model.num_timesteps),
        "wall_time_s": round(wall, 3), "steps_per_s": round(steps_per_s, 1), "generalisation": generalisation,
        "config": config,
    }
