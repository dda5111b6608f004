"""libiec61850 (through the pyiec61850-ng bindings, GPLv3) as an MMS client or server, run by
tests/interop/test_libiec61850_mms.py with the interpreter of a virtualenv of its own (oracle_venv): it is never
imported by vgitest or its test process.

``client HOST PORT``: associates with the server at HOST:PORT, lists, reads and writes the Table 5 EV model, and
prints one JSON object with what it got. ``server``: serves that model on a free port, prints ``READY <port>``,
and serves until its standard input closes.
"""

from __future__ import annotations

import json
import socket
import sys

import pyiec61850.pyiec61850 as iec  # type: ignore[import-not-found]


def strings(linked: object) -> list[str]:
    out = []
    element = iec.LinkedList_getNext(linked)
    while element:
        out.append(iec.toCharP(iec.LinkedList_getData(element)))
        element = iec.LinkedList_getNext(element)
    iec.LinkedList_destroy(linked)
    return out


def err(result: object) -> int:
    """The IedClientError of a call (SWIG returns it alone or last in a list with the out-parameters)."""
    return result[-1] if isinstance(result, (list, tuple)) else result  # type: ignore[return-value]


def client(host: str, port: int) -> dict:
    con = iec.IedConnection_create()
    iec.IedConnection_setRequestTimeout(con, 5000)
    out: dict = {}
    error = err(iec.IedConnection_connect(con, host, port))
    out["connect"] = error
    if error != iec.IED_ERROR_OK:
        return out
    devices, out["devices_error"] = iec.IedConnection_getLogicalDeviceList(con)
    out["devices"] = strings(devices) if devices else None
    variables, out["variables_error"] = iec.IedConnection_getLogicalDeviceVariables(con, "EV1")
    out["variables"] = strings(variables) if variables else None
    out["soc"], out["soc_error"] = iec.IedConnection_readFloatValue(con, "EV1/DEEV1.Soc.mag.f", iec.IEC61850_FC_MX)
    out["mod"], out["mod_error"] = iec.IedConnection_readInt32Value(con, "EV1/LLN0.Mod.stVal", iec.IEC61850_FC_ST)
    out["write_error"] = err(iec.IedConnection_writeFloatValue(con, "EV1/DEEV1.WChaTgt.setMag.f", iec.IEC61850_FC_SP,
                                                               11000.0))
    out["target"], out["target_error"] = iec.IedConnection_readFloatValue(con, "EV1/DEEV1.WChaTgt.setMag.f",
                                                                          iec.IEC61850_FC_SP)
    out["denied_error"] = err(iec.IedConnection_writeFloatValue(con, "EV1/DEEV1.Soc.mag.f", iec.IEC61850_FC_MX,
                                                                1.0))
    out["access_denied"] = iec.IED_ERROR_ACCESS_DENIED
    out["release_error"] = err(iec.IedConnection_release(con))
    iec.IedConnection_destroy(con)
    return out


def model() -> object:
    m = iec.IedModel_create("EV")
    ld = iec.LogicalDevice_create("1", m)
    lln0 = iec.LogicalNode_create("LLN0", ld)
    node = iec.toModelNode  # SWIG: a logical node, data object or attribute passed as the parent ModelNode
    mod = iec.DataObject_create("Mod", node(lln0), 0)
    iec.DataAttribute_create("stVal", node(mod), iec.IEC61850_INT32, iec.IEC61850_FC_ST, 0, 0, 0)
    deev = iec.LogicalNode_create("DEEV1", ld)
    for do_name, da_name, fc in (("Soc", "mag", iec.IEC61850_FC_MX), ("WChaTgt", "setMag", iec.IEC61850_FC_SP)):
        do = iec.DataObject_create(do_name, node(deev), 0)
        iec.DataAttribute_create(da_name, node(do), iec.IEC61850_CONSTRUCTED, fc, 0, 0, 0)
        da = iec.ModelNode_getChild(node(do), da_name)  # the attribute as a ModelNode (no cast for it)
        iec.DataAttribute_create("f", da, iec.IEC61850_FLOAT32, fc, 0, 0, 0)
    return m


def server() -> None:
    m = model()
    srv = iec.IedServer_create(m)
    iec.IedServer_setWriteAccessPolicy(srv, iec.IEC61850_FC_SP, iec.ACCESS_POLICY_ALLOW)
    with socket.socket() as s:  # a free port (libiec61850 takes a port number, not 0)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    iec.IedServer_start(srv, port)
    if not iec.IedServer_isRunning(srv):
        print("FAILED to start", flush=True)
        return
    values = {"EV1/LLN0.Mod.stVal": iec.MmsValue_newIntegerFromInt32(1),
              "EV1/DEEV1.Soc.mag.f": iec.MmsValue_newFloat(55.0),
              "EV1/DEEV1.WChaTgt.setMag.f": iec.MmsValue_newFloat(7000.0)}
    for ref, value in values.items():
        attribute = iec.toDataAttribute(iec.IedModel_getModelNodeByObjectReference(m, ref))
        iec.IedServer_updateAttributeValue(srv, attribute, value)
    print(f"READY {port}", flush=True)
    sys.stdin.read()  # until the test closes our standard input
    iec.IedServer_stop(srv)
    iec.IedServer_destroy(srv)
    iec.IedModel_destroy(m)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        print(json.dumps(client(sys.argv[2], int(sys.argv[3]))), flush=True)
    else:
        server()
