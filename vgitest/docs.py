"""Generate the reference tables in docs/ from the code: rule ids, the fault catalog, the PIXIT keys,
the DUT adapter actions and the OCPP test-case catalog.

`python -m vgitest.docs` rewrites them; a test fails when they are out of date, so the docs always say
what the code checks.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rules_md() -> str:
    from .findings import register_all
    RULES = register_all()
    lines = ["# Rule ids", "", "Every finding names one of these stable ids. Severity `fail` is a MUST (verdict FAIL),",
             "`warn` a SHOULD (NON_STRICT; FAIL with `--vgi-strict`), `info` is reported only.",
             "A rule judges only frames of the protocol versions it names (`*`: every version).",
             "References name sections and requirement ids only.", "",
             "| rule id | severity | versions | what it means | reference |", "|---|---|---|---|---|"]
    for r in RULES.all():
        versions = ", ".join(r.versions) if r.versions else "(undeclared)"
        lines.append(f"| `{r.id}` | {r.severity.value} | {versions} | {r.title} | {r.ref} |")
    return "\n".join(lines) + "\n"


def faults_md() -> str:
    from .faults import all_catalogs
    lines = ["# Fault catalog of the reference simulators", "",
             "Each fault is a deliberate defect of a reference simulator. The catching test must fail with the rule",
             "id shown; `tests/test_fault_matrix.py` runs every row (`vgitest faults` lists them too).", "",
             "| fault | what the simulator does wrong | protocol | caught by | rule id |", "|---|---|---|---|---|"]
    for cat in all_catalogs():
        for f in sorted(cat.faults.values(), key=lambda x: x.name):
            for version, d in sorted(f.detections, key=lambda x: (x[0], x[1].profile or "")):
                strict = " (with `--vgi-strict`)" if d.strict else ""
                strict += f" (profile `{d.profile}`)" if d.profile else ""
                lines.append(f"| `{f.name}` | {f.describe(version)} | {cat.protocol} {version} | "
                             f"{', '.join(f'`{t}`' for t in d.tests)} | `{d.rule}`{strict} |")
    return "\n".join(lines) + "\n"


def pixit_md() -> str:
    from .pixit import markdown
    return markdown()


def adapters_md() -> str:
    from .adapterdocs import markdown
    return markdown()


def catalog_md() -> str:
    from .catalogdocs import catalog_md as markdown
    return markdown()


def pics_md() -> str:
    from .picsdocs import pics_md as markdown
    return markdown()


def csip_aus_md() -> str:
    from .sep2.cactus.docs import markdown
    return markdown()


GENERATED = {"docs/rules.md": rules_md, "docs/faults.md": faults_md, "docs/pixit.md": pixit_md,
             "docs/adapters.md": adapters_md, "docs/pics.md": pics_md,
             "docs/catalog.md": catalog_md, "docs/csip-aus.md": csip_aus_md}


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for rel, fn in GENERATED.items():
        path = ROOT / rel
        text = fn()
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {rel}")
    if stale:
        print("out of date (run `python -m vgitest.docs`): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
