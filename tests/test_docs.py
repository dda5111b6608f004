"""The generated reference tables in docs/ must match the code."""

from vgitest import docs


def test_generated_docs_are_up_to_date() -> None:
    for rel, fn in docs.GENERATED.items():
        path = docs.ROOT / rel
        assert path.is_file() and path.read_text(encoding="utf-8") == fn(), f"{rel} is stale: python -m vgitest.docs"


def test_a_faults_description_is_its_versions_whatever_catalog_loads_first() -> None:
    """One fault name is often implemented per version (a 1.6 and a 2.0.1 message); each version's row says what
    that version's simulator does, so the generated page does not depend on which catalog a process imported
    first (it did: docs/faults.md went stale under one test order)."""
    import subprocess
    import sys
    code = ("import importlib, sys; importlib.import_module(sys.argv[1]); from vgitest import docs; "
            "sys.stdout.write(docs.faults_md())")
    pages = [subprocess.run([sys.executable, "-c", code, mod], capture_output=True, text=True, check=True,
                            cwd=docs.ROOT).stdout
             for mod in ("vgitest.ocpp.station.catalog_v201", "vgitest.ocpp.station.catalog_v16")]
    assert pages[0] == pages[1]
    from vgitest.faults import FaultCatalog
    cat = FaultCatalog("X")
    cat.fault("f", "in one", version="1", tests=("t",), rule="R")
    cat.fault("f", "in two", version="2", tests=("t",), rule="R")
    assert (cat.faults["f"].describe("1"), cat.faults["f"].describe("2")) == ("in one", "in two")
