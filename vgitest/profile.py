"""PICS/PIXIT profiles: what the DUT declares it supports (PICS) and the parameters the tests need (PIXIT).

A profile is a TOML file::

    [dut]                      # identity of the device, shown in every report
    name = "ACME Wallbox"
    protocol = "ocpp"
    version = "1.6"
    identity = "ACME-0001"
    password = "0123456789abcdef"
    [pics]                     # feature -> supported?
    Core = true
    Reservation = false
    [pixit]                    # parameters
    connectors = 1
    valid_id_token = "04A1B2C3"
    [adapter]                  # how the harness asks for physical actions
    kind = "command"
    [adapter.commands]
    plug_in = "curl -fsS -X POST http://dut.local/test/plug?connector={connector}"

The profile is validated when it is loaded (:mod:`vgitest.profilevalidate`): an unknown section, key, PICS
feature, protocol or adapter kind, or a value of the wrong type, is an error, one line each, and the run does not
start. A test that needs a feature the profile does not declare ends NOT_APPLICABLE, with the reason. A PIXIT key no
suite reads that is close to one a suite reads (a misspelling) is an error naming that key; any other unknown key (a
vendor's own) or an old name of a renamed key is a warning with the profile's line (see :mod:`vgitest.pixit` and
docs/pixit.md).
"""

from __future__ import annotations

import dataclasses
import tomllib
import warnings
from pathlib import Path
from typing import Any

from . import pixit as pixit_keys
from .profilevalidate import validate
from .resources import data_dir
from .verdict import HarnessError


class PixitWarning(UserWarning):
    """A PIXIT key that has no effect (unknown, of another protocol) or an old name of a renamed key."""


@dataclasses.dataclass
class Profile:
    path: Path | None
    dut: dict[str, Any]
    pics: dict[str, bool]
    pixit: dict[str, Any]
    adapter: dict[str, Any]
    validation: dict[str, Any]
    budgets: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # [budgets.<protocol>] overrides
    warnings: list[str] = dataclasses.field(default_factory=list)  # "path:line: text", one per PIXIT problem

    @classmethod
    def load(cls, path: str | Path) -> "Profile":
        p = Path(path)
        if not p.is_file():
            builtin = data_dir("profiles") / p.name
            if not p.suffix:
                builtin = data_dir("profiles") / f"{p.name}.toml"
            if builtin.is_file():
                p = builtin
            else:
                raise HarnessError(f"profile {path} not found (built-in profiles: "
                                   f"{', '.join(sorted(x.stem for x in data_dir('profiles').glob('*.toml')))})")
        try:
            with p.open("rb") as fh:
                doc = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise HarnessError(f"profile {p}: {exc}") from None
        text = p.read_text(encoding="utf-8")
        errors = validate(doc, p, text)
        if errors:
            raise HarnessError("\n".join(errors))
        pics = doc.get("pics", {})
        dut = doc.get("dut", {})
        pixit, problems = pixit_keys.check(doc.get("pixit", {}), dut.get("protocol"))
        fatal = [f"{p}:{_pixit_line(text, x.key)}: [pixit] {x.key}: {x.text}" for x in problems if x.fatal]
        if fatal:
            raise HarnessError("\n".join(fatal))
        profile = cls(p, dut, pics, pixit, doc.get("adapter", {}), doc.get("validation", {}), doc.get("budgets", {}))
        for problem in problems:
            line = _pixit_line(text, problem.key)
            profile.warnings.append(f"{p}:{line}: {problem.text}")
            warnings.warn_explicit(problem.text, PixitWarning, str(p), line)
        return profile

    @property
    def protocol(self) -> str:
        """The DUT's protocol ([dut] protocol; a profile without one is an OCPP station's, as when profiles began)."""
        return str(self.dut.get("protocol", "ocpp"))

    @property
    def name(self) -> str:
        return str(self.dut.get("name", self.path.stem if self.path else "unnamed DUT"))

    def supports(self, feature: str) -> bool:
        return bool(self.pics.get(feature, False))

    def missing(self, features: tuple[str, ...] | list[str]) -> list[str]:
        """Features a test needs that this DUT does not declare. A leading '!' asks for the feature's absence."""
        out = []
        for f in features:
            if f.startswith("!"):
                if self.supports(f[1:]):
                    out.append(f)
            elif not self.supports(f):
                out.append(f)
        return out

    def param(self, key: str, default: Any = None) -> Any:
        if key in pixit_keys.ALIASES:  # code (a vendor's own test) still asking by the old name
            warnings.warn(f"PIXIT key '{key}' was renamed '{pixit_keys.ALIASES[key]}'", DeprecationWarning,
                          stacklevel=2)
            key = pixit_keys.ALIASES[key]
        return self.pixit.get(key, default)

    def environment(self) -> dict[str, str]:
        """Flat key/value pairs for Allure's environment widget and JUnit properties."""
        env = {f"dut.{k}": str(v) for k, v in self.dut.items() if k not in ("password",)}
        env.update({f"pics.{k}": "yes" if v else "no" for k, v in self.pics.items()})
        if self.path:
            env["profile"] = str(self.path)
        return env


def _pixit_line(text: str, key: str) -> int:
    """The line of `key` in the profile's [pixit] table (1 when it cannot be found)."""
    from .profilevalidate import _line
    return _line(text, "pixit", key)
