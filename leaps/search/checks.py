"""Up-front checks of a search config: every value a user may get wrong is
refused before the run writes anything (no W&B run, no state file, no model
loaded), with one message naming the setting."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from leaps.karel import dsl
from leaps.karel.tasks import get_task
from leaps.search.protocols import has_generalisation

LOGGER_KINDS = ("wandb", "csv", "none")
WANDB_MODES = ("offline", "online", "disabled")


def _int(value: object, key: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{key} must be >= {minimum}, got {value}")
    return value


def check_search_config(cfg: DictConfig) -> None:
    """Raise ``ValueError`` naming the first impossible setting."""
    _int(cfg.get("seed"), "seed")
    if cfg.get("budget") is not None:
        _int(cfg.budget, "budget", 1)
    _int(cfg.get("save_interval", 10), "save_interval", 1)
    if cfg.get("torch_threads") is not None:
        _int(cfg.torch_threads, "torch_threads", 1)
    if cfg.get("numba_threads") is not None:
        _int(cfg.numba_threads, "numba_threads", 1)
    _check_searcher(cfg)
    _check_logger(cfg.get("logger") or {})
    _check_generalisation(cfg)


def _check_searcher(cfg: DictConfig) -> None:
    searcher = cfg.searcher
    name = searcher.name
    if name == "cem":
        from leaps.search.cem import CEMConfig

        fields = {k: searcher[k] for k in CEMConfig.__dataclass_fields__ if k in searcher}
        for key in ("population_size", "max_iterations", "converge_iterations"):
            if key in fields:
                _int(fields[key], f"searcher.{key}", 1)
        if fields.get("restart_after") is not None:
            _int(fields["restart_after"], "searcher.restart_after (or null: no restarts)", 1)
        try:
            CEMConfig(**fields)
        except ValueError as err:
            raise ValueError(f"searcher=cem: {err}") from None
    elif name == "hill_climbing":
        _int(searcher.get("neighbours"), "searcher.neighbours", 1)
    elif name == "random":
        _int(searcher.get("batch_size"), "searcher.batch_size", 1)
    elif name == "given":
        if OmegaConf.is_missing(searcher, "program") or not str(searcher.program).strip():
            raise ValueError("searcher=given needs a program: add searcher.program='DEF run m( ... m)'")
        try:
            dsl.parse(str(searcher.program), max_tokens=None)
        except dsl.ProgramError as err:
            raise ValueError(f"searcher.program is not a valid program: {err}") from None


def _check_logger(logger: DictConfig | dict) -> None:
    kind = logger.get("kind", "none")
    if kind not in LOGGER_KINDS:
        raise ValueError(f"unknown logger kind {kind!r}: use logger=wandb, logger=csv or logger=none")
    if kind == "wandb" and logger.get("mode", "offline") not in WANDB_MODES:
        raise ValueError(f"logger.mode must be one of {', '.join(WANDB_MODES)}, got {logger.get('mode')!r}")


def _check_generalisation(cfg: DictConfig) -> None:
    gen = cfg.get("generalisation") or {}
    if gen.get("n_worlds") is not None:
        _int(gen.n_worlds, "generalisation.n_worlds", 1)
    if gen.get("budget") is not None:
        _int(gen.budget, "generalisation.budget", 1)
    sizes = gen.get("sizes") or []
    if not has_generalisation(cfg):
        return  # skipped: the protocol's worlds are fixed
    try:
        task = get_task(str(cfg.task.name))
    except ValueError:
        return  # not a LEAPS task: the runner says so
    for size in sizes:
        if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
            raise ValueError(f"generalisation.sizes must be [height, width] pairs of integers, got {list(size)}")
        if task.fixed_size:
            continue  # skipped: a fixed-size task (CleanHouse) has no other grid sizes
        try:
            get_task(task.name, height=size[0], width=size[1])
        except ValueError as err:
            raise ValueError(f"generalisation.sizes: {err}") from None
