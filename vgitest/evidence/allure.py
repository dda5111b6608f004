"""Allure glue that costs nothing without `--alluredir`: allure-pytest only records when it is active."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator

try:
    import allure
    from allure_commons.types import AttachmentType
except ImportError:  # allure-pytest is a dependency, but the library must work without it
    allure = None  # type: ignore[assignment]
    AttachmentType = None  # type: ignore[assignment,misc]

PCAPNG = "application/vnd.tcpdump.pcap"


class StepOutcome:
    """How a step's exchange ended, when that is not an exception of the caller's: a push the device refused or
    left unanswered fails its step in the report while the caller, which judges it, carries on."""

    def __init__(self) -> None:
        self.failure: str | None = None

    def failed(self, why: str) -> None:
        self.failure = why


class _StepFailed(AssertionError):
    """Raised inside a step only to close it as failed (allure reads an AssertionError as failed, anything else
    as broken); never leaves `step`."""


@contextlib.contextmanager
def step(title: str) -> Iterator[StepOutcome]:
    """An Allure step around the block; an exception from the block fails (assertion) or breaks (other) it, and
    `outcome.failed(why)` fails it without raising to the caller."""
    outcome = StepOutcome()
    if allure is None:
        yield outcome
        return
    try:
        with allure.step(title):
            yield outcome
            if outcome.failure is not None:
                raise _StepFailed(outcome.failure)
    except _StepFailed as exc:
        if exc.args[:1] != (outcome.failure,):
            raise


def attach_json(obj: Any, name: str) -> None:
    if allure is not None:
        allure.attach(json.dumps(obj, indent=2, ensure_ascii=False, default=str), name=name,
                      attachment_type=AttachmentType.JSON)


def attach_text(text: str, name: str) -> None:
    if allure is not None:
        allure.attach(text, name=name, attachment_type=AttachmentType.TEXT)


def attach_frames(frames: list[Any], name: str) -> None:
    """The frames of one exchange inside its step (when it was sent or received, its body as the wire carried it,
    and the rules it broke), so a reader sees each exchange where it happened, not only in the whole trace."""
    if allure is None or not frames:
        return
    out = []
    for f in frames:
        raw = f.raw.decode("utf-8", "replace") if isinstance(f.raw, (bytes, bytearray)) else str(f.raw)
        item = {"at": f.timestamp, "direction": "device -> harness" if f.direction.name == "IN"
                else "harness -> device", "kind": f.kind, "name": f.name, "size": f.size,
                "message": raw[:20000], "broke": [x.rule_id for x in f.findings]}
        if f.direction.name == "IN":  # how an HTTP answer ended: its status, or why there was none
            if isinstance(f.meta.get("status"), int):
                item["http_status"] = f.meta["status"]
            if f.meta.get("error"):
                item["error"] = str(f.meta["error"])
        out.append(item)
    attach_json(out, name)


def attach_file(path: Path, name: str, kind: str) -> None:
    if allure is None or not path.is_file():
        return
    types = {"json": AttachmentType.JSON, "text": AttachmentType.TEXT, "svg": AttachmentType.SVG}
    if kind == "pcapng":
        allure.attach.file(str(path), name=name, attachment_type=PCAPNG, extension="pcapng")
    elif kind == "jsonl":
        allure.attach.file(str(path), name=name, attachment_type="application/x-ndjson", extension="jsonl")
    else:
        allure.attach.file(str(path), name=name, attachment_type=types.get(kind, AttachmentType.TEXT))


def label(protocol: str, version: str, feature: str | None, case_id: str | None, verdict: str,
          run: str | None = None) -> None:
    """The case's place in the report. Suites tree: run (the DUT) > protocol version > functional block > case,
    so two DUTs (or two profiles of one) run into one results folder stay apart; Behaviors tree: protocol
    version > functional block > case id."""
    if allure is None:
        return
    epic = f"{protocol.upper()} {version}".strip()
    allure.dynamic.epic(epic)
    if run:
        allure.dynamic.parent_suite(run)
        allure.dynamic.suite(epic)
        if feature:
            allure.dynamic.sub_suite(feature)
    else:
        allure.dynamic.parent_suite(epic)
        if feature:
            allure.dynamic.suite(feature)
    if feature:
        allure.dynamic.feature(feature)
    if case_id:
        allure.dynamic.story(case_id)
        allure.dynamic.id(case_id)
        allure.dynamic.testcase(case_id, name=case_id)  # --allure-link-pattern tms:<url>/{} makes it a link
    allure.dynamic.label("verdict", verdict)
    allure.dynamic.tag(f"verdict:{verdict}")


def run_parameter(run_name: str) -> None:
    """Name the DUT run as a test parameter: Allure keys a test's history on its parameters, so the same test run
    under several profiles (an EV and an EVSE run, four OpenADR runs) stays several results, not one and retries."""
    if allure is not None and run_name:
        allure.dynamic.parameter("run", run_name)
