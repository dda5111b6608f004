"""JUnit XML that says what the verdicts say.

pytest's JUnit writer files every exception raised in a test's body as ``<failure>``, and in its set-up as
``<error>``. A verdict is one of FAIL (a product defect: ``<failure>``), INCONCLUSIVE or ERROR (the case could
not judge the device, or the harness failed: ``<error>``, wherever it was raised), NOT_APPLICABLE
(``<skipped>``) or a passing one; each test case also carries its verdict as the property ``verdict``. This
rewrites the file once pytest has written it so that the element and the property always agree.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

NOT_A_FAILURE = ("inconclusive", "error")


def align_with_verdicts(path: Path) -> int:
    """Turn the ``<failure>`` of a case whose verdict is INCONCLUSIVE or ERROR into ``<error>``; returns how many
    changed. A file that is missing or not JUnit XML is left alone."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return 0
    changed = 0
    for suite in tree.getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            props = {p.get("name"): p.get("value") for p in case.iter("property")}
            failure = case.find("failure")
            if failure is None or props.get("verdict") not in NOT_A_FAILURE:
                continue
            failure.tag = "error"
            failure.set("message", f"{props['verdict'].upper()}: {failure.get('message', '')}")
            changed += 1
            suite.set("failures", str(int(suite.get("failures", "0")) - 1))
            suite.set("errors", str(int(suite.get("errors", "0")) + 1))
    if changed:
        tmp = path.with_name(path.name + ".tmp")
        tree.write(tmp, encoding="utf-8", xml_declaration=True)
        tmp.replace(path)
    return changed
