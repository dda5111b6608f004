# The two commands a new user needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The Node.js interop station of tests/interop (ocpp-rpc stack); `npm ci` installs its pinned lock file.
STATION_JS := tests/interop/ocpp_rpc_station

.PHONY: setup run test oracles bench clean
setup: $(VENV)/.installed $(STATION_JS)/node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(STATION_JS)/node_modules/.installed: $(STATION_JS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(STATION_JS) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: tests/interop/test_ocpp_rpc_station.py will be skipped"; fi

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
	rm -rf $(VENV) reports .pytest_cache .hypothesis .oracle-venvs $(STATION_JS)/node_modules
