"""Turn a training run's export into a shipped model (``leaps/checkpoints/<name>/``):
weights stored in float16 (half the size; loaded back as float32), and the
model card's figures measured on the shipped weights themselves.

    python -m leaps.models.ship outputs/train/leaps_ship/export leaps --wall-time-min 95
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from omegaconf import OmegaConf
from safetensors.torch import save_file

from leaps.models.checkpoint import CONFIG_FILE, SHIPPED_DIR, WEIGHTS_FILE, CheckpointError, load_module
from leaps.models.evaluate import DATA_CONFIG, evaluate_module, load_datamodule, trains_policy


def ship(source: str | Path, name: str, card: dict, dest_root: Path = SHIPPED_DIR) -> Path:
    """Write ``dest_root/name/{model.safetensors,config.json}`` from ``source``."""
    module = load_module(source)
    dest = dest_root / name
    dest.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in module.state_dict().items()}
    tmp = dest / (WEIGHTS_FILE + ".tmp")
    save_file(state, str(tmp))
    tmp.replace(dest / WEIGHTS_FILE)
    source_dir = Path(source) if Path(source).is_dir() else Path(source).parent
    extra = json.loads((source_dir / CONFIG_FILE).read_text()) if (source_dir / CONFIG_FILE).exists() else {}
    extra.pop("config", None)
    config = {"config": module.cfg.to_dict(), "training": extra, "card": card}
    (dest / CONFIG_FILE).write_text(json.dumps(config, indent=2))
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaps.models.ship", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a training run's export dir (or .ckpt)")
    parser.add_argument("name", help="the shipped name, e.g. leaps")
    parser.add_argument("--wall-time-min", type=float, required=True, help="training wall time, for the card")
    parser.add_argument("--hardware", default="", help="what it was trained on, e.g. '2-core CPU'")
    parser.add_argument("--notes", default="", help="free text for the card (warm start, schedule, ...)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--data-setting", action="append", default=[], metavar="KEY=VALUE",
                        help="a data.* setting of the dataset the model was trained on, if not the default "
                        "(repeatable; recorded in the card, so that evaluate NAME uses it)")
    args = parser.parse_args(argv)
    if any(not s.partition("=")[0] or "=" not in s for s in args.data_setting):
        parser.error("--data-setting takes KEY=VALUE")
    settings = OmegaConf.to_container(OmegaConf.from_dotlist(args.data_setting))
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        card = {"wall_time_min": args.wall_time_min, "hardware": args.hardware, "notes": args.notes}
        dest = ship(args.source, args.name, card)
    except (CheckpointError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    module = load_module(args.name)
    datamodule = load_datamodule(None, with_states=trains_policy(module), settings=settings)
    loader = getattr(datamodule, f"{args.split}_dataloader")()
    figures = evaluate_module(module, loader, args.limit)
    config = json.loads((dest / CONFIG_FILE).read_text())
    dataset = str(OmegaConf.merge(OmegaConf.load(DATA_CONFIG), settings).path)
    config["card"].update({"split": args.split, "dataset": dataset, **({"data": settings} if settings else {}),
                           **figures})
    (dest / CONFIG_FILE).write_text(json.dumps(config, indent=2))
    print(json.dumps(config["card"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
