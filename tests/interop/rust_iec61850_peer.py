"""The Rust-backed ``iec61850`` package (PyPI, MIT/Apache-2.0, an async IEC 61850 client and server) as an MMS
client or server, run by tests/interop/test_rust_iec61850_mms.py with the interpreter of a virtualenv of its own
(oracle_venv): vgitest does not depend on it.

``client HOST PORT``: associates, lists, reads and writes the Table 5 EV model, disconnects, and prints one JSON
object with what it got. ``server SCL``: serves the IED ``EV`` of that SCL file on a free port, prints
``READY <port>``, and serves until its standard input closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import iec61850 as rs  # type: ignore[import-not-found]


async def attempt(coro) -> object:  # type: ignore[no-untyped-def]
    try:
        return await coro
    except Exception as exc:  # noqa: BLE001 - the JSON says what failed and how
        return f"{type(exc).__name__}: {exc}"


async def client(host: str, port: int) -> dict:
    c = await rs.IedConnection.connect(f"{host}:{port}", timeout_ms=5000)
    out = {
        "devices": await attempt(c.get_server_directory()),
        "nodes": await attempt(c.get_logical_device_directory("EV1")),
        "soc": await attempt(c.read_float("EV1/DEEV1.Soc.mag.f", rs.FC.MX)),
        "mod": await attempt(c.read_int32("EV1/LLN0.Mod.stVal", rs.FC.ST)),
        "write": await attempt(c.write_float("EV1/DEEV1.WChaTgt.setMag.f", rs.FC.SP, 11000.0)),
        "target": await attempt(c.read_float("EV1/DEEV1.WChaTgt.setMag.f", rs.FC.SP)),
        "denied": await attempt(c.write_float("EV1/DEEV1.Soc.mag.f", rs.FC.MX, 1.0)),
    }
    await c.disconnect()
    return out


async def server(scl: str) -> None:
    srv = rs.IedServer.from_scl(scl, ied_name="EV")
    srv.bind("127.0.0.1:0")
    await srv.start()
    print(f"READY {srv.bound_addr.rsplit(':', 1)[1]}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the test closes our stdin
    await srv.stop()


if __name__ == "__main__":
    if sys.argv[1] == "client":
        print(json.dumps(asyncio.run(client(sys.argv[2], int(sys.argv[3])))), flush=True)
    else:
        asyncio.run(server(sys.argv[2]))
    # iec61850 0.14.0's native module sometimes aborts the interpreter's shutdown ("PyGILState_Release: thread
    # state ... must be current"), after its work is done: leave without the shutdown
    os._exit(0)
