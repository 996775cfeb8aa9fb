# The two commands a newcomer types: `make demo` (the main job) and `make test` (the whole suite).
# Each sets itself up: a .venv with everything installed from the registries.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= all,demo,test
# nltk refuses hard-linked data files, which uv's default link mode creates
export UV_LINK_MODE := copy

.PHONY: install test lint demo chat emulator bench wheel-check clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip uv

install: $(BIN)/python
	@$(BIN)/uv pip install --python $(BIN)/python -q -e '.[$(EXTRAS)]' \
	  || $(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -q
	bash scripts/check_wheel.sh $(BIN)

demo: install
	@$(BIN)/ernie-aiml demo

chat: install
	@$(BIN)/ernie-aiml chat

emulator: install
	$(BIN)/ernie-aiml emulator --port 8765

bench: install
	bash benchmarks/run.sh $(BIN)

wheel-check: install
	bash scripts/check_wheel.sh $(BIN)

clean:
	rm -rf $(VENV) build dist *.egg-info .venv-bench
