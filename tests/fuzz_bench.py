"""benchmarks/fuzz_parsers.py as a module, for the tests that use its targets and inputs (it is a script, not a
package module)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz_parsers.py"


def load() -> ModuleType:
    """The self-fuzz script, loaded once per process."""
    if "fuzz_parsers" in sys.modules:
        return sys.modules["fuzz_parsers"]
    spec = importlib.util.spec_from_file_location("fuzz_parsers", PATH)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_parsers"] = mod
    spec.loader.exec_module(mod)
    return mod
