"""One search run from a Hydra config (conf/search.yaml): the evaluator of
the task under its protocol, the method and space, progress bar, logging,
and the run's files (results.json, best_program.txt, history.json, the
rollout GIF). Everything a user can get wrong is refused before anything is
written."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leaps.atomic_files import write_json_atomic, write_text_atomic
from leaps.karel import dsl
from leaps.karel.protocols.base import Evaluator
from leaps.karel.rendering import save_rollout
from leaps.search.checks import check_search_config
from leaps.search.evaluators import generalisation, protocol_of, search_evaluator, test_return, world_redraws
from leaps.search.loop import check_fit, search
from leaps.search.methods import METHODS, SearchMethod
from leaps.search.results import IterationReport, SearchResult
from leaps.search.run_logger import make_logger
from leaps.search.spaces import SPACES, SearchSpace
from leaps.threads import set_threads

STATE_FILE = "search_state.json"
RESULTS_FILE = "results.json"
RUN_ONLY_KEYS = frozenset({"resume", "progress", "gif", "verbose", "logger", "numba_threads", "torch_threads",
                           "save_interval", "save_seconds"})
"""Settings that change how a run goes, not its result: a finished run resumed with other values of these is
still finished."""
DEFAULT_ITERATIONS = 1000
"""The published CEM's iterations, the unit of the default eval_budget."""


class SearchError(RuntimeError):
    """A problem the user can fix (bad config, missing model)."""


class StateSaver:
    """Keeps an iteration-boundary state of the search and writes it
    (atomically) every ``interval`` iterations, at most once every
    ``seconds``, and on interruption. The state holds the whole history, so
    a long search (10^6 evaluations, ~20,000 iterations, a state of
    megabytes) must not write it at every few iterations: that once took
    most of such a search's time. Resuming from an older boundary is as
    exact as from the last, only a little work is done again."""

    def __init__(self, path: Path, interval: int, seconds: float = 60.0, elapsed: float = 0.0):
        """``elapsed``: seconds the search ran before this process (a resumed
        run's), added to the wall time each kept state records."""
        if interval < 1:
            raise SearchError(f"save_interval must be >= 1, got {interval}")
        if not seconds >= 0:
            raise SearchError(f"save_seconds must be >= 0, got {seconds}")
        self.path, self.interval, self.seconds = path, interval, seconds
        self.latest: dict | None = None
        self.calls = 0
        self.last_write = -float("inf")
        self.elapsed, self.started = elapsed, time.perf_counter()

    def due(self) -> bool:
        """Whether the search should hand over the state of the boundary it is at (the loop asks at each one)."""
        due = self.calls % self.interval == 0 and time.monotonic() - self.last_write >= self.seconds
        self.calls += 1
        return due

    def __call__(self, state: dict) -> None:
        # the wall time up to this boundary: what an interruption loses after it is run again, and counted then
        self.latest = {**state, "wall_time_s": self.elapsed + time.perf_counter() - self.started}
        self.flush()

    def flush(self) -> None:
        if self.latest is not None:
            write_json_atomic(self.path, self.latest)
            self.last_write = time.monotonic()

    def load(self) -> dict | None:
        if not self.path.exists():
            return None
        try:
            return json.loads(self.path.read_text())
        except json.JSONDecodeError:
            raise SearchError(f"{self.path} is corrupt; delete it to start the search afresh") from None


def default_eval_budget(cfg: DictConfig) -> int:
    """When ``eval_budget`` is null: the published CEM's worst case on the
    task, iterations x (``task.cem.population_size`` + 1), the budget every
    method gets by default so that their tables compare."""
    iterations = int(cfg.searcher.get("max_iterations") or DEFAULT_ITERATIONS)
    return iterations * (int(cfg.task.cem.population_size) + 1)


def make_method(cfg: DictConfig) -> SearchMethod:
    settings = OmegaConf.to_container(cfg.searcher, resolve=True)
    assert isinstance(settings, dict)
    name = str(settings.pop("name"))
    return METHODS.get(name).from_config(**settings)


def make_space(cfg: DictConfig, method: SearchMethod) -> SearchSpace | None:
    """The space ``method`` runs in (None for a method that needs none),
    checked to provide what the method needs before a model is loaded."""
    if not method.needs:
        return None
    settings = OmegaConf.to_container(cfg.space, resolve=True)
    assert isinstance(settings, dict)
    cls = SPACES.get(str(settings.pop("name")))
    check_fit(method, cls)
    return cls.from_config(**settings)


def run_search(cfg: DictConfig, out_dir: Path) -> SearchResult:
    try:
        check_search_config(cfg)
        evaluator = search_evaluator(cfg)
        redraws = world_redraws(cfg)
        method = make_method(cfg)
        set_threads(cfg.get("torch_threads"), cfg.get("numba_threads"))
        space = make_space(cfg, method)
        eval_budget = int(cfg.eval_budget) if cfg.get("eval_budget") is not None else default_eval_budget(cfg)
        method.check_budget(eval_budget)
    except ValueError as err:
        raise SearchError(str(err)) from None
    task_name, name = str(cfg.task.name), method.name
    if cfg.get("resume", False):
        finished = finished_result(cfg, out_dir)
        if finished is not None:
            return finished
    out_dir.mkdir(parents=True, exist_ok=True)
    logger = make_logger(cfg.logger, out_dir, group=f"{task_name}-{name}", name=f"seed{cfg.seed}",
                         config=OmegaConf.to_container(cfg, resolve=True))
    start = time.perf_counter()
    with Progress(
        TextColumn(f"[bold]{task_name}[/] {name} seed {cfg.seed}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("best {task.fields[best]:.3f}"), TimeElapsedColumn(), disable=not cfg.get("progress", True),
    ) as progress:
        bar = progress.add_task("search", total=eval_budget, best=0.0)

        def callback(report: IterationReport) -> None:
            progress.update(bar, completed=report.evaluations, best=report.best_return)
            if cfg.get("verbose", False):
                progress.console.print(f"[dim]iter {report.iteration:4d} evals {report.evaluations:7d} "
                                       f"best {report.best_return:.3f}[/] {report.best_program}", highlight=False)
            logger.log_iteration(report)

        saver = StateSaver(out_dir / STATE_FILE, int(cfg.get("save_interval", 10)),
                           float(cfg.get("save_seconds", 60)))
        try:
            state = saver.load() if cfg.get("resume", False) else None
            if state is not None:
                progress.console.print(f"resuming from {saver.path} (iteration {state.get('iteration')})")
                saver.elapsed = float(state.get("wall_time_s", 0.0))
            result = search(method, space, evaluator, eval_budget, int(cfg.seed), callback, state, saver,
                            redraws=redraws)
        except (ValueError, SearchError) as err:
            logger.close()
            raise SearchError(str(err)) from None
        except BaseException:  # interrupted (SIGINT, SIGTERM via Hydra, errors): keep the last boundary
            saver.flush()
            logger.close()
            raise
    wall = saver.elapsed + time.perf_counter() - start  # across resumes
    result.test_return = test_return(cfg, result.best_program)
    summary, media = write_outputs(result, cfg, out_dir, evaluator, space, wall)
    logger.log_summary(summary, media)
    logger.close()
    return result


def finished_result(cfg: DictConfig, out_dir: Path) -> SearchResult | None:
    """The result of a run that already finished in ``out_dir`` with this
    configuration (``resume=true`` over a whole sweep leaves those runs as
    they are: their results.json keeps its wall time), else None."""
    path = out_dir / RESULTS_FILE
    if not path.exists():
        return None
    try:
        summary = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    current = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(current, dict)
    stored = summary.get("config") or {}
    differs = sorted(key for key in (set(current) | set(stored)) - RUN_ONLY_KEYS if current.get(key) != stored.get(key))
    if differs:
        print(f"{path} is of another configuration (it differs in {', '.join(differs)}): continuing from the saved "
              "search state")
        return None
    print(f"{path}: this run finished earlier; resume=true leaves it as it is")
    trace = [(int(e), float(r)) for e, r in summary.get("best_trace") or []]
    return SearchResult(summary["best_program"], summary["best_return"], summary["best_raw_return"],
                        summary["iterations"], summary["evaluations"], summary["converged"],
                        test_return=summary.get("test_return"), final_program=summary.get("final_program"),
                        final_return=summary.get("final_return"), trace=trace)


def pretty_program(text: str) -> str | None:
    """The indented program, or None for a text that does not parse (a
    search that only ever decoded invalid programs)."""
    try:
        return dsl.pretty(dsl.parse(text, max_tokens=None))
    except dsl.ProgramError:
        return None


def write_outputs(result: SearchResult, cfg: DictConfig, out_dir: Path, evaluator: Evaluator,
                  space: SearchSpace | None, wall: float) -> tuple[dict[str, Any], dict[str, Path]]:
    """results.json, best_program.txt, history.json and the GIF; the
    held-out test and generalisation scores are not search evaluations."""
    pretty = pretty_program(result.best_program)
    media: dict[str, Path] = {}
    if cfg.get("gif", True) and pretty is not None:
        media["rollout"] = save_rollout(evaluator.rollout(result.best_program), out_dir / "best_program.gif")
    if pretty is None:
        pretty = f"(not a valid program) {result.best_program}"
    summary = {
        "protocol": protocol_of(cfg).name,
        "task": cfg.task.name,
        "searcher": cfg.searcher.name,
        "space": None if space is None else space.name,
        "seed": int(cfg.seed),
        "model": None if space is None else space.describe(),
        "best_program": result.best_program,
        "best_program_pretty": pretty,
        "best_return": result.best_return,
        "best_raw_return": result.best_raw_return,
        "test_return": result.test_return,
        "test_worlds": int(cfg.get("test_worlds") or protocol_of(cfg).test_worlds),
        "final_program": result.final_program,
        "final_return": result.final_return,
        "iterations": result.iterations,
        "evaluations": result.evaluations,
        "max_return": float(evaluator.max_return),
        "evaluations_to_best": result.trace[-1][0] if result.trace else None,  # when the final best was first seen
        "best_trace": [list(t) for t in result.trace],  # [evaluations, best return] at every improvement
        "wall_time_s": round(wall, 3),
        "converged": result.converged,
        "generalisation": generalisation(cfg, result.best_program),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    write_json_atomic(out_dir / RESULTS_FILE, summary)
    score = (f"return {result.best_return:.4f} (raw {result.best_raw_return:.4f}); "
             f"test return {result.test_return:.4f} on {summary['test_worlds']} unseen worlds")
    write_text_atomic(out_dir / "best_program.txt", f"{result.best_program}\n\n{pretty}\n\n{score}\n")
    write_json_atomic(out_dir / "history.json", {"history": result.history})
    return summary, media
