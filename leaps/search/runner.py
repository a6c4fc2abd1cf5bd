"""One search run from a Hydra config: evaluator, searcher, progress bar,
logging, and the run's files (results.json, best_program.txt, rollout GIF)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leaps.karel import dsl
from leaps.karel.parallel import set_numba_threads
from leaps.karel.rendering import save_rollout
from leaps.karel.tasks import TaskEvaluator, get_task
from leaps.search.base import Evaluator, IterationReport, SearchResult
from leaps.search.cem import CEMConfig, run_cem
from leaps.search.checks import check_search_config
from leaps.search.hill_climbing import HillClimbingConfig, run_hill_climbing
from leaps.search.protocols import has_generalisation, make_evaluator, protocol_name, rollout_frames
from leaps.search.random_search import RandomSearchConfig, run_random_search
from leaps.search.run_logger import make_logger

SEARCHERS = ("cem", "hill_climbing", "random", "given")


STATE_FILE = "search_state.json"


class StateSaver:
    """Keeps the searcher's latest iteration-boundary state and writes it
    every ``interval`` iterations and on interruption (atomically)."""

    def __init__(self, path: Path, interval: int):
        if interval < 1:
            raise SearchError(f"save_interval must be >= 1, got {interval}")
        self.path, self.interval = path, interval
        self.latest: dict | None = None
        self.calls = 0

    def __call__(self, state: dict) -> None:
        self.latest = state
        if self.calls % self.interval == 0:
            self.flush()
        self.calls += 1

    def flush(self) -> None:
        if self.latest is not None:
            write_json_atomic(self.path, self.latest)

    def load(self) -> dict | None:
        if not self.path.exists():
            return None
        try:
            return json.loads(self.path.read_text())
        except json.JSONDecodeError:
            raise SearchError(f"{self.path} is corrupt; delete it to start the search afresh") from None


class SearchError(RuntimeError):
    """A problem the user can fix (bad config, missing model)."""


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def cem_config(cfg: DictConfig) -> CEMConfig:
    fields = {k: cfg.searcher[k] for k in CEMConfig.__dataclass_fields__ if k in cfg.searcher}
    return CEMConfig(**fields)


def default_budget(cfg: DictConfig) -> int:
    """The baselines' budget: CEM's worst case on this task (program evaluations)."""
    cem = cfg.task.cem
    return int(cfg.searcher.get("max_iterations", 1000) if cfg.searcher.name == "cem" else 1000) * (
        int(cem.population_size) + 1
    )


def model_name(cfg: DictConfig) -> str:
    return str(cfg.model_path) if cfg.get("model_path") else str(cfg.model.name)


def set_torch_threads(threads: int | None) -> None:
    """CEM decodes on the CPU one token at a time: small ops, where torch's
    OpenMP threads mostly spin-wait (1 thread measured 2-20x faster than 2 on
    a busy 2-core machine)."""
    if threads is None:
        return
    if int(threads) < 1:
        raise SearchError(f"torch_threads must be >= 1 or null, got {threads}")
    import torch

    torch.set_num_threads(int(threads))


def load_decoder(model: str) -> Any:
    from leaps.models import CheckpointError, load_model

    try:
        return load_model(model)
    except FileNotFoundError as err:
        raise SearchError(
            f"searcher=cem needs a stage-1 model: {err}; or search program space with searcher=hill_climbing"
        ) from None
    except CheckpointError as err:
        raise SearchError(str(err)) from None


def evaluate_given(text: str, evaluator: Evaluator) -> SearchResult:
    """Score a user's program (searcher=given): one evaluation, per-world returns in the history."""
    try:
        program = dsl.parse(text, max_tokens=None)
    except dsl.ProgramError as err:
        raise SearchError(f"searcher.program is not a valid program: {err}") from None
    text = dsl.to_text(program)
    result = evaluator.evaluate([text])
    history = [{"per_world": result.per_world[0].tolist()}]
    return SearchResult(text, float(result.mean_return[0]), float(result.raw_return[0]), 1, 1,
                        bool(result.mean_return[0] >= evaluator.max_return), history)


def generalisation(cfg: DictConfig, program: str) -> dict[str, float]:
    """The best program's return on other grid sizes (the paper's generalisation test)."""
    out: dict[str, float] = {}
    if not has_generalisation(cfg):
        return out  # a protocol with fixed worlds (carvalho2024)
    gen = cfg.get("generalisation") or {}
    for size in gen.get("sizes", []) or []:
        height, width = int(size[0]), int(size[1])
        try:
            task = get_task(cfg.task.name, height=height, width=width)
        except ValueError:
            continue  # a fixed-size task (CleanHouse)
        budget = gen.get("budget") if gen.get("budget") is not None else cfg.task.get("call_budget")
        if budget is not None:
            task.budget = int(budget)
        result = TaskEvaluator(task, n_worlds=int(gen.get("n_worlds", 10)), seed=int(cfg.seed)).evaluate([program])
        out[f"{height}x{width}"] = float(result.mean_return[0])
    return out


def run_search(cfg: DictConfig, out_dir: Path) -> SearchResult:
    name = cfg.searcher.name
    if name not in SEARCHERS:
        raise SearchError(f"unknown searcher {name!r}; use one of {', '.join(SEARCHERS)}")
    try:
        check_search_config(cfg)  # before anything is written
    except ValueError as err:
        raise SearchError(str(err)) from None
    try:
        evaluator = make_evaluator(cfg)
    except ValueError as err:
        raise SearchError(str(err)) from None
    task_name = str(cfg.task.name)
    budget = int(cfg.budget) if cfg.get("budget") is not None else default_budget(cfg)
    if budget < 1:
        raise SearchError(f"budget must be >= 1 program evaluation, got {budget}")
    out_dir.mkdir(parents=True, exist_ok=True)
    config = OmegaConf.to_container(cfg, resolve=True)
    logger = make_logger(cfg.logger, out_dir, group=f"{task_name}-{name}", name=f"seed{cfg.seed}", config=config)
    start = time.perf_counter()
    with Progress(
        TextColumn(f"[bold]{task_name}[/] {name} seed {cfg.seed}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("best {task.fields[best]:.3f}"), TimeElapsedColumn(), disable=not cfg.get("progress", True),
    ) as progress:
        bar = progress.add_task("search", total=budget, best=0.0)

        def callback(report: IterationReport) -> None:
            progress.update(bar, completed=report.evaluations, best=report.best_return)
            if cfg.get("verbose", False):
                progress.console.print(f"[dim]iter {report.iteration:4d} evals {report.evaluations:7d} "
                                       f"best {report.best_return:.3f}[/] {report.best_program}", highlight=False)
            logger.log_iteration(report)

        saver = StateSaver(out_dir / STATE_FILE, int(cfg.get("save_interval", 10)))
        state = saver.load() if cfg.get("resume", False) else None
        if state is not None:
            progress.console.print(f"resuming from {saver.path} (iteration {state['iteration']})")
        seed = int(cfg.seed)
        set_numba_threads(cfg.get("numba_threads"))
        try:
            if name == "cem":
                set_torch_threads(cfg.get("torch_threads"))
                decoder = load_decoder(model_name(cfg))
                result = run_cem(decoder, evaluator, cem_config(cfg), seed, budget, callback, state, saver)
            elif name == "hill_climbing":
                hc = HillClimbingConfig(int(cfg.searcher.neighbours), budget)
                result = run_hill_climbing(evaluator, hc, seed, callback, state, saver)
            elif name == "given":
                result = evaluate_given(str(cfg.searcher.program), evaluator)
            else:
                rs = RandomSearchConfig(int(cfg.searcher.batch_size), budget)
                result = run_random_search(evaluator, rs, seed, callback, state, saver)
        except ValueError as err:
            logger.close()
            raise SearchError(str(err)) from None
        except BaseException:  # interrupted (SIGINT, SIGTERM via Hydra, errors): keep the last boundary
            saver.flush()
            logger.close()
            raise
    wall = time.perf_counter() - start
    media = write_outputs(result, cfg, out_dir, evaluator, wall)
    summary = json.loads((out_dir / "results.json").read_text())
    logger.log_summary(summary, media)
    logger.close()
    return result


def pretty_program(text: str) -> str | None:
    """The indented program, or None for a text that does not parse (a
    search that only ever decoded invalid programs)."""
    try:
        return dsl.pretty(dsl.parse(text, max_tokens=None))
    except dsl.ProgramError:
        return None


def write_outputs(result: SearchResult, cfg: DictConfig, out_dir: Path, evaluator: Evaluator, wall: float) -> dict:
    pretty = pretty_program(result.best_program)
    media: dict[str, Path] = {}
    if cfg.get("gif", True) and pretty is not None:  # rendering is not part of the search budget
        media["rollout"] = save_rollout(rollout_frames(evaluator, result.best_program), out_dir / "best_program.gif")
    if pretty is None:
        pretty = f"(not a valid program) {result.best_program}"
    summary = {
        "protocol": protocol_name(cfg),
        "task": cfg.task.name,
        "searcher": cfg.searcher.name,
        "seed": int(cfg.seed),
        "model": model_name(cfg) if cfg.searcher.name == "cem" else None,
        "best_program": result.best_program,
        "best_program_pretty": pretty,
        "best_return": result.best_return,
        "best_raw_return": result.best_raw_return,
        "iterations": result.iterations,
        "evaluations": result.evaluations,
        "wall_time_s": round(wall, 3),
        "converged": result.converged,
        "generalisation": generalisation(cfg, result.best_program),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    write_json_atomic(out_dir / "results.json", summary)
    tmp = out_dir / "best_program.txt.tmp"
    score = f"return {result.best_return:.4f} (raw {result.best_raw_return:.4f})"
    tmp.write_text(f"{result.best_program}\n\n{pretty}\n\n{score}\n")
    os.replace(tmp, out_dir / "best_program.txt")
    write_json_atomic(out_dir / "history.json", {"history": result.history})
    return media
