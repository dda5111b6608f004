"""Rule ids of the IEC 61850 GOOSE and Sampled Values stream checks (:mod:`vgitest.iec61850.streams`).

References name standard parts, and a clause only where we checked it against a published table of contents
(8-1 clause 18); the IEC 61850-7-2 and 9-2 references name the model instead. Every rule judges Edition 2 frames
(:data:`VERSION`): the simulation field and the 129-character names are Ed2's. Timing tolerance: a message is late
only when the gap since the previous one exceeds that one's timeAllowedtoLive by more than
``streams.TAL_TOLERANCE_MS`` (2 ms by default, the slack of receive timestamps on a loaded harness); a message
exactly at the limit is not late.
"""

from __future__ import annotations

from ..findings import RULES

P = "iec61850"
VERSION = "ed2"
V = (VERSION,)
GOOSE_PDU = "IEC 61850-8-1 clause 18 (GOOSE mapping, goosePdu)"
GOOSE_SVC = "IEC 61850-7-2, GSE class model (StNum, SqNum, TimeAllowedtoLive)"
SV_PDU = "IEC 61850-9-2, SV mapping to ISO/IEC 8802-3 (savPdu)"
SV_SVC = "IEC 61850-7-2, SV class model (SmpCnt, MsvID)"

RULES.add("GOOSE-FRAME-DECODE", "fail", "Every 0x88B8 frame decodes as a well-formed GOOSE frame (header Length, "
          "goosePdu components, their types and sizes)", GOOSE_PDU, protocol=P, versions=V)
RULES.add("GOOSE-ENTRIES", "fail", "numDatSetEntries equals the number of allData values", GOOSE_PDU, protocol=P,
          versions=V)
RULES.add("GOOSE-STNUM", "fail", "stNum grows by one at each state change (wrapping to 1) and never goes back",
          GOOSE_SVC, protocol=P, versions=V)
RULES.add("GOOSE-SQNUM", "fail", "sqNum is 0 in the first message of a state and grows by one in each "
          "retransmission (wrapping to 1)", GOOSE_SVC, protocol=P, versions=V)
RULES.add("GOOSE-DATA-CHANGE", "fail", "allData changes only together with a new stNum", GOOSE_SVC, protocol=P,
          versions=V)
RULES.add("GOOSE-T", "fail", "t (the time of the last state change) stays the same in every retransmission of a "
          "state", GOOSE_SVC, protocol=P, versions=V)
RULES.add("GOOSE-SIMULATION", "fail", "The simulation bit of Reserved 1 and the goosePdu's simulation field agree",
          GOOSE_PDU, protocol=P, versions=V)
RULES.add("GOOSE-TAL-EXPIRED", "fail", "Each message arrives within the timeAllowedtoLive of the previous one "
          "(and the stream does not stop while the last one is still live)", GOOSE_SVC, protocol=P, versions=V)
RULES.add("GOOSE-RETRANSMISSION", "warn", "After a state change the message is repeated at non-shrinking "
          "intervals (the retransmission curve)", GOOSE_SVC, protocol=P, versions=V)
RULES.add("SV-FRAME-DECODE", "fail", "Every 0x88BA frame decodes as a well-formed SV frame (header Length, savPdu, "
          "ASDU components and their fixed sizes)", SV_PDU, protocol=P, versions=V)
RULES.add("SV-NOASDU", "fail", "noASDU equals the number of ASDUs in seqASDU", SV_PDU, protocol=P, versions=V)
RULES.add("SV-SMPCNT", "fail", "smpCnt grows by one per sample and wraps to 0 only at the wrap value (no gaps, "
          "no repeats)", SV_SVC, protocol=P, versions=V)
RULES.add("SV-SVID", "fail", "One stream (source MAC and APPID) keeps its svID, and it is the configured one",
          SV_SVC, protocol=P, versions=V)

ALL_RULE_IDS = tuple(r.id for r in RULES.for_protocol(P) if r.id.startswith(("GOOSE-", "SV-")))  # the stream rules
