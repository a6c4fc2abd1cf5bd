"""Neural-policy baselines (the LEAPS paper's DRL and DRL-abs): deep RL
agents trained on the vectorised Karel environment (leaps.karel.vector) and
scored on the same worlds as the program searchers. Needs the ``rl`` extra
(``pip install -e ".[rl]"``: stable-baselines3).

    python rl.py task=harvester agent=ppo obs=grid -m seed=0..4
"""
