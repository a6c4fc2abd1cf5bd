"""Greedy decoding speed of a shipped model on the CPU, the bound of
latent-space search: programs/s of the compiled path
(``leaps.models.greedy_decode``, what ``ProgramVAE.decode`` runs) against
the step-by-step ``nn.GRU`` path (``ProgramVAE.sample``), per batch size,
and a CEBS search end to end with each (protocol=carvalho2024, DoorKey).
Both paths write the same programs (checked here on every batch).

    python benchmarks/decode.py [--model leaps] [--batches 1,64,250] [--programs 4000]
        [--search-budget 20000] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from leaps.karel import protocols
from leaps.models import load_model
from leaps.search import CEBS, LatentSpace, search


class NNGRUDecoder:
    """The model decoding through ``nn.GRU`` step by step (the path before the compiled one)."""

    def __init__(self, vae):
        self.vae, self.latent_dim = vae, vae.latent_dim

    def decode(self, z, greedy=True, generator=None):
        return self.vae.sample(z, greedy, generator, stats=False)[0]


def decode_rate(decode, batches: list[torch.Tensor]) -> float:
    decode(batches[0])
    start = time.perf_counter()
    for z in batches:
        decode(z)
    return sum(len(z) for z in batches) / (time.perf_counter() - start)


def cebs_rate(space: LatentSpace, budget: int) -> tuple[float, float]:
    """(evaluations/s end to end, best return) of one CEBS search on DoorKey."""
    evaluator = protocols.get("carvalho2024").evaluator("doorkey")
    search(CEBS(), space, evaluator, eval_budget=128, seed=0)  # warm-up: compilation, caches
    start = time.perf_counter()
    result = search(CEBS(), space, evaluator, eval_budget=budget, seed=1)
    return result.evaluations / (time.perf_counter() - start), result.best_return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="leaps")
    parser.add_argument("--batches", default="1,64,250", help="batch sizes to time")
    parser.add_argument("--programs", type=int, default=4000, help="programs decoded per batch size and path")
    parser.add_argument("--search-budget", type=int, default=20000, help="CEBS evaluations per path (0: skip)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (search.py's torch_threads)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    vae = load_model(args.model)
    slow = NNGRUDecoder(vae)
    print(f"greedy decoding, model {args.model}, {args.threads} torch thread(s): programs/s")
    print(f"{'batch':>6s} {'nn.GRU':>10s} {'compiled':>10s} {'speed-up':>9s}")
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for size in (int(b) for b in args.batches.split(",")):
            batches = [torch.randn(size, vae.latent_dim, generator=generator)
                       for _ in range(max(1, args.programs // size))]
            for z in batches[:3]:
                if not torch.equal(vae.decode(z), slow.decode(z)):
                    raise SystemExit("error: the compiled and nn.GRU paths decoded different programs")
            before, after = decode_rate(slow.decode, batches), decode_rate(vae.decode, batches)
            print(f"{size:>6d} {before:>10,.0f} {after:>10,.0f} {after / before:>8.1f}x", flush=True)
    if args.search_budget:
        print(f"CEBS (population 64), carvalho2024 DoorKey, {args.search_budget:,} evaluations: evaluations/s")
        for label, decoder in (("nn.GRU", slow), ("compiled", vae)):
            rate, best = cebs_rate(LatentSpace(decoder, model=args.model), args.search_budget)
            print(f"{label:>9s} {rate:>10,.0f}   best return {best:.3f}", flush=True)


if __name__ == "__main__":
    main()
