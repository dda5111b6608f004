"""What the fake 2030.5 server serves must hold against a client that checks it (cactus-client found each of
these): a resource a client wrote comes back with its href; EventStatus follows the event through time; the
server's mRIDs carry its IANA PEN in the low 32 bits; a POSTed EndDevice keeps its deviceCategory."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest

from vgitest.sep2 import codec, handlers
from vgitest.sep2.codec import as_list
from vgitest.sep2.server import FakeSep2Server

from .payloads import LFDI
from .test_server import call, valid

DER_CAPABILITY = {"modesSupported": "00500000", "rtgMaxW": {"multiplier": "0", "value": "7000"}, "type": "82"}


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    srv = FakeSep2Server().start()
    yield srv
    srv.stop()


def get(srv: FakeSep2Server, path: str) -> dict:
    status, _, doc = call(srv, "GET", path)
    assert status == 200 and doc is not None and valid(doc), (path, status)
    return doc.body


def test_a_resource_the_client_put_is_served_with_its_href(server: FakeSep2Server) -> None:
    dev = server.state.register_device(LFDI)
    part = f"/edev/{dev.number}/der/1/dercap"
    status, _, _ = call(server, "PUT", part, codec.encode("DERCapability", DER_CAPABILITY))
    assert status == 204
    body = get(server, part)
    assert body["@href"] == part and body["rtgMaxW"]["value"] == "7000"


def test_what_a_client_posted_is_served_with_the_href_its_location_gave(server: FakeSep2Server) -> None:
    dev = server.state.register_device(LFDI)
    for path, name, body in (
            (handlers.RESPONSES, "Response", {"createdDateTime": "1767225600", "endDeviceLFDI": LFDI,
                                             "status": "1", "subject": "A1B2C3D4E5F60718293A4B5C6D7E8F90"}),
            (f"/edev/{dev.number}/lel", "LogEvent", {"createdDateTime": "1767225600", "details": "x",
                                                      "extendedData": "0", "functionSet": "0", "logEventCode": "1",
                                                      "logEventID": "7", "logEventPEN": "0", "profileID": "0"})):
        status, headers, _ = call(server, "POST", path, codec.encode(name, body))
        assert status == 201, path
        item = get(server, headers["Location"])
        assert item["@href"] == headers["Location"]
        listed = as_list(get(server, f"{path}?l=255")[name])
        assert [x["@href"] for x in listed] == [headers["Location"]]


def status_of(srv: FakeSep2Server, path: str) -> dict:
    return get(srv, path)["EventStatus"]


def test_event_status_follows_the_event(server: FakeSep2Server) -> None:
    """0 Scheduled until the event's earliest effective start, then 1 Active with dateTime the start; an event
    whose start is past when it is made is Active at once; cancelled is 2 with the time it was cancelled."""
    st = server.state
    prog = st.add_program(1)
    soon = st.add_control(prog, {"opModMaxLimW": "5000"}, start_in_s=2, duration_s=60)
    early = st.add_control(prog, {"opModFixedW": "5000"}, start_in_s=30, duration_s=60, randomize_start=-29)
    late = st.add_control(prog, {"opModConnect": "true"}, start_in_s=-10, duration_s=60)
    p = f"/derp/{prog.number}/derc"
    assert status_of(server, f"{p}/{soon.number}") == {"currentStatus": "0", "dateTime": str(soon.creation),
                                                       "potentiallySuperseded": "false"}
    assert status_of(server, f"{p}/{late.number}")["currentStatus"] == "1"  # never Scheduled
    assert status_of(server, f"{p}/{late.number}")["dateTime"] == str(late.creation)
    active = as_list(get(server, f"/derp/{prog.number}/actderc?l=255").get("DERControl"))
    assert [c["mRID"] for c in active] == [late.mrid]
    time.sleep(max(0.0, soon.start - time.time()) + 0.1)
    assert status_of(server, f"{p}/{soon.number}") == {"currentStatus": "1", "dateTime": str(soon.start),
                                                       "potentiallySuperseded": "false"}
    assert status_of(server, f"{p}/{early.number}")["currentStatus"] == "1"  # randomizeStart -29: from start - 29
    assert status_of(server, f"{p}/{early.number}")["dateTime"] == str(early.start - 29)
    st.cancel(soon)
    got = status_of(server, f"{p}/{soon.number}")
    assert got["currentStatus"] == "2" and abs(int(got["dateTime"]) - time.time()) <= 2
    active = {c["mRID"] for c in as_list(get(server, f"/derp/{prog.number}/actderc?l=255").get("DERControl"))}
    assert active == {late.mrid, early.mrid}
    assert get(server, f"/derp/{prog.number}")["ActiveDERControlListLink"]["@all"] == "2"


def test_a_newer_overlapping_event_of_the_same_modes_supersedes_at_its_start(server: FakeSep2Server) -> None:
    """Superseded (4) from the newer event's earliest effective start, when it sets exactly the same modes; an
    overlapping event that shares only some modes marks both potentially superseded instead."""
    st = server.state
    prog = st.add_program(1)
    older = st.add_control(prog, {"opModMaxLimW": "7000"}, start_in_s=-5, duration_s=60)
    other = st.add_control(prog, {"opModMaxLimW": "6000", "opModFixedW": "100"}, start_in_s=57, duration_s=60)
    newer = st.add_control(prog, {"opModMaxLimW": "4000", "rampTms": "10"}, start_in_s=2, duration_s=60)
    p = f"/derp/{prog.number}/derc"
    assert status_of(server, f"{p}/{older.number}")["currentStatus"] == "1"
    time.sleep(max(0.0, newer.start - time.time()) + 0.1)
    assert status_of(server, f"{p}/{older.number}") == {"currentStatus": "4", "dateTime": str(newer.start),
                                                        "potentiallySuperseded": "false"}
    assert status_of(server, f"{p}/{newer.number}")["currentStatus"] == "1"
    partial = status_of(server, f"{p}/{other.number}")
    assert partial["currentStatus"] == "0" and partial["potentiallySuperseded"] == "true"
    assert partial["potentiallySupersededTime"] == str(newer.creation)


def mrids(node: object) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            found += [v for k, v in x.items() if k == "mRID" and isinstance(v, str)]
            stack += list(x.values())
        elif isinstance(x, list):
            stack += x
    return found


@pytest.mark.parametrize("pen", [None, 12345])
def test_the_servers_mrids_carry_its_pen_in_the_low_32_bits(server: FakeSep2Server, pen: int | None) -> None:
    from vgitest.sep2.resources import DOCUMENTATION_PEN
    st = server.state
    if pen is not None:
        st.pen = pen
    want = f"{DOCUMENTATION_PEN if pen is None else pen:08X}"
    dev = st.register_device(LFDI)
    prog = st.add_program(1, default={"opModMaxLimW": "9000"})
    st.add_control(prog, {"opModMaxLimW": "5000"})
    st.add_curve(prog, 11, [(95, 10), (105, -10)])
    seen: list[str] = []
    for path in (f"/edev/{dev.number}/fsa?l=255", f"/edev/{dev.number}/fsa/1/derp?l=255",
                 f"/derp/{prog.number}/dderc", f"/derp/{prog.number}/derc?l=255", f"/derp/{prog.number}/dc?l=255",
                 "/rsps?l=255"):
        seen += mrids(get(server, path))
    assert len(seen) == 6 and len(set(seen)) == 6, seen
    assert all(m[-8:] == want for m in seen), seen


def test_make_mrid_layout() -> None:
    from vgitest.sep2.resources import make_mrid
    assert make_mrid(0x1234, 0xC1, 5) == "C1" + "0" * 21 + "5" + "00001234"
    with pytest.raises(ValueError):
        make_mrid(1 << 32, 0xC1, 5)


def test_a_posted_end_device_keeps_its_device_category(server: FakeSep2Server) -> None:
    body = {"deviceCategory": "00040000", "lFDI": LFDI, "sFDI": "167261211391", "changedTime": "1767225600"}
    status, headers, _ = call(server, "POST", "/edev", codec.encode("EndDevice", body))
    assert status == 201
    assert get(server, headers["Location"])["deviceCategory"] == "00040000"
    listed = as_list(get(server, "/edev?l=255")["EndDevice"])
    assert [d.get("deviceCategory") for d in listed] == ["00040000"]


def test_csip_aus_limits_are_served_in_schema_order(server: FakeSep2Server) -> None:
    """CSIP-AUS appends its limits to DERControlBase in a fixed order (import, export, generation, load): a
    control made with them in another order is served valid against the CSIP-AUS schema."""
    from vgitest.sep2.validator import Sep2Validator
    prog = server.state.add_program(1)
    w = {"multiplier": "0", "value": "1500"}
    ctl = server.state.add_control(prog, {"csipaus:opModLoadLimW": w, "csipaus:opModExpLimW": w, "opModConnect": True,
                                          "csipaus:opModImpLimW": w})
    status, _, doc = call(server, "GET", f"/derp/{prog.number}/derc/{ctl.number}")
    assert status == 200 and doc is not None
    assert list(doc.body["DERControlBase"]) == ["opModConnect", "csipaus:opModImpLimW", "csipaus:opModExpLimW",
                                                "csipaus:opModLoadLimW"]
    assert Sep2Validator(csip_aus=True).is_valid(doc.doc), Sep2Validator(csip_aus=True).validate(doc.doc)


def test_a_resource_can_have_its_own_poll_rate(server: FakeSep2Server) -> None:
    st = server.state
    st.poll_rate_s = 300
    st.poll_rates["EndDeviceList"] = 60
    assert get(server, "/dcap")["@pollRate"] == "300"
    assert get(server, "/edev")["@pollRate"] == "60"


def test_a_program_is_served_only_to_clients_whose_groups_list_it(sep2_schema_dir: object, tmp_path: Path) -> None:
    """Over TLS the client is known: a DERProgram (and its controls, default and curves) in a group that is not
    assigned to that client is not served to it (404, as for any path it was never given); cactus-client's
    S-ALL-05 asks for another client's DERControlList and must be refused."""
    from vgitest.sep2 import identity, testpki
    pki = testpki.make(tmp_path / "pki")
    srv = FakeSep2Server(ssl_context=pki.server_context(3)).start()
    try:
        st = srv.state
        mine = st.register_device(identity.lfdi(pki.clients[3].cert))
        theirs = st.register_device(identity.lfdi(pki.clients[4].cert))
        own = st.add_fsa("site B")
        theirs.fsas = [own]
        prog = st.add_program(1, default={"opModMaxLimW": "9000"}, fsa=own)
        ctl = st.add_control(prog, {"opModMaxLimW": "5000"})
        p = f"/derp/{prog.number}"
        for path in (p, f"{p}/dderc", f"{p}/derc", f"{p}/derc/{ctl.number}", f"{p}/actderc", f"{p}/dc"):
            assert call(srv, "GET", path, ctx=pki.client_context(3))[0] == 404, path
            assert call(srv, "GET", path, ctx=pki.client_context(4))[0] == 200, path
        mine.fsas.append(own)  # assigned to it: served
        assert call(srv, "GET", f"{p}/derc", ctx=pki.client_context(3))[0] == 200
    finally:
        srv.stop()


def test_a_list_a_client_writes_needs_no_all_or_results(server: FakeSep2Server) -> None:
    """A List's ``all`` is required on a response to a GET and ignored otherwise (2030.5 List type); ``results``
    counts a page of results. A MirrorMeterReadingList POSTed without them (as cactus-client sends readings) is
    taken, without a SEP2-SCHEMA finding; anything else wrong in it still is one."""
    st = server.state
    mup = {"mRID": "0" * 24 + "00007ED9", "description": "site", "roleFlags": "03", "serviceCategoryKind": "0",
           "status": "1", "deviceLFDI": LFDI}
    status, headers, _ = call(server, "POST", "/mup", codec.encode("MirrorUsagePoint", mup))
    assert status == 201
    reading = {"mRID": "1" * 24 + "00007ED9", "description": "W", "Reading": {"value": "1500"}}
    status, _, _ = call(server, "POST", headers["Location"], codec.encode("MirrorMeterReadingList",
                                                                          {"MirrorMeterReading": [reading]}))
    assert status == 204 and [str(f) for fr in server.trace for f in fr.findings] == []
    assert st.readings
    broken = codec.encode("MirrorMeterReadingList", {"MirrorMeterReading": [{**reading, "mRID": "XYZ"}]})
    assert call(server, "POST", headers["Location"], broken)[0] == 400


def test_a_mirror_belongs_to_the_client_that_made_it(sep2_schema_dir: object, tmp_path: Path) -> None:
    """Over TLS: another client's MirrorUsagePoint is neither listed, read, written nor deleted, and a
    MirrorUsagePoint naming another client's MirrorMeterReading mRID is refused (cactus-client S-ALL-05)."""
    from vgitest.sep2 import identity, testpki
    pki = testpki.make(tmp_path / "pki")
    srv = FakeSep2Server(ssl_context=pki.server_context(3)).start()
    try:
        a, b = pki.client_context(3), pki.client_context(4)
        reading = {"mRID": "AB" * 12 + "00007ED9", "description": "W", "Reading": {"value": "1"}}
        mup = {"mRID": "CD" * 12 + "00007ED9", "description": "b", "roleFlags": "03", "serviceCategoryKind": "0",
               "status": "1", "deviceLFDI": identity.lfdi(pki.clients[4].cert), "MirrorMeterReading": [reading]}
        status, headers, _ = call(srv, "POST", "/mup", codec.encode("MirrorUsagePoint", mup), ctx=b)
        assert status == 201
        href = headers["Location"]
        assert call(srv, "GET", href, ctx=b)[0] == 200
        assert call(srv, "GET", href, ctx=a)[0] == 403
        assert call(srv, "DELETE", href, ctx=a)[0] == 403
        _, _, listed = call(srv, "GET", "/mup?l=255", ctx=a)
        assert listed is not None and listed.body["@all"] == "0"
        mine = {**mup, "mRID": "EF" * 12 + "00007ED9", "deviceLFDI": identity.lfdi(pki.clients[3].cert)}
        assert call(srv, "POST", "/mup", codec.encode("MirrorUsagePoint", mine), ctx=a)[0] == 403  # B's reading
        mine["MirrorMeterReading"] = [{**reading, "mRID": "12" * 12 + "00007ED9"}]
        assert call(srv, "POST", "/mup", codec.encode("MirrorUsagePoint", mine), ctx=a)[0] == 201
    finally:
        srv.stop()


def test_a_client_whose_access_was_revoked_is_refused(sep2_schema_dir: object, tmp_path: Path) -> None:
    from vgitest.sep2 import identity, testpki
    pki = testpki.make(tmp_path / "pki")
    srv = FakeSep2Server(ssl_context=pki.server_context(3)).start()
    try:
        lfdi = identity.lfdi(pki.clients[3].cert)
        srv.state.register_device(lfdi)
        assert call(srv, "GET", "/edev", ctx=pki.client_context(3))[0] == 200
        srv.state.denied.add(lfdi)
        assert call(srv, "GET", "/edev", ctx=pki.client_context(3))[0] == 403
        assert call(srv, "GET", "/edev", ctx=pki.client_context(4))[0] == 200  # only that client
    finally:
        srv.stop()


def test_a_client_cannot_register_an_end_device_that_is_not_its_own(sep2_schema_dir: object, tmp_path: Path) -> None:
    """Over TLS a POSTed EndDevice whose lFDI is not the client's certificate's is refused (403), besides the
    SEP2-LFDI finding on the request (cactus-client S-ALL-52); its own is registered."""
    from vgitest.sep2 import identity, rules as r, testpki
    pki = testpki.make(tmp_path / "pki")
    srv = FakeSep2Server(ssl_context=pki.server_context(3)).start()
    try:
        other = identity.lfdi(pki.clients[4].cert)
        body = {"lFDI": other, "sFDI": str(identity.sfdi(other)), "changedTime": "1767225600"}
        assert call(srv, "POST", "/edev", codec.encode("EndDevice", body), ctx=pki.client_context(3))[0] == 403
        assert srv.state.devices == {}
        assert r.LFDI in [f.rule_id for fr in srv.trace for f in fr.findings]
        mine = identity.lfdi(pki.clients[3].cert)
        body = {"lFDI": mine, "sFDI": str(identity.sfdi(mine)), "changedTime": "1767225600"}
        assert call(srv, "POST", "/edev", codec.encode("EndDevice", body), ctx=pki.client_context(3))[0] == 201
    finally:
        srv.stop()
