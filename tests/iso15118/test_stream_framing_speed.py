"""Splitting a captured TCP stream into V2GTP frames builds no scapy packet per frame (issue 13, parser self-fuzz).

The fuzz (benchmarks/fuzz_parsers.py --parser v2gtp) found a 35 KB stream of 3873 minimal frames taking 70-130 ms:
each header was dissected by scapy (~15 µs) only to list its problems. The header is now read with int.from_bytes
and checked by layers.header_problems, which V2GTP.problems also uses, so the findings' texts are unchanged.
"""

from __future__ import annotations

import pytest

from vgitest.iso15118 import capture, layers


def _stream(data: bytes) -> capture.TcpStream:
    return capture.TcpStream(("::1", 50000), ("::1", 15118), data, [(len(data), 1.0)])


def test_frames_do_not_dissect_each_header_with_scapy(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_scapy(*a: object, **k: object) -> None:
        raise AssertionError("a scapy V2GTP packet was built for one frame")

    monkeypatch.setattr(layers.V2GTP, "dissect", no_scapy)  # however the capture module reaches the layer
    frame = bytes.fromhex("01fe9000000000021000")
    frames, problems = _stream(frame * 5000).frames()
    assert len(frames) == 5000 and problems == []
    assert all(f.payload_type == 0x9000 and f.problems == [] for f in frames)


@pytest.mark.parametrize("header, avail", [
    (bytes.fromhex("01fe800100000010"), 16), (bytes.fromhex("02fe900000000003"), 3),
    (bytes.fromhex("01fe900100000020"), 7), (bytes.fromhex("01fe123400000001"), 1),
    (bytes.fromhex("01fea00000000000"), 0),
])
def test_stream_frame_problems_are_the_layers(header: bytes, avail: int) -> None:
    """The same problems, word for word, as the scapy layer's V2GTP.problems (what the findings quote)."""
    data = header + bytes(avail)
    frames, _ = _stream(data).frames()
    assert frames[0].problems == layers.V2GTP(header).problems(wire_payload_len=avail)
    assert frames[0].payload_type == int.from_bytes(header[2:4], "big")
