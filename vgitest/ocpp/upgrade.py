"""Moving a 2.0.1 station up one security profile (use case A05, TC_A_19_CS), and back.

The fake CSMS stores a network connection profile of the next profile in a spare configuration slot, puts that slot
first in NetworkConfigurationPriority and resets the station; it then serves the next profile on the same port
(TLS from profile 2, the station's client certificate at 3). The station must come back over the new profile, boot,
report it in SecurityCtrlr.SecurityProfile, and have taken the slot it ran before out of the priority list.

A station must not lower its profile over OCPP (TC_A_22_CS), so the way back is outside OCPP: the adapter action
restore_network_profile (an installer resetting the network settings). Without it the case is NOT_APPLICABLE, since
it would leave the station on a profile the rest of the run does not serve."""

from __future__ import annotations

import logging
import time
from typing import Any

from ..fixturekit import not_applicable, run_of
from ..trace import Frame
from ..verdict import HarnessError, Inconclusive
from . import rules as r
from .tlsmatrix import security_profile

RESTORE = "restore_network_profile"
log = logging.getLogger(__name__)


def _opened(identity: str) -> Any:
    def pred(f: Frame) -> bool:
        return f.meta.get("identity") == identity and f.kind in ("OPEN", "REJECT")
    return pred


def csms_context(request: Any, level: int) -> Any:
    """The fake CSMS's TLS context for `level`: the run's test PKI, else the lab's certificates."""
    run = run_of(request)
    if run.pki is not None:
        return run.pki.server_context("good", security_profile=level)
    from .peer import tls_context
    try:
        return tls_context(run, level)
    except HarnessError as exc:
        raise Inconclusive(f"the fake CSMS cannot serve security profile {level}: {exc}") from None


def _get(station: Any, component: str, name: str) -> str:
    res = station.call("GetVariables", {"getVariableData": [{"component": {"name": component},
                                                             "variable": {"name": name}}]})
    return str(res["getVariableResult"][0].get("attributeValue", ""))


def judge_upgrade(request: Any, station: Any, dut: Any, profile: Any) -> None:
    sec = security_profile(profile)
    if sec not in (1, 2):
        not_applicable(request, f"this run uses security profile {sec}; only a station on profile 1 or 2 has a "
                       "higher OCPP security profile to move to")
    nxt = sec + 1
    if not profile.supports(f"SecurityProfile{nxt}"):
        not_applicable(request, f"the station does not declare security profile {nxt} (PICS SecurityProfile{nxt})")
    if not dut.supports(RESTORE):
        not_applicable(request, f"the way back to profile {sec} needs the DUT action {RESTORE}: "
                       f"{dut.why_not(RESTORE)}")
    ctx = csms_context(request, nxt)
    csms = station.csms
    wait = float(profile.param("connect_timeout", 10))
    slot = int(profile.param("upgrade_configuration_slot", 2))
    before = _get(station, "OCPPCommCtrlr", "NetworkConfigurationPriority")
    running = before.split(",")[0].strip()
    if not running.isdigit() or int(running) == slot:
        raise Inconclusive(f"NetworkConfigurationPriority is {before!r}: the case needs the slot in use first and "
                           f"slot {slot} (PIXIT upgrade_configuration_slot) free")
    data = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": "wss://" + csms.url.split("://", 1)[1],
            "messageTimeout": 30, "securityProfile": nxt,
            "ocppInterface": str(profile.param("ocpp_interface", "Wired0"))}
    answer = station.call("SetNetworkProfile", {"configurationSlot": slot, "connectionData": data})
    station.check(answer.get("status") == "Accepted", r.UPGRADE, f"SetNetworkProfile of security profile {nxt} "
                  f"(the station runs {sec}) in slot {slot} was answered {answer.get('status')}; expected Accepted")
    old_sec, old_ctx = csms.security_profile, csms.ssl_context
    switched = False
    try:
        res = station.call("SetVariables", {"setVariableData": [{
            "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
            "attributeValue": f"{slot},{before}"}]})["setVariableResult"][0]
        station.check(res.get("attributeStatus") in ("Accepted", "RebootRequired"), r.UPGRADE,
                      f"NetworkConfigurationPriority {slot},{before} (slot {slot} has profile {nxt}) was answered "
                      f"{res.get('attributeStatus')}; expected Accepted or RebootRequired")
        start = len(csms.trace)
        reset = station.call("Reset", {"type": "OnIdle"})
        station.check(reset.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"Reset OnIdle was answered {reset.get('status')}; expected Accepted")
        csms.set_security(nxt, ctx)
        switched = True
        _judge_reconnection(station, profile, start, sec, nxt, wait)
        level = _get(station, "SecurityCtrlr", "SecurityProfile")
        station.check(level == str(nxt), r.UPGRADE, f"SecurityCtrlr.SecurityProfile is {level!r} after the "
                      f"station connected with profile {nxt}")
        after = [x.strip() for x in _get(station, "OCPPCommCtrlr", "NetworkConfigurationPriority").split(",")]
        station.check(running not in after, r.UPGRADE, f"NetworkConfigurationPriority is {','.join(after)!r} after "
                      f"the upgrade: slot {running} (profile {sec}) should have been taken out")
    finally:
        _restore(station, dut, csms, old_sec, old_ctx, switched, wait)


def _judge_reconnection(station: Any, profile: Any, start: int, sec: int, nxt: int, wait: float) -> None:
    """After the reset the station opens its WebSocket under profile `nxt` and boots."""
    csms = station.csms
    frame = csms.trace.wait_for(_opened(station.identity), start, wait)
    if frame is None:
        refused = [f for f in csms.trace.since(start) if f.kind == "TLS"]
        why = f"; the CSMS saw a TLS handshake broken off: {refused[0].meta.get('error')}" if refused else ""
        station.fail(r.UPGRADE, f"the station did not connect with security profile {nxt} within {wait:g} s of the "
                     f"reset{why}", refused[0] if refused else None)
    if frame.kind == "REJECT":
        reason = "; ".join(f.message for f in frame.findings) or "refused"
        station.fail(r.UPGRADE, f"the station came back without the credentials of profile {nxt} (it ran {sec}): "
                     f"{reason}", frame)
    station.cursor = start
    station.expect("BootNotification", float(profile.param("boot_timeout", 8)))


def _restore(station: Any, dut: Any, csms: Any, sec: int, ctx: Any, switched: bool, wait: float) -> None:
    """Back to the run's profile: the CSMS first, then the station by its adapter action; wait until it is back,
    so that none of this reaches the next case. A station that does not come back is logged, not judged here (the
    next case's preamble finds it missing)."""
    if switched:
        csms.set_security(sec, ctx)
    mark = len(csms.trace)
    dut.perform(RESTORE)
    if not switched and station.connected:
        return
    deadline = time.monotonic() + wait
    frame = csms.trace.wait_for(lambda f: _opened(station.identity)(f) and f.kind == "OPEN", mark, wait)
    if frame is None:
        log.warning("after %s the station %s did not reconnect within %g s", RESTORE, station.identity, wait)
        return
    while not station.connected and time.monotonic() < deadline:
        time.sleep(0.01)
