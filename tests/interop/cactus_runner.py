"""Runs one cactus-client test procedure against the fake 2030.5 server, inside cactus-client's own interpreter.

cactus-client (BSGIP, MIT, PyPI; Python >= 3.12) is a virtual CSIP-AUS client that tests a *server*: each
procedure (S-ALL-01 ...) makes requests, checks what the server answers and ends PASS or FAIL. It is not a
dependency of vgitest: it lives in a virtualenv of its own (``make cactus``), and this file is the only code
of ours that runs in it. It imports nothing of vgitest.

What it adds to cactus-client's own ``cactus run``:

- its admin plugin (cactus-client's hook for server set-up: "register this EndDevice", "create an active
  DERControl", ...) forwards every admin instruction, with its parameters resolved, as JSON to the test's admin
  endpoint (``--admin``), which changes the fake server's data. An instruction the fake server cannot carry out
  raises, so the step fails with "vgitest admin cannot: ..." (the test reads that as a harness limit);
- clients are picked for the procedure from the configuration (devices only: no aggregator is configured);
  a procedure that needs a client kind the configuration lacks is not run (``not_run`` in the result);
- the outcome is written as JSON (``--out``): cactus-client's pass/fail, and per step whether it passed, its
  failure or exception text, the warnings and the XSD errors, so the test can name what failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

CANNOT = "vgitest admin cannot:"


class AdminCannot(Exception):
    """The fake server has no knob for this admin instruction."""


def _plain(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    return str(value)


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback, the test's own endpoint)
        return json.loads(resp.read())


def make_plugin(admin_url: str) -> Any:  # noqa: ANN401
    from cactus_client.admin.plugins import hookimpl
    from cactus_client.model.execution import ActionResult

    class VgitestAdmin:
        """Forwards cactus-client's admin instructions to the fake server's test."""

        @hookimpl
        async def admin_setup(self, context: Any) -> Any:  # noqa: ANN401
            return ActionResult.done()

        @hookimpl
        async def admin_teardown(self, context: Any) -> Any:  # noqa: ANN401
            return ActionResult.done()

        @hookimpl
        async def admin_instruction(self, instruction: Any, step: Any, context: Any) -> Any:  # noqa: ANN401
            client = context.client_config_for(instruction.client)
            body = {"type": str(instruction.type), "step": step.source.id,
                    "params": {k: _plain(v) for k, v in (instruction.parameters or {}).items()},
                    "client": {"id": client.id, "lfdi": client.lfdi, "sfdi": client.sfdi, "pin": client.pin,
                               "type": str(client.type)}}
            answer = await asyncio.to_thread(_post, admin_url, body)
            if not answer.get("done"):
                raise AdminCannot(f"{CANNOT} {instruction.type}: {answer.get('why')}")
            return ActionResult.done()

    return VgitestAdmin()


def pick_clients(procedure: Any, clients: list[Any]) -> list[str] | str:  # noqa: ANN401
    """The configured clients for the procedure's required clients, or why there are none."""
    free = list(clients)
    out: list[str] = []
    for req in procedure.preconditions.required_clients:
        want = str(req.client_type) if req.client_type is not None else None
        match = next((c for c in free if want is None or str(c.type) == want), None)
        if match is None:
            return f"needs a client of type {want or 'any'} ({req.id}); the configuration has none left"
        free.remove(match)
        out.append(match.id)
    return out


def summary(context: Any, results: Any, passed: bool) -> dict:  # noqa: ANN401
    steps = []
    for sr in context.progress.all_results:
        steps.append({"id": sr.step.id, "passed": sr.is_passed(), "skipped": sr.is_skipped(),
                      "failure": sr.failure_result.description if sr.failure_result is not None else None,
                      "exc": repr(sr.exc) if sr.exc is not None else None})
    done = {sr.step.id for sr in context.progress.all_results}
    for step_id, prog in context.progress.progress_by_step_id.items():  # still retrying when the time ran out
        if step_id in done:
            continue
        last = prog.step_execution_completions[-1] if prog.step_execution_completions else None
        why = None
        if last is not None:
            why = (last.check_result.description if last.check_result is not None and not last.check_result.passed
                   else repr(last.exc) if last.exc is not None else None)
        in_progress = why is None  # its last attempt did not fail: it was still running (e.g. a long simulation)
        if why is None and prog.log_entries:
            why = prog.log_entries[-1].message
        steps.append({"id": step_id, "passed": False, "skipped": False, "failure": f"unfinished: {why}",
                      "exc": None, "in_progress": in_progress})
    return {"passed": passed, "steps": steps, "total_steps": results.total_steps,
            "execution_complete": results.execution_complete, "all_steps_evaluated": results.all_steps_evaluated,
            "warnings": [{"source": w.source_id(), "message": w.message} for w in context.warnings.warnings],
            "xsd_errors": [{"method": str(r.method), "url": str(r.url), "errors": list(r.xsd_errors)}
                           for r in context.responses.responses if r.xsd_errors]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True, help="cactus-client configuration (.cactus.yaml)")
    ap.add_argument("--admin", required=True, help="URL of the test's admin endpoint")
    ap.add_argument("--id", required=True, help="test procedure id, e.g. S-ALL-01")
    ap.add_argument("--out", required=True, help="where to write the JSON outcome")
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args(argv)

    from cactus_client.admin.manager import get_plugin_manager
    from cactus_client.execution import run as run_mod
    from cactus_client.model.config import RunConfig, load_config
    from cactus_test_definitions.csipaus import CSIPAusVersion
    from cactus_test_definitions.server.test_procedures import TestProcedureId, get_test_procedure

    out = Path(args.out)
    config, _ = load_config(args.config)
    procedure = get_test_procedure(TestProcedureId(args.id))
    clients = pick_clients(procedure, list(config.clients or []))
    if isinstance(clients, str):
        out.write_text(json.dumps({"not_run": clients}))
        return 0
    get_plugin_manager().register(make_plugin(args.admin))

    captured: dict[str, Any] = {}
    render = run_mod.render_console

    def keep(console: Any, context: Any, results: Any, *a: Any, **kw: Any) -> Any:  # noqa: ANN401
        captured.update(summary(context, results, results.has_passed(strict=False)))
        return render(console, context, results, *a, **kw)

    run_mod.render_console = keep
    run_config = RunConfig(test_procedure_id=TestProcedureId(args.id), client_ids=clients,
                           csip_aus_version=CSIPAusVersion.RELEASE_1_2, headless=True, timeout=args.timeout)
    try:
        passed = asyncio.run(run_mod.run_entrypoint(global_config=config, run_config=run_config))
    except Exception as exc:  # a configuration cactus-client refuses: the test reports it with the text
        out.write_text(json.dumps({"error": repr(exc)}))
        return 1
    captured.setdefault("passed", passed)
    out.write_text(json.dumps(captured, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
