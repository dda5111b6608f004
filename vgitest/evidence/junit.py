"""JUnit XML that says what the verdicts say.

pytest's JUnit writer files every exception raised in a test's body as ``<failure>``, and in its set-up as
``<error>``. A verdict is one of FAIL (a product defect: ``<failure>``), INCONCLUSIVE or ERROR (the case could
not judge the device, or the harness failed: ``<error>``, wherever it was raised), NOT_APPLICABLE
(``<skipped>``) or a passing one; each test case also carries its verdict as the property ``verdict``. This
rewrites the file once pytest has written it so that the element and the property always agree.

A pytest killed by a signal it cannot catch (SIGKILL) writes no JUnit at all: `junit_from_results` then writes
one from the run's results.json (written after every case), so a CI gate reading JUnit still sees every finished
case and the interrupted one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
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


def add_interrupted(path: Path, run_dir: Path) -> int:
    """pytest's JUnit lists the cases that ended; add the case a stop signal interrupted (results.json names it)
    as an ``<error>``. Returns how many were added; a file that is missing or not JUnit XML is left alone."""
    try:
        tree = ET.parse(path)
        doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, ET.ParseError):
        return 0
    stopped = [r for r in doc.get("results") or [] if r.get("interrupted")]
    suite = tree.getroot() if tree.getroot().tag == "testsuite" else tree.getroot().find("testsuite")
    if not stopped or suite is None:
        return 0
    listed = {c.get("name") for c in suite.iter("testcase")}
    added = 0
    for r in stopped:
        if r.get("test") in listed:
            continue
        _testcase(suite, r)
        added += 1
    if added:
        suite.set("errors", str(int(suite.get("errors", "0")) + added))
        suite.set("tests", str(int(suite.get("tests", "0")) + added))
        write_tree(tree, path)
    return added


def _testcase(suite: ET.Element, r: dict[str, Any]) -> str | None:
    """A <testcase> for one results.json entry; returns the counter it adds to (failures, errors, skipped)."""
    nodeid = str(r.get("nodeid") or r.get("test") or "")
    module = nodeid.partition("::")[0]
    case = ET.SubElement(suite, "testcase", classname=module.removesuffix(".py").replace("/", "."),
                         name=str(r.get("test") or nodeid), time=f"{float(r.get('duration_s') or 0):.3f}")
    props = ET.SubElement(case, "properties")
    verdict = str(r.get("verdict", "ERROR"))
    ET.SubElement(props, "property", name="verdict", value=verdict.lower().replace("_", "-"))  # Verdict.label
    if r.get("case"):
        ET.SubElement(props, "property", name="test_case", value=str(r["case"]))
    message = str(r.get("message") or "")
    rules = sorted({str(f.get("rule")) for f in r.get("findings", []) if f.get("severity") != "info"})
    if rules:
        ET.SubElement(props, "property", name="rules", value=",".join(rules))
    if verdict == "FAIL":
        ET.SubElement(case, "failure", message=message or ", ".join(rules)).text = "\n".join(rules)
        return "failures"
    if verdict in ("INCONCLUSIVE", "ERROR"):
        ET.SubElement(case, "error", message=f"{verdict}: {message}")
        return "errors"
    if verdict == "NOT_APPLICABLE":
        ET.SubElement(case, "skipped", message=message)
        return "skipped"
    return None


def write_tree(tree: ET.ElementTree, path: Path) -> None:
    """Replace `path` whole (temp file + os.replace): a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tree.write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)


def junit_from_results(run_dir: Path, path: Path) -> bool:
    """Write JUnit XML at `path` from `run_dir`/results.json (FAIL: <failure>; INCONCLUSIVE, ERROR: <error>;
    NOT_APPLICABLE: <skipped>). False, writing nothing, when there is no readable results.json."""
    try:
        doc: dict[str, Any] = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    results = list(doc.get("results") or [])
    suite = ET.Element("testsuite", name="vgitest", tests=str(len(results)))
    props = ET.SubElement(suite, "properties")
    if doc.get("interrupted"):
        ET.SubElement(props, "property", name="interrupted", value=str(doc["interrupted"].get("signal", "")))
    ET.SubElement(props, "property", name="written_by", value="vgitest from results.json (pytest wrote no JUnit)")
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    for r in results:
        kind = _testcase(suite, r)
        if kind:
            counts[kind] += 1
    for k, v in counts.items():
        suite.set(k, str(v))
    suite.set("time", f"{sum(float(r.get('duration_s') or 0) for r in results):.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    write_tree(ET.ElementTree(root), path)
    return True
