"""Read the V2G capture corpus with the library's capture reader and SAP-based schema selection.

The schema of each EXI message comes from the session's supportedAppProtocol result and the V2GTP payload
type (:mod:`vgitest.iso15118.session`), never from trying grammars until one decodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "v2g"


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


def load_corpus(folder: Path = CORPUS) -> Corpus:
    from vgitest.exi import ExiError, decode
    from vgitest.iso15118.capture import read_capture
    from vgitest.iso15118.session import EXI_PAYLOADS, negotiate, sap_frames, schema_for

    corpus = Corpus()
    for path in sorted(folder.glob("*.pcapng")):
        for conn in read_capture(path).connections:
            for s in conn.streams.values():
                if s.gaps:
                    corpus.notes.append(f"{path.name} {conn.name}: gap in TCP stream")
            if conn.is_tls:
                corpus.tls_streams += sum(s.is_tls for s in conn.streams.values())
                continue
            sap = []
            for f in sap_frames(conn).values():
                try:
                    sap.append(decode(f.payload, "app-protocol"))
                except ExiError:
                    pass
            neg = negotiate(sap)
            for sender in (conn.client, conn.server):
                frames, _ = conn.stream_from(sender).frames()
                for i, f in enumerate(frames):
                    if f.payload_type not in EXI_PAYLOADS:
                        continue
                    m = Message(path.name, conn.name, i, f.payload_type, f.payload)
                    m.schema, m.why = schema_for(f.payload_type, i == 0, neg)
                    corpus.messages.append(m)
    return corpus
