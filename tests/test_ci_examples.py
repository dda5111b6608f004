"""The CI examples in examples/ci: valid YAML with the keys each CI system needs, a gate that is the exit code of a
real `vgitest run`, JUnit published and the Allure results and evidence bundle kept even when the gate fails, and
every vgitest command line they call accepted by the CLI's own parser (no network, nothing run)."""

from __future__ import annotations

import contextlib
import io
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from vgitest.cli import build_parser
from vgitest.peer import reference_runs

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "ci"
GITHUB = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"


def vgitest_commands(script: str) -> list[list[str]]:
    """The `vgitest ...` command lines of a shell script (continuation lines joined, comments dropped)."""
    out = []
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words and Path(words[0]).name == "vgitest":
            out.append(words[1:])
    return out


def command_problem(argv: list[str]) -> str | None:
    """Why the CLI would refuse `vgitest <argv>` (its argparse parser, and the built-in run names `run --only`
    checks itself), or None."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = build_parser().parse_args(argv)
    except SystemExit:
        return err.getvalue().strip().splitlines()[-1]
    if getattr(args, "only", None):
        unknown = set(args.only) - {r.name for r in reference_runs()}
        if unknown:
            return f"unknown built-in run(s): {', '.join(sorted(unknown))}"
    return None


def github_problems(doc: Any) -> list[str]:
    """What a GitHub Actions workflow lacks: a trigger, jobs with runs-on and steps, each step a `run` or a `uses`."""
    if not isinstance(doc, dict):
        return ["not a mapping"]
    problems = []
    if "on" not in doc and True not in doc:  # YAML 1.1 reads a bare `on` key as true
        problems.append("no `on` trigger")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        return problems + ["no jobs"]
    for name, job in jobs.items():
        if not isinstance(job, dict) or "runs-on" not in job:
            problems.append(f"job {name}: no runs-on")
            continue
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(f"job {name}: no steps")
            continue
        for i, step in enumerate(steps):
            if not isinstance(step, dict) or ("run" in step) == ("uses" in step):
                problems.append(f"job {name} step {i}: needs exactly one of run, uses")
    return problems


def gitlab_problems(doc: Any) -> list[str]:
    """What a GitLab CI file lacks: stages, and jobs whose stage is one of them with a script and artifacts."""
    if not isinstance(doc, dict):
        return ["not a mapping"]
    stages = doc.get("stages")
    if not isinstance(stages, list) or not stages:
        return ["no stages"]
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and not k.startswith(".") and "script" in v}
    if not jobs:
        return ["no job with a script"]
    problems = []
    for name, job in jobs.items():
        if job.get("stage") not in stages:
            problems.append(f"job {name}: stage {job.get('stage')!r} is not in stages")
        if not isinstance(job["script"], list) or not all(isinstance(s, str) for s in job["script"]):
            problems.append(f"job {name}: script is not a list of commands")
        if not isinstance(job.get("artifacts"), dict):
            problems.append(f"job {name}: no artifacts")
    return problems


def _github() -> dict[str, Any]:
    return yaml.safe_load(GITHUB.read_text(encoding="utf-8"))


def _gitlab() -> dict[str, Any]:
    return yaml.safe_load(GITLAB.read_text(encoding="utf-8"))


def _github_steps() -> list[dict[str, Any]]:
    return [s for job in _github()["jobs"].values() for s in job["steps"]]


def test_the_github_workflow_gates_on_a_vgitest_run_and_keeps_the_evidence() -> None:
    doc = _github()
    assert github_problems(doc) == []
    steps = _github_steps()
    gate = [s for s in steps if any(c[:1] == ["run"] for c in vgitest_commands(s.get("run", "")))]
    assert len(gate) == 1 and "if" not in gate[0] and not gate[0].get("continue-on-error")  # the exit code gates
    later = steps[steps.index(gate[0]) + 1:]
    uploads = {s["with"]["path"] for s in later if s.get("uses", "").startswith("actions/upload-artifact@")
               and s.get("if") == "always()"}
    assert uploads == {"reports/allure-results/", "reports/bundles/"}
    junit = [s for s in later if s.get("uses", "").startswith("mikepenz/action-junit-report@")]
    assert junit and junit[0]["if"] == "always()" and junit[0]["with"]["report_paths"] == "reports/*/junit.xml"
    assert any(c[:2] == ["report", "verify"] for s in later for c in vgitest_commands(s.get("run", "")))


def test_the_gitlab_job_gates_on_a_vgitest_run_and_keeps_the_evidence() -> None:
    doc = _gitlab()
    assert gitlab_problems(doc) == []
    job = doc["conformance"]
    commands = [c for line in job["script"] for c in vgitest_commands(line)]
    assert [c[0] for c in commands] == ["run", "report"]
    assert job["artifacts"]["when"] == "always"  # kept when the gate fails
    assert job["artifacts"]["reports"]["junit"] == "reports/*/junit.xml"
    assert {"reports/allure-results/", "reports/bundles/"} <= set(job["artifacts"]["paths"])


@pytest.mark.parametrize("example", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_every_vgitest_command_of_an_example_is_a_real_one(example: Path) -> None:
    doc = yaml.safe_load(example.read_text(encoding="utf-8"))
    scripts = ([s.get("run", "") for s in _github_steps()] if example == GITHUB
               else [line for job in doc.values() if isinstance(job, dict) for line in job.get("script", [])])
    commands = [c for script in scripts for c in vgitest_commands(script)]
    assert len(commands) >= 2
    assert [command_problem(c) for c in commands] == [None] * len(commands), commands
    run = next(c for c in commands if c[0] == "run")
    args = build_parser().parse_args(run)
    bundle = next(c for c in commands if c[:2] == ["report", "verify"])[2]
    assert args.bundle and args.only and bundle == f"{args.reports}/bundles/{args.only[0]}.zip"  # the one it wrote


def test_the_checks_reject_what_is_wrong() -> None:
    # each check above, shown failing on a bad example
    assert command_problem(["run", "--onlyy", "ocpp16-core"]) is not None
    assert command_problem(["run", "--only", "no-such-run"]) == "unknown built-in run(s): no-such-run"
    assert command_problem(["report", "verfy", "x.zip"]) is not None
    assert command_problem(["report", "verify"]) is not None  # the bundle is required
    assert command_problem(["report", "bundle", "reports", "--sing", "k.pem"]) is not None
    assert command_problem(["report", "verify", "b.zip", "--pubkey", "lab.pem"]) is None
    assert vgitest_commands("echo vgitest run\n.venv/bin/vgitest run \\\n  --only x  # gate\n") == [
        ["run", "--only", "x"]]
    good = _github()
    assert github_problems({**good, "jobs": {}}) == ["no jobs"]
    job = next(iter(good["jobs"]))
    assert github_problems({**good, "jobs": {job: {"runs-on": "ubuntu-latest", "steps": [{"name": "x"}]}}}) == [
        f"job {job} step 0: needs exactly one of run, uses"]
    assert github_problems({k: v for k, v in good.items() if k not in ("on", True)}) == ["no `on` trigger"]
    lab = _gitlab()
    assert gitlab_problems({**lab, "conformance": {**lab["conformance"], "stage": "test"}}) == [
        "job conformance: stage 'test' is not in stages"]
    assert gitlab_problems({**lab, "conformance": {k: v for k, v in lab["conformance"].items()
                                                   if k != "artifacts"}}) == ["job conformance: no artifacts"]
    assert gitlab_problems({k: v for k, v in lab.items() if k != "stages"}) == ["no stages"]
