"""Sampled Values (IEC 61850-9-2, EtherType 0x88BA): the savPdu, its ASDUs and the Ethernet frame, encode and a
total decode (one :class:`~vgitest.iec61850.ether.FrameError` with a frame offset, never another exception).

The ASDU counters are fixed-size OCTET STRINGs, not BER INTEGERs: smpCnt 2 octets, confRev 4, smpSynch 1, smpRate
2, smpMod 2 (and gmIdentity 8, Ed2.1); the decoder insists on those sizes. ``seq_data`` is the data set's values
as the publisher packs them (for 9-2LE: INT32 value and quality pairs); this module carries it as octets.
``no_asdu`` is kept as sent, so a fault can make it disagree with the ASDUs that follow.

Sizes: :meth:`SvFrame.frame_size` (socket octets, padding included, FCS not) and :meth:`SvFrame.apdu_size`
(APPID to the end of the savPdu); see :mod:`vgitest.iec61850.goose` for which one FLOW D3.1 Table 5 means.
"""

from __future__ import annotations

import dataclasses
import struct

from . import ber, seqfields
from .data import UtcTime
from .ether import ETHERTYPE_SV, FrameError, Framed, Header, VlanTag, one_apdu, split
from .seqfields import Field

TAG = ber.app(0)  # savPdu ::= [APPLICATION 0] IMPLICIT SEQUENCE
MULTICAST_PREFIX = bytes.fromhex("010ccd04")  # SV destination range 01-0C-CD-04-00-00 .. 01-0C-CD-04-01-FF
PDU_SPEC = (Field(0, "noASDU"), Field(1, "security", False, None), Field(2, "seqASDU", True, True))
ASDU_SPEC = (Field(0, "svID"), Field(1, "datSet", False), Field(2, "smpCnt"), Field(3, "confRev"),
             Field(4, "refrTm", False), Field(5, "smpSynch"), Field(6, "smpRate", False), Field(7, "seqData"),
             Field(8, "smpMod", False), Field(9, "gmIdentity", False))
ASDU_TAG = ber.univ(ber.SEQUENCE, True)


@dataclasses.dataclass(frozen=True)
class Asdu:
    """One set of samples (smpSynch: 0 none, 1 local clock, 2 global clock; smpMod: 0 per period, 1 per
    second, 2 seconds per sample)."""

    sv_id: str
    smp_cnt: int
    conf_rev: int
    smp_synch: int
    seq_data: bytes
    dat_set: str | None = None
    refr_tm: UtcTime | None = None
    smp_rate: int | None = None
    smp_mod: int | None = None
    gm_identity: bytes | None = None

    def tlv(self) -> ber.Tlv:
        p = seqfields.prim
        parts = [p(0, self.sv_id.encode("ascii"))]
        if self.dat_set is not None:
            parts.append(p(1, self.dat_set.encode("ascii")))
        parts += [p(2, self.smp_cnt.to_bytes(2, "big")), p(3, self.conf_rev.to_bytes(4, "big"))]
        if self.refr_tm is not None:
            parts.append(p(4, self.refr_tm.encode()))
        parts.append(p(5, self.smp_synch.to_bytes(1, "big")))
        if self.smp_rate is not None:
            parts.append(p(6, self.smp_rate.to_bytes(2, "big")))
        parts.append(p(7, self.seq_data))
        if self.smp_mod is not None:
            parts.append(p(8, self.smp_mod.to_bytes(2, "big")))
        if self.gm_identity is not None:
            parts.append(p(9, self.gm_identity))
        return ber.cons(ASDU_TAG, *parts)

    @classmethod
    def from_tlv(cls, t: ber.Tlv) -> Asdu:
        if t.tag != ASDU_TAG:
            raise FrameError(f"ASDU tag {t.tag} where a SEQUENCE was expected", t.offset)
        f = seqfields.read(t, ASDU_SPEC, "ASDU")
        gm = f.get("gmIdentity")
        if gm is not None and len(gm.value) != 8:
            raise FrameError(f"gmIdentity of {len(gm.value)} octets (must be 8)", seqfields.content_offset(gm))
        return cls(
            sv_id=seqfields.visible(f["svID"], "svID"),
            smp_cnt=seqfields.fixed(f["smpCnt"], "smpCnt", 2),
            conf_rev=seqfields.fixed(f["confRev"], "confRev", 4),
            smp_synch=seqfields.fixed(f["smpSynch"], "smpSynch", 1),
            seq_data=f["seqData"].value,
            dat_set=seqfields.visible(f["datSet"], "datSet") if "datSet" in f else None,
            refr_tm=seqfields.utc(f["refrTm"], "refrTm") if "refrTm" in f else None,
            smp_rate=seqfields.fixed(f["smpRate"], "smpRate", 2) if "smpRate" in f else None,
            smp_mod=seqfields.fixed(f["smpMod"], "smpMod", 2) if "smpMod" in f else None,
            gm_identity=gm.value if gm is not None else None,
        )


@dataclasses.dataclass(frozen=True)
class SavPdu:
    no_asdu: int
    asdus: tuple[Asdu, ...]
    security: bytes | None = None

    @classmethod
    def of(cls, *asdus: Asdu) -> SavPdu:
        """A consistent PDU: noASDU counts the ASDUs."""
        return cls(len(asdus), tuple(asdus))

    def tlv(self) -> ber.Tlv:
        parts = [seqfields.prim(0, ber.encode_uint(self.no_asdu))]
        if self.security is not None:
            parts.append(seqfields.prim(1, self.security))
        parts.append(ber.cons(ber.ctx(2, True), *(a.tlv() for a in self.asdus)))
        return ber.cons(TAG, *parts)

    def encode(self) -> bytes:
        return self.tlv().encode()

    @classmethod
    def from_tlv(cls, root: ber.Tlv) -> SavPdu:
        f = seqfields.read(root, PDU_SPEC, "savPdu")
        no_asdu = seqfields.unsigned(f["noASDU"], "noASDU", 0xFFFF)
        asdus = tuple(Asdu.from_tlv(c) for c in f["seqASDU"].children)
        return cls(no_asdu, asdus, seqfields.any_content(f["security"]) if "security" in f else None)


@dataclasses.dataclass(frozen=True)
class SvFrame(Framed):
    pdu: SavPdu


def decode(raw: bytes) -> SvFrame:
    """An SV frame, or FrameError."""
    s = split(raw, ETHERTYPE_SV)
    return SvFrame(s.header, SavPdu.from_tlv(one_apdu(s, TAG, "savPdu")))


def frame(pdu: SavPdu, src: bytes, appid: int = 0x4000, dst: bytes = MULTICAST_PREFIX + b"\x00\x01",
          vlan: VlanTag | None = VlanTag(), simulation: bool = False) -> SvFrame:
    """A frame with the usual header around ``pdu`` (802.1Q priority-tagged; SV APPIDs start at 0x4000)."""
    return SvFrame(Header(dst, src, ETHERTYPE_SV, appid, vlan, 0x8000 if simulation else 0), pdu)


def example_soc(smp_cnt: int = 0, soc: float = 0.5, src: bytes = bytes.fromhex("020000000e02"),
                vlan: VlanTag | None = VlanTag()) -> SvFrame:
    """A small "SoC level update": one ASDU, one FLOAT32 value and its 32-bit quality."""
    asdu = Asdu("EV1SoC", smp_cnt, 1, 0, struct.pack(">fI", soc, 0))
    return frame(SavPdu.of(asdu), src, vlan=vlan)
