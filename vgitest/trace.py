"""The trace: every frame the peers exchanged, in order, with socket timestamps and wire sizes.

Nothing the DUT sends is ever dropped: a frame that fails to decode is kept with its raw bytes and the
findings that explain why. A trace is append-only and shared by the peer's thread (writer) and the test
thread (reader); tests look at the slice since they started (:meth:`Trace.since`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .findings import Finding


class Direction(enum.Enum):
    IN = "dut->harness"
    OUT = "harness->dut"

    @property
    def arrow(self) -> str:
        return "->" if self is Direction.IN else "<-"


@dataclasses.dataclass
class Frame:
    """One message (or connection event) as seen at the socket."""

    t_ns: int  # time.monotonic_ns() taken at the socket
    wall: float  # time.time() at the same moment, for humans and exports
    direction: Direction
    protocol: str  # "ocpp", "openadr", "sep2", "iso15118", ...
    version: str  # negotiated version, e.g. "1.6", "2.0.1"
    connection: str  # connection id (station identity + connection counter)
    kind: str  # protocol message type, e.g. CALL / CALLRESULT / CALLERROR / MALFORMED / OPEN / CLOSE
    name: str | None = None  # message name (action)
    correlation: str | None = None  # id that pairs a request and its response
    raw: bytes = b""
    body: Any = None
    findings: list[Finding] = dataclasses.field(default_factory=list)
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)
    index: int = -1

    @property
    def size(self) -> int:
        """Size of the message on the wire (application payload bytes, without transport framing)."""
        return len(self.raw)

    @property
    def timestamp(self) -> str:
        return _dt.datetime.fromtimestamp(self.wall, _dt.timezone.utc).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z")

    @property
    def is_event(self) -> bool:
        return self.kind in ("OPEN", "CLOSE")

    def to_dict(self) -> dict[str, Any]:
        """The native (protocol-neutral) record: what `frames.jsonl` holds."""
        try:
            raw_text: str | None = self.raw.decode("utf-8")
        except UnicodeDecodeError:
            raw_text = None
        d: dict[str, Any] = {
            "index": self.index, "t_ns": self.t_ns, "timestamp": self.timestamp,
            "direction": self.direction.value, "protocol": self.protocol, "version": self.version,
            "connection": self.connection, "kind": self.kind, "name": self.name,
            "correlation": self.correlation, "size": self.size,
        }
        if raw_text is not None:
            d["raw"] = raw_text
        else:
            d["raw_hex"] = self.raw.hex()
        if self.body is not None:
            d["body"] = self.body
        if self.findings:
            d["findings"] = [f.to_dict() for f in self.findings]
        if self.meta:
            d["meta"] = self.meta
        return d


def now() -> tuple[int, float]:
    """A socket timestamp: monotonic ns for latency, wall clock for display."""
    return time.monotonic_ns(), time.time()


class Trace:
    """Append-only, thread-safe list of frames with waiting and query helpers."""

    def __init__(self) -> None:
        self._frames: list[Frame] = []
        self._cond = threading.Condition()
        self.findings: list[Finding] = []  # findings not tied to one frame (timing, sequence)

    def append(self, frame: Frame) -> Frame:
        with self._cond:
            frame.index = len(self._frames)
            self._frames.append(frame)
            self._cond.notify_all()
        return frame

    def add_finding(self, finding: Finding) -> None:
        with self._cond:
            if finding.frame_index is None and finding.at is None:
                finding.at = len(self._frames)  # so it belongs to the test during which it was made, and no other
            self.findings.append(finding)
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, i: int) -> Frame:
        return self._frames[i]

    def __iter__(self) -> Iterator[Frame]:
        return iter(list(self._frames))

    def since(self, start: int) -> list[Frame]:
        with self._cond:
            return self._frames[start:]

    def mark(self) -> tuple[int, int]:
        """Where a test starts: (frames so far, trace-level findings so far)."""
        with self._cond:
            return len(self._frames), len(self.findings)

    def findings_since(self, start: int, findings_start: int | None = None) -> list[Finding]:
        """Every finding on frames from `start` on, plus the trace-level findings made since the mark
        `findings_start` (without a mark: those pointing at frame `start` or later, or made after it)."""
        with self._cond:
            out = [f for fr in self._frames[start:] for f in fr.findings]
            if findings_start is not None:
                out += [f for f in self.findings[findings_start:] if f.frame_index is None or f.frame_index >= start]
            else:
                out += [f for f in self.findings
                        if (f.frame_index if f.frame_index is not None else (f.at or 0)) >= start]
        return out

    def wait_for(self, predicate: Callable[[Frame], bool], start: int, timeout: float) -> Frame | None:
        """Block until a frame at index >= start satisfies `predicate`; None on timeout."""
        deadline = time.monotonic() + timeout
        pos = start
        with self._cond:
            while True:
                while pos < len(self._frames):
                    fr = self._frames[pos]
                    pos += 1
                    if predicate(fr):
                        return fr
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    @staticmethod
    def latency_ms(request: Frame, response: Frame) -> float:
        return (response.t_ns - request.t_ns) / 1e6
