# The two commands a newcomer types: `make demo` (the main job) and `make test` (the whole suite).
# Each sets itself up: a .venv with the locked development environment (uv.lock) installed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= all demo test ray
# nltk refuses hard-linked data files, which uv's default link mode creates
export UV_LINK_MODE := copy
# uv installs into $(VENV); uv (unlike pip) reads no pip config, so only PyPI is used
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install upgrade test lint typecheck layers fuzz soak test-matrix test-fleet test-ray bench-ray demo chat emulator bench wheel-check clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip uv

# exactly the versions in uv.lock (fails if pyproject.toml changed and the lock did not follow);
# --inexact keeps pip and uv themselves in the venv
install: $(BIN)/python
	@$(BIN)/uv sync -q --locked --inexact $(addprefix --extra ,$(EXTRAS))

# re-resolve every dependency to its newest allowed version and reinstall from the new lock
upgrade: $(BIN)/python
	$(BIN)/uv lock --upgrade
	@$(BIN)/uv sync -q --locked --inexact $(addprefix --extra ,$(EXTRAS))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# the quick lane: lint, mypy --strict, the layer contract, then the whole suite with the quick
# Hypothesis profile (tests/fuzz_budget.py); the real-Redis fleet tests and the real-Ray tests
# have their own targets, test-fleet and test-ray
test: lint typecheck layers
	$(BIN)/python -m pytest -q --ignore=tests/fleet --ignore=tests/ray
	bash scripts/check_wheel.sh $(BIN)

# mypy --strict over the core, both adapters and the CLI (settings in pyproject.toml)
typecheck: install
	$(BIN)/mypy

# the layer contract: which package may import which ([tool.importlinter] in pyproject.toml)
layers: install
	$(BIN)/lint-imports

# shared budgets and rate limits across real processes on a real redis-server (each test
# starts its own on a free port); skipped without redis-server, failed without it under CI=true
test-fleet: install
	$(BIN)/python -m pytest -q tests/fleet

# the soak: 20,000+ streamed calls and 1,000,000+ chunks through both adapters in one process
# (cancelled, abandoned and failing streams mixed in); fails if RSS grows 5% or descriptors
# drift after warm-up; prints the series and plots it (scripts/soak.py; a few minutes)
soak: install
	$(BIN)/python -W error::ResourceWarning scripts/soak.py

# batch inference on a real local Ray (2 CPUs, started by the tests) against the emulator, the
# shared budget on a real redis-server; skipped without ray or redis-server, failed under CI=true
test-ray: install
	$(BIN)/python -m pytest -q -p no:logging --durations=8 tests/ray

# every property test with its full example count
fuzz: install
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -q -m hypothesis

# the quick lane on the oldest Python with the lowest allowed versions, and on the newest
# Python with the newest: see scripts/test_matrix.sh
test-matrix: $(BIN)/python
	bash scripts/test_matrix.sh $(BIN)

demo: install
	@$(BIN)/ernie-aiml demo

chat: install
	@$(BIN)/ernie-aiml chat

emulator: install
	$(BIN)/ernie-aiml emulator --port 8765

bench: install
	bash benchmarks/run.sh $(BIN)

# Ray Data beside a plain asyncio loop: rows/s, CPU per row, peak RSS per actor, budget overshoot
bench-ray: install
	$(BIN)/python benchmarks/ray_batch.py

wheel-check: install
	bash scripts/check_wheel.sh $(BIN)

clean:
	rm -rf $(VENV) build dist *.egg-info .venv-bench .venv-matrix-*
