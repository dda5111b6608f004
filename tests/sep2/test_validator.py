"""Sep2Validator: 2018 by default, 2023 or CSIP-AUS on request; each schema defect is one SEP2-SCHEMA finding
naming the element with 2030.5 names; schemas load offline from the wheel's or a user's folder."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from lxml import etree

from vgitest import upstream
from vgitest.findings import Severity
from vgitest.sep2 import codec, rules, schemas
from vgitest.sep2.validator import Sep2Validator

from .payloads import CSIP_AUS_DER_CONTROL, DER_CONTROL, END_DEVICE, MRID, RESOURCES, RESPONSE

pytestmark = pytest.mark.usefixtures("sep2_schema_dir")


@pytest.fixture(scope="module")
def validator() -> Sep2Validator:
    return Sep2Validator()


def doc(name: str, body: dict) -> etree._Element:
    return codec.decode(codec.encode(name, body)).doc


def only(found: list) -> object:  # noqa: ANN001
    assert len(found) == 1, [str(f) for f in found]
    return found[0]


def test_defaults(validator: Sep2Validator) -> None:
    assert (validator.version, validator.csip_aus, validator.lenient) == ("2018", False, False)
    assert validator.entry.name == "sep2_schema_2018.xsd"
    assert validator.is_valid(doc("EndDevice", END_DEVICE))
    assert validator.is_valid(doc("EndDevice", END_DEVICE).getroottree())


def test_missing_required_element_names_its_parent(validator: Sep2Validator) -> None:
    body = {k: v for k, v in END_DEVICE.items() if k != "sFDI"}
    f = only(validator.validate(doc("EndDevice", body), frame_index=4))
    assert f.rule_id == rules.SCHEMA == "SEP2-SCHEMA" and f.severity is Severity.FAIL and f.frame_index == 4
    assert f.details["path"] == "/EndDevice/changedTime"
    assert f.message == ("/EndDevice/changedTime: changedTime is not allowed here; expected one of "
                         "LoadShedAvailabilityListLink, LogEventListLink, PowerStatusLink, sFDI")
    assert "This element is not expected" in f.details["xsd_message"] and f.details["line"] == 2
    assert f.ref.startswith("IEEE 2030.5-2018")


def test_wrong_order_and_bad_values_have_paths(validator: Sep2Validator) -> None:
    swapped = {k: v for k, v in DER_CONTROL.items() if k != "interval"} | {"interval": DER_CONTROL["interval"]}
    f = only(validator.validate(doc("DERControl", swapped)))
    assert f.details["path"] == "/DERControl/DERControlBase" and "expected interval" in f.message

    bad = {**RESPONSE, "endDeviceLFDI": "XYZ"}
    f = only(validator.validate(doc("Response", bad)))
    assert f.details["path"] == "/Response/endDeviceLFDI" and "'XYZ' is not a valid" in f.message

    dup = {**RESOURCES["MirrorUsagePoint"]}
    dup["MirrorMeterReading"] = [dict(r) for r in dup["MirrorMeterReading"]]
    dup["MirrorMeterReading"][1]["Reading"] = {"value": "not-a-number"}
    f = only(validator.validate(doc("MirrorUsagePoint", dup)))
    assert f.details["path"] == "/MirrorUsagePoint/MirrorMeterReading[2]/Reading/value"

    attr = {**END_DEVICE, "DERListLink": {"@href": "/edev/3/der", "@all": "many"}}
    f = only(validator.validate(doc("EndDevice", attr)))
    assert f.details["path"] == "/EndDevice/DERListLink/@all" and "'many' is not a valid" in f.message


def test_no_namespace_and_unknown_root(validator: Sep2Validator) -> None:
    f = only(validator.validate(codec.decode(b"<EndDevice><sFDI>1</sFDI><changedTime>0</changedTime></EndDevice>").doc))
    assert f.message == ("/{}EndDevice: EndDevice is not an element the IEEE 2030.5-2018 schema accepts as a "
                         "document root")


def test_lenient_reports_warnings(sep2_schema_dir: Path) -> None:
    lenient = Sep2Validator(lenient=True)
    f = only(lenient.validate(doc("Response", {**RESPONSE, "status": "300"})))
    assert f.severity is Severity.WARN and f.details["path"] == "/Response/status"


DEFAULT_RESPONSE = {**RESPONSE, "defaultsResponded": "00000001", "modesResponded": "00000001",
                    "modesResponded2": "00000001"}


def test_version_selection_2018_vs_2023() -> None:
    v2023 = Sep2Validator("2023")
    assert v2023.entry.name == "sep2_schema_2023.xsd"
    payload = doc("DefaultDERControlResponse", DEFAULT_RESPONSE)  # a resource 2030.5-2023 added
    assert v2023.validate(payload) == []
    f = only(Sep2Validator("2018").validate(payload))
    assert "not an element the IEEE 2030.5-2018 schema accepts as a document root" in f.message
    for name, body in RESOURCES.items():  # the CSIP resources are the same in both
        assert v2023.validate(doc(name, body)) == [], name
    with pytest.raises(ValueError, match="unknown IEEE 2030.5 schema version"):
        Sep2Validator("2013")


def test_csip_aus_extension_validates_only_with_csip_aus() -> None:
    aus = Sep2Validator(csip_aus=True)
    assert aus.entry.name == "csipaus-core.xsd" and "CSIP-AUS" in aus.schema_label
    payload = doc("DERControl", CSIP_AUS_DER_CONTROL)
    assert aus.validate(payload) == []
    f = only(Sep2Validator().validate(payload))
    assert f.details["path"] == "/DERControl/DERControlBase/csipaus:opModExpLimW"
    for name, body in RESOURCES.items():
        assert aus.validate(doc(name, body)) == [], name
    wrong = {**CSIP_AUS_DER_CONTROL, "DERControlBase": {"csipaus:opModExpLimW": {"multiplier": "3", "value": "x"}}}
    f = only(aus.validate(doc("DERControl", wrong)))
    assert f.details["path"] == "/DERControl/DERControlBase/csipaus:opModExpLimW/value"
    with pytest.raises(ValueError, match="extends IEEE 2030.5-2018"):
        Sep2Validator("2023", csip_aus=True)


def test_csip_aus_files_as_published_point_at_sep_xsd(sep2_schema_copy: Path, tmp_path: Path) -> None:
    """The CSIP-AUS working group's XSDs import and redefine ``sep.xsd``: served by the 2018 file."""
    for name in ("csipaus-core.xsd", "csipaus-ext.xsd"):
        p = sep2_schema_copy / name
        p.write_text(p.read_text().replace('schemaLocation="sep2_schema_2018.xsd"', 'schemaLocation="sep.xsd"'))
        assert 'schemaLocation="sep.xsd"' in p.read_text()
    aus = Sep2Validator(csip_aus=True, schema_path=sep2_schema_copy)
    assert aus.validate(doc("DERControl", CSIP_AUS_DER_CONTROL)) == []
    assert only(aus.validate(doc("Response", {**RESPONSE, "status": "x"}))).details["path"] == "/Response/status"

    ieee = tmp_path / "ieee"  # IEEE's own file name, with the published CSIP-AUS files
    ieee.mkdir()
    shutil.copy(sep2_schema_copy / "sep2_schema_2018.xsd", ieee / "sep.xsd")
    for name in ("csipaus-core.xsd", "csipaus-ext.xsd"):
        shutil.copy(sep2_schema_copy / name, ieee / name)
    assert Sep2Validator(schema_path=ieee).entry.name == "sep.xsd"
    assert Sep2Validator(csip_aus=True, schema_path=ieee).validate(doc("DERControl", CSIP_AUS_DER_CONTROL)) == []


def test_remote_schema_locations_are_refused_not_fetched(sep2_schema_copy: Path) -> None:
    core = sep2_schema_copy / "csipaus-core.xsd"
    core.write_text(core.read_text().replace('schemaLocation="csipaus-ext.xsd"',
                                             'schemaLocation="http://127.0.0.1:9/nowhere/other-ext.xsd"'))
    with pytest.raises(upstream.UpstreamError, match="never fetches .*other-ext.xsd"):
        Sep2Validator(csip_aus=True, schema_path=sep2_schema_copy)
    core.write_text(core.read_text().replace("http://127.0.0.1:9/nowhere/other-ext.xsd",
                                             "https://csipaus.org/schemas/csipaus-ext.xsd"))
    assert Sep2Validator(csip_aus=True, schema_path=sep2_schema_copy).is_valid(doc("DERControl", CSIP_AUS_DER_CONTROL))


def test_missing_schema_says_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(upstream.UpstreamError, match="VGITEST_SEP2_SCHEMAS"):
        Sep2Validator(schema_path=tmp_path)
    monkeypatch.setenv("VGITEST_SEP2_SCHEMAS", str(tmp_path / "absent"))
    with pytest.raises(upstream.UpstreamError, match="VGITEST_SEP2_SCHEMAS"):
        Sep2Validator()
    (tmp_path / "sep2_schema_2018.xsd").write_text("<not-a-schema/>")
    with pytest.raises(upstream.UpstreamError, match="cannot compile"):
        Sep2Validator(schema_path=tmp_path)


def test_env_var_folder_is_used(sep2_schema_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (sep2_schema_copy / "sep2_schema_2023.xsd").unlink()
    monkeypatch.setenv("VGITEST_SEP2_SCHEMAS", str(sep2_schema_copy))
    assert Sep2Validator().entry == (sep2_schema_copy / "sep2_schema_2018.xsd").resolve()
    with pytest.raises(upstream.UpstreamError, match="has no sep2_schema_2023.xsd"):
        Sep2Validator("2023")
    assert schemas.load_schema(path=sep2_schema_copy) is schemas.load_schema(path=sep2_schema_copy)


def test_a_shared_validator_gives_each_thread_its_own_errors(validator: Sep2Validator) -> None:
    good = doc("Response", RESPONSE)
    bad = doc("Response", {**RESPONSE, "subject": MRID + "ZZ"})
    counts: list[tuple[int, int]] = []

    def work() -> None:
        for _ in range(200):
            counts.append((len(validator.validate(good)), len(validator.validate(bad))))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(counts) == {(0, 1)}
