"""Stage-1 training throughput on this machine: seconds per supervised step
and, for the variants with R, per RL-phase step, and the projected time of
one epoch over 35,000 programs (batch 256, the default model size, batches
length-bucketed as train.py makes them unless --no-bucket), plus the grammar
mask's speed (batch 256, 45 steps) and how many tokens teacher forcing runs
per batch (the batch's longest program) with length buckets and without.

    python benchmarks/train.py [--data PATH] [--steps 5] [--threads 1] [--no-bucket]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from leaps.data import KarelDataModule
from leaps.data.datamodule import LengthBucketSampler
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


def _mean_step(batches: list[dict], loss_of, optimizer: torch.optim.Optimizer) -> float:
    """Seconds per optimizer step, the first (warm-up) step left out."""
    times = []
    for batch in batches:
        start = time.perf_counter()
        loss = loss_of(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return sum(times[1:]) / len(times[1:])


def _epoch(sampler: LengthBucketSampler, epoch: int) -> LengthBucketSampler:
    sampler.set_epoch(epoch)
    return sampler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an existing dataset (default: generate 2,000 programs)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    parser.add_argument("--no-bucket", action="store_true", help="random batches instead of length-bucketed ones")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.data
        if path is None:
            cfg = OmegaConf.load(CONF_DIR / "karel.yaml")
            cfg.merge_with({"num_programs": 2000, "progress": False, "path": f"{tmp}/bench.h5"})
            path = generate_dataset(cfg)
        datamodule = KarelDataModule(path, batch_size=args.batch_size, bucket_by_length=not args.no_bucket)
        loader = iter(datamodule.train_dataloader())
        batches = [next(loader) for _ in range(args.steps + 1)]
        if args.threads:  # after the data are loaded: loading resets torch's thread count
            torch.set_num_threads(args.threads)
        print(f"threads={torch.get_num_threads()} batch={args.batch_size}")
        for name in VARIANTS:
            module = LeapsModule(variant_config(name))
            opt = module.configure_optimizers()["optimizer"]
            step = _mean_step(batches, lambda b, m=module: m.losses(b)["loss"], opt)
            line = f"{name:8s} supervised {step:5.2f} s/step"
            epoch = TRAIN_PROGRAMS / args.batch_size * step
            if module.cfg.rl_phases:
                rl_opt = torch.optim.Adam(module.vae.parameters(), lr=module.cfg.rl.lr)
                rl_step = _mean_step(batches, lambda b, m=module: m.rl_phase_loss(b)["behaviour_rl_loss"], rl_opt)
                line += f", RL phase {rl_step:5.2f} s/step"
                epoch += TRAIN_PROGRAMS / args.batch_size * rl_step
            print(f"{line}  epoch of {TRAIN_PROGRAMS:,} (with its RL phase): {epoch / 60:5.1f} min "
                  "(training steps only)")
    lengths = datamodule.data.program_lengths[datamodule.data.split_indices("train")]
    rng = np.random.default_rng(0)

    def tokens_per_batch(order) -> float:
        order = np.asarray(list(order))
        return float(np.mean([lengths[order[i:i + args.batch_size]].max()
                              for i in range(0, len(order), args.batch_size)]))

    bucketed = [tokens_per_batch(_epoch(LengthBucketSampler(lengths, args.batch_size), e)) for e in range(5)]
    shuffled = [tokens_per_batch(rng.permutation(len(lengths))) for _ in range(5)]
    print(f"teacher-forced tokens per batch (5 epochs): length-bucketed {np.mean(bucketed):.1f}, "
          f"random {np.mean(shuffled):.1f}; programs average {lengths.mean():.1f}")
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
