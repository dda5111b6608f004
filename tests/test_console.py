"""The console's closing table of `vgitest run` and the line of one case (the plugin's own console is exercised
end to end in tests/plugin/test_verdicts.py)."""

from __future__ import annotations

from vgitest.evidence.console import VerdictConsole, console_line, summary_table


def test_summary_table_counts_each_verdict_per_run() -> None:
    lines = summary_table([("ocpp201-sp2", 0, {"PASS": 36, "NOT_APPLICABLE": 3}, 18.2),
                           ("csip-aus", 1, {"PASS": 60, "FAIL": 2, "NON_STRICT": 1}, 280.0),
                           ("slac-ev", -9, {}, 3.0)])
    head, _, sp2, aus, slac, total = lines
    assert head.split() == ["run", "exit", "PASS", "NON_STRICT", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE", "time"]
    assert sp2.split() == ["ocpp201-sp2", "0", "36", "0", "0", "0", "3", "18", "s"]
    assert aus.split() == ["csip-aus", "1", "60", "1", "2", "0", "0", "280", "s"]
    assert slac.split()[:3] == ["slac-ev", "-9", "(SIGKILL)"] and slac.split()[3:8] == ["-"] * 5
    assert total.split() == ["all", "96", "1", "2", "0", "3", "301", "s"]
    assert "ERROR" not in head  # a column only when some run has that verdict


def test_a_case_line_names_the_rules_or_the_reason() -> None:
    fail = console_line({"verdict": "FAIL", "case": "TC_P_04", "test": "test_body_fails", "duration_s": 0.12,
                         "findings": [{"rule": "B-RULE", "severity": "fail"}, {"rule": "A-RULE", "severity": "fail"},
                                      {"rule": "INFO-ONLY", "severity": "info"}], "message": "x"})
    assert VerdictConsole.format(fail, 4, 12) == "[ 4/12] FAIL           TC_P_04 (test_body_fails)  0.1 s  A-RULE,B-RULE"
    na = console_line({"verdict": "NOT_APPLICABLE", "case": "TC_A_07_CS", "test": "test_TC_A_07_CS",
                       "duration_s": 0.0, "findings": [], "message": "NOT_APPLICABLE: needs profile 3\nmore"})
    assert VerdictConsole.format(na, 2, 9) == "[2/9] NOT_APPLICABLE TC_A_07_CS  0.0 s  needs profile 3"
    ok = console_line({"verdict": "PASS", "case": None, "test": "test_x", "duration_s": 1.0, "findings": [],
                       "message": "PASS: fine"})
    assert VerdictConsole.format(ok, 1, 1) == "[1/1] PASS           test_x  1.0 s"
