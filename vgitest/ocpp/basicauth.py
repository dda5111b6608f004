"""HTTP Basic cases of security profiles 1 and 2 shared by the suites: the credentials a station opens with, and a
password changed over OCPP (2.0.1 SecurityCtrlr.BasicAuthPassword), with the fake CSMS switched to the new password
first and everything set back afterwards."""

from __future__ import annotations

import secrets
import time
from typing import Any

from ..trace import Frame
from . import rules as r
from .tlsmatrix import security_profile


def needs_basic(request: Any, profile: Any) -> int:
    """The run's security profile, for a case about HTTP Basic (profiles 1 and 2; NOT_APPLICABLE otherwise)."""
    from ..fixturekit import not_applicable
    sec = security_profile(profile)
    if sec not in (1, 2):
        not_applicable(request, f"this run uses security profile {sec}; HTTP Basic belongs to profiles 1 and 2")
    return sec


def _opened(station: Any, since: int, wait: float) -> Frame | None:
    return station.csms.trace.wait_for(lambda f: f.meta.get("identity") == station.identity
                                       and f.kind in ("OPEN", "REJECT"), since, wait)


def judge_credentials(frame: Frame | None, station: Any) -> None:
    """The station was let in with its identity as user name and a password of 16 to 40 identifierString
    characters (the fake CSMS notes the password's shape on the OPEN frame, never the password)."""
    if frame is None:
        station.fail(r.EXPECTED_MESSAGE, "the station did not open a WebSocket after a restart")
    if frame.kind == "REJECT":
        reason = "; ".join(f.message for f in frame.findings) or "rejected"
        station.fail(r.BASIC_AUTH, f"the CSMS refused the station's credentials: {reason}", frame)
    basic = frame.meta.get("basic_auth")
    station.check(basic is not None, r.BASIC_AUTH, "the station sent no HTTP Basic credentials", frame)
    station.check(basic["password_problem"] is None, r.PASSWORD,
                  f"the station's Basic password has {basic['password_problem']}", frame)


def judge_basic_auth(station: Any, dut: Any, profile: Any) -> None:
    station.settle_first_contact(float(profile.param("message_wait", 5)))
    start = len(station.csms.trace)
    dut.perform("reboot")
    judge_credentials(_opened(station, start, float(profile.param("connect_timeout", 10))), station)
    station.cursor = start
    station.expect("BootNotification", float(profile.param("boot_timeout", 15)))


def _set_password(station: Any, value: str) -> str:
    if station.version == "1.6":
        return str(station.call("ChangeConfiguration", {"key": "AuthorizationKey", "value": value}).get("status"))
    res = station.call("SetVariables", {"setVariableData": [{
        "component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}, "attributeValue": value}]})
    return str((res.get("setVariableResult") or [{}])[0].get("attributeStatus"))


def _restore(station: Any, profile: Any, old: str) -> None:
    """Clean-up: the CSMS takes the old password again and the station is told it; then it is waited for."""
    csms = station.csms
    wait = float(profile.param("connect_timeout", 10))
    csms.passwords[station.identity] = old
    deadline = time.monotonic() + wait
    while not station.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    if station.connected:
        _set_password(station, old)
        time.sleep(0.5)  # the station drops the connection to take the password into use
    station.wait_connected(wait)


def judge_password_update(station: Any, dut: Any, profile: Any) -> None:
    """A valid new password is Accepted (or RebootRequired, then a Reset), and the station's next connection uses
    it: the fake CSMS, which takes only the new one from now on, lets it in."""
    csms, identity = station.csms, station.identity
    old = csms.passwords.get(identity) or str(profile.dut.get("password", ""))
    new = secrets.token_hex(16)  # 32 hex characters: 16 bytes as hex (1.6), 32 identifierString characters (2.0.1)
    wait = float(profile.param("connect_timeout", 10))
    start = len(csms.trace)
    csms.passwords[identity] = new
    try:
        status = _set_password(station, new)
        station.check(status in ("Accepted", "RebootRequired"), r.PASSWORD,
                      f"setting a valid new Basic password was answered {status}")
        if status == "RebootRequired":
            station.call("Reset", {"type": "OnIdle"})
        frame = _opened(station, start, wait)
        if frame is None:
            station.fail(r.PASSWORD, f"the station did not connect again within {wait:g} s after accepting the new "
                         "password")
        judge_credentials(frame, station)
    finally:
        _restore(station, profile, old)


def judge_password_rejected(station: Any, profile: Any) -> None:
    """A new password of 12 characters is Rejected, and the station keeps the one it has."""
    csms, identity = station.csms, station.identity
    old = csms.passwords.get(identity) or str(profile.dut.get("password", ""))
    short = "vgi-" + secrets.token_hex(4)
    status = _set_password(station, short)
    if status in ("Accepted", "RebootRequired"):  # the station now uses it: let it in to set the old one back
        csms.passwords[identity] = short
        try:
            station.fail(r.PASSWORD, f"SetVariables of a 12-character BasicAuthPassword was answered {status}")
        finally:
            time.sleep(0.5)
            _restore(station, profile, old)
    station.check(status == "Rejected", r.PASSWORD, f"SetVariables of a 12-character BasicAuthPassword was answered "
                  f"{status}; Rejected expected")
