"""IEEE 2030.5's side of the fake-peer contract: the fake 2030.5 server a run builds from its profile (CSIP TLS
from the lab's files or a test PKI made for the run, out-of-band registration of the client's LFDI), its
after-test checks, and the note of each DUT action in its trace."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from ..peer import RunPeer
from ..profile import Profile
from ..verdict import HarnessError
from .server import FakeSep2Server

if TYPE_CHECKING:
    from ..budgets import Budgets
    from ..run import VgiRun


class Sep2Peer(FakeSep2Server, RunPeer):
    """The fake 2030.5 server as a run's peer."""

    harness_name = "FAKE-2030.5"

    def after_test(self, start: int, budgets: Budgets, record: dict[str, Any]) -> dict[str, Any]:
        from . import checks
        self.session.show_background()  # the steps of exchanges that ended after the body's last wait
        self.place(checks.run_all(list(self.trace), start, budgets))
        return {}

    def adapter_env(self) -> dict[str, str]:
        return {"dcap_url": self.url}

    def simulator_started(self, simulator: Any) -> None:
        """Note the run's start of the client in the trace, as every restart a test asks for is noted: a client that
        just started walks its resources (py20305 walks twice, the second time once its telemetry has started, a
        second or two later), which is no polling; without the note the first case judged that walk when its
        frames happened to include it (SEP2-POLL-TOO-OFTEN on every resource)."""
        from .checks import RESTART_MARK
        self.note(f"{RESTART_MARK}: the run started the client ({type(simulator).__name__})")

    def adapter_ready(self, adapter: Any) -> None:
        """Note every DUT action in the trace: a client told to restart walks its resources again at once, which
        must not count as polling too often (and the evidence shows what the test asked for)."""
        from .checks import RESTART_MARK
        perform = adapter.perform

        def perform_marked(action: str, **params: Any) -> Any:
            self.note(f"{RESTART_MARK}: {action}")
            return perform(action, **params)

        adapter.perform = perform_marked


def make(run: VgiRun) -> Sep2Peer:
    p = run.require_profile()
    ssl_context = _tls(run, p)
    server = Sep2Peer(host=run.settings.host, port=run.settings.port, ssl_context=ssl_context,
                      schema_version=run.dut_version or "2018", csip_aus=_csip_aus(p),
                      lenient=run.settings.lenient, schema_path=run.settings.schemas,
                      max_body_bytes=int(p.pixit.get("max_body_bytes", 1 << 20)),
                      notify_ssl_context=_notify_tls(run, p) if ssl_context else None,
                      notify_timeout_s=float(p.pixit.get("notification_timeout_s", 5))).start()
    server.state.poll_rate_s = int(p.pixit.get("poll_rate_s", 900))
    server.state.pen = int(p.pixit.get("server_pen", server.state.pen))
    lfdi = p.pixit.get("lfdi") or run.simulator_params.get("lfdi")
    if lfdi and str(p.pixit.get("registration", "out_of_band")) == "out_of_band":
        pin = p.pixit.get("pin", 111115)
        server.state.register_device(str(lfdi), pin=int(pin) if pin is not None else None)
    return server


def _csip_aus(p: Profile) -> bool | str:
    """The CSIP-AUS version the server starts in: the first the client implements (PIXIT csip_aus_versions) that
    the server speaks; a CACTUS procedure may switch it for its time (vgitest.sep2.cactus.versions)."""
    if not p.supports("CsipAus"):
        return False
    from .cactus import versions
    return next((v for v in versions.parse(p.pixit.get("csip_aus_versions")) if v in versions.SPOKEN), True)


def _tls(run: VgiRun, p: Profile) -> ssl.SSLContext | None:
    """CSIP TLS when the PICS declares it: the user's server certificate and the SERCA of the client's chain
    (--vgi-tls-*), or a CSIP test PKI made for this run (PIXIT tls_material = "generated")."""
    if not p.supports("Tls"):
        return None
    from . import security
    s = run.settings
    if s.tls_cert and s.tls_key and s.tls_ca:
        return security.server_context_files(s.tls_cert, s.tls_key, s.tls_ca)
    if p.pixit.get("tls_material") != "generated":
        raise HarnessError("the PICS declares Tls: pass --vgi-tls-cert, --vgi-tls-key and --vgi-tls-ca (the "
                           "SERCA of your client's chain), or set tls_material = \"generated\" in the PIXIT")
    from . import testpki
    depth = int(p.pixit.get("chain_depth", 3))
    run.pki = testpki.make(run.run_dir / "csip-pki")
    run.simulator_params.update(run.pki.files(depth))
    return run.pki.server_context(depth)


def _notify_tls(run: VgiRun, p: Profile) -> ssl.SSLContext:
    """The fake 2030.5 server as TLS client of a subscribed client's listener: its own certificate, and the
    SERCA it checks the listener's with (the same files as its server side; call after `_tls`)."""
    from . import security
    s = run.settings
    if s.tls_cert and s.tls_key and s.tls_ca:
        return security.client_context_files(s.tls_ca, s.tls_cert, s.tls_key)
    if run.pki is None:
        raise HarnessError("the notification client needs the CSIP test PKI or --vgi-tls-* files")
    return run.pki.notifier_context(int(p.pixit.get("chain_depth", 3)))
