"""ISO 15118 / DIN SPEC 70121's side of the fake-peer contract: the fake SECC (an EV under test) or the fake EVCC
(an EVSE under test) a run builds from its profile, with TLS and Plug & Charge material from the lab's files or
a V2G test PKI made for the run. Both judge every frame themselves (timing at the socket), so there are no
after-test checks."""

from __future__ import annotations

import ssl
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..peer import RunPeer
from ..profile import Profile
from ..verdict import HarnessError
from .fake import FakeEvcc, FakeSecc

if TYPE_CHECKING:
    from ..run import VgiRun
    from .timers import Timers


class SeccPeer(FakeSecc, RunPeer):
    """The fake SECC as a run's peer."""

    harness_name = "FAKE-V2G"


class EvccPeer(FakeEvcc, RunPeer):
    """The fake EVCC as a run's peer."""

    harness_name = "FAKE-V2G"
    is_client = True
    serve_pause_s = 5.0  # `vgitest serve evcc`: the pause between two charging sessions

    def serve_until(self, stop: threading.Event, say: Callable[[str], None]) -> None:
        """`vgitest serve evcc`: charge at the EVSE, session after session, until stopped."""
        while not stop.is_set():
            try:
                s = self.charge()
            except Exception as exc:  # noqa: BLE001 - a session that broke is said, and the next one tried
                if stop.is_set():
                    return
                say(f"session ended without a result: {exc!r}")
            else:
                say(f"session {'completed' if s.completed else 'ended early'}: {s.family or 'no protocol agreed'}, "
                    f"{len(s.exchanges)} exchanges, ended by {s.closed_by or '-'} ({s.end_reason or '-'})")
            stop.wait(self.serve_pause_s)

    def simulator_started(self, simulator: Any) -> None:
        if int(self.sdp_port) == 0 and getattr(simulator, "sdp_port", None):  # the EVSE chose it at run time
            self.client.sdp_port = self.sdp_port = simulator.sdp_port


def timers(run: VgiRun) -> Timers:
    """The V2G timers of the run: the budgets, the profile's PIXIT overrides and its timing profile."""
    from .timers import Timers
    p = run.require_profile()
    return Timers(run.budgets, overrides=p.pixit.get("timers") or {},
                  profile=str(p.pixit.get("timing_profile", "strict")))


def make(run: VgiRun) -> RunPeer:
    from .fake import port_range_of
    from .params import EvParams, EvseParams
    p = run.require_profile()
    families = tuple(p.pixit.get("families") or (run.dut_version,))
    ssl_context, pnc = _tls(run, p)
    peer: SeccPeer | EvccPeer
    if run.dut_role == "ev":
        try:
            port_range = port_range_of(p.pixit.get("secc_port_range"))
        except ValueError as exc:
            raise HarnessError(f"PIXIT {exc}") from None
        peer = SeccPeer(host=str(p.pixit.get("secc_address", "::1")), sdp_host=str(p.pixit.get("sdp_bind", "::")),
                        sdp_port=int(p.pixit.get("sdp_port", 15118)), families=families,
                        evse=EvseParams.from_pixit(p.pixit), timers=timers(run), ssl_context=ssl_context,
                        port=int(p.pixit.get("secc_port", 0)), port_range=port_range)
        peer.pnc, peer.pki, peer.keylog = pnc, run.pki, _keylog(run)
    else:
        peer = EvccPeer(sdp_target=str(p.pixit.get("sdp_target", "ff02::1")),
                        sdp_port=int(p.pixit.get("sdp_port", 15118)), offers=families,
                        mode=str(p.pixit.get("mode", "DC")), ev=EvParams.from_pixit(p.pixit),
                        want_tls=bool(p.pixit.get("tls", False)), timers=timers(run),
                        sdp_retries=int(p.pixit.get("sdp_retries", 50)), ssl_context=ssl_context)
        peer.pnc, peer.tls_required = pnc, p.supports("Tls")
    peer.start()
    run.simulator_params.update({"dut_version": run.dut_version})
    return peer


def _keylog(run: VgiRun) -> Path:
    return run.run_dir / "tls-keys.log"


def _tls(run: VgiRun, p: Profile) -> tuple[ssl.SSLContext | None, Any]:
    """TLS (PIXIT tls) and Plug & Charge material (PICS PnC) of the fake SECC/EVCC: the user's files
    (--vgi-tls-cert/--vgi-tls-key: the fake's own certificate; --vgi-tls-ca: the roots the DUT's chain must
    reach) or a V2G test PKI made for this run (PIXIT tls_material = "generated"; the reference device gets
    its files). The fake's TLS secrets go to <run dir>/tls-keys.log (NSS key log, for Wireshark)."""
    tls_on, pnc_on = bool(p.pixit.get("tls", False)), p.supports("PnC")
    if not (tls_on or pnc_on):
        return None, None
    from . import pnc as pncmod
    iso20 = run.dut_version == "iso-20"
    ev_under_test = run.dut_role == "ev"
    s = run.settings
    if s.tls_cert and s.tls_key:
        ctx = None
        if tls_on and ev_under_test:
            ctx = pncmod.server_context_files(iso20=iso20, cert=s.tls_cert, key=s.tls_key, ca=s.tls_ca,
                                              keylog=_keylog(run))
        elif tls_on:
            ctx = pncmod.client_context_files(iso20=iso20, ca=s.tls_ca, cert=s.tls_cert if iso20 else None,
                                              key=s.tls_key if iso20 else None, keylog=_keylog(run))
        files = {k: str(v) for k, v in p.pixit.items() if k in ("mo_root", "v2g_root", "contract_chain",
                                                                "contract_key", "cps_leaf_chain", "cps_leaf_key",
                                                                "oem_prov_chain", "oem_prov_key")}
        pnc = (pncmod.SeccPnc.from_files(files) if ev_under_test else pncmod.EvPnc.from_files(files)) \
            if pnc_on and files else None
        return ctx, pnc
    if p.pixit.get("tls_material") != "generated":
        raise HarnessError("TLS / Plug & Charge needs certificates: pass --vgi-tls-cert and --vgi-tls-key (the "
                           "fake's own) and --vgi-tls-ca (the roots your device's chain reaches), or set "
                           "tls_material = \"generated\" in the PIXIT")
    from . import testpki, tls
    run.pki = testpki.make(run.run_dir / "v2g-pki", iso20=iso20)
    files = run.pki.files()
    run.simulator_params.update(files)
    ctx = None
    if tls_on:
        ctx = (tls.secc_context if ev_under_test else tls.evcc_context)(run.pki, iso20=iso20, keylog=_keylog(run))
    pnc = (pncmod.SeccPnc.from_files(files) if ev_under_test else pncmod.EvPnc.from_files(files)) \
        if pnc_on else None
    return ctx, pnc
