"""Options for the pytest processes the tests start to run a suite (the fault matrix, the oracles' tables)."""

from __future__ import annotations

# Plugins installed for the harness's own tests that no suite uses: loading hypothesis's pytest plugin imports all of
# hypothesis, half the start-up of a suite process (0.65 of 1.3 s CPU on the CI machine), and the fault matrix starts
# over 500 of them.
UNUSED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark")
