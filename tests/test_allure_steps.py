"""Each request the harness makes of the device from a fake peer's loop (an OpenADR 2.0b push, an OpenADR 3
notification, a 2030.5 Notification, a request of the fake EV in ISO 15118 or IEC 61850) is one Allure step with
its request and the device's answer, failed when the device gave no answer or did not take it: the cases run in a
pytest of their own with --alluredir, and their steps are read back from the result JSON.

Each fake sends those from its event loop's thread, where Allure cannot open a step; the steps come from the test
thread: where the test waits for the exchange, at its next wait, at the end of the body, or after the session."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CASES = '''
import datetime as dt
import http.client
import http.server
import threading

import pytest

from vgitest.openadr import messages as m
from vgitest.openadr.vtn import FakeVtn
from vgitest.openadr3.peer import VtnPeer
from vgitest.sep2 import codec
from vgitest.sep2.server import FakeSep2Server
from vgitest.trace import Direction

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5"


class Device:
    """The device's listener: answers each POST with the next scripted status (`default` when none is left)."""

    def __init__(self, default):
        script = self.statuses = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(script.pop(0) if script else default)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def device(request):
    d = Device(request.param)
    yield d
    d.stop()


def answered(trace, pred, start):
    assert trace.wait_for(pred, start, 5) is not None


@pytest.mark.parametrize("device", [200], indirect=True)
def test_openadr_push(device):
    with FakeVtn() as vtn:
        vtn.state.http_pull, vtn.state.transport_address = False, device.url
        ev = m.event("EV-1", start=dt.datetime.now(dt.timezone.utc), signals=[m.signal([m.interval(0, 600, 1)])],
                     ven_ids=["V"])
        body = m.distribute_event(vtn.state.vtn_id, [(ev, "always")])
        vtn.session.queue("oadrDistributeEvent", body)
        assert vtn.session.wait_delivered(5) is not None
        device.statuses.append(500)
        vtn.session.queue("oadrDistributeEvent", body)
        assert vtn.session.wait_delivered(1) is None  # refused: the caller judges, the step shows it
        start = len(vtn.trace)
        vtn.session.queue("oadrCancelPartyRegistration", m.cancel_party_registration("R", "V"))
        answered(vtn.trace, lambda f: f.direction is Direction.IN and f.meta.get("pushed"), start)
        vtn.session.expect_none("oadrPoll", 0.05)  # the next wait of the test shows the push nobody waited for


@pytest.mark.parametrize("device", [204], indirect=True)
def test_openadr3_notifications(device):
    with VtnPeer() as vtn:
        vtn.store.create("subscriptions", {"clientName": "c", "programID": vtn.session.program_id,
                                           "objectOperations": [{"objects": ["EVENT"], "operations": ["POST"],
                                                                 "callbackUrl": device.url}]})
        event = {"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}]}
        start = len(vtn.trace)
        vtn.session.create_event(event)
        assert vtn.wait_notified(start, 5) is not None
        assert vtn.session.post_raw("http://127.0.0.1:9/nobody", b"{}", None, 5).meta["status"] is None
        start = len(vtn.trace)
        vtn.session.create_event(event)
        answered(vtn.trace, lambda f: f.kind == "NOTIFY-ANSWER", start)
        vtn.after_test(start, None, {})  # no wait of the test's: the end of the body (the after-test hook) shows it


@pytest.mark.parametrize("device", [201], indirect=True)
def test_sep2_notifications(device):
    with FakeSep2Server(notify_timeout_s=1.5) as srv:
        st, s = srv.state, srv.session
        dev = st.register_device(LFDI)
        prog = st.add_program(1)
        derc = f"/derp/{prog.number}/derc"
        sub = codec.encode("Subscription", {"subscribedResource": derc, "encoding": "0", "level": "+S1",
                                            "limit": "1", "notificationURI": device.url})
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        conn.request("POST", f"/edev/{dev.number}/sub", body=sub, headers={"Content-Type": "application/sep+xml"})
        assert conn.getresponse().status == 201
        conn.close()
        mark = len(srv.trace)
        st.add_control(prog, {"opModMaxLimW": "5000"})
        assert s.expect_notification(derc, 5, since=mark).meta["status"] == 201
        s.notify(derc, b"<Notification><broken", expect=400)  # taken although broken: a finding on the answer
        mark = len(srv.trace)
        st.add_control(prog, {"opModMaxLimW": "4000"})
        answered(srv.trace, lambda f: f.direction is Direction.IN and f.meta.get("notification"), mark)
        s.expect_none("GET", "/nothing", 0.05)


def test_iso15118_charge():
    from vgitest.iso15118.fake import FakeEvcc
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.script import Action, Script
    from vgitest.iso15118.secc import SeccServer
    from vgitest.loop import BackgroundLoop
    from vgitest.trace import Trace

    loop = BackgroundLoop("evse")
    script = Script()
    srv = loop.run(SeccServer(Trace(), families=("iso-2",), judge=False, script=script).start())
    evcc = FakeEvcc(sdp_port=srv.sdp_port, offers=("iso-2",), ev=EvParams(soc_per_s=300, loop_interval_s=0.005))
    evcc.start()
    try:
        assert evcc.charge(deadline_s=30).completed
        script.add(Action(match="CableCheckReq", close=True))  # the EVSE hangs up instead of answering
        assert not evcc.charge(deadline_s=30).completed
    finally:
        evcc.stop()
        loop.run(srv.stop())
        loop.stop()


def test_iec61850_requests():
    from vgitest.iec61850.fake import FakeFlowEv
    from vgitest.trace import Frame, Trace

    trace = Trace()

    def frame(direction, kind, name, corr):
        return trace.append(Frame(0, 0.0, direction, "iec61850", "mms", "flow-1-mms0", kind, name, corr, b"x"))

    frames = [frame(Direction.OUT, "REQUEST", "MMS Write PowerRequest (EV1/X)", "1"),
              frame(Direction.IN, "RESPONSE", "MMS Write PowerRequest (EV1/X)", "1"),
              frame(Direction.OUT, "REQUEST", "MMS Read EVParameters (3 variables)", "2")]
    FakeFlowEv().request_steps(frames)  # what flow() does with the frames of its flow, once it ended
'''


def _steps(steps: list[dict]) -> list[dict]:
    out = []
    for s in steps:
        out.append(s)
        out += _steps(s.get("steps", []))
    return out


def _frames(folder: Path, step: dict) -> list[dict[str, Any]]:
    (att,) = [a for a in step.get("attachments", []) if a["name"].startswith("request")]
    return json.loads((folder / att["source"]).read_text())


def _named(steps: list[dict], start: str) -> list[dict]:
    return [s for s in steps if s["name"].startswith(start)]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[dict]]]:
    """The cases run once (a pytest of their own, --alluredir); their steps, flattened, by test name."""
    folder = tmp_path_factory.mktemp("allure-steps")
    (folder / "test_cases.py").write_text(CASES)
    out = folder / "allure"
    done = subprocess.run([sys.executable, "-m", "pytest", "test_cases.py", f"--alluredir={out}", "-q",
                           "-p", "no:cacheprovider", "-p", "no:xdist"], cwd=folder, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    by = {}
    for p in out.glob("*-result.json"):
        r = json.loads(p.read_text())
        by[r["name"].split("[")[0]] = _steps(r.get("steps", []))
    return out, by


def test_a_push_is_a_step_with_both_frames_and_a_refused_one_fails_it(results: tuple[Path, dict]) -> None:
    folder, by = results
    pushes = _named(by["test_openadr_push"], "push ")
    assert [s["name"] for s in pushes] == ["push oadrDistributeEvent -> VEN"] * 2 + \
        ["push oadrCancelPartyRegistration -> VEN"]
    taken, refused, unwaited = pushes
    frames = _frames(folder, taken)
    assert [(f["direction"], f["name"]) for f in frames] == [("harness -> device", "oadrDistributeEvent"),
                                                            ("device -> harness", "(empty)")]
    assert frames[1]["http_status"] == 200 and taken["status"] == "passed"
    assert refused["status"] == "failed" and "HTTP 500" in refused["statusDetails"]["message"]
    assert _frames(folder, refused)[1]["broke"] == ["OADR-PUSH-RESPONSE"]
    # nobody waited for the third: the next wait showed it, with the rule the empty answer broke
    assert unwaited["status"] == "failed" and _frames(folder, unwaited)[1]["broke"] == ["OADR-PUSH-RESPONSE"]


def test_a_notification_is_a_step_with_both_frames_and_no_answer_fails_it(results: tuple[Path, dict]) -> None:
    folder, by = results
    notes = _named(by["test_openadr3_notifications"], "notify ")
    assert [s["name"].split(" -> ")[0] for s in notes] == ["notify EVENT POST", "notify a made-up notification",
                                                            "notify EVENT POST"]
    waited, raw, unwaited = notes
    for s in (waited, unwaited):
        frames = _frames(folder, s)
        assert [f["kind"] for f in frames] == ["NOTIFY", "NOTIFY-ANSWER"] and frames[1]["http_status"] == 204
        assert s["status"] == "passed"
    assert raw["status"] == "failed" and "did not answer" in raw["statusDetails"]["message"]
    assert "error" in _frames(folder, raw)[1]


def test_a_2030_5_notification_is_a_step_with_both_frames(results: tuple[Path, dict]) -> None:
    folder, by = results
    notes = _named(by["test_sep2_notifications"], "notify ")
    assert [re.sub(r"/derp/\d+/", "/derp/N/", s["name"]) for s in notes] == [
        "notify /derp/N/derc -> client", "notify /derp/N/derc -> client with a made-up body (HTTP 400 expected)",
        "notify /derp/N/derc -> client"]
    for s in notes:
        frames = _frames(folder, s)
        assert [(f["direction"], f["kind"]) for f in frames] == [("harness -> device", "REQUEST"),
                                                                ("device -> harness", "RESPONSE")]
        assert frames[1]["http_status"] == 201 and s["status"] == "passed"
    assert _frames(folder, notes[1])[1]["broke"] == ["SEP2-NOTIFICATION-ANSWER"]
    assert "Notification" in _frames(folder, notes[2])[0]["message"]


def test_a_charge_has_a_step_per_request_of_the_fake_ev(results: tuple[Path, dict]) -> None:
    folder, by = results
    steps = by["test_iso15118_charge"]
    assert [s["name"] for s in steps if s["name"].startswith("charge:")] == \
        ["charge: the fake EV runs a session with the EVSE (iso-2, DC)"] * 2
    exchanges = [s for s in steps if s["name"].endswith("Req -> EVSE")]
    assert exchanges[0]["name"] == "supportedAppProtocolReq -> EVSE"
    frames = _frames(folder, exchanges[0])
    assert [(f["direction"], f["name"]) for f in frames] == [("harness -> device", "supportedAppProtocolReq"),
                                                            ("device -> harness", "supportedAppProtocolRes")]
    stops = [i for i, s in enumerate(exchanges) if s["name"] == "SessionStopReq -> EVSE"]
    assert len(stops) == 1 and all(s["status"] == "passed" for s in exchanges[:stops[0] + 1])
    hung_up = exchanges[-1]  # the second session: no answer to CableCheckReq fails its step
    assert hung_up["name"] == "CableCheckReq -> EVSE" and hung_up["status"] == "failed"
    assert "did not answer CableCheckReq" in hung_up["statusDetails"]["message"]
    assert [f["direction"] for f in _frames(folder, hung_up)] == ["harness -> device"]


def test_an_mms_request_of_the_fake_ev_is_a_step(results: tuple[Path, dict]) -> None:
    folder, by = results
    steps = by["test_iec61850_requests"]
    assert [(s["name"], s["status"]) for s in steps] == [("MMS Write PowerRequest (EV1/X) -> EVSE", "passed"),
                                                         ("MMS Read EVParameters (3 variables) -> EVSE", "failed")]
    assert [f["direction"] for f in _frames(folder, steps[0])] == ["harness -> device", "device -> harness"]
    assert "did not answer" in steps[1]["statusDetails"]["message"]
