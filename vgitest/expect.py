"""Waiting for what the device sends, the same way for every request/response peer (the fake CSMS, VTN and
2030.5 server): one `match` semantics, one session base with the cursor, `expect`, `expect_none`,
`answer_to`, per-test overrides and forbidden messages, and an Allure step per wait.

What a "message" is stays the peer's: an OCPP action from one station identity, an OpenADR payload, an HTTP
method on a path. A peer's session says which frames are the one wanted (a predicate), who sends them (for
messages) and what was received instead; this module does the waiting, the consuming and the verdicts."""

from __future__ import annotations

from typing import Any, Callable

from .evidence.allure import attach_frames, step
from .findings import Finding
from .session import Verdicts
from .trace import Direction, Frame, Trace
from .verdict import NonConformance
from .waits import waiting

Match = dict | list | Callable[[Any], bool] | None
LOOK_BACK = 2000  # frames before an answer where its request is looked for (they are seldom far apart)


def matches(body: Any, match: Any) -> bool:
    """Whether a decoded message body has what `match` asks for (the ``match=`` of every ``expect``):

    - a callable: its answer for the body (an exception counts as no);
    - a dict: the body is a dict holding every key of `match`, each value matching, recursively (other
      keys of the body do not matter);
    - a list: the body is a list of the same length whose items match item by item, in order;
    - anything else: equal to the body.

    Against a list in the body, a dict or a plain value matches when one of the list's items does. A decoded
    XML element that repeats is a list and one that occurs once is not, so ``{"optID": "X"}`` reads the same
    for both; in JSON (OCPP) a list is always a list, and a list is matched by a list.
    """
    if callable(match):
        try:
            return bool(match(body))
        except Exception:
            return False
    if isinstance(match, list):
        return isinstance(body, list) and len(body) == len(match) and all(matches(b, m) for b, m in zip(body, match))
    if isinstance(body, list):
        return any(matches(item, match) for item in body)
    if isinstance(match, dict):
        return isinstance(body, dict) and all(k in body and matches(body[k], v) for k, v in match.items())
    return body == match


def summary(names: Any) -> str:
    """'oadrPoll ×12, oadrUpdateReport ×2' in order of first appearance."""
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return ", ".join(f"{n} ×{c}" if c > 1 else n for n, c in counts.items())


def exchange_of(trace: Trace, answer: Frame, since: int) -> list[Frame]:
    """The frames of one exchange, for its step: its request (the last frame before `answer` with its correlation,
    sent the other way, from trace index `since` on) and `answer`."""
    sent = [f for f in trace.since(since) if f.direction is not answer.direction
            and f.correlation == answer.correlation and f.index < answer.index]
    return [*sent[-1:], answer]


class PeerSession(Verdicts):
    """The test-facing session of a request/response peer (`peer`: the fake, whose `trace` it reads).
    Subclasses set `expected_rule` and `forbidden_rule` (their protocol's ids) and `who` (the sender, for
    messages); their own `expect(...)` builds the predicate and calls `_expect`.

    The cursor: waits search from it (the end of the last expected frame, or the start of the test's body), so
    a message that came just before the wait is still found; a wait consumes the frame it returns."""

    expected_rule = ""
    forbidden_rule = ""
    who = "the device"

    def _init_session(self, peer: Any) -> None:
        self._peer = peer
        self.cursor = 0
        self.overrides: dict[Any, tuple[Any, bool]] = {}  # message -> (answer, once)
        self.forbidden: dict[Any, str] = {}  # message -> why
        self._shown = 0  # background exchanges that ended before trace index _shown have their steps
        self._shown_answers: set[int] = set()  # answers whose exchange a wait gave its step already

    @property
    def _trace(self) -> Trace:  # type: ignore[override]
        return self._peer.trace

    # per-test behaviour -----------------------------------------------------------------------------------
    def _reset_session(self) -> None:
        self.overrides.clear()
        self.forbidden.clear()
        self.cursor = self._shown = len(self._trace)
        self._shown_answers.clear()

    def override(self, message: Any, answer: Any, *, once: bool = False) -> None:
        """Answer `message` with `answer` instead of the default (`once`: for its next occurrence only)."""
        self.overrides[message] = (answer, once)

    def clear_override(self, message: Any) -> None:
        self.overrides.pop(message, None)

    def forbid(self, message: Any, reason: str = "") -> None:
        """`message` from the device is a finding (the forbidden rule) until `allow(message)`."""
        self.forbidden[message] = reason

    def allow(self, message: Any) -> None:
        self.forbidden.pop(message, None)

    def _take_override(self, message: Any) -> tuple[bool, Any]:
        """(True, the answer) when a test overrides `message` (a once-only override is used up), else
        (False, None)."""
        found = self.overrides.get(message)
        if found is None:
            return False, None
        if found[1]:
            self.overrides.pop(message, None)
        return True, found[0]

    # exchanges the harness starts from its loop ---------------------------------------------------------
    background = False  # the peer sends requests of its own from its loop (pushes, notifications)

    def _background_answer(self, frame: Frame) -> bool:
        """Whether `frame` ends an exchange the harness started from its loop (the device's answer, or the frame
        saying none came). Peers with `background` say which."""
        return False

    def _background_step(self, request: Frame | None, answer: Frame) -> tuple[str, str | None]:
        """The step title of such an exchange (its request, None when not found, and its answer) and why it failed
        (None: it did not)."""
        return "exchange", None

    def shown(self, answer: Frame) -> None:
        """`answer`'s exchange has its step already (made by the wait that returned it)."""
        self._shown_answers.add(answer.index)

    def show_background(self) -> None:
        """One step for each exchange the harness started from its loop that ended since the last call, made in
        the test's thread (Allure keeps its steps per thread, so the loop cannot open them): called by the waits
        of the test thread and at the end of the test's body."""
        if not self.background:
            return
        end = len(self._trace)
        ended = [f for f in self._trace.since(self._shown)
                 if f.index < end and f.index not in self._shown_answers and self._background_answer(f)]
        self._shown = end
        self._shown_answers = {i for i in self._shown_answers if i >= end}
        for answer in ended:
            frames = exchange_of(self._trace, answer, answer.index - LOOK_BACK)  # sent in this test or before
            title, failure = self._background_step(frames[0] if len(frames) > 1 else None, frames[-1])
            with step(title) as outcome:
                attach_frames(frames, "request and answer")
                if failure is not None:
                    outcome.failed(failure)

    # waiting --------------------------------------------------------------------------------------------
    def _start(self, fresh: bool = False, since: int | None = None) -> int:
        """Where a wait searches from: the end of the trace (`fresh`), `since`, or the cursor."""
        return len(self._trace) if fresh else (self.cursor if since is None else since)

    def _expect(self, what: str, wanted: Callable[[Frame], bool], timeout: float, match: Match, *, start: int,
                received: Callable[[int], str], rule: str | None = None) -> Frame:
        """The first frame from `start` on that is `wanted` (within `timeout` s); consumes it. On timeout a
        finding (`rule`, default `expected_rule`) on the trace, saying what was `received` instead, and
        NonConformance."""
        desc = f" matching {match!r}" if match is not None and not callable(match) else ""
        self.show_background()
        with step(f"expect {what} from {self.who}{desc}"), waiting(f"{what} from {self.who}", timeout):
            frame = self._trace.wait_for(wanted, start, timeout)
            if frame is not None:
                attach_frames([frame], "the frame")
        self.show_background()
        if frame is None:
            text = (f"expected {what}{desc} from {self.who} within {timeout:g} s; "
                    f"received {received(start) or 'nothing'}")
            finding = Finding.of(rule or self.expected_rule, text, expected=what)
            self._trace.add_finding(finding)
            raise NonConformance(text, [finding])
        self.cursor = max(self.cursor, frame.index + 1)
        return frame

    def _expect_none(self, what: str, wanted: Callable[[Frame], bool], within: float) -> None:
        """Fail (`forbidden_rule`, on the frame) if a `wanted` frame arrives within `within` s from now."""
        self.show_background()
        with step(f"expect no {what} from {self.who} for {within:g} s"), \
                waiting(f"no {what} from {self.who} (quiet period)", within):
            frame = self._trace.wait_for(wanted, len(self._trace), within)
            if frame is not None:
                attach_frames([frame], "the forbidden frame")
        self.show_background()
        if frame is not None:
            self.fail(self.forbidden_rule, f"{frame.name} was sent although the scenario forbids it for {within:g} s",
                      frame)

    def answer_to(self, request: Frame, timeout: float = 5.0) -> Frame | None:
        """The peer's answer frame to a request of the device (None if none within `timeout` s)."""
        return self._trace.wait_for(lambda f: f.direction is Direction.OUT and f.correlation == request.correlation,
                                    request.index, timeout)
