"""Accuracy of a stage-1 model on a dataset split, deterministically (the
latent is the encoder's mean, decoding is greedy): the figures of the model
cards, reproducible with one command.

    python -m leaps.models.evaluate leaps                 # test split of the dataset its model card names
    python -m leaps.models.evaluate leapsp --split val --limit 2000
    python -m leaps.models.evaluate outputs/train/<run>/export --data path/to/data.h5
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from omegaconf import OmegaConf
from tqdm import tqdm

from leaps import config_dir
from leaps.data import DatasetError, KarelDataModule, build_datamodule
from leaps.karel import dsl
from leaps.models.checkpoint import CONFIG_FILE, SHIPPED_DIR, CheckpointError, load_module
from leaps.models.module import LeapsModule, execute_on_demos

DATA_CONFIG = config_dir() / "data" / "karel.yaml"
METRICS = ("token_accuracy", "program_accuracy", "greedy_program_accuracy", "execution_accuracy",
           "action_accuracy", "demo_accuracy")


def trains_policy(module: LeapsModule) -> bool:
    return module.cfg.losses.latent_behaviour > 0


def _same_programs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise equality of two PAD-padded id batches of any widths (a model
    whose programs end sooner than the dataset's, e.g. an imported HPRL VAE)."""
    width = max(a.shape[1], b.shape[1])
    a, b = (torch.nn.functional.pad(x, (0, width - x.shape[1]), value=dsl.PAD_ID) for x in (a, b))
    return (a == b).all(dim=1)


@torch.no_grad()
def evaluate_module(module: LeapsModule, batches, limit: int | None = None, progress: bool = True) -> dict[str, float]:
    """Program-weighted means over the batches (at most ``limit`` programs).

    token/program accuracy: teacher-forced decoding of the mean latent;
    greedy_program_accuracy: greedy decoding reproduces the program token for
    token; execution_accuracy: the greedy program reproduces all of its
    demonstrations; action/demo accuracy: the latent-conditioned policy (only
    for models that train it, L)."""
    module.eval()
    with_policy = trains_policy(module)
    metrics = METRICS if with_policy else METRICS[:4]
    sums = dict.fromkeys(metrics, 0.0)
    seen = 0
    bar = tqdm(total=limit, unit="program", disable=not progress, desc="evaluating")
    for batch in batches:
        if limit is not None and seen >= limit:
            break
        if limit is not None and seen + len(batch["programs"]) > limit:
            keep = limit - seen
            batch = {k: v[:keep] for k, v in batch.items()}
        n = len(batch["programs"])
        mu, logvar = module.vae.encode(batch["programs"])
        out = module.program_loss(batch, mu, mu, logvar)
        greedy = module.vae.decode(mu, greedy=True)
        _, exact, _ = execute_on_demos(greedy.numpy(), batch)
        if with_policy:
            out.update(module.latent_behaviour_loss(batch, mu))
        out["greedy_program_accuracy"] = _same_programs(greedy, batch["programs"]).float().mean()
        out["execution_accuracy"] = torch.as_tensor(exact.mean())
        for key in metrics:
            sums[key] += float(out[key]) * n
        seen += n
        bar.update(n)
    bar.close()
    if seen == 0:
        raise DatasetError("the split has no programs")
    return {key: value / seen for key, value in sums.items()} | {"programs": seen}


def card_data(model: str | Path) -> dict:
    """The ``data.*`` settings a shipped model's card was measured with (its ``card.data``, written by ``ship
    --data-setting``; ``{}``: the default dataset's), so that ``evaluate NAME`` reproduces any card. The four
    shipped models' cards are on the default dataset (their earlier dataset's figures: ``card.earlier_dataset``)."""
    config = SHIPPED_DIR / str(model) / CONFIG_FILE
    if not config.is_file():
        return {}
    return dict(json.loads(config.read_text()).get("card", {}).get("data", {}))


def load_datamodule(path: str | None, batch_size: int = 256, with_states: bool = True,
                    settings: dict | None = None) -> KarelDataModule:
    """The given dataset file, or the dataset of conf/data/karel.yaml with ``settings`` over it (generated when
    missing)."""
    if path is not None:
        return KarelDataModule(path, batch_size, with_states=with_states)
    datamodule = build_datamodule(OmegaConf.merge(OmegaConf.load(DATA_CONFIG), settings or {}), batch_size, seed=0)
    if not with_states:  # the per-step states only feed the policy
        datamodule = KarelDataModule(datamodule.data, batch_size, with_states=False)
    return datamodule


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaps.models.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a shipped model name (leaps, leapsp, leapspr, leapspl) or a model path")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument("--data", default=None, help="dataset file (default: conf/data/karel.yaml, with the "
                        "settings a shipped model's card names, e.g. the earlier dataset's sequence_depth=1)")
    parser.add_argument("--limit", type=int, default=None, help="evaluate at most this many programs")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be >= 1")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        module = load_module(args.model)
        settings = {} if args.data is not None else card_data(args.model)
        if settings:
            print("dataset of the model card: " + " ".join(f"data.{k}={v}" for k, v in settings.items()))
        datamodule = load_datamodule(args.data, args.batch_size, trains_policy(module), settings)
    except (CheckpointError, FileNotFoundError, DatasetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    loader = getattr(datamodule, f"{args.split}_dataloader")()
    figures = evaluate_module(module, loader, args.limit)
    for key, value in figures.items():
        print(f"{key:>24}: {value:.4f}" if key != "programs" else f"{key:>24}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": args.model, "split": args.split, **figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
