"""OCPP's side of the fake-peer contract: the fake CSMS a run builds from its profile, its after-test checks
(rules over the test's frames, the Table 5 message sizes) and its evidence (an open-ocpp-trace file)."""

from __future__ import annotations

import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..peer import RunPeer
from ..verdict import HarnessError
from .csms import FakeCsms

if TYPE_CHECKING:
    from ..budgets import Budgets
    from ..run import VgiRun
    from ..trace import Frame


class CsmsPeer(FakeCsms, RunPeer):
    """The fake CSMS as a run's peer: the station it waits for is the profile's identity."""

    harness_name = "FAKE-CSMS"
    identity = ""

    def after_test(self, start: int, budgets: Budgets, record: dict[str, Any]) -> dict[str, Any]:
        from . import checks
        end_ns = time.monotonic_ns()
        frames = self.trace.since(start)
        session = self.sessions.get(self.identity)
        known_tx = set(session.transactions) if session is not None else set()
        self.place(checks.run_all(frames, budgets, test_end_ns=end_ns, heartbeat_interval=record.get("initial_hb"),
                                  known_transactions=known_tx))
        table = checks.size_table(frames, budgets)
        self.place(checks.size_findings(table, budgets))
        return {"sizes": table}

    def evidence(self, frames: list[Frame], folder: Path) -> dict[str, str]:
        from ..evidence import jsonl
        jsonl.write_open_ocpp_trace(frames, folder / "trace.jsonl")
        return {"open_ocpp_trace": str(folder / "trace.jsonl")}

    def adapter_env(self) -> dict[str, str]:
        return {"csms_url": self.url}

    def dut_url(self) -> str:
        return self.url_for(self.identity)


def make(run: VgiRun) -> CsmsPeer:
    from .validator import load_errata
    p = run.require_profile()
    password = p.dut.get("password")
    sec = int(p.pixit.get("security_profile", 1 if password else 0))
    identity = run.identity
    cpo = p.pixit.get("cpo_name")
    peer = CsmsPeer(host=run.settings.host, port=run.settings.port,
                    identities={identity} if p.dut.get("identity") else None,
                    passwords={identity: password} if password and sec in (1, 2) else {}, security_profile=sec,
                    ssl_context=tls_context(run, sec), budgets=run.budgets, lenient=run.settings.lenient,
                    schema_path=run.settings.schemas, errata=load_errata(p.validation.get("allow", [])),
                    heartbeat_interval=int(p.pixit.get("heartbeat_interval", 60)),
                    connect_timeout=float(p.pixit.get("connect_timeout", 30)),
                    cpo_name=str(cpo) if cpo is not None else (run.pki.cpo_name if run.pki is not None else None))
    peer.identity = identity
    return peer.start()


def tls_context(run: VgiRun, security_profile: int) -> ssl.SSLContext | None:
    """The fake CSMS's TLS server context for security profiles 2 and 3: the lab's material (--vgi-tls-*), or an
    OCPP test PKI made for this run (PIXIT tls_material = "generated", what the reference runs use; the reference
    station then gets the CSMS root and its own certificate, and the negative TLS cases their bad material)."""
    s = run.settings
    p = run.require_profile()
    if security_profile < 2 and not s.tls_cert:
        return None
    if p.pixit.get("tls_material") == "generated" and not s.tls_cert:
        from . import testpki
        run.pki = testpki.make(run.run_dir / "pki", run.identity, str(p.pixit.get("cpo_name", testpki.DEFAULT_CPO)))
        run.simulator_params.update(run.pki.files())
        return run.pki.server_context("good", security_profile=security_profile)
    if not (s.tls_cert and s.tls_key):
        raise HarnessError(f"security profile {security_profile} needs --vgi-tls-cert and --vgi-tls-key, or "
                           "tls_material = \"generated\" in the PIXIT")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(s.tls_cert, s.tls_key)
    if security_profile == 3:
        if not s.tls_ca:
            raise HarnessError("security profile 3 needs --vgi-tls-ca to verify station certificates")
        ctx.verify_mode = ssl.CERT_OPTIONAL  # a missing certificate is judged at the handshake, with its rule
        ctx.load_verify_locations(s.tls_ca)
    return ctx
