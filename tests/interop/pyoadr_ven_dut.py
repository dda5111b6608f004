"""pyoadr-ven 0.6.0 (Carbon Co-op, PyPI, Apache-2.0; grown from VOLTTRON's OpenADR VEN agent) as a VEN under test.

pyoadr-ven runs in a process of its own (`tests/interop/pyoadr_ven_driver.py`) under the interpreter of a
virtualenv that holds it (:mod:`tests.interop.oracle_venv`): it is never a dependency of vgitest. Nothing of
vgitest runs in that process, so what reaches the fake VTN is pyoadr-ven's own XML, registration, polling,
event handling and reports.

The class fits the harness's `simulated` DUT adapter like `tests.interop.py20305_client`: ``Cls(vtn_url, name,
*, faults, params)``, ``start()``, ``stop()`` and ``perform(action, **params)``. pyoadr-ven registers once and
then lives on what it stored, so ``reregister`` starts the process afresh (new database, new registration) and
``reboot`` restarts it with what it stored. ``request_event`` and ``set_event_opt`` go to the driver's HTTP
hook. pyoadr-ven has no API to cancel its registration, to opt or to make an opt schedule: those actions end
the test INCONCLUSIVE, naming the missing API.

Each start logs to a file of its own in the folder PIXIT ``pyoadr_dir`` (default: a temporary folder), so a
reviewer can set pyoadr-ven's account next to the fake VTN's trace.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO, Any

from vgitest.verdict import HarnessError, Inconclusive

DRIVER = Path(__file__).resolve().parent / "pyoadr_ven_driver.py"
REQUIREMENT = "pyoadr-ven==0.6.0"
PYTHON_ENV = "VGITEST_PYOADR_PYTHON"  # the interpreter with pyoadr-ven (set by tests/interop/test_pyoadr_ven.py)
START_WAIT_S = 15.0  # until the driver serves its hook (pyoadr-ven imports a 40 000-line generated module)
STOP_GRACE_S = 3.0


class PyoadrVen:
    """pyoadr-ven behind its driver, restarted for ``reregister`` and ``reboot``."""

    def __init__(self, vtn_url: str, name: str = "pyoadr-ven", *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, **_: Any) -> None:
        if faults:
            raise ValueError("pyoadr-ven has no injectable faults (it is not vgitest's VEN)")
        params = dict(params or {})
        python = params.get("pyoadr_python") or os.environ.get(PYTHON_ENV)
        if not python:
            raise HarnessError(f"no interpreter with {REQUIREMENT}: set ${PYTHON_ENV} or PIXIT pyoadr_python "
                               "(tests/interop/oracle_venv.py builds one)")
        self.python = str(python)
        self.vtn_url = vtn_url
        self.name = name
        self.folder = Path(params.get("pyoadr_dir") or tempfile.mkdtemp(prefix="pyoadr-ven-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.tick_s = float(params.get("pyoadr_tick_s", 0.1))
        self.logs: list[Path] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._hook = ""

    # lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> "PyoadrVen":
        self._spawn(fresh=True)
        return self

    def stop(self) -> None:
        self._halt()

    def perform(self, action: str, **params: Any) -> None:
        """The `simulated` adapter's entry point."""
        fn = getattr(self, f"do_{action}", None)
        if fn is None:
            raise Inconclusive(f"pyoadr-ven 0.6.0 has no API to {action.replace('_', ' ')}")
        fn(**params)

    def do_reregister(self) -> None:
        """Register from scratch: a new process with an empty database."""
        self._halt()
        self._spawn(fresh=True)

    def do_reboot(self) -> None:
        """A restart that keeps what pyoadr-ven stored (its venID, the VTN's id and poll frequency)."""
        self._halt()
        self._spawn(fresh=False)

    def do_request_event(self) -> None:
        self._call("request_event")

    def do_set_event_opt(self, opt: str) -> None:
        self._call("set_event_opt", opt=opt)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # the process ---------------------------------------------------------------------------------------------
    def _spawn(self, *, fresh: bool) -> None:
        log = self.folder / f"start-{len(self.logs) + 1}.log"
        self.logs.append(log)
        port_file = self.folder / "hook.port"
        port_file.unlink(missing_ok=True)
        self._log = log.open("wb")
        cmd = [self.python, "-P", str(DRIVER), "--vtn-url", self.vtn_url, "--state-dir", str(self.folder),
               "--name", self.name, "--tick", str(self.tick_s)] + (["--fresh"] if fresh else [])
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                      cwd=self.folder, env=env)
        deadline = time.monotonic() + START_WAIT_S
        while not port_file.is_file():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                self._halt()
                raise HarnessError(f"the pyoadr-ven driver did not start (see {log}):\n{tail}")
            time.sleep(0.05)
        self._hook = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def _halt(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _call(self, action: str, **params: Any) -> None:
        url = f"{self._hook}/action/{action}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b""), timeout=20):
                return
        except urllib.error.HTTPError as e:
            if e.code == 501:
                raise Inconclusive(f"pyoadr-ven 0.6.0 has no API to {action.replace('_', ' ')}") from None
            raise HarnessError(f"the pyoadr-ven driver failed {action}: HTTP {e.code} {e.read()[:500]!r}") from None
        except OSError as e:
            raise HarnessError(f"the pyoadr-ven driver did not answer {action}: {e}") from None


if __name__ == "__main__":  # a manual run: python -m tests.interop.pyoadr_ven_dut VTN_URL
    ven = PyoadrVen(sys.argv[1], params={"pyoadr_python": sys.argv[2] if len(sys.argv) > 2 else None}).start()
    try:
        while ven.running:
            time.sleep(1)
    finally:
        ven.stop()
