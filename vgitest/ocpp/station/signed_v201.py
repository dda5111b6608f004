"""Signed meter values of the OCPP 2.0.1 reference station (J01/J02 with SampledDataCtrlr.SignReadings and
AlignedDataCtrlr.SignReadings): each sampled value of a reading then carries a signedMeterValue.

The signature is what a test needs to see, not a metrology-grade one: the signed data is the reading in JSON with an
HMAC-SHA256 over it, base64 encoded, and the public key field names the (station-local) key. A real meter signs with
its own asymmetric key; what the CSMS must get, and what the cases check, is the same set of fields. Faults:
`catalog_v201_cond`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

Station201 = Any  # vgitest.ocpp.station.v201's, typed loosely so as not to import its owner back

ENCODING = "vgitest-json"
METHOD = "HMAC-SHA256"


def controller_of(context: str) -> str:
    """Clock-aligned readings follow AlignedDataCtrlr, every other reading SampledDataCtrlr."""
    return "AlignedDataCtrlr" if context == "Sample.Clock" else "SampledDataCtrlr"


def sign(st: Station201, evse_id: int, mv: dict) -> dict:
    """Add a signedMeterValue to every sampled value of `mv` when its controller's SignReadings is true."""
    values = mv.get("sampledValue", [])
    if not values or st.has("signed_readings_missing"):
        return mv
    if st.var(controller_of(str(values[0].get("context", ""))), "SignReadings") != "true":
        return mv
    key = hashlib.sha256(f"vgitest-meter-{st.identity}".encode()).digest()
    for sv in values:
        data = json.dumps({"evse": evse_id, "timestamp": mv.get("timestamp"), "measurand": sv.get("measurand"),
                           "value": sv.get("value"), "context": sv.get("context")}, sort_keys=True)
        mac = hmac.new(key, data.encode(), hashlib.sha256).hexdigest()
        sv["signedMeterValue"] = {
            "signedMeterData": base64.b64encode(json.dumps({"data": data, "mac": mac}).encode()).decode(),
            "signingMethod": METHOD, "encodingMethod": ENCODING,
            "publicKey": base64.b64encode(f"key-id:{hashlib.sha256(key).hexdigest()[:16]}".encode()).decode()}
    return mv
