"""Neural-policy baselines entry point (the same as ``python -m leaps.rl``):
train a deep RL agent on a Karel task and score it where programs are scored.

    python rl.py task=harvester agent=ppo obs=grid -m seed=0..4
    python rl.py task=harvester agent=ppo obs=abstract -m seed=0..4
"""

from leaps.rl.app import main

if __name__ == "__main__":
    main()
