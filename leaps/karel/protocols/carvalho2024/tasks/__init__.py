"""One module per task: initial-world generator and numba reward step."""
