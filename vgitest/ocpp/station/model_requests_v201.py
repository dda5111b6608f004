"""The device-model requests of the OCPP 2.0.1 reference station: GetVariables, SetVariables and
GetBaseReport (answered, then the NotifyReports sent), with the faults that bend them. Rows of
:data:`.requests_v201.REQUESTS`."""

from __future__ import annotations

from typing import Any, Callable

from .base import utcnow

Station201 = Any  # vgitest.ocpp.station.v201's, typed loosely so as not to import its owner back

REPORT_CHUNK = 8  # device-model rows per NotifyReport


def _lookup(st: Station201, component: dict, variable: dict) -> tuple[str, Any]:
    """The device-model lookup of Get/SetVariables; unknown_component_as_variable blurs its two "unknown"s."""
    status, v = st.model.lookup(component, variable)
    if status == "UnknownComponent" and st.has("unknown_component_as_variable"):
        status = "UnknownVariable"
    return status, v


def _results(st: Station201, items: list[dict], decide: Callable[[dict, dict, Any, str, bool], str], *,
             accept_unknown: str, unknown_value: str | None = None) -> list[dict]:
    """Get/SetVariables item by item: the item's component and variable (and its attributeType, if it named one)
    with a status. `decide(item, result, variable, status, first)` judges an item whose variable exists and was
    asked for its Actual value; the fault `accept_unknown` accepts an unknown variable (with `unknown_value`)."""
    out: list[dict] = []
    for item in items:
        res: dict[str, Any] = {"component": item["component"], "variable": item["variable"]}
        attr = item.get("attributeType", "Actual")
        if "attributeType" in item:
            res["attributeType"] = attr
        status, v = _lookup(st, item["component"], item["variable"])
        if "customData" in item and st.has("custom_data_rejected"):
            status, v = "Rejected", None
        if status == "UnknownVariable" and st.has(accept_unknown):
            status = "Accepted"
            if unknown_value is not None:
                res["attributeValue"] = unknown_value
        if v is not None:
            if attr != "Actual" and not st.has("attribute_type_ignored"):
                status = "NotSupportedAttributeType"
            else:
                status = decide(item, res, v, status, not out)
        res["attributeStatus"] = status
        out.append(res)
    return out


async def get_variables(st: Station201, p: dict) -> dict:
    def decide(item: dict, res: dict, v: Any, status: str, first: bool) -> str:
        if v.mutability == "WriteOnly":
            return "Rejected"
        res["attributeValue"] = v.current()
        return status

    out = _results(st, p["getVariableData"], decide, accept_unknown="unknown_variable_accepted", unknown_value="0")
    if st.has("get_variables_reversed"):  # results built on a stack: the request's order is lost
        out.reverse()
    return {"getVariableResult": out}


async def set_variables(st: Station201, p: dict) -> dict:
    def decide(item: dict, res: dict, v: Any, status: str, first: bool) -> str:
        value = item["attributeValue"]
        if v.mutability == "ReadOnly" and not st.has("readonly_writable"):
            return "Rejected"
        if v.check(value) is not None and not st.has("invalid_value_accepted"):
            return "Rejected"
        if st.has("set_variables_first_only") and not first:
            return status  # only the request's first item is stored; the later ones are Accepted all the same
        if not st.has("config_not_applied"):
            _store(st, v.component, v.name, value, v)
        return status

    # an unknown variable accepted by set_unknown_variable_accepted: its value is dropped (nowhere to store it)
    out = _results(st, p["setVariableData"], decide, accept_unknown="set_unknown_variable_accepted")
    return {"setVariableResult": out}


def _store(st: Station201, component: str, name: str, value: str, v: Any) -> None:
    if (component, name) == ("OCPPCommCtrlr", "HeartbeatInterval"):
        st.written_heartbeat = value
        try:
            st.heartbeat_interval = float(value)
        except ValueError:  # only reachable under invalid_value_accepted: accepted, and then ignored
            pass
        return
    if callable(v.value):
        return  # dynamic read-only values are never stored (only reachable under readonly_writable)
    v.value = value


async def get_base_report(st: Station201, p: dict) -> dict:
    if p["reportBase"] == "SummaryInventory" and not st.has("summary_report_accepted"):
        return {"status": "NotSupported"}  # C-56 is not supported (a faulty station claims it and sends a report)
    return {"status": "Accepted"}


async def send_report(st: Station201, p: dict, result: dict) -> None:
    """After an Accepted GetBaseReport: the report, REPORT_CHUNK rows per NotifyReport."""
    if result.get("status") != "Accepted":
        return
    everything = p["reportBase"] == "FullInventory" or st.has("config_report_has_readonly")
    rows = [v for v in st.model if everything or v.mutability != "ReadOnly"]
    if st.has("full_report_missing_mandatory"):  # a variable the station has but leaves out of its reports
        rows = [v for v in rows if (v.component, v.name) != ("OCPPCommCtrlr", "OfflineThreshold")]
    size = REPORT_CHUNK
    chunks = [rows[i:i + size] for i in range(0, len(rows), size)] or [[]]
    broken = st.has("report_seqno_broken")
    for n, chunk in enumerate(chunks):
        last = n == len(chunks) - 1
        msg: dict[str, Any] = {"requestId": p["requestId"], "generatedAt": utcnow(),
                               "seqNo": n * 2 if broken else n, "tbc": (not last) or broken}
        if chunk:
            msg["reportData"] = [st.model.report_entry(v) for v in chunk]
        await st.safe_call("NotifyReport", msg)
