"""The 2.0.1 reference station's customer information (use cases N09 get, N10 clear): what it knows about a
customer is what its authorization cache holds for an idToken (customer identifiers and certificates it does not
keep, so for them it has nothing). A request naming no customer (no idToken, customerIdentifier or
customerCertificate) is Invalid; otherwise it is Accepted, and with report=true the station sends
NotifyCustomerInformation (one message, seqNo 0, tbc false, the request's requestId; empty data when it holds
nothing); with clear=true it forgets the data after the report was made.

Faults (catalog_v201_logs.py) are `station.has(...)` branches next to the behaviour they break."""

from __future__ import annotations

from typing import Any

from .base import utcnow

Station201 = Any


def _data(st: Station201, p: dict) -> str:
    token = (p.get("idToken") or {}).get("idToken")
    if token is not None and token in st.auth_cache and not st.has("customer_report_empty"):
        return f"idToken {token}: authorization cache entry, status {st.auth_cache[token]}"
    return ""


async def customer_information(st: Station201, p: dict) -> dict:
    if not any(k in p for k in ("idToken", "customerIdentifier", "customerCertificate")):
        return {"status": "Invalid"}
    if "customerIdentifier" in p and st.has("customer_identifier_rejected"):
        return {"status": "Rejected"}
    return {"status": "Accepted"}


async def after_customer_information(st: Station201, p: dict, result: dict) -> None:
    if result.get("status") != "Accepted":
        return
    if (p["report"] or st.has("customer_report_unasked")) and not st.has("customer_report_missing"):
        await st.safe_call("NotifyCustomerInformation", {
            "data": _data(st, p), "tbc": st.has("customer_report_left_open"), "seqNo": 1 if st.has("customer_report_seqno_from_one") else 0, "generatedAt": utcnow(),
            "requestId": p["requestId"]})
    if p["clear"]:
        token = (p.get("idToken") or {}).get("idToken")
        st.auth_cache.pop(token, None)
