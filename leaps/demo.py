"""``python -m leaps.demo``: sample a random program, run it on a random
world and show both; a first look at the Karel core."""

from __future__ import annotations

import argparse

import numpy as np

from leaps.karel import dsl
from leaps.karel.interpreter import execute
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.world_generator import WorldGenerator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    program = ProgramGenerator().sample_many(1, rng)[0]
    world = WorldGenerator().sample(rng)
    result = execute([program], [world])
    print("program:", dsl.to_text(program))
    print(dsl.pretty(program))
    print("\ninitial world:")
    print(world)
    print("\nactions:", " ".join(dsl.ACTIONS[a] for a in result.trace(0, 0)) or "(none)")
    print("status:", result.status[0, 0], "(0 completed, 1 out of budget)")
    print("\nfinal world:")
    print(result.final_world(0, 0))


if __name__ == "__main__":
    main()
