# The two commands a new user needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test oracles bench clean
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: setup
	$(BIN)/vgitest run

# The fault matrix runs each row (over 500 of them) as its own pytest process that mostly waits on protocol timers,
# so it runs eight rows at a time; everything else two at a time (one per core).
test: setup
	$(BIN)/python -m pytest -n 2 --ignore=tests/test_fault_matrix.py
	$(BIN)/python -m pytest -n 8 tests/test_fault_matrix.py

# Every independent implementation's expected-verdict table in full (make test runs a slice of each).
oracles: setup
	$(BIN)/python -m pytest -n 2 tests/interop --oracle-full

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis .oracle-venvs
