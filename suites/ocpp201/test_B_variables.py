"""B: Provisioning — reading and writing the device model with GetVariables / SetVariables (B05-B06)."""

from __future__ import annotations

import re

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


def item(component: str, variable: str, value: str | None = None, *, instance: str | None = None,
         attribute: str | None = None, evse: int | None = None) -> dict:
    comp: dict = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    var: dict = {"name": variable}
    if instance is not None:
        var["instance"] = instance
    out: dict = {"component": comp, "variable": var}
    if value is not None:
        out["attributeValue"] = value
    if attribute is not None:
        out["attributeType"] = attribute
    return out


def get(station, *items: dict) -> list[dict]:
    return station.call("GetVariables", {"getVariableData": list(items)})["getVariableResult"]


def set_(station, *items: dict) -> list[dict]:
    return station.call("SetVariables", {"setVariableData": list(items)})["setVariableResult"]


def expect_statuses(station, results: list[dict], wanted: list[str], what: str) -> None:
    got = [x.get("attributeStatus") for x in results]
    station.check(got == wanted, r.STATION_RESPONSE, f"{what}: attributeStatus {got}, expected {wanted}")


HB = ("OCPPCommCtrlr", "HeartbeatInterval")


@pytest.mark.vgi_case("TC_B_06_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_06_CS(booted_station) -> None:
    """A single variable can be read, and the heartbeat interval the station reports is the one the CSMS gave
    it in the BootNotification answer."""
    st = booted_station
    res = get(st, item(*HB))
    expect_statuses(st, res, ["Accepted"], "GetVariables HeartbeatInterval")
    st.check(res[0].get("attributeValue") == str(int(st.heartbeat_interval)), r.CONFIG_NOT_APPLIED,
             f"HeartbeatInterval reads {res[0].get('attributeValue')!r}; the boot answer set {st.heartbeat_interval}")


@pytest.mark.vgi_case("TC_B_07_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_07_CS(booted_station) -> None:
    """Several variables are read in one request; each result names its component and variable, in order."""
    st = booted_station
    asked = [item(*HB), item("TxCtrlr", "EVConnectionTimeOut"), item("AuthCtrlr", "AuthorizeRemoteStart"),
             item("SampledDataCtrlr", "TxUpdatedInterval")]
    res = get(st, *asked)
    expect_statuses(st, res, ["Accepted"] * len(asked), "GetVariables with four variables")
    names = [(x["component"]["name"], x["variable"]["name"]) for x in res]
    st.check(names == [(a["component"]["name"], a["variable"]["name"]) for a in asked], r.STATION_RESPONSE,
             f"results do not match the request item by item: {names}")
    st.check(all("attributeValue" in x for x in res), r.STATION_RESPONSE, "an Accepted result lacks its value")
    for x, kind in zip(res, ("integer", "integer", "boolean", "integer")):  # the data types of Part 2, Appendix 3
        value = str(x.get("attributeValue"))
        ok = re.fullmatch(r"-?[0-9]+", value) if kind == "integer" else value in ("true", "false")
        st.check(ok, r.STATION_RESPONSE, f"{x['component']['name']}.{x['variable']['name']} reads {value!r}, not "
                 f"a value of its data type ({kind})")


@pytest.mark.vgi_case("TC_B_09_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_09_CS(booted_station) -> None:
    """A single writable variable is changed; reading it back gives the new value."""
    st = booted_station
    old = get(st, item(*HB))[0].get("attributeValue", "2")
    new = str(int(old) + 1)
    try:
        expect_statuses(st, set_(st, item(*HB, new)), ["Accepted"], f"SetVariables HeartbeatInterval={new}")
        now = get(st, item(*HB))[0].get("attributeValue")
        st.check(now == new, r.CONFIG_NOT_APPLIED, f"HeartbeatInterval was accepted as {new} but reads {now!r}")
    finally:
        set_(st, item(*HB, old))


@pytest.mark.vgi_case("TC_B_10_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_10_CS(booted_station) -> None:
    """Several writable variables are changed in one request; each reads back with its new value."""
    st = booted_station
    vars_ = [("OCPPCommCtrlr", "OfflineThreshold"), ("TxCtrlr", "EVConnectionTimeOut")]
    old = [x.get("attributeValue") for x in get(st, *(item(*v) for v in vars_))]
    new = [str(int(o) + 7) for o in old]
    try:
        expect_statuses(st, set_(st, *(item(*v, n) for v, n in zip(vars_, new))), ["Accepted"] * 2,
                        "SetVariables with two variables")
        now = [x.get("attributeValue") for x in get(st, *(item(*v) for v in vars_))]
        st.check(now == new, r.CONFIG_NOT_APPLIED, f"values read back {now}, set {new}")
    finally:
        set_(st, *(item(*v, o) for v, o in zip(vars_, old)))


@pytest.mark.vgi_case("TC_B_11_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_11_CS(booted_station) -> None:
    """Values that do not fit a variable's data type are rejected one by one and leave the variable unchanged."""
    st = booted_station
    before = get(st, item(*HB), item("AuthCtrlr", "AuthorizeRemoteStart"), item("TxCtrlr", "TxStartPoint"))
    bad = [item(*HB, "often"), item("AuthCtrlr", "AuthorizeRemoteStart", "maybe"),
           item("TxCtrlr", "TxStartPoint", "WhenTheMoonIsFull")]
    try:
        expect_statuses(st, set_(st, *bad), ["Rejected"] * 3, "SetVariables with badly formatted values")
    finally:
        set_(st, *(item(x["component"]["name"], x["variable"]["name"], x["attributeValue"]) for x in before))
    after = get(st, item(*HB), item("AuthCtrlr", "AuthorizeRemoteStart"), item("TxCtrlr", "TxStartPoint"))
    st.check([x.get("attributeValue") for x in after] == [x.get("attributeValue") for x in before],
             r.CONFIG_NOT_APPLIED, "a rejected value changed the variable")


@pytest.mark.vgi_case("TC_B_32_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_32_CS(booted_station) -> None:
    """Reading a variable of a component the station does not have answers UnknownComponent."""
    st = booted_station
    expect_statuses(st, get(st, item("VgiNoSuchCtrlr", "HeartbeatInterval")), ["UnknownComponent"],
                    "GetVariables of an unknown component")


@pytest.mark.vgi_case("TC_B_33_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_33_CS(booted_station) -> None:
    """Reading an unknown variable of a known component answers UnknownVariable, without a value."""
    st = booted_station
    res = get(st, item("OCPPCommCtrlr", "VgiNoSuchVariable"))
    expect_statuses(st, res, ["UnknownVariable"], "GetVariables of an unknown variable")
    st.check("attributeValue" not in res[0], r.STATION_RESPONSE, "an unknown variable came with a value")


@pytest.mark.vgi_case("TC_B_34_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_34_CS(booted_station) -> None:
    """Reading an attribute type the variable does not have (Target) answers NotSupportedAttributeType."""
    st = booted_station
    expect_statuses(st, get(st, item(*HB, attribute="Target")), ["NotSupportedAttributeType"],
                    "GetVariables of the Target attribute of HeartbeatInterval")


@pytest.mark.vgi_case("TC_B_35_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_35_CS(booted_station) -> None:
    """Writing a variable of an unknown component answers UnknownComponent."""
    st = booted_station
    expect_statuses(st, set_(st, item("VgiNoSuchCtrlr", "HeartbeatInterval", "5")), ["UnknownComponent"],
                    "SetVariables of an unknown component")


@pytest.mark.vgi_case("TC_B_36_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_36_CS(booted_station) -> None:
    """Writing an unknown variable of a known component answers UnknownVariable."""
    st = booted_station
    expect_statuses(st, set_(st, item("OCPPCommCtrlr", "VgiNoSuchVariable", "5")), ["UnknownVariable"],
                    "SetVariables of an unknown variable")


@pytest.mark.vgi_case("TC_B_37_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_37_CS(booted_station) -> None:
    """Writing an attribute type the variable does not have answers NotSupportedAttributeType."""
    st = booted_station
    expect_statuses(st, set_(st, item(*HB, "5", attribute="MaxSet")), ["NotSupportedAttributeType"],
                    "SetVariables of the MaxSet attribute of HeartbeatInterval")


@pytest.mark.vgi_case("TC_B_39_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_39_CS(booted_station, vgi_profile, t) -> None:
    """A ReadOnly variable cannot be written: the write is Rejected and the value stays. Which variables are
    ReadOnly is mostly the station's choice, so the case writes one the station itself reports as ReadOnly (PIXIT
    `read_only_variable` = "Component.Variable", else the first one of its FullInventory report), with the value it
    already has, so that only the mutability can make the write fail."""
    st = booted_station
    with preamble("a variable the station reports as ReadOnly, and its value"):
        target = _read_only_variable(st, vgi_profile, t)
        before = st.call("GetVariables", {"getVariableData": [target]})["getVariableResult"][0]
        if before.get("attributeStatus") != "Accepted" or "attributeValue" not in before:
            raise Inconclusive(f"{_name(target)} cannot be read back (GetVariables: "
                               f"{before.get('attributeStatus')}); nothing to compare a write with")
    value = before["attributeValue"]
    expect_statuses(st, set_(st, {**target, "attributeValue": value}), ["Rejected"],
                    f"SetVariables of the ReadOnly {_name(target)}")
    after = st.call("GetVariables", {"getVariableData": [target]})["getVariableResult"][0]
    st.check(after.get("attributeValue") == value, r.CONFIG_NOT_APPLIED, f"the ReadOnly {_name(target)} changed")


def _name(target: dict) -> str:
    return f"{target['component']['name']}.{target['variable']['name']}"


def _read_only_variable(st, profile, t) -> dict:
    named = profile.param("read_only_variable", None)
    if named:
        component, _, variable = str(named).partition(".")
        return item(component, variable)
    for e in s.base_report(st, "FullInventory", t.wait, t.quiet):
        attrs = e.get("variableAttribute", [])
        actual = [a for a in attrs if a.get("type", "Actual") == "Actual"]
        if actual and actual[0].get("mutability", "ReadWrite") == "ReadOnly" and "value" in actual[0]:
            out = {"component": e["component"], "variable": e["variable"]}
            return out
    raise Inconclusive("the station's FullInventory report names no ReadOnly variable with a value; set PIXIT "
                       "read_only_variable")
