"""The expected-verdict table machinery: a table must be fit for review, and a changed verdict must show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.oracle import EXPECTED, Table, compare, keyword

GOOD = '''
oracle = "an implementation"
suite = "suites/x"
reviewed = "2026-12-06: checked by hand"
[[case]]
test = "test_a"
verdict = "PASS"
slice = true
[[case]]
test = "test_b"
verdict = "FAIL"
rules = ["R-2", "R-1"]
clause = "Part 4 §4.2: the station must answer"
'''


def table(tmp_path: Path, text: str) -> Table:
    (tmp_path / "t.toml").write_text(text)
    return Table.load("t", tmp_path)


def result(test: str, verdict: str, *rules: str, severity: str = "fail") -> dict:
    return {"test": test, "verdict": verdict, "findings": [{"rule": r, "severity": severity} for r in rules]}


def test_a_matching_run_has_no_differences(tmp_path: Path) -> None:
    t = table(tmp_path, GOOD)
    assert t.cases["test_b"].rules == ("R-1", "R-2")
    assert [e.test for e in t.selected(full=False)] == ["test_a"]
    assert compare(t, [result("test_a", "PASS"), result("test_b", "FAIL", "R-1", "R-2", "R-1")],
                   ["test_a", "test_b"]) == []


def test_a_changed_verdict_or_rule_or_a_new_case_is_a_difference(tmp_path: Path) -> None:
    t = table(tmp_path, GOOD)
    diff = compare(t, [result("test_a", "FAIL", "R-9"), result("test_b", "FAIL", "R-1"), result("test_c", "PASS")],
                   ["test_a", "test_b"])
    assert len(diff) == 3
    assert diff[0].startswith("test_a: expected PASS")
    assert diff[1].startswith("test_b: expected FAIL ['R-1', 'R-2'], got FAIL ['R-1']")
    assert "test_c: ran (PASS) but has no reviewed verdict" in diff[2]
    assert compare(t, [], ["test_a"]) == ["test_a: expected PASS, but the run has no result for it"]


def test_info_findings_do_not_count_as_rules(tmp_path: Path) -> None:
    t = table(tmp_path, GOOD)
    assert compare(t, [result("test_b", "FAIL", "R-1", "R-2"), result("test_a", "PASS", "I-1", severity="info")],
                   ["test_a", "test_b"]) == []


@pytest.mark.parametrize("bad, why", [
    ('[[case]]\ntest = "test_x"\nverdict = "FAIL"\nrules = ["R"]\n', "needs the clause"),
    ('[[case]]\ntest = "test_x"\nverdict = "NON_STRICT"\nclause = "c"\n', "needs the rule ids"),
    ('[[case]]\ntest = "test_x"\nverdict = "ERROR"\nclause = "c"\n', "never an expected verdict"),
    ('[[case]]\ntest = "test_x"\nverdict = "OK"\n', "unknown verdict"),
    ('[[case]]\ntest = "test_x"\nverdict = "PASS"\n[[case]]\ntest = "test_x"\nverdict = "PASS"\n', "twice"),
])
def test_a_table_unfit_for_review_is_refused(tmp_path: Path, bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        table(tmp_path, 'oracle = "o"\nsuite = "s"\nreviewed = "r"\n' + bad)


def test_a_reviewed_second_verdict_is_accepted_and_nothing_else(tmp_path: Path) -> None:
    t = table(tmp_path, GOOD + '''
[[case]]
test = "test_c"
verdict = "FAIL"
rules = ["PERF"]
clause = "the response time limit"
also = [{verdict = "PASS"}]
varies = "the device answers around the limit"
''')
    assert compare(t, [result("test_c", "PASS")], ["test_c"]) == []
    assert compare(t, [result("test_c", "FAIL", "PERF")], ["test_c"]) == []
    assert len(compare(t, [result("test_c", "FAIL", "OTHER")], ["test_c"])) == 1
    assert len(compare(t, [result("test_c", "INCONCLUSIVE")], ["test_c"])) == 1
    with pytest.raises(ValueError, match="needs `varies`"):
        table(tmp_path, GOOD.replace('slice = true', 'slice = true\nalso = [{verdict = "FAIL", rules = ["X"]}]'))


def test_keyword_selects_exactly_the_named_tests() -> None:
    assert keyword(["test_b", "test_a", "test_a"]) == "test_a or test_b"


def test_every_checked_in_table_is_fit_for_review() -> None:
    for path in sorted(EXPECTED.glob("*.toml")):
        Table.load(path.stem)  # raises with every problem
