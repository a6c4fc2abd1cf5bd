"""Up-front checks of a search config: every value a user may get wrong is
refused before the run writes anything (no W&B run, no state file), with
one message naming the setting. Method and space settings are checked by
their own ``from_config``; the runner builds both before writing."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from leaps import config_dir
from leaps.karel.protocols.base import EvaluationWorlds
from leaps.loggers import check_logger
from leaps.search.evaluators import GRID_KEYS, protocol_of, redraw_every, search_evaluator, world_redraws

RENAMED_KEYS = {
    "budget": "renamed to eval_budget (program evaluations per search; task.call_budget is calls per episode)",
    "model_path": "renamed: give the model as model=PATH (or model=NAME for a shipped one)",
    "generalisation.budget": "renamed to generalisation.call_budget (calls per episode on the larger grids)",
}
"""Old spellings of search settings, each with what replaced it."""


def integer(value: object, key: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{key} must be >= {minimum}, got {value}")
    return value


def _config_keys(name: str) -> set[str]:
    """A primary config's top-level keys and config groups (not what they compose)."""
    cfg = OmegaConf.load(config_dir() / f"{name}.yaml")
    keys = {str(k) for k in cfg if k != "defaults"}
    for entry in cfg.get("defaults", []):
        if isinstance(entry, str) and entry != "_self_":
            keys.add(entry)
        elif OmegaConf.is_dict(entry) or isinstance(entry, dict):
            keys.update(str(k).split("@")[0].removeprefix("override ") for k in entry)
    return keys


def training_only_keys() -> dict[str, str]:
    """Keys of train.py's config that search.py does not have, each with the
    line that refuses it on the search command line (``model.vae.latent_dim=64``
    would otherwise be ignored: a search reads a model's hyperparameters from
    the model's config.json)."""
    keys = sorted(_config_keys("train") - _config_keys("search"))
    message = "a setting of train.py (stage 1), not of search.py"
    refused = {key: message for key in keys}
    if "model" in refused:  # search.py's model=NAME|PATH is a name; its sub-keys are training settings
        refused["model"] = (f"{message}: a search takes the model's hyperparameters from its config.json; "
                            "choose the model with model=NAME|PATH")
    return refused


def check_search_config(cfg: DictConfig) -> None:
    """Raise ``ValueError`` naming the first impossible setting."""
    for key, message in RENAMED_KEYS.items():
        if OmegaConf.select(cfg, key, default=None) is not None:
            raise ValueError(f"{key}: {message}")
    integer(cfg.get("seed"), "seed")
    if cfg.get("eval_budget") is not None:
        integer(cfg.eval_budget, "eval_budget", 1)
    integer(cfg.get("test_worlds", 100), "test_worlds", 1)
    integer(cfg.get("save_interval", 10), "save_interval", 1)
    seconds = cfg.get("save_seconds", 60)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
        raise ValueError(f"save_seconds must be a number of seconds >= 0, got {seconds!r}")
    for key in ("torch_threads", "numba_threads"):
        if cfg.get(key) is not None:
            integer(cfg[key], key, 1)
    if cfg.searcher.get("name") == "given" and OmegaConf.is_missing(cfg.searcher, "program"):
        raise ValueError("searcher=given needs a program: add searcher.program='DEF run m( ... m)'")
    check_logger(cfg.get("logger") or {})
    search_evaluator(cfg)  # the protocol has the task and its settings
    if redraw_every(cfg) is not None:
        integer(redraw_every(cfg), "protocol.redraw_every", 1)
    world_redraws(cfg)  # the protocol redraws its worlds
    _check_generalisation(cfg)


def _check_generalisation(cfg: DictConfig) -> None:
    gen = cfg.get("generalisation") or {}
    if gen.get("n_worlds") is not None:
        integer(gen.n_worlds, "generalisation.n_worlds", 1)
    if gen.get("call_budget") is not None:
        integer(gen.call_budget, "generalisation.call_budget", 1)
    protocol = protocol_of(cfg)
    if not protocol.grid_sizes(str(cfg.task.name)):
        return  # skipped: fixed worlds (carvalho2024) or a fixed-size task (CleanHouse)
    for size in gen.get("sizes") or []:
        if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
            raise ValueError(f"generalisation.sizes must be [height, width] pairs of integers, got {list(size)}")
        try:
            protocol.evaluator(str(cfg.task.name), worlds=EvaluationWorlds(count=1), **dict(zip(GRID_KEYS, size,
                                                                                              strict=True)))
        except ValueError as err:
            raise ValueError(f"generalisation.sizes: {err}") from None
