"""Stage 1 entry point: learn the program embedding space (``python train.py model=leaps``)."""

import sys

if __name__ == "__main__":
    sys.exit("train.py: stage 1 (program VAE training) is not implemented yet; see the project's open issues.")
