"""A fake CSMS that holds a fleet (issue 19, item 5): throughput, the harness's own latency and memory under load.

One load generator, several client processes: N OCPP 1.6 stations over WebSocket, each boots, then sends
MeterValues with one CALL outstanding (the next one goes when the answer is in). The same generator runs, in one
invocation and interleaved round by round, against three servers, each in a process of its own:

- fake:    vgitest's FakeCsms as a test uses it: every frame parsed, framing/RPC/schema checked, traced (released
           frames spilled to a JSON-lines file), wire bytes logged for pcapng;
- ocpplib: a CSMS written the way the `ocpp` library's README shows (a ChargePoint subclass with @on handlers for
           BootNotification and MeterValues, served by `websockets.serve`), the anchor a user would write;
- echo:    a server without logic on the same websockets library: it answers every CALL with an empty CALLRESULT
           (the ceiling of the library and the load generator on this machine).

The client speaks WebSocket itself (asyncio protocol, all-zero masking key, pre-encoded frames), so that the load
generator is not what limits the figures: the echo server's figure must stay well above the others.

Modes (all on by default but --rss-minutes / --fleet):
  throughput  calls/s of each server for 100 and 1,000 stations (--stations), --repeats rounds, each round the three
              servers one after the other; the ratios fake/ocpplib (target >= 5x) and fake/echo (target >= 60 %)
  latency     1,000 stations each sending one MeterValues per second to the fake CSMS: its own added latency
              (socket in -> answer written, the frames' meta harness_latency_us), median/p99/max (target p99 < 5 ms)
  rss         (--rss-minutes M) the fake CSMS's RSS over an M-minute run of --rss-stations stations at full rate,
              all within one test (no test marks): target flat within 20 % after the first quarter
  fleet       (--fleet 10000) 10,000 stations connect to the fake CSMS (full validation and tracing), each boots
              and sends MeterValues for --fleet-seconds; time to connect, calls served (each station at least one),
              RSS

Run: python benchmarks/csms_load.py                          (throughput 100 and 1,000, latency)
     python benchmarks/csms_load.py --rss-minutes 10         (adds the 10-minute RSS run)
     python benchmarks/csms_load.py --fleet 10000 --no-throughput --no-latency

Figures on this machine (x86_64, 2 shared cores, Python 3.11.7). Its speed drifts by 20-30 % from one run to the
next (the anchors' own figures move as much), so compare the ratios and CPU per call within a column more than
calls/s across columns. One column per stage of issue 19's work, each from `--repeats 2 --seconds 8` (ranges: the
two rounds):

                                         7b2af09        bounded trace, 16e038c:        61605c9: one   2a5d0e8: orjson
                                         (before)       spill thread   collector pace, JSON encoder,  reads frames,
                                                                       slots           cached times   writes the spill
  100 stations   fake/ocpp-lib           1.66-2.00x     2.54-2.63x     1.85-2.98x      3.38-3.61x     3.75-4.05x
                 fake/echo               42-58 %        28-30 %        29-44 %         41-42 %        37-45 %
                 CPU/call fake|lib|echo  156|359|61 us  157|410|43     111|319|43      118|416|48     116|457|46
  1000 stations  fake/ocpp-lib           1.43-1.61x     2.57-2.69x     2.78-3.45x      3.56-4.20x     4.60-5.11x
                 fake/echo               23-27 %        37-58 %        52-57 %         48-50 %        50-59 %
                 CPU/call fake|lib|echo  169|420|60 us  156|415|57     110|366|53      116|464|57     123|608|65
  added latency  p99 (1000 stations      71.3 ms        0.85 ms        0.46 ms         0.51 ms        0.69 ms
                 at 1/s), median, max    0.60, 514 ms   0.17, 211 ms   0.17, 17 ms     0.21, 20.6 ms  0.22, 26.6 ms

The last column's anchors were slow (the ocpp-library CSMS used 408-627 us a call; 426-473 in a run of the same
code an hour before, whose ratios were 3.76-3.82x and 35-42 % at 100 stations, 3.81-4.25x and 53 % at
1,000).

--rss-minutes 10 (1,000 stations at full rate in one test; RSS after the first quarter -> peak after it):
  7b2af09 722 -> 1124 MiB (+55.6 %), 1.46 M calls; bounded trace 552 -> 633 MiB (+14.7 %), 1.84 M calls;
  16e038c 534.5 -> 594.2 MiB (+11.2 %), 3.30 M calls; 2a5d0e8 765.7 -> 880.9 MiB (+15.1 %), 4.78 M calls (7,964/s);
  (a236f8a, which writes the spill 500 frames at a time, not measured over 10 minutes: see --fleet)
--fleet 10000 (connect with handshake and BootNotification; MeterValues answered in 10 s; RSS at the end; each
time every station served, 0 errors, 0 findings): bounded trace 8.9 s, 5,691/s, 483 MiB; 16e038c 8.1 s, 7,274/s,
483 MiB; 2a5d0e8 7.0 s, 7,582/s, 709 MiB (the spill joined a whole batch of 30,000 lines before writing it);
a236f8a (500 at a time) 6.5 s, 7,894/s, 481 MiB.

Where the fake CSMS's CPU goes (py-spy, 1,000 stations, 2a5d0e8; shares of its samples): writing to the socket
about 20 % (the send system call, and the wait for the GIL behind it), the spill thread about 14 % (Frame.to_dict
and orjson; 30 % at 100 stations), schema validation about 12 % (fastjsonschema's generated code), the websockets
layer about 10 %; parsing (orjson), the RPC checks, the two Frames and the answer the rest. Before orjson the spill
took 28 % (json's encoder). uvloop, tried and not adopted, took the echo server from 61 to 46 us a call and left the
fake CSMS where it was (its fast path already skips the futures and tasks uvloop speeds up).

Targets: p99 added latency < 5 ms, RSS flat within 20 % and the 10,000-station fleet are met. >= 5x the
ocpp-library CSMS is met in some runs at 1,000 stations and in none at 100; >= 60 % of the echo server is not met
(50-59 % at 1,000 stations, 37-45 % at 100). Both need the fake CSMS at about 75-85 us a call: a WebSocket fast
path of its own, or validation and the spill out of the interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's vgitest, not an installed one

BOOT = {"chargePointVendor": "VGI", "chargePointModel": "Load"}
METER = {"connectorId": 1, "meterValue": [{"timestamp": "2026-12-07T12:00:00.000Z", "sampledValue": [
    {"value": "12345.6", "context": "Sample.Periodic", "measurand": "Energy.Active.Import.Register",
     "unit": "Wh"}, {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"}]}]}
HANDSHAKES_IN_FLIGHT = 200  # per client process


def rss_mib(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))] if s else float("nan")


# --- the three servers (each runs in a process of its own) --------------------------------------------------------
def serve_fake(conn: Any, spill_dir: str) -> None:
    """The fake CSMS as a test runs it; answers commands from the benchmark over `conn`."""
    from vgitest.ocpp.csms import FakeCsms
    with FakeCsms(heartbeat_interval=3600, versions=("1.6",)) as csms:
        csms.trace.spill_path = Path(spill_dir) / "released-frames.jsonl"  # what the plugin sets for a run
        prof = None
        if os.environ.get("CSMS_LOAD_PROFILE"):  # cProfile of the CSMS's event loop thread, written at stop
            import cProfile
            prof = cProfile.Profile()
            csms.loop.call_soon(prof.enable)
        conn.send(csms.port)
        while True:
            cmd = conn.recv()
            if cmd == "stop":
                if prof is not None:
                    csms.loop.call_soon(prof.disable)
                    time.sleep(0.5)
                    prof.dump_stats(os.environ["CSMS_LOAD_PROFILE"])
                break
            if cmd == "reset-latency":
                for s in list(csms.sessions.values()):
                    s.latencies_ns.clear()
                conn.send(None)
            elif cmd == "stats":
                lat = [x / 1e3 for s in list(csms.sessions.values()) for x in list(s.latencies_ns)]
                findings = csms.trace.findings_since(0, 0)
                conn.send({"rss": rss_mib(), "latency_us": lat, "frames": len(csms.trace),
                           "in_memory": len(csms.trace) - csms.trace.released,
                           "findings": len(findings), "rules": sorted({f.rule_id for f in findings})[:5],
                           "sessions": len(csms.sessions), "wires": len(csms.wires)})
    conn.send("stopped")


def serve_ocpplib(conn: Any) -> None:
    """A CSMS as the `ocpp` library's README teaches one: a ChargePoint subclass with a handler per action."""
    import datetime
    import logging

    import websockets
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint as Cp16
    from ocpp.v16 import call_result
    from ocpp.v16.enums import Action, RegistrationStatus

    logging.getLogger("ocpp").setLevel(logging.WARNING)  # the README's INFO logging would print every frame

    class Station(Cp16):
        @on(Action.boot_notification)
        def on_boot(self, charge_point_vendor: str, charge_point_model: str, **kwargs: Any) -> Any:
            return call_result.BootNotification(current_time=datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                                interval=3600, status=RegistrationStatus.accepted)

        @on(Action.meter_values)
        def on_meter_values(self, connector_id: int, meter_value: list, **kwargs: Any) -> Any:
            return call_result.MeterValues()

    async def on_connect(ws: Any) -> None:
        if ws.subprotocol is None:
            await ws.close()
            return
        cp = Station(ws.request.path.strip("/").split("/")[-1], ws)
        try:
            await cp.start()
        except websockets.exceptions.ConnectionClosed:
            pass

    async def main() -> None:
        async with websockets.serve(on_connect, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
            conn.send(next(iter(server.sockets)).getsockname()[1])
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())
    conn.send("stopped")


def serve_echo(conn: Any) -> None:
    """No logic: every CALL gets an empty CALLRESULT with its id (same websockets library)."""
    import websockets

    async def handler(ws: Any) -> None:
        try:
            async for text in ws:
                await ws.send('[3,%s,{}]' % json.dumps(json.loads(text)[1]))
        except websockets.exceptions.ConnectionClosed:
            pass

    async def main() -> None:
        async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
            conn.send(next(iter(server.sockets)).getsockname()[1])
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())
    conn.send("stopped")


SERVERS = {"fake": serve_fake, "ocpplib": serve_ocpplib, "echo": serve_echo}


class Server:
    """A server process and the pipe that commands it."""

    def __init__(self, kind: str, spill_dir: str) -> None:
        ctx = mp.get_context("spawn")
        self.kind = kind
        self.conn, child = ctx.Pipe()
        args = (child, spill_dir) if kind == "fake" else (child,)
        self.proc = ctx.Process(target=SERVERS[kind], args=args, daemon=True)
        self.proc.start()
        if not self.conn.poll(60):
            raise RuntimeError(f"{kind} server did not start")
        self.port: int = self.conn.recv()

    def ask(self, cmd: str, timeout: float = 120) -> Any:
        self.conn.send(cmd)
        if not self.conn.poll(timeout):
            raise RuntimeError(f"{self.kind} server did not answer {cmd!r}")
        return self.conn.recv()

    def rss(self) -> float:
        return rss_mib(self.proc.pid)

    def cpu_s(self) -> float:
        """CPU seconds the server process used so far (all its threads): a figure other load barely changes."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        try:
            self.conn.send("stop")
            self.conn.poll(30)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(30)
        if self.proc.is_alive():
            self.proc.kill()


# --- the load generator --------------------------------------------------------------------------------------------
def _ws_frame(payload: bytes) -> bytes:
    """A masked client text frame. The all-zero key leaves the payload as it is (RFC 6455 asks clients for a key
    a proxy cannot predict; on loopback it only costs the generator time)."""
    n = len(payload)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 1 << 16:
        head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


class _Stats:
    def __init__(self) -> None:
        self.ok = 0  # answers inside the measuring window
        self.errors = 0  # CALLERRORs or closed connections
        self.rtts: list[float] = []  # paced mode: round trips inside the window (s)
        self.window = (float("inf"), float("inf"))
        self.connected = 0
        self.failed = 0


class _Station(asyncio.Protocol):
    """One station: WebSocket handshake, BootNotification, then MeterValues with one CALL outstanding."""

    def __init__(self, ident: str, host: str, port: int, path: str, stats: _Stats, interval: float,
                 opened: asyncio.Future) -> None:
        self.ident, self.stats, self.interval, self.opened = ident, stats, interval, opened
        key = base64.b64encode(os.urandom(16)).decode()
        self.request = (f"GET {path}/{ident} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n").encode()
        self.buf = b""
        self.upgraded = False
        self.n = 0
        self.answered = 0  # answers inside the measuring window
        self.sent_at = 0.0
        self.stopped = False
        meter = json.dumps(METER, separators=(",", ":"))
        self.prefix = b'[2,"'
        self.suffix = ('","MeterValues",%s]' % meter).encode()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_result(False)
        elif not self.stopped:
            self.stats.errors += 1

    def send_call(self) -> None:
        self.n += 1
        self.sent_at = time.monotonic()
        self.transport.write(_ws_frame(self.prefix + str(self.n).encode() + self.suffix))  # type: ignore

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.transport.close()
                return
            self.upgraded = True
            buf = buf[end + 4:]
            self.transport.write(_ws_frame(json.dumps([2, "boot", "BootNotification", BOOT]).encode()))  # type: ignore
        while len(buf) >= 2:
            op, n = buf[0] & 0x0F, buf[1] & 0x7F
            pos = 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, pos = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, pos = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < pos + n:
                break
            payload, buf = buf[pos:pos + n], buf[pos + n:]
            if op == 0x9:  # ping: pong with the same data
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)  # type: ignore
            elif op == 0x1:
                self.on_message(payload)
            elif op == 0x8:
                self.transport.close()
        self.buf = buf

    def on_message(self, payload: bytes) -> None:
        if not self.opened.done():
            self.opened.set_result(payload.startswith(b"[3,"))
            return
        t = time.monotonic()
        w0, w1 = self.stats.window
        if payload.startswith(b"[3,"):
            if w0 <= t <= w1:
                self.stats.ok += 1
                self.answered += 1
                if self.interval:
                    self.stats.rtts.append(t - self.sent_at)
        else:
            self.stats.errors += 1
        if self.stopped:
            return
        if self.interval:  # paced: the next one at the next whole interval after the last send
            asyncio.get_running_loop().call_at(self.sent_at + self.interval, self.send_call)
        else:
            self.send_call()


def client_process(port: int, idents: list[str], interval: float, ready: Any, go: Any, out: Any) -> None:
    """Open the stations, report, wait for the start time (and the window), run, report the counts."""

    async def main() -> dict:
        loop = asyncio.get_running_loop()
        stats = _Stats()
        gate = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
        stations: list[_Station] = []

        async def one(ident: str) -> None:
            async with gate:
                opened = loop.create_future()
                try:
                    _, st = await asyncio.wait_for(loop.create_connection(
                        lambda: _Station(ident, "127.0.0.1", port, "/ocpp", stats, interval, opened),
                        "127.0.0.1", port), 60)
                    ok = await asyncio.wait_for(opened, 120)
                except (OSError, asyncio.TimeoutError):
                    ok = False
                if ok:
                    stations.append(st)  # type: ignore[arg-type]
                    stats.connected += 1
                else:
                    stats.failed += 1

        t0 = time.monotonic()
        await asyncio.gather(*(one(i) for i in idents))
        ready.put((stats.connected, stats.failed, time.monotonic() - t0))
        start, warmup, seconds = await loop.run_in_executor(None, go.get)  # start is time.time()
        mono_start = time.monotonic() + (start - time.time())
        stats.window = (mono_start + warmup, mono_start + warmup + seconds)
        await asyncio.sleep(max(0.0, mono_start - time.monotonic()))
        for st in stations:
            if interval:
                loop.call_at(mono_start + random.random() * interval, st.send_call)
            else:
                st.send_call()
        await asyncio.sleep(max(0.0, stats.window[1] - time.monotonic()))
        for st in stations:
            st.stopped = True
        await asyncio.sleep(0.5)
        for st in stations:
            st.transport.close()
        await asyncio.sleep(0.2)
        return {"ok": stats.ok, "errors": stats.errors, "rtts": stats.rtts[:200_000],
                "served": sum(1 for st in stations if st.answered)}

    out.put(asyncio.run(main()))


def drive(port: int, stations: int, clients: int, seconds: float, warmup: float, interval: float = 0.0,
          tag: str = "S", on_window: Any = None) -> dict:
    """Run the load generator against a server on `port`; calls/s over the window, connect time, client RTTs."""
    ctx = mp.get_context("spawn")
    clients = max(1, min(clients, stations))
    ready, out = ctx.Queue(), ctx.Queue()
    gos = [ctx.Queue() for _ in range(clients)]
    procs = []
    for k in range(clients):
        idents = [f"{tag}{i}" for i in range(k, stations, clients)]
        p = ctx.Process(target=client_process, args=(port, idents, interval, ready, gos[k], out), daemon=True)
        p.start()
        procs.append(p)
    t0 = time.monotonic()
    opened = [ready.get(timeout=900) for _ in procs]
    connect_s = time.monotonic() - t0
    start = time.time() + 0.5
    for g in gos:
        g.put((start, warmup, seconds))
    if on_window is not None:
        on_window(start + warmup, start + warmup + seconds)
    results = [out.get(timeout=seconds + warmup + 300) for _ in procs]
    for p in procs:
        p.join(30)
    ok = sum(r["ok"] for r in results)
    return {"calls_s": ok / seconds, "calls": ok, "errors": sum(r["errors"] for r in results),
            "connected": sum(o[0] for o in opened), "served": sum(r["served"] for r in results),
            "failed": sum(o[1] for o in opened), "connect_s": connect_s,
            "rtts": [x for r in results for x in r["rtts"]]}


# --- the modes -------------------------------------------------------------------------------------------------------
def throughput(args: argparse.Namespace, spill: str) -> bool:
    print(f"\n## throughput: calls/s over {args.seconds:g} s (after {args.warmup:g} s warm-up), {args.clients} client "
          f"processes, one CALL outstanding per station; {args.repeats} interleaved rounds", flush=True)
    met = True
    for n in args.stations:
        figures: dict[str, list[float]] = {k: [] for k in SERVERS}
        cpu_per_call: dict[str, list[float]] = {k: [] for k in SERVERS}
        ratios_lib, ratios_echo = [], []
        for rnd in range(1, args.repeats + 1):
            row = {}
            for kind in SERVERS:
                srv = Server(kind, spill)
                cpu: list[float] = []

                def window(a: float, b: float, srv: Server = srv, cpu: list[float] = cpu) -> None:
                    time.sleep(max(0.0, a - time.time()))
                    cpu.append(srv.cpu_s())
                    time.sleep(max(0.0, b - time.time()))
                    cpu.append(srv.cpu_s())

                try:
                    res = drive(srv.port, n, args.clients, args.seconds, args.warmup, tag=f"{kind[0]}{rnd}-",
                                on_window=window)
                    extra = f", server CPU {(cpu[1] - cpu[0]) / max(1, res['calls']) * 1e6:.0f} µs/call"
                    cpu_per_call[kind].append((cpu[1] - cpu[0]) / max(1, res['calls']) * 1e6)
                    if kind == "fake":
                        st = srv.ask("stats")
                        extra += (f", {st['findings']} findings, {st['in_memory']} of {st['frames']} frames in "
                                 f"memory, RSS {st['rss']:.0f} MiB")
                        if st["findings"]:
                            extra += f" {st['rules']}"
                finally:
                    srv.stop()
                row[kind] = res["calls_s"]
                figures[kind].append(res["calls_s"])
                print(f"  {n:>5} stations, round {rnd}, {kind:<7}: {res['calls_s']:8.0f} calls/s "
                      f"({res['connected']} connected, {res['failed']} failed, {res['errors']} errors{extra})",
                      flush=True)
            ratios_lib.append(row["fake"] / row["ocpplib"])
            ratios_echo.append(row["fake"] / row["echo"])
        span = {k: f"{min(v):.0f}-{max(v):.0f}" if len(v) > 1 else f"{v[0]:.0f}" for k, v in figures.items()}
        lib_ok = min(ratios_lib) >= 5
        echo_ok = min(ratios_echo) >= 0.6
        met &= lib_ok and echo_ok
        print(f"{n:>5} stations: fake {span['fake']} calls/s, ocpp-lib {span['ocpplib']}, echo {span['echo']}; "
              f"fake/ocpp-lib {min(ratios_lib):.2f}-{max(ratios_lib):.2f}x (target >= 5x: "
              f"{'met' if lib_ok else 'NOT met'}); fake/echo {min(ratios_echo) * 100:.0f}-{max(ratios_echo) * 100:.0f} % "
              f"(target >= 60 %: {'met' if echo_ok else 'NOT met'})", flush=True)
        med = {k: statistics.median(v) for k, v in cpu_per_call.items()}
        print(f"{n:>5} stations: server CPU per call (median of rounds): fake {med['fake']:.0f} µs, ocpp-lib "
              f"{med['ocpplib']:.0f} µs, echo {med['echo']:.0f} µs; the CPU ratios ocpp-lib/fake "
              f"{med['ocpplib'] / med['fake']:.2f}x, echo/fake {med['echo'] / med['fake'] * 100:.0f} %", flush=True)
    return met


def latency(args: argparse.Namespace, spill: str) -> bool:
    n = args.latency_stations
    print(f"\n## latency: {n} stations, one MeterValues per second each, {args.latency_seconds:g} s, fake CSMS",
          flush=True)
    srv = Server("fake", spill)
    got: dict[str, Any] = {}

    def window(a: float, b: float) -> None:  # the samples of the window, taken before the stations disconnect
        time.sleep(max(0.0, a - time.time()))
        srv.ask("reset-latency")
        time.sleep(max(0.0, b - time.time()))
        got.update(srv.ask("stats"))

    try:
        res = drive(srv.port, n, args.clients, args.latency_seconds, 2.0, interval=1.0, tag="L", on_window=window)
        st = got
    finally:
        srv.stop()
    lat = st["latency_us"]
    rtt = [x * 1e3 for x in res["rtts"]]
    ok = bool(lat) and pct(lat, 0.99) < 5000
    print(f"served {res['calls']} calls ({res['calls_s']:.0f}/s, {res['errors']} errors, {st['findings']} findings)")
    print(f"fake CSMS added latency (socket in -> answer written), {len(lat)} samples: median "
          f"{statistics.median(lat) / 1e3:.2f} ms, p99 {pct(lat, 0.99) / 1e3:.2f} ms, max {max(lat) / 1e3:.2f} ms "
          f"(target p99 < 5 ms: {'met' if ok else 'NOT met'})")
    if rtt:
        print(f"station round trip (client side): median {statistics.median(rtt):.2f} ms, p99 {pct(rtt, 0.99):.2f} ms")
    return ok


def rss_run(args: argparse.Namespace, spill: str) -> bool:
    n, secs = args.rss_stations, args.rss_minutes * 60
    print(f"\n## RSS: {n} stations at full rate for {args.rss_minutes:g} min, one test (no test marks), fake CSMS",
          flush=True)
    srv = Server("fake", spill)
    samples: list[tuple[float, float, int, int]] = []
    try:
        ctx = mp.get_context("spawn")
        result: Any = ctx.Queue()
        p = ctx.Process(target=_drive_into, args=(result, srv.port, n, args.clients, secs))
        p.start()
        t0 = time.monotonic()
        step = max(5.0, secs / 40)
        while p.is_alive() and time.monotonic() - t0 < secs + 600:
            time.sleep(step)
            st = srv.ask("stats")
            samples.append((time.monotonic() - t0, st["rss"], st["frames"], st["in_memory"]))
            print(f"  {samples[-1][0]:6.0f} s: RSS {st['rss']:6.1f} MiB, {st['frames']} frames "
                  f"({st['in_memory']} in memory), {st['findings']} findings", flush=True)
        res = result.get(timeout=60)
        p.join(10)
    finally:
        srv.stop()
    warm = [s for s in samples if s[0] >= secs / 4] or samples
    base, peak = warm[0][1], max(s[1] for s in warm)
    ok = peak <= base * 1.2
    print(f"served {res['calls']} calls ({res['calls_s']:.0f}/s); RSS after warm-up {base:.1f} MiB, peak after "
          f"{peak:.1f} MiB ({(peak / base - 1) * 100:+.1f} %; target within 20 %: {'met' if ok else 'NOT met'})")
    return ok


def _drive_into(q: Any, port: int, n: int, clients: int, secs: float) -> None:
    res = drive(port, n, clients, secs, 0.0, tag="R")
    res.pop("rtts")
    q.put(res)


def fleet(args: argparse.Namespace, spill: str) -> bool:
    n = args.fleet
    print(f"\n## fleet: {n} stations connect to the fake CSMS, boot, and each sends MeterValues for "
          f"{args.fleet_seconds:g} s (one outstanding)", flush=True)
    srv = Server("fake", spill)
    try:
        rss0 = srv.rss()
        res = drive(srv.port, n, args.clients, args.fleet_seconds, 0.0, tag="F")
        st = srv.ask("stats")
    finally:
        srv.stop()
    ok = res["connected"] == n and res["served"] == n and st["findings"] == 0
    print(f"{res['connected']} connected ({res['failed']} failed) in {res['connect_s']:.1f} s (handshake and "
          f"BootNotification each); {res['calls']} MeterValues answered ({res['calls_s']:.0f}/s; {res['served']} stations "
          f"served at least one), {res['errors']} "
          f"errors, {st['findings']} findings; RSS {rss0:.0f} -> {st['rss']:.0f} MiB, {st['in_memory']} of "
          f"{st['frames']} frames in memory ({'met' if ok else 'NOT met'}: every station connected and served)")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", default="100,1000", help="station counts for the throughput mode")
    ap.add_argument("--seconds", type=float, default=8.0, help="measuring window per server and round")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--clients", type=int, default=3, help="load generator processes")
    ap.add_argument("--latency-stations", type=int, default=1000)
    ap.add_argument("--latency-seconds", type=float, default=20.0)
    ap.add_argument("--rss-minutes", type=float, default=0.0, help="0: no RSS run")
    ap.add_argument("--rss-stations", type=int, default=1000)
    ap.add_argument("--fleet", type=int, default=0, help="stations of the fleet mode (0: none)")
    ap.add_argument("--fleet-seconds", type=float, default=10.0)
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--no-latency", action="store_true")
    args = ap.parse_args()
    args.stations = [int(x) for x in str(args.stations).split(",") if x]
    print(f"# fake CSMS under fleet load: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("# command: python benchmarks/csms_load.py " + " ".join(sys.argv[1:]), flush=True)
    ok = True
    with tempfile.TemporaryDirectory() as spill:
        if not args.no_throughput:
            ok &= throughput(args, spill)
        if not args.no_latency:
            ok &= latency(args, spill)
        if args.rss_minutes:
            ok &= rss_run(args, spill)
        if args.fleet:
            ok &= fleet(args, spill)
    print(f"\n# targets {'all met' if ok else 'not all met'}; load at the end {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
