"""Stage-1 training throughput on this machine: programs/s and the projected
time of one epoch over 35,000 programs for each variant (batch 256, the
default model size), plus the grammar mask's speed (batch 256, 45 steps).

    python benchmarks/train.py [--data PATH] [--steps 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from omegaconf import OmegaConf

from leaps.data import KarelDataModule
from leaps.data.generate import CONF_DIR, generate_dataset
from leaps.models import LeapsModule
from leaps.models.grammar import NUM_TOKENS, GrammarMask

VARIANTS = ("leapsp", "leapspr", "leapspl", "leaps")
TRAIN_PROGRAMS = 35_000


def variant_config(name: str) -> dict:
    base = OmegaConf.load(Path(CONF_DIR).parent / "model" / "base.yaml")
    own = OmegaConf.load(Path(CONF_DIR).parent / "model" / f"{name}.yaml")
    own.pop("defaults", None)
    return OmegaConf.to_container(OmegaConf.merge(base, own), resolve=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an existing dataset (default: generate 2,000 programs)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.data
        if path is None:
            cfg = OmegaConf.load(CONF_DIR / "karel.yaml")
            cfg.merge_with({"num_programs": 2000, "progress": False, "path": f"{tmp}/bench.h5"})
            path = generate_dataset(cfg)
        loader = iter(KarelDataModule(path, batch_size=args.batch_size).train_dataloader())
        batches = [next(loader) for _ in range(args.steps + 1)]
        if args.threads:  # after the data are loaded: loading resets torch's thread count
            torch.set_num_threads(args.threads)
        print(f"threads={torch.get_num_threads()} batch={args.batch_size}")
        for name in VARIANTS:
            module = LeapsModule(variant_config(name))
            opt = module.configure_optimizers()["optimizer"]
            times = []
            for batch in batches:
                start = time.perf_counter()
                out = module.losses(batch)
                opt.zero_grad()
                out["loss"].backward()
                opt.step()
                times.append(time.perf_counter() - start)
            step = sum(times[1:]) / len(times[1:])  # the first step warms up
            rate = args.batch_size / step
            print(f"{name:8s} {step:6.2f} s/step {rate:7.0f} programs/s  epoch of {TRAIN_PROGRAMS:,}: "
                  f"{TRAIN_PROGRAMS / rate / 60:5.1f} min (training steps only)")
    mask = GrammarMask(256)
    start = time.perf_counter()
    g = torch.Generator().manual_seed(0)
    for _ in range(45):
        allowed = mask.allowed()
        mask.step(torch.rand(256, NUM_TOKENS, generator=g).masked_fill(~allowed, -1).argmax(dim=1))
    elapsed = time.perf_counter() - start
    print(f"grammar mask: batch 256 x 45 steps in {elapsed * 1e3:.1f} ms ({elapsed / 45 * 1e3:.2f} ms/step)")


if __name__ == "__main__":
    main()
