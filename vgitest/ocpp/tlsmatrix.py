"""The negative TLS matrix of security profiles 2 and 3, shared by the 1.6, 2.0.1 and 2.1 runs: for each row the fake
CSMS serves, on the same port, a TLS set-up a conforming station must refuse; the refusal (a handshake the station
breaks off, recorded by the CSMS as a TLS frame) is the PASS, a station that opens the WebSocket anyway is the FAIL.
Each row names the case that runs it per version and the reference station's fault that accepts it
(docs/tls-matrix.md shows the verdicts, tests/ocpp/test_tls_matrix.py proves them)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from ..trace import Direction, Frame
from ..verdict import Inconclusive
from . import rules as r
from .station.tls import EVENTS

OCPP_TLS12_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "AES128-GCM-SHA256",
                      "AES256-GCM-SHA384")


@dataclasses.dataclass(frozen=True)
class Row:
    variant: str  # the test PKI's server context (testpki.OcppPki.server_context)
    what: str  # what the fake CSMS presents, in words
    rule: str  # the rule a station that accepts it breaks
    cases: dict[str, str]  # OCPP version -> the case that runs this row
    fault: str  # the reference station's catalogued fault that accepts it
    event: str | None = None  # the refusal kind (station.tls.EVENTS) whose security event the official case judges


ROWS: tuple[Row, ...] = (
    Row("expired", "a certificate of the trusted CSMS root for the right host, expired a month ago",
        r.TLS_SERVER_AUTH, {"1.6": "TC_VGI_TLS_01_CS", "2.0.1": "TC_VGI_TLS_01_CS"}, "accepts_expired_csms_cert"),
    Row("wrong-ca", "a certificate for the right host from a root the station does not trust",
        r.TLS_SERVER_AUTH, {"1.6": "TC_078_CS", "2.0.1": "TC_A_05_CS"}, "trusts_any_csms_cert", event="certificate"),
    Row("wrong-name", "a certificate of the trusted root whose CN and SAN name another host",
        r.TLS_SERVER_AUTH, {"1.6": "TC_VGI_TLS_02_CS", "2.0.1": "TC_VGI_TLS_02_CS"}, "no_hostname_check"),
    Row("tls-version", "a valid certificate, but TLS 1.0 and 1.1 only", r.TLS_VERSION,
        {"1.6": "TC_VGI_TLS_03_CS", "2.0.1": "TC_A_06_CS"}, "accepts_old_tls"),
    Row("weak-cipher", "a valid certificate over TLS 1.2, but only TLS_RSA_WITH_AES_128_CBC_SHA (no forward secrecy, "
        "CBC with SHA-1; not an OCPP suite)", r.TLS_CIPHER, {"1.6": "TC_VGI_TLS_04_CS", "2.0.1": "TC_VGI_TLS_04_CS"},
        "accepts_weak_cipher"),
)
VERSIONS = ("1.6", "2.0.1", "2.1")
for _row in ROWS:  # 2.1 keeps 2.0.1's transport security: its run executes the 2.0.1 cases of each row
    _row.cases["2.1"] = _row.cases["2.0.1"]
BY_VARIANT = {row.variant: row for row in ROWS}
# Profile 3's row: the CSMS asks for the station's certificate; a station that comes without one (or with another
# CPO's or another station's) is refused by the CSMS and judged by the profile-3 case.
CLIENT_ROW = Row("good", "a valid certificate; it asks for the station's client certificate (profile 3), which the "
                 "station withholds", r.CLIENT_CERT, {"1.6": "TC_087_CS", "2.0.1": "TC_A_07_CS", "2.1": "TC_A_07_CS"},
                 "no_client_certificate")


def security_profile(profile: Any) -> int:
    return int(profile.param("security_profile", 1 if profile.dut.get("password") else 0))


def _opened(identity: str) -> Any:
    def pred(f: Frame) -> bool:
        return f.meta.get("identity") == identity and f.kind in ("OPEN", "REJECT")
    return pred


def must_refuse(station: Any, pki: Any, row: Row, profile: Any, *, refusals: int = 2) -> list[Frame]:
    """Serve `row`'s TLS set-up until the station has begun more than `refusals` TLS handshakes without opening the
    WebSocket (PASS: it broke them off and tried again), or opened it (FAIL with the row's rule), bounded by
    connect_timeout; no attempt at all is INCONCLUSIVE. The good set-up is served again afterwards and the station
    waited for. Returns the TLS frames of the handshakes the CSMS saw refused (where the station sent an alert)."""
    csms = station.csms
    sec = security_profile(profile)
    wait = float(profile.param("connect_timeout", 10))
    start = len(csms.trace)
    csms.set_tls(pki.server_context(row.variant, security_profile=sec))
    attempts0 = csms.tls_attempts
    try:
        deadline = time.monotonic() + wait
        while True:
            frames = csms.trace.since(start)
            opened = [f for f in frames if _opened(station.identity)(f)]
            if opened:
                f = opened[0]
                station.fail(row.rule, f"the station completed TLS with a CSMS presenting {row.what}, and opened the "
                             f"WebSocket ({f.meta.get('tls_version')}, {f.meta.get('cipher')})", f)
            attempts = csms.tls_attempts - attempts0
            # one more attempt than asked: the last counted one has had the time of a reconnection to open
            if attempts > refusals or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        if attempts == 0:
            raise Inconclusive(f"the station made no TLS attempt within {wait:g} s while the CSMS presented {row.what}")
        return [f for f in frames if f.kind == "TLS"]
    finally:
        csms.set_tls(pki.server_context("good", security_profile=sec))
        try:
            station.wait_connected(wait)
        except AssertionError:
            pass  # the case's verdict stands; the next case's fixture reports a station that stays away


def expect_security_event(station: Any, row: Row, since: int, wait: float) -> Frame:
    """After the refusal and the good set-up restored: the station reports the matching security event."""
    if row.event is None:
        raise ValueError(f"row {row.variant} judges no security event")
    event = EVENTS[row.event][station.version]
    frame = station.csms.trace.wait_for(
        lambda f: (f.direction is Direction.IN and f.meta.get("identity") == station.identity and f.kind == "CALL"
                   and f.name == "SecurityEventNotification" and (f.body or {}).get("type") == event), since, wait)
    if frame is None:
        station.fail(r.SECURITY_EVENT, f"no SecurityEventNotification {event} within {wait:g} s of the reconnection "
                     "after the station refused the CSMS")
    return frame


def judge_good_connection(station: Any, dut: Any, profile: Any) -> Frame:
    """Profiles 2 and 3 with the good set-up: after a reboot the station opens the WebSocket over TLS 1.2 or later
    (TLS 1.2: an OCPP suite) without breaking off a handshake, is let in (Basic or client certificate) and boots."""
    csms = station.csms
    # a station still opening its first connection finishes it first: a power cycle in the middle of its TLS or
    # HTTP handshake would leave a cut-off handshake in the trace that the station is not to blame for
    station.settle_first_contact(float(profile.param("message_wait", 5)))
    start = len(csms.trace)
    attempts0 = csms.tls_attempts
    dut.perform("reboot")
    frame = csms.trace.wait_for(_opened(station.identity), start, float(profile.param("connect_timeout", 10)))
    refused = [f for f in csms.trace.since(start) if f.kind == "TLS"]
    if frame is None:
        attempts = csms.tls_attempts - attempts0
        if refused or attempts:
            why = refused[0].meta.get("error") if refused else "the station closed it without an alert"
            station.fail(r.TLS_HANDSHAKE, f"{attempts} TLS handshake(s) with a valid CSMS were broken off: {why}",
                         refused[0] if refused else None)
        station.fail(r.EXPECTED_MESSAGE, "the station did not open a WebSocket after a restart")
    if frame.kind == "REJECT":
        rule = r.CLIENT_CERT if security_profile(profile) == 3 else r.BASIC_AUTH
        reason = "; ".join(f.message for f in frame.findings) or "rejected"
        station.fail(rule, f"the CSMS refused the station: {reason}", frame)
    version, cipher = frame.meta.get("tls_version"), frame.meta.get("cipher")
    station.check(version in ("TLSv1.2", "TLSv1.3"), r.TLS_VERSION, f"the station connected over {version}", frame)
    station.check(version != "TLSv1.2" or cipher in OCPP_TLS12_CIPHERS, r.TLS_CIPHER,
                  f"the station connected with {cipher}, not an OCPP TLS 1.2 suite", frame)
    station.cursor = start
    station.expect("BootNotification", float(profile.param("boot_timeout", 8)))
    return frame


def needs_profile(request: Any, profile: Any, level: int) -> int:
    """The run's security profile, for a case that needs `level` or higher (NOT_APPLICABLE below it)."""
    from ..fixturekit import not_applicable
    sec = security_profile(profile)
    if sec < level:
        not_applicable(request, f"this run uses security profile {sec}; the case needs {level} or higher "
                       "(PIXIT security_profile)")
    return sec


def judge_no_downgrade(station: Any, sec: int) -> None:
    """Configuring the station to the profile below the one it runs is refused (1.6: configuration key
    SecurityProfile; 2.0.1: SetNetworkProfile), and nothing changes."""
    lower = sec - 1
    if station.version == "1.6":
        res = station.call("ChangeConfiguration", {"key": "SecurityProfile", "value": str(lower)})
        try:
            station.check(res.get("status") == "Rejected", r.DOWNGRADE, f"ChangeConfiguration SecurityProfile "
                          f"{sec} -> {lower} was answered {res.get('status')}; a downgrade must be Rejected")
        finally:
            if res.get("status") == "Accepted" and station.connected:  # put back what the station runs
                station.call("ChangeConfiguration", {"key": "SecurityProfile", "value": str(sec)})
        return
    data = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": station.csms.url_for(station.identity),
            "messageTimeout": 30, "securityProfile": lower, "ocppInterface": "Wired0"}
    res = station.call("SetNetworkProfile", {"configurationSlot": 2, "connectionData": data})
    station.check(res.get("status") == "Rejected", r.DOWNGRADE, f"SetNetworkProfile with security profile {lower} "
                  f"(the station runs {sec}) was answered {res.get('status')}; a downgrade must be Rejected")


def judge_downgrade_floor(station: Any, sec: int) -> None:
    """2.1: a station on profile 2 or 3 refuses SetNetworkProfile with profile 1 (never below 2). The change from 3
    to 2, which 2.1 no longer forbids, is not asked: taking it is allowed, not required, so no answer to it could
    fail. 2.1 ignores connectionData.ocppVersion (the WebSocket handshake decides), so it is left out."""
    data = {"ocppTransport": "JSON", "ocppCsmsUrl": station.csms.url_for(station.identity), "messageTimeout": 30,
            "ocppInterface": "Wired0", "securityProfile": 1}
    res = station.call("SetNetworkProfile", {"configurationSlot": 2, "connectionData": data})
    station.check(res.get("status") == "Rejected", r.DOWNGRADE, f"SetNetworkProfile with security profile 1 (the "
                  f"station runs {sec}) was answered {res.get('status')}; below profile 2 must be Rejected in 2.1 too")


def needs_tls(request: Any, profile: Any, level: int = 2) -> Any:
    """The run's test PKI, for a case that needs the run at security profile `level` or higher: a run at a lower
    profile makes the case NOT_APPLICABLE (the station's PICS may declare TLS, but this run does not use it); a
    run over the lab's own certificates is INCONCLUSIVE (the bad material comes from the generated PKI)."""
    from ..fixturekit import generated_pki, not_applicable
    sec = security_profile(profile)
    if sec < level:
        not_applicable(request, f"this run uses security profile {sec}; the case needs {level} or higher "
                       "(PIXIT security_profile)")
    return generated_pki(request, "shows the station CSMS TLS material of the run's test PKI")


def run_row(request: Any, station: Any, profile: Any, variant: str) -> None:
    """One row of the matrix as a case: the station refuses the bad set-up; where the row's official case says so,
    it then reports the security event once it is connected again (to the good set-up)."""
    pki = needs_tls(request, profile)
    row = BY_VARIANT[variant]
    start = len(station.csms.trace)
    must_refuse(station, pki, row, profile)
    if row.event is not None:
        expect_security_event(station, row, start, float(profile.param("message_wait", 5)))


# ---------------------------------------------------------------- the matrix against the reference stations
PROFILES = {"1.6": {2: "reference-station-16-sp2", 3: "reference-station-16-sp3"},
            "2.0.1": {2: "reference-station-201-sp2", 3: "reference-station-201-sp3"},
            "2.1": {2: "reference-station-21-sp2", 3: "reference-station-21-sp3"}}
STATIONS = {"1.6": "vgitest.ocpp.station.v16:Station16", "2.0.1": "vgitest.ocpp.station.v201:Station201",
            "2.1": "vgitest.ocpp.station.v21:Station21"}


class _Dut:
    """The reference station as the DUT adapter the judging functions use (only a restart is needed)."""

    def __init__(self, station: Any) -> None:
        self.station = station

    def perform(self, action: str, **params: Any) -> None:
        self.station.perform(action, **params)


def reference_verdict(version: str, row: Row, fault: str | None, folder: Any) -> tuple[str, str | None]:
    """(verdict, rule) of one row for the reference station of `version`, clean or with `fault`: the station and
    a fake CSMS with a fresh test PKI, in-process, judged by the same functions as the cases."""
    import importlib
    from pathlib import Path
    from ..profile import Profile
    from ..verdict import NonConformance
    from . import testpki
    from .csms import FakeCsms
    sec = 3 if row is CLIENT_ROW else 2
    profile = Profile.load(PROFILES[version][sec])
    identity = str(profile.dut["identity"])
    pki = testpki.make(Path(folder), identity, str(profile.param("cpo_name", testpki.DEFAULT_CPO)))
    password = profile.dut.get("password")
    module, cls = STATIONS[version].split(":")
    with FakeCsms(security_profile=sec, ssl_context=pki.server_context("good", security_profile=sec),
                  passwords={identity: password} if password else {}, cpo_name=pki.cpo_name,
                  heartbeat_interval=int(profile.param("heartbeat_interval", 60))) as csms:
        station = getattr(importlib.import_module(module), cls)(
            csms.url, identity, password=password, faults=(fault,) if fault else (),
            params={**profile.pixit, **pki.files()}).start()
        session = csms.session(identity)
        try:
            if row is CLIENT_ROW:
                judge_good_connection(session, _Dut(station), profile)
            else:
                session.wait_connected(float(profile.param("connect_timeout", 10)))
                session.expect("BootNotification", float(profile.param("boot_timeout", 8)))
                start = len(csms.trace)
                must_refuse(session, pki, row, profile)
                if row.event is not None:
                    expect_security_event(session, row, start, float(profile.param("message_wait", 5)))
            return "PASS", None
        except NonConformance as exc:
            return "FAIL", exc.findings[0].rule_id if exc.findings else None
        except Inconclusive:
            return "INCONCLUSIVE", None
        finally:
            station.stop()


def markdown(verdicts: dict[tuple[str, str, str], tuple[str, str | None]]) -> str:
    """docs/tls-matrix.md from {(version, variant, "clean" | fault): (verdict, rule)}."""
    lines = ["# The negative TLS matrix (OCPP security profiles 2 and 3)", "",
             "The fake CSMS serves, on the port the station dials, a TLS set-up a conforming station must refuse. The "
             "station's refusal (it breaks off the handshake and tries again, never opening the WebSocket) is the "
             "PASS; a station that opens the WebSocket anyway FAILs with the row's rule. Profile 3's row turns it "
             "round: the CSMS asks for the station's certificate and refuses a station that comes without one. Rows "
             "and judging: `vgitest/ocpp/tlsmatrix.py`; the cases run in the built-in runs `ocpp16-sp2`, "
             "`ocpp16-sp3`, `ocpp201-sp2`, `ocpp201-sp3`, `ocpp21-sp2` and `ocpp21-sp3` on a test PKI made for the "
             "run (PIXIT `tls_material = \"generated\"`).", "",
             "The verdicts below are the reference stations', clean and with the catalogued fault that weakens the "
             "check; `tests/ocpp/test_tls_matrix.py` runs every row and fails when this table differs "
             "(`python -m vgitest.ocpp.tlsmatrix > docs/tls-matrix.md` writes it again).", "",
             "| row | the fake CSMS presents | " + " | ".join(f"case {v}" for v in VERSIONS) + " | rule | fault | "
             + " | ".join(f"{v} clean | {v} with fault" for v in VERSIONS) + " |",
             "|" + "---|" * (4 + 3 * len(VERSIONS))]
    for row in ROWS + (CLIENT_ROW,):
        variant = "client-certificate" if row is CLIENT_ROW else row.variant
        cells = []
        for version in VERSIONS:
            for which in ("clean", row.fault):
                verdict, rule = verdicts[(version, variant, which)]
                cells.append(verdict + (f" ({rule})" if rule else ""))
        lines.append(f"| `{variant}` | {row.what} | " + " | ".join(f"`{row.cases[v]}`" for v in VERSIONS)
                     + f" | `{row.rule}` | `{row.fault}` | " + " | ".join(cells) + " |")
    lines += ["", "Independent stations (tests/interop) that do not declare `SecurityProfile2` / `SecurityProfile3` get "
              "NOT_APPLICABLE for every row.", ""]
    return "\n".join(lines)


def all_verdicts(folder: Any) -> dict[tuple[str, str, str], tuple[str, str | None]]:
    from pathlib import Path
    out = {}
    for version in VERSIONS:
        for row in ROWS + (CLIENT_ROW,):
            variant = "client-certificate" if row is CLIENT_ROW else row.variant
            for fault in (None, row.fault):
                out[(version, variant, fault or "clean")] = reference_verdict(
                    version, row, fault, Path(folder) / f"{version}-{variant}-{fault or 'clean'}")
    return out


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        print(markdown(all_verdicts(tmp)), end="")
