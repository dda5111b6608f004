"""cactus-client (BSGIP's CSIP-AUS server tester) as a standing oracle of the fake 2030.5 server.

The fake server plays the utility's server for a DER client under test; cactus-client plays a DER client that
checks a server. Run against each other, cactus-client's verdicts say whether the fake server serves what a
CSIP server must. Each procedure gets a fresh fake server over CSIP TLS on loopback (TLS 1.2, CCM-8, the test
PKI's server chain of depth 3, the SERCA as cactus-client's trust anchor, verify_host_name off: a CSIP server
certificate names no host) and device clients with certificates from the same PKI.

cactus-client runs in its own virtualenv (``make cactus`` builds ``.venv-cactus`` with Python >= 3.12 and
``tests/interop/cactus-requirements.txt``), through `cactus_runner.py`. Its admin instructions (register an
EndDevice, create a DERControl, set a pollRate, ...) reach :class:`Admin` over a loopback HTTP endpoint, which
changes the fake server's data as the procedure asks. What the fake server has no knob for is refused, and the
procedure ends INCONCLUSIVE: a harness limit, never blamed on either side.

Verdicts, from cactus-client's outcome: PASS (it passed, no warnings), NON_STRICT (it passed with warnings:
cactus-client's ``--strict`` would fail it; rules ``CACTUS-WARN:<kind>``), FAIL (rules ``CACTUS:<step>`` per
failed step, ``CACTUS-XSD`` for an answer its schemas refused, ``CACTUS-INCOMPLETE`` when it did not get through
the procedure), INCONCLUSIVE (a set-up step the fake server cannot do, or a step still running without a failed
attempt when the time limit ran out: S-ALL-50 simulates a client for 72 hours), NOT_APPLICABLE (the procedure needs
a client kind that is not configured: an aggregator; the fake server serves direct DER clients).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from vgitest.sep2 import identity, testpki
from vgitest.sep2.resources import Program, Sep2State
from vgitest.sep2.server import FakeSep2Server

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-cactus"
RUNNER = Path(__file__).resolve().parent / "cactus_runner.py"
CANNOT = "vgitest admin cannot:"  # cactus_runner.CANNOT
PIN = 111115
MAX_WATTS = 5000
CLIENT_PEN = 32473  # the clients' own mRIDs (RFC 5612 documentation PEN, as the server's default)
DEVICES = (3, 2, 4)  # test-PKI chain depths of the device clients (one certificate each): dev1, dev2, dev3
ACTIVE_S, SCHEDULED_S = 600, 15  # durations of a created DERControl when the procedure gives none
SCHEDULED_IN_S = 10  # a scheduled DERControl without a start offset starts this soon ("any time")
CSIPAUS_W = ("opModExpLimW", "opModImpLimW", "opModGenLimW", "opModLoadLimW")  # ActivePower, csipaus namespace


def cactus_python() -> Path | None:
    """cactus-client's interpreter, when ``make cactus`` made it."""
    py = Path(os.environ.get("VGITEST_CACTUS_PYTHON") or VENV / "bin" / "python")
    return py if py.is_file() else None


def active_power(watts: float) -> dict[str, str]:
    """An ActivePower (value Int16 x 10^multiplier) for `watts`."""
    value, mult = float(watts), 0
    while abs(value) > 32767:
        value, mult = value / 10, mult + 1
    return {"multiplier": str(mult), "value": str(int(round(value)))}


class Admin:
    """Carries out cactus-client's admin instructions on one fake server's data (thread-safe)."""

    def __init__(self, state: Sep2State) -> None:
        self.state = state
        self.lock = threading.Lock()
        self.fsas: dict[str, int] = {}  # FSA annotation -> number
        self.current: dict[str, str] = {}  # client id -> the annotation of its group in use
        self.programs: list[Program] = []
        self.scheduled_until = 0  # scheduled controls are stacked one after the other
        self.log: list[str] = []

    def apply(self, what: dict) -> tuple[bool, str]:
        kind, p, client = what["type"], what.get("params") or {}, what.get("client") or {}
        with self.lock:
            fn = getattr(self, "do_" + kind.replace("-", "_"), None)
            if fn is None:
                return False, f"no knob for {kind}"
            why = fn(p, client)
            self.log.append(f"{what.get('step')}: {kind} {p} -> {why or 'done'}")
            self.state.changed()
            return (why is None), (why or "")

    # --- instructions -----------------------------------------------------------------------------------------
    def do_ensure_end_device(self, p: dict, client: dict) -> str | None:
        lfdi = identity.normalize_lfdi(str(client["lfdi"]))
        if not p.get("registered", True):
            self.state.devices.pop(lfdi, None)
            return None
        if p.get("has_registration_link") is False:
            return "its EndDevices always link a Registration"
        if lfdi not in self.state.devices:  # its groups are the ones the procedure asks for, in that order
            self.state.register_device(lfdi, pin=int(client.get("pin") or PIN)).fsas = []
        return None

    def do_ensure_mup_list_empty(self, p: dict, client: dict) -> str | None:
        self.state.mirror_usage_points.clear()
        self.state.readings.clear()
        return None

    def do_ensure_fsa(self, p: dict, client: dict) -> str | None:
        self._fsa(p.get("annotation"), client)
        return None

    def do_ensure_der_program(self, p: dict, client: dict) -> str | None:
        fsa = self._fsa(p.get("fsa_annotation"), client)
        primacy = p.get("primacy")
        if not any(pr.fsa == fsa and (primacy is None or pr.primacy == int(primacy)) for pr in self.programs):
            self.programs.append(self.state.add_program(int(primacy) if primacy is not None else 1, fsa=fsa,
                                                        description=f"cactus p{primacy}"))
        return None

    def do_ensure_der_control_list(self, p: dict, client: dict) -> str | None:
        self._program(None, self._fsa(None, client))  # every program links a (subscribable) DERControlList
        return None

    def do_create_der_control(self, p: dict, client: dict) -> str | None:
        prog = self._program(p.get("primacy"), self._fsa(None, client))
        now = self.state.now()
        scheduled = p.get("status", "active") == "scheduled"
        duration = int(p.get("duration_seconds") or (SCHEDULED_S if scheduled else ACTIVE_S))
        if scheduled:
            start = max(now + int(p.get("start_offset_seconds") or SCHEDULED_IN_S), self.scheduled_until)
            self.scheduled_until = start + duration
        else:
            start = now - 1 - int(p.get("start_offset_seconds") or 0)
        ctl = self.state.add_control(prog, self._base(p), start_in_s=start - now, duration_s=duration,
                                     randomize_start=p.get("randomizeStart_seconds"))
        self.log.append(f"DERControl {ctl.mrid} {ctl.base} from {start} for {duration} s")
        return None

    def do_create_default_der_control(self, p: dict, client: dict) -> str | None:
        prog = self._program(p.get("primacy"), self._fsa(None, client))
        prog.default_base = self._base(p)
        prog.default_mrid = prog.default_mrid or self.state.mrid(0xD1, prog.number)
        if p.get("setGradW") is not None:
            prog.default_settings["setGradW"] = str(int(p["setGradW"]))
        return None

    def do_clear_der_controls(self, p: dict, client: dict) -> str | None:
        live = [c for prog in self.state.programs for c in prog.controls if c.status < 2]
        for ctl in live if p.get("all") else sorted(live, key=lambda c: (c.creation, c.number))[-1:]:
            self.state.cancel(ctl)
        return None

    def do_set_poll_rate(self, p: dict, client: dict) -> str | None:
        self.state.poll_rates[str(p["resource"])] = int(p["rate_seconds"])
        return None

    def do_set_post_rate(self, p: dict, client: dict) -> str | None:
        return "the fake server gives no postRate of its own to a MirrorUsagePoint"

    def do_set_client_access(self, p: dict, client: dict) -> str | None:
        lfdi = identity.normalize_lfdi(str(client["lfdi"])) or ""
        (self.state.denied.discard if p.get("granted", True) else self.state.denied.add)(lfdi)
        return None

    # --- helpers ----------------------------------------------------------------------------------------------
    def _fsa(self, annotation: str | None, client: dict) -> int:
        dev = self.state.devices.get(identity.normalize_lfdi(str(client.get("lfdi", ""))) or "")
        cid = str(client.get("id"))
        # without an annotation: the group the procedure last named for this client, else the client's own (a
        # utility's per-site group: another client never reads its programs)
        annotation = annotation or self.current.get(cid) or f"site of {cid}"
        self.current[cid] = annotation
        if annotation in self.fsas:
            n = self.fsas[annotation]
        else:
            n = self.fsas[annotation] = self.state.add_fsa(annotation)
        if dev is not None and n not in dev.fsas:
            dev.fsas.append(n)
        return n

    def _program(self, primacy: int | None, fsa: int) -> Program:
        """The program of that primacy (in any group: procedures name programs by primacy), else one in `fsa`."""
        found = [pr for pr in self.programs if pr.primacy == int(primacy)] if primacy is not None else \
            [pr for pr in self.programs if pr.fsa == fsa]
        if found:
            return found[-1]
        prog = self.state.add_program(int(primacy) if primacy is not None else 1, fsa=fsa,
                                      description=f"cactus p{primacy if primacy is not None else 1}")
        self.programs.append(prog)
        return prog

    @staticmethod
    def _base(p: dict) -> dict:
        base: dict[str, Any] = {}
        for key in ("opModConnect", "opModEnergize"):
            if p.get(key) is not None:
                base[key] = "true" if p[key] else "false"
        if p.get("opModFixedW") is not None:
            base["opModFixedW"] = str(int(round(float(p["opModFixedW"]))))
        if p.get("rampTms") is not None:
            base["rampTms"] = str(int(p["rampTms"]))
        for key in CSIPAUS_W:
            if p.get(key) is not None:
                base[f"csipaus:{key}"] = active_power(float(p[key]))
        return base


@contextlib.contextmanager
def admin_endpoint(admin: Admin) -> Iterator[str]:
    """The loopback URL cactus_runner posts admin instructions to."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                done, why = admin.apply(json.loads(body))
            except Exception as exc:  # noqa: BLE001 (answered, never a crash of the test's thread)
                done, why = False, f"{type(exc).__name__}: {exc}"
            data = json.dumps({"done": done, "why": why}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, name="cactus-admin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/admin"
    finally:
        httpd.shutdown()
        httpd.server_close()


def config_yaml(pki: testpki.CsipPki, dcap: str, output: Path) -> str:
    """cactus-client's configuration: the fake server and one device client per DEVICES chain."""
    serca = pki.files(3)["tls_ca"]
    lines = [f"output_dir: {json.dumps(str(output))}", "server:", f"  device_capability_uri: {json.dumps(dcap)}",
             "  verify_ssl: true", "  verify_host_name: false", f"  serca_pem_file: {json.dumps(serca)}",
             f"  pen: {Sep2State().pen}", "clients:"]
    for i, depth in enumerate(DEVICES, 1):
        f = pki.files(depth)
        lfdi = f["lfdi"]
        lines += [f"- id: dev{i}", "  type: device", f"  certificate_file: {json.dumps(f['tls_cert'])}",
                  f"  key_file: {json.dumps(f['tls_key'])}", f"  lfdi: {lfdi}", f"  sfdi: {identity.sfdi(lfdi)}",
                  f"  pen: {CLIENT_PEN}", f"  pin: {PIN}", f"  max_watts: {MAX_WATTS}"]
    return "\n".join(lines) + "\n"


@dataclasses.dataclass
class Outcome:
    """One procedure's run: the oracle result (results.json shape) and what explains it."""

    result: dict[str, Any]
    raw: dict[str, Any]
    admin_log: list[str]
    seconds: float


WARNINGS = (  # cactus-client's warning texts by kind (a rule id per kind, not per resource it names)
    ("don't encode a base10 integer", "MRID-PEN-DECIMAL"),
    ("Skipping DERProgram", "PROGRAM-SKIPPED"),
    ("didn't match the values submitted", "READ-BACK"),
    ("'all' attribute", "LIST-ALL"),
    ("'results' attribute", "LIST-RESULTS"),
)


def warning_rule(message: str) -> str:
    kind = next((k for text, k in WARNINGS if text in message), None)
    return f"CACTUS-WARN:{kind or re.sub(r'[0-9A-F]{8,}|/[^ ]*|[0-9]+', 'N', message)[:60]}"


def verdict(test: str, raw: dict[str, Any]) -> dict[str, Any]:
    """cactus-client's outcome as a results.json row (test, verdict, findings with rule and severity, message)."""
    if "not_run" in raw:
        return {"test": test, "verdict": "NOT_APPLICABLE", "findings": [], "message": raw["not_run"]}
    if "error" in raw or "passed" not in raw:
        return {"test": test, "verdict": "ERROR", "findings": [], "message": raw.get("error", "no outcome")}
    steps = raw.get("steps", [])
    cannot = [s for s in steps if CANNOT in (s.get("exc") or "")]
    failed = [s for s in steps if not s["passed"] and not s["skipped"]]
    warns = [{"rule": warning_rule(w["message"]), "severity": "warn", "message": f"{w['source']}: {w['message']}"}
             for w in raw.get("warnings", [])]
    if cannot:
        return {"test": test, "verdict": "INCONCLUSIVE", "findings": [],
                "message": "; ".join(f"{s['id']}: {s['exc']}" for s in cannot)}
    if failed and all(s.get("in_progress") for s in failed) and not raw.get("xsd_errors"):
        return {"test": test, "verdict": "INCONCLUSIVE", "findings": [],  # the harness's time limit, not a failure
                "message": "not finished within the time limit: " + "; ".join(f"{s['id']}: {s['failure']}"
                                                                             for s in failed)}
    if raw["passed"]:
        return {"test": test, "verdict": "NON_STRICT" if warns else "PASS", "findings": warns,
                "message": "; ".join(w["message"] for w in warns)[:2000]}
    fails = [{"rule": f"CACTUS:{s['id']}", "severity": "fail", "message": s.get("failure") or s.get("exc") or ""}
             for s in failed]
    if raw.get("xsd_errors"):
        fails.append({"rule": "CACTUS-XSD", "severity": "fail", "message": json.dumps(raw["xsd_errors"])[:1000]})
    if not raw.get("execution_complete", True) and not failed:
        fails.append({"rule": "CACTUS-INCOMPLETE", "severity": "fail", "message": "did not get through the steps"})
    info = [{**w, "severity": "info"} for w in warns]
    return {"test": test, "verdict": "FAIL", "findings": fails + info,
            "message": "; ".join(f"{f['rule']}: {f['message']}" for f in fails)[:2000]}


def run_procedure(test: str, pki: testpki.CsipPki, folder: Path, *, timeout_s: int = 120) -> Outcome:
    """One cactus-client procedure against a fresh fake server over CSIP TLS."""
    py = cactus_python()
    assert py is not None, "cactus-client is not installed (make cactus)"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "out").mkdir(exist_ok=True)
    srv = FakeSep2Server(ssl_context=pki.server_context(3), csip_aus=True).start()  # it speaks CSIP-AUS v1.2
    srv.xml_declaration = False  # cactus-client 1.3.3 cannot parse a body that declares its encoding
    admin = Admin(srv.state)
    t0 = time.monotonic()
    try:
        with admin_endpoint(admin) as url:
            cfg = folder / "cactus.yaml"
            cfg.write_text(config_yaml(pki, srv.url, folder / "out"))
            out = folder / "outcome.json"
            proc = subprocess.run([str(py), str(RUNNER), "--config", str(cfg), "--admin", url, "--id", test,
                                   "--out", str(out), "--timeout", str(timeout_s)], cwd=folder, capture_output=True,
                                  text=True, timeout=timeout_s + 60)
            (folder / "runner.log").write_text(proc.stdout + proc.stderr)
            raw = json.loads(out.read_text()) if out.is_file() else {"error": (proc.stdout + proc.stderr)[-3000:]}
        found = [f"{fr.name}: {f}" for fr in srv.trace for f in fr.findings]  # what the server made of cactus
    finally:
        srv.stop()
    return Outcome(verdict(test, raw), raw, admin.log + found, time.monotonic() - t0)
