"""The OCPP catalog (docs/catalog.md) counts what it claims: the id lists reproduce the totals their sources
publish, every id a suite declares that looks official is in its version's list (a typo guard), and the status
comes from the suites' markers, not from a hand-kept column."""

from __future__ import annotations

from pathlib import Path

import pytest

from vgitest import catalogdocs
from vgitest.ocpp import catalog_ids as ci

def _cs(version: str) -> list[ci.OfficialCase]:
    return [c for c in ci.catalog(version) if c.charging_station]


def test_lists_reproduce_the_published_totals() -> None:
    assert ci.count_problems() == []
    assert (len(_cs("1.6")), len(_cs("2.0.1")), len(_cs("2.1"))) == (107, 230, 578)  # 2.0.1: Part 6's TC_*_CS ids
    assert ci.PUBLISHED["2.0.1 Core M"] == 104 and ci.PUBLISHED["2.0.1 Core C"] == 119


def test_the_count_check_sees_a_dropped_or_misfiled_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ci.V21_BLOCKS, "A", "01 04-07 09-12 14 15 19-22")  # TC_A_23_CS lost
    monkeypatch.setitem(ci.V201_PROFILES["Core"]["J"], "M", "01 02 03 07 09")  # TC_J_10_CS lost ...
    monkeypatch.setitem(ci.V201_PROFILES["Core"]["J"], "C", "04 06 08 10 11")  # ... and filed as conditional
    assert sorted(ci.count_problems()) == ["2.0.1 Core C block J: 5 ids, published 4",
                                           "2.0.1 Core C: 120 ids, published 119",
                                           "2.0.1 Core M block J: 5 ids, published 6",
                                           "2.0.1 Core M: 103 ids, published 104",
                                           "2.1 block A: 15 ids, published 16", "2.1: 577 ids, published 578"]
    monkeypatch.setitem(ci.V201_PROFILES["Core"]["C"], "M", "03")  # Core block C has no mandatory case
    assert "2.0.1 Core M: ids in block C, which publishes none" in ci.count_problems()


@pytest.mark.parametrize("version", ci.VERSIONS)
def test_ids_are_unique_and_official_looking(version: str) -> None:
    ids = [c.id for c in ci.catalog(version)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not ci.is_official_looking(i)] == []
    assert all(c.not_applicable == ci.CSMS_ONLY and c.id.endswith("_CSMS") for c in ci.catalog(version)
               if not c.charging_station)


def test_shape_check_tells_official_from_own_and_malformed() -> None:
    assert ci.is_official_looking("TC_004_1_CS") and ci.is_official_looking("TC_K_136_CS")
    assert not ci.is_official_looking("TC_VGI_RPC_01_CS")
    assert not ci.is_official_looking("TC_B01_CS")  # not an OCTT shape: listed under "another shape" instead


def test_no_suite_declares_an_id_missing_from_the_list() -> None:
    found = catalogdocs.declared()
    assert catalogdocs.unknown_ids(found) == {}, (
        "a suite declares an official-looking id that is not a charging-station case of its version: a typo, or "
        "a real id the lists lack (e.g. a 2.0.1 profile the 2023 Part 5 gives no list for); then add it to "
        "vgitest/ocpp/catalog_ids.py with its source")
    assert catalogdocs.other_ids(found) == {}, f"name own cases {ci.OWN_PREFIX}*, official ones as OCTT does"


def _suite(root: Path, folder: str, body: str) -> None:
    path = root / "suites" / folder / "test_x.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("import pytest\n\n" + body, encoding="utf-8")


def test_the_typo_guard_catches_what_it_forbids(tmp_path: Path) -> None:
    _suite(tmp_path, "ocpp201", '@pytest.mark.vgi_case("TC_B_99_CS")\ndef test_a(): ...\n\n'
                                '@pytest.mark.vgi_case("TC_001_CS")\ndef test_b(): ...\n\n'
                                '@pytest.mark.vgi_case("TC_A_02_CSMS")\ndef test_c(): ...\n\n'
                                '@pytest.mark.vgi_case("TC_B_01_CS")\ndef test_d(): ...\n\n'
                                '@pytest.mark.vgi_case("TC_VGI_X_01_CS")\ndef test_e(): ...\n')
    _suite(tmp_path, "ocpp16_fuzz", 'class TestT:\n'
                                    '    @pytest.mark.vgi_case("TC_999_CS")\n    def test_f(self): ...\n\n'
                                    '    @pytest.mark.vgi_case("TC_B_1_CS")\n    def test_g(self): ...\n')
    found = catalogdocs.declared(tmp_path)
    assert catalogdocs.unknown_ids(found) == {"2.0.1": ["TC_001_CS", "TC_A_02_CSMS", "TC_B_99_CS"],
                                              "1.6": ["TC_999_CS"]}
    assert catalogdocs.other_ids(found) == {"1.6": ["TC_B_1_CS"]}
    assert found["1.6"]["TC_999_CS"] == ["suites/ocpp16_fuzz/test_x.py::TestT::test_f"]
    text = catalogdocs.catalog_md(tmp_path)
    assert "(must be none): 1.6: `TC_999_CS`" in text


def test_a_marker_without_a_literal_id_is_refused(tmp_path: Path) -> None:
    _suite(tmp_path, "ocpp16", 'CASE = "TC_001_CS"\n\n@pytest.mark.vgi_case(CASE)\ndef test_a(): ...\n')
    with pytest.raises(catalogdocs.CatalogError, match="string literal"):
        catalogdocs.declared(tmp_path)


@pytest.mark.parametrize("body", ['pytestmark = pytest.mark.vgi_case("TC_001_CS")\n\ndef test_a(): ...\n',
                                  '@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.vgi_case('
                                  '"TC_002_CS"))])\ndef test_a(x): ...\n'])
def test_a_marker_the_scan_cannot_place_is_refused(tmp_path: Path, body: str) -> None:
    _suite(tmp_path, "ocpp16", body)
    with pytest.raises(catalogdocs.CatalogError, match="put each on its test"):
        catalogdocs.declared(tmp_path)


def test_status_follows_the_markers(tmp_path: Path) -> None:
    (tmp_path / "suites").mkdir()
    before = catalogdocs.catalog_md(tmp_path)
    assert "| `TC_001_CS` | not yet |  |" in before and "| 1.6 | 107 | 0 | 107 |" in before
    _suite(tmp_path, "ocpp16", '@pytest.mark.vgi_case("TC_001_CS", feature="Boot")\ndef test_boot(): ...\n')
    after = catalogdocs.catalog_md(tmp_path)
    assert "| `TC_001_CS` | implemented | `suites/ocpp16/test_x.py::test_boot` |" in after
    assert "| 1.6 | 107 | 1 | 106 |" in after and "**Implemented 1 of 107 charging-station cases.**" in after
    _suite(tmp_path, "ocpp201", '@pytest.mark.vgi_case("TC_E_28_CS")\ndef test_tx(): ...\n')
    assert "Core mandatory: 1/104; Core conditional: 0/119" in catalogdocs.catalog_md(tmp_path)


def test_a_case_counts_for_every_version_its_marker_names(tmp_path: Path) -> None:
    """A 2.0.1 case marked for 2.1 too counts in both catalogs; a test's own marker overrides its module's; a
    case without any marker counts for its folder's version only."""
    _suite(tmp_path, "ocpp201", 'pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")\n\n'
                                '@pytest.mark.vgi_case("TC_B_01_CS")\ndef test_a(): ...\n\n'
                                '@pytest.mark.vgi_protocol("ocpp", "2.0.1")\n'
                                '@pytest.mark.vgi_case("TC_A_22_CS")\ndef test_b(): ...\n')
    _suite(tmp_path, "ocpp21", '@pytest.mark.vgi_case("TC_Q_100_CS")\ndef test_c(): ...\n')
    found = catalogdocs.declared(tmp_path)
    assert found["2.0.1"]["TC_B_01_CS"] == found["2.1"]["TC_B_01_CS"] == ["suites/ocpp201/test_x.py::test_a"]
    assert "TC_A_22_CS" in found["2.0.1"] and "TC_A_22_CS" not in found["2.1"]
    assert "TC_Q_100_CS" in found["2.1"] and "TC_Q_100_CS" not in found["2.0.1"]
