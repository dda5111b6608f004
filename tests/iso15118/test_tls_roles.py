"""TLS and Plug & Charge in the live roles over loopback: the fake SECC with the reference EV, the fake EVCC with
the reference EVSE, a generated V2G test PKI, the key log, and a finding for each TLS / PnC rule provoked.

Every wait is bounded (sessions by their deadline, the fakes' loops by timeouts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vgitest.iso15118 import pnc, testpki, tls
from vgitest.iso15118.fake import FakeEvcc, FakeSecc
from vgitest.iso15118.params import EvParams, EvseParams
from vgitest.iso15118.reference import ReferenceEv, ReferenceEvse
from vgitest.iso15118.suite import open_meta
from vgitest.iso15118.timers import Timers

TIMERS = Timers(overrides={"secc_sequence_timeout": 3, "termination": 1, "cablecheck_loop.evcc": 2,
                           "precharge_loop.evcc": 2, "ongoing_timeout": 3,
                           "secc_msg_performance.CurrentDemand": 0.5})
FAST = {"ev_soc_per_s": 100, "ev_loop_interval_s": 0.02, "timers": {"secc_sequence_timeout": 3, "termination": 1}}
EVSE = EvseParams(payment_options=("Contract", "ExternalPayment"), receipt_required=True)


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str], Path]:
    folder = tmp_path_factory.mktemp("v2g")
    pki = testpki.make(folder / "pki")
    return pki, pki.files(), folder


def _rules(fake: Any) -> set[str]:
    return {f.rule_id for f in fake.trace.findings_since(0)}


def _ev_run(material: Any, faults: tuple[str, ...] = (), *, present: str | None = None) -> tuple[FakeSecc, Any]:
    pki, files, folder = material
    keylog = folder / "ev-keys.log"
    secc = FakeSecc(host="::1", sdp_host="::1", sdp_port=0, families=("iso-2",), evse=EVSE, timers=TIMERS,
                    ssl_context=tls.secc_context(pki, iso20=False, keylog=keylog))
    secc.pnc, secc.pki, secc.keylog = pnc.SeccPnc.from_files(files), pki, keylog
    secc.start()
    ev = ReferenceEv(secc.url, "EV", faults=faults, params={"dut_version": "iso-2", "tls": True,
                                                             "ev_payment": "Contract", **FAST, **files}).start()
    try:
        secc.reset_for_test()
        if present:
            pnc.present_secc_certificate(secc, present)
        ev.perform("plug_in")
        s = secc.next_session(20)
    finally:
        ev.stop()
        secc.stop()
    return secc, s


def _evse_run(material: Any, faults: tuple[str, ...] = (), **knobs: Any) -> tuple[FakeEvcc, Any]:
    pki, files, folder = material
    evse = ReferenceEvse("", "EVSE", faults=faults, params={
        "dut_version": "iso-2", "tls": True, "evse_payment_options": ["Contract", "ExternalPayment"],
        "evse_receipt_required": True, "timers": {"secc_sequence_timeout": 3, "termination": 1}, **files}).start()
    evcc = FakeEvcc(sdp_target="::1", sdp_port=evse.sdp_port, offers=("iso-2",), want_tls=True, timers=TIMERS,
                    ev=EvParams(payment="Contract", soc_per_s=100, loop_interval_s=0.02), sdp_retries=4,
                    ssl_context=tls.evcc_context(pki, iso20=False, keylog=folder / "evse-keys.log"))
    evcc.pnc, evcc.tls_required = pnc.EvPnc.from_files(files), True
    evcc.start()
    try:
        evcc.reset_for_test()
        for k, v in knobs.items():
            if v == "untrusted":
                v = evcc.pnc.untrusted_contract
            setattr(evcc.pnc, k, v) if not isinstance(v, set) else getattr(evcc.pnc, k).update(v)
        s = evcc.charge(deadline_s=30)
    finally:
        evcc.stop()
        evse.stop()
    return evcc, s


def test_fake_secc_and_reference_ev_run_plug_and_charge_over_tls(material: Any) -> None:
    secc, s = _ev_run(material)
    assert s.end_reason == "session stopped", s.end_reason
    meta = open_meta(secc, s)
    assert meta["tls_version"] == "TLSv1.2" and meta["tls_cipher"] == "ECDHE-ECDSA-AES128-SHA256", meta
    names = s.names()
    assert "PaymentDetailsReq" in names and "MeteringReceiptReq" in names, names
    assert _rules(secc) == set()
    entries = tls.read_keylog(material[2] / "ev-keys.log")
    assert entries and entries[0][0] == "CLIENT_RANDOM"


def test_fake_evcc_and_reference_evse_run_plug_and_charge_over_tls(material: Any) -> None:
    evcc, s = _evse_run(material, install=True)
    assert s.completed, s.end_reason
    assert s.response("CertificateInstallationRes") is not None and s.response("MeteringReceiptRes") is not None
    meta = open_meta(evcc, s)
    assert meta["tls_version"] == "TLSv1.2", meta
    assert _rules(evcc) == set(), [str(f) for f in evcc.trace.findings_since(0)]
    assert tls.read_keylog(material[2] / "evse-keys.log")


@pytest.mark.parametrize("fault,rule", [
    ("no_tls", "V2G-TLS"), ("bad_signature", "V2G-PNC-SIGNATURE"), ("unsigned_authorization", "V2G-PNC-SIGNATURE"),
    ("wrong_gen_challenge", "V2G-PNC-CHALLENGE"), ("untrusted_contract", "V2G-PNC-CERTIFICATE"),
    ("bad_metering_signature", "V2G-PNC-SIGNATURE"), ("ignores_receipt_request", "V2G-PNC-RECEIPT")])
def test_fake_secc_finds_ev_faults(material: Any, fault: str, rule: str) -> None:
    secc, _ = _ev_run(material, (fault,))
    assert rule in _rules(secc)


def test_ev_that_accepts_an_expired_secc_certificate_is_a_finding(material: Any) -> None:
    secc, s = _ev_run(material, present="expired_secc")
    assert open_meta(secc, s).get("tls_error") and _rules(secc) == set()  # the conformant EV refuses
    secc, s = _ev_run(material, ("accepts_expired_secc_certificate",), present="expired_secc")
    assert "V2G-TLS" in _rules(secc)


@pytest.mark.parametrize("fault,knobs,rule", [
    ("expired_secc_certificate", {}, "V2G-TLS"), ("untrusted_secc_certificate", {}, "V2G-TLS"),
    ("no_tls", {}, "V2G-TLS"),
    ("accepts_bad_signature", {"tamper": {"AuthorizationReq"}}, "V2G-PNC-SIGNATURE"),
    ("accepts_wrong_gen_challenge", {"wrong_challenge": True}, "V2G-PNC-CHALLENGE"),
    ("accepts_untrusted_contract", {"contract": "untrusted"}, "V2G-PNC-CERTIFICATE"),
    ("bad_installation_signature", {"install": True}, "V2G-PNC-SIGNATURE"),
    ("installation_placeholder_certificates", {"install": True}, "V2G-PNC-CERTIFICATE")])
def test_fake_evcc_finds_evse_faults(material: Any, fault: str, knobs: dict[str, Any], rule: str) -> None:
    evcc, _ = _evse_run(material, (fault,), **knobs)
    assert rule in _rules(evcc), [str(f) for f in evcc.trace.findings_since(0)]


def test_iso20_secc_requires_a_vehicle_certificate(tmp_path: Path) -> None:
    """ISO-20: TLS 1.3 with mutual authentication; an EV without a vehicle certificate fails the handshake (V2G-TLS);
    with the OEM chain it gets TLS 1.3."""
    import asyncio
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.trace import Trace
    pki = testpki.make(tmp_path / "pki", iso20=True)
    secc = FakeSecc(host="::1", sdp_host="::1", sdp_port=0, families=("iso-20",), timers=TIMERS,
                    ssl_context=tls.secc_context(pki, iso20=True)).start()
    try:
        for ctx in (tls.evcc_context(pki, iso20=True, send_client_cert=False), tls.evcc_context(pki, iso20=True)):
            client = EvccClient(Trace(), offers=("iso-20",), sdp_target="::1", sdp_port=secc.server.sdp_port,
                                ssl_context=ctx, want_tls=True, timers=TIMERS, judge=False, sdp_retries=3)
            asyncio.run(asyncio.wait_for(client.run(deadline_s=5), 15))
            secc.next_session(10)
        first, second = secc.server.sessions[-2:]
        assert open_meta(secc, first).get("tls_error") and "V2G-TLS" in _rules(secc)
        assert open_meta(secc, second).get("tls_version") == "TLSv1.3", open_meta(secc, second)
    finally:
        secc.stop()
