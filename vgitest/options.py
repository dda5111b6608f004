"""The plugin's command-line options and ini keys, and the run settings read from them (an option given on the
command line wins over the ini file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .run import Settings
from .verdict import HarnessError

# (flag, ini key and dest, help, ini default)
_VALUED = [
    ("--vgi-profile", "vgi_profile", "DUT PICS/PIXIT profile (TOML path, or a built-in name such as "
                                     "reference-station-16; `vgitest profiles` lists them)", None),
    ("--vgi-adapter", "vgi_adapter", "DUT adapter: simulated, manual or command (default: the profile's)", None),
    ("--vgi-host", "vgi_host", "address the fake peer listens on (default 127.0.0.1)", "127.0.0.1"),
    ("--vgi-port", "vgi_port", "port the fake peer listens on (default 0 = any free port)", "0"),
    ("--vgi-reports", "vgi_reports", "report directory (default: reports)", "reports"),
    ("--vgi-run-name", "vgi_run_name", "subfolder of the report directory for this run (default: the profile "
                                       "name)", None),
    ("--vgi-schemas", "vgi_schemas", "folder with the official schemas, instead of the pinned packages", None),
    ("--vgi-tls-cert", "vgi_tls_cert", "the fake peer's own certificate (PEM), for TLS", None),
    ("--vgi-tls-key", "vgi_tls_key", "the fake peer's private key (PEM)", None),
    ("--vgi-tls-ca", "vgi_tls_ca", "CA bundle the DUT's certificate chain must reach (mutual TLS)", None),
    ("--vgi-fuzz-profile", "vgi_fuzz_profile", "fuzz cases' profile: pr (fast, derandomized; default), nightly "
                                               "(thousands of examples) or cert (a recorded seed)", "pr"),
    ("--vgi-console", "vgi_console", "console output of a conformance run: verdicts (one line per case with its "
                                     "verdict word and rule ids, and a line saying what a long wait waits for; "
                                     "default) or pytest (pytest's own letters and words)", "verdicts"),
    ("--vgi-wait-line", "vgi_wait_line", "seconds a wait lasts before the console says what it waits for "
                                         "(default 5; 0: never)", "5"),
    ("--vgi-fuzz-seed", "vgi_fuzz_seed", "seed of the nightly and cert fuzz profiles (default: a new one, "
                                         "recorded in each fuzz case's evidence)", None),
]


def add(parser: pytest.Parser) -> None:
    g = parser.getgroup("vgitest", "vgitest conformance harness")
    for flag, ini, help_, default in _VALUED:
        g.addoption(flag, dest=ini, default=None, help=help_)
        parser.addini(ini, help_, default=default)
    g.addoption("--vgi-fault", dest="vgi_fault", action="append", default=[],
                help="inject a named fault into the reference simulator (repeatable; see `vgitest faults`)")
    g.addoption("--vgi-shard", dest="vgi_shard", default=None, metavar="K/N",
                help="run only shard K of N of the collected cases (reports in <run>/shard-K; see `vgitest run -j`)")
    g.addoption("--vgi-strict", dest="vgi_strict", action="store_true", default=None,
                help="treat NON_STRICT findings (a broken SHOULD) as FAIL")
    g.addoption("--vgi-lenient", dest="vgi_lenient", action="store_true", default=None,
                help="schema violations are warnings instead of failures")
    parser.addini("vgi_strict", "treat NON_STRICT as FAIL", type="bool", default=False)
    parser.addini("vgi_lenient", "schema violations are warnings", type="bool", default=False)


def _opt(config: pytest.Config, name: str) -> Any:
    v = config.getoption(name)
    return v if v is not None else config.getini(name)


def settings(config: pytest.Config) -> Settings:
    """The run's settings; a HarnessError for a malformed --vgi-shard or an unknown fuzz profile."""
    profile = _opt(config, "vgi_profile")
    out = Settings(profile=profile, adapter=_opt(config, "vgi_adapter"), host=_opt(config, "vgi_host"),
                   port=int(_opt(config, "vgi_port")), reports=Path(_opt(config, "vgi_reports")),
                   run_name=_opt(config, "vgi_run_name") or (Path(profile).stem if profile else "default"),
                   faults=tuple(config.getoption("vgi_fault") or ()), strict=bool(_opt(config, "vgi_strict")),
                   lenient=bool(_opt(config, "vgi_lenient")), schemas=_opt(config, "vgi_schemas"),
                   tls_cert=_opt(config, "vgi_tls_cert"), tls_key=_opt(config, "vgi_tls_key"),
                   tls_ca=_opt(config, "vgi_tls_ca"), fuzz_profile=_opt(config, "vgi_fuzz_profile") or "pr")
    out.console = _opt(config, "vgi_console") or "verdicts"
    if out.console not in ("verdicts", "pytest"):
        raise HarnessError(f"--vgi-console: {out.console!r} is not one of verdicts, pytest")
    try:
        out.wait_line_s = float(_opt(config, "vgi_wait_line") or 0)
    except ValueError:
        raise HarnessError(f"--vgi-wait-line: {_opt(config, 'vgi_wait_line')!r} is not a number of seconds") from None
    seed = _opt(config, "vgi_fuzz_seed")
    try:
        from .fuzzing import profiles
        profiles.get(out.fuzz_profile)
        out.fuzz_seed = int(seed) if seed not in (None, "") else profiles.new_seed()
    except ValueError as exc:
        raise HarnessError(f"--vgi-fuzz-profile/--vgi-fuzz-seed: {exc}") from None
    if config.getoption("vgi_shard"):
        from .shard import parse
        out.shard = parse(config.getoption("vgi_shard"))
    return out
