"""The fake-peer contract: what a run and the pytest plugin need of any protocol's fake peer.

A protocol is a package ``vgitest/<protocol>/`` holding a light module ``protocol.py`` that defines ``KIND``, a
:class:`PeerKind` (its versions, how to build its peer, its reference devices), and (optionally) a module
``fixtures.py`` with its pytest fixtures. The run, the plugin, profile validation and ``vgitest serve`` find both
by that convention, so nothing outside the package names the protocol: adding one is a new package, its suites,
its profiles and its docs. ``protocol.py`` imports nothing heavy: every profile load reads all of them.

The fake peer itself is a :class:`RunPeer`: it starts and stops, has a URL, a trace, the raw wires of its
connections, and hooks whose defaults do nothing, overridden where the protocol has something to say.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .verdict import HarnessError

if TYPE_CHECKING:
    from .budgets import Budgets
    from .findings import Finding
    from .trace import Frame, Trace


class RunPeer:
    """Mixin of every fake peer a run uses: the hooks the run and the plugin call, each a no-op by default.

    A subclass also has (from the fake peer class it extends) ``url``, ``trace``, ``start()`` and ``stop()``;
    ``wires`` (the raw bytes of its connections, for the pcapng) may be empty."""

    harness_name = "HARNESS"  # the harness's side in sequence diagrams ("FAKE-...")
    is_client = False  # the peer goes to the DUT (it connects) rather than waiting for it
    unavailable: str | None = None  # why the peer cannot test this DUT here (the case is NOT_APPLICABLE)
    url: str
    trace: Trace
    wires: Any = ()

    def dut_url(self) -> str:
        """The URL the DUT is configured with (the peer's, or the DUT's own place under it)."""
        return self.url

    def begin_body(self, index: int) -> None:
        """The case's body starts at frame `index`: waits that keep a cursor read from there."""

    def after_test(self, start: int, budgets: Budgets, record: dict[str, Any]) -> dict[str, Any]:
        """Run the after-test checks over the frames from `start`, adding their findings to the trace. `record`
        holds what the protocol's fixtures noted for this test. Returns extra result fields (e.g. ``sizes``)."""
        return {}

    def place(self, findings: Iterable[Finding]) -> None:
        """Put each finding of an after-test check on the frame it names, or on the trace."""
        for f in findings:
            if f.frame_index is not None:
                self.trace[f.frame_index].findings.append(f)
            else:
                self.trace.add_finding(f)

    def evidence(self, frames: list[Frame], folder: Path) -> dict[str, str]:
        """Protocol-specific evidence files of one test, written into `folder`: {name: path}."""
        return {}

    def adapter_env(self) -> dict[str, str]:
        """Values a command adapter's templates may use beside ``identity`` (e.g. the peer's URL under the name
        docs/adapters.md gives it for the protocol)."""
        return {}

    def simulator_started(self, simulator: Any) -> None:
        """The reference simulator is up (some of its values are only known now, e.g. a port it chose)."""

    def adapter_ready(self, adapter: Any) -> None:
        """The DUT adapter is made: the peer may wrap it (e.g. to note each action in its trace)."""

    def serve_until(self, stop: threading.Event, say: Callable[[str], None]) -> None:
        """`vgitest serve`: what the peer does on its own until `stop` is set. A server peer answers whoever comes
        and needs nothing here; a client peer starts its exchanges with the DUT (and `say`s how each ended)."""


@dataclasses.dataclass(frozen=True)
class ReferenceRun:
    """A built-in run of `vgitest run` (and `make run`): a suite against a reference device's profile."""

    name: str  # what `vgitest run --only` takes
    profile: str  # a built-in profile (profiles/<name>.toml)
    suite: str  # its folder in suites/
    select: str | None = None  # only the cases of this pytest -k expression
    shards: int = 1  # split across this many processes, each with its own reference device, when -j allows it
    expected_s: float = 30.0  # how long it takes in one process on a 2-core machine (the longest start first)
    more_suites: tuple[str, ...] = ()  # further folders run in the same process (2.1: suites/ocpp21 after ocpp201)


@dataclasses.dataclass(frozen=True)
class PeerKind:
    """What a protocol package declares to the run: how to build its fake peer, and its reference devices."""

    protocol: str  # the profile's [dut] protocol
    versions: tuple[str, ...]  # the [dut] versions its suites are written for (their vgi_protocol markers)
    make: str  # "module:function": the started fake peer for a run (a vgitest.run.VgiRun: its profile, settings,
    # budgets and folder; typed Any here, since the run imports this module)
    simulators: dict[str, str] = dataclasses.field(default_factory=dict)  # version -> "module:Class" of its
    # reference simulator (where the role decides, the profiles name it: [adapter] simulator)
    listens_on_port: bool = False  # the peer listens on --vgi-port (checked free before the run)
    serve: dict[str, str] = dataclasses.field(default_factory=dict)  # `vgitest serve` name -> open profile TOML
    suites: dict[str, str] = dataclasses.field(default_factory=dict)  # folder in suites/ -> its title in the docs
    pics: dict[str, str] = dataclasses.field(default_factory=dict)  # PICS feature -> what a device declares with it
    rank: int = 100  # where its suites come in generated docs and listings (lower first)
    runs: tuple[ReferenceRun, ...] = ()  # its built-in reference runs
    actions: tuple[Any, ...] = ()  # physical actions only its devices have (vgitest.actions.Action)

    def build(self, run: Any) -> RunPeer:
        """The started fake peer for `run`."""
        module, function = self.make.split(":")
        return getattr(importlib.import_module(module), function)(run)


def _roots() -> list[Path]:
    import vgitest
    return [Path(p) for p in vgitest.__path__]


def protocols() -> list[str]:
    """Every protocol package found (a folder of the vgitest package with a protocol.py), sorted."""
    return list(_scan(tuple(_roots())))


@functools.lru_cache(maxsize=8)
def _scan(roots: tuple[Path, ...]) -> tuple[str, ...]:
    """The folders are read once per set of package roots: a suite process asks a hundred times or more."""
    return tuple(sorted({d.name for root in roots for d in root.iterdir() if (d / "protocol.py").is_file()}))


def kind(protocol: str) -> PeerKind:
    """The PeerKind of `protocol`; a HarnessError naming the known ones when there is none."""
    if protocol not in protocols():
        raise HarnessError(f"no fake peer for protocol {protocol!r} (known: {', '.join(protocols())})")
    return importlib.import_module(f"vgitest.{protocol}.protocol").KIND


def fixture_modules() -> list[str]:
    """The modules of pytest fixtures the protocol packages hold (vgitest/<protocol>/fixtures.py)."""
    return [f"vgitest.{p}.fixtures" for p in protocols()
            if any((root / p / "fixtures.py").is_file() for root in _roots())]


def versions() -> dict[str, tuple[str, ...]]:
    """protocol -> the DUT versions its suites are written for."""
    return {p: kind(p).versions for p in protocols()}


def kinds() -> list[PeerKind]:
    """Every protocol's PeerKind, in doc order."""
    return sorted((kind(p) for p in protocols()), key=lambda k: (k.rank, k.protocol))


def suite_protocols() -> dict[str, str]:
    """Folder in suites/ -> the protocol its cases are for."""
    return {suite: k.protocol for k in kinds() for suite in k.suites}


def reference_runs() -> list[ReferenceRun]:
    """Every protocol's built-in reference runs, in doc order."""
    return [run for k in kinds() for run in k.runs]


def serve_names() -> dict[str, tuple[str, str]]:
    """`vgitest serve` peer name -> (protocol, the open profile used without --profile)."""
    return {name: (p, toml) for p in protocols() for name, toml in kind(p).serve.items()}
