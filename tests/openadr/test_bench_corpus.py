"""The validation benchmark's corpus (rendered by openleadr) and its refuse-to-time-garbage checks."""

from __future__ import annotations

import pytest
from lxml import etree

from vgitest.openadr import schemas
from vgitest.openadr.validator import OadrValidator, payload_name

pytest.importorskip("openleadr")
pytestmark = pytest.mark.usefixtures("oadr_schema_dir")


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    from benchmarks.openadr_corpus import build_corpus
    return build_corpus()


def test_corpus_covers_the_message_families(corpus: dict[str, bytes]) -> None:
    for name in ("oadrQueryRegistration", "oadrCreatePartyRegistration", "oadrCreatedPartyRegistration", "oadrPoll",
                 "oadrResponse", "oadrDistributeEvent", "oadrCreatedEvent", "oadrRegisterReport", "oadrUpdateReport",
                 "oadrCreateOpt"):
        assert name in corpus


def test_every_corpus_payload_is_valid_and_named(corpus: dict[str, bytes]) -> None:
    v = OadrValidator()
    for name, raw in corpus.items():
        doc = etree.fromstring(raw)
        assert payload_name(doc) == name
        assert v.validate(doc) == [], name
    event = etree.fromstring(corpus["oadrDistributeEvent"])
    assert len(event.findall(".//{http://docs.oasis-open.org/ns/energyinterop/201110}interval")) >= 3
    assert b"TELEMETRY_USAGE" in corpus["oadrRegisterReport"]


def test_benchmark_refuses_an_invalid_corpus(corpus: dict[str, bytes]) -> None:
    pytest.importorskip("xmlschema")
    from benchmarks.openadr_validation import check_corpus

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    schema, xs = schemas.load_schema(), schemas.xmlschema_schema()
    check_corpus(corpus, schema, xs, parser)  # the real corpus passes
    bad = dict(corpus, oadrPoll=corpus["oadrPoll"].replace(b"ven-0001</ei:venID>", b"ven-0001</ei:venID><ei:x/>"))
    with pytest.raises(SystemExit, match="oadrPoll is not valid"):
        check_corpus(bad, schema, xs, parser)


def test_measure_counts_calls_and_respects_the_time_cap() -> None:
    from benchmarks.openadr_validation import measure

    calls = []
    cell = measure(lambda: calls.append(1), 100, 5.0)
    assert cell.calls == 100 and len(calls) == 104 and not cell.capped  # 4 untimed warm-up calls
    import time
    slow = measure(lambda: time.sleep(0.01), 10_000, 0.05)
    assert slow.capped and slow.calls < 50 and slow.median_us >= 10_000
