# Two entry points: `make demo` (stage 2: CEM with the shipped LEAPS model on Harvester) and `make test` (the fast test suite; `make test-all` adds the slow tests, what CI runs).
# Each creates the virtual environment on first use.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of torch; override for a CUDA machine, e.g. TORCH_SPEC="torch==2.13.0+cu128".
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?= -m "not slow"

.PHONY: demo test test-all lint bench venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[dev,rl]"
	touch $@

demo: venv
	$(PY) search.py task=harvester

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

test-all: venv
	$(PY) -m pytest --durations=15

lint: venv
	$(VENV)/bin/ruff check leaps tests benchmarks train.py search.py rl.py

bench: venv
	$(PY) benchmarks/interpreter.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
