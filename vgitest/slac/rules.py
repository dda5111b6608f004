"""Rule ids of the SLAC (ISO 15118-3 matching) checks. References name sections and parameters only.

Every rule judges the one version SLAC frames carry (:data:`VERSION`, the ISO 15118-3 matching process, which DIN
SPEC 70121 and ISO 15118-2 / -20 sessions share)."""

from __future__ import annotations

from ..findings import RULES

P = "slac"
VERSION = "15118-3"  # the version of every SLAC frame in a trace (fake.VERSION)
V = (VERSION,)
MSG = "ISO 15118-3 SLAC message definitions (HomePlug GreenPHY MMEs)"
SEQ = "ISO 15118-3 matching process sequence (SLAC)"
TIMERS = "ISO 15118-3 SLAC timers and constants"

RULES.add("SLAC-FRAME-DECODE", "fail", "Every 0x88E1 frame decodes as a SLAC MME (MMV, known MMTYPE, full length)",
          MSG, protocol=P, versions=V)
RULES.add("SLAC-FRAME-FIELD", "fail", "MME fields hold allowed values (MVFLength, NumGroups, application and "
          "security type, key type)", MSG, protocol=P, versions=V)
RULES.add("SLAC-FRAME-PADDING", "warn", "Frames are padded to the 60-byte Ethernet minimum", MSG, protocol=P,
          versions=V)
RULES.add("SLAC-NO-PARM-REQ", "fail", "The EV starts matching with CM_SLAC_PARM.REQ", SEQ, protocol=P, versions=V)
RULES.add("SLAC-SEQUENCE", "fail", "Each message comes at a point of the matching sequence that allows it", SEQ,
          protocol=P, versions=V)
RULES.add("SLAC-RUN-ID", "fail", "Every message of a matching session carries the RunID of the EV's "
          "CM_SLAC_PARM.REQ", SEQ, protocol=P, versions=V)
RULES.add("SLAC-RESPONSE-MISSING", "fail", "CM_SLAC_PARM.REQ, CM_ATTEN_CHAR.IND and CM_SLAC_MATCH.REQ are "
          "answered", SEQ, protocol=P, versions=V)
RULES.add("SLAC-RESPONSE-TIME", "fail", "Answers come within TT_match_response", f"{TIMERS} (TT_match_response)",
          protocol=P, versions=V)
RULES.add("SLAC-SEQUENCE-TIMEOUT", "fail", "The EV sends its next message of the sequence within TT_match_sequence",
          f"{TIMERS} (TT_match_sequence)", protocol=P, versions=V)
RULES.add("SLAC-ATTEN-CHAR-MISSING", "fail", "The EVSE sends CM_ATTEN_CHAR.IND after the EV's sounding", SEQ,
          protocol=P, versions=V)
RULES.add("SLAC-ATTEN-CHAR-TIME", "fail", "CM_ATTEN_CHAR.IND arrives within TT_EV_atten_results of the first "
          "CM_START_ATTEN_CHAR.IND", f"{TIMERS} (TT_EV_atten_results)", protocol=P, versions=V)
RULES.add("SLAC-ATTEN-CHAR-SOUNDS", "warn", "CM_ATTEN_CHAR.IND counts no more sounds than the EV sent", SEQ,
          protocol=P, versions=V)
RULES.add("SLAC-SOUND-COUNT", "fail", "The EV sends as many CM_MNBC_SOUND.IND as CM_SLAC_PARM.CNF asked for "
          "(C_EV_match_MNBC)", f"{TIMERS} (C_EV_match_MNBC)", protocol=P, versions=V)
RULES.add("SLAC-SOUND-COUNTER", "warn", "The Cnt field of CM_MNBC_SOUND.IND counts down to 0", MSG, protocol=P,
          versions=V)
RULES.add("SLAC-START-ATTEN-COUNT", "warn", "The EV sends CM_START_ATTEN_CHAR.IND C_EV_start_atten_char_inds "
          "times", f"{TIMERS} (C_EV_start_atten_char_inds)", protocol=P, versions=V)
RULES.add("SLAC-BATCH-INTERVAL", "warn", "Sounding messages are spaced within TP_EV_batch_msg_interval",
          f"{TIMERS} (TP_EV_batch_msg_interval)", protocol=P, versions=V)
RULES.add("SLAC-PARM-RETRY", "warn", "CM_SLAC_PARM.REQ is repeated at most C_EV_match_retry times, each after "
          "TT_match_response", f"{TIMERS} (C_EV_match_retry, TT_match_response)", protocol=P, versions=V)
RULES.add("SLAC-MATCH-CONTENT", "fail", "CM_SLAC_MATCH.REQ/CNF name the EV and EVSE MAC addresses of the session",
          SEQ, protocol=P, versions=V)
RULES.add("SLAC-SET-KEY", "fail", "The EVSE's modem holds the NID/NMK that CM_SLAC_MATCH.CNF hands out "
          "(CM_SET_KEY.REQ)", SEQ, protocol=P, versions=V)
RULES.add("SLAC-ADDRESSING", "fail", "Each message goes to the address the sequence calls for: CM_SLAC_PARM.REQ "
          "broadcast, the EVSE's answers to the EV's MAC with the EV as forwarding station, CM_SLAC_MATCH.REQ "
          "unicast to the EVSE", SEQ, protocol=P, versions=V)
RULES.add("SLAC-RETRY", "fail", "An unanswered CM_SLAC_MATCH.REQ (EV) or CM_ATTEN_CHAR.IND (EVSE) is sent again, "
          "no sooner than TT_match_response after the first", f"{TIMERS} (TT_match_response, C_EV_match_retry)",
          protocol=P, versions=V)

# suites/slac_fuzz (issue 15): frames broken in one place, and the device's matching afterwards
RULES.add("SLAC-FUZZ-IGNORE", "fail", "A SLAC frame broken in one place (cut short, an MMV or MMTYPE SLAC does not "
          "use, a wrong MVFLength, an application or security type the message definition does not allow, a value "
          "out of its range, another session's RunID) gets no answer and moves the matching on no step",
          f"{MSG} (MMV, MMTYPE, MVFLength, application type, security type, NumSounds, Time_Out, NumGroups); "
          f"{SEQ} (RunID of the session)", protocol=P, versions=V)
RULES.add("SLAC-FUZZ-ALIVE", "fail", "After a broken SLAC frame, the device still completes the matching it is "
          "in", SEQ, protocol=P, versions=V)

ALL_RULE_IDS = tuple(r.id for r in RULES.for_protocol(P))
