"""docs/adapters.md: every DUT action, what the device must do, and when the suites ask for it.

The "called from" lists are read from the code (every ``perform("<action>", ...)`` in the suites, the reusable
states and the fakes), so the page says what the suites do, not what they once did.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from .actions import V2G
from .adapters import EXIT_NOT_SUPPORTED, REGISTRY

ROOT = Path(__file__).resolve().parent.parent
# modules outside suites/ whose DUT actions belong to suites (reusable states, fakes, suite helpers)
MODULE_SUITES = {"vgitest/ocpp/states_v16.py": ("ocpp16",), "vgitest/ocpp/states_v201.py": ("ocpp201",),
                 "vgitest/openadr/states.py": ("openadr20b",), "vgitest/openadr3/states.py": ("openadr3",),
                 "vgitest/sep2/states.py": ("csip",), "vgitest/sep2/cactus/engine.py": ("csip_aus",),
                 "vgitest/sep2/cactus/operator.py": ("csip_aus",),
                 "vgitest/iso15118/fake.py": V2G, "vgitest/iso15118/suite.py": V2G, "vgitest/slac/fake.py": ("slac",)}


@dataclasses.dataclass(frozen=True)
class CallSite:
    action: str
    path: str  # relative to the repository
    function: str  # the enclosing function
    case: str | None  # its test-case id, when it is a test
    params: tuple[str, ...]

    @property
    def suites(self) -> tuple[str, ...]:
        parts = Path(self.path).parts
        if parts[0] == "suites":
            return (parts[1],)
        return MODULE_SUITES.get(self.path, ())


def _case_id(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call) and ast.unparse(dec.func).endswith(("vgi_case", "case")) and dec.args \
                and isinstance(dec.args[0], ast.Constant) and isinstance(dec.args[0].value, str):
            return dec.args[0].value
    return None


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function without those of the functions defined in it (each call has one home)."""
    todo = list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            todo.extend(ast.iter_child_nodes(node))


def _sites(path: Path) -> Iterator[CallSite]:
    rel = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in _own_nodes(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("perform", "_perform") and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                params = tuple(k.arg if k.arg else "**" + ast.unparse(k.value) for k in node.keywords)
                yield CallSite(node.args[0].value, rel, fn.name, _case_id(fn), params)


def call_sites() -> list[CallSite]:
    """Every DUT action the suites, their reusable states and the fakes ask for, with the function it is in."""
    files = sorted({*ROOT.glob("suites/**/*.py"), *(ROOT / m for m in MODULE_SUITES)})
    return [site for path in files for site in _sites(path)]


def _where(sites: list[CallSite]) -> str:
    by_path: dict[str, list[CallSite]] = {}
    for s in sites:
        by_path.setdefault(s.path, []).append(s)
    parts = []
    for path, group in by_path.items():
        cases = sorted({s.case for s in group if s.case})
        helpers = sorted({s.function for s in group if not s.case})
        what = ", ".join([*cases, *(f"`{h}`" for h in helpers)])
        parts.append(f"`{path}`: {what}")
    return "; ".join(parts)


INTRO = f"""# DUT adapter actions

A suite asks for something physical (plug in an EV, present a card, power-cycle the device) through the
DUT adapter the profile names in `[adapter] kind`:

- `simulated`: vgitest's reference simulators, in-process (what `make run` uses);
- `command`: one shell command per action in `[adapter.commands]`, e.g. a `curl` to your device's test hook;
- `manual`: the harness prompts an operator on the terminal and waits (bounded, `[adapter] timeout`, default
  120 s) for Enter; without a terminal the step cannot happen and the case is INCONCLUSIVE.

This page is generated from `vgitest/adapters.py` and the suites (`python -m vgitest.docs`).

## The command adapter

```toml
[adapter]
kind = "command"
timeout = 20                          # s per command (default 60)
unsupported = ["clear_fault"]         # actions this device does not have (optional)
[adapter.commands]
power_on = "curl -fsS -X POST http://192.0.2.10:8080/test/power_on"
plug_in = "curl -fsS -X POST 'http://192.0.2.10:8080/test/plug?connector={{connector}}'"
present_token = "/opt/acme/test-hook present-token"   # reads $VGI_ID_TOKEN and $VGI_CONNECTOR
```

- **Placeholders.** `{{name}}` is replaced by the action's parameter `name` (below) or by `{{identity}}`, and by
  the fake peer's URL: `{{csms_url}}` (OCPP), `{{vtn_url}}` (OpenADR; OpenADR 3 also `{{token_url}}`), `{{dcap_url}}`
  (IEEE 2030.5); every value is shell-quoted. A placeholder the action does not provide is a harness error (ERROR), never the device's fault.
- **Environment.** The command also gets `VGI_ACTION` (the action's name), `VGI_<PARAMETER>` for each
  parameter (`VGI_CONNECTOR`, `VGI_ID_TOKEN`, `VGI_MODE`, ...), `VGI_IDENTITY`, and `VGI_CSMS_URL`,
  `VGI_VTN_URL` (with `VGI_TOKEN_URL` for OpenADR 3) or `VGI_DCAP_URL`, so one script can serve every action.
- **Exit status.** 0: done. **{EXIT_NOT_SUPPORTED}: the device cannot do this** (the automake convention for a
  skipped test); the last line the command wrote to stderr (or stdout) is the reason. Anything else, or no end
  within the timeout: a harness error (ERROR; a broken test set-up is never blamed on the device).
- **Where it runs.** On the machine of the harness, in its network namespace, from the directory pytest runs
  in. For ISO 15118 and SLAC the harness itself must run where the device's link is (the interface or
  namespace given in the PIXIT), since SDP and SLAC are link-local.

## Power on at the start of a run

When the command adapter maps `power_on`, the run switches the device on once, before the first test that
needs the device, after the fake peer (CSMS, VTN, 2030.5 server, SECC) started to listen, so the device can
connect as soon as it is up. The cases then wait for it (PIXIT `connect_timeout`, `register_wait`, ...). The
reference simulators of the `simulated` adapter switch themselves on; with the `manual` adapter switch the
device on before the run. A `power_on` command that fails makes every case that needs the device ERROR.

## An action the device does not have

Not every device has every action: a station without fault simulation has no `clear_fault`. An action is
**not supported** when

- the profile lists it in `[adapter] unsupported` (every adapter kind), or
- the command adapter has no command for it, or
- its command exits {EXIT_NOT_SUPPORTED} (the adapter remembers it for the rest of the run).

The adapter then raises `vgitest.adapters.ActionNotSupported` (a NOT_APPLICABLE verdict, with the reason) and
`dut.supports(action)` is false. A case whose objective needs the action ends NOT_APPLICABLE, never
INCONCLUSIVE or ERROR; where the action is an optional step (below: *optional*), the suites leave it out.
In your own tests: `if dut.supports("clear_fault"): dut.perform("clear_fault", connector=1)`, or catch
`ActionNotSupported`.

`vgitest profile check PROFILE` runs every command of a profile once and shows which actions are supported.

## What each suite needs

*required*: the suite's reusable states need it, so without it most of the suite's cases are NOT_APPLICABLE;
*some cases*: the objective of some cases needs it, and without it those cases are NOT_APPLICABLE;
*optional*: used when the device has it, and nothing is left out without it. Actions no suite uses today
(`power_off`, `fault_connector`, `disconnect_network`, `reconnect_network`) are run by
`vgitest profile check` when the profile maps them.
"""


def markdown() -> str:
    sites = call_sites()
    lines = [INTRO, "| action | suites | need | when |", "|---|---|---|---|"]
    for a in REGISTRY:
        for suites, need, when in a.uses:
            lines.append(f"| `{a.name}` | {', '.join(suites)} | {need} | {when} |")
    lines += ["", "## The actions", ""]
    for a in REGISTRY:
        lines += [f"### `{a.name}`", "", f"{a.does[0].upper()}{a.does[1:]}.", ""]
        if a.params:
            lines += ["Parameters: " + "; ".join(f"`{n}` ({meaning})" for n, meaning in a.params) + ".", ""]
        lines += [f"Devices: {', '.join(a.protocols)}.", ""]
        mine = [s for s in sites if s.action == a.name]
        if mine:
            lines += ["Called from: " + _where(mine) + ".", ""]
        elif a.name == "power_on":
            lines += ["Called from: `vgitest/run.py` (`VgiRun._power_on_at_start`), once per run.", ""]
        else:
            lines += ["Called from: no suite (only `vgitest profile check`).", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
