"""Every rule declares the protocol versions it judges, and a finding of a rule on a frame of another version is
reported as observed, never judged (``vgitest.case.not_judged_because``; docs/verdicts.md, "Rules know their
versions").

For ISO 15118 / DIN SPEC 70121 the versions are the strings the V2G frames carry (:mod:`vgitest.iso15118.versions`):
a rule of one family must not judge another family's frame, and the SDP and supportedAppProtocol rules, common to
every family, must judge the SDP and SAP frames of a session of any family.
"""

from __future__ import annotations

import pytest

from vgitest.case import not_judged_because
from vgitest.findings import ANY_VERSION, RULES, Finding, Rule, register_all
from vgitest.iso15118 import versions as v2g
from vgitest.trace import Direction, Frame, Trace

register_all()
PROTOCOLS = sorted({r.protocol for r in RULES.all()})
LATER: tuple[str, ...] = ()  # protocols whose rules are not declared yet (none)
KNOWN = {  # the versions the frames of a protocol carry (None: not checked here)
    "ocpp": {"1.6", "2.0.1", "2.1"},
    "iso15118": set(v2g.ALL),
    "slac": {"15118-3"},
    "openadr": {"2.0b"},
    "openadr3": {"3.0.1", "3.1.0"},  # the fake VTN plays either (vgitest.openadr3.versions)
    "sep2": {"2030.5"},
    "iec61850": {"ed2"},  # GOOSE, SV, MMS and the Table 5 flow: Edition 2 frames
}


def _declared(protocol: str) -> pytest.param:
    marks = [pytest.mark.xfail(strict=True, reason="declared after the openadr/sep2 merges")] if protocol in LATER \
        else []
    return pytest.param(protocol, marks=marks, id=protocol or "no-protocol")


@pytest.mark.parametrize("protocol", [_declared(p) for p in PROTOCOLS])
def test_every_rule_declares_the_versions_it_judges(protocol: str) -> None:
    undeclared = [r.id for r in RULES.all() if r.protocol == protocol and not r.versions]
    assert not undeclared, f"{protocol or 'protocol-less'} rules without versions=(...): {undeclared}"
    known = KNOWN.get(protocol)
    for r in RULES.all():
        if r.protocol != protocol or r.versions == ANY_VERSION:
            continue
        assert len(set(r.versions)) == len(r.versions) and all(r.versions), r
        if known is not None:
            assert set(r.versions) <= known, f"{r.id} names versions no {protocol} frame carries: {r.versions}"


def test_the_slac_version_is_the_one_slac_frames_carry() -> None:
    from vgitest.slac import catalog, fake, reference, rules
    assert rules.VERSION == fake.VERSION == catalog.VERSION == reference.VERSION
    assert {v for r in RULES.for_protocol("slac") for v in r.versions} == {rules.VERSION}


# --- ISO 15118 / DIN SPEC 70121 --------------------------------------------------------------------------------

def _session(family: str) -> Trace:
    """The frames of one session of ``family`` as the live roles write them: SDP, then the TCP connection."""
    trace = Trace()
    for version, kind, name in ((v2g.SDP, "SDP", "SDPReq"), (v2g.SDP, "SDP", "SDPRes"), (v2g.SAP, "OPEN", None),
                                (v2g.SAP, "REQUEST", "supportedAppProtocolReq"),
                                (v2g.SAP, "RESPONSE", "supportedAppProtocolRes"),
                                (family, "REQUEST", "SessionSetupReq"), (family, "RESPONSE", "SessionSetupRes"),
                                (family, "CLOSE", None)):
        trace.append(Frame(0, 0.0, Direction.IN, "iso15118", version, "v2g-1", kind, name))
    return trace


def _on(trace: Trace, rule: Rule, version: str) -> Finding:
    frame = next(f for f in trace if f.version == version)
    return Finding.of(rule.id, "test", frame.index)


def _v2g_rules() -> list[Rule]:
    return RULES.for_protocol("iso15118")


FAMILY_SPECIFIC = [r for r in _v2g_rules()  # rules of some families, not all (the SDP rules judge no family's frames)
                   if set(r.versions) & set(v2g.FAMILIES) and not set(v2g.FAMILIES) <= set(r.versions)]


def test_some_v2g_rules_are_family_specific() -> None:
    """Plug & Charge (ISO 15118-2 messages), EVSENotification StopCharging/ReNegotiation (DIN, ISO 15118-2),
    pause and resume (ISO 15118-2, -20: a DIN SessionStopReq cannot pause), TLS (not in DIN SPEC 70121) and the fuzz
    rules (the fuzz suites of ISO 15118-2, DIN SPEC 70121 and ISO 15118-20 judge them: every family)."""
    assert {r.id: r.versions for r in FAMILY_SPECIFIC} == {
        "V2G-PNC-CERTIFICATE": ("iso-2",), "V2G-PNC-CHALLENGE": ("iso-2",), "V2G-PNC-RECEIPT": ("iso-2",),
        "V2G-PNC-SIGNATURE": ("iso-2",), "V2G-EVSE-NOTIFICATION": ("din", "iso-2"),
        "V2G-SESSION-RESUME": ("iso-2", "iso-20"), "V2G-TLS": ("sdp", "sap", "iso-2", "iso-20")}


@pytest.mark.parametrize("rule", FAMILY_SPECIFIC, ids=lambda r: r.id)
def test_a_family_rule_does_not_judge_another_familys_frame(rule: Rule) -> None:
    for family in v2g.FAMILIES:
        trace = _session(family)
        why = not_judged_because(_on(trace, rule, family), trace)
        if family in rule.versions:
            assert why is None, (family, why)
        else:
            assert why is not None and rule.id in why and family in why, (family, why)


SAP_SDP = [r for r in _v2g_rules() if r.id.startswith(("V2G-SAP-", "V2G-SDP-")) or r.id == "V2G-V2GTP-HEADER"]


def test_the_sap_and_sdp_rules_are_the_ones_expected() -> None:
    assert {r.id for r in SAP_SDP} == {"V2G-SAP-FIRST", "V2G-SAP-RESULT", "V2G-SAP-CHOICE", "V2G-SAP-OFFER",
                                       "V2G-SDP-ANSWER", "V2G-SDP-REQUEST", "V2G-SDP-RETRY", "V2G-V2GTP-HEADER"}


@pytest.mark.parametrize("family", v2g.FAMILIES)
@pytest.mark.parametrize("rule", SAP_SDP, ids=lambda r: r.id)
def test_sap_and_sdp_findings_are_judged_in_every_family(rule: Rule, family: str) -> None:
    """An SDP rule judges the SDP datagrams, a SAP rule the handshake's frames and the session's later frames,
    whichever family the session negotiates."""
    trace = _session(family)
    where = [v2g.SDP] if rule.id.startswith("V2G-SDP-") else [v2g.SAP, family]
    if rule.id == "V2G-V2GTP-HEADER":  # the header of every V2GTP frame: SDP datagrams and TCP frames
        where = [v2g.SDP, v2g.SAP, family]
    for version in where:
        assert not_judged_because(_on(trace, rule, version), trace) is None, (rule.id, version)


@pytest.mark.parametrize("family", v2g.FAMILIES)
def test_the_rules_of_a_whole_connection_judge_its_sap_frames(family: str) -> None:
    """The timing and close rules watch the SAP exchange too (e.g. a late supportedAppProtocolRes, a peer that keeps
    the connection after Failed_NoNegotiation): a finding on a SAP frame is judged whatever the family."""
    trace = _session(family)
    for rid in ("V2G-SECC-PERFORMANCE", "V2G-EVCC-MSG-TIMEOUT", "V2G-NO-RESPONSE", "V2G-UNEXPECTED-RESPONSE",
                "V2G-EXI-DECODE", "V2G-STOP-AFTER-FAILED", "V2G-CLOSE-AFTER-FAILED", "V2G-SECC-SEQUENCE-CLOSE",
                "V2G-EVCC-TIMEOUT", "V2G-HEADER-IGNORED"):
        assert not_judged_because(_on(trace, RULES[rid], v2g.SAP), trace) is None, rid
        assert not_judged_because(_on(trace, RULES[rid], family), trace) is None, rid
