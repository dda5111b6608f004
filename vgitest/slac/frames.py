"""HomePlug AV / GreenPHY management messages (MMEs) used by ISO 15118-3 SLAC: encode and decode.

Plain dataclasses over :mod:`struct` (no scapy): the codec must be total, so that a peer's garbage becomes
one :class:`SlacFrameError` (a finding) and never a crash of the harness. Layout facts (field order and
sizes, MMTYPE values, MMV 0x01 with the two fragmentation bytes, little-endian MMTYPE, 60-byte minimum)
follow the HomePlug GreenPHY MME tables that ISO 15118-3 uses; nothing here is copied from other code.

Multi-byte integers in MME bodies are little-endian, like the MMTYPE; byte strings (RunID, NID, NMK, MAC
addresses, station ids) are kept as ``bytes`` in wire order.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from typing import Any, ClassVar

ETHERTYPE = 0x88E1
MMV_AV11 = 0x01
ETH_HEADER_LEN = 14
MME_HEADER_LEN = 5  # MMV, MMTYPE (2), FMI, FMSN
MIN_FRAME_LEN = 60  # Ethernet minimum without FCS
BROADCAST = b"\xff" * 6

RUN_ID_LEN = 8
NID_LEN = 7
NMK_LEN = 16
STATION_ID_LEN = 17
AAG_GROUPS = 58
MATCH_REQ_MVF_LENGTH = 0x3E
MATCH_CNF_MVF_LENGTH = 0x56


class SlacFrameError(ValueError):
    """The only exception :func:`decode` raises: the bytes are not a SLAC MME we understand."""


class MMType(enum.IntEnum):
    """MMTYPE values (base + 0 REQ, +1 CNF, +2 IND, +3 RSP)."""

    CM_SET_KEY_REQ = 0x6008
    CM_SET_KEY_CNF = 0x6009
    CM_SLAC_PARM_REQ = 0x6064
    CM_SLAC_PARM_CNF = 0x6065
    CM_START_ATTEN_CHAR_IND = 0x606A
    CM_ATTEN_CHAR_IND = 0x606E
    CM_ATTEN_CHAR_RSP = 0x606F
    CM_MNBC_SOUND_IND = 0x6076
    CM_VALIDATE_REQ = 0x6078
    CM_VALIDATE_CNF = 0x6079
    CM_SLAC_MATCH_REQ = 0x607C
    CM_SLAC_MATCH_CNF = 0x607D


@dataclasses.dataclass(frozen=True)
class Mme:
    """Base of all message bodies. ``LAYOUT`` lists (field, struct code); ``Ns`` fields are exact-size bytes."""

    MMTYPE: ClassVar[MMType]
    LAYOUT: ClassVar[tuple[tuple[str, str], ...]]

    @classmethod
    def fmt(cls) -> struct.Struct:
        return struct.Struct("<" + "".join(code for _, code in cls.LAYOUT))

    @classmethod
    def size(cls) -> int:
        return cls.fmt().size

    @property
    def name(self) -> str:
        return self.MMTYPE.name

    def pack(self) -> bytes:
        values = []
        for fname, code in self.LAYOUT:
            v = getattr(self, fname)
            if code.endswith("s"):
                if not isinstance(v, (bytes, bytearray)) or len(v) != int(code[:-1]):
                    raise ValueError(f"{self.name}.{fname} must be {code[:-1]} bytes, got {v!r}")
                v = bytes(v)
            values.append(v)
        try:
            return self.fmt().pack(*values)
        except struct.error as exc:
            raise ValueError(f"{self.name}: {exc}") from None

    @classmethod
    def unpack(cls, body: bytes) -> Mme:
        f = cls.fmt()
        if len(body) < f.size:
            raise SlacFrameError(f"{cls.MMTYPE.name}: body has {len(body)} bytes, needs {f.size}")
        values = f.unpack_from(body)
        return cls(**{name: v for (name, _), v in zip(cls.LAYOUT, values)})

    def problems(self) -> list[str]:
        """Field values the tables do not allow (the frame still decodes; checks report these)."""
        out = []
        app = getattr(self, "application_type", 0)
        sec = getattr(self, "security_type", 0)
        if app != 0:
            out.append(f"application type {app:#04x} (only 0x00, PEV-EVSE association, is defined)")
        if sec not in (0, 1):
            out.append(f"security type {sec:#04x} is reserved")
        return out


# Field-size shorthands for the layouts.
_RUN = f"{RUN_ID_LEN}s"
_MAC = "6s"
_SID = f"{STATION_ID_LEN}s"


@dataclasses.dataclass(frozen=True)
class SlacParmReq(Mme):
    """EV → broadcast: start of matching, announces the EV's RunID."""

    MMTYPE = MMType.CM_SLAC_PARM_REQ
    LAYOUT = (("application_type", "B"), ("security_type", "B"), ("run_id", _RUN))
    run_id: bytes
    application_type: int = 0
    security_type: int = 0


@dataclasses.dataclass(frozen=True)
class SlacParmCnf(Mme):
    """EVSE → EV: sounding parameters (how many sounds, the sounding window in 100 ms units)."""

    MMTYPE = MMType.CM_SLAC_PARM_CNF
    LAYOUT = (("msound_target", _MAC), ("num_sounds", "B"), ("time_out", "B"), ("resp_type", "B"),
              ("forwarding_sta", _MAC), ("application_type", "B"), ("security_type", "B"), ("run_id", _RUN))
    run_id: bytes
    forwarding_sta: bytes
    num_sounds: int = 10
    time_out: int = 6
    resp_type: int = 1
    msound_target: bytes = BROADCAST
    application_type: int = 0
    security_type: int = 0

    def problems(self) -> list[str]:
        out = super().problems()
        if self.num_sounds == 0:
            out.append("NumSounds is 0")
        if self.time_out == 0:
            out.append("Time_Out is 0")
        return out


@dataclasses.dataclass(frozen=True)
class StartAttenCharInd(Mme):
    """EV → broadcast: sounding is about to start (sent C_EV_start_atten_char_inds times)."""

    MMTYPE = MMType.CM_START_ATTEN_CHAR_IND
    LAYOUT = (("application_type", "B"), ("security_type", "B"), ("num_sounds", "B"), ("time_out", "B"),
              ("resp_type", "B"), ("forwarding_sta", _MAC), ("run_id", _RUN))
    run_id: bytes
    forwarding_sta: bytes
    num_sounds: int = 10
    time_out: int = 6
    resp_type: int = 1
    application_type: int = 0
    security_type: int = 0


@dataclasses.dataclass(frozen=True)
class MnbcSoundInd(Mme):
    """EV → broadcast: one M-sound; ``count`` is the number of sounds still to come."""

    MMTYPE = MMType.CM_MNBC_SOUND_IND
    LAYOUT = (("application_type", "B"), ("security_type", "B"), ("sender_id", _SID), ("count", "B"),
              ("run_id", _RUN), ("reserved", "8s"), ("rnd", "16s"))
    run_id: bytes
    count: int
    sender_id: bytes = bytes(STATION_ID_LEN)
    reserved: bytes = bytes(8)
    rnd: bytes = bytes(16)
    application_type: int = 0
    security_type: int = 0


@dataclasses.dataclass(frozen=True)
class AttenCharInd(Mme):
    """EVSE → EV: the averaged attenuation profile of the sounds it received (58 groups, dB)."""

    MMTYPE = MMType.CM_ATTEN_CHAR_IND
    LAYOUT = (("application_type", "B"), ("security_type", "B"), ("source_address", _MAC), ("run_id", _RUN),
              ("source_id", _SID), ("resp_id", _SID), ("num_sounds", "B"), ("num_groups", "B"),
              ("aag", f"{AAG_GROUPS}s"))
    run_id: bytes
    source_address: bytes
    num_sounds: int
    aag: bytes
    num_groups: int = AAG_GROUPS
    source_id: bytes = bytes(STATION_ID_LEN)
    resp_id: bytes = bytes(STATION_ID_LEN)
    application_type: int = 0
    security_type: int = 0

    def problems(self) -> list[str]:
        out = super().problems()
        if self.num_groups != AAG_GROUPS:
            out.append(f"NumGroups {self.num_groups} (must be {AAG_GROUPS})")
        return out

    @property
    def average_db(self) -> float:
        return sum(self.aag) / len(self.aag)


@dataclasses.dataclass(frozen=True)
class AttenCharRsp(Mme):
    """EV → EVSE: acknowledges the attenuation profile."""

    MMTYPE = MMType.CM_ATTEN_CHAR_RSP
    LAYOUT = (("application_type", "B"), ("security_type", "B"), ("source_address", _MAC), ("run_id", _RUN),
              ("source_id", _SID), ("resp_id", _SID), ("result", "B"))
    run_id: bytes
    source_address: bytes
    result: int = 0
    source_id: bytes = bytes(STATION_ID_LEN)
    resp_id: bytes = bytes(STATION_ID_LEN)
    application_type: int = 0
    security_type: int = 0


_MATCH_COMMON = (("application_type", "B"), ("security_type", "B"), ("mvf_length", "H"), ("pev_id", _SID),
                 ("pev_mac", _MAC), ("evse_id", _SID), ("evse_mac", _MAC), ("run_id", _RUN), ("reserved", "8s"))


@dataclasses.dataclass(frozen=True)
class SlacMatchReq(Mme):
    """EV → chosen EVSE (unicast): asks to join its logical network."""

    MMTYPE = MMType.CM_SLAC_MATCH_REQ
    LAYOUT = _MATCH_COMMON
    run_id: bytes
    pev_mac: bytes
    evse_mac: bytes
    mvf_length: int = MATCH_REQ_MVF_LENGTH
    pev_id: bytes = bytes(STATION_ID_LEN)
    evse_id: bytes = bytes(STATION_ID_LEN)
    reserved: bytes = bytes(8)
    application_type: int = 0
    security_type: int = 0

    def problems(self) -> list[str]:
        out = super().problems()
        if self.mvf_length != MATCH_REQ_MVF_LENGTH:
            out.append(f"MVFLength {self.mvf_length:#06x} (must be {MATCH_REQ_MVF_LENGTH:#06x})")
        return out


@dataclasses.dataclass(frozen=True)
class SlacMatchCnf(Mme):
    """EVSE → EV: the network identity (NID) and key (NMK) the EV's modem must join."""

    MMTYPE = MMType.CM_SLAC_MATCH_CNF
    LAYOUT = _MATCH_COMMON + (("nid", f"{NID_LEN}s"), ("reserved2", "B"), ("nmk", f"{NMK_LEN}s"))
    run_id: bytes
    pev_mac: bytes
    evse_mac: bytes
    nid: bytes
    nmk: bytes
    mvf_length: int = MATCH_CNF_MVF_LENGTH
    pev_id: bytes = bytes(STATION_ID_LEN)
    evse_id: bytes = bytes(STATION_ID_LEN)
    reserved: bytes = bytes(8)
    reserved2: int = 0
    application_type: int = 0
    security_type: int = 0

    def problems(self) -> list[str]:
        out = super().problems()
        if self.mvf_length != MATCH_CNF_MVF_LENGTH:
            out.append(f"MVFLength {self.mvf_length:#06x} (must be {MATCH_CNF_MVF_LENGTH:#06x})")
        return out


@dataclasses.dataclass(frozen=True)
class SetKeyReq(Mme):
    """Host → its own modem: install the NMK/NID of the matched network."""

    MMTYPE = MMType.CM_SET_KEY_REQ
    LAYOUT = (("key_type", "B"), ("my_nonce", "I"), ("your_nonce", "I"), ("pid", "B"), ("prn", "H"),
              ("pmn", "B"), ("cco_capability", "B"), ("nid", f"{NID_LEN}s"), ("new_eks", "B"),
              ("new_key", f"{NMK_LEN}s"))
    nid: bytes
    new_key: bytes
    key_type: int = 0x01  # NMK
    my_nonce: int = 0
    your_nonce: int = 0
    pid: int = 0x04  # HLE protocol
    prn: int = 0
    pmn: int = 0
    cco_capability: int = 0
    new_eks: int = 0x01

    def problems(self) -> list[str]:
        return [] if self.key_type == 0x01 else [f"key type {self.key_type:#04x} (an NMK is type 0x01)"]


@dataclasses.dataclass(frozen=True)
class SetKeyCnf(Mme):
    """Modem → host: result of CM_SET_KEY.REQ (0 = success)."""

    MMTYPE = MMType.CM_SET_KEY_CNF
    LAYOUT = (("result", "B"), ("my_nonce", "I"), ("your_nonce", "I"), ("pid", "B"), ("prn", "H"), ("pmn", "B"),
              ("cco_capability", "B"))
    result: int = 0
    my_nonce: int = 0
    your_nonce: int = 0
    pid: int = 0x04
    prn: int = 0
    pmn: int = 0
    cco_capability: int = 0

    def problems(self) -> list[str]:
        return []


@dataclasses.dataclass(frozen=True)
class ValidateReq(Mme):
    """Optional validation step (CP toggling); decoded for completeness, not used by the roles."""

    MMTYPE = MMType.CM_VALIDATE_REQ
    LAYOUT = (("signal_type", "B"), ("timer", "B"), ("result", "B"))
    signal_type: int = 0
    timer: int = 0
    result: int = 0

    def problems(self) -> list[str]:
        return []


@dataclasses.dataclass(frozen=True)
class ValidateCnf(Mme):
    MMTYPE = MMType.CM_VALIDATE_CNF
    LAYOUT = (("signal_type", "B"), ("toggle_num", "B"), ("result", "B"))
    signal_type: int = 0
    toggle_num: int = 0
    result: int = 0

    def problems(self) -> list[str]:
        return []


MESSAGES: dict[int, type[Mme]] = {cls.MMTYPE: cls for cls in (
    SlacParmReq, SlacParmCnf, StartAttenCharInd, MnbcSoundInd, AttenCharInd, AttenCharRsp, SlacMatchReq,
    SlacMatchCnf, SetKeyReq, SetKeyCnf, ValidateReq, ValidateCnf)}


@dataclasses.dataclass(frozen=True)
class Frame:
    """One Ethernet frame carrying one MME (no fragmentation: every SLAC MME fits one frame)."""

    dst: bytes
    src: bytes
    mme: Mme
    fmi: int = 0
    fmsn: int = 0

    @property
    def mmtype(self) -> MMType:
        return self.mme.MMTYPE

    def encode(self) -> bytes:
        return encode(self)

    def summary(self) -> dict[str, Any]:
        return {"mmtype": self.mmtype.name, "dst": self.dst.hex(":"), "src": self.src.hex(":"),
                "run_id": getattr(self.mme, "run_id", b"").hex() or None}


def encode(frame: Frame) -> bytes:
    """Ethernet header + MME header + body, zero-padded to the 60-byte minimum."""
    for label, mac in (("dst", frame.dst), ("src", frame.src)):
        if len(mac) != 6:
            raise ValueError(f"{label} MAC must be 6 bytes")
    # The EtherType is big-endian (network order) but the MMTYPE little-endian.
    head = frame.dst + frame.src + struct.pack("!H", ETHERTYPE) + struct.pack(
        "<BHBB", MMV_AV11, frame.mmtype, frame.fmi, frame.fmsn)
    raw = head + frame.mme.pack()
    return raw + bytes(max(0, MIN_FRAME_LEN - len(raw)))


def decode(data: bytes, *, strict: bool = False) -> Frame:
    """Parse one frame. Trailing bytes are padding. ``strict`` also rejects disallowed field values."""
    try:
        data = bytes(data)
    except Exception as exc:  # noqa: BLE001 - anything not bytes-like is bad input too
        raise SlacFrameError(f"not bytes: {exc}") from None
    if len(data) < ETH_HEADER_LEN + MME_HEADER_LEN:
        raise SlacFrameError(f"truncated: {len(data)} bytes, a SLAC MME header needs "
                             f"{ETH_HEADER_LEN + MME_HEADER_LEN}")
    (ethertype,) = struct.unpack_from("!H", data, 12)
    if ethertype != ETHERTYPE:
        raise SlacFrameError(f"EtherType {ethertype:#06x} is not HomePlug AV ({ETHERTYPE:#06x})")
    mmv = data[14]
    if mmv != MMV_AV11:
        raise SlacFrameError(f"MMV {mmv:#04x} (SLAC uses {MMV_AV11:#04x}, with FMI/FMSN)")
    (mmtype,) = struct.unpack_from("<H", data, 15)
    cls = MESSAGES.get(mmtype)
    if cls is None:
        raise SlacFrameError(f"unknown MMTYPE {mmtype:#06x}")
    fmi, fmsn = data[17], data[18]
    if fmi != 0:
        raise SlacFrameError(f"fragmented MME (FMI {fmi:#04x}); SLAC messages are never fragmented")
    mme = cls.unpack(data[ETH_HEADER_LEN + MME_HEADER_LEN:])
    if strict and (p := mme.problems()):
        raise SlacFrameError(f"{cls.MMTYPE.name}: " + "; ".join(p))
    return Frame(data[0:6], data[6:12], mme, fmi, fmsn)
