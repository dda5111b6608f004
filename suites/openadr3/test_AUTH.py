"""Token lifetime and refused token requests: renewing a token before it runs out, and waiting before asking
again when the VTN refuses the VEN's credentials."""

from __future__ import annotations

import time

import pytest

from helpers_oa3 import ok, requests
from vgitest.openadr3 import rules as r
from vgitest.openadr3.vtn import Raw

pytestmark = pytest.mark.vgi_protocol("openadr3", "3.0.1")

LIFETIME_S = 3  # the short token lifetime of TC_VGI_OA3_14
REFUSED_FOR_S = 2.5  # how long TC_VGI_OA3_15 refuses the token requests
RETRY_GAP_S = 0.5  # the least pause between two token requests after a refusal (the reference VEN waits 1 s first)


@pytest.mark.vgi_case("TC_VGI_OA3_14", feature="Authorization")
def test_TC_VGI_OA3_14(registered_ven3, t) -> None:
    """Given short-lived tokens (expires_in of a few seconds), the VEN asks for its next token before the one it
    holds runs out, and none of its requests carries an expired token."""
    ven = registered_ven3
    ven.set_token_lifetime(LIFETIME_S)
    start = len(ven.vtn.trace)
    ven.revoke_tokens()  # the VEN's next request is refused: it gets a short-lived token
    _, first = ven.expect_answered("POST /auth/token", t.wait, ok(200))
    expires = first.t_ns + LIFETIME_S * 1_000_000_000
    renew, _ = ven.expect_answered("POST /auth/token", LIFETIME_S + t.poll, ok(200))
    ven.check(renew.t_ns < expires, r.AUTH_EXPIRED, f"the VEN asked for its next token "
              f"{(renew.t_ns - expires) / 1e9:.2f} s after the one it held (expires_in {LIFETIME_S}) had expired",
              renew)
    late = [f for f in ven.frames(start) if f.meta.get("auth") == "expired"]
    ven.check(not late, r.AUTH_EXPIRED, f"{len(late)} request(s) carried an expired token",
              late[0] if late else None)


@pytest.mark.vgi_case("TC_VGI_OA3_15", feature="Authorization")
def test_TC_VGI_OA3_15(registered_ven3, t) -> None:
    """While the VTN refuses the VEN's token requests (401 invalid_client), the VEN pauses between its attempts
    instead of asking again at once, and sends no resource request without a token; once the VTN accepts its
    credentials again, it gets a token and reads the events."""
    ven = registered_ven3
    ven.override("POST /auth/token", Raw(401, {"error": "invalid_client"}))
    start = len(ven.vtn.trace)
    ven.revoke_tokens()
    time.sleep(REFUSED_FOR_S)
    asks = requests(ven.frames(start), "POST /auth/token")
    ven.check(bool(asks), r.EXPECTED_REQUEST, f"the VEN asked for no new token within {REFUSED_FOR_S:g} s of "
              "its token being refused")
    gaps = [(b.t_ns - a.t_ns) / 1e9 for a, b in zip(asks, asks[1:])]
    short = [g for g in gaps if g < RETRY_GAP_S]
    ven.check(not short, r.RETRY, f"{len(asks)} token requests in {REFUSED_FOR_S:g} s, "
              f"{len(short)} of them less than {RETRY_GAP_S:g} s after a refused one (the shortest "
              f"{min(gaps, default=0):.2f} s)", asks[gaps.index(min(gaps)) + 1] if short else None)
    ven.clear_override("POST /auth/token")
    ven.cursor = len(ven.vtn.trace)
    ven.expect_answered("POST /auth/token", t.register, ok(200))
    ven.expect_answered("GET /events", t.wait, ok(200))
