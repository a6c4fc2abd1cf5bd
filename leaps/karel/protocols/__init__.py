"""Evaluation protocols other than the LEAPS one (KAREL_SPEC.md).

``carvalho2024``: the protocol of the LEAPS successors (KAREL_SPEC_P2.md),
its ten tasks and a compiled episode engine.
"""
