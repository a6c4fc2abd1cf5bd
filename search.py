"""Stage 2 entry point: search for a program that solves a task (``python search.py task=harvester``)."""

import sys

if __name__ == "__main__":
    sys.exit("search.py: stage 2 (CEM and baselines) is not implemented yet; see the project's open issues.")
