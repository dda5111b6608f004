"""Hypothesis strategies for valid GOOSE and SV frames (round-trip and totality tests, and fuzz seeds).

Everything drawn is what a conforming publisher may send: VisibleString names of at most 129 characters,
32-bit counters, MMS Data values that round trip (no NaN floats, whose equality fails), fixed-size SV counters.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import data, goose, sv
from .data import Data, UtcTime
from .ether import ETHERTYPE_GOOSE, ETHERTYPE_SV, Header, VlanTag

U32 = st.integers(0, (1 << 32) - 1)
names = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=129)
macs = st.binary(min_size=6, max_size=6)
utc_times = st.builds(UtcTime, U32, st.integers(0, (1 << 24) - 1), st.integers(0, 255))

leaves: st.SearchStrategy[Data] = st.one_of(
    st.booleans().map(data.boolean), st.integers(-(1 << 63), (1 << 63) - 1).map(data.integer),
    st.integers(0, (1 << 64) - 1).map(data.unsigned),
    st.floats(width=32, allow_nan=False).map(data.float32),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=32).map(data.visible),
    st.lists(st.booleans(), max_size=24).map(lambda b: data.bits(*b)),
    utc_times.map(data.utc),
    st.binary(max_size=16).map(lambda b: Data("octet-string", b)),
)
values: st.SearchStrategy[Data] = st.recursive(
    leaves, lambda inner: st.one_of(st.lists(inner, max_size=4).map(lambda m: data.structure(*m)),
                                    st.lists(inner, max_size=4).map(lambda m: data.array(*m))), max_leaves=12)
vlans = st.none() | st.builds(VlanTag, st.integers(0, 7), st.integers(0, 0xFFF), st.booleans())


def headers(ethertype: int) -> st.SearchStrategy[Header]:
    return st.builds(Header, macs, macs, st.just(ethertype), st.integers(0, 0xFFFF), vlans,
                     st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))


@st.composite
def goose_pdus(draw: st.DrawFn) -> goose.GoosePdu:
    all_data = tuple(draw(st.lists(values, max_size=6)))
    return goose.GoosePdu(
        gocb_ref=draw(names), time_allowed_to_live=draw(U32), dat_set=draw(names), go_id=draw(st.none() | names),
        t=draw(utc_times), st_num=draw(U32), sq_num=draw(U32), simulation=draw(st.booleans()),
        conf_rev=draw(U32), nds_com=draw(st.booleans()), num_dat_set_entries=len(all_data), all_data=all_data,
        security=draw(st.none() | st.binary(max_size=8)))


def u(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << bits) - 1)


asdus = st.builds(
    sv.Asdu, names, u(16), u(32), u(8), st.binary(max_size=64), st.none() | names, st.none() | utc_times,
    st.none() | u(16), st.none() | u(16), st.none() | st.binary(min_size=8, max_size=8))
sav_pdus = st.lists(asdus, min_size=1, max_size=4).map(lambda a: sv.SavPdu.of(*a))
goose_frames = st.builds(goose.GooseFrame, headers(ETHERTYPE_GOOSE), goose_pdus())
sv_frames = st.builds(sv.SvFrame, headers(ETHERTYPE_SV), sav_pdus)
