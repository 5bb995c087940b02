# HI Evaluation Toolkit — two commands do everything:
#   make demo   build .venv (if needed) and render every example evaluation
#   make test   build .venv (if needed) and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: venv demo test bench browser engines clean-runs help

help:
	@echo "make demo   - build the environment and render the example evaluations"
	@echo "make test   - build the environment and run every test"
	@echo "make bench  - run the benchmarks and print their figures"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/hitk run --all

browser:
	@bash .ci/ensure-chromium

# PostgreSQL server and a Java runtime for the cross-engine tests (skip them with -m 'not postgres and not spark')
engines:
	@bash .ci/ensure-engines

# two workers (the CI machine has 2 cores); tests/conftest.py keeps the example runs on one worker
test: venv browser engines
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: venv engines
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py

clean-runs:
	rm -rf evaluations/*/runs evaluations/index.html
