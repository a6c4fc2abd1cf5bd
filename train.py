"""Stage 1 entry point (the same as ``python -m leaps.train``): learn the
program embedding space.

    python train.py model=leaps            # or leapsp, leapspr, leapspl
    python train.py model=leapspl trainer.max_epochs=2 logger=csv
"""

from leaps.train import main

if __name__ == "__main__":
    main()
