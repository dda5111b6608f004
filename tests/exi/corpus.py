"""Read the V2G capture corpus: TCP reassembly, V2GTP framing, schema from the SAP negotiation.

The schema of each EXI message comes from the session's supportedAppProtocol result and the V2GTP payload
type, never from trying grammars until one decodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "v2g"

SAP_PAYLOAD = 0x8001
ISO20_PAYLOADS = {0x8002: "iso-20-common", 0x8003: "iso-20-ac", 0x8004: "iso-20-dc",
                  0x8005: "iso-20-acdp", 0x8006: "iso-20-wpt"}
NAMESPACES = {"urn:din:70121:2012:MsgDef": "din", "urn:iso:15118:2:2013:MsgDef": "iso-2"}
ISO20_PREFIX = "urn:iso:std:iso:15118:-20:"


@dataclass
class Message:
    file: str
    conn: str
    index: int  # position in its direction's stream
    payload_type: int
    data: bytes
    schema: str | None = None
    why: str = ""


@dataclass
class Corpus:
    messages: list[Message] = field(default_factory=list)
    tls_streams: int = 0
    notes: list[str] = field(default_factory=list)


def _reassemble(segments: list[tuple[int, bytes]]) -> tuple[bytes, bool]:
    segments.sort(key=lambda s: s[0])
    out = bytearray()
    nxt = None
    gap = False
    for seq, data in segments:
        if nxt is None:
            nxt = seq
        if seq + len(data) <= nxt:
            continue  # retransmission
        if seq < nxt:
            data = data[nxt - seq:]
            seq = nxt
        if seq > nxt:
            gap = True
        out += data
        nxt = seq + len(data)
    return bytes(out), gap


def _v2gtp_frames(stream: bytes) -> list[tuple[int, bytes]] | None:
    frames = []
    i = 0
    while i + 8 <= len(stream):
        if stream[i] != 0x01 or stream[i + 1] != 0xFE:
            return frames if frames else None
        ptype = int.from_bytes(stream[i + 2:i + 4], "big")
        length = int.from_bytes(stream[i + 4:i + 8], "big")
        if i + 8 + length > len(stream):
            break
        frames.append((ptype, stream[i + 8:i + 8 + length]))
        i += 8 + length
    return frames


def load_corpus(folder: Path = CORPUS) -> Corpus:
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6
    from scapy.utils import PcapNgReader

    from vgitest.exi import ExiError, decode

    corpus = Corpus()
    for path in sorted(folder.glob("*.pcapng")):
        flows: dict[tuple, list[tuple[int, bytes]]] = {}
        with PcapNgReader(str(path)) as reader:
            for pkt in reader:
                if TCP not in pkt or IPv6 not in pkt:
                    continue
                payload = bytes(pkt[TCP].payload)
                if not payload:
                    continue
                ip = pkt[IPv6]
                key = (ip.src, pkt[TCP].sport, ip.dst, pkt[TCP].dport)
                flows.setdefault(key, []).append((pkt[TCP].seq, payload))
        conns: dict[frozenset, dict[tuple, list[tuple[int, bytes]]]] = {}
        for key, segs in flows.items():
            stream, gap = _reassemble(segs)
            if gap:
                corpus.notes.append(f"{path.name} {key}: gap in TCP stream")
            frames = _v2gtp_frames(stream)
            if frames is None:
                if stream[:1] in (b"\x16", b"\x17", b"\x15", b"\x14"):
                    corpus.tls_streams += 1
                continue
            ck = frozenset([(key[0], key[1]), (key[2], key[3])])
            conns.setdefault(ck, {})[key] = frames
        for ck, dirs in conns.items():
            conn_name = " <-> ".join(f"[{a}]:{p}" for a, p in sorted(ck))
            # find the SAP request/response pair
            offer: dict[int, str] = {}
            chosen: str | None = None
            for key, frames in dirs.items():
                if frames and frames[0][0] == SAP_PAYLOAD:
                    try:
                        msg = decode(frames[0][1], "app-protocol")
                    except ExiError:
                        continue
                    if "supportedAppProtocolReq" in msg:
                        for ap in msg["supportedAppProtocolReq"]["AppProtocol"]:
                            offer[ap["SchemaID"]] = ap["ProtocolNamespace"]
            for key, frames in dirs.items():
                if frames and frames[0][0] == SAP_PAYLOAD:
                    try:
                        msg = decode(frames[0][1], "app-protocol")
                    except ExiError:
                        continue
                    res = msg.get("supportedAppProtocolRes")
                    if res and "SchemaID" in res:
                        chosen = offer.get(res["SchemaID"])
            for key, frames in dirs.items():
                for i, (ptype, data) in enumerate(frames):
                    m = Message(path.name, conn_name, i, ptype, data)
                    if ptype not in (SAP_PAYLOAD, *ISO20_PAYLOADS):
                        continue  # not EXI
                    if ptype == SAP_PAYLOAD and i == 0:
                        m.schema = "app-protocol"
                    elif ptype in ISO20_PAYLOADS:
                        m.schema = ISO20_PAYLOADS[ptype] if chosen and chosen.startswith(ISO20_PREFIX) else None
                        m.why = "" if m.schema else f"ISO-20 payload type but negotiated {chosen}"
                    elif chosen in NAMESPACES:
                        m.schema = NAMESPACES[chosen]
                    else:
                        m.why = f"no schema negotiated ({chosen})"
                    corpus.messages.append(m)
    return corpus
