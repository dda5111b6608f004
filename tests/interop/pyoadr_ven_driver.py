"""The program that runs pyoadr-ven 0.6.0 (Carbon Co-op, PyPI, Apache-2.0) as an OpenADR 2.0b VEN for the suite.

It runs under the interpreter of a virtualenv that has ``pyoadr-ven`` installed (never vgitest's: pyoadr-ven
pins nothing and skips its database set-up inside a pytest process), so it imports neither vgitest nor pytest.
It is the application pyoadr-ven expects around its ``OpenADRVenAgent``: it registers (``register``, again every
``--register-retry`` seconds until the VTN accepts) and keeps what the VTN assigned in ``state.json`` (as
pyoadr-ven's docstring asks), calls ``tick()`` every ``--tick`` seconds (pyoadr-ven then polls, registers its
reports and sends them by itself), feeds one telemetry value a second, and serves a small HTTP test hook for what
the harness asks of a VEN. One workaround an application needs: pyoadr-ven keeps the VTN's poll frequency as the
parsed schema object, on which its tick() fails, so the driver turns it into seconds (`_fix_poll_interval`).

    POST /action/request_event           agent.request_events()
    POST /action/set_event_opt?opt=optIn the agent's default opt decision (its only knob for opting)
    GET  /health                         200 once the agent runs

Everything else (registering anew, rebooting) is a restart of this process by its wrapper,
`tests.interop.pyoadr_ven_dut`; an action pyoadr-ven has no API for answers 501.

    python pyoadr_ven_driver.py --vtn-url http://127.0.0.1:8080/OpenADR2/Simple/2.0b --state-dir DIR \
        --hook-port 8767 [--fresh]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PATH = "/OpenADR2/Simple/2.0b"  # pyoadr-ven appends this path (and the service) to its vtn_address
REPORT = "vgi_usage"  # the reportSpecifierID of the one telemetry report
REPORT_PARAMETERS = {
    REPORT: {
        "report_name_metadata": "METADATA_TELEMETRY_USAGE",
        "report_interval_secs_default": 1,
        "telemetry_parameters": {
            "power": {"r_id": "power", "units": "powerReal", "min_frequency": 1, "max_frequency": 1,
                      "report_type": "usage", "reading_type": "Direct Read", "method_name": "power"},
        },
    }
}
log = logging.getLogger("pyoadr-ven-driver")


class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        from pyoadr_ven import OpenADRVenAgent

        self.args = args
        self.folder = Path(args.state_dir)
        self.folder.mkdir(parents=True, exist_ok=True)
        state_file = self.folder / "state.json"
        state = {} if args.fresh or not state_file.is_file() else json.loads(state_file.read_text())
        if not args.vtn_url.rstrip("/").endswith(PATH):
            raise SystemExit(f"pyoadr-ven only speaks to a VTN under {PATH}; got {args.vtn_url}")
        self.agent = OpenADRVenAgent(
            ven_id=state.get("ven_id", ""), vtn_id=state.get("vtn_id", ""),
            vtn_address=args.vtn_url.rstrip("/")[: -len(PATH)], client_pem_bundle=None, vtn_ca_cert=None,
            db_filepath=str(self.folder / "pyoadr-ven.sqlite"), log_xml=False, opt_default_decision="optIn",
            opt_timeout_secs=args.opt_timeout, poll_interval_secs=max(5, int(args.poll_interval)),
            report_parameters=REPORT_PARAMETERS)
        self.state_file = state_file
        self.registered = bool(state)
        if state:
            self.agent.poll_interval_secs = state["poll_interval_secs"]
        self.lock = threading.Lock()  # the agent is not thread-safe: ticks and hook actions take turns
        self.stopping = threading.Event()
        self.last_sample = 0.0

    def run(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                try:
                    if not self.registered:
                        self._register()
                    if self.registered:
                        self._fix_poll_interval()
                        self._sample()
                        self.agent.tick()
                except Exception:  # pyoadr-ven raises on what it cannot handle; an application keeps going
                    log.exception("tick")
            self.stopping.wait(self.args.tick if self.registered else self.args.register_retry)

    def _register(self) -> None:
        """Register (pyoadr-ven's `register`) until the VTN accepts, and keep what it assigned for the next
        start, as pyoadr-ven's docstring asks of an application."""
        self.agent.register(self.args.name)
        if not self.agent.ven_id:
            log.warning("registration failed; trying again in %s s", self.args.register_retry)
            return
        self.registered = True
        self._fix_poll_interval()
        self.state_file.write_text(json.dumps({"ven_id": self.agent.ven_id, "vtn_id": self.agent.vtn_id,
                                               "poll_interval_secs": self.agent.poll_interval_secs}))

    def _fix_poll_interval(self) -> None:
        """pyoadr-ven 0.6.0 keeps the VTN's oadrRequestedOadrPollFreq as the parsed schema object, not as
        seconds (extractors.decode_oadr_created_party_registration), and its tick() then fails comparing it
        with a float, so it would never poll on its own. An application has to turn it into seconds."""
        freq = self.agent.poll_interval_secs
        if freq is not None and not isinstance(freq, (int, float)):
            import isodate
            self.agent.poll_interval_secs = isodate.parse_duration(freq.duration).total_seconds()

    def _sample(self) -> None:
        now = time.monotonic()
        if now - self.last_sample >= 1.0:
            self.last_sample = now
            self.agent.add_telemetry_json(REPORT, {"power": 7200.0},
                                          start_time=datetime.now(timezone.utc).replace(tzinfo=None))

    def act(self, action: str, params: dict[str, str]) -> int:
        with self.lock:
            if action == "request_event":
                self.agent.request_events()
            elif action == "set_event_opt":
                self.agent.opt_default_decision = params.get("opt", "optIn")
            else:
                return 501
        return 200


def serve(driver: Driver, host: str, port: int) -> ThreadingHTTPServer:
    class Hook(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._reply(200 if self.path == "/health" else 404)

        def do_POST(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            if not url.path.startswith("/action/"):
                return self._reply(404)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            try:
                code = driver.act(url.path[len("/action/"):], params)
            except Exception as exc:  # noqa: BLE001 - reported to the harness, which decides
                log.exception("action %s", url.path)
                return self._reply(500, str(exc))
            self._reply(code, "" if code == 200 else "pyoadr-ven has no API for this action")

        def _reply(self, code: int, text: str = "") -> None:
            data = text.encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vtn-url", required=True)
    p.add_argument("--state-dir", required=True)
    p.add_argument("--name", default="pyoadr-ven")
    p.add_argument("--hook-host", default="127.0.0.1")
    p.add_argument("--hook-port", type=int, default=0, help="0: any free port (written to hook.port)")
    p.add_argument("--fresh", action="store_true", help="register anew (forget state.json and the database)")
    p.add_argument("--tick", type=float, default=0.1, help="s between two calls of agent.tick()")
    p.add_argument("--poll-interval", type=float, default=15, help="s: pyoadr-ven's own default before the VTN's")
    p.add_argument("--opt-timeout", type=int, default=0, help="s before pyoadr-ven applies its default opt")
    p.add_argument("--register-retry", type=float, default=3, help="s between two registration attempts")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.fresh:
        for name in ("state.json", "pyoadr-ven.sqlite"):
            (Path(args.state_dir) / name).unlink(missing_ok=True)
    driver = Driver(args)
    server = serve(driver, args.hook_host, args.hook_port)
    (Path(args.state_dir) / "hook.port").write_text(str(server.server_address[1]))
    try:
        driver.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
