"""GOOSE/SV frames through capture files: written by us or by open61850, read back byte for byte with their
times, and judged by the stream checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from vgitest.iec61850 import data, goose, pcap, sv
from vgitest.iec61850.publisher import GoosePublisher
from vgitest.iec61850.streams import check_goose

T0 = 1_700_000_000.0


def _plan() -> list[tuple[float, bytes]]:
    changes = [(0.0, [data.boolean(True)]), (0.2, [data.boolean(False)])]
    plan = GoosePublisher(goose.example_initiate()).schedule(changes, until=1.5)
    return [(T0 + t, f.encode()) for t, f in plan] + [(T0 + 1.6, sv.example_soc().encode())]


def test_pcapng_round_trip_keeps_bytes_times_and_the_tag(tmp_path: Path) -> None:
    frames = _plan()
    noise = (T0 + 1.7, bytes.fromhex("ffffffffffff020000000a01 0800") + bytes(46))
    assert pcap.write(tmp_path / "g.pcapng", frames + [noise]) == len(frames) + 1
    got = pcap.read(tmp_path / "g.pcapng")
    assert [s.raw for s in got] == [raw for _, raw in frames]  # the IPv4 frame is skipped
    assert all(abs(s.t_ns - round(t * 1e9)) < 1000 for s, (t, _) in zip(got, frames, strict=True))
    assert check_goose(got[:-1]) == []


def test_malformed_frames_reach_the_decoder_unchanged(tmp_path: Path) -> None:
    good = goose.example_initiate().encode()
    cut = good[:40]
    pcap.write(tmp_path / "bad.pcapng", [(T0, good), (T0 + 0.001, cut)])
    got = pcap.read(tmp_path / "bad.pcapng")
    assert [s.raw for s in got] == [good, cut]
    assert {f.rule_id for f in check_goose(got)} == {"GOOSE-FRAME-DECODE"}


def test_we_read_open61850_pcap_and_it_reads_ours(tmp_path: Path) -> None:
    o_pcap = pytest.importorskip("open61850.pcap", reason="open61850 (dev extra) not installed")
    frames = _plan()
    with o_pcap.PcapWriter(tmp_path / "o.pcap") as w:
        for t, raw in frames:
            w.write(raw, t)
    got = pcap.read(tmp_path / "o.pcap")
    assert [s.raw for s in got] == [raw for _, raw in frames]
    assert [s.t_ns for s in got] == [round(t * 1e9) for t, _ in frames]  # nanosecond pcap, exact
    pcap.write(tmp_path / "v.pcapng", frames)
    theirs = list(o_pcap.read_pcap(tmp_path / "v.pcapng"))
    assert [f.data for f in theirs] == [raw for _, raw in frames]
