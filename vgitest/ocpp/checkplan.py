"""`vgitest profile check` for OCPP devices: what a cheap first contact with the device checks (see
vgitest.profilecheck)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..profilecheck import Check, FAILED, OK, WARNING
from ..trace import Direction, Frame


def plan(c: Check) -> None:
    csms = c.run.peer
    identity = c.run.identity
    connect = c.wait("connect_timeout", 30)
    boot_wait = c.wait("boot_timeout", 15)
    wait = c.wait("message_wait", 10)
    connector = int(c.profile.param("connector", 1))
    version = c.run.dut_version
    mine = lambda f: f.meta.get("identity") == identity  # noqa: E731

    def inbound(start: int, kind: str, name: str | None = None, match: Callable[[Any], bool] | None = None,
                timeout: float = wait) -> Frame | None:
        return csms.trace.wait_for(lambda f: mine(f) and f.direction is Direction.IN and f.kind == kind
                                   and (name is None or f.name == name)
                                   and (match is None or (isinstance(f.body, dict) and match(f.body))), start, timeout)

    def boots(start: int, after: str) -> tuple[bool, str]:
        # the first attempt decides: the fake CSMS refuses a wrong identity or password (a REJECT frame says why)
        opened = csms.trace.wait_for(lambda f: f.direction is Direction.IN and (f.kind == "REJECT" or mine(f)
                                                                                and f.kind == "OPEN"), start, connect)
        if opened is None:
            return False, f"no connection to {csms.url_for(identity)} within {connect:g} s {after}"
        if opened.kind == "REJECT":
            why = "; ".join(fi.message for fi in opened.findings) or "refused"
            return False, f"the fake CSMS refused the station's connection {after}: {why}"
        negotiated = opened.meta.get("negotiated")
        if negotiated is None or opened.version != version:
            return False, f"connected, but with subprotocol {negotiated!r}; the profile says OCPP {version}"
        boot = inbound(opened.index, "CALL", "BootNotification", timeout=boot_wait)
        if boot is None:
            return False, f"connected with {negotiated}, but no BootNotification within {boot_wait:g} s"
        auth = " and its HTTP Basic password" if c.profile.dut.get("password") else ""
        return True, f"connected as {identity} with {negotiated}{auth} and sent BootNotification {after}"

    def status(wanted: tuple[str, ...]) -> Callable[[int, float], tuple[bool, str]]:
        field, cid = ("status", "connectorId") if version == "1.6" else ("connectorStatus", "evseId")

        def observe(start: int, _: float) -> tuple[bool, str]:
            f = inbound(start, "CALL", "StatusNotification", lambda b: b.get(cid) == connector and b.get(field)
                        in wanted)
            if f is not None:
                return True, f"StatusNotification {f.body.get(field)} followed"
            seen = [f"{x.body.get(field)}" for x in csms.trace.since(start) if mine(x) and x.name ==
                    "StatusNotification" and x.kind == "CALL" and isinstance(x.body, dict)]
            return False, (f"no StatusNotification {' or '.join(wanted)} for {cid} {connector} within {wait:g} s"
                           + (f" (reported: {', '.join(seen)})" if seen else ""))
        return observe

    # power on, then the connection the whole suite depends on
    start = 0
    powered = c.supported("power_on")
    if powered:
        c.act("power_on")
    good, what = boots(start, "after power_on" if powered else "after the fake CSMS started")
    if good:
        c.add("connect", OK, what)
    elif c.supported("reboot"):
        c.add("connect", WARNING, what + "; trying reboot", required=False)
    else:
        c.add("connect", FAILED, what)
    if c.supported("reboot"):
        c.act("reboot", lambda s, _: boots(s, "after reboot"))
    else:
        c.act("reboot")
    session = csms.sessions.get(identity)
    if session is None or not session.connected:
        for action in ("plug_in", "present_token", "unplug", "fault_connector", "clear_fault", "disconnect_network",
                       "reconnect_network", "power_off"):
            c.skip(action, "the station is not connected")
        return
    token = str(c.profile.param("valid_id_token", "VGI-TAG-0001"))
    session.unknown_token_status = "Accepted"

    def authorizes(start: int, _: float) -> tuple[bool, str]:
        def carries(b: Any) -> bool:
            return token in (str(b.get("idTag")), str((b.get("idToken") or {}).get("idToken")))
        f = next((x for x in (inbound(start, "CALL", n, carries, timeout=wait if n == "Authorize" else 0.5)
                              for n in ("Authorize", "StartTransaction", "TransactionEvent")) if x), None)
        return (True, f"{f.name} with {token} followed") if f else \
            (False, f"neither Authorize nor a transaction message with {token} within {wait:g} s")

    plugged = c.act("plug_in", status(("Preparing", "Occupied")), connector=connector)
    c.act("present_token", authorizes, id_token=token, connector=connector)
    c.act("unplug", status(("Available",)) if plugged else None, connector=connector)
    # clear_fault first: on a healthy connector it changes nothing, and it shows whether a fault can be undone
    if c.act("clear_fault", connector=connector) and c.supported("fault_connector"):
        c.act("fault_connector", status(("Faulted",)), connector=connector)
        c.act("clear_fault", status(("Available",)), connector=connector)
    else:
        c.skip("fault_connector", "it would leave the connector faulted: clear_fault did not work")

    def closes(start: int, _: float) -> tuple[bool, str]:
        f = csms.trace.wait_for(lambda x: mine(x) and x.kind == "CLOSE", start, wait)
        return (True, "the connection closed") if f else (False, f"the connection stayed open for {wait:g} s")

    def reconnects(start: int, _: float) -> tuple[bool, str]:
        f = inbound(start, "OPEN", timeout=connect)
        return (True, "the station connected again") if f else (False, f"no reconnection within {connect:g} s")

    # reconnect_network first: while connected it changes nothing, and it shows whether the link can be restored
    if c.act("reconnect_network") and c.supported("disconnect_network"):
        c.act("disconnect_network", closes)
        c.act("reconnect_network", reconnects)
    else:
        c.skip("disconnect_network", "it would leave the station offline: reconnect_network did not work")
    if powered:
        c.act("power_off", closes)
        c.act("power_on", lambda s, _: boots(s, "after power_on"))
    else:
        c.skip("power_off", "it would leave the station off: power_on is not supported")
