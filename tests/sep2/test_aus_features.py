"""The fake 2030.5 server's CSIP-AUS features (vgitest.sep2.aus and its HTTP modules): ConnectionPoint, per-path
poll rates, pricing, well-known and proxy routes, the v1.3-beta storage schema and namespace. Each check is shown
to fail on the bad case in the same test."""

from __future__ import annotations

import http.client
import json
from typing import Iterator

import pytest

from vgitest.sep2 import aus, codec
from vgitest.sep2.codec import as_list
from vgitest.sep2.namespaces import CSIPAUS, CSIPAUS_STORAGE
from vgitest.sep2.server import FakeSep2Server
from vgitest.sep2.validator import Sep2Validator

from .payloads import LFDI
from .test_server import call

STORAGE = "v1.3-beta/storage"


def aus_valid(doc: codec.Decoded | None, version: bool | str = True) -> bool:
    assert doc is not None and doc.doc is not None
    v = Sep2Validator(csip_aus=version)
    assert v.is_valid(doc.doc), v.validate(doc.doc)
    return True


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    srv = FakeSep2Server(csip_aus=True).start()
    yield srv
    srv.stop()


def get(srv: FakeSep2Server, path: str, version: bool | str = True) -> dict:
    status, _, doc = call(srv, "GET", path)
    assert status == 200 and aus_valid(doc, version), (path, status)
    return doc.body  # type: ignore[union-attr]


# --- ConnectionPoint ---------------------------------------------------------------------------------------
def test_the_end_device_links_its_connection_point_which_the_client_writes_and_reads(server: FakeSep2Server) -> None:
    dev = server.state.register_device(LFDI)
    ed = get(server, f"/edev/{dev.number}")
    cp = ed["csipaus:ConnectionPointLink"]["@href"]
    assert cp == f"/edev/{dev.number}/cp"
    assert call(server, "GET", cp)[0] == 404  # nothing written yet
    status, headers, _ = call(server, "PUT", cp, codec.encode("csipaus:ConnectionPoint",
                                                             {"csipaus:connectionPointId": "4102345678"}))
    assert status == 201 and headers["Location"] == cp
    assert aus.connection_point(server.state, LFDI) == "4102345678"
    assert get(server, cp)["csipaus:connectionPointId"] == "4102345678"
    status, headers, _ = call(server, "PUT", cp, codec.encode("csipaus:ConnectionPoint",
                                                             {"csipaus:connectionPointId": "4102345679"}))
    assert status == 204 and headers["Location"] == cp and dev.connection_point == "4102345679"
    status, headers, _ = call(server, "POST", cp, codec.encode("csipaus:ConnectionPoint",
                                                              {"csipaus:connectionPointId": "4102345670"}))
    assert status == 405 and "PUT" in headers["Allow"] and dev.connection_point == "4102345679"  # Annex E
    # bad writes are refused and leave what is held: another resource, no id, an id past String32
    for name, body in (("EndDevice", {"lFDI": LFDI}), ("csipaus:ConnectionPoint", {}),
                       ("csipaus:ConnectionPoint", {"csipaus:connectionPointId": "9" * 33})):
        assert call(server, "PUT", cp, codec.encode(name, body))[0] == 400, (name, body)
    assert dev.connection_point == "4102345679"
    schema = [f.rule_id for fr in server.trace for f in fr.findings if f.rule_id == "SEP2-SCHEMA"]
    assert schema, "the schema did not judge the bad ConnectionPoint bodies"


def test_without_csip_aus_there_is_no_connection_point(sep2_schema_dir: object) -> None:
    with FakeSep2Server() as srv:
        dev = srv.state.register_device(LFDI)
        _, _, ed = call(srv, "GET", f"/edev/{dev.number}")
        assert ed is not None and "csipaus:ConnectionPointLink" not in ed.body
        body = codec.encode("csipaus:ConnectionPoint", {"csipaus:connectionPointId": "1"})
        assert call(srv, "PUT", f"/edev/{dev.number}/cp", body)[0] == 400  # the base schema has no such thing
        assert dev.connection_point is None
    with FakeSep2Server(validate=False) as srv:
        dev = srv.state.register_device(LFDI)
        assert call(srv, "PUT", f"/edev/{dev.number}/cp", body)[0] == 404 and dev.connection_point is None


def test_set_connection_point_out_of_band(server: FakeSep2Server) -> None:
    dev = server.state.register_device(LFDI)
    aus.set_connection_point(server.state, LFDI, "NMI0000001")
    assert get(server, f"/edev/{dev.number}/cp")["csipaus:connectionPointId"] == "NMI0000001"
    with pytest.raises(ValueError):
        aus.set_connection_point(server.state, dev, "x" * 33)


# --- poll and post rates --------------------------------------------------------------------------------------
def test_a_poll_rate_set_for_one_list_is_served_on_that_list_only(server: FakeSep2Server) -> None:
    st = server.state
    st.poll_rate_s = 60
    dev = st.register_device(LFDI)
    other = st.register_device("00" * 19 + "01")
    mine, theirs = f"/edev/{dev.number}/fsa", f"/edev/{other.number}/fsa"
    aus.set_poll_rate(st, mine, 17)
    assert get(server, mine)["@pollRate"] == "17" and get(server, theirs)["@pollRate"] == "60"
    aus.set_poll_rate(st, "FunctionSetAssignmentsList", 30)  # by type: every other one
    assert get(server, mine)["@pollRate"] == "17" and get(server, theirs)["@pollRate"] == "30"
    aus.set_poll_rate(st, mine, None)
    assert get(server, mine)["@pollRate"] == "30"
    with pytest.raises(ValueError):
        aus.set_poll_rate(st, mine, 0)


def test_comms_rates_by_their_cactus_names(server: FakeSep2Server) -> None:
    st = server.state
    dev = st.register_device(LFDI)
    aus.enable_pricing(st)
    aus.set_comms_rates(st, dcap_poll_seconds=61, derp_list_poll_seconds=62, edev_post_seconds=63,
                        mup_post_seconds=64, tp_list_poll_seconds=65)
    assert get(server, "/dcap")["@pollRate"] == "61"
    assert get(server, f"/edev/{dev.number}/fsa/1/derp")["@pollRate"] == "62"
    assert get(server, f"/edev/{dev.number}")["postRate"] == "63"
    late = st.register_device("00" * 19 + "02")  # registered after the rate was set: it has it too
    assert get(server, f"/edev/{late.number}")["postRate"] == "63"
    aus.set_post_rate(st, "EndDevice", 5, device=late)  # its own wins
    assert get(server, f"/edev/{late.number}")["postRate"] == "5"
    assert get(server, f"/edev/{dev.number}")["postRate"] == "63"
    assert get(server, f"/edev/{dev.number}/fsa/1/tp")["@pollRate"] == "65"
    mup = {"mRID": "0123456789ABCDEF0123456789ABCDEF", "description": "site", "roleFlags": "49",
           "serviceCategoryKind": "0", "status": "1", "deviceLFDI": LFDI}
    status, headers, _ = call(server, "POST", "/mup", codec.encode("MirrorUsagePoint", mup))
    assert status == 201
    assert get(server, headers["Location"])["postRate"] == "64"
    with pytest.raises(ValueError):
        aus.set_comms_rates(st, dcap_poll_secs=1)


# --- events -------------------------------------------------------------------------------------------------
def test_event_status_advances_with_the_server_clock_and_cancel_active(server: FakeSep2Server) -> None:
    st = server.state
    st.register_device(LFDI)
    prog = st.add_program(1, default={"opModMaxLimW": "9000"})
    ctl = st.add_control(prog, {"opModMaxLimW": "5000"}, start_in_s=100, duration_s=100)
    later = st.add_control(prog, {"opModMaxLimW": "4000"}, start_in_s=1000, duration_s=100)
    href = f"/derp/{prog.number}/derc/{ctl.number}"
    assert get(server, href)["EventStatus"]["currentStatus"] == "0"
    st.time_offset_s = 150  # the clock moved into the event
    assert get(server, href)["EventStatus"]["currentStatus"] == "1"
    assert aus.event_status_at(ctl, st.now() - 150, prog.controls) == 0
    assert [c.number for c in aus.cancel_active_controls(st)] == [ctl.number, later.number]
    assert get(server, href)["EventStatus"]["currentStatus"] == "2"
    st.time_offset_s = 0


# --- pricing --------------------------------------------------------------------------------------------------
def test_the_pricing_tree_is_served_and_schema_valid(server: FakeSep2Server) -> None:
    st = server.state
    dev = st.register_device(LFDI)
    fsa = f"/edev/{dev.number}/fsa/1"
    assert "TariffProfileListLink" not in get(server, fsa)  # no pricing: the CSIP tree as before
    assert call(server, "GET", f"{fsa}/tp")[0] == 404
    tp = aus.add_tariff_profile(st, 0, price_pow10=-4, tag="TP")
    rc = aus.add_rate_component(st, commodity=2, flow_direction=1, uom=72, power_of_ten_multiplier=0, tag="RC1")
    now = st.now()
    first = aus.add_time_tariff_interval(st, start=now - 10, duration_s=300, prices=[1500], tag="A")
    aus.add_time_tariff_interval(st, start=now + 290, duration_s=300, prices=[(0, 1200), (10000, 2500)])
    assert aus.find_tagged(st, "RC1") is rc and aus.find_tagged(st, "A") is first
    tp_list = get(server, get(server, fsa)["TariffProfileListLink"]["@href"] + "?l=255")
    assert tp_list["@all"] == "1" and tp_list["@subscribable"] == "1" and "@pollRate" in tp_list
    profile = get(server, tp_list["TariffProfile"]["@href"])
    assert profile["pricePowerOfTenMultiplier"] == "-4" and profile["@href"] == f"/tp/{tp.number}"
    comps = get(server, profile["RateComponentListLink"]["@href"] + "?l=255")
    comp = get(server, as_list(comps["RateComponent"])[0]["@href"])
    rt = get(server, comp["ReadingTypeLink"]["@href"])
    assert (rt["commodity"], rt["flowDirection"], rt["uom"]) == ("2", "1", "72")
    ttis = as_list(get(server, comp["TimeTariffIntervalListLink"]["@href"] + "?l=255")["TimeTariffInterval"])
    assert [t["EventStatus"]["currentStatus"] for t in ttis] == ["1", "0"]
    active = get(server, comp["ActiveTimeTariffIntervalListLink"]["@href"] + "?l=255")
    assert active["@all"] == "1" and active["TimeTariffInterval"]["mRID"] == first.mrid
    blocks = get(server, ttis[1]["ConsumptionTariffIntervalListLink"]["@href"] + "?l=255")
    cti = as_list(blocks["ConsumptionTariffInterval"])
    prices = [(b["consumptionBlock"], b["startValue"], b["price"]) for b in cti]
    assert prices == [("1", "0", "1200"), ("2", "10000", "2500")]
    get(server, as_list(blocks["ConsumptionTariffInterval"])[1]["@href"])
    assert [t.number for t in aus.cancel_time_tariff_intervals(st, "A")] == [first.number]
    assert get(server, ttis[0]["@href"])["EventStatus"]["currentStatus"] == "2"
    aus.remove_rate_component(st, rc)
    assert call(server, "GET", comp["@href"])[0] == 404


def test_a_price_response_is_taken(server: FakeSep2Server) -> None:
    body = {"createdDateTime": "1767225600", "endDeviceLFDI": LFDI, "status": "1",
            "subject": "A1B2C3D4E5F60718293A4B5C6D7E8F90"}
    status, headers, _ = call(server, "POST", "/rsps/1/rsp", codec.encode("PriceResponse", body))
    assert status == 201 and server.state.responses[-1]["subject"] == body["subject"]


def test_over_tls_a_tariff_of_another_group_is_not_served(server: FakeSep2Server) -> None:
    from vgitest.sep2.handlers import Request, answer
    st = server.state
    dev = st.register_device(LFDI)
    other = st.add_fsa("feeder 2")
    tp = aus.add_tariff_profile(st, 0, fsa=other)
    req = Request("GET", f"/tp/{tp.number}", {}, None, None, dev.lfdi)
    assert answer(st, req).status == 404
    dev.fsas.append(other)
    assert answer(st, req).status == 200


# --- routes ---------------------------------------------------------------------------------------------------
def _raw_get(srv: FakeSep2Server, path: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


def test_wellknown_document_and_proxy_routes(server: FakeSep2Server) -> None:
    st = server.state
    assert _raw_get(server, "/.well-known/csipaus")[0] == 404  # not set up: not served
    aus.add_wellknown_route(st, "https://csipaus.org/ns/v1.3", ["/x7f3"])
    aus.add_wellknown_route(st, "https://csipaus.org/ns/v99.99", ["/nowhere"])
    status, ctype, data = _raw_get(server, "/.well-known/csipaus")
    assert status == 200 and ctype.startswith("application/json")
    doc = json.loads(data)
    assert doc["supportedSchemaVersions"]["https://csipaus.org/ns/v1.3"]["dcap"] == ["/x7f3"]
    assert call(server, "GET", "/x7f3")[0] == 404  # named, but no route to it yet
    aus.add_proxy_route(st, "/x7f3", "/dcap")
    assert get(server, "/x7f3")["EndDeviceListLink"]["@href"] == "/edev"
    assert [f.meta["path"] for f in server.trace if f.kind == "REQUEST"][-1] == "/x7f3"  # the trace keeps it
    aus.add_proxy_route(st, "/utility/sep2", "/")  # the whole server under a prefix
    assert get(server, "/utility/sep2/tm")["@href"] == "/tm"
    assert call(server, "GET", "/utility/sep2x/tm")[0] == 404  # a prefix is a whole path segment
    aus.clear_routes(st)
    assert call(server, "GET", "/x7f3")[0] == 404 and _raw_get(server, "/.well-known/csipaus")[0] == 404


# --- the v1.3-beta storage extension ------------------------------------------------------------------------
def test_storage_mode_speaks_the_storage_namespace_and_schema(sep2_schema_dir: object) -> None:
    with FakeSep2Server(csip_aus=STORAGE) as srv:
        assert srv.state.csip_aus == STORAGE
        prog = srv.state.add_program(1, default={"csipaus:opModStorageTargetW": {"multiplier": "0",
                                                                                  "value": "3000"}})
        dev = srv.state.register_device(LFDI)
        status, _, _ = call(srv, "GET", f"/derp/{prog.number}/dderc")
        raw = _raw_get(srv, f"/derp/{prog.number}/dderc")[2]
        assert CSIPAUS_STORAGE.encode() in raw and b'"https://csipaus.org/ns"' not in raw
        root = codec.decode(raw).doc
        assert Sep2Validator(csip_aus=STORAGE).is_valid(root)
        assert not Sep2Validator(csip_aus=True).is_valid(root)  # the v1.2 schema does not know it
        cp = f"/edev/{dev.number}/cp"
        good = codec.encode("csipaus:ConnectionPoint", {"csipaus:connectionPointId": "42"},
                            ns={"csipaus": CSIPAUS_STORAGE})
        assert call(srv, "PUT", cp, good)[0] == 201 and dev.connection_point == "42"
        v12 = codec.encode("csipaus:ConnectionPoint", {"csipaus:connectionPointId": "43"})  # v1.2 namespace
        assert CSIPAUS.encode() in v12
        assert call(srv, "PUT", cp, v12)[0] == 400 and dev.connection_point == "42"


def test_the_storage_schema_comes_from_the_pinned_wheel(sep2_schema_dir: object) -> None:
    from vgitest.sep2 import schemas
    entry = schemas.entry_file(schemas.schema_dir().resolve(), "2018", STORAGE)
    assert entry.name == "csipaus-core-v1.3-beta_storage.xsd"
    assert schemas.aus_version(True) == "v1.2" and schemas.aus_version(False) is None
    with pytest.raises(ValueError):
        schemas.aus_version("v9")
    with pytest.raises(ValueError):
        schemas.entry_file(schemas.schema_dir().resolve(), "2023", STORAGE)


def test_codec_namespace_rebinding_round_trips() -> None:
    ns = {"csipaus": CSIPAUS_STORAGE}
    data = codec.encode("DERSettings", {"setMaxW": {"multiplier": "0", "value": "1"}, "csipaus:setMinWh":
                                        {"multiplier": "0", "value": "2"}}, ns=ns)
    back = codec.decode(data, ns=ns)
    assert back.body["csipaus:setMinWh"]["value"] == "2"
    plain = codec.decode(data)  # without the rebinding the storage element is not a v1.2 csipaus one
    assert "csipaus:setMinWh" not in plain.body and f"{{{CSIPAUS_STORAGE}}}setMinWh" in plain.body
    other = codec.decode(codec.encode("DERSettings", {"csipaus:setMinWh": "1"}), ns=ns)
    assert f"{{{CSIPAUS}}}setMinWh" in other.body  # v1.2's namespace is not the storage one


def test_a_tariff_list_change_is_notified_to_a_subscriber(server: FakeSep2Server) -> None:
    from .test_notifications import Listener, answers, subscribe
    listener = Listener()
    try:
        st = server.state
        dev = st.register_device(LFDI)
        aus.enable_pricing(st)
        tp_list = f"/edev/{dev.number}/fsa/1/tp"
        assert subscribe(server, dev.number, tp_list, listener.uri)[0] == 201
        assert subscribe(server, dev.number, "/tm", listener.uri)[0] == 400  # not subscribable: refused
        aus.add_tariff_profile(st, 0)
        got = answers(server, 1)
        assert got and got[0].meta["status"] == 201
        note = codec.decode(listener.received[-1])
        assert note.body["subscribedResource"] == tp_list and note.body["Resource"]["@all"] == "1"
        assert aus_valid(note)
    finally:
        listener.stop()
