"""The bodies of the SLAC fuzz cases (suites/slac_fuzz): one frame of a matching broken in one place.

Each example is one matching session with the device. The first frame of a drawn type the harness's role sends
goes on the link broken in one place (:func:`breaker`), the harness watches the device for a quiet window
(TT_match_response plus a tolerance, :data:`WINDOW_MARGIN_S`), then sends the good frame and the matching goes on.

* The device must neither answer the broken frame nor take a step of the matching on it (SLAC-FUZZ-IGNORE): an
  EVSE sends no CM_SLAC_PARM.CNF / CM_SLAC_MATCH.CNF to a broken request, an EV no sounding after a broken
  CM_SLAC_PARM.CNF and no CM_ATTEN_CHAR.RSP or CM_SLAC_MATCH.REQ after a broken CM_ATTEN_CHAR.IND.
* A broken CM_SLAC_MATCH.CNF shows nothing on the link (a conformant EV may repeat its CM_SLAC_MATCH.REQ): where
  the device shows its own recording (the reference EV does), its modem must get no key (CM_SET_KEY.REQ) before the
  good CNF went out (SLAC-FUZZ-IGNORE); otherwise only liveness is judged for it.
* The matching must still complete afterwards (SLAC-FUZZ-ALIVE): the liveness probe is the rest of the same
  session, so a device that stopped on the broken frame is caught there.

What is broken (the kinds): the frame cut short, an MMV other than 0x01, an MMTYPE SLAC does not know, an
application type other than 0x00, a reserved security type, another session's RunID, a wrong MVFLength (the
length field of CM_SLAC_MATCH.REQ), a value out of its range (NumSounds or Time_Out 0 in CM_SLAC_PARM.CNF, NumGroups
other than 58 in CM_ATTEN_CHAR.IND). A CM_SLAC_PARM.REQ with another RunID is not broken (it starts a new matching),
so it is not sent. Each (message, kind) pair is one run of the property runner, so every pair is sent whatever the
profile's count.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from ..fuzzing.property import Counterexample
from .fake import Injection
from .frames import (
    AAG_GROUPS,
    ETH_HEADER_LEN,
    MESSAGES,
    MME_HEADER_LEN,
    MMV_AV11,
    Frame,
    MMType,
    SlacFrameError,
    decode,
    encode,
)

__all__ = ["EV_PAIRS", "EVSE_PAIRS", "breaker", "ev_case", "evse_case", "examples", "show"]

WINDOW_MARGIN_S = 0.1  # tolerance on TT_match_response for an answer to the broken frame (scheduling, the veth)
EV_MATCH_WAIT_S = 2.0  # how long the fake EVSE waits for CM_SLAC_MATCH.REQ (the EV's is due in TT_match_sequence)
CASE_BUDGET_SHARE = 0.6  # of the profile's time budget per case: 27 s of the pr profile's 45 s
PAIR_WEIGHT = 0.04  # of the profile's example count per (message, kind): 1 in pr, 80 in nightly, 12 in cert
COMMON = ("cut", "mmv", "mmtype", "app-type", "security-type")

# (message the harness breaks, kind): the EVSE under test (the harness is the EV)
EVSE_PAIRS = ([(MMType.CM_SLAC_PARM_REQ, k) for k in COMMON]
              + [(MMType.CM_SLAC_MATCH_REQ, k) for k in COMMON + ("run-id", "length")])
# the EV under test (the harness is the EVSE)
EV_PAIRS = ([(t, k) for t in (MMType.CM_SLAC_PARM_CNF, MMType.CM_ATTEN_CHAR_IND) for k in COMMON + ("run-id", "range")]
            + [(MMType.CM_SLAC_MATCH_CNF, k) for k in COMMON + ("run-id", "length")])

# what the device must not send in the quiet window after each broken message: its answer, or its next step
FORBIDDEN = {
    MMType.CM_SLAC_PARM_REQ: {MMType.CM_SLAC_PARM_CNF},
    MMType.CM_SLAC_MATCH_REQ: {MMType.CM_SLAC_MATCH_CNF},
    MMType.CM_SLAC_PARM_CNF: {MMType.CM_START_ATTEN_CHAR_IND, MMType.CM_MNBC_SOUND_IND},
    MMType.CM_ATTEN_CHAR_IND: {MMType.CM_ATTEN_CHAR_RSP, MMType.CM_SLAC_MATCH_REQ},
    MMType.CM_SLAC_MATCH_CNF: set(),  # nothing on the link: the EV's modem shows it (_keyed_early)
}


def examples(target: MMType, kind: str) -> st.SearchStrategy[dict]:
    """The drawn part of an example: ``value`` picks the wrong value, ``cut`` where the frame ends."""
    return st.fixed_dictionaries({"message": st.just(target.name), "kind": st.just(kind),
                                  "value": st.integers(0, 0xFFFF), "cut": st.integers(0, 255)})


def _unknown_mmtype(value: int) -> int:
    t = value & 0xFFFF
    while t in MESSAGES:
        t = (t + 1) & 0xFFFF
    return t


def breaker(example: dict) -> tuple[Callable[[Frame, bytes], bytes], Callable[[Frame], str]]:
    """The function that breaks the good frame as ``example`` says, and one that describes the break."""
    kind, value, cut = example["kind"], int(example["value"]), int(example["cut"])

    def mme_with(good: Frame, **fields: Any) -> bytes:
        return encode(dataclasses.replace(good, mme=dataclasses.replace(good.mme, **fields)))

    def full(good: Frame) -> int:
        return ETH_HEADER_LEN + MME_HEADER_LEN + good.mme.size()

    def cut_at(good: Frame) -> int:  # cut 0, the simplest example, is one byte short: the subtlest cut
        return full(good) - 1 - cut % (full(good) - ETH_HEADER_LEN)

    def range_field(good: Frame) -> tuple[str, int]:
        if good.mmtype is MMType.CM_ATTEN_CHAR_IND:
            return "num_groups", (value % 256) if value % 256 != AAG_GROUPS else AAG_GROUPS + 1
        return ("num_sounds", 0) if value % 2 == 0 else ("time_out", 0)

    def run_id(good: Frame) -> bytes:
        mask = (value | 1).to_bytes(8, "little")
        return bytes(b ^ m for b, m in zip(good.mme.run_id, mask))  # type: ignore[attr-defined]

    def mvf(good: Frame) -> int:
        return value if value != good.mme.mvf_length else (value + 1) & 0xFFFF  # type: ignore[attr-defined]

    def brk(good: Frame, raw: bytes) -> bytes:
        if kind == "cut":
            return raw[:cut_at(good)]
        if kind == "mmv":
            return raw[:14] + bytes([(MMV_AV11 + 1 + value % 255) % 256]) + raw[15:]
        if kind == "mmtype":
            return raw[:15] + struct.pack("<H", _unknown_mmtype(value)) + raw[17:]
        if kind == "app-type":
            return mme_with(good, application_type=1 + value % 255)
        if kind == "security-type":
            return mme_with(good, security_type=2 + value % 254)
        if kind == "run-id":
            return mme_with(good, run_id=run_id(good))
        if kind == "length":
            return mme_with(good, mvf_length=mvf(good))
        if kind == "range":
            name, v = range_field(good)
            return mme_with(good, **{name: v})
        raise ValueError(f"unknown kind {kind!r}")

    def what(good: Frame) -> str:
        name = good.mmtype.name
        if kind == "cut":
            return f"{name} cut to {cut_at(good)} of {full(good)} bytes"
        if kind == "mmv":
            return f"{name} with MMV {(MMV_AV11 + 1 + value % 255) % 256:#04x}"
        if kind == "mmtype":
            return f"{name} with the unknown MMTYPE {_unknown_mmtype(value):#06x}"
        if kind == "app-type":
            return f"{name} with application type {1 + value % 255:#04x}"
        if kind == "security-type":
            return f"{name} with the reserved security type {2 + value % 254:#04x}"
        if kind == "run-id":
            return f"{name} with the RunID {run_id(good).hex()} of no session"
        if kind == "length":
            return f"{name} with MVFLength {mvf(good):#06x}"
        field, v = range_field(good)
        return f"{name} with {field} {v}"

    return brk, what


def _judge(fake: Any, example: dict, match: Callable[[Injection], Any], side: str) -> None:
    target = MMType[example["message"]]
    brk, what = breaker(example)
    described: list[str] = []

    def breaking(good: Frame, raw: bytes) -> bytes:
        described.append(what(good))
        return brk(good, raw)

    inj = Injection(target, breaking, fake.timers.match_response + WINDOW_MARGIN_S)
    s = match(inj)
    if inj.raw is None:
        raise Counterexample("SLAC-FUZZ-ALIVE", f"the matching did not get as far as {target.name} "
                             f"(before any broken frame): {s.describe()}")
    sent = described[0]
    for rec in inj.window:
        try:
            f = decode(rec.raw)
        except SlacFrameError:
            continue
        if f.mmtype in FORBIDDEN[target]:
            frame = next((m.frame for m in s.messages if m.frame.raw == rec.raw and m.sender == "dut"), None)
            raise Counterexample("SLAC-FUZZ-IGNORE", f"the {side} sent {f.mmtype.name} within "
                                 f"{inj.window_s * 1000:.0f} ms of a {sent}; a broken frame gets no answer and "
                                 "moves the matching on no step", frame)
    if target is MMType.CM_SLAC_MATCH_CNF and _keyed_early(fake, inj):
        raise Counterexample("SLAC-FUZZ-IGNORE", f"the EV gave its modem a key (CM_SET_KEY.REQ, in its own "
                             f"recording) after a {sent}, before the good CM_SLAC_MATCH.CNF: it matched on the "
                             "broken one")
    if not s.matched:
        raise Counterexample("SLAC-FUZZ-ALIVE", f"after a {sent}, the matching did not complete "
                             f"({s.describe()})")


def _keyed_early(fake: Any, inj: Injection) -> bool | None:
    """Whether the EV's modem got a key (CM_SET_KEY.REQ) before the good CM_SLAC_MATCH.CNF went out; None when the
    device shows no recording of its own (a device under test on a bench: then only liveness is judged)."""
    recording = getattr(fake, "dut_recording", None)
    records = recording() if recording else None
    if not records or inj.good_ns is None:
        return None
    for rec in records:
        if rec.via != "modem" or rec.direction != "tx" or rec.t_ns >= inj.good_ns:
            continue
        try:
            if decode(rec.raw).mmtype is MMType.CM_SET_KEY_REQ:
                return True
        except SlacFrameError:
            continue
    return False


def _pairs_run(runner: Any, fake: Any, pairs: list[tuple[MMType, str]], body: Callable[[dict], None]) -> None:
    share = CASE_BUDGET_SHARE / len(pairs)
    if getattr(runner, "replay_file", None) is not None:
        pairs = pairs[:1]  # a replay sends the recorded example (its own message and kind) once, not once per pair
    for target, kind in pairs:
        runner.run(examples(target, kind), body, fake, weight=PAIR_WEIGHT, budget_share=share, show=show,
                   label=f"{target.name}/{kind}")


def evse_case(slac_ev: Any, runner: Any) -> None:
    """The EVSE under test: each request the fake EV sends broken in one place, then the matching goes on."""
    def body(example: dict) -> None:
        _judge(slac_ev, example, lambda inj: slac_ev.match(inject=inj), "EVSE")

    _pairs_run(runner, slac_ev, EVSE_PAIRS, body)


def ev_case(slac_evse: Any, runner: Any) -> None:
    """The EV under test: each confirmation or indication the fake EVSE sends broken in one place."""
    before = slac_evse.session_timeout
    slac_evse.session_timeout = min(before, EV_MATCH_WAIT_S)

    def body(example: dict) -> None:
        _judge(slac_evse, example, lambda inj: slac_evse.match(inject=inj), "EV")

    try:
        _pairs_run(runner, slac_evse, EV_PAIRS, body)
    finally:
        slac_evse.session_timeout = before


def show(example: Any) -> str:
    """An example in a few words, for the verdict message."""
    return json.dumps(example, default=repr)[:200]

