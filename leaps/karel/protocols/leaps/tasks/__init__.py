"""The six LEAPS tasks (KAREL_SPEC.md), one module each; registered by name in ``..registry``."""
