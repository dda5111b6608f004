"""Self-fuzz of every parser that reads what a device under test sent: mutated and random inputs may only raise
the parser's documented error type (most parsers document none: they never raise), and none may take over 50 ms.

    python benchmarks/fuzz_parsers.py [--inputs 20000] [--parser NAME|GROUP ...] [--seed 0] [--jobs 1] [--report DIR]

Parsers (``--parser``): ocpp (OCPP-J frame, ``vgitest.ocpp.codec.parse``), openadr and sep2 (XML bodies,
``vgitest.openadr.codec.decode``, ``vgitest.sep2.codec.decode``), exi-<schema> (``vgitest.exi.decode`` and
``decode_fragment`` for each grammar set; inputs from :mod:`vgitest.exi.fuzz`), sdp (one UDP datagram: SDP
request/response parsing, the scapy V2GTP layer on its header, ``problems()``), v2gtp (``v2gtp.read_frame`` on a
live stream, frame after frame to its end), v2gtp-capture (the capture analyser splitting a TCP stream), pcap
(``vgitest.iso15118.capfile.parse_capture``, what ``read_packets`` does with a file's bytes), pcap-dissect
(``vgitest.iso15118.capture.read_capture`` on a file's bytes: dissection, SDP, TCP reassembly, V2GTP split), slac
(``vgitest.slac.frames.decode``), slac-session (``vgitest.slac.checks.check`` on a recording built from the input),
and the IEC 61850 decoders (``vgitest.iec61850``): iec61850-ber (``ber.decode_all`` and its primitive helpers),
mms-data (``data.decode``), goose and sv (``goose.decode`` / ``sv.decode``, the endpoint's ``Seen.decode``,
``ether.measure``), osi-cotp / osi-session / osi-presentation / osi-acse (each OSI layer's decoder under MMS), mms
(``mms.decode``), mms-stream (a TCP stream read as the MMS peer reads it, then judged and traced) and goose-sv-stream
(the stream checks and the flow trace on a recording built from the input).
``--jobs N`` runs N parsers at once, each in a fresh process (``make fuzz``: a million inputs each, two at a time); without
it every parser runs in this process, one after the other.

Inputs per parser: valid seeds mutated (bit flips, overwrites, truncation, insertion, deletion, splicing, length-field
values, from :func:`vgitest.exi.fuzz.mutate`) plus repetition blow-ups, deep nesting and random bytes; all
deterministic from ``--seed``. Prints per parser: inputs, exceptions by type, max and p99 time per input, throughput.
An input over 50 ms (wall time) is run 3 more times and counted slow only if the CPU time it costs stays over 50
ms each time (the machine's cores are shared, so wall time also counts other processes' turns; ``retimed`` counts
the inputs that came under). Inputs that raised an undocumented exception or were slow (up to 5 per parser) are written as hex with
the exception to ``--report`` (default /tmp/vgitest-fuzz). Exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import os
import random
import struct
import sys
import time
import traceback
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vgitest.exi import fuzz as exi_fuzz  # noqa: E402
from vgitest.exi.schemas import SCHEMAS  # noqa: E402

SLOW_S = 0.050
KEEP = 5


@dataclasses.dataclass
class Target:
    name: str
    documented: tuple[type[BaseException], ...]  # the error types the parser documents; () = never raises
    seeds: Callable[[random.Random], list[bytes]]
    call: Callable[[bytes, int], object]  # (input, index): the index lets a target vary how it calls the parser
    nest: Callable[[bytes, int], bytes] | None = None  # wrap an input `depth` levels deep
    inputs: Callable[[int, int], Iterator[bytes]] | None = None  # (n, seed): overrides the generic generator
    # A well-formed input the parser has never seen, parsed before and after the fuzz: "" if it reads as it should,
    # else what went wrong. Catches a parser whose state the inputs wore out (it must read the probe the same).
    probe: Callable[[], str] | None = None


@dataclasses.dataclass
class Result:
    name: str
    documented: str
    inputs: int = 0
    seconds: float = 0.0
    outcomes: Counter = dataclasses.field(default_factory=Counter)  # "ok" or exception type name
    times: array = dataclasses.field(default_factory=lambda: array("d"))
    bad: list[tuple[str, bytes, str]] = dataclasses.field(default_factory=list)  # (why, input, traceback tail)
    bad_count: int = 0
    slow_count: int = 0  # over the limit also when timed again
    retimed: int = 0  # over the limit once, under it in each of 3 repeats (preempted: not counted as slow)
    cpu_ms: float = 0.0  # the most CPU time an input over the limit took when run again (its best of 3)
    probe: str = ""  # the probe's result after the fuzz ("" when it read as before, or when there is no probe)

    @property
    def max_ms(self) -> float:
        return max(self.times, default=0.0) * 1e3

    @property
    def p99_ms(self) -> float:
        if not self.times:
            return 0.0
        s = sorted(self.times)
        return s[min(len(s) - 1, int(len(s) * 0.99))] * 1e3


# --- generic input generation -------------------------------------------------------------------------------
def blow_up(data: bytes, rng: random.Random) -> bytes:
    """Repeat a slice of the input until it is up to 64 KiB long (lists, blocks, length fields many times over)."""
    if not data:
        return rng.randbytes(rng.randint(1, 64)) * rng.randint(1, 1024)
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randint(1, 64))
    times = rng.randint(2, max(2, (1 << 16) // (j - i)))
    return data[:i] + data[i:j] * times + data[j:]


def generic_inputs(target: Target, n: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(f"{target.name}:{seed}")
    pool = target.seeds(rng)
    for i in range(n):
        k = i % 20
        if k in (0, 10):
            yield rng.randbytes(rng.randint(0, 64))
        elif k == 1:
            yield rng.choice(pool)[: rng.randint(0, 16)] + rng.randbytes(rng.randint(0, 256))
        elif k == 2:
            yield blow_up(rng.choice(pool), rng)
        elif k == 3 and target.nest is not None:
            yield target.nest(exi_fuzz.mutate(rng.choice(pool), rng, pool), rng.choice((10, 300, 1000, 20000)))
        elif k == 4:
            yield rng.choice(pool)
        else:
            yield exi_fuzz.mutate(rng.choice(pool), rng, pool)


# --- OCPP-J ---------------------------------------------------------------------------------------------------
def _ocpp_target() -> Target:
    from vgitest.ocpp import codec
    from vgitest.ocpp.versions import V16, V21, V201

    versions = [(v, frozenset(v.station_actions)) for v in (V16, V201, V21)]

    def seeds(rng: random.Random) -> list[bytes]:
        frames = [
            codec.encode_call("19223201", "BootNotification",
                              {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}),
            codec.encode_call("a1", "Heartbeat", {}),
            codec.encode_call("b-2", "MeterValues", {"connectorId": 1, "meterValue": [
                {"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "12.5", "unit": "kWh"}]}]}),
            codec.encode_call("c3", "StatusNotification", {"timestamp": "2026-01-01T00:00:00Z", "connectorStatus":
                                                           "Available", "evseId": 1, "connectorId": 1}),
            codec.encode_result("19223201", {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z",
                                             "interval": 300}),
            codec.encode_error("d4", "NotImplemented", "Requested Action is not known", {"x": [1, 2.5e3, None]}),
            '[5,"e5","NotifyPeriodicEventStream",{"id":1,"pending":0,"basetime":"2026-01-01T00:00:00Z","data":[]}]',
            '[4,"f6","GenericError","\\u00e9\\ud83d\\ude00",{}]',
        ]
        return [f.encode() for f in frames]

    def call(data: bytes, i: int) -> object:
        version, actions = versions[i % 3]
        text: str | bytes = data if i % 2 else data.decode("utf-8", "replace")
        return codec.parse(text, version, actions, from_station=bool(i & 4))

    def nest(data: bytes, depth: int) -> bytes:
        return b"[" * depth + data + b"]" * depth

    return Target("ocpp", (), seeds, call, nest)


# --- XML (OpenADR 2.0b, IEEE 2030.5) -------------------------------------------------------------------------
def _xml_nest(data: bytes, depth: int) -> bytes:
    return b"<a>" * depth + data + b"</a>" * depth


def _xml_probe(decode: Callable[[bytes], object], document: str) -> Callable[[], str]:
    """A well-formed body with a namespace prefix and URI never seen before (``{tag}`` in ``document``): the codec
    must not call it malformed."""
    count = [0]

    def probe() -> str:
        count[0] += 1
        tag = f"probe{count[0]}x{random.getrandbits(64):016x}"
        body = document.format(tag=tag).encode()
        bad = [p for p in getattr(decode(body), "problems", []) if "MALFORMED" in str(p).upper()]
        return f"a well-formed body ({len(body)} bytes) read as malformed: {bad[0]}" if bad else ""

    return probe


def _openadr_target() -> Target:
    from vgitest.openadr import codec

    def seeds(rng: random.Random) -> list[bytes]:
        bodies = [
            ("oadrQueryRegistration", {"requestID": "req-1"}),
            ("oadrCreatePartyRegistration", {"requestID": "req-2", "oadrProfileName": "2.0b",
                                             "oadrTransportName": "simpleHttp", "oadrReportOnly": "false",
                                             "oadrXmlSignature": "false", "oadrVenName": "ven-1",
                                             "oadrHttpPullModel": "true"}),
            ("oadrPoll", {"@ei:schemaVersion": "2.0b", "ei:venID": "ven-1"}),
            ("oadrRequestEvent", {"@ei:schemaVersion": "2.0b",
                                  "pyld:eiRequestEvent": {"pyld:requestID": "r3", "ei:venID": "ven-1"}}),
        ]
        out = []
        for name, body in bodies:
            try:
                out.append(codec.encode(name, body))
            except Exception:  # noqa: BLE001 - a seed the builder refuses is simply not used
                continue
        out.append(b'<?xml version="1.0" encoding="UTF-8"?><oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07">'
                   b'<oadrSignedObject><oadrResponse/></oadrSignedObject></oadrPayload>')
        return out

    probe = _xml_probe(codec.decode, '<?xml version="1.0" encoding="UTF-8"?><oadrPayload xmlns='
                       '"http://openadr.org/oadr-2.0b/2012/07" xmlns:{tag}="urn:vgitest:{tag}"><oadrSignedObject>'
                       '<oadrResponse/></oadrSignedObject></oadrPayload>')
    return Target("openadr", (), seeds, lambda data, i: codec.decode(data), _xml_nest, probe=probe)


def _sep2_target() -> Target:
    from vgitest.sep2 import codec

    def seeds(rng: random.Random) -> list[bytes]:
        bodies = [
            ("EndDevice", {"@href": "/edev/1", "@subscribable": "0", "sFDI": "123456789", "changedTime": "0"}),
            ("DeviceCapability", {"@href": "/dcap", "@pollRate": "900", "EndDeviceListLink": {"@href": "/edev",
                                                                                             "@all": "1"}}),
            ("DERControl", {"@href": "/derp/1/derc/1", "mRID": "A1B2C3D4", "description": "limit",
                            "interval": {"duration": "600", "start": "1700000000"},
                            "DERControlBase": {"opModConnect": "true", "opModMaxLimW": "5000",
                                               "csipaus:opModExpLimW": {"multiplier": "0", "value": "1500"}}}),
            ("EndDeviceList", {"@href": "/edev", "@all": "2", "@results": "2", "EndDevice": [
                {"@href": "/edev/1", "sFDI": "1"}, {"@href": "/edev/2", "sFDI": "2"}]}),
        ]
        out = []
        for name, body in bodies:
            try:
                out.append(codec.encode(name, body))
            except Exception:  # noqa: BLE001
                continue
        out.append("<?xml version='1.0' encoding='UTF-16'?><Time xmlns='urn:ieee:std:2030.5:ns'>"
                   "<currentTime>1</currentTime></Time>".encode("utf-16"))
        return out

    probe = _xml_probe(codec.decode, "<Time xmlns='urn:ieee:std:2030.5:ns' xmlns:{tag}='urn:vgitest:{tag}'>"
                                     "<currentTime>1</currentTime></Time>")
    return Target("sep2", (), seeds, lambda data, i: codec.decode(data), _xml_nest, probe=probe)


# --- EXI: input generation and calls exactly as vgitest.exi.fuzz.run does them -------------------------------
def _exi_target(schema: str) -> Target:
    from vgitest.exi import decode, decode_fragment
    from vgitest.exi.errors import ExiError

    def call(data: bytes, i: int) -> object:
        return (decode_fragment if i % 7 == 3 else decode)(data, schema)

    return Target(f"exi-{schema}", (ExiError,), lambda rng: [], call,
                  inputs=lambda n, seed: exi_fuzz.inputs(schema, n, seed))


# --- V2GTP / SDP ----------------------------------------------------------------------------------------------
def _v2gtp_targets() -> list[Target]:
    from vgitest.iso15118 import capture, layers, sdp, v2gtp

    loop = asyncio.new_event_loop()

    async def frames(data: bytes) -> int:
        reader = asyncio.StreamReader(loop=loop)
        reader.feed_data(data)
        reader.feed_eof()
        count = 0
        while await v2gtp.read_frame(reader, None) is not None:
            count += 1
        return count

    def seeds(rng: random.Random) -> list[bytes]:
        exi = bytes.fromhex("809a0211d63a8c1b1d0e8d0c4e4c8e14f8c45a9c")
        return [sdp.request(), sdp.request(sdp.TLS, sdp.TCP), sdp.response("fe80::1", 15118, sdp.NO_TLS),
                sdp.response("2001:db8::42", 61234, sdp.TLS), v2gtp.frame(0x8001, exi),
                v2gtp.frame(0x8001, exi) + v2gtp.frame(0x8002, exi[:7]), v2gtp.frame(0x8104, b"\x00")]

    def sdp_call(data: bytes, i: int) -> object:  # one UDP datagram, as the SECC/EVCC and the analyser read it
        sdp.parse_request(data)
        sdp.parse_response(data)
        if len(data) >= v2gtp.HEADER_LEN:  # the harness only dissects a whole header (it checks the length)
            v2gtp.header_problems(data[:8])
            hdr = layers.V2GTP(data[:8])
            hdr.problems(wire_payload_len=len(data) - 8)
            return capture._sdp_fields(hdr.payload_type, data[8:])
        return None

    def live_call(data: bytes, i: int) -> object:  # a TCP stream read frame by frame until EOF
        return loop.run_until_complete(frames(data))

    def capture_call(data: bytes, i: int) -> object:  # the same stream split by the capture analyser
        return capture.TcpStream(("::1", 50000), ("::1", 15118), data, [(len(data), 1.0)]).frames()

    return [Target("sdp", (), seeds, sdp_call), Target("v2gtp", (v2gtp.FramingLost,), seeds, live_call),
            Target("v2gtp-capture", (), seeds, capture_call)]


# --- pcap / pcapng --------------------------------------------------------------------------------------------
def _pcap_seed(endian: str, nano: bool) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for k, pkt in enumerate((b"\x00" * 14 + b"\x86\xdd" + b"E" * 40, b"\xff" * 60, b"")):
        out += struct.pack(endian + "IIII", 1700000000 + k, 1000 * k, len(pkt), len(pkt) + k) + pkt
    return out


def _pcapng_seed(endian: str) -> bytes:
    def block(btype: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n)

    opt_end = struct.pack(endian + "HH", 0, 0)
    shb = block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1)
                + struct.pack(endian + "HH", 4, 5) + b"vgit\x00\x00\x00\x00" + opt_end)
    idb = block(1, struct.pack(endian + "HHI", 1, 0, 65535) + struct.pack(endian + "HH", 9, 1) + b"\x09\x00\x00\x00"
                + opt_end)
    idb2 = block(1, struct.pack(endian + "HHI", 101, 0, 0))
    pkt = b"\x00" * 14 + b"\x86\xdd" + b"E" * 42
    t = 1700000000 * 10 ** 9
    epb = block(6, struct.pack(endian + "IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(pkt), len(pkt)) + pkt
                + struct.pack(endian + "HH", 1, 3) + b"abc\x00" + opt_end)
    epb2 = block(6, struct.pack(endian + "IIIII", 1, 0, 5, 3, 100) + b"xyz")
    spb = block(3, struct.pack(endian + "I", len(pkt)) + pkt)
    isb = block(5, struct.pack(endian + "III", 0, 0, 0))
    return shb + idb + idb2 + epb + spb + epb2 + isb + epb


def _capture_target() -> Target:
    from vgitest.iso15118 import capfile

    def seeds(rng: random.Random) -> list[bytes]:
        return [_pcap_seed("<", False), _pcap_seed(">", True), _pcapng_seed("<"), _pcapng_seed(">"),
                _pcapng_seed("<") + _pcapng_seed(">")]

    return Target("pcap", (capfile.NotACapture,), seeds, lambda data, i: capfile.parse_capture(data))


def _capture_seeds() -> list[bytes]:
    """Small captures as the analyser reads them: SDP on UDP, a TCP connection with V2GTP frames both ways, an IPv4
    segment; pcap and pcapng."""
    import tempfile

    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap, wrpcapng

    from vgitest.iso15118 import sdp, v2gtp

    exi = bytes.fromhex("809a0211d63a8c1b1d0e8d0c4e4c8e14f8c45a9c")
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    ev, secc = "fe80::1", "fe80::2"
    pkts = [eth / IPv6(src=ev, dst="ff02::1") / UDP(sport=55555, dport=15118) / sdp.request(),
            eth / IPv6(src=secc, dst=ev) / UDP(sport=15118, dport=55555) / sdp.response(secc, 61000, sdp.NO_TLS),
            eth / IPv6(src=ev, dst=secc) / TCP(sport=50000, dport=61000, flags="S", seq=100),
            eth / IPv6(src=ev, dst=secc) / TCP(sport=50000, dport=61000, flags="PA", seq=101) / v2gtp.frame(0x8001, exi),
            eth / IPv6(src=secc, dst=ev) / TCP(sport=61000, dport=50000, flags="PA", seq=900)
            / (v2gtp.frame(0x8001, exi[:9]) + v2gtp.frame(0x8001, exi)),
            eth / IPv6(src=ev, dst=secc) / TCP(sport=50000, dport=61000, flags="PA", seq=101) / v2gtp.frame(0x8001, exi),
            eth / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=50001, dport=15118, flags="PA", seq=7) / b"\x16\x03\x03",
            eth / IPv6(src=ev, dst=secc) / TCP(sport=50000, dport=61000, flags="FA", seq=129)]
    for k, pkt in enumerate(pkts):
        pkt.time = 1_700_000_000 + k / 10
    out: list[bytes] = []
    with tempfile.TemporaryDirectory() as tmp:  # scapy's pcapng writer only writes files
        for write in (wrpcap, wrpcapng):
            write(f"{tmp}/seed", pkts)
            out.append(Path(f"{tmp}/seed").read_bytes())
    return out


def _capture_read_target() -> Target:
    from vgitest.iso15118 import capfile, capture

    path = Path("<fuzz input>")

    def call(data: bytes, i: int) -> object:  # what analyze_capture reads before judging: datagrams and streams
        cap = capture.read_capture(path, data)
        return [s.frames() for c in cap.connections for s in c.streams.values()]

    return Target("pcap-dissect", (capfile.NotACapture,), lambda rng: _capture_seeds(), call)


# --- SLAC (ISO 15118-3: HomePlug AV management messages on the link) ----------------------------------------
_EV, _EVSE, _RUN = bytes.fromhex("020000000b01"), bytes.fromhex("020000000a01"), bytes(range(1, 9))


def _slac_messages() -> list[tuple[int, str, str, bytes]]:
    """One correct matching session as (time in 0.1 ms, sender, via, frame), both sides' modem exchanges included."""
    from vgitest.slac import frames as f

    B = f.BROADCAST
    nid, nmk = bytes(range(7)), bytes(range(16))
    steps = [(0, "ev", "plc", f.Frame(B, _EV, f.SlacParmReq(run_id=_RUN))),
             (20, "evse", "plc", f.Frame(_EV, _EVSE, f.SlacParmCnf(run_id=_RUN, forwarding_sta=_EV)))]
    t = 30
    for _ in range(3):
        steps.append((t, "ev", "plc", f.Frame(B, _EV, f.StartAttenCharInd(run_id=_RUN, forwarding_sta=_EV))))
        t += 300
    for k in range(10):
        steps.append((t, "ev", "plc", f.Frame(B, _EV, f.MnbcSoundInd(run_id=_RUN, count=9 - k))))
        t += 300
    steps += [(t, "evse", "plc", f.Frame(_EV, _EVSE, f.AttenCharInd(run_id=_RUN, source_address=_EV, num_sounds=10,
                                                                    aag=bytes([20] * f.AAG_GROUPS)))),
              (t + 10, "ev", "plc", f.Frame(_EVSE, _EV, f.AttenCharRsp(run_id=_RUN, source_address=_EV))),
              (t + 50, "ev", "plc", f.Frame(_EVSE, _EV, f.SlacMatchReq(run_id=_RUN, pev_mac=_EV, evse_mac=_EVSE))),
              (t + 60, "evse", "modem", f.Frame(bytes(6), _EVSE, f.SetKeyReq(nid=nid, new_key=nmk))),
              (t + 61, "evse", "modem", f.Frame(_EVSE, bytes(6), f.SetKeyCnf())),
              (t + 70, "evse", "plc", f.Frame(_EV, _EVSE, f.SlacMatchCnf(run_id=_RUN, pev_mac=_EV, evse_mac=_EVSE,
                                                                         nid=nid, nmk=nmk))),
              (t + 80, "ev", "modem", f.Frame(bytes(6), _EV, f.SetKeyReq(nid=nid, new_key=nmk))),
              (t + 81, "ev", "modem", f.Frame(_EV, bytes(6), f.SetKeyCnf(result=1))),
              (t + 90, "ev", "plc", f.Frame(_EVSE, _EV, f.ValidateReq())),
              (t + 91, "evse", "plc", f.Frame(_EV, _EVSE, f.ValidateCnf(toggle_num=3)))]
    return [(t, who, via, fr.encode()) for t, who, via, fr in steps]


def _slac_target() -> Target:
    from vgitest.slac import frames
    from vgitest.slac.link import Record

    def seeds(rng: random.Random) -> list[bytes]:
        raw = [r for _, _, _, r in _slac_messages()]
        return raw + [r.rstrip(b"\x00") for r in raw]  # unpadded too: the body then ends early

    def call(data: bytes, i: int) -> object:  # as the roles, the fake's trace and the checks read a frame
        Record(0, "rx", data).to_dict()
        frame = frames.decode(data, strict=bool(i & 1))
        frame.summary()
        frame.mme.problems()
        return dataclasses.asdict(frame.mme)

    return Target("slac", (frames.SlacFrameError,), seeds, call)


_REC = struct.Struct("!BHH")  # flags (bit 0: sent by the recording side, bit 1: modem), time step (0.1 ms), length


def slac_recording(data: bytes) -> list:
    """The fuzz input as a recording: records of (flags, time step, length, frame) until the bytes run out (the
    last record takes what is left). The recording's shape is fuzzed with its frames. Like a link (``_arrived``),
    it keeps only frames of at least an Ethernet header with the HomePlug AV EtherType."""
    from vgitest.slac.frames import ETHERTYPE
    from vgitest.slac.link import Record

    out, pos, t_ns = [], 0, 0
    while pos < len(data):
        flags, step, n = _REC.unpack_from(data.ljust(pos + _REC.size, b"\x00"), pos)
        pos += _REC.size
        t_ns += step * 100_000
        raw = data[pos:pos + n]
        pos += n
        if len(raw) >= 14 and int.from_bytes(raw[12:14], "big") == ETHERTYPE:
            out.append(Record(t_ns, "tx" if flags & 1 else "rx", raw, "modem" if flags & 2 else "plc"))
    return out


def _slac_session_target() -> Target:
    from vgitest.slac.checks import check, timeline
    from vgitest.slac.timers import SlacTimers

    timers = SlacTimers.from_budgets()

    def seeds(rng: random.Random) -> list[bytes]:
        out = []
        for side in ("ev", "evse"):  # the recording of either side (tx = sent by it)
            prev, rec = 0, b""
            for t, who, via, raw in _slac_messages():
                if via == "modem" and who != side:
                    continue
                rec += _REC.pack((who == side) | (via == "modem") << 1, t - prev, len(raw)) + raw
                prev = t
            out.append(rec)
        return out

    def call(data: bytes, i: int) -> object:  # the judge of a session reads every frame of the recording
        records = slac_recording(data)
        dut = ("ev", "evse")[i & 1]
        recorded_by = ("ev", "evse")[(i >> 1) & 1]
        return check(records, dut, recorded_by, timers), timeline(records)

    return Target("slac-session", (), seeds, call)


# --- IEC 61850: BER, MMS Data, GOOSE, SV, the OSI layers under MMS, MMS (vgitest.iec61850) -------------------
def _ber_nest(data: bytes, depth: int) -> bytes:
    """``data`` inside ``depth`` constructed [2] elements (MMS Data structures), each with its definite length.
    The headers are computed from the inside out without copying the content ``depth`` times."""
    from vgitest.iec61850.ber import encode_length

    headers, n = [], len(data)
    for _ in range(depth):
        h = b"\xa2" + encode_length(n)
        headers.append(h)
        n += len(h)
    return b"".join(reversed(headers)) + data


def _mms_pdus() -> list[bytes]:
    """MMS PDUs of the reference flow and the services the harness's MMS peer serves: the requests its client
    sends (the Table 5 power-request write and parameter read, the oversized read, GetNameList,
    GetVariableAccessAttributes) and the answers its server gives them from the EV's and the EVSE's models."""
    from vgitest.iec61850 import ber, mms, model
    from vgitest.iec61850.data import UtcTime, array, bits, float32, integer, structure, unsigned, utc, visible
    from vgitest.iec61850.flow import EV_ATTRIBUTES, POWER_REQUEST_W
    from vgitest.iec61850.mms_peer import Attribute, MmsServer

    ev = MmsServer([Attribute(p.ref, p.value, p.read_only) for p in model.ev_model()])
    evse = MmsServer([Attribute(p.ref, p.value, p.read_only) for p in model.evse_model()])
    names = lambda refs: tuple(mms.Name.parse(r) for r in refs)  # noqa: E731
    asked = [(evse, mms.WriteRequest(names([model.POWER_REQUEST]), (float32(POWER_REQUEST_W),))),
             (ev, mms.ReadRequest(names(model.EV_PARAMETERS))),
             (ev, mms.ReadRequest(names(EV_ATTRIBUTES), with_result=True)),
             (ev, mms.WriteRequest(names([model.SOC]), (float32(99.5),))),
             (ev, mms.ReadRequest((mms.Name("vmdVar"), mms.Name.parse("EV1/NoSuch$MX$x")))),
             (ev, mms.GetNameListRequest()),
             (ev, mms.GetNameListRequest(mms.NAMED_VARIABLE, "EV1", "DEEV1$MX")),
             (evse, mms.GetVarAccessAttributesRequest(mms.Name.parse(f"{model.EVSE_LD}/{model.EVSE_LN}$SP"))),
             (ev, mms.GetVarAccessAttributesRequest(mms.Name.parse(model.CHARGING_MODE)))]
    pdus: list = [mms.Initiate(), mms.Initiate(response=True, local_detail=None, nesting=None), mms.InitiateError(),
                  mms.Conclude(), mms.Conclude(True), mms.Reject(7, mms.REJECT_CONFIRMED_REQUEST,
                                                                 mms.UNRECOGNIZED_SERVICE), mms.Reject(None),
                  mms.ConfirmedError(3, mms.ERR_ACCESS, mms.OBJECT_ACCESS_DENIED)]
    for invoke, (server, svc) in enumerate(asked, 1):
        pdus.append(mms.ConfirmedRequest(invoke, svc))
        answer = server.serve(svc)
        pdus.append(dataclasses.replace(answer, invoke_id=invoke) if isinstance(answer, mms.ConfirmedError)
                    else mms.ConfirmedResponse(invoke, answer))
    values = structure(integer(-5), unsigned(1 << 31), bits(True, False, True), visible("EV1"),
                       utc(UtcTime(1_700_000_000, 1 << 23)), array(float32(1.5), float32(-0.0)),
                       mms.Data("octet-string", b"\x01\x02"), mms.Data("mms-string", "é"),
                       mms.Data("obj-id", (1, 0, 9506, 2, 1)), mms.Data("boolean-array", (True,)),
                       mms.Data("binary-time", bytes(6)), mms.Data("bcd", b"\x12"))
    double = ber.prim(ber.ctx(7), b"\x0b" + struct.pack(">d", 0.1))  # a 64-bit float (the harness sends 32-bit ones)
    read = ber.cons(ber.ctx(mms.READ, True), ber.cons(ber.ctx(1, True), values.tlv(), double,
                                                      ber.prim(ber.ctx(0), ber.encode_uint(mms.OBJECT_NON_EXISTENT))))
    return [p.encode() for p in pdus] + [ber.cons(ber.ctx(mms.CONFIRMED_RESPONSE, True),
                                                  ber.prim(mms.INT_T, ber.encode_uint(99)), read).encode()]


def _mms_tsdus() -> list[bytes]:
    """Session TSDUs of an association as the harness's MMS peer builds them: CONNECT (AARQ, initiate-Request)
    in the default and in other presentation context ids, ACCEPT (AARE, initiate-Response; a rejection), every MMS
    PDU of :func:`_mms_pdus` in a DATA TRANSFER, the releases and the abort."""
    from vgitest.iec61850 import mms, osi

    initiate, response = mms.Initiate().encode(), mms.Initiate(response=True).encode()
    titled = osi.Acse(osi.AARQ, diagnostic=None, called_ap_title=(1, 1, 999, 1), called_ae_qualifier=12,
                      calling_ap_title=(1, 1, 999, 2), calling_ae_qualifier=-3, user_context=7)
    other = osi.PresentationConnect(b"", contexts=(osi.Context(5, osi.ACSE_AS), osi.Context(7, osi.MMS_AS),
                                                   osi.Context(9, (1, 2, 3), ((2, 1, 1), (2, 1, 2)))),
                                    user_context=5)
    out = [osi.connect_spdu(initiate), osi.connect_spdu(initiate, acse=titled, ppdu=other),
           osi.accept_spdu(response), osi.accept_spdu(response, contexts=osi.Contexts(5, 7),
                                                      results=(osi.ContextResult(), osi.ContextResult(),
                                                               osi.ContextResult(2, None, 1))),
           osi.accept_spdu(mms.InitiateError().encode(), result=1, diagnostic=(1, 2)),
           osi.release_spdu(osi.RLRQ), osi.release_spdu(osi.RLRE), osi.release_spdu(osi.ABRT, 1),
           osi.Spdu(osi.SI_REFUSE, requirements=None, transport_disconnect=1, reason=b"\x02").encode()]
    out += [osi.Spdu(osi.SI_DATA, osi.presentation_data_encode(p)).encode() for p in _mms_pdus()]
    return out


def _mms_frames() -> list[bytes]:
    """TPKT frames: the COTP connect, confirm, disconnect and error TPDUs and every TSDU of :func:`_mms_tsdus` in
    one DT (the longest also in two segments)."""
    from vgitest.iec61850 import osi

    tsdus = _mms_tsdus()
    longest = max(tsdus, key=len)
    cotp = [osi.CotpConnect(), osi.CotpConnect(True, 1, 1, 11), osi.CotpConnect(tpdu_size=None, calling_tsap=None),
            osi.CotpDisconnect(1, 1, 128), osi.CotpError(1, 2, b"\x02\xf0\x80"),
            osi.CotpData(longest[:40], eot=False), osi.CotpData(longest[40:])]
    return [osi.tpkt_encode(t.encode()) for t in cotp] + [osi.frame(t) for t in tsdus]


def _osi_layers() -> dict[str, list[bytes]]:
    """Each layer's PDUs, peeled off :func:`_mms_tsdus` with the project's own decoders: session TSDUs,
    presentation PDUs (CP/CPA and data-transfer user data) and ACSE APDUs."""
    from vgitest.iec61850 import osi

    layers: dict[str, list[bytes]] = {"session": _mms_tsdus(), "presentation": [], "acse": []}
    for tsdu in layers["session"]:
        spdu = osi.session_decode(tsdu)
        if not spdu.user_data:
            continue
        layers["presentation"].append(spdu.user_data)
        if spdu.si in (osi.SI_CONNECT, osi.SI_ACCEPT):
            layers["acse"].append(osi.presentation_decode(spdu.user_data).user_data)
        else:
            context, data = osi.presentation_data_decode(spdu.user_data)
            if context == osi.ACSE_ID:
                layers["acse"].append(data)
    return layers


def _l2_frames() -> dict[str, list[bytes]]:
    """GOOSE and SV frames the project builds: the reference flow's charging control block (initiate, terminate,
    the oversized fault), the Table 5 example, the SoC update tagged and untagged, a frame with two ASDUs and every
    optional field, and one with the simulation bit."""
    from vgitest.iec61850 import goose, sv
    from vgitest.iec61850.data import UtcTime, array, boolean, bits, float32, structure, utc
    from vgitest.iec61850.ether import VlanTag
    from vgitest.iec61850.flow import goose_template, soc_sample

    mac = bytes.fromhex("020000000e01")
    start = goose_template(src=mac)
    stop = dataclasses.replace(start, pdu=dataclasses.replace(start.pdu, st_num=2, sq_num=0,
                                                              all_data=(boolean(False),)))
    rich = goose.GoosePdu.of("EVSE1/LLN0$GO$gcbAll", "EVSE1/LLN0$dsAll",
                             (structure(boolean(True), bits(*[False] * 13), utc(UtcTime(1_700_000_001, 5))),
                              array(float32(1.0), float32(2.0))), t=UtcTime(1_700_000_000, 99, 0x0A),
                             go_id=None, st_num=7, sq_num=1 << 20, simulation=True, conf_rev=3, nds_com=True)
    gooses = [start, stop, goose_template(frozenset({"oversized_goose"}), mac), goose.example_initiate(),
              goose.frame(rich, mac, vlan=VlanTag(7, 0xABC, True))]
    full = sv.Asdu("EV1SoC-full", 65535, 1 << 31, 2, struct.pack(">fIfI", 42.5, 0, 400.0, 0x4000),
                   dat_set="EV1/LLN0$dsSoC", refr_tm=UtcTime(1_700_000_000), smp_rate=4000, smp_mod=1,
                   gm_identity=bytes(range(8)))
    svs = [sv.example_soc(), soc_sample(0, frozenset(), mac), soc_sample(5, frozenset({"oversized_sv"}), mac),
           sv.frame(sv.SavPdu.of(sv.Asdu("EV1SoC", 4, 1, 0, b""), full), mac, simulation=True)]
    return {"goose": [f.encode() for f in gooses] + [gooses[0].encode(pad=False)],
            "sv": [f.encode() for f in svs]}


def _ber_target() -> Target:
    from vgitest.iec61850 import ber
    from vgitest.iec61850.data import UtcTime

    helpers = (ber.decode_int, ber.decode_bool, ber.decode_bits, ber.decode_oid, UtcTime.decode)

    def seeds(rng: random.Random) -> list[bytes]:
        from vgitest.iec61850 import goose, sv

        frames = _l2_frames()
        return (_mms_pdus() + _osi_layers()["presentation"] + [goose.decode(f).pdu.encode() for f in frames["goose"]]
                + [sv.decode(f).pdu.encode() for f in frames["sv"]])

    def call(data: bytes, i: int) -> object:  # the tree, its long-form lengths, and the primitive helpers
        if i % 4 == 3:  # a primitive's content octets as each helper reads them
            return helpers[(i >> 2) % len(helpers)](data)
        elements = ber.decode(data) if i & 1 else ber.decode_all(data)
        for root in [elements] if i & 1 else elements:
            ber.non_minimal_lengths(root)
        return elements

    return Target("iec61850-ber", (ber.BerError,), seeds, call, _ber_nest)


def _mms_data_target() -> Target:
    from vgitest.iec61850 import ber, data

    def seeds(rng: random.Random) -> list[bytes]:  # the values GOOSE allData, Read responses and Writes carry
        from vgitest.iec61850 import goose, mms

        values = [d for f in _l2_frames()["goose"] for d in goose.decode(f).pdu.all_data]
        for pdu in map(mms.decode, _mms_pdus()):
            svc = getattr(pdu, "service", None)
            values += [r for r in getattr(svc, "results", ()) if isinstance(r, data.Data)]
            values += list(getattr(svc, "values", ()))
        return sorted({v.encode() for v in values})

    def call(raw: bytes, i: int) -> object:  # every value decoded; the first few in plain form and encoded again,
        values = [data.decode(t) for t in ber.decode_all(raw)]  # as the harness's MMS server answers a read with
        return [(v.to_python(), v.encode()) for v in values[:4]]  # what a client wrote

    return Target("mms-data", (ber.BerError,), seeds, call, _ber_nest)


def _l2_target(kind: str) -> Target:
    from vgitest.iec61850 import ether, goose, sv
    from vgitest.iec61850.flow import is_charging_goose
    from vgitest.iec61850.l2 import Seen

    decode, etype = (goose.decode, ether.ETHERTYPE_GOOSE) if kind == "goose" else (sv.decode, ether.ETHERTYPE_SV)

    def call(raw: bytes, i: int) -> object:  # as the endpoint, the stream checks and the flow trace read a frame
        if i % 3 == 0:
            return ether.ethertype(raw), ether.measure(raw, etype)
        f = Seen(0, "rx", raw).decode() if i % 3 == 1 else decode(raw)
        return is_charging_goose(f) if isinstance(f, goose.GooseFrame) else f

    return Target(kind, (ether.FrameError,), lambda rng: _l2_frames()[kind], call)


def _osi_target(layer: str) -> Target:
    from vgitest.iec61850 import osi

    def cotp(raw: bytes, i: int) -> object:  # one TPKT frame as the MMS peer and the checks read it
        if i & 1:
            osi.tpkt_length(raw[:osi.TPKT_HEADER])
        return osi.cotp_decode(osi.tpkt_decode(raw))

    def session(raw: bytes, i: int) -> object:  # one TSDU: the SPDU alone, or down to the MMS PDU's bytes
        return osi.session_decode(raw) if i & 1 else osi.upper_decode(raw)

    def presentation(raw: bytes, i: int) -> object:  # CP/CPA with the context ids it proposes, or data user data
        if i & 1:
            return osi.presentation_data_decode(raw)
        ppdu = osi.presentation_decode(raw)
        if not ppdu.accept:
            return osi.Contexts.of(ppdu).results(ppdu)
        return ppdu

    calls = {"cotp": cotp, "session": session, "presentation": presentation,
             "acse": lambda raw, i: osi.acse_decode(raw)}
    seeds = (lambda rng: _mms_frames()) if layer == "cotp" else (lambda rng: _osi_layers()[layer])
    return Target(f"osi-{layer}", (osi.OsiError,), seeds, calls[layer], _ber_nest if layer == "acse" else None)


def _mms_target() -> Target:
    from vgitest.iec61850 import mms

    return Target("mms", (mms.MmsError,), lambda rng: _mms_pdus(), lambda raw, i: mms.decode(raw), _ber_nest)


def _mms_stream_target() -> Target:
    """A TCP stream of a device's MMS frames read as the harness's MMS peer reads it (TPKT frames within the
    negotiated TPDU size, DT reassembly, session/presentation/ACSE, the MMS PDU, the association's context ids),
    then judged and traced from the peer's frame log, as the device's frames, both roles."""
    from vgitest.iec61850 import flowtrace, mms, mms_checks, osi
    from vgitest.iec61850.mms_peer import IsoConnection, MmsPeerError

    loop = asyncio.new_event_loop()

    async def read(conn: IsoConnection) -> None:
        """Where the peers stop reading, this stops too: a server (``MmsServer``) takes a CONNECT with an AARQ
        after the CR, a client (``MmsClient``) an ACCEPT with an AARE after the CC, then both take MMS data
        transfers and end the connection at anything else (a release or an abort, or an SPDU out of place)."""
        try:
            first = await conn.recv_tpdu()  # a server reads a CR first, a client a CC
            if not isinstance(first, osi.CotpConnect):
                raise osi.OsiError("COTP", f"{type(first).__name__} where a CR or CC was expected")
            if first.confirm:
                conn.tpdu_size = osi.TPDU_SIZES.get(first.tpdu_size or 7, 128)
            upper = await conn.recv_upper()
            si, kind = (osi.SI_ACCEPT, osi.AARE) if first.confirm else (osi.SI_CONNECT, osi.AARQ)
            if upper.spdu.si != si or upper.acse is None or upper.acse.kind != kind:
                return
            while True:
                conn.contexts = upper.contexts or conn.contexts
                if upper.mms is not None:
                    conn.decode_mms(upper.mms)
                upper = await conn.recv_upper()
                if upper.spdu.si != osi.SI_DATA or upper.mms is None:
                    return
        except asyncio.IncompleteReadError:
            return  # the stream ended (how the peer sees a closed connection), in a frame or between two

    def seeds(rng: random.Random) -> list[bytes]:  # what a device sends as the client, as the server, and as a
        pdus = [mms.decode(p) for p in _mms_pdus()]  # client in other context ids with a segmented request
        requests = [osi.data_frame(p.encode()) for p in pdus if isinstance(p, mms.ConfirmedRequest)]
        answers = [osi.data_frame(p.encode()) for p in pdus if isinstance(p, (mms.ConfirmedResponse,
                                                                             mms.ConfirmedError, mms.Reject))]
        initiate = mms.Initiate().encode()
        cr, cc = osi.tpkt_encode(osi.CotpConnect().encode()), osi.tpkt_encode(osi.CotpConnect(True, 1, 1).encode())
        client = [cr, osi.connect_frame(initiate)] + requests + [osi.data_frame(mms.Conclude().encode()),
                                                                 osi.release_frame(osi.RLRQ)]
        server = [cc, osi.accept_frame(mms.Initiate(response=True).encode())] + answers + [
            osi.data_frame(mms.Conclude(True).encode()), osi.release_frame(osi.RLRE)]
        other = osi.PresentationConnect(b"", contexts=(osi.Context(5, osi.ACSE_AS), osi.Context(7, osi.MMS_AS)),
                                        user_context=5)
        request = osi.Spdu(osi.SI_DATA, osi.presentation_data_encode(pdus[8].encode(), 7)).encode()
        moved = [cr, osi.frame(osi.connect_spdu(initiate, acse=osi.Acse(osi.AARQ, diagnostic=None, user_context=7),
                                                ppdu=other)),
                 osi.tpkt_encode(osi.CotpData(request[:20], eot=False).encode()),
                 osi.tpkt_encode(osi.CotpData(request[20:]).encode()), osi.release_frame(osi.ABRT, 1, 5)]
        return [b"".join(client), b"".join(server), b"".join(moved)]

    def call(raw: bytes, i: int) -> object:
        reader = asyncio.StreamReader(loop=loop)
        reader.feed_data(raw)
        reader.feed_eof()
        conn = IsoConnection(reader, None, 1.0)  # type: ignore[arg-type] - reading only: no writer
        try:
            loop.run_until_complete(read(conn))
        finally:  # what was read is judged and traced however the reading ended
            mms_checks.judge(conn.log, ("server", "client")[i & 1])
            flowtrace.mms_items(conn.log, bool(i & 1))
        return len(conn.log)

    return Target("mms-stream", (osi.OsiError, mms.MmsError, MmsPeerError), seeds, call)


def l2_recording(data: bytes) -> list:
    """The fuzz input as a GOOSE/SV recording: records of (flags, time step, length, frame) as in
    :func:`slac_recording` (flags bit 0: sent by the harness), each kept as the endpoint keeps it, whatever its
    bytes (:class:`vgitest.iec61850.l2.Seen`)."""
    from vgitest.iec61850.l2 import Seen

    out, pos, t_ns = [], 0, 0
    while pos < len(data):
        flags, step, n = _REC.unpack_from(data.ljust(pos + _REC.size, b"\x00"), pos)
        pos += _REC.size
        t_ns += step * 100_000
        out.append(Seen(t_ns, "tx" if flags & 1 else "rx", data[pos:pos + n]))
        pos += n
    return out


def _l2_stream_target() -> Target:
    """The reference flow's GOOSE and SV as a recording, judged by the stream checks and named and measured for the
    trace: the EVSE's initiate and terminate GOOSE on its retransmission curve, the EV's SoC updates between."""
    from vgitest.iec61850 import ether, flowtrace, streams
    from vgitest.iec61850.data import boolean
    from vgitest.iec61850.flow import SV_ID, FlowTimers, goose_template, soc_sample
    from vgitest.iec61850.publisher import GoosePublisher

    def seeds(rng: random.Random) -> list[bytes]:
        timers = FlowTimers()
        plan = GoosePublisher(goose_template(src=bytes.fromhex("020000000e01")), timers.curve).schedule(
            [(0.0, (boolean(True),)), (timers.charge_s, (boolean(False),))], timers.charge_s + timers.linger_s)
        frames = [(at, f.encode()) for at, f in plan]
        frames += [(0.005 + k * timers.sv_interval, soc_sample(k, frozenset(), bytes.fromhex("020000000e02")).encode())
                   for k in range(10)]
        frames.sort(key=lambda p: p[0])
        out = []
        for side in (0, 1):  # recorded at the EV (GOOSE received, SV sent) or at the EVSE
            rec, prev = b"", 0.0
            for at, raw in frames:
                sent = (raw[12:14] == b"\x88\xba") != bool(side)
                rec += _REC.pack(int(sent), round((at - prev) * 10_000), len(raw)) + raw
                prev = at
            out.append(rec)
        return out

    def call(data: bytes, i: int) -> object:  # as the fake peer judges a flow: the device's frames by EtherType
        records = l2_recording(data)
        rx = [r for r in records if r.direction == "rx"]
        goose_rx = [r for r in rx if ether.ethertype(r.raw) == ether.ETHERTYPE_GOOSE]
        sv_rx = [r for r in rx if ether.ethertype(r.raw) == ether.ETHERTYPE_SV]
        end = records[-1].t_ns + 1_000_000_000 if records and i & 1 else None
        return (streams.check_goose(goose_rx, end), streams.check_sv(sv_rx, SV_ID if i & 2 else None,
                                                                   4000 if i & 4 else None),
                flowtrace.l2_items(records))

    return Target("goose-sv-stream", (), seeds, call)


IEC61850 = ("iec61850-ber", "mms-data", "goose", "sv", "osi-cotp", "osi-session", "osi-presentation", "osi-acse",
            "mms", "mms-stream", "goose-sv-stream")


GROUPS = {"iec61850": IEC61850}


def targets() -> dict[str, Callable[[], Target]]:
    out: dict[str, Callable[[], Target]] = {"ocpp": _ocpp_target, "openadr": _openadr_target, "sep2": _sep2_target}
    for schema in SCHEMAS:
        if schema != "xmldsig":
            out[f"exi-{schema}"] = lambda schema=schema: _exi_target(schema)
    for k in range(3):
        t = ("sdp", "v2gtp", "v2gtp-capture")[k]
        out[t] = lambda k=k: _v2gtp_targets()[k]
    out["pcap"] = _capture_target
    out["pcap-dissect"] = _capture_read_target
    out["slac"] = _slac_target
    out["slac-session"] = _slac_session_target
    out["iec61850-ber"] = _ber_target
    out["mms-data"] = _mms_data_target
    out["goose"] = lambda: _l2_target("goose")
    out["sv"] = lambda: _l2_target("sv")
    for layer in ("cotp", "session", "presentation", "acse"):
        out[f"osi-{layer}"] = lambda layer=layer: _osi_target(layer)
    out["mms"] = _mms_target
    out["mms-stream"] = _mms_stream_target
    out["goose-sv-stream"] = _l2_stream_target
    return out


def _cpu_timed(target: Target, data: bytes, i: int) -> float:
    """The CPU time the process spent on one input (every thread: the XML reader may parse in a worker). Wall
    time on shared cores also counts the time other processes ran, which is not the parser's cost."""
    t = time.process_time()
    try:
        target.call(data, i)
    except Exception:  # noqa: BLE001 - already counted
        pass
    return time.process_time() - t


def run(target: Target, n: int, seed: int = 0, slow_s: float = SLOW_S) -> Result:
    res = Result(target.name, ", ".join(t.__name__ for t in target.documented) or "none (never raises)")
    if target.probe is not None and (before := target.probe()):
        raise RuntimeError(f"{target.name}: the probe fails before any fuzz input (a fuzzer bug): {before}")
    gen = target.inputs(n, seed) if target.inputs else generic_inputs(target, n, seed)
    clock = time.perf_counter
    start = clock()
    for i, data in enumerate(gen):
        why = ""
        t = clock()
        try:
            target.call(data, i)
            outcome = "ok"
        except target.documented as exc:
            outcome = type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - the point of fuzzing is to find these
            outcome = type(exc).__name__
            why = f"undocumented {outcome}: {exc}"[:300]
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            why += f" (at {Path(tb.filename).name}:{tb.lineno} {tb.line})"
            res.bad_count += 1
        dt = clock() - t
        res.times.append(dt)
        res.outcomes[outcome] += 1
        if dt > slow_s and not why:  # timed again in CPU time: on shared cores the wall time counts others' turns
            again = min(_cpu_timed(target, data, i) for _ in range(3))
            res.cpu_ms = max(res.cpu_ms, again * 1e3)
            if again > slow_s:
                res.slow_count += 1
                why = f"slow: {dt * 1e3:.1f} ms, again {again * 1e3:.1f} ms of CPU"
            else:
                res.retimed += 1
        if why and len(res.bad) < KEEP:
            res.bad.append((why, data, f"{dt * 1e3:.2f} ms"))
        res.inputs += 1
    res.seconds = clock() - start
    res.probe = target.probe() if target.probe is not None else ""
    if res.probe:
        res.bad_count += 1
        res.bad.append((f"state worn out after {res.inputs} inputs: {res.probe}", b"", "probe"))
    return res


# Relative cost per input (from the figures in docs/fuzzing.md): with --jobs the dearest parsers start first, so
# the pool's last minutes are not one slow parser alone.
COST = {"pcap-dissect": 40, "pcap": 12, "v2gtp": 4, "v2gtp-capture": 3, "ocpp": 3, "slac-session": 6,
        "mms-stream": 40, "mms-data": 30, "goose-sv-stream": 15, "iec61850-ber": 12, "osi-acse": 12,
        "osi-presentation": 10, "mms": 10, "osi-session": 8}


def _run_one(name: str, n: int, seed: int) -> Result:
    """One parser in a fresh process (``--jobs``): its heap holds only its own grammars and inputs."""
    target = targets()[name]()
    gc.collect()  # what the harness does once its grammars and schemas are loaded (iso15118.fake.settle_heap):
    gc.freeze()  # a full collection over the heap built so far is not this parser's time
    return run(target, n, seed)


def _report(res: Result, report: Path) -> None:
    outcomes = ", ".join(f"{k} {v}" for k, v in res.outcomes.most_common())
    print(f"{res.name:<18}{res.inputs:>8}  {res.max_ms:7.2f}  {res.p99_ms:7.3f}  "
          f"{res.inputs / max(res.seconds, 1e-9):8.0f}  {res.bad_count:>5}  {res.slow_count:>5}  {res.retimed:>7}  "
          f"{outcomes} ({res.documented})", flush=True)
    if res.bad:
        report.mkdir(parents=True, exist_ok=True)
        path = report / f"{res.name}.txt"
        path.write_text("".join(f"{why} [{ms}]\n{data.hex()}\n\n" for why, data, ms in res.bad))
        for why, data, ms in res.bad:
            print(f"   {why} [{ms}] {len(data)} bytes: {data[:48].hex()}{'…' if len(data) > 48 else ''}")
        print(f"   inputs as hex: {path}", flush=True)


def _die_with_parent() -> None:
    """In a worker: exit as soon as the parent is gone. A killed run must not leave workers fuzzing on for an hour
    (a spawned worker is not in the parent's process group's way of dying)."""
    import multiprocessing
    import multiprocessing.connection
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


def main(argv: list[str] | None = None) -> int:
    all_targets = targets()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=20_000, help="inputs per parser (make fuzz: 1000000)")
    ap.add_argument("--parser", action="append", choices=list(all_targets) + list(GROUPS),
                    help="repeatable; a group name stands for its parsers (iec61850: the IEC 61850 decoders); "
                         "default: all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=0,
                    help="parsers fuzzed at once, each in a fresh process of its own (default 0: all in this process)")
    ap.add_argument("--report", type=Path, default=Path("/tmp/vgitest-fuzz"),
                    help="where offending inputs are written as hex (one file per parser)")
    args = ap.parse_args(argv)
    names = list(dict.fromkeys(n for p in args.parser or all_targets for n in GROUPS.get(p, (p,))))
    print(f"$ python benchmarks/fuzz_parsers.py --inputs {args.inputs} --seed {args.seed}"
          + (f" --jobs {args.jobs}" if args.jobs else "")
          + "".join(f" --parser {p}" for p in (args.parser or [])), flush=True)
    print(f"{'parser':<18}{'inputs':>8}  {'max ms':>7}  {'p99 ms':>7}  {'inputs/s':>8}  "
          f"{'undoc':>5}  {'>50ms':>5}  {'retimed':>7}  outcomes (documented error)", flush=True)
    results: list[Result] = []
    if args.jobs > 0:
        import concurrent.futures
        import multiprocessing

        order = sorted(names, key=lambda n: -COST.get(n, 1))
        # spawn, one task per process: no parser inherits another's heap (or this process's imports)
        with concurrent.futures.ProcessPoolExecutor(args.jobs, multiprocessing.get_context("spawn"),
                                                    initializer=_die_with_parent, max_tasks_per_child=1) as pool:
            futures = [pool.submit(_run_one, n, args.inputs, args.seed) for n in order]
            for fut in concurrent.futures.as_completed(futures):
                results.append(fut.result())
                _report(results[-1], args.report)
    else:
        for name in names:
            results.append(_run_one(name, args.inputs, args.seed))
            _report(results[-1], args.report)
    undoc = sum(r.bad_count for r in results)
    slow = sum(r.slow_count for r in results)
    worst = max(results, key=lambda r: r.max_ms, default=None)
    dearest = max(results, key=lambda r: r.cpu_ms, default=None)
    print(f"{len(results)} parsers, {sum(r.inputs for r in results)} inputs: {undoc} undocumented exception(s), "
          f"{slow} input(s) over {SLOW_S * 1e3:.0f} ms confirmed"
          + (f"; slowest first timing {worst.max_ms:.2f} ms wall ({worst.name})" if worst else "")
          + (f"; of the inputs timed again, the dearest took {dearest.cpu_ms:.2f} ms of CPU ({dearest.name})"
             if dearest and dearest.cpu_ms else ""), flush=True)
    return 1 if undoc or slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
