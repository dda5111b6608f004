"""The replay file of a fuzz case's counterexample, and how the case is run again from it.

``counterexample.json`` (in the case's evidence folder) holds everything needed to run the same case against
the same device with the same example: the test file and name, the DUT profile, the faults injected into a
reference device, the example itself (as sent), the rule it broke and the frames that went over the wire.
``vgitest replay FILE`` runs that one case with ``$VGITEST_FUZZ_REPLAY`` pointing at the file: the case's
preamble runs as usual, then its body is called once with the recorded example instead of exploring, and the
case is judged as always (FAIL again, or PASS if the device no longer breaks the rule).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["ENV", "FORMAT", "command", "document", "load", "wanted_by"]

FORMAT = "vgitest-counterexample/1"
ENV = "VGITEST_FUZZ_REPLAY"


def document(case: dict[str, Any], found: Any, stats: Any, shown: str) -> dict[str, Any]:
    """The replay file's content for counterexample ``found`` (a property.Counterexample) of ``case``."""
    return {"format": FORMAT, **case, "fuzz_profile": stats.profile, "seed": stats.seed, "rule": found.rule_id,
            "message": found.message, "example_shown": shown, "example": found.example, "frames": found.frames}


def load(path: str | os.PathLike) -> dict[str, Any]:
    """A replay file, checked; ValueError with a one-line reason if it is not one."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{p}: not a readable counterexample file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{p}: not a vgitest counterexample file (expected \"format\": \"{FORMAT}\")")
    for key in ("test_file", "test", "profile", "example"):
        if key not in doc:
            raise ValueError(f"{p}: counterexample file without {key!r}")
    return doc


def wanted_by(test_file: str, test: str) -> Path | None:
    """The replay file to use for this test (None: explore as usual)."""
    path = os.environ.get(ENV)
    if not path:
        return None
    doc = load(path)
    return Path(path) if (doc["test_file"], doc["test"]) == (test_file, test) else None


def command(doc: dict[str, Any], *, reports: str) -> list[str]:
    """The pytest command line that runs the recorded case again (the replay file is passed in the environment)."""
    cmd = [sys.executable, "-m", "pytest", f"{doc['test_file']}::{doc['test']}", f"--vgi-profile={doc['profile']}",
           f"--vgi-reports={reports}", f"--vgi-run-name=replay-{doc.get('run_name') or 'case'}",
           "-p", "no:cacheprovider", "-q", "-rfE"]
    cmd += [f"--vgi-fault={f}" for f in doc.get("faults", [])]
    if doc.get("strict"):
        cmd.append("--vgi-strict")
    return cmd
