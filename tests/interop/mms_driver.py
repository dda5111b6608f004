"""Running an MMS implementation that lives in a virtualenv of its own (oracle_venv) as a client or a server.

Each such implementation has a driver script taking ``client HOST PORT`` (associate, exercise the EV model, print
one JSON object) or ``server ARGS...`` (print ``READY <port>``, serve until standard input closes). Every wait is
bounded; a driver that fails says why (its standard error) in the assertion.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.interop.oracle_venv import OracleVenvError, python_of

CLIENT_TIMEOUT_S = 30
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 10


def venv_python(name: str, requirement: str) -> Path:
    """The virtualenv's interpreter, or a skip that says why it could not be built."""
    try:
        return python_of(name, requirement)
    except OracleVenvError as exc:
        pytest.skip(f"{requirement} unavailable: {str(exc).splitlines()[0]}")


async def run_client(python: Path, driver: Path, host: str, port: int) -> dict:
    """The driver's client session against host:port; its JSON answer."""
    proc = await asyncio.create_subprocess_exec(str(python), str(driver), "client", host, str(port),
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CLIENT_TIMEOUT_S)
    except asyncio.TimeoutError:
        proc.kill()
        raise
    assert proc.returncode == 0, err.decode()[-2000:]
    await asyncio.sleep(0.1)  # let our server see the connection end
    return json.loads(out)


@contextlib.asynccontextmanager
async def serving(python: Path, driver: Path, *args: str) -> AsyncIterator[int]:
    """The driver's server, running; yields its port."""
    proc = await asyncio.create_subprocess_exec(str(python), str(driver), "server", *args, stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT_S)).decode()
        assert line.startswith("READY "), line + (await proc.stderr.read()).decode()[-2000:]
        yield int(line.split()[1])
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
        except asyncio.TimeoutError:
            proc.kill()
