"""Run a reference simulator (charging station, VEN) as a separate process with an HTTP test hook.

This is what a vendor's own device looks like to the harness: a program that talks to the fake peer's URL
and performs physical actions when its test hook is called. The `command` DUT adapter maps each action to a
shell command such as::

    curl -fsS -X POST "http://127.0.0.1:8765/action/plug_in?connector=1"

Endpoints: ``POST /action/<name>?param=value...`` performs a DUT action (power_on, reboot, plug_in,
reregister, opt_out, ...); ``GET /health`` answers 200 once the simulator runs.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import peer


def _coerce(v: str) -> Any:
    return int(v) if v.isdigit() else v


def checked_params(params: dict[str, Any], protocol: str) -> dict[str, Any]:
    """--param values as the profile's [pixit] would be read: old names renamed, problems said on stderr."""
    from .pixit import check
    params, problems = check(params, protocol)
    for problem in problems:
        print(f"vgitest: --param: {problem.text}", file=sys.stderr)
    return params


def serve(version: str, peer_url: str, identity: str, password: str | None, hook_host: str, hook_port: int,
          connectors: int = 1, faults: tuple[str, ...] = (), params: dict[str, Any] | None = None,
          ready: threading.Event | None = None, protocol: str = "ocpp", powered: bool = True,
          simulator: str | None = None, harness_params: dict[str, Any] | None = None) -> None:
    """Start the reference simulator for (protocol, version) (or `simulator`, "module:Class") against `peer_url`;
    serve its hook until killed. With `powered` false it stays off until its hook is asked for `power_on` (what a
    run does at its start). `harness_params` are what a run itself gives its simulators (not PIXIT: unchecked)."""
    params = {**checked_params(params or {}, protocol), **(harness_params or {})}
    target = simulator or peer.kind(protocol).simulators.get(version)
    if target is None:
        raise SystemExit(f"vgitest: no reference simulator for {protocol} {version}")
    mod, cls = target.split(":")
    station = getattr(importlib.import_module(mod), cls)(peer_url, identity, password=password,
                                                          connectors=connectors, faults=faults,
                                                          params=params)
    csms_url = peer_url

    class Hook(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            if self.path == "/health":
                events = getattr(station, "events", None) or getattr(station, "log", [])
                self._reply(200, {"identity": identity, "version": version, "events": list(events)[-20:]})
            else:
                self._reply(404, {"error": "unknown endpoint"})

        def do_POST(self) -> None:  # noqa: N802
            url = urllib.parse.urlsplit(self.path)
            if not url.path.startswith("/action/"):
                self._reply(404, {"error": "use POST /action/<name>"})
                return
            action = url.path[len("/action/"):]
            params = {k: _coerce(v[-1]) for k, v in urllib.parse.parse_qs(url.query).items()}
            try:
                station.perform(action, **params)
            except (ValueError, TypeError) as exc:
                self._reply(400, {"error": str(exc)})
                return
            self._reply(200, {"done": action, "params": params})

        def log_message(self, fmt: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((hook_host, hook_port), Hook)
    station.start(powered=powered)
    if ready is not None:
        ready.set()
    where = getattr(station, "listening", "")  # a device that listens says where (e.g. an EVSE's SDP port)
    sdp = f"; listening on {where}" if where else ""
    print(f"reference {protocol} {version} simulator {identity} -> {csms_url}{'' if powered else ' (off)'}{sdp}; test "
          f"hook on http://{hook_host}:{server.server_address[1]}/action/<name>", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        station.stop()
