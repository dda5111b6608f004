"""Cross-check with an independent implementation: open61850 (Apache-2.0, pinned in the ``dev`` extra) decodes
our GOOSE/SV frames to the same field values, and we decode the frames it builds. Where the two disagree by
design (open61850 is lenient where vgitest is strict), a test pins the difference so a change on either side
shows up. open61850 is used through its public API only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vgitest.iec61850 import ber, data, ether, goose, strategies, sv
from vgitest.iec61850.data import Data, UtcTime
from vgitest.iec61850.ether import FrameError

o_data = pytest.importorskip("open61850.data", reason="open61850 (dev extra) not installed")
o_goose = pytest.importorskip("open61850.goose")
o_sv = pytest.importorskip("open61850.sv")

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def _micros(t: UtcTime) -> dt.datetime:
    """What open61850 makes of a UtcTime: a datetime rounded to the microsecond."""
    return EPOCH + dt.timedelta(seconds=t.seconds, microseconds=(t.fraction * 1_000_000 + (1 << 23)) >> 24)


def same(ours: Data, theirs: Any) -> bool:
    """Our Data value and open61850's IECData carry the same value."""
    k, v = ours.kind, ours.value
    match k:
        case "boolean":
            return isinstance(theirs, o_data.BoolData) and theirs.value == v
        case "integer":
            return isinstance(theirs, o_data.IntData) and theirs.value == v
        case "unsigned":
            return isinstance(theirs, o_data.UIntData) and theirs.value == v
        case "floating-point":
            return isinstance(theirs, o_data.FloatData) and struct.pack(">f", theirs.value) == struct.pack(">f", v)
        case "bit-string":
            content = data.Data("bit-string", v).encode()[2:]
            return isinstance(theirs, o_data.BitStringData) and (theirs.unused_bits, theirs.value) == (
                content[0], content[1:])
        case "octet-string":
            return isinstance(theirs, o_data.OctetStringData) and theirs.value == v
        case "visible-string":
            return isinstance(theirs, o_data.VisibleStringData) and theirs.value == v
        case "utc-time":
            return isinstance(theirs, o_data.TimestampData) and (theirs.value, theirs.quality) == (
                _micros(v), v.quality)
        case "structure":
            return isinstance(theirs, o_data.StructureData) and len(theirs.members) == len(v) and all(
                same(a, b) for a, b in zip(v, theirs.members, strict=True))
        case "array":
            return isinstance(theirs, o_data.ArrayData) and len(theirs.elements) == len(v) and all(
                same(a, b) for a, b in zip(v, theirs.elements, strict=True))
    return False


def same_header(h: ether.Header, e: Any) -> None:
    assert (e.dst_mac, e.src_mac, e.app_id, e.reserved1, e.reserved2) == (
        mac(h.dst), mac(h.src), h.appid, h.reserved1, h.reserved2)
    assert (e.vlan_id, e.vlan_priority) == ((h.vlan.vid, h.vlan.priority) if h.vlan else (None, None))


@given(strategies.goose_frames.filter(lambda f: f.pdu.security is None))
def test_open61850_reads_our_goose(f: goose.GooseFrame) -> None:
    try:
        got = o_goose.decode_goose_frame(f.encode(), strict=True)
    except OverflowError:  # its float32 bug (test_open61850_crashes_on_the_largest_float32), nothing else
        assert any(_near_max(d) for d in f.pdu.all_data)
        return
    assert got is not None
    e, p = got
    same_header(f.header, e)
    ours = f.pdu
    assert (p.gocb_ref, p.time_allowed_to_live, p.dat_set, p.go_id, p.st_num, p.sq_num, p.simulation,
            p.conf_rev, p.nds_com, p.num_dat_set_entries) == (
        ours.gocb_ref, ours.time_allowed_to_live, ours.dat_set, ours.go_id, ours.st_num, ours.sq_num,
        ours.simulation, ours.conf_rev, ours.nds_com, ours.num_dat_set_entries)
    assert (p.timestamp, p.time_quality) == (_micros(ours.t), ours.t.quality)
    assert len(p.all_data) == len(ours.all_data) and all(
        same(a, b) for a, b in zip(ours.all_data, p.all_data, strict=True))


@given(strategies.sv_frames)
def test_open61850_reads_our_sv(f: sv.SvFrame) -> None:
    got = o_sv.decode_sv_frame(f.encode())
    assert got is not None
    e, p = got
    same_header(f.header, e)
    assert p.security == f.pdu.security and len(p.asdus) == len(f.pdu.asdus)
    for a, b in zip(f.pdu.asdus, p.asdus, strict=True):
        assert (b.sv_id, b.dat_set, b.smp_cnt, b.conf_rev, b.smp_synch, b.sample, b.smp_rate, b.smp_mod,
                b.gm_identity) == (a.sv_id, a.dat_set, a.smp_cnt, a.conf_rev, a.smp_synch, a.seq_data, a.smp_rate,
                                   a.smp_mod, a.gm_identity)
        assert b.refr_tm == (None if a.refr_tm is None else _micros(a.refr_tm))


# open61850's values for the kinds both sides know, and what ours must decode them to.
THEIRS = st.recursive(
    st.one_of(st.booleans().map(lambda v: (o_data.BoolData(v), data.boolean(v))),
              st.integers(-(1 << 63), (1 << 63) - 1).map(lambda v: (o_data.IntData(v), data.integer(v))),
              st.integers(0, (1 << 32) - 1).map(lambda v: (o_data.UIntData(v), data.unsigned(v))),
              st.floats(width=32, allow_nan=False).map(lambda v: (o_data.FloatData(v), data.float32(v))),
              st.binary(max_size=8).map(lambda v: (o_data.OctetStringData(v), Data("octet-string", v))),
              st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16).map(
                  lambda v: (o_data.VisibleStringData(v), data.visible(v)))),
    lambda inner: st.lists(inner, max_size=3).map(lambda m: (o_data.StructureData([a for a, _ in m]),
                                                             data.structure(*(b for _, b in m)))),
    max_leaves=8)


@given(st.lists(THEIRS, max_size=5), st.integers(0, (1 << 32) - 1), st.integers(0, (1 << 32) - 1),
       st.booleans(), st.none() | st.integers(0, 0xFFF), st.datetimes(
           dt.datetime(1970, 1, 1), dt.datetime(2100, 1, 1)).map(lambda d: d.replace(tzinfo=dt.UTC)))
def test_we_read_open61850_goose(values: list[tuple[Any, Data]], st_num: int, sq_num: int, sim: bool,
                                 vid: int | None, when: dt.datetime) -> None:
    pdu = o_goose.GoosePDU(gocb_ref="IED1/LLN0$GO$gcb", time_allowed_to_live=2000, dat_set="IED1/LLN0$ds",
                           go_id=None, timestamp=when, st_num=st_num, sq_num=sq_num, simulation=sim, conf_rev=7,
                           nds_com=False, num_dat_set_entries=len(values), all_data=[a for a, _ in values],
                           time_quality=0x0A)
    raw = o_goose.encode_goose_frame(pdu, dst_mac="01:0c:cd:01:00:10", src_mac="02:00:00:00:00:01", app_id=0x10,
                                     vlan_id=vid, vlan_priority=None if vid is None else 4)
    f = goose.decode(raw)
    assert f.header.dst == bytes.fromhex("010ccd010010") and f.header.appid == 0x10
    assert (f.header.vlan.vid if f.header.vlan else None) == vid
    p = f.pdu
    assert (p.gocb_ref, p.go_id, p.st_num, p.sq_num, p.simulation, p.conf_rev, p.num_dat_set_entries) == (
        "IED1/LLN0$GO$gcb", None, st_num, sq_num, sim, 7, len(values))
    assert _micros(p.t) == when and p.t.quality == 0x0A
    assert p.all_data == tuple(b for _, b in values)


@given(st.lists(st.tuples(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                                  max_size=20), st.integers(0, 0xFFFF), st.binary(max_size=32),
                          st.none() | st.integers(0, 0xFFFF)), min_size=1, max_size=4))
def test_we_read_open61850_sv(asdus: list[tuple[str, int, bytes, int | None]]) -> None:
    pdu = o_sv.SvPDU(asdus=[o_sv.SvAsdu(sv_id=i, smp_cnt=c, conf_rev=1, smp_synch=2, sample=s, smp_rate=r)
                            for i, c, s, r in asdus])
    raw = o_sv.encode_sv_frame(pdu, dst_mac="01:0c:cd:04:00:01", src_mac="02:00:00:00:00:02", app_id=0x4000)
    f = sv.decode(raw)
    assert f.pdu.no_asdu == len(asdus)
    assert [(a.sv_id, a.smp_cnt, a.seq_data, a.smp_rate, a.smp_synch) for a in f.pdu.asdus] == [
        (i, c, s, r, 2) for i, c, s, r in asdus]


def test_open61850_does_not_pad_short_frames() -> None:
    """open61850 builds frames below the 60-octet Ethernet minimum (the kernel pads them on a real NIC; a veth
    or a capture shows them short); ours pads. Both decode either."""
    pdu = o_sv.SvPDU(asdus=[o_sv.SvAsdu(sv_id="a", smp_cnt=1, conf_rev=1, smp_synch=0, sample=b"")])
    raw = o_sv.encode_sv_frame(pdu, dst_mac="01:0c:cd:04:00:01", src_mac="02:00:00:00:00:02", app_id=0x4000)
    assert len(raw) < ether.MIN_FRAME_LEN
    ours = sv.decode(raw)
    assert len(ours.encode()) == ether.MIN_FRAME_LEN and o_sv.decode_sv_frame(ours.encode()) is not None


# ---- where the two disagree (by design or not): pinned, so a change on either side is noticed ----------------

def test_mms_string_tag_differs() -> None:
    """ISO 9506-2 puts MMSString at [16] (0x90) and objId at [15] (0x8F); open61850 0.9.12 writes and reads
    MMSString as 0x8F. Our mms-string is RawData to it, its mms-string is an OBJECT IDENTIFIER (or an error)
    to us."""
    ours = Data("mms-string", "é").encode()
    assert ours[0] == 0x90 and isinstance(o_data.decode_data(ours[0], ours[2:]), o_data.RawData)
    theirs = o_data.encode_data(o_data.MmsStringData("ab"))
    assert theirs[0] == 0x8F
    pdu = goose.GoosePdu.of("a", "b", [], t=UtcTime(0))
    tlv = pdu.tlv()
    hacked = tlv.encode()[:-2] + bytes([0xAB, len(theirs)]) + theirs
    hacked = bytes([hacked[0], len(hacked) - 2]) + hacked[2:]
    got = goose.decode(ether.Header(goose.MULTICAST_PREFIX + b"\0\1", bytes(6), ether.ETHERTYPE_GOOSE, 1)
                       .encode(hacked)).pdu.all_data[0]
    assert got.kind == "obj-id"


def test_open61850_is_lenient_where_we_are_strict() -> None:
    """The same malformed PDUs: open61850's default decoding accepts them, its strict mode (GOOSE only) and
    ours refuse them."""
    good = goose.example_initiate()
    raw = good.encode()
    # 1. stNum written as 0x80 (a negative INTEGER): open61850 reads it as unsigned 128.
    bad_int = raw.replace(bytes.fromhex("850101"), bytes.fromhex("850180"))
    assert o_goose.decode_goose_frame(bad_int)[1].st_num == 128
    with pytest.raises(FrameError, match="stNum -128 outside"):
        goose.decode(bad_int)
    # 2. goID and datSet swapped in order: open61850 finds fields by tag number.
    pdu = good.pdu.tlv()
    kids = list(pdu.children)
    kids[2], kids[3] = kids[3], kids[2]
    swapped = good.header.encode(dataclasses.replace(pdu, children=tuple(kids)).encode())
    assert o_goose.decode_goose_frame(swapped)[1].dat_set == good.pdu.dat_set
    with pytest.raises(o_goose.GooseDecodeError):
        o_goose.decode_goose_frame(swapped, strict=True)
    with pytest.raises(FrameError, match="out of order"):
        goose.decode(swapped)
    # 3. a gocbRef byte outside VisibleString: replaced by U+FFFD leniently.
    ctrl = raw.replace(b"EVSE1/LLN0$GO", b"EVSE1/LLN0\x01GO")
    assert "\ufffd" not in o_goose.decode_goose_frame(ctrl)[1].gocb_ref  # 0x01 is ASCII: kept as is
    with pytest.raises(FrameError, match="outside VisibleString"):
        goose.decode(ctrl)


FLT_MAX = struct.unpack(">f", bytes.fromhex("7f7fffff"))[0]


def _near_max(d: Data) -> bool:
    if d.kind in ("structure", "array"):
        return any(_near_max(m) for m in d.value)
    return d.kind == "floating-point" and abs(d.value) > 3.4e38


def test_open61850_crashes_on_the_largest_float32() -> None:
    """A well-formed GOOSE whose allData holds a float32 near FLT_MAX: open61850 0.9.12 raises OverflowError (its
    shortest-decimal search rounds above FLT_MAX and packs it), not its GooseDecodeError; ours decodes it."""
    f = goose.frame(goose.GoosePdu.of("a", "b", [data.float32(FLT_MAX)], t=UtcTime(0)), bytes(6))
    assert goose.decode(f.encode()).pdu.all_data[0].value == FLT_MAX
    with pytest.raises(OverflowError):
        o_goose.decode_goose_frame(f.encode())


def test_goose_security_field() -> None:
    """goosePdu's optional security [12]: open61850's lenient decoding skips it, its strict mode refuses the
    PDU; ours keeps the octets."""
    f = goose.example_initiate()
    signed = goose.GooseFrame(f.header, dataclasses.replace(f.pdu, security=b"\x01\x02"))
    assert o_goose.decode_goose_frame(signed.encode())[1].st_num == 1
    with pytest.raises(o_goose.GooseDecodeError, match="not a GOOSE field"):
        o_goose.decode_goose_frame(signed.encode(), strict=True)
    assert goose.decode(signed.encode()).pdu.security == b"\x01\x02"


def test_we_read_open61850_sv_security() -> None:
    """open61850 writes SV security [1] constructed (0xA1); we read the element inside it."""
    inner = bytes.fromhex("0403010203")
    pdu = o_sv.SvPDU(asdus=[o_sv.SvAsdu(sv_id="a", smp_cnt=1, conf_rev=1, smp_synch=0, sample=b"")], security=inner)
    raw = o_sv.encode_sv_frame(pdu, dst_mac="01:0c:cd:04:00:01", src_mac="02:00:00:00:00:02", app_id=0x4000)
    assert raw[14 + 8 + 5] == 0xA1 and sv.decode(raw).pdu.security == inner


def test_sv_no_asdu_mismatch() -> None:
    """A savPdu whose noASDU disagrees with its ASDUs: open61850 refuses it; our codec keeps it as sent (the
    mismatch is for a stream check to report, and a fault must be able to send it)."""
    f = sv.example_soc()
    bad = sv.SvFrame(f.header, dataclasses.replace(f.pdu, no_asdu=2))
    with pytest.raises(o_sv.SvDecodeError, match="noASDU"):
        o_sv.decode_sv_frame(bad.encode())
    assert sv.decode(bad.encode()).pdu.no_asdu == 2


# ---- our stream checks against open61850's supervision (LGOS/LSVS-like), on the same streams -----------------

def _supervise(records: list[Any], end: float | None = None) -> set[str]:
    """The anomaly kinds open61850's BusSupervisor reports on ``records`` (t_ns as wall-clock)."""
    supervision = pytest.importorskip("open61850.supervision")
    capture = pytest.importorskip("open61850.capture")
    bus = supervision.BusSupervisor(sv_supervisor=supervision.SvSupervisor(sample_rate=65536))
    events = []
    for r in records:
        events += bus.feed(capture.CapturedFrame(r.t_ns / 1e9, r.raw, False))
    if end is not None:
        events += bus.check(end)
    quiet = {"NEW_STREAM", "STATE_CHANGE", "RESUMED"}
    return {e.kind.name for e in events if e.kind.name not in quiet} | (
        {"MALFORMED"} if sum(bus.malformed.values()) else set())


# our publisher fault -> (our rule, open61850's event)
PUBLISHER_FAULTS = {"no_retransmission": ("GOOSE-TAL-EXPIRED", "TIMEOUT"), "sqnum_skip": ("GOOSE-SQNUM", "GAP"),
                    "stnum_stuck": ("GOOSE-DATA-CHANGE", "DATA_WITHOUT_STATE_CHANGE"),
                    "tal_too_short": ("GOOSE-TAL-EXPIRED", "TIMEOUT")}


@pytest.mark.parametrize("fault", [None, *PUBLISHER_FAULTS])
def test_goose_checks_agree_with_open61850_supervision(fault: str | None) -> None:
    from vgitest.iec61850.l2 import Seen
    from vgitest.iec61850.publisher import GoosePublisher
    from vgitest.iec61850.streams import check_goose

    changes = [(0.0, [data.boolean(True)]), (0.5, [data.boolean(False)])]
    pub = GoosePublisher(goose.example_initiate(), faults=frozenset({fault} if fault else set()))
    t0 = 1_700_000_000 * 10**9
    recs = [Seen(t0 + round(t * 1e9), "rx", f.encode()) for t, f in pub.schedule(changes, until=3.0)]
    end_ns = recs[-1].t_ns + 10**8
    ours = {f.rule_id for f in check_goose(recs, end_ns=end_ns)}
    theirs = _supervise(recs, end_ns / 1e9)
    if fault is None:
        assert ours == set() and theirs == set()
    else:
        rule, event = PUBLISHER_FAULTS[fault]
        assert rule in ours and event in theirs, (ours, theirs)


def test_sv_checks_agree_with_open61850_supervision() -> None:
    from vgitest.iec61850.l2 import Seen
    from vgitest.iec61850.streams import check_sv

    def stream(counts: list[int], ids: list[str] | None = None) -> list[Seen]:
        return [Seen(10**18 + k * 250_000, "rx", sv.frame(sv.SavPdu.of(sv.Asdu(
            ids[k] if ids else "EV1SoC", n, 1, 0, b"\0" * 8)), bytes(6)).encode()) for k, n in enumerate(counts)]

    clean, gap = stream(list(range(20))), stream([0, 1, 2, 5, 6])
    assert check_sv(clean) == [] and _supervise(clean) == set()
    assert {f.rule_id for f in check_sv(gap)} == {"SV-SMPCNT"} and "GAP" in _supervise(gap)
    # A changed svID: a finding for us (the stream is source MAC + APPID); open61850 keys streams by svID, so to it
    # this is a new stream and no anomaly.
    renamed = stream([0, 1, 2, 3], ["EV1SoC", "EV1SoC", "EV2SoC", "EV2SoC"])
    assert {f.rule_id for f in check_sv(renamed)} == {"SV-SVID"} and _supervise(renamed) == set()


def test_open61850_keeps_time_to_the_microsecond() -> None:
    """UtcTime has a 2**-24 s fraction (about 60 ns); open61850 holds ``t`` as a datetime, so the fraction is
    rounded to the microsecond and a frame it re-encodes may carry a different t than the one received."""
    t = UtcTime(1_700_000_000, 1)  # 60 ns after the second
    f = goose.frame(goose.GoosePdu.of("a", "b", [], t=t), bytes(6))
    _e, p = o_goose.decode_goose_frame(f.encode())
    assert p.timestamp == EPOCH + dt.timedelta(seconds=1_700_000_000)
    again = o_goose.encode_goose_pdu(p)
    assert goose.GoosePdu.from_tlv(ber.decode(again)).t == UtcTime(1_700_000_000, 0)
