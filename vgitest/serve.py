"""`vgitest serve <peer>`: a fake peer as a long-running server, outside pytest.

A vendor exploring a device before a run, or an interop session with another implementation, needs the fake
CSMS, VTN or 2030.5 server listening, every frame checked as in a run, and the evidence kept, without writing a
driver script. The peer is built from a profile exactly as a run builds it (identity, password, security profile,
TLS, PIXIT); without a profile it is open (any identity, no password, plain TCP). Each frame is printed as it
arrives; on Ctrl-C or SIGTERM (or after `--seconds`) the trace, the findings and a pcapng are written to the
reports folder and the listener stops.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from .verdict import HarnessError

def serve(peer: str, profile: str | None, *, host: str, port: int, reports: Path, seconds: float | None,
          tls: tuple[str | None, str | None, str | None] = (None, None, None), out: TextIO = sys.stdout,
          params: dict[str, Any] | None = None) -> int:
    """Run the fake `peer` until a stop signal (or `seconds`); 0 when it ran, 2 when it could not start. `params`
    override the profile's PIXIT (e.g. the port of the device found at its start)."""
    from .run import Settings, VgiRun
    from .peer import serve_names
    peers = serve_names()
    if peer not in peers:
        print(f"vgitest serve: no peer {peer!r} (known: {', '.join(sorted(peers))})", file=sys.stderr)
        return 2
    protocol, open_profile = peers[peer]
    with tempfile.TemporaryDirectory(prefix="vgitest-serve-") as tmp:
        if profile is None:
            profile = str(Path(tmp) / f"open-{peer}.toml")
            Path(profile).write_text(open_profile, encoding="utf-8")
        settings = Settings(profile=profile, adapter="manual", host=host, port=port, reports=reports,
                            run_name=f"serve-{peer}", faults=(), strict=False, lenient=False, schemas=None,
                            tls_cert=tls[0], tls_key=tls[1], tls_ca=tls[2])
        try:
            run = VgiRun(settings)
            run.require_profile().pixit.update(params or {})
            dut_protocol = str(run.require_profile().dut.get("protocol", ""))
            if dut_protocol != protocol:
                raise HarnessError(f"profile {profile}: its DUT speaks {dut_protocol or 'no protocol'}; the fake "
                                   f"{peer} serves {protocol}")
            fake = run.ensure_peer()
        except (HarnessError, OSError) as exc:
            print(f"vgitest serve: {exc}", file=sys.stderr)
            return 2
        run.run_dir.mkdir(parents=True, exist_ok=True)
        fake.trace.spill_path = run.run_dir / "frames.released.jsonl"
        stop = threading.Event()
        previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
        print(f"vgitest serve {peer}: {'talking to' if fake.is_client else 'listening on'} {fake.url}  (Ctrl-C to "
              f"stop; evidence in {run.run_dir})", file=out, flush=True)
        say = lambda text: print(f"vgitest serve {peer}: {text}", file=out, flush=True)  # noqa: E731
        own = threading.Thread(target=fake.serve_until, args=(stop, say), name="vgitest-serve", daemon=True)
        own.start()
        try:
            shown = _follow(fake, stop, seconds, out)
        finally:
            stop.set()
            for s, h in previous.items():
                signal.signal(s, h)
            run.stop()  # ends a client peer's exchange in progress
            own.join(timeout=15)
            written = _write_evidence(fake, run.run_dir)
        findings = written["findings"]
        rules = sorted({f["rule"] for f in findings})
        print(f"vgitest serve {peer}: stopped; {shown} frames, {len(findings)} findings"
              + (f" ({', '.join(rules)})" if rules else "") + f"; trace, findings and pcapng in {run.run_dir}",
              file=out, flush=True)
    return 0


def _follow(fake: Any, stop: threading.Event, seconds: float | None, out: TextIO) -> int:
    """Print each frame as it arrives (direction, kind, name, its findings' rule ids) until stopped."""
    end = time.monotonic() + seconds if seconds else None
    seen = 0
    while not stop.is_set() and (end is None or time.monotonic() < end):
        frames = fake.trace.since(seen)
        for f in frames:
            rules = ", ".join(x.rule_id for x in f.findings)
            arrow = "<-" if f.direction.name == "IN" else "->"
            print(f"{time.strftime('%H:%M:%S', time.localtime(f.wall))} {arrow} {f.connection} {f.kind}"
                  + (f" {f.name}" if f.name else "") + (f"  [{rules}]" if rules else ""), file=out, flush=True)
        seen += len(frames)
        stop.wait(0.2)
    return len(fake.trace)


def _write_evidence(fake: Any, run_dir: Path) -> dict[str, Any]:
    """frames.jsonl (with any frames released during a long session first), findings.json and capture.pcapng."""
    from .evidence import jsonl, pcapng
    frames = fake.trace.since(0)
    fake.trace.flush_spill()
    released = run_dir / "frames.released.jsonl"
    path = run_dir / "frames.jsonl"
    jsonl.write_frames(frames, path)
    if released.exists():  # a long session: the released frames first, then the rest, in one file
        tail = path.read_bytes()
        path.write_bytes(released.read_bytes() + tail)
        released.unlink()
    findings = [f.to_dict() for f in fake.trace.findings_since(0)]
    (run_dir / "findings.json").write_text(json.dumps(findings, indent=2, default=str), encoding="utf-8")
    try:
        pcapng.write_pcapng(list(fake.wires), run_dir / "capture.pcapng", 0, frames=frames)
    except Exception as exc:  # noqa: BLE001 - the trace and findings matter more than the capture
        (run_dir / "capture.error.txt").write_text(f"pcapng not written: {exc!r}\n", encoding="utf-8")
    return {"findings": findings}
