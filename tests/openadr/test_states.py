"""The reusable OpenADR states on a VEN that cannot reach them: the test is INCONCLUSIVE, never FAIL, and the
step it missed is judged by the case that tests that step."""

from __future__ import annotations

from pathlib import Path

from tests.test_fault_matrix import run_with_fault


def test_a_ven_that_never_registers_its_reports_leaves_a_program_case_inconclusive(tmp_path: Path) -> None:
    """Reaching Registered from scratch needs the VEN's oadrRegisterReport (PICS Reports). A VEN that never sends
    it fails R1_3010 (the catalog's detection of no_register_report); a case that only needs the state, here after
    N1_0060 left the VEN without a registration, ends INCONCLUSIVE and names what was missing, with no finding."""
    doc = run_with_fault(tmp_path, "2.0b", "no_register_report", ("test_N1_0060_TH_VTN_1", "test_TC_VGI_EVR_01"),
                         strict=False)
    (r,) = [x for x in doc["results"] if x["test"] == "test_TC_VGI_EVR_01"]
    assert r["verdict"] == "INCONCLUSIVE", (r["verdict"], r.get("message"), r["findings"])
    assert "oadrRegisterReport" in (r.get("message") or "")
    assert not [f for f in r["findings"] if f.get("severity") == "fail"]


class _Profile:
    """The bits of a profile the states read: a pull VEN without reports, short waits."""

    pics = {"HttpPull": True}
    pixit = {"message_wait": 1, "register_wait": 2}

    def supports(self, feature: str) -> bool:
        return bool(self.pics.get(feature))

    def param(self, key: str, default: object = None) -> object:
        return self.pixit.get(key, default)


def test_quiet_waits_for_the_vens_reaction_to_the_last_payload(oadr_schema_dir: object) -> None:
    """A VEN that polls again right after a poll that carried a payload (pyoadr-ven) is idle only once a poll came
    back empty: quiet() returns after that poll, so the poll is judged in the test that delivered the payload and
    never, depending on timing, in the next one."""
    import threading
    import time

    from tests.openadr.test_vtn_rules import register, send
    from vgitest.openadr import messages as m
    from vgitest.openadr.states import quiet
    from vgitest.openadr.vtn import FakeVtn

    vtn = FakeVtn(poll_freq_s=1).start()
    try:
        ven = register(vtn)
        vtn.session.queue("oadrRequestReregistration", {"venID": ven})
        send(vtn, "oadrPoll", m.poll(ven))  # carries the payload
        threading.Timer(0.3, lambda: send(vtn, "oadrPoll", m.poll(ven))).start()  # the VEN's drain poll
        t0 = time.monotonic()
        assert quiet(vtn.session, _Profile())
        assert time.monotonic() - t0 >= 0.25
        assert [f.name for f in vtn.trace][-2:] == ["oadrPoll", "oadrResponse"]
        t0 = time.monotonic()
        assert quiet(vtn.session, _Profile())  # its last word was an empty poll: idle at once
        assert time.monotonic() - t0 < 0.5
    finally:
        vtn.stop()


def test_quiet_is_bounded_when_the_ven_goes_silent(oadr_schema_dir: object) -> None:
    import time

    from tests.openadr.test_vtn_rules import register, send
    from vgitest.openadr import messages as m
    from vgitest.openadr.states import quiet
    from vgitest.openadr.vtn import FakeVtn

    vtn = FakeVtn(poll_freq_s=1).start()
    try:
        ven = register(vtn)
        vtn.session.queue("oadrRequestReregistration", {"venID": ven})
        send(vtn, "oadrPoll", m.poll(ven))
        t0 = time.monotonic()
        assert not quiet(vtn.session, _Profile())  # no poll ever comes
        assert time.monotonic() - t0 < 2 * 1 + 1 + 0.5  # 2 poll periods + message_wait
    finally:
        vtn.stop()


def test_the_first_test_starts_after_the_vens_power_on_registration(tmp_path: Path) -> None:
    """The VEN is switched on while the first test sets up; its own registration is not that test's business. The
    first test's frames begin once the VEN registered by itself and went idle (with a VEN that takes a moment to
    start, such as pyoadr-ven in its own process, they used to begin somewhere inside that registration)."""
    import json

    from tests.interop.oracle import ROOT, run_suite
    results = run_suite("suites/openadr20b", ROOT / "profiles" / "reference-ven-20b.toml", tmp_path, "first",
                        ["test_E1_1010_TH_VTN_1"], timeout=120)
    assert [r["verdict"] for r in results] == ["PASS"]
    frames = [json.loads(line) for line in
              (tmp_path / "first" / "tests" / "test_E1_1010_TH_VTN_1" / "frames.jsonl").read_text().splitlines()]
    names = {f["name"] for f in frames}
    assert not names & {"oadrQueryRegistration", "oadrCreatePartyRegistration", "oadrRegisterReport"}, names
