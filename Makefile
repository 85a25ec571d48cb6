# Thin wrappers over `danvan` and `python -m ...`: read them to run the same by hand.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck pytest venv bench clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=23"
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## make run: create the environment, upgrade the database, load config/, start the engine
run: $(STAMP)
	$(BIN)/danvan db upgrade
	$(BIN)/danvan config load
	$(BIN)/danvan plans list
	$(BIN)/danvan up

## make test: ruff, import-linter (layers, pyproject.toml), mypy (strict on the core), pytest
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check danvan_workflow flows tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy danvan_workflow flows

pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=25 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
