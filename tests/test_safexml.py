"""The XML reader the OpenADR and 2030.5 codecs share (vgitest/safexml.py): its state must not wear out."""

from __future__ import annotations

import resource

from vgitest import safexml


def _names(i: int) -> bytes:
    """A well-formed body of 2,000 element names and a namespace no earlier body used (about 420 KB)."""
    names = "".join(f"<n{i}x{j}{'a' * 200}/>" for j in range(2000))
    return f"<r xmlns='urn:vgitest:wear:{i}'>{names}</r>".encode()


def test_distinct_names_from_a_device_neither_wear_out_the_parser_nor_grow_memory_without_end() -> None:
    """lxml's per-thread name dictionary only grows; with one thread, after ~830 such bodies (~350 MB of
    distinct names, RSS ~380 MB) libxml2's cap was reached and every later well-formed body read as malformed
    ("unknown error"). Found by the million-input self-fuzz of the OpenADR codec (docs/fuzzing.md)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for i in range(1100):
        root, problems = safexml.parse(_names(i), 1_000_000)
        assert problems == [] and root is not None, f"body {i}: {problems}"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"peak memory grew by {grown_mb:.0f} MB while reading bodies of distinct names"


def test_a_document_parsed_by_a_retired_worker_stays_readable(monkeypatch) -> None:
    """Trees parsed in a worker that has since been retired keep their names (the dictionary lives on with the
    document), and errors from a worker come back as problems, as when parsed in the calling thread."""
    monkeypatch.setattr(safexml, "DICTIONARY_BUDGET", 1)  # every parse goes to a worker, each one retired next
    first, _ = safexml.parse(b"<a xmlns='urn:x'><b c='d'>t</b></a>", 1000)
    for i in range(5):
        safexml.parse(f"<z{i}/>".encode(), 1000)
    assert first is not None and first[0].get("c") == "d" and first[0].text == "t"
    assert first[0].tag == "{urn:x}b"
    root, problems = safexml.parse(b"<a><b></a>", 1000)
    assert root is None and problems[0][0] == safexml.MALFORMED
