"""The trace: every frame the peers exchanged, in order, with socket timestamps and wire sizes.

Nothing the DUT sends is ever dropped: a frame that fails to decode is kept with its raw bytes and the
findings that explain why. A trace is append-only and shared by the peer's thread (writer) and the test
thread (reader); tests look at the slice since they started (:meth:`Trace.since`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from . import gcpolicy
from .findings import Finding


class Direction(enum.Enum):
    IN = "dut->harness"
    OUT = "harness->dut"

    @property
    def arrow(self) -> str:
        return "->" if self is Direction.IN else "<-"


@dataclasses.dataclass(slots=True)
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
        return int(self.meta.get("raw_size", len(self.raw)))

    @property
    def timestamp(self) -> str:
        return iso_ms(self.wall)

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


_last_second: tuple[int, str] = (-1, "")  # the last whole second formatted (frames come many a second); one
# tuple, replaced whole, so that threads formatting at once never pair a second with another's text


def iso_ms(wall: float) -> str:
    """`wall` as ISO 8601 UTC with milliseconds ("2026-12-07T21:30:00.123Z"), as datetime.fromtimestamp and
    isoformat(timespec="milliseconds") give it (microseconds rounded half to even, then cut to milliseconds),
    at a fraction of their cost: a fleet's spill formats two a message."""
    global _last_second
    frac, whole = math.modf(wall)
    us = round(frac * 1e6)
    if us >= 1_000_000:
        whole, us = whole + 1, us - 1_000_000
    elif us < 0:  # before 1970
        whole, us = whole - 1, us + 1_000_000
    sec = int(whole)
    last = _last_second
    if last[0] != sec:
        last = _last_second = (sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)))
    return f"{last[1]}.{us // 1000:03d}Z"


def now() -> tuple[int, float]:
    """A socket timestamp: monotonic ns for latency, wall clock for display."""
    return time.monotonic_ns(), time.time()


# A day-long soak must not keep every frame in memory (issue 13). Frames of finished tests (before the last
# `mark`) beyond the most recent KEEP_FRAMES are released, once RELEASE_AT frames are held, and appended to
# `spill_path` (JSON lines) when one is set. A conformance run of a few thousand frames releases nothing.
KEEP_FRAMES = 20_000
RELEASE_AT = 50_000
# A fleet's single long test (issue 19): once the running test itself holds HOLD_MAX frames and released frames
# have a spill file, its own oldest frames go there too (down to KEEP_FRAMES). Their findings stay in memory, so
# the verdict still sees every one; `since` and `wait_for` see the frames still held.
HOLD_MAX = 50_000
# From this many frames held on, the garbage collector runs at a large heap's pace (see gcpolicy).
LARGE_TRACE = 10_000
# Raw bytes kept per frame: a 100 MiB body would otherwise stay in memory; `size` still reports the wire size.
MAX_RAW = 1 << 20  # as large as the biggest body the HTTP peers decode (codec.DEFAULT_MAX_BODY)


def cap_raw(frame: Frame, limit: int = MAX_RAW) -> None:
    """Keep a bounded prefix of the frame's raw bytes, with the full length and a note in `meta`."""
    if len(frame.raw) > limit:
        frame.meta["raw_size"] = len(frame.raw)
        frame.meta["raw_note"] = f"only the first {limit} of {len(frame.raw)} bytes are kept"
        frame.raw = bytes(frame.raw[:limit])


# Disk the spill file may take: at the limit it becomes <name>.1.jsonl (replacing the previous one) and a new file
# starts, so a day at full rate keeps at most twice this. Frames of finished tests are in their own evidence too.
SPILL_MAX_MB_DEFAULT = 1024
# Released batches waiting for the spill thread. A fleet at full rate can release frames faster than the thread
# encodes them (both share the GIL); beyond this backlog `append` waits for the thread, so memory stays bounded and
# the harness slows down (visible in its own latency) instead of holding every frame it could not write yet.
SPILL_BACKLOG = 2
SPILL_WRITE = 500  # frames encoded, then written, at a time


class _Spiller:
    """Writes released frames to the spill file in a thread of its own: encoding 30,000 frames took ~0.2 s, and
    done inside `append` it stalled the fake peer's event loop (a latency the device would be blamed for)."""

    def __init__(self, path: Any) -> None:
        import os
        import queue
        self.path = path
        self.max_bytes = int(float(os.environ.get("VGITEST_SPILL_MAX_MB", SPILL_MAX_MB_DEFAULT)) * 2 ** 20)
        self._queue: queue.Queue[list[Frame]] = queue.Queue(maxsize=SPILL_BACKLOG)
        threading.Thread(target=self._run, name="vgitest-spill", daemon=True).start()
        import atexit
        atexit.register(self.flush, 60.0)  # a run that ends normally writes every released frame

    def put(self, frames: list[Frame]) -> None:
        self._queue.put(frames)

    def flush(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < end:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def _run(self) -> None:
        import json
        import pathlib
        while True:
            frames = self._queue.get()
            try:
                path = pathlib.Path(self.path)
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() and path.stat().st_size >= self.max_bytes:  # bounded disk: keep the newest two
                    path.replace(path.with_name(f"{path.stem}.1{path.suffix}"))
                encode = json.JSONEncoder(default=str).encode  # one for the batch (json.dumps makes one a frame)
                with open(path, "ab") as out:
                    for at in range(0, len(frames), SPILL_WRITE):  # a write per line cost a third as much again;
                        lines = []  # a write per batch held its 30,000 lines at once
                        for fr in frames[at:at + SPILL_WRITE]:
                            try:
                                lines.append(spill_line(fr, encode))
                            except (RecursionError, ValueError):  # a body nested beyond json's reach: its bytes
                                lines.append((json.dumps({"index": fr.index, "raw_hex": fr.raw.hex()}) + "\n")
                                             .encode())
                        out.write(b"".join(lines))
            except OSError:
                pass  # a full disk must not stop the run: the per-test evidence is written separately
            finally:
                self._queue.task_done()


_ORJSON = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS


def spill_line(fr: Frame, encode: Callable[[Any], str]) -> bytes:
    """One released frame as a JSON line (`Frame.to_dict`, as `frames.jsonl` holds it). orjson writes it: a fleet
    spills two frames an exchange, and json's encoder took a quarter of the fake CSMS's CPU under load. What
    orjson cannot write (an integer beyond 64 bits, a lone surrogate, nesting beyond 254) goes through `encode`.
    orjson writes NaN as null (json writes a NaN token, which is not JSON)."""
    d = fr.to_dict()
    try:
        return orjson.dumps(d, default=str, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError
        return (encode(d) + "\n").encode("utf-8", "surrogatepass")


class Trace:
    """Append-only, thread-safe list of frames with waiting and query helpers. Indices are global: released
    frames keep their numbers (``len`` counts them), they are just no longer in memory."""

    def __init__(self, *, keep_frames: int = KEEP_FRAMES, release_at: int = RELEASE_AT,
                 hold_max: int = HOLD_MAX) -> None:
        self._frames: list[Frame] = []
        self._base = 0  # index of self._frames[0]: frames before it were released
        self._pin = 0  # the start of the running test (last `mark`): released only beyond hold_max, when spilled
        self.keep_frames, self.release_at = keep_frames, max(release_at, keep_frames)
        self.hold_max = max(hold_max, self.release_at)
        self._released_findings: list[Finding] = []  # findings on released frames of the running test
        self.spill_path: Any = None  # a path: released frames are appended there as JSON lines
        self._spiller: _Spiller | None = None
        self._cond = threading.Condition()
        self.findings: list[Finding] = []  # findings not tied to one frame (timing, sequence)
        self._large = False  # this trace has held LARGE_TRACE frames (gcpolicy)

    @property
    def released(self) -> int:
        """How many frames from the start are no longer in memory."""
        return self._base

    def append(self, frame: Frame) -> Frame:
        cap_raw(frame)
        with self._cond:
            frame.index = self._base + len(self._frames)
            self._frames.append(frame)
            held = len(self._frames)
            if held >= LARGE_TRACE and not self._large:
                self._large = True
                gcpolicy.hold(self)
            if held >= self.release_at:
                end = self._base + held
                before = min(self._pin, end - self.keep_frames)
                if before <= self._base and held >= self.hold_max and self.spill_path is not None:
                    before = end - self.keep_frames  # the running test's own oldest frames (spilled)
                self._release(before)
            self._cond.notify_all()
        return frame

    def _release(self, before: int) -> None:
        n = before - self._base
        if n <= 0:
            return
        gone, self._frames = self._frames[:n], self._frames[n:]
        if before > self._pin:  # frames of the running test: their findings still count for its verdict
            self._released_findings += [f for fr in gone[max(0, self._pin - self._base):] for f in fr.findings]
        self._base = before
        if self.spill_path is not None:
            if self._spiller is None or self._spiller.path != self.spill_path:
                self._spiller = _Spiller(self.spill_path)
            self._spiller.put(gone)

    def flush_spill(self, timeout: float = 60.0) -> bool:
        """Wait until every released frame is in the spill file (before reading it, or at the end of a run)."""
        return self._spiller is None or self._spiller.flush(timeout)

    def add_finding(self, finding: Finding) -> None:
        with self._cond:
            if finding.frame_index is None and finding.at is None:
                finding.at = len(self)  # so it belongs to the test during which it was made, and no other
            self.findings.append(finding)
            self._cond.notify_all()

    def __len__(self) -> int:
        return self._base + len(self._frames)

    def __getitem__(self, i: int) -> Frame:
        if i < 0:
            return self._frames[i]
        if i < self._base:
            raise IndexError(f"frame {i} was released from memory (spilled: {self.spill_path})")
        return self._frames[i - self._base]

    def __iter__(self) -> Iterator[Frame]:
        return iter(list(self._frames))

    def since(self, start: int) -> list[Frame]:
        with self._cond:
            return self._frames[max(0, start - self._base):]

    def mark(self, *, test_start: bool = False) -> tuple[int, int]:
        """Where a test (or a part of it) starts: (frames so far, trace-level findings so far). With `test_start`,
        frames before it belong to finished tests and may be released (without one nothing ever is)."""
        with self._cond:
            if test_start:
                self._pin = len(self)
                self._released_findings = []
            return len(self), len(self.findings)

    def findings_since(self, start: int, findings_start: int | None = None) -> list[Finding]:
        """Every finding on frames from `start` on, plus the trace-level findings made since the mark
        `findings_start` (without a mark: those pointing at frame `start` or later, or made after it)."""
        with self._cond:
            out = [f for f in self._released_findings if f.frame_index is None or f.frame_index >= start]
            out += [f for fr in self._frames[max(0, start - self._base):] for f in fr.findings]
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
                pos = max(pos, self._base)
                while pos < len(self):
                    fr = self._frames[pos - self._base]
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
