"""V2GTP and SDP scapy layers: public vectors, header validation, corpus SDP traffic."""

from __future__ import annotations

from pathlib import Path

import pytest
from scapy.layers.inet import UDP
from scapy.layers.inet6 import IPv6

from vgitest.iso15118.layers import V2GTP, SDPRequest, SDPResponse

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "v2g"


def test_v2gtp_header_vector() -> None:
    pkt = V2GTP(bytes.fromhex("01fe800100000024") + bytes(0x24))
    assert pkt.payload_type == 0x8001 and pkt.payload_length == 0x24
    assert pkt.problems() == []
    built = bytes(V2GTP(payload_type=0x8001) / bytes.fromhex("80400040"))
    assert built == bytes.fromhex("01fe80010000000480400040")


def test_sdp_request_and_response_vectors() -> None:
    req = V2GTP(bytes.fromhex("01fe9000000000021000"))
    assert isinstance(req.payload, SDPRequest)
    assert req[SDPRequest].security == 0x10 and req[SDPRequest].transport == 0x00
    res_hex = "01fe900100000014fe800001000200030004000500060007aabb0000"
    res = V2GTP(bytes.fromhex(res_hex))
    assert res[SDPResponse].secc_ip == "fe80:1:2:3:4:5:6:7"
    assert res[SDPResponse].secc_port == 0xAABB and res.problems() == []
    again = V2GTP(payload_type=0x9001) / SDPResponse(secc_ip="fe80:1:2:3:4:5:6:7", secc_port=0xAABB,
                                                      security=0, transport=0)
    assert bytes(again).hex() == res_hex


def test_header_problems() -> None:
    assert "inverse" in V2GTP(bytes.fromhex("01ff9000000000021000")).problems()[0]
    assert any("version" in p for p in V2GTP(bytes.fromhex("02fd9000000000021000")).problems())
    assert any("unknown payload" in p for p in V2GTP(bytes.fromhex("01fe1234000000021000")).problems())
    short = V2GTP(bytes.fromhex("01fe800100000010aabb"))
    assert any("length" in p for p in short.problems())
    assert any("SDP request" in p for p in V2GTP(bytes.fromhex("01fe900000000003100000")).problems())


def test_bound_to_udp_15118() -> None:
    pkt = IPv6() / UDP(sport=50000, dport=15118) / V2GTP(payload_type=0x9000) / SDPRequest()
    parsed = IPv6(bytes(pkt))
    assert parsed[SDPRequest].security == 0x10


def test_corpus_sdp_frames_dissect() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"capture corpus not found at {CORPUS}")
    from scapy.utils import PcapNgReader

    seen = {0x9000: 0, 0x9001: 0}
    with PcapNgReader(str(CORPUS / "ISO-2_DC_DS5366.pcapng")) as rd:
        for p in rd:
            if V2GTP in p and UDP in p:
                v = p[V2GTP]
                assert v.problems() == [], v.problems()
                seen[v.payload_type] = seen.get(v.payload_type, 0) + 1
    assert seen[0x9000] >= 1 and seen[0x9001] >= 1
