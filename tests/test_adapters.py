"""DUT adapters: the command adapter quotes parameters and reports failures clearly; the manual adapter is
INCONCLUSIVE without an operator; the simulated adapter forwards to the simulator; an action the device lacks
is ActionNotSupported (NOT_APPLICABLE) and `supports` says so beforehand."""

from __future__ import annotations

from pathlib import Path

import pytest

from vgitest.adapters import (ACTIONS, EXIT_NOT_SUPPORTED, ActionNotSupported, CommandAdapter, ManualAdapter,
                              SimulatedAdapter, from_profile)
from vgitest.verdict import HarnessError, Inconclusive, NotApplicable


def test_command_adapter_substitutes_and_quotes(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    a = CommandAdapter({"present_token": f"printf '%s|%s' {{id_token}} {{connector}} > {out}"})
    a.perform("present_token", id_token="A B; rm -rf /", connector=2)
    assert out.read_text() == "A B; rm -rf /|2"  # the hostile token stayed one quoted argument


def test_command_adapter_failure_is_a_harness_error() -> None:
    a = CommandAdapter({"reboot": "echo boom >&2; exit 3"})
    with pytest.raises(HarnessError, match="exit code 3.*\n.*boom"):
        a.perform("reboot")


def test_command_adapter_without_mapping_is_not_supported() -> None:
    a = CommandAdapter({})
    assert not a.supports("plug_in")
    with pytest.raises(ActionNotSupported, match=r"\[adapter.commands\].plug_in") as exc:
        a.perform("plug_in", connector=1)
    assert isinstance(exc.value, NotApplicable) and not isinstance(exc.value, Exception)  # not caught as a fault
    assert exc.value.action == "plug_in" and str(exc.value).startswith("NOT_APPLICABLE:")


def test_command_exit_77_means_not_supported_and_is_remembered(tmp_path: Path) -> None:
    count = tmp_path / "count"
    a = CommandAdapter({"clear_fault": f"echo run >> {count}; echo 'no fault simulation' >&2; "
                                      f"exit {EXIT_NOT_SUPPORTED}"})
    assert a.supports("clear_fault")  # nothing said otherwise yet
    with pytest.raises(ActionNotSupported, match="exited 77: no fault simulation"):
        a.perform("clear_fault", connector=1)
    assert not a.supports("clear_fault")
    with pytest.raises(ActionNotSupported, match="no fault simulation"):
        a.perform("clear_fault", connector=1)
    assert count.read_text() == "run\n"  # asked once


def test_profile_declares_actions_unsupported(tmp_path: Path) -> None:
    a = from_profile("command", {"commands": {"reboot": "true"}, "unsupported": ["clear_fault"]})
    assert a.supports("reboot") and not a.supports("clear_fault")
    with pytest.raises(ActionNotSupported, match=r"\[adapter\] unsupported"):
        a.perform("clear_fault", connector=1)
    with pytest.raises(HarnessError, match="maps to a command"):
        from_profile("command", {"commands": {"clear_fault": "true"}, "unsupported": ["clear_fault"]})
    with pytest.raises(HarnessError, match="unknown actions"):
        from_profile("command", {"unsupported": ["clear_faults"]})
    m = from_profile("manual", {"unsupported": ["fault_connector"]})
    assert m.supports("plug_in") and not m.supports("fault_connector")
    with pytest.raises(ActionNotSupported):
        m.perform("fault_connector", connector=1)  # no operator prompt for what the device cannot do


def test_simulated_adapter_unsupported_actions() -> None:
    class Sim:
        def perform(self, action, **kw):
            raise AssertionError("must not be called")

        async def do_clear_fault(self, connector=1):
            pass

    a = SimulatedAdapter(Sim(), unsupported=["clear_fault"])
    assert not a.supports("clear_fault") and not a.supports("reboot")
    for action in ("clear_fault", "reboot"):
        with pytest.raises(ActionNotSupported):
            a.perform(action)


def test_command_environment(tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    a = CommandAdapter({"present_token": f"env | grep ^VGI_ | sort > {out}"},
                       env={"csms_url": "ws://127.0.0.1:9000/ocpp", "vtn_url": "", "identity": "ST-1"})
    a.perform("present_token", id_token="04A1", connector=2)
    assert out.read_text().splitlines() == ["VGI_ACTION=present_token", "VGI_CONNECTOR=2",
                                            "VGI_CSMS_URL=ws://127.0.0.1:9000/ocpp", "VGI_IDENTITY=ST-1",
                                            "VGI_ID_TOKEN=04A1"]


def test_empty_command_is_refused() -> None:
    with pytest.raises(HarnessError, match="non-empty string"):
        CommandAdapter({"reboot": ""})


def test_registry_names_every_action_once() -> None:
    assert len(set(ACTIONS)) == len(ACTIONS) and "clear_fault" in ACTIONS and "set_grid" in ACTIONS


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


def test_the_documented_needs_match_what_the_suites_call() -> None:
    # docs/adapters.md says which suite needs which action; it must be what the suites (and their reusable
    # states and fakes) actually call, with parameters the action documents
    from vgitest.adapterdocs import call_sites
    from vgitest.actions import OPTIONAL
    from vgitest.adapters import BY_NAME, REGISTRY
    sites = call_sites()
    assert len(sites) > 100 and {s.action for s in sites} >= {"plug_in", "reregister", "set_power", "clear_fault"}
    assert {s.action for s in sites} <= set(ACTIONS), "a suite asks for an action the adapters do not know"
    called = {(suite, s.action) for s in sites for suite in s.suites}
    documented = {(suite, a.name) for a in REGISTRY for suites, _, _ in a.uses for suite in suites}
    assert not called - documented, f"called but not documented in adapters.REGISTRY uses: {called - documented}"
    claimed = {(suite, a.name) for a in REGISTRY for suites, need, _ in a.uses if need != OPTIONAL
               for suite in suites}
    assert not claimed - called, f"documented as needed but no suite calls it: {claimed - called}"
    undocumented = [(s.action, p, s.path) for s in sites for p in s.params
                    if not p.startswith("**") and p not in dict(BY_NAME[s.action].params)]
    assert not undocumented, undocumented


def test_csip_grid_cases_without_set_grid_are_not_applicable(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[1]
    monkeypatch.syspath_prepend(str(root / "suites/csip"))
    import importlib
    modes = importlib.import_module("test_BASIC_modes")
    site = modes.Site.__new__(modes.Site)
    site.dut = CommandAdapter({"set_power": "true"})
    with pytest.raises(ActionNotSupported, match="set_grid"):
        site.need_grid()
