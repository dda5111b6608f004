"""The reference EV and the reference EVSE: conformant by default, each with a catalog of named faults.

They are the devices `vgitest run` tests when no vendor device is attached, and the proof that every
conformance test can fail: each fault makes a named suite test end FAIL with the catalog's rule id
(tests/test_fault_matrix.py). Most faults are scripted deviations of the device's own messages (the same
:class:`~vgitest.iso15118.script.Action` a test uses); a few change its behaviour (timers, SDP, SAP choice).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..simulator import LoopSimulator
from ..trace import Trace
from .evcc import EvccClient
from .params import EvParams, EvseParams
from .script import Action, Script
from .secc import SeccServer
from .timers import Timers


def _timers(params: dict[str, Any]) -> Timers:
    return Timers(overrides=params.get("timers") or {})


def _ev_tls(params: dict[str, Any], version: str, faults: frozenset[str]) -> Any:
    """The reference EV's TLS client context from the run's files (PIXIT tls; pnc.client_context_files)."""
    if not params.get("tls") or not params.get("evcc_trust"):
        return None
    from .pnc import client_context_files
    iso20 = version == "iso-20"
    return client_context_files(iso20=iso20, ca=params["evcc_trust"],
                                cert=params.get("oem_prov_chain") if iso20 else None,
                                key=params.get("oem_prov_key") if iso20 else None,
                                verify=not faults & {"accepts_expired_secc_certificate",
                                                     "accepts_untrusted_secc_certificate"})


def _evse_tls(params: dict[str, Any], version: str, faults: frozenset[str]) -> Any:
    """The reference EVSE's TLS server context from the run's files; its certificate faults swap the chain."""
    if not params.get("tls") or not params.get("secc_chain") or "no_tls" in faults:
        return None
    from .pnc import server_context_files
    which = "expired_secc" if "expired_secc_certificate" in faults else \
        "untrusted_secc" if "untrusted_secc_certificate" in faults else "secc"
    return server_context_files(iso20=version == "iso-20", cert=params[f"{which}_chain"], key=params[f"{which}_key"],
                                ca=params.get("secc_trust"))


def _load_grammars(families: tuple[str, ...]) -> None:
    """Load the EXI grammars of ``families`` now (a -20 grammar set takes ~0.2 s to load, and a link's first -20
    frame imports the payload-type table of :mod:`.layers`, which pulls in scapy: ~0.5 s): the first session's
    first answer must not carry that one-off cost into a performance-time verdict."""
    from ..exi import load
    from . import family as fam
    if "iso-20" in families:
        from . import layers  # noqa: F401
    names = {"app-protocol"}
    for name in families:
        f = fam.get(name)
        names |= {f.schema_of(m) for m in ("SessionSetupReq", "AC_ChargeLoopReq", "DC_ChargeLoopReq")}
    for schema in sorted(names):
        load(schema)


class ReferenceEv(LoopSimulator):
    """An EV (EVCC) that charges when plugged in: SDP to the fake SECC, SAP, a whole session."""

    kind = "ev"

    def __init__(self, url: str, identity: str, *, faults: tuple[str, ...] = (), params: dict[str, Any] | None = None,
                 **_: Any) -> None:
        from .catalog import EV_FAULTS, actions_for
        params = params or {}
        self.version = str(params.get("dut_version", "din"))
        EV_FAULTS.check_names(faults, self.version)
        self.faults = frozenset(faults)
        self.params = params
        host_port = url.split("//", 1)[-1]
        self.sdp_target = host_port.rsplit(":", 1)[0].strip("[]")
        self.sdp_port = int(host_port.rsplit(":", 1)[1])
        offers = tuple(params.get("offers") or (self.version,))
        _load_grammars(offers)
        ev = EvParams.from_pixit(params)
        if "ignores_phase_timeouts" in self.faults:
            ev.max_processing_rounds = 10 ** 6
        self.trace = Trace()
        client_faults = self.faults | ({"ignores_failed"} if "retries_after_signature_error" in self.faults else set())
        self.client = EvccClient(self.trace, ev=ev, offers=offers,
                                 mode=str(params.get("mode", "DC")), sdp_target=self.sdp_target,
                                 sdp_port=self.sdp_port, timers=_timers(params), judge=False,
                                 script=Script(actions_for("ev", self.version, self.faults)), faults=client_faults,
                                 want_tls=bool(params.get("tls", False)),
                                 ssl_context=_ev_tls(params, self.version, self.faults))
        if params.get("contract_chain") and params.get("contract_key"):
            from .pnc import EvPnc
            self.client.pnc = EvPnc.from_files(params, self.faults)
        self.plugged: asyncio.Task | None = None
        self.default_mode = self.client.mode
        if "power_before_precharge_done" in self.faults:
            self.client.ev_hook = lambda logic: setattr(logic, "power_early", True)
        self._hook = self.client.ev_hook  # the faults' hook; a plug-in may add a control mode to it

    async def _power_on(self) -> None:
        return None

    async def _power_off(self) -> None:
        if self.plugged is not None and not self.plugged.done():
            self.plugged.cancel()
            await asyncio.gather(self.plugged, return_exceptions=True)

    async def do_plug_in(self, mode: str | None = None, pause: bool = False, resume: bool = False,
                         control_mode: str | None = None, **ev: Any) -> None:
        """Plug in: the EV starts a session in the background (the test waits for it on the fake SECC)."""
        import dataclasses
        if "never_connects" in self.faults:
            return
        from . import robustness
        if robustness.is_down(self.client):  # crashed on a response (a robustness fault, issue 15)
            return
        if self.plugged is not None and not self.plugged.done():
            await asyncio.wait_for(asyncio.shield(self.plugged), 60)
        self.client.script.counts.clear()
        self.client.mode = mode or self.default_mode  # a plug-in without mode: the EV's own default, not the last
        if ev:
            self.client.ev = dataclasses.replace(self.client.ev, **ev)
        from .fake import with_control_mode
        self.client.ev_hook = self._hook if control_mode is None else with_control_mode(self._hook, control_mode)
        self.plugged = asyncio.get_running_loop().create_task(self.client.run(pause=pause, resume=resume,
                                                                               deadline_s=120))

    async def do_unplug(self) -> None:
        await self._power_off()


class ReferenceEvse(LoopSimulator):
    """An EVSE (SECC) that serves EVs: SDP responder and V2GTP server, for the fake EVCC to test."""

    kind = "evse"

    def __init__(self, url: str, identity: str, *, faults: tuple[str, ...] = (), params: dict[str, Any] | None = None,
                 **_: Any) -> None:
        from .catalog import EVSE_FAULTS, actions_for
        params = params or {}
        self.version = str(params.get("dut_version", "din"))
        EVSE_FAULTS.check_names(faults, self.version)
        self.faults = frozenset(faults)
        self.trace = Trace()
        evse = EvseParams.from_pixit(params)
        if "precharge_never_reached" in self.faults:
            evse.precharge_step_v = 0.0
        if "cable_check_ongoing_forever" in self.faults:
            evse.cable_check_rounds = 10 ** 9
        families = tuple(params.get("families") or (self.version,))
        _load_grammars(families)
        timers = _timers(params)
        self.server = SeccServer(self.trace, evse=evse, families=families, host=str(params.get("host", "::1")),
                                 port=0, sdp_host="::1", sdp_port=0, timers=timers, judge=False,
                                 ssl_context=_evse_tls(params, self.version, self.faults),
                                 script=Script(actions_for("evse", self.version, self.faults)), faults=self.faults, name="reference EVSE")
        if params.get("mo_root"):
            from .pnc import SeccPnc
            self.server.pnc = SeccPnc.from_files(params, self.faults)

    @property
    def sdp_port(self) -> int:
        return self.server.sdp_port

    @property
    def listening(self) -> str:
        """Where a fake EVCC finds it (printed by `vgitest device`)."""
        return f"SDP port {self.server.sdp_port}"

    async def _power_on(self) -> None:
        await self.server.start()

    async def _power_off(self) -> None:
        await self.server.stop()


__all__ = ["ReferenceEv", "ReferenceEvse", "Action"]
