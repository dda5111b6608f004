"""Helpers the ISO 15118 / DIN SPEC 70121 suites share (one family's suite folder calls them with its own ids).

A case states what it provokes and what the device must do; the fake SECC/EVCC judge the rules while the
session runs (findings fail the test through the plugin), and the case adds the assertions of its purpose.
"""

from __future__ import annotations

from typing import Any

import pytest

VENDOR_NS = "urn:vgitest:vendor-protocol:2026"  # a namespace no SECC knows (cf. vendor protocols in SAP offers)


def case(case_id: str, *requires: str, feature: str | None = None) -> pytest.MarkDecorator:
    return pytest.mark.vgi_case(case_id, feature=feature or case_id.split("_")[4], requires=requires)


def ev_session(secc: Any, dut: Any, profile: Any, **plug: Any) -> Any:
    """Plug the EV in and wait for the session it runs with the fake SECC."""
    dut.perform("plug_in", **plug)
    return secc.next_session(float(profile.param("session_wait", 60)))


def assert_charged(s: Any) -> None:
    """An EVCC-side session that ran to SessionStopRes."""
    assert s.completed, f"the session did not complete: {s.end_reason} (messages: {s.names()[-6:]})"


def assert_ev_stopped(s: Any) -> None:
    """An SECC-side session the EV ended by closing the connection (after a failure it provoked)."""
    assert s.closed_by == "ev", f"the EV did not close the connection: {s.end_reason}"


# --- TLS and Plug & Charge (suites/iso15118_2/test_*_pnc.py) --------------------------------------------------------

def open_meta(fake: Any, s: Any) -> dict[str, Any]:
    """The trace OPEN event meta of a session's connection: tls, tls_version, tls_cipher or tls_error."""
    link = getattr(s, "link", None)
    conn = link.connection if link is not None else None
    for f in fake.trace:
        if f.kind == "OPEN" and f.connection == conn:
            return dict(f.meta)
    return {}


def ev_pnc(evcc: Any) -> Any:
    """The fake EVCC's Plug & Charge side (pnc.EvPnc): per-test knobs tamper, unsigned, wrong_challenge, install,
    contract. Inconclusive without PnC material (PICS PnC and a test PKI)."""
    from ..verdict import Inconclusive
    pnc = getattr(evcc, "pnc", None)
    if pnc is None or pnc.contract is None:
        raise Inconclusive("this test needs Plug & Charge material: PICS PnC and tls_material = \"generated\" (or "
                           "contract_chain/contract_key/mo_root files in the PIXIT)")
    return pnc


def request_of(s: Any, name: str) -> Any:
    """The first request ``name`` of an SECC-side session (a trace frame), or None."""
    return next((f for f in s.requests if f.name == name), None)


def header_signature(frame: Any) -> Any:
    from .pnc import _header_signature
    return _header_signature(frame)
