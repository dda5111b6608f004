"""Authorization and registration: the client-credentials token, a refused token, the VEN object created from
scratch and found again after a restart, and what a VEN may write."""

from __future__ import annotations

import pytest

from helpers_oa3 import ok, status
from vgitest.openadr3 import rules as r
from vgitest.openadr3.states import ven_name
from vgitest.trace import Direction

pytestmark = pytest.mark.vgi_protocol("openadr3", "3.0.1", "3.1.0")

WRITES = ("POST", "PUT", "DELETE")


@pytest.mark.vgi_case("TC_VGI_OA3_01", feature="Authorization")
def test_TC_VGI_OA3_01(ven3, dut, t) -> None:
    """Starting up, the VEN first obtains a bearer token with the client-credentials grant, and every resource
    request it then makes carries that token."""
    ven3.cursor = start = len(ven3.vtn.trace)
    dut.perform("reboot")
    ven3.expect_answered("POST /auth/token", t.register, ok(200))
    read, _ = ven3.expect_answered("GET /events", t.register, ok(200))
    resource = [f for f in ven3.frames(start) if f.direction is Direction.IN and f.kind == "REQUEST"
                and not str(f.name).split(" ")[-1].startswith("/auth/") and f.index < read.index]
    bare = [f for f in resource if f.meta.get("auth") != "bearer"]
    ven3.check(not bare, r.AUTH_MISSING, f"{len(bare)} request(s) without the token the VEN was given",
               bare[0] if bare else None)


@pytest.mark.vgi_case("TC_VGI_OA3_02", feature="Authorization")
def test_TC_VGI_OA3_02(registered_ven3, t) -> None:
    """When the VTN stops accepting the VEN's token (answered 401), the VEN obtains a new token and goes on with
    it, never sending the refused token again."""
    ven = registered_ven3
    start = len(ven.vtn.trace)
    ven.revoke_tokens()
    refused = ven.vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.meta.get("auth") == "revoked",
                                     start, t.wait)
    ven.check(refused is not None, r.EXPECTED_REQUEST, f"the VEN made no request within {t.wait:g} s after its token "
              "was revoked")
    ven.cursor = refused.index + 1
    ven.expect_answered("POST /auth/token", t.wait, ok(200))
    ven.expect_answered("GET /events", t.wait, ok(200))  # the refused token sent again is a finding on its frame


@pytest.mark.vgi_case("TC_VGI_OA3_03", feature="Registration")
def test_TC_VGI_OA3_03(ven3, dut, vgi_profile, t) -> None:
    """A VEN the VTN does not know creates its VEN object (POST /vens, a valid ven with its venName), then reads
    the events."""
    name = ven_name(vgi_profile)
    ven3.forget_ven(name)
    ven3.cursor = len(ven3.vtn.trace)
    dut.perform("reregister")
    ven3.expect_answered("POST /vens", t.register, ok(201))
    ven3.expect_answered("GET /events", t.wait, ok(200))
    ven3.check(len(ven3.store.find("vens", venName=name)) == 1, r.VEN_DUPLICATE, f"the VTN holds "
               f"{len(ven3.store.find('vens', venName=name))} VEN objects named {name!r}")


@pytest.mark.vgi_case("TC_VGI_OA3_04", feature="Registration")
def test_TC_VGI_OA3_04(registered_ven3, dut, vgi_profile, t) -> None:
    """After a restart the VEN finds its own VEN object again (by its venName) instead of creating another, and
    reads the events."""
    ven = registered_ven3
    name = ven_name(vgi_profile)
    ven.cursor = len(ven.vtn.trace)
    dut.perform("reboot")
    ven.expect_answered("GET /events", t.register, ok(200))
    made = [f for f in ven.frames() if f.name == "POST /vens" and f.direction is Direction.IN]
    ven.check(not made and len(ven.store.find("vens", venName=name)) == 1, r.VEN_DUPLICATE,
              "the VEN created a VEN object again although the VTN holds one under its name",
              made[0] if made else None)


@pytest.mark.vgi_case("TC_VGI_OA3_13", feature="Registration", requires=("Resources",))
@pytest.mark.vgi_protocol("openadr3", "3.0.1")  # 3.1.0 made resources first-level objects (/resources)
def test_TC_VGI_OA3_13(ven3, dut, vgi_profile, t) -> None:
    """Registering from scratch, the VEN creates its resource under the VEN object the VTN gave it (POST
    /vens/{venID}/resources, a valid resource with its name)."""
    name = ven_name(vgi_profile)
    ven3.forget_ven(name)
    ven3.cursor = len(ven3.vtn.trace)
    dut.perform("reregister")
    _, made = ven3.expect_answered("POST /vens", t.register, ok(201))
    ven_id = made.body["id"]
    ven3.expect_answered("POST /vens/{venID}/resources", t.wait,
                         lambda q, a: status(a) == 201 and q.meta["params"].get("venID") == ven_id)


@pytest.mark.vgi_case("TC_VGI_OA3_12", feature="Authorization")
def test_TC_VGI_OA3_12(registered_ven3, dut, t) -> None:
    """Through a whole start-up the VEN only reads programs and events: it writes no program or event (those are
    the business logic's)."""
    ven = registered_ven3
    ven.cursor = start = len(ven.vtn.trace)
    dut.perform("reregister")
    ven.expect_answered("GET /events", t.register, ok(200))
    writes = [f for f in ven.frames(start) if f.direction is Direction.IN and f.kind == "REQUEST"
              and str(f.name).split(" ")[0] in WRITES and str(f.meta.get("route", "")).startswith(("/programs",
                                                                                                   "/events"))]
    ven.check(not writes, r.FORBIDDEN_WRITE, f"the VEN sent {writes[0].name if writes else ''}",
              writes[0] if writes else None)
