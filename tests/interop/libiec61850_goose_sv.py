"""libiec61850 (through the pyiec61850-ng bindings, GPLv3) as a GOOSE/SV publisher or subscriber on one Ethernet
interface, run by tests/interop/test_libiec61850_goose_sv.py with the interpreter of a virtualenv of its own
(oracle_venv) inside a network namespace (``ip netns exec``): it is never imported by vgitest or its test process.

Every command takes the interface and one JSON object of settings, and prints one JSON line when done:

``publish-goose IF CONFIG``: one GoosePublisher (802.1Q tagged); for each state in ``states`` a state change
(``GoosePublisher_increaseStNum``: stNum + 1, sqNum 0, t = now) and repeats of it on a retransmission curve
(``first`` s, times ``factor``, up to ``maximum``) until the next change ``hold`` s after it, each message's TAL
``tal_factor`` times the gap to the next repeat. libiec61850 has no curve of its own: its publisher sends what
it is told and counts sqNum.

``publish-sv IF CONFIG``: one SVPublisher with ``asdus`` ASDUs (default 1) whose data sets have the ``layout``
entries (``float32``, ``int32``, ``quality``); each frame carries the next ``asdus`` of ``samples``, frames
``period`` s apart, smpCnt from ``first_cnt`` counting every sample.

``subscribe IF CONFIG``: a GooseReceiver with one GooseSubscriber per gocbRef in ``goose`` and an SVReceiver with
one SVSubscriber (``sv``: its APPID, or null for none), polled without threads (``*_startThreadless`` and
``*_tick``; the SWIG director handlers then run on this thread); prints ``READY`` when both listen, then, after
``seconds`` or once ``expect`` messages arrived, what every callback read through libiec61850's getters.

Data values are ``[kind, value]`` with vgitest's MMS Data kind names (boolean, integer, unsigned, floating-point,
bit-string as a list of booleans, visible-string, octet-string as hex, structure as a list of values).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import pyiec61850.pyiec61850 as iec  # type: ignore[import-not-found]

TICK_IDLE_S = 0.0005
KEEP: list[Any] = []  # the SWIG director objects: alive until the process ends (see the end of this file)


def mms(value: list[Any]) -> Any:
    """An MmsValue for a ``[kind, value]`` pair (the caller's list owns it)."""
    kind, v = value
    if kind == "boolean":
        return iec.MmsValue_newBoolean(bool(v))
    if kind == "integer":
        return iec.MmsValue_newIntegerFromInt32(int(v))
    if kind == "unsigned":
        return iec.MmsValue_newUnsignedFromUint32(int(v))
    if kind == "floating-point":
        return iec.MmsValue_newFloat(float(v))
    if kind == "visible-string":
        return iec.MmsValue_newVisibleString(v)
    if kind == "bit-string":
        out = iec.MmsValue_newBitString(len(v))
        for i, bit in enumerate(v):
            iec.MmsValue_setBitStringBit(out, i, bool(bit))
        return out
    if kind == "octet-string":
        octets = bytes.fromhex(v)
        out = iec.MmsValue_newOctetString(len(octets), len(octets))
        for i, b in enumerate(octets):
            iec.MmsValue_setOctetStringOctet(out, i, b)
        return out
    if kind == "structure":
        out = iec.MmsValue_createEmptyStructure(len(v))
        for i, member in enumerate(v):
            iec.MmsValue_setElement(out, i, mms(member))
        return out
    raise ValueError(f"no MmsValue for kind {kind!r}")


def py(value: Any) -> list[Any]:
    """``[kind, value]`` of a received MmsValue, read through libiec61850's accessors."""
    t = iec.MmsValue_getType(value)
    if t == iec.MMS_BOOLEAN:
        return ["boolean", bool(iec.MmsValue_getBoolean(value))]
    if t == iec.MMS_INTEGER:
        return ["integer", iec.MmsValue_toInt64(value)]
    if t == iec.MMS_UNSIGNED:
        return ["unsigned", iec.MmsValue_toUint32(value)]
    if t == iec.MMS_FLOAT:
        return ["floating-point", iec.MmsValue_toDouble(value)]
    if t == iec.MMS_VISIBLE_STRING:
        return ["visible-string", iec.MmsValue_toString(value)]
    if t == iec.MMS_BIT_STRING:
        return ["bit-string", [bool(iec.MmsValue_getBitStringBit(value, i))
                               for i in range(iec.MmsValue_getBitStringSize(value))]]
    if t == iec.MMS_OCTET_STRING:
        return ["octet-string", bytes(iec.MmsValue_getOctetStringOctet(value, i)
                                      for i in range(iec.MmsValue_getOctetStringSize(value))).hex()]
    if t in (iec.MMS_STRUCTURE, iec.MMS_ARRAY):
        kind = "structure" if t == iec.MMS_STRUCTURE else "array"
        return [kind, [py(iec.MmsValue_getElement(value, i)) for i in range(iec.MmsValue_getArraySize(value))]]
    if t == iec.MMS_UTC_TIME:
        return ["utc-time", {"ms": iec.MmsValue_getUtcTimeInMs(value),
                             "quality": iec.MmsValue_getUtcTimeQuality(value)}]
    return ["unknown", iec.MmsValue_getTypeString(value)]


def comm(cfg: dict) -> Any:
    """CommParameters: APPID, destination MAC, 802.1Q priority and VLAN id."""
    params = iec.CommParameters()
    params.appId = cfg["appid"]
    priority, vid = cfg.get("vlan") or (4, 0)
    params.vlanPriority, params.vlanId = priority, vid
    iec.CommParameters_setDstAddress(params, *bytes.fromhex(cfg["dst"]))
    return params


def curve(first: float, factor: float, maximum: float) -> Iterator[float]:
    """The gaps between repeats after a state change (as vgitest's RetransmissionCurve, written anew here)."""
    gap = first
    while True:
        yield min(gap, maximum)
        gap = min(gap * factor, maximum)


def publish_goose(ifname: str, cfg: dict) -> dict:
    params = comm(cfg)
    pub = iec.GoosePublisher_createEx(params, ifname, cfg.get("vlan") is not None)
    if not pub:
        return {"error": f"GoosePublisher_createEx failed on {ifname}"}
    iec.GoosePublisher_setGoCbRef(pub, cfg["gocbRef"])
    iec.GoosePublisher_setDataSetRef(pub, cfg["datSet"])
    if cfg.get("goID") is not None:
        iec.GoosePublisher_setGoID(pub, cfg["goID"])
    iec.GoosePublisher_setConfRev(pub, cfg["confRev"])
    iec.GoosePublisher_setSimulation(pub, bool(cfg.get("simulation", False)))
    iec.GoosePublisher_setStNum(pub, 0)  # so that the first state change sends stNum 1 with its own t
    sent = []
    t0 = time.monotonic()
    for state, values in enumerate(cfg["states"]):
        start = t0 + state * cfg["hold"]
        delay = start - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        changed_ms = iec.GoosePublisher_increaseStNum(pub)
        at = 0.0
        for gap in curve(cfg["first"], cfg["factor"], cfg["maximum"]):
            tal = max(1, round(cfg["tal_factor"] * gap * 1000))
            iec.GoosePublisher_setTimeAllowedToLive(pub, tal)
            dataset = iec.LinkedList_create()
            for v in values:
                iec.LinkedList_add(dataset, mms(v))
            rc = iec.GoosePublisher_publish(pub, dataset)
            iec.LinkedList_destroyDeep_MmsValueDelete(dataset)
            if rc != 0:
                return {"error": f"GoosePublisher_publish returned {rc}", "sent": sent}
            sent.append({"state": state, "tal": tal, "t_ms": changed_ms})
            at += gap
            if at >= cfg["hold"]:  # the next state change comes first
                break
            # Each gap from the message actually sent: a late wake-up (a loaded machine) delays the repeats after
            # it but never shortens an interval, which the retransmission check would report.
            time.sleep(gap)
    iec.GoosePublisher_destroy(pub)
    return {"sent": sent}


ADD = {"float32": "SVPublisher_ASDU_addFLOAT", "int32": "SVPublisher_ASDU_addINT32",
       "quality": "SVPublisher_ASDU_addQuality"}
SET = {"float32": "SVPublisher_ASDU_setFLOAT", "int32": "SVPublisher_ASDU_setINT32",
       "quality": "SVPublisher_ASDU_setQuality"}
GET = {"float32": "SVSubscriber_ASDU_getFLOAT32", "int32": "SVSubscriber_ASDU_getINT32",
       "quality": "SVSubscriber_ASDU_getQuality"}
SIZE = {"float32": 4, "int32": 4, "quality": 4}


def publish_sv(ifname: str, cfg: dict) -> dict:
    params = comm(cfg)
    pub = iec.SVPublisher_createEx(params, ifname, cfg.get("vlan") is not None)
    if not pub:
        return {"error": f"SVPublisher_createEx failed on {ifname}"}
    asdus = [iec.SVPublisher_addASDU(pub, cfg["svID"], cfg.get("datSet"), cfg["confRev"])
             for _ in range(cfg.get("asdus", 1))]
    offsets = [[getattr(iec, ADD[kind])(asdu) for kind in cfg["layout"]] for asdu in asdus]
    for asdu in asdus:
        if cfg.get("smpRate") is not None:
            iec.SVPublisher_ASDU_setSmpRate(asdu, cfg["smpRate"])
    iec.SVPublisher_setupComplete(pub)
    for asdu in asdus:
        iec.SVPublisher_ASDU_setSmpSynch(asdu, cfg.get("smpSynch", 0))  # before setupComplete it crashes
    start = time.monotonic()
    samples = cfg["samples"]
    frames = 0
    for first in range(0, len(samples), len(asdus)):  # one frame: the next sample in each ASDU
        for n, (asdu, where) in enumerate(zip(asdus, offsets, strict=True), first):
            for kind, offset, value in zip(cfg["layout"], where, samples[n], strict=True):
                getattr(iec, SET[kind])(asdu, offset, value)
            iec.SVPublisher_ASDU_setSmpCnt(asdu, cfg["first_cnt"] + n)
        delay = start + frames * cfg["period"] - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        iec.SVPublisher_publish(pub)
        frames += 1
    iec.SVPublisher_destroy(pub)
    return {"sent": frames, "offsets": offsets}


class GooseListener(iec.GooseHandler):  # type: ignore[misc]
    """Called from GooseReceiver_tick (this thread) for each message of its control block."""

    def __init__(self, out: list[dict]) -> None:
        super().__init__()
        self.out = out

    def trigger(self) -> None:
        s = self._libiec61850_goose_subscriber
        values = iec.GooseSubscriber_getDataSetValues(s)
        self.out.append({
            "gocbRef": iec.GooseSubscriber_getGoCbRef(s), "datSet": iec.GooseSubscriber_getDataSet(s),
            "goID": iec.GooseSubscriber_getGoId(s), "stNum": iec.GooseSubscriber_getStNum(s),
            "sqNum": iec.GooseSubscriber_getSqNum(s), "TAL": iec.GooseSubscriber_getTimeAllowedToLive(s),
            "confRev": iec.GooseSubscriber_getConfRev(s), "simulation": bool(iec.GooseSubscriber_isTest(s)),
            "ndsCom": bool(iec.GooseSubscriber_needsCommission(s)), "t_ms": iec.GooseSubscriber_getTimestamp(s),
            "valid": bool(iec.GooseSubscriber_isValid(s)),  # (getAppId is the filter, -1 here, not the frame's)
            "parseError": iec.GooseSubscriber_getParseError(s),
            "values": py(values)[1] if values else None,
        })


class SvListener(iec.SVHandler):  # type: ignore[misc]
    """Called from SVReceiver_tick for each ASDU; reads the data set by ``layout`` and octet by octet."""

    def __init__(self, out: list[dict], layout: list[str]) -> None:
        super().__init__()
        self.out, self.layout = out, layout

    def trigger(self) -> None:
        a = self._libiec61850_sv_asdu
        size = iec.SVSubscriber_ASDU_getDataSize(a)
        values, offset = [], 0
        for kind in self.layout:
            if offset + SIZE[kind] > size:
                break
            values.append(getattr(iec, GET[kind])(a, offset))
            offset += SIZE[kind]
        self.out.append({
            "svID": iec.SVSubscriber_ASDU_getSvId(a), "smpCnt": iec.SVSubscriber_ASDU_getSmpCnt(a),
            "confRev": iec.SVSubscriber_ASDU_getConfRev(a),
            "datSet": iec.SVSubscriber_ASDU_getDatSet(a) if iec.SVSubscriber_ASDU_hasDatSet(a) else None,
            "smpRate": iec.SVSubscriber_ASDU_getSmpRate(a) if iec.SVSubscriber_ASDU_hasSmpRate(a) else None,
            "smpMod": iec.SVSubscriber_ASDU_getSmpMod(a) if iec.SVSubscriber_ASDU_hasSmpMod(a) else None,
            "refrTm_ms": iec.SVSubscriber_ASDU_getRefrTmAsMs(a) if iec.SVSubscriber_ASDU_hasRefrTm(a) else None,
            "dataSize": size, "data": bytes(iec.SVSubscriber_ASDU_getINT8U(a, i) for i in range(size)).hex(),
            "values": values,
        })


def subscribe(ifname: str, cfg: dict) -> dict:
    goose: list[dict] = []
    sv: list[dict] = []
    g_rx = iec.GooseReceiver_create()
    iec.GooseReceiver_setInterfaceId(g_rx, ifname)
    for ref in cfg["goose"]:
        sub = iec.GooseSubscriber_create(ref, None)  # None: the data set is built from what arrives
        bridge, handler = iec.GooseSubscriberForPython(), GooseListener(goose)
        bridge.setLibiec61850GooseSubscriber(sub)
        bridge.setEventHandler(handler)
        bridge.subscribe()
        KEEP.extend((bridge, handler))
        iec.GooseReceiver_addSubscriber(g_rx, sub)
    s_rx = iec.SVReceiver_create()
    iec.SVReceiver_setInterfaceId(s_rx, ifname)
    if cfg.get("sv") is not None:
        sub = iec.SVSubscriber_create(None, cfg["sv"])
        bridge, handler = iec.SVSubscriberForPython(), SvListener(sv, cfg.get("layout", []))
        bridge.setLibiec61850SVSubscriber(sub)
        bridge.setEventHandler(handler)
        bridge.subscribe()
        KEEP.extend((bridge, handler))
        iec.SVReceiver_addSubscriber(s_rx, sub)
    sockets = (iec.GooseReceiver_startThreadless(g_rx), iec.SVReceiver_startThreadless(s_rx))
    KEEP.extend(sockets)
    if not all(sockets):
        return {"error": f"cannot open a receiver on {ifname}"}
    # libiec61850's Linux HAL binds a receive socket to the interface only at its first receive, and a frame that
    # arrives around that bind can be lost (our first GOOSE was, in 1 run of 6): one tick each binds both first.
    iec.GooseReceiver_tick(g_rx)
    iec.SVReceiver_tick(s_rx)
    print("READY", flush=True)
    expect = cfg.get("expect")  # message counts to stop at, GOOSE and SV (a kind left out: none of it)
    deadline = time.monotonic() + cfg["seconds"]
    while time.monotonic() < deadline:
        busy = iec.GooseReceiver_tick(g_rx)
        busy = iec.SVReceiver_tick(s_rx) or busy
        if expect is not None and len(goose) >= expect.get("goose", 0) and len(sv) >= expect.get("sv", 0):
            break
        if not busy:
            time.sleep(TICK_IDLE_S)
    iec.GooseReceiver_stopThreadless(g_rx)
    iec.SVReceiver_stopThreadless(s_rx)
    return {"goose": goose, "sv": sv}


COMMANDS = {"publish-goose": publish_goose, "publish-sv": publish_sv, "subscribe": subscribe}

if __name__ == "__main__":
    print(json.dumps(COMMANDS[sys.argv[1]](sys.argv[2], json.loads(sys.argv[3]))), flush=True)
    # Freeing the director handlers and their C subscribers in any order crashes these bindings at exit; the
    # process is done, so it leaves without running destructors.
    os._exit(0)
