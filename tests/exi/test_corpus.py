"""Every plaintext EXI message of the real captures decodes and re-encodes byte-identically."""

from __future__ import annotations

import collections
import time

from vgitest.exi import ExiError, decode, encode

EXPECTED_MESSAGES = 3096  # counted by V2GTP payload type in the corpus README


def test_corpus_round_trip(corpus) -> None:  # noqa: ANN001
    by_schema: collections.Counter[str] = collections.Counter()
    problems = []
    start = time.perf_counter()
    for m in corpus.messages:
        where = f"{m.file} {m.conn} #{m.index} type {m.payload_type:#06x}"
        if m.schema is None:
            problems.append(f"{where}: no schema ({m.why})")
            continue
        try:
            msg = decode(m.data, m.schema)
        except ExiError as e:
            problems.append(f"{where}: decode failed: {e}")
            continue
        try:
            again = encode(msg, m.schema)
        except ExiError as e:
            problems.append(f"{where}: re-encode failed: {e}")
            continue
        if again != m.data:
            problems.append(f"{where}: re-encoded {again.hex()} != {m.data.hex()}")
            continue
        by_schema[m.schema] += 1
    elapsed = time.perf_counter() - start
    total = sum(by_schema.values())
    print(f"\ncorpus: {total}/{len(corpus.messages)} round-tripped in {elapsed:.2f}s {dict(by_schema)}; "
          f"{corpus.tls_streams} TLS streams excluded")
    assert not problems, "\n".join(problems[:50])
    assert len(corpus.messages) == EXPECTED_MESSAGES
    assert total == EXPECTED_MESSAGES
    # the corpus covers these grammar sets; a regression in schema selection would move counts
    assert set(by_schema) == {"app-protocol", "din", "iso-2", "iso-20-common", "iso-20-ac"}


def test_corpus_schema_from_negotiation(corpus) -> None:  # noqa: ANN001
    """Each session's first 0x8001 message is SAP; later ones follow the negotiated namespace."""
    sap = [m for m in corpus.messages if m.schema == "app-protocol"]
    assert sap and all(m.index == 0 for m in sap)
    first = decode(sap[0].data, "app-protocol")
    assert set(first) <= {"supportedAppProtocolReq", "supportedAppProtocolRes"}
