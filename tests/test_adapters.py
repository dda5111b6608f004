"""DUT adapters: the command adapter quotes parameters and reports failures clearly; the manual adapter is
INCONCLUSIVE without an operator; the simulated adapter forwards to the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from vgitest.adapters import CommandAdapter, ManualAdapter, SimulatedAdapter, from_profile
from vgitest.verdict import HarnessError, Inconclusive


def test_command_adapter_substitutes_and_quotes(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    a = CommandAdapter({"present_token": f"printf '%s|%s' {{id_token}} {{connector}} > {out}"})
    a.perform("present_token", id_token="A B; rm -rf /", connector=2)
    assert out.read_text() == "A B; rm -rf /|2"  # the hostile token stayed one quoted argument


def test_command_adapter_failure_is_a_harness_error() -> None:
    a = CommandAdapter({"reboot": "echo boom >&2; exit 3"})
    with pytest.raises(HarnessError, match="exit code 3.*\n.*boom"):
        a.perform("reboot")


def test_command_adapter_without_mapping_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match=r"\[adapter.commands\].plug_in"):
        CommandAdapter({}).perform("plug_in", connector=1)


def test_command_adapter_rejects_unknown_actions_and_placeholders() -> None:
    with pytest.raises(HarnessError, match="unknown actions"):
        CommandAdapter({"plugin": "true"})
    with pytest.raises(HarnessError, match="uses {serial}"):
        CommandAdapter({"reboot": "echo {serial}"}).perform("reboot")


def test_command_adapter_timeout() -> None:
    with pytest.raises(HarnessError, match="did not finish within 0.2 s"):
        CommandAdapter({"reboot": "sleep 5"}, timeout=0.2).perform("reboot")


def test_manual_adapter_without_terminal_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match="needs an operator"):
        ManualAdapter(timeout=1, tty="/nonexistent/tty").perform("plug_in", connector=1)


def test_simulated_adapter_forwards() -> None:
    seen = []

    class Sim:
        def perform(self, action, **kw):
            seen.append((action, kw))

        async def do_plug_in(self, connector=1):
            pass

    a = SimulatedAdapter(Sim())
    a.perform("plug_in", connector=2)
    assert seen == [("plug_in", {"connector": 2})] and a.supports("plug_in") and not a.supports("reboot")


def test_from_profile_unknown_kind() -> None:
    with pytest.raises(HarnessError, match="unknown DUT adapter"):
        from_profile("telepathy", {})
