"""Stage 2 entry point (the same as ``python -m leaps.search``): search for a
program that solves a task.

    python search.py task=harvester searcher=hill_climbing
    python search.py task=harvester -m seed=0..4
    python search.py protocol=carvalho2024 task=snake searcher=hill_climbing
"""

from leaps.search.app import main

if __name__ == "__main__":
    main()
