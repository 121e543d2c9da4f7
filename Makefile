# Everything a newcomer needs: `make run` (the main job) and `make test` (the whole suite).
# Targets create their own virtualenvs; only Python 3.11+ and make are assumed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Synapse lives in its own virtualenv so its pins never fight the bot's.
SYNAPSE_VENV := .venv-synapse
SYNAPSE_VERSION := 1.163.2

.PHONY: run test test-fast bench synapse venv clean lint

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $@

synapse: $(SYNAPSE_VENV)/.installed

$(SYNAPSE_VENV)/.installed:
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install --quiet --upgrade pip
	$(SYNAPSE_VENV)/bin/pip install --quiet 'matrix-synapse==$(SYNAPSE_VERSION)'
	touch $@

## The main job on embedded defaults.
run: venv synapse
	SEJABOT_SYNAPSE_VENV=$(abspath $(SYNAPSE_VENV)) $(BIN)/sejabot demo

## The whole test suite (unit, property, storage, end-to-end on real Synapse and the fake Bot API).
test: venv synapse
	SEJABOT_SYNAPSE_VENV=$(abspath $(SYNAPSE_VENV)) $(BIN)/python -m pytest -q

## Style, formatting, the import contracts in pyproject.toml, and types of the product code.
lint: venv
	$(BIN)/ruff check bot handlers storage config tests benchmarks
	$(BIN)/ruff format --check bot handlers storage config tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

## Unit and storage tests only: no homeserver needed.
test-fast: venv
	$(BIN)/python -m pytest -q -m 'not e2e'

bench: venv synapse
	SEJABOT_SYNAPSE_VENV=$(abspath $(SYNAPSE_VENV)) $(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(SYNAPSE_VENV) var .pytest_cache .hypothesis
