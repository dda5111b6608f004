"""The scenario rules (the ones a suite or a reusable state raises, not the per-frame checks) provoked by raw
frames: a scripted raw client plays the station, and the real suite code or state helper runs against it.

Together with tests/ocpp/test_rules_raw.py this gives every OCPP rule id a raw-frame provocation; the fault
matrix (tests/test_fault_matrix.py) shows the same rules against the reference stations.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

import pytest

from vgitest.ocpp import rules as r, states_v201
from vgitest.ocpp.csms import FakeCsms, StationSession
from vgitest.verdict import NonConformance

from tests.ocpp.rawclient import RawClient
from tests.ocpp.test_rules_raw import SCENARIO_RULES

SUITES = Path(__file__).resolve().parents[2] / "suites"
PROVOKED: set[str] = set()

BOOT_16 = {"chargePointVendor": "V", "chargePointModel": "M"}
BOOT_201 = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}


def suite_module(folder: str, name: str) -> ModuleType:
    """Import a suite file under a private name (the suites import their helpers by bare name)."""
    path = SUITES / folder / f"{name}.py"
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"_vgi_suite_{folder}_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Profile:
    """The two methods of a PICS/PIXIT profile the suite code uses, with short timers."""

    def __init__(self, **params: Any) -> None:
        self.params = {"boot_timeout": 1.0, "connect_timeout": 2.0, "message_wait": 1.0, "connectors": 1, **params}

    def param(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


Answer = dict | Callable[[dict], dict]


class RawStation:
    """A raw OCPP-J client on a reader thread: each CSMS CALL gets `answers[action]` back as a CALLRESULT,
    word for word; the test sends the station's own frames with `send`. Nothing is checked or corrected."""

    def __init__(self, csms: FakeCsms, version: str, answers: dict[str, Answer], ident: str = "CS1",
                 on_message: Callable[[list], bool] | None = None) -> None:
        self.csms, self.version, self.answers, self.ident = csms, version, answers, ident
        self.on_message = on_message  # sees every frame first; True: it handled the frame
        self.received: list[list] = []
        self._stop = threading.Event()
        self._n = 0
        self.client: RawClient | None = None
        self._reader: threading.Thread | None = None

    def connect(self, boot: bool = True) -> "RawStation":
        self.client = RawClient(self.csms.url_for(self.ident), ["ocpp1.6" if self.version == "1.6" else "ocpp2.0.1"])
        if boot:
            self.client.send([2, self._id(), "BootNotification", BOOT_16 if self.version == "1.6" else BOOT_201])
            assert self.client.recv()[0] == 3
        self._stop.clear()
        self._reader = threading.Thread(target=self._read, args=(self.client,), daemon=True)
        self._reader.start()
        return self

    def send(self, action: str, payload: dict) -> None:
        assert self.client is not None
        self.client.send([2, self._id(), action, payload])

    def restart(self, boot: bool) -> None:
        """Drop the connection and connect again, with or without a BootNotification."""
        self.close()
        self.connect(boot=boot)

    def close(self) -> None:
        self._stop.set()
        if self._reader is not None:
            self._reader.join(timeout=2)
        if self.client is not None:
            self.client.close()

    def _id(self) -> str:
        self._n += 1
        return f"s{self._n}"

    def _read(self, client: RawClient) -> None:
        deadline = time.monotonic() + 30  # bounded even if a test forgets to close
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                msg = json.loads(client.ws.recv(timeout=0.05))
            except TimeoutError:
                continue
            except Exception:
                return
            self.received.append(msg)
            if self.on_message is not None and self.on_message(msg):
                continue
            if msg[0] == 2 and msg[2] in self.answers:
                answer = self.answers[msg[2]]
                client.send([3, msg[1], answer(msg[3]) if callable(answer) else answer])


class Dut:
    """A DUT adapter whose actions are raw-frame reactions of the RawStation."""

    def __init__(self, **actions: Callable[..., None]) -> None:
        self.actions = actions

    def perform(self, action: str, **params: Any) -> None:
        self.actions[action](**params)

    def supports(self, action: str) -> bool:
        return action in self.actions


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0, connect_timeout=3.0).start()
    yield server
    server.stop()


def provokes(rule_id: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the rule when the module is imported (so the coverage guard works under xdist too)."""
    PROVOKED.add(rule_id)
    return lambda fn: fn


def provoked(csms: FakeCsms, rule_id: str, run: Callable[[], Any]) -> None:
    """`run` must fail the test with `rule_id` alone, and the finding must be in the trace."""
    assert rule_id in PROVOKED
    with pytest.raises(NonConformance) as err:
        run()
    assert [f.rule_id for f in err.value.findings] == [rule_id], str(err.value)
    assert rule_id in [f.rule_id for f in csms.trace.findings_since(0)]


def session(csms: FakeCsms, station: RawStation) -> StationSession:
    station.connect()
    return csms.wait_for_station("CS1", timeout=3)


@provokes(r.STATION_RESPONSE)
def test_response_status_unknown_key_accepted(csms: FakeCsms) -> None:
    suite = suite_module("ocpp16", "test_configuration")
    raw = RawStation(csms, "1.6", {"ChangeConfiguration": {"status": "Accepted"}})
    try:
        st = session(csms, raw)
        provoked(csms, r.STATION_RESPONSE, lambda: suite.test_TC_040_1_CS(st))
    finally:
        raw.close()


@provokes(r.CONFIG_NOT_APPLIED)
def test_config_accepted_but_not_applied(csms: FakeCsms) -> None:
    suite = suite_module("ocpp16", "test_configuration")
    stuck = {"configurationKey": [{"key": "MeterValueSampleInterval", "readonly": False, "value": "60"}]}
    raw = RawStation(csms, "1.6", {"GetConfiguration": stuck, "ChangeConfiguration": {"status": "Accepted"}})
    try:
        st = session(csms, raw)
        provoked(csms, r.CONFIG_NOT_APPLIED, lambda: suite.test_TC_021_CS(st))
    finally:
        raw.close()


@provokes(r.RESET_IGNORED)
def test_reset_accepted_but_no_restart(csms: FakeCsms) -> None:
    suite = suite_module("ocpp16", "test_reset")
    raw = RawStation(csms, "1.6", {"Reset": {"status": "Accepted"}})
    try:
        st = session(csms, raw)
        provoked(csms, r.RESET_IGNORED, lambda: suite.test_TC_013_CS(st, Profile()))
    finally:
        raw.close()


@provokes(r.BOOT_MISSING)
def test_restart_without_boot_notification(csms: FakeCsms) -> None:
    suite = suite_module("ocpp16", "test_reset")
    raw = RawStation(csms, "1.6", {})

    def reset(_payload: dict) -> dict:  # accept, then come back without registering
        threading.Timer(0.1, lambda: (raw.restart(boot=False), raw.send("Heartbeat", {}))).start()
        return {"status": "Accepted"}

    raw.answers["Reset"] = reset
    try:
        st = session(csms, raw)
        provoked(csms, r.BOOT_MISSING, lambda: suite.test_TC_014_CS(st, Profile()))
    finally:
        time.sleep(0.3)
        raw.close()


@provokes(r.STATUS_AFTER_BOOT)
def test_no_connector_status_after_boot(csms: FakeCsms) -> None:
    raw = RawStation(csms, "2.0.1", {})
    # The connector is stuck Occupied, so the state power-cycles the station: it registers again but reports
    # no connector afterwards.
    dut = Dut(reboot=lambda: raw.restart(boot=True), clear_fault=lambda connector: None,
              unplug=lambda connector: None)
    try:
        st = session(csms, raw)
        raw.send("StatusNotification", {"timestamp": "2026-01-01T00:00:00Z", "evseId": 1, "connectorId": 1,
                                        "connectorStatus": "Occupied"})
        st.expect("StatusNotification", 2)
        provoked(csms, r.STATUS_AFTER_BOOT, lambda: states_v201.booted(st, dut, Profile()))
    finally:
        raw.close()


@provokes(r.STATUS_TRANSITION)
def test_plug_in_not_reported_as_occupied(csms: FakeCsms) -> None:
    raw = RawStation(csms, "2.0.1", {})
    status = {"timestamp": "2026-01-01T00:00:00Z", "evseId": 1, "connectorId": 1}
    dut = Dut(plug_in=lambda connector: raw.send("StatusNotification", {**status, "connectorStatus": "Available"}))
    try:
        st = session(csms, raw)
        raw.send("StatusNotification", {**status, "connectorStatus": "Available"})
        st.expect("StatusNotification", 2)
        provoked(csms, r.STATUS_TRANSITION, lambda: states_v201.transaction(st, dut, Profile()))
    finally:
        raw.close()


def test_every_scenario_rule_is_provoked_here() -> None:
    missing = set(SCENARIO_RULES) - PROVOKED
    assert not missing, f"scenario rules without a raw-frame provocation: {sorted(missing)}"
