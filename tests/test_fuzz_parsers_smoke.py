"""The parser self-fuzz (benchmarks/fuzz_parsers.py) on a few hundred inputs per parser: only documented errors.

The full run (20,000 or 200,000 inputs per parser, with the 50 ms limit) is the benchmark; this keeps the fuzzer
itself working and catches a parser that starts raising something undocumented on the commonest mutations.
"""

from __future__ import annotations


import pytest

from tests.fuzz_bench import load

FUZZ = load()
N = {"openadr": 150, "sep2": 150, "sdp": 200, "v2gtp": 200, "v2gtp-capture": 200, "pcap": 200, "ocpp": 300,
     "slac": 300, "slac-session": 200, "pcap-dissect": 100, "goose": 300, "sv": 300, "osi-cotp": 300}
ISSUE_15 = {"ocpp", "openadr", "sep2", "sdp", "v2gtp", "pcap", "slac"}  # the parsers issue 15 names (and the EXI sets)
# the IEC 61850 decoders: BER, MMS Data, GOOSE, SV, each OSI layer under MMS, MMS, and the stream readers above them
IEC61850 = {"iec61850-ber", "mms-data", "goose", "sv", "osi-cotp", "osi-session", "osi-presentation", "osi-acse",
            "mms", "mms-stream", "goose-sv-stream"}


def test_every_named_parser_is_a_target() -> None:
    assert ISSUE_15 <= set(FUZZ.targets())
    assert {"exi-din", "exi-iso-2", "exi-iso-20-common", "exi-app-protocol"} <= set(FUZZ.targets())
    assert IEC61850 == set(FUZZ.IEC61850) and IEC61850 <= set(FUZZ.targets())


def test_iec61850_seeds_are_what_the_project_builds_and_reads() -> None:
    """Each IEC 61850 target starts from valid frames: every seed reads without error in a way the target calls
    its decoders (a target calls several: a data-transfer user data is not a CP-type), so the mutations start from
    the decoders' accepting paths, not from garbage; the stream seeds are judged without a decode finding."""
    import random

    def reads(target: object, seed: bytes) -> bool:
        for i in range(8):
            try:
                target.call(seed, i)  # type: ignore[attr-defined]
                return True
            except target.documented:  # type: ignore[attr-defined]
                continue
        return False

    for name in sorted(IEC61850):
        target = FUZZ.targets()[name]()
        seeds = target.seeds(random.Random(0))
        assert len(seeds) >= 2 and all(reads(target, seed) for seed in seeds), name
    gs = FUZZ.targets()["goose-sv-stream"]()
    for seed in gs.seeds(random.Random(0)):
        goose_findings, sv_findings, items = gs.call(seed, 0)
        assert not [f for f in goose_findings + sv_findings if "DECODE" in f.rule_id] and \
            "MALFORMED" not in {i.kind for i in items}
    # a broken seed is caught: a GOOSE frame cut short reads in no way
    goose = FUZZ.targets()["goose"]()
    assert not reads(goose, goose.seeds(random.Random(0))[0][:30])


@pytest.mark.parametrize("name", list(FUZZ.targets()))
def test_parser_raises_only_documented_errors(name: str) -> None:
    if name.startswith("exi-"):  # the grammars come from the upstream XSDs
        from vgitest.exi import load
        from vgitest.upstream import UpstreamError

        try:
            load(name[4:])
        except UpstreamError as e:
            pytest.skip(f"ISO 15118 schemas unavailable: {e}")
    res = FUZZ.run(FUZZ.targets()[name](), N.get(name, 150), seed=1, slow_s=float("inf"))
    assert res.inputs == N.get(name, 150)
    assert res.bad_count == 0, [(why, data.hex()) for why, data, _ in res.bad]


def test_a_parser_whose_state_the_fuzz_wore_out_fails_the_run() -> None:
    """Each XML target reads a never-seen well-formed body before and after its inputs (lxml's per-thread state once
    made every new body 'malformed' after ~900,000 fuzz inputs): a probe that fails only after the fuzz is a finding."""
    calls = []

    def probe() -> str:
        calls.append(1)
        return "" if len(calls) == 1 else "read as malformed"

    target = FUZZ.Target("worn", (), lambda rng: [b"x"], lambda data, i: None, probe=probe)
    res = FUZZ.run(target, 10, slow_s=float("inf"))
    assert res.bad_count == 1 and res.probe == "read as malformed" and "state worn out after 10" in res.bad[0][0]
    assert FUZZ.targets()["openadr"]().probe() == "" and FUZZ.targets()["sep2"]().probe() == ""


def test_an_input_is_slow_for_the_cpu_it_costs_not_for_the_time_others_ran() -> None:
    """An input whose wall time is over the limit only because the process waited (here: slept, as when another
    process had the core) is retimed, not slow; one that costs the CPU time is slow."""
    import time

    def waits(data: bytes, i: int) -> None:
        time.sleep(0.02)

    def works(data: bytes, i: int) -> None:
        end = time.process_time() + 0.02
        while time.process_time() < end:
            pass

    for call, slow in ((waits, 0), (works, 1)):
        target = FUZZ.Target("t", (), lambda rng: [b"x"], call, inputs=lambda n, seed: iter([b"x"]))
        res = FUZZ.run(target, 1, slow_s=0.015)
        assert (res.slow_count, res.retimed) == (slow, 1 - slow), call.__name__


def test_a_killed_run_leaves_no_worker_fuzzing() -> None:
    """``--jobs`` fuzzes in spawned workers; when the run is killed (SIGKILL: no clean-up of its own), its worker
    exits too instead of fuzzing on for up to an hour."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.fuzz_bench import PATH

    proc = subprocess.Popen([sys.executable, str(PATH), "--jobs", "1", "--parser", "slac", "--inputs", "100000000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        worker, deadline = None, time.monotonic() + 30
        while worker is None and time.monotonic() < deadline:
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        status = open(f"/proc/{pid}/status").read()
                    except OSError:
                        continue
                    if f"\nPPid:\t{proc.pid}\n" in status and "spawn_main" in open(f"/proc/{pid}/cmdline").read():
                        worker = int(pid)
            time.sleep(0.1)
        assert worker is not None, "no worker started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{worker}") and time.monotonic() < deadline:
            try:
                if open(f"/proc/{worker}/status").read().split("State:\t", 1)[1].startswith("Z"):
                    break  # exited, not reaped yet
            except OSError:
                break
            time.sleep(0.1)
        alive = os.path.exists(f"/proc/{worker}") and \
            not open(f"/proc/{worker}/status").read().split("State:\t", 1)[1].startswith("Z")
        if alive:
            os.kill(worker, signal.SIGKILL)
        assert not alive, "the worker fuzzed on after its run was killed"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_mms_stream_target_stops_reading_where_the_peers_do() -> None:
    """The self-fuzz found streams of 900-2,300 minimal frames taking 80-260 ms, most of them releases, aborts or
    ACSE PDUs in data transfers read on to the end of the input; the harness's MMS server and client end the
    connection at the first TSDU after the association that is not an MMS data transfer (and at a first TSDU
    that is not the CONNECT / ACCEPT), so the target now does too: the log ends at that frame."""
    from vgitest.iec61850 import mms, osi

    target = FUZZ.targets()["mms-stream"]()
    cr = osi.tpkt_encode(osi.CotpConnect().encode())
    cc = osi.tpkt_encode(osi.CotpConnect(True, 1, 1).encode())
    connect, accept = osi.connect_frame(mms.Initiate().encode()), osi.accept_frame(mms.Initiate(response=True).encode())
    data = osi.data_frame(mms.Conclude().encode())
    tail = data * 50
    for i, head in enumerate(([cr, connect, data, osi.release_frame(osi.ABRT, 1)],
                              [cr, connect, osi.release_frame(osi.RLRQ)],
                              [cc, accept, data, osi.release_frame(osi.RLRE)],
                              [cc, osi.frame(osi.Spdu(osi.SI_DATA, osi.presentation_data_encode(
                                  osi.Acse(osi.ABRT, result=1, diagnostic=None).encode(), osi.ACSE_ID)).encode())],
                              [cr, data],  # no CONNECT first: the server ends it
                              [cc, connect])):  # a client wants an ACCEPT
        assert target.call(b"".join(head) + tail, i) == len(head), head
    # MMS data transfers after the association are read to the end, as the peers read them
    assert target.call(cr + connect + tail, 0) == 2 + 50
