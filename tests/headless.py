"""A headless Chromium for the tests that look at what a person would see (the single-file HTML report), driven
over the DevTools protocol with the `websockets` client vgitest already depends on: no browser automation package.

Debian's ``chromium-headless-shell`` (or ``chromium``) is enough; ``$VGITEST_CHROMIUM`` names another binary.
Every wait is bounded; the browser runs in a profile folder of its own and, with its helper processes, is
killed at the end."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

from websockets.sync.client import connect

CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("install Debian's chromium-headless-shell (`apt-get install --no-install-recommends "
                "chromium-headless-shell`, as .ci/run does), or name a Chromium with $VGITEST_CHROMIUM")


def find_chromium() -> str | None:
    """The Chromium binary to use, or None."""
    named = os.environ.get("VGITEST_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class Page:
    """One tab: navigate, evaluate JavaScript, take a screenshot; the URLs it asked the network for are kept."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self.requests: list[str] = []

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"Chromium did not answer {method} in {timeout:.0f} s")
            msg = json.loads(self._ws.recv(timeout=left))
            if msg.get("method") == "Network.requestWillBeSent":
                self.requests.append(msg["params"]["request"]["url"])
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result") or {})

    def evaluate(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails'].get('text')}")
        return res.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float, settle: float = 0.3) -> Any:
        """The value of `expression` once it is truthy and the same over `settle` seconds (a page that renders in
        steps is read when it stopped changing); the last value when `timeout` passes first."""
        end = time.monotonic() + timeout
        value, since = None, time.monotonic()
        while time.monotonic() < end:
            now = self.evaluate(expression)
            if now != value:
                value, since = now, time.monotonic()
            elif value and time.monotonic() - since >= settle:
                return value
            time.sleep(0.1)
        return value

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


@contextlib.contextmanager
def open_page(url: str, width: int = 1400, height: int = 900, timeout: float = 30.0) -> Iterator[Page]:
    """A headless Chromium showing `url` (loaded: the load event came), closed afterwards."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError(f"no Chromium found: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="vgitest-chromium-") as profile:
        log = Path(profile) / "stderr.log"  # a file, not a pipe: a chatty Chromium never blocks on a full pipe
        # --no-sandbox: CI containers and root cannot give Chromium its sandbox; it only opens files a test wrote.
        # --disable-dev-shm-usage: a container's small /dev/shm would crash it on a large report.
        with log.open("wb") as err:
            proc = subprocess.Popen([binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                     "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                                     f"--window-size={width},{height}", "about:blank"],
                                    stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            end = time.monotonic() + timeout
            while not (port_file.is_file() and port_file.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > end:
                    tail = log.read_text(errors="replace")[-500:]
                    raise RuntimeError(f"{binary} did not start (exit {proc.poll()}): {tail}")
                time.sleep(0.05)
            port = int(port_file.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as resp:
                target = next(t for t in json.load(resp) if t.get("type") == "page")
            with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout) as ws:
                page = Page(ws)
                page.send("Network.enable")
                page.send("Page.enable")
                page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                          mobile=False)
                page.send("Page.navigate", url=url)
                if not page.wait_for("location.protocol !== 'about:' && document.readyState === 'complete'",
                                     timeout, settle=0):
                    raise TimeoutError(f"{url} did not load in {timeout:.0f} s")
                yield page
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the browser and its renderer and helper processes
            proc.wait(timeout=10)
