"""Helpers the ISO 15118 / DIN SPEC 70121 suites share (one family's suite folder calls them with its own ids).

A case states what it provokes and what the device must do; the fake SECC/EVCC judge the rules while the
session runs (findings fail the test through the plugin), and the case judges its purpose with the fake's
``check(cond, RULE, message, frame)`` (:class:`vgitest.session.Verdicts`), so that every FAIL names a rule. A phase
the case needs but did not reach is INCONCLUSIVE (``Inconclusive``), a fault of the harness ERROR (``HarnessError``).
"""

from __future__ import annotations

from typing import Any

import pytest

from ..verdict import HarnessError, Inconclusive

VENDOR_NS = "urn:vgitest:vendor-protocol:2026"  # a namespace no SECC knows (cf. vendor protocols in SAP offers)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """The V2G suites' conftests use this hook: a case that passed while a provocation it scripted never
    happened ends INCONCLUSIVE (:func:`require_reached`), never PASS."""
    result = yield
    fake = item.funcargs.get("secc") or item.funcargs.get("evcc") if hasattr(item, "funcargs") else None
    if fake is not None and getattr(fake, "script", None) is not None:
        require_reached(fake)
    return result


def case(case_id: str, *requires: str, feature: str | None = None) -> pytest.MarkDecorator:
    return pytest.mark.vgi_case(case_id, feature=feature or case_id.split("_")[4], requires=requires)


def plug_mode(profile: Any) -> str:
    """The energy transfer mode a case that does not care asks for: the PIXIT ``mode``, else DC (AC for an
    AC-only EV)."""
    mode = profile.param("mode")
    if mode:
        return str(mode)
    supports = getattr(profile, "supports", lambda _f: False)
    return "AC" if supports("AC") and not supports("DC") else "DC"


def ev_session(secc: Any, dut: Any, profile: Any, **plug: Any) -> Any:
    """Plug the EV in and wait for the session it runs with the fake SECC. Every plug-in names a ``mode``
    (the case's, else :func:`plug_mode`), so an adapter command may always use it (docs/iso15118.md)."""
    plug.setdefault("mode", plug_mode(profile))
    dut.perform("plug_in", **plug)
    return secc.next_session(float(profile.param("session_wait", 60)))


HARNESS_END = "harness cannot"  # how the fake EVCC's end_reason starts when it could not play its part


def charged(evcc: Any, s: Any) -> None:
    """An EVCC-side session that ran to SessionStopRes (V2G-SESSION-STOP). When the fake EVCC already judged why it
    did not (no response, a FAILED code, ...), the case fails on that rule (:meth:`Verdicts.check_outcome`)."""
    if not s.completed and (s.end_reason or "").startswith(HARNESS_END):
        raise HarnessError(f"the fake EVCC could not play its part: {s.end_reason}")
    evcc.check_outcome(s.completed, "V2G-SESSION-STOP", f"the session did not run to SessionStopRes ({_ended(s)}); "
                       f"a charging session must end with SessionStopReq/Res")


def ev_closed_after_stop(secc: Any, s: Any) -> None:
    """After SessionStopRes the EV closes the connection. The fake SECC waits the termination time plus its
    tolerance before it closes itself (schemas/budgets/iso15118.toml), so this is no race an EV that closes when
    it must can lose."""
    secc.check(s.closed_by == "ev", "V2G-CLOSE-AFTER-STOP", f"the EV did not close the TCP connection after "
               f"SessionStopRes: {s.end_reason}")


STOP_RULE = {"code": "V2G-STOP-AFTER-FAILED", "silence": "V2G-EVCC-TIMEOUT", "processing": "V2G-ONGOING-TIMEOUT"}


def ev_stopped(secc: Any, s: Any, rule: str, provocation: str) -> None:
    """An SECC-side session the EV ended by closing the connection after ``provocation`` (a FAILED code: rule
    V2G-STOP-AFTER-FAILED; no answer: V2G-EVCC-TIMEOUT; Ongoing answers or a phase that cannot finish:
    V2G-ONGOING-TIMEOUT). The fake SECC judges the EV's reaction as it happens; this is its outcome."""
    secc.check_outcome(s.closed_by == "ev", rule, f"after {provocation} the EV did not stop and close the "
                       f"connection: {s.end_reason or 'no reason recorded'}; last requests {s.names()[-4:]}")


# --- TLS and Plug & Charge (suites/iso15118_2/test_*_pnc.py) --------------------------------------------------------

# --- EVSE under test (the fake EVCC drives) ----------------------------------------------------------------
def charges(evcc: Any, **charge: Any) -> Any:
    """One whole session that must run to SessionStopRes; returns it for the case's own checks."""
    s = evcc.charge(**charge)
    charged(evcc, s)
    return s


def answers(evcc: Any, response: str, **charge: Any) -> dict[str, Any]:
    """A whole session, and the body of the first ``response`` the EVSE gave in it (INCONCLUSIVE when the
    session took a path without it: the phase under test was not reached)."""
    return body_of(charges(evcc, **charge), response)


def body_of(s: Any, response: str) -> dict[str, Any]:
    """The body of the first ``response`` of an EVCC-side session; INCONCLUSIVE when the session has none."""
    res = s.response(response)
    if res is None:
        raise Inconclusive(f"the phase under test was not reached: the session has no {response} ({_ended(s)})")
    _, body, _ = s.link.family.unwrap(res.body)
    return body


def sdp_answered(evcc: Any, s: Any) -> None:
    """The EVSE answered the fake EV's SDP request (V2G-SDP-ANSWER, judged by the fake EVCC on the way)."""
    evcc.check_outcome(s.sdp is not None, "V2G-SDP-ANSWER", f"no SDP answer from the EVSE: {s.end_reason}")


def negotiated(evcc: Any, s: Any, family: str, why: str = "") -> None:
    """supportedAppProtocolRes OK_SuccessfulNegotiation with ``family`` (V2G-SAP-CHOICE)."""
    evcc.check_outcome((s.sap_code, s.family) == ("OK_SuccessfulNegotiation", family), "V2G-SAP-CHOICE",
                       f"the EVSE answered supportedAppProtocolRes {s.sap_code} choosing {s.family}; "
                       f"OK_SuccessfulNegotiation with {family} was due{why}")


def new_session(evcc: Any, s: Any) -> None:
    """SessionSetupRes to SessionID 0 gave a new, non-zero SessionID (V2G-NEW-SESSION)."""
    evcc.check_outcome(s.session_id and any(s.session_id), "V2G-NEW-SESSION", f"SessionSetupRes to SessionID 0 "
                       f"gave SessionID {_hex(s.session_id)}; a new, non-zero one was due")


def content(evcc: Any, ok: Any, response: str, what: str) -> None:
    """What a response of the EVSE must carry for the case (V2G-RESPONSE-CONTENT); ``what`` says what was due."""
    evcc.check(ok, "V2G-RESPONSE-CONTENT", f"{response}: {what}")


def evse_closed(evcc: Any, s: Any, rule: str, after: str) -> None:
    """The EVSE closed the connection after ``after`` (its FAILED answer, or a silence it must end): the outcome
    of what the fake EVCC judges as it happens (``rule``: V2G-CLOSE-AFTER-FAILED, V2G-SECC-SEQUENCE-CLOSE)."""
    evcc.check_outcome(s.closed_by == "secc", rule, f"the EVSE did not close the connection after {after}: "
                       f"{s.end_reason or 'no reason recorded'}")


def refused(evcc: Any, request: str, code: str, *, nth: int | None = None, **change: Any) -> Any:
    """Send ``request`` changed as ``change`` says (send_instead, session_id, patch, ...): the EVSE must answer
    ``code`` and close the connection."""
    charge = {k: change.pop(k) for k in ("mode", "offers") if k in change}
    evcc.send(request, nth=nth, expect_code=code, **change)
    s = evcc.charge(**charge)
    closed_after_refusal(evcc, s, code)
    return s


def out_of_sequence(evcc: Any, request: str, *, nth: int | None = None, **charge: Any) -> Any:
    """ServiceDiscoveryReq where ``request`` belongs: FAILED_SequenceError and the connection closed."""
    return refused(evcc, request, "FAILED_SequenceError", nth=nth, send_instead=("ServiceDiscoveryReq", {}), **charge)


def unknown_session(evcc: Any, request: str, **charge: Any) -> Any:
    """``request`` with a SessionID the EVSE never gave: FAILED_UnknownSession and the connection closed."""
    return refused(evcc, request, "FAILED_UnknownSession", session_id=bytes.fromhex("5e55104d00000bad"), **charge)


def ignored_header(evcc: Any, **frame: Any) -> Any:
    """SessionSetupReq with a V2GTP header the EVSE must ignore (``header=`` first bytes or ``payload_type=``)."""
    evcc.send("SessionSetupReq", expect_ignored=True, **frame)
    return evcc.charge()


def closed_after_refusal(evcc: Any, s: Any, code: str) -> None:
    """A scripted request the EVSE must answer ``code`` (``expect_code``): INCONCLUSIVE when it was never sent,
    else the EVSE closes the connection after its FAILED answer (V2G-CLOSE-AFTER-FAILED; a wrong code is judged
    by the fake EVCC as V2G-RESPONSE-CODE on the way)."""
    require_reached(evcc, s)
    evse_closed(evcc, s, "V2G-CLOSE-AFTER-FAILED", f"answering {code}")


def offer(namespace: str, major: int, schema_id: int, priority: int) -> dict[str, Any]:
    return {"ProtocolNamespace": namespace, "VersionNumberMajor": major, "VersionNumberMinor": 0,
            "SchemaID": schema_id, "Priority": priority}


def no_negotiation(evcc: Any) -> Any:
    """Only an unknown namespace offered: Failed_NoNegotiation, then the EVSE closes the connection."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [offer(VENDOR_NS, 1, 1, 1)]},
              expect_code="Failed_NoNegotiation")
    s = evcc.charge()
    evse_closed(evcc, s, "V2G-CLOSE-AFTER-FAILED", "answering Failed_NoNegotiation")
    return s


def vendor_first(evcc: Any, namespace: str, major: int, family: str) -> Any:
    """A vendor namespace at priority 1 next to ``namespace`` at priority 2: the EVSE ignores the unknown one."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [offer(VENDOR_NS, 1, 2, 1),
                                                                offer(namespace, major, 1, 2)]})
    s = charges(evcc)
    evcc.check_outcome(s.family == family, "V2G-SAP-CHOICE", f"the EVSE chose {s.family} ({s.sap_code}) from an "
                       f"offer of an unknown vendor namespace (priority 1) and {namespace} (priority 2); it must "
                       f"ignore the unknown one and choose {family}")
    return s


def silent_after_sap(evcc: Any) -> Any:
    """The EV goes silent after SAP: the EVSE closes the connection at V2G_SECC_Sequence_Timeout, not before."""
    evcc.send("SessionSetupReq", silence=True)
    s = evcc.charge()
    evse_closed(evcc, s, "V2G-SECC-SEQUENCE-CLOSE", "the EV went silent after SAP")
    return s


def paused_and_resumed(evcc: Any, **charge: Any) -> Any:
    """A session paused with SessionStop(Pause) is joined again with its old SessionID."""
    first = charges(evcc, pause=True, **charge)
    again = charges(evcc, resume=True, **charge)
    evcc.check_outcome(again.session_id == first.session_id, "V2G-SESSION-RESUME", f"the EVSE answered the resumed "
                       f"session with SessionID {_hex(again.session_id)}, not the paused session's "
                       f"{_hex(first.session_id)}")
    return again


# --- EV under test (the fake SECC answers) --------------------------------------------------------------------
def ev_charges(secc: Any, dut: Any, profile: Any, **plug: Any) -> Any:
    """A session the EV must end with SessionStop; returns it for the case's own assertions."""
    s = ev_session(secc, dut, profile, **plug)
    ev_ended_with_stop(secc, s)
    return s


def ev_ended_with_stop(secc: Any, s: Any) -> None:
    """The EV ended the session with SessionStopReq (V2G-SESSION-STOP, which the fake SECC judges on the way)."""
    names = s.names()
    secc.check_outcome("SessionStopReq" in names, "V2G-SESSION-STOP", f"the EV did not end the session with "
                       f"SessionStopReq: {s.end_reason or 'no reason recorded'}; last requests {names[-6:]}")


def ev_notified(secc: Any, dut: Any, profile: Any, notice: str, loop_request: str, **plug: Any) -> Any:
    """The fake EVSE puts ``notice`` (StopCharging, ReNegotiation) into its charge-loop answers; a session the EV
    ends with SessionStop. INCONCLUSIVE when the EV never sent ``loop_request``: the notice was never given."""
    secc.notify(notice)
    s = ev_session(secc, dut, profile, **plug)
    if loop_request not in s.names():
        raise Inconclusive(f"the phase under test was not reached: the EV never sent {loop_request}, so the "
                           f"{notice} notification was never given ({_ended(s)})")
    ev_ended_with_stop(secc, s)
    return s


def ev_stops(secc: Any, dut: Any, profile: Any, request: str, *, nth: int | None = None, plug: Any = None,
             **answer: Any) -> Any:
    """The fake SECC answers ``request`` as ``answer`` says (code=, silence=, processing=): the EV must stop.

    PASS needs the provocation to have happened and its effect to be seen: INCONCLUSIVE when the EV never sent
    ``request`` (it stopped before the phase under test), or when it closed before the timeout the case is about
    had run (no answer: V2G_EVCC_Msg_Timeout; Ongoing answers: the ongoing or phase timeout)."""
    secc.answer(request, nth=nth, **answer)
    s = ev_session(secc, dut, profile, **(plug or {}))
    require_reached(secc, s)
    key = next(k for k in ("silence", "processing", "code") if answer.get(k))
    what = {"silence": f"no answer to its {request}", "processing": f"{answer.get('processing')} answers to its "
            f"{request}", "code": f"{answer.get('code')} in answer to its {request}"}[key]
    ev_stopped(secc, s, STOP_RULE[key], what)
    if answer.get("silence"):
        _waited(secc, s, s.silent_after, "evcc_msg_timeout", f"its unanswered {request}")
    elif answer.get("processing", "").startswith("Ongoing"):
        first = next((f for f in s.requests if f.name == request), None)
        _waited(secc, s, first, "ongoing", f"the first {request} the SECC answered Ongoing", request)
    return s


def ev_gives_up(secc: Any, dut: Any, profile: Any, request: str, **plug: Any) -> Any:
    """A phase that cannot finish (e.g. pre-charge with a voltage that never rises): the EV repeats ``request``
    until its phase timeout, then stops. INCONCLUSIVE when the EV stopped before it ever sent ``request`` or
    before the timeout had run."""
    s = ev_session(secc, dut, profile, **plug)
    first = next((f for f in s.requests if f.name == request), None)
    if first is None:
        raise Inconclusive(f"the phase under test was not reached: the EV never sent {request} ({_ended(s)})")
    ev_stopped(secc, s, "V2G-ONGOING-TIMEOUT", f"a {request} phase that cannot finish")
    _waited(secc, s, first, "ongoing", f"its first {request}", request)
    return s


def reached(s: Any, request: str, at_least: int = 1, what: str = "") -> None:
    """INCONCLUSIVE unless the session holds ``request`` at least ``at_least`` times: the phase under test was not
    reached, or too briefly to be observed (the device ended the session earlier, as it may)."""
    n = s.names().count(request)
    if n < at_least:
        raise Inconclusive(f"the phase under test was not reached: {what or f'{at_least} {request}'} needed, the "
                           f"session has {n} ({_ended(s)})")


def repeated_while_ongoing(fake: Any, s: Any, request: str, rounds: int, then: str, rule: str = "V2G-SEQUENCE",
                           who: str = "EV") -> None:
    """The EV repeated ``request`` while the SECC answered Ongoing (``rounds`` times) and went on to ``then`` only
    after Finished: exactly ``rounds + 1`` requests. Fewer without ``then`` means the EV ended the session during
    the rounds (INCONCLUSIVE: the phase was not completed); the fake SECC judges a step out of sequence on the
    way (``rule``)."""
    n = s.names().count(request)
    if n < rounds + 1 and then not in s.names():
        raise Inconclusive(f"the phase under test was not completed: {n} {request} of the {rounds + 1} the case needs "
                           f"({_ended(s)})")
    fake.check_outcome(n == rounds + 1, rule, f"the {who} sent {n} {request} for {rounds} Ongoing answer(s) and then "
                       f"Finished; {rounds + 1} were due (repeat while Ongoing, move on after Finished)")


def ev_opens_with_session_setup(secc: Any, s: Any, then: str = "SessionSetupReq") -> None:
    """The EV's first requests are supportedAppProtocolReq and ``then`` (V2G-SAP-FIRST, V2G-SESSION-SETUP-FIRST;
    an ISO 15118-20 case passes its third request too, as ``then``)."""
    want = ["supportedAppProtocolReq", *then.split(",")]
    got = s.names()[:len(want)]
    rule = "V2G-SAP-FIRST" if got[:1] != want[:1] else "V2G-SESSION-SETUP-FIRST" if got[:2] != want[:2] else \
        "V2G-SEQUENCE"
    secc.check_outcome(got == want, rule, f"the EV opened the session with {got}; {want} were due")


def precharged(secc: Any, s: Any, request: str, then: str = "PowerDeliveryReq") -> None:
    """With a voltage that rises in steps the EV pre-charges (``request``) at least three times before ``then``:
    going on sooner, it asked for power before the voltage could match its battery (V2G-EV-PARAMETERS, judged by
    the fake SECC on ``then``); stopping sooner is INCONCLUSIVE (the phase was not completed)."""
    n = s.names().count(request)
    if n < 3 and then not in s.names():
        raise Inconclusive(f"the phase under test was not completed: {n} {request} and no {then} ({_ended(s)})")
    secc.check_outcome(n >= 3, "V2G-EV-PARAMETERS", f"the EV went on to {then} after {n} {request}: the fake "
                       f"EVSE's voltage, rising in steps, cannot have matched its battery yet")


def started_and_stopped(secc: Any, s: Any) -> None:
    """One PowerDeliveryReq starts the charge loop and one stops it (V2G-SEQUENCE, judged on the way by the fake
    SECC); INCONCLUSIVE when the EV never reached PowerDelivery."""
    n = s.names().count("PowerDeliveryReq")
    reached(s, "PowerDeliveryReq")
    secc.check_outcome(n == 2, "V2G-SEQUENCE", f"the EV sent {n} PowerDeliveryReq; one to start the charge loop and "
                       f"one to stop it were due")


def acted_on_notice(secc: Any, s: Any, ok: bool, what: str) -> None:
    """The EV acted on the fake EVSE's notification (V2G-EVSE-NOTIFICATION, which the fake SECC times on the way)."""
    secc.check_outcome(ok, "V2G-EVSE-NOTIFICATION", f"{what}; requests {s.names()}")


def in_order(fake: Any, s: Any, *names: str) -> None:
    """``names`` came in this order (V2G-SEQUENCE, judged by the fake on the way); INCONCLUSIVE when one of them
    never came (the device ended the session before that phase)."""
    seen = s.names()
    missing = [n for n in names if n not in seen]
    if missing:
        raise Inconclusive(f"the phase under test was not reached: no {', '.join(missing)} ({_ended(s)})")
    idx = [seen.index(n) for n in names]
    fake.check_outcome(idx == sorted(idx), "V2G-SEQUENCE", f"{', '.join(names)} were due in this order; the "
                       f"session had {seen}")


def require_reached(fake: Any, s: Any = None) -> None:
    """INCONCLUSIVE unless every action the test scripted was applied: a provocation that never happened proves
    nothing about the reaction to it (the session ended before the phase under test)."""
    missing = [a for a in fake.script.actions if a.used == 0]
    if not missing:
        return
    side = "sent" if hasattr(fake, "charge") else "received"
    what = "; ".join(f"{a.match}{f' #{a.nth}' if a.nth else ''} was never {side}" for a in missing)
    if s is None:
        s = _last_session(fake)
    raise Inconclusive(f"the phase under test was not reached: {what}" + (f" ({_ended(s)})" if s is not None else ""))


def _last_session(fake: Any) -> Any:
    role = getattr(fake, "server", None) or getattr(fake, "client", None)
    sessions = getattr(role, "sessions", None) or []
    return sessions[-1] if sessions else None


def _hex(b: Any) -> str:
    return b.hex() if isinstance(b, bytes) else str(b)


def _ended(s: Any) -> str:
    names = s.names() if hasattr(s, "names") else []
    return f"the session ended: {s.end_reason or 'no reason recorded'}; last requests {names[-4:]}"


def _waited(secc: Any, s: Any, since: Any, timer: str, what: str, request: str | None = None) -> None:
    """INCONCLUSIVE when the EV gave up sooner after ``since`` than the timer under test allows (less its
    tolerance): it did not wait, so the case cannot show that it stops when the timeout has run."""
    if since is None or s.family is None:
        return
    from . import family as fam
    timers = secc.server.timers
    if timer == "ongoing":
        base = fam.base(request or "")
        limit = secc.server._ongoing_limit(s.family, base)
        tol = secc.server._ongoing_tolerance(s.family, base, limit)
    else:
        base = fam.base(since.name or "")
        limit = timers.value(s.family, timer, base)
        tol = timers.tolerance(s.family, timer, base, limit=limit)
    later = [f for f in s.requests if f.t_ns > since.t_ns and f.name != since.name]
    end_ns = later[0].t_ns if later else (s.closed_ns or 0)
    if not end_ns:
        return
    gave_up = (end_ns - since.t_ns) / 1e9
    if gave_up < limit - tol:
        raise Inconclusive(f"the EV stopped {gave_up:.2f} s after {what}, before the {limit:g} s timeout this case "
                           f"is about (tolerance {tol:g} s): it did not wait, so its timeout is not shown")


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
