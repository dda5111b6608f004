"""docs/pics.md: every PICS feature the suites read, what a device declares with it, and the cases it selects.

The cases are read from the suites themselves (their `vgi_case(..., requires=...)` markers, collected by pytest)
and from the places the harness asks `profile.supports(...)`, so the page always says what the code does.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _declared() -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, str]]:
    """What the protocol packages declare (protocol.py): suite titles, (protocol, feature) -> meaning, and each
    suite's protocol. Ids of certification profiles and of optional features are facts; the meanings are ours."""
    from .peer import kinds
    titles = {suite: title for k in kinds() for suite, title in k.suites.items()}
    meanings = {(k.protocol, feature): text for k in kinds() for feature, text in k.pics.items()}
    return titles, meanings, {suite: k.protocol for k in kinds() for suite in k.suites}


SUITE_TITLES, MEANINGS, PROTOCOL = _declared()


def collect_requires() -> dict[tuple[str, str], list[str]]:
    """(suite folder, feature as written, '!X' = needs X absent) -> case ids, from the suites' markers."""
    import pytest

    found: dict[tuple[str, str], list[str]] = collections.defaultdict(list)

    class Collector:
        def pytest_collection_modifyitems(self, items: list) -> None:
            for item in items:
                marker = item.get_closest_marker("vgi_case")
                if marker is not None:
                    for req in marker.kwargs.get("requires", ()):
                        found[(item.path.parent.name, req)].append(marker.args[0])

    with contextlib.redirect_stdout(io.StringIO()):  # the collection's own listing is not the page's business
        pytest.main([str(ROOT / "suites"), "--collect-only", "-qq", "-p", "no:cacheprovider"],
                    plugins=[Collector()])
    return found


def supports_calls() -> dict[str, list[str]]:
    """Feature -> the files that ask `profile.supports(feature)` outside the markers."""
    out: dict[str, list[str]] = collections.defaultdict(list)
    for path in sorted([*ROOT.glob("suites/**/*.py"), *ROOT.glob("vgitest/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "supports" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                name = node.args[0].value
                if name[:1].isupper() or name.startswith("C-"):
                    rel = str(path.relative_to(ROOT))
                    if rel not in out[name]:
                        out[name].append(rel)
    return out


def pics_md() -> str:
    requires = collect_requires()
    elsewhere = supports_calls()
    lines = ["# PICS: what a device declares, and the cases each feature selects", "",
             "A profile's `[pics]` table declares what the device supports (`Feature = true`). A case that needs a",
             "feature the profile does not declare is NOT_APPLICABLE with the reason; `!Feature` means the case needs "
             "the", "feature *absent* (e.g. the behaviour a station without SummaryInventory must show). Generated from "
             "the suites", "by `python -m vgitest.docs`.", ""]
    for suite, title in SUITE_TITLES.items():
        rows = sorted({f.lstrip("!") for s, f in requires if s == suite})
        if not rows:
            continue
        lines += [f"## {title} (`suites/{suite}`)", "", "| feature | what the device declares | cases that need it | "
                  "cases that need it absent |", "|---|---|---|---|"]
        for feature in rows:
            need = sorted(set(requires.get((suite, feature), ())))
            absent = sorted(set(requires.get((suite, "!" + feature), ())))
            meaning = MEANINGS.get((PROTOCOL[suite], feature), "")
            lines.append(f"| `{feature}` | {meaning} | {_cases(need)} | {_cases(absent)} |")
        lines.append("")
    extra = {f: files for f, files in elsewhere.items()
             if not any(f == feat.lstrip("!") for _, feat in requires)}
    if extra:
        lines += ["## Features read elsewhere", "", "Features the harness reads with `profile.supports(...)` that no "
                  "case marker names:", "", "| feature | what the device declares | read in |", "|---|---|---|"]
        for feature, files in sorted(extra.items()):
            meaning = next((m for (p, f), m in MEANINGS.items() if f == feature), "")
            lines.append(f"| `{feature}` | {meaning} | {', '.join(f'`{x}`' for x in files)} |")
        lines.append("")
    unread = declared_but_unread(requires, elsewhere)
    if unread:
        lines += ["## Declared in the shipped profiles, read by no case yet", "",
                  "The example profiles declare these for the record (a certification profile, a capability); no "
                  "case or", "check reads them today, so their value changes no verdict.", "",
                  "| feature | what the device declares | declared in |", "|---|---|---|"]
        for feature, files in sorted(unread.items()):
            meaning = next((m for (p, f), m in MEANINGS.items() if f == feature), "")
            lines.append(f"| `{feature}` | {meaning} | {', '.join(f'`{x}`' for x in files)} |")
        lines.append("")
    return "\n".join(lines)


def declared_but_unread(requires: dict[tuple[str, str], list[str]], elsewhere: dict[str, list[str]]
                        ) -> dict[str, list[str]]:
    """PICS keys the shipped profiles declare that no case marker and no `supports(...)` call reads."""
    import tomllib
    read = {f.lstrip("!") for _, f in requires} | set(elsewhere)
    out: dict[str, list[str]] = collections.defaultdict(list)
    for path in sorted(ROOT.glob("profiles/*.toml")):
        with path.open("rb") as fh:
            pics = tomllib.load(fh).get("pics", {})
        for feature in pics:
            if feature not in read:
                out[feature].append(str(path.relative_to(ROOT)))
    return out


def _cases(ids: list[str]) -> str:
    if not ids:
        return ""
    if len(ids) > 12:
        return f"{len(ids)} cases ({', '.join(ids[:6])}, ...)"
    return ", ".join(ids)
