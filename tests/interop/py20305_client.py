"""py20305 (PyPI; the open IEEE 2030.5 / CSIP client of Project Satori, by DER Security and the SunSpec Alliance)
as a DER client under test, run as its own program: ``python -m py20305 --config client.json``.

It is configured the way its README tells a deployment to be: the server URL, the device certificate (with its
chain) and key, the CA of the server's chain, the expected Registration PIN, and one no-hardware ``print_demo``
device under the certificate's own LFDI. Nothing of vgitest runs inside it, so what reaches the fake server is
py20305's own discovery, registration, event engine and telemetry. Two settings follow from the fake server,
not from taste: ``check_hostname`` is off (a CSIP server certificate names no host, see `vgitest.sep2.security`)
and ``server_2018_compat`` is on (the fake server speaks 2030.5-2018); the operations history (a local SQLite
file) is off.

Each start writes py20305's DEBUG log to a file of its own and is listed in ``starts.json`` with the test that
started it, so a test can set py20305's own account next to the server's: :func:`tls_outcome` reads from a log
whether py20305 refused the server's certificate chain or completed a request over it.

The class fits the harness's `simulated` DUT adapter like `tests.interop.mh_station`: ``Cls(dcap_url, name, *,
faults, params)``, ``start()``, ``stop()`` and ``perform(action, **params)``. Its one action is ``reregister``: the
process is killed, as by a power cut, and started again, so py20305 walks from DeviceCapability over a new TLS
connection. A kill, not SIGTERM: a COMM-004 case swaps the server's certificate chain just before, and an old
process shutting down in order would still finish its requests over the new chain, so the case would judge the
old process instead of the new one. Every start returns once py20305 has a first answer over its connection or
has given the connection up (bounded), so each start's log says what py20305 did with the chain it was shown.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from vgitest.sep2 import identity
from vgitest.verdict import Inconclusive

STOP_GRACE_S = 2.0  # SIGTERM, then SIGKILL: py20305 only sees SIGTERM between connection attempts, and its TLS
#                     retries (8, backing off to 8 s) can keep it from doing so for ~16 s
CONNECT_WAIT_S = 8.0  # how long a start waits for py20305's first connection to be answered or given up

# py20305 0.16.1's log lines: a response received over a connection (py20305.client.http at DEBUG), and its TLS
# layer giving up on one (a certificate OpenSSL refused, or its own IEEE 2030.5 chain audit on Python >= 3.13).
_ANSWERED = re.compile(r"py20305\.client\.http: (?:GET|HEAD|PUT|POST|DELETE) https://\S+ -> \d{3}")
_REFUSED = re.compile(r"TLS error|SSLCertVerificationError|CERTIFICATE_VERIFY_FAILED|chain rejected|CertChainError")


def tls_outcome(log: str) -> str:
    """What py20305 did on its first connection, by its own log: "accepted" (a request was answered over it),
    "refused" (its TLS layer gave the connection up) or "undecided" (neither happened)."""
    for line in log.splitlines():
        if _ANSWERED.search(line):
            return "accepted"
        if _REFUSED.search(line):
            return "refused"
    return "undecided"


@dataclasses.dataclass
class Start:
    """One run of the py20305 process."""

    number: int
    reason: str  # "start" or the DUT action that restarted it
    test: str | None  # $PYTEST_CURRENT_TEST when it was started: which test asked for it
    log: str
    started: float  # wall clock
    returncode: int | None = None

    def outcome(self) -> str:
        return tls_outcome(Path(self.log).read_text(errors="replace"))


def load_starts(folder: Path) -> list[Start]:
    """The starts a client recorded in `folder` (its PIXIT ``py20305_dir``), e.g. from another process."""
    return [Start(**s) for s in json.loads((folder / "starts.json").read_text())]


class Py20305DerClient:
    """py20305's runner in a subprocess, restarted on ``reregister``."""

    def __init__(self, dcap_url: str, name: str = "py20305", *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, **_: Any) -> None:
        if faults:
            raise ValueError("py20305 has no injectable faults (it is not vgitest's client)")
        p = dict(params or {})
        missing = [k for k in ("tls_cert", "tls_key", "tls_ca") if not p.get(k)]
        if missing:
            raise ValueError(f"py20305 needs its TLS files: PIXIT {', '.join(missing)} (or tls_material = "
                             "\"generated\")")
        self.name = name
        self.python = str(p.get("py20305_python") or sys.executable)  # another interpreter with py20305 installed
        self.folder = Path(p.get("py20305_dir") or tempfile.mkdtemp(prefix="py20305-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        cert = Path(p["tls_cert"]).read_bytes()
        self.lfdi = identity.normalize_lfdi(str(p.get("lfdi") or "")) or _lfdi_of(cert)
        url = urlsplit(dcap_url)
        pin = p.get("pin")
        self.config = {
            "server": {"url": f"{url.scheme}://{url.netloc}", "dcap_path": url.path or "/dcap",
                       "server_2018_compat": bool(p.get("server_2018_compat", True))},
            "tls": {"client_cert": str(p["tls_cert"]), "client_key": str(p["tls_key"]), "ca_cert": str(p["tls_ca"]),
                    "check_hostname": False},
            "devices": [{"type": "print_demo", "lfdi": self.lfdi.lower(), "description": name}],
            "registration_pins": {self.lfdi.lower(): int(pin)} if pin is not None else {},
            "telemetry": {"post_rate_seconds": int(p.get("post_rate_s", 300))},
            "connection": {"initial_delay_seconds": 1, "max_delay_seconds": 2},
            "logging": {"level": "DEBUG"},
            "history": {"enabled": False},
        }
        self.starts: list[Start] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> Py20305DerClient:
        (self.folder / "client.json").write_text(json.dumps(self.config, indent=2))
        self._spawn("start")
        return self

    def stop(self) -> None:
        self._halt()

    def perform(self, action: str, **params: Any) -> None:
        """The `simulated` adapter's entry point."""
        fn = getattr(self, f"do_{action}", None)
        if fn is None:
            raise Inconclusive(f"py20305 cannot be made to {action.replace('_', ' ')} from outside")
        fn(**params)

    def do_reregister(self) -> None:
        """Start over after a power cut: a new process walks from DeviceCapability over a new connection."""
        self._halt(grace=0)
        self._spawn("reregister")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self, start: int = -1) -> str:
        """py20305's log of one start (default: the latest)."""
        return Path(self.starts[start].log).read_text(errors="replace")

    # the process ---------------------------------------------------------------------------------------------
    def _spawn(self, reason: str) -> None:
        number = len(self.starts) + 1
        log = self.folder / f"start-{number}.log"
        self._log = log.open("wb")
        self._proc = subprocess.Popen([self.python, "-m", "py20305", "--config", str(self.folder / "client.json")],
                                      stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                      cwd=self.folder)
        start = Start(number, reason, os.environ.get("PYTEST_CURRENT_TEST"), str(log), time.time())
        self.starts.append(start)
        self._save()
        deadline = time.monotonic() + CONNECT_WAIT_S
        while self._proc.poll() is None and start.outcome() == "undecided" and time.monotonic() < deadline:
            time.sleep(0.05)

    def _halt(self, grace: float = STOP_GRACE_S) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if grace > 0:
                proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            self.starts[-1].returncode = proc.returncode
            self._save()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _save(self) -> None:
        (self.folder / "starts.json").write_text(json.dumps([dataclasses.asdict(s) for s in self.starts], indent=1))


def _lfdi_of(cert_pem: bytes) -> str:
    from cryptography import x509
    return identity.lfdi(x509.load_pem_x509_certificate(cert_pem))
