"""docs/catalog.md: every official OCPP charging-station test case per version, and whether a suite implements it.

The ids come from `vgitest/ocpp/catalog_ids.py`; the status is read from the suites' `vgi_case("<id>", ...)`
markers (an AST scan, as `adapterdocs` does, so no suite is imported), never kept by hand. A marker whose id is
not a string literal is refused: the catalog would silently miss it.
"""

from __future__ import annotations

import ast
import collections
from pathlib import Path

from .ocpp.catalog_ids import OWN_PREFIX, SOURCES, VERSIONS, OfficialCase, catalog, is_official_looking

ROOT = Path(__file__).resolve().parent.parent
# suite folder (its fuzz twin too) -> the OCPP version whose catalog it implements
SUITE_VERSION = {"ocpp16": "1.6", "ocpp201": "2.0.1", "ocpp21": "2.1"}


class CatalogError(ValueError):
    """A suite marker the catalog cannot read."""


def _marker_id(dec: ast.expr, where: str) -> str | None:
    if isinstance(dec, ast.Call) and ast.unparse(dec.func).endswith("vgi_case"):
        if dec.args and isinstance(dec.args[0], ast.Constant) and isinstance(dec.args[0].value, str):
            return dec.args[0].value
        raise CatalogError(f"{where}: vgi_case needs its id as a string literal, got {ast.unparse(dec)}")
    return None


def scan_file(path: Path, root: Path = ROOT) -> list[tuple[str, str]]:
    """(case id, `file::test`) for every test in `path` that carries a vgi_case marker."""
    rel = path.relative_to(root).as_posix()
    out = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}::{node.name}"
                for dec in node.decorator_list:
                    case = _marker_id(dec, f"{rel}:{dec.lineno}")
                    if case is not None:
                        out.append((case, name))
                if isinstance(node, ast.ClassDef):
                    visit(node.body, name)

    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    visit(tree.body, rel)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func).endswith("vgi_case")]
    if len(calls) != len(out):  # a module-level pytestmark or a pytest.param(marks=...) the scan would not see
        raise CatalogError(f"{rel}: {len(calls)} vgi_case markers, {len(out)} of them on a test function or class; "
                           "put each on its test as a decorator")
    return out


def _protocol_versions(call: ast.expr) -> tuple[str, ...] | None:
    """The versions of a `vgi_protocol("ocpp", "2.0.1", "2.1")` marker, None for any other expression."""
    if isinstance(call, ast.Call) and ast.unparse(call.func).endswith("vgi_protocol"):
        return tuple(a.value for a in call.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return None


def case_versions(path: Path) -> dict[str, tuple[str, ...]]:
    """test name -> the versions its vgi_protocol marker names (a test's own marker over its module's
    `pytestmark`); tests without one are absent (the folder's version applies). A case of the 2.0.1 suite that
    holds unchanged in 2.1 says so there, and counts for both versions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    module: tuple[str, ...] | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            module = _protocol_versions(node.value)
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            own = [v for v in map(_protocol_versions, node.decorator_list) if v is not None]
            versions = own[0] if own else module
            if versions:
                out[node.name] = versions
    return out


def suite_folders(root: Path = ROOT) -> dict[Path, str]:
    """Each OCPP suite folder (fuzz suites included) -> its version."""
    out = {}
    for folder in sorted((root / "suites").iterdir()):
        base = folder.name.removesuffix("_fuzz")
        if folder.is_dir() and base in SUITE_VERSION:
            out[folder] = SUITE_VERSION[base]
    return out


def declared(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """version -> case id -> the suite tests that declare it."""
    found: dict[str, dict[str, list[str]]] = {v: collections.defaultdict(list) for v in VERSIONS}
    for folder, version in suite_folders(root).items():
        for path in sorted(folder.rglob("*.py")):
            versions = case_versions(path)
            for case, test in scan_file(path, root):
                for v in versions.get(test.rsplit("::", 1)[-1], (version,)):
                    found[v][case].append(test)
    return found


def unknown_ids(found: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """version -> ids shaped like official ones that are not charging-station cases of that version (a typo, or
    a case of another version or of the CSMS)."""
    out = {}
    for version, cases in found.items():
        known = {c.id for c in catalog(version) if c.charging_station}
        bad = sorted(i for i in cases if is_official_looking(i) and i not in known)
        if bad:
            out[version] = bad
    return out


def other_ids(found: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """version -> ids that are neither shaped like official ones nor our own TC_VGI_ ones (e.g. `TC_B_1_CS`)."""
    out = {}
    for version, cases in found.items():
        bad = sorted(i for i in cases if not i.startswith(OWN_PREFIX) and not is_official_looking(i))
        if bad:
            out[version] = bad
    return out


def _tests(tests: list[str]) -> str:
    return "<br>".join(f"`{t}`" for t in tests)


def _status(case: OfficialCase, found: dict[str, list[str]]) -> tuple[str, str]:
    if case.not_applicable:
        return "n/a", case.not_applicable
    if case.id in found:
        return "implemented", _tests(found[case.id])
    return "not yet", ""


def _count(cases: list[OfficialCase], found: dict[str, list[str]]) -> tuple[int, int]:
    cs = [c for c in cases if c.charging_station]
    return sum(c.id in found for c in cs), len(cs)


def _summary(version: str, cases: list[OfficialCase], found: dict[str, list[str]]) -> list[str]:
    done, total = _count(cases, found)
    lines = [f"**Implemented {done} of {total} charging-station cases.**"]
    if version == "2.0.1":
        def share(profile: str, level: str) -> str:
            d, t = _count([c for c in cases if c.profile == profile and c.level == level], found)
            return f"{d}/{t}"

        starred = ", ".join(f"`{c.id}`" for c in cases if c.level == "C*")
        lines += ["", f"- Core mandatory: {share('Core', 'M')}; Core conditional: {share('Core', 'C')}, plus "
                  f"{share('Core', 'C*')} of the Core case(s) whose charging-station column holds a feature condition "
                  f"instead of M or C ({starred}, shown as `C*`).",
                  f"- Advanced Security mandatory: {share('Advanced Security', 'M')}; conditional: "
                  f"{share('Advanced Security', 'C')}.",
                  f"- The {sum(not c.charging_station for c in cases)} rows marked n/a are Part 5 rows whose "
                  "charging-station column is empty: only the CSMS is tested there, so they are not counted."]
    return lines


def _version_md(version: str, found: dict[str, list[str]]) -> list[str]:
    cases = catalog(version)
    lines = [f"## OCPP {version}", "", *_summary(version, cases, found), "", f"Source of the ids: {SOURCES[version]}.",
             ""]
    if version == "2.0.1":
        lines += ["Missing from this list: the profiles Local Authorization List Management, Smart Charging, "
                  "Advanced Device Management, Reservation, Advanced User Interface and ISO 15118 support. The "
                  "Part 5 edition used (2023-06-30) says their lists come in a later version, so their cases "
                  "(blocks D, H, I, O and most of K and N) are not counted here. Part 5 Edition 4 (2025-12-03) lists "
                  "every profile; its per-case split was not available to us, so it is not used.", ""]
    if version == "2.1":
        lines += ["No Mandatory/Conditional split: without a 2.1 Part 5 there is none to give.", ""]
    by_block: dict[tuple[str, str], list[OfficialCase]] = collections.defaultdict(list)
    for c in cases:
        by_block[(c.block, c.block_title)].append(c)
    for (block, title), rows in by_block.items():
        done, total = _count(rows, found)
        label = f"Module {block}" if version == "1.6" else f"Block {block}"
        lines += [f"### {label}: {title} ({done}/{total})", ""]
        if version == "2.0.1":
            lines += ["| id | profile | M/C | status | suite test / reason |", "|---|---|---|---|---|"]
        else:
            lines += ["| id | status | suite test |", "|---|---|---|"]
        for c in rows:
            status, detail = _status(c, found)
            if version == "2.0.1":
                lines.append(f"| `{c.id}` | {c.profile} | {c.level or '–'} | {status} | {detail} |")
            else:
                lines.append(f"| `{c.id}` | {status} | {detail} |")
        lines.append("")
    return lines


def catalog_md(root: Path = ROOT) -> str:
    found = declared(root)
    lines = ["# OCPP test-case catalog: what the suites implement", "",
             "Every official charging-station test-case id per OCPP version, with its status: **implemented** (and "
             "the suite test", "that declares it with `@pytest.mark.vgi_case`), **n/a** (the case does not test a "
             "charging station; the reason is", "given) or **not yet**. Generated by `python -m vgitest.docs` from "
             "`vgitest/ocpp/catalog_ids.py` (the ids, and where", "they come from) and the suites' markers; "
             "`tests/ocpp/test_catalog_ids.py` fails when a suite declares an official-looking id", "that is not in "
             "the list. Only ids and their grouping are kept; block and module labels are our own words.", "",
             "| version | charging-station cases | implemented | not yet |", "|---|---|---|---|"]
    for version in VERSIONS:
        done, total = _count(catalog(version), found[version])
        lines.append(f"| {version} | {total} | {done} | {total - done} |")
    lines.append("")
    for version in VERSIONS:
        lines += _version_md(version, found[version])
    lines += ["## Cases of our own and unknown ids", "",
              f"Our own cases are named `{OWN_PREFIX}*`; they test what no official case does and are not counted "
              "above.", "", "| version | own case | suite test |", "|---|---|---|"]
    for version in VERSIONS:
        for case in sorted(i for i in found[version] if i.startswith(OWN_PREFIX)):
            lines.append(f"| {version} | `{case}` | {_tests(found[version][case])} |")
    def listed(ids: dict[str, list[str]]) -> str:
        return "; ".join(f"{v}: " + ", ".join(f"`{i}`" for i in bad) for v, bad in ids.items()) or "none"

    lines += ["", "Ids declared by a suite that look official but are not charging-station cases of its version "
              f"(must be none): {listed(unknown_ids(found))}.",
              f"Ids of neither shape, official or `{OWN_PREFIX}*` (must be none): {listed(other_ids(found))}.", ""]
    return "\n".join(lines)
