"""PIXIT keys: the registry (and so docs/pixit.md) names every key the code reads, with the defaults the code
uses; one name per meaning (old names are aliases with a warning); a key nobody reads is a warning with the
profile's line, so a typo never silently leaves a case on its default."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest

from vgitest import pixit
from vgitest.profile import PixitWarning, Profile
from vgitest.verdict import HarnessError

ROOT = Path(__file__).resolve().parents[1]
# simulator parameters the harness itself sets (run.simulator_params: generated PKI files, the run's version)
INTERNAL = {"dut_version", "offers", "host", "secc_chain", "secc_trust", "evcc_trust", "tls_ca", "tls_cert", "tls_key",
            "tls_other_cert", "tls_other_key"}
# read without a literal at the call: run._v2g_tls picks the Plug & Charge files from a tuple; the ISO 15118
# reference devices and fakes take `ev_*`/`evse_*` by prefix
INDIRECT = {"mo_root", "v2g_root", "contract_chain", "contract_key", "cps_leaf_chain", "cps_leaf_key",
            "oem_prov_chain", "oem_prov_key"}
SIMULATORS = ("vgitest/ocpp/station", "vgitest/openadr/ven", "vgitest/openadr3/ven",
              "vgitest/sep2/client", "vgitest/iso15118/reference.py",
              "vgitest/slac/reference.py", "tests/interop/mh_station.py", "tests/interop/pyoadr_ven_dut.py")


class Read:
    def __init__(self, key: str, path: str, line: int, default: ast.expr | None) -> None:
        self.key, self.path, self.line, self.default = key, path, line, default

    def __repr__(self) -> str:
        return f"{self.key} at {self.path}:{self.line}"


def _str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a module or function, without those of the functions defined in it."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


def _params_names(scope: ast.AST) -> set[str]:
    """Names a simulator binds to its parameters in this function (`p = self.params`, `p = params.get`)."""
    names = {"params", "self.params"}
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and ast.unparse(node.value) in ("params", "self.params", "params.get", "self.params.get"):
            names.add(node.targets[0].id)
    return names


def _reads(path: Path, simulator: bool) -> Iterator[Read]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))]
    for scope in scopes:
        yield from _scope_reads(scope, str(path.relative_to(ROOT)), _params_names(scope) if simulator else set())


def _scope_reads(scope: ast.AST, rel: str, bound: set[str]) -> Iterator[Read]:
    for node in _own_nodes(scope):
        if isinstance(node, ast.FunctionDef) and any(a.arg in ("profile", "vgi_profile") for a in node.args.args):
            # a helper's default key: wait_s(profile, key="message_wait")
            args = node.args.args[-len(node.args.defaults):] if node.args.defaults else []
            for arg, default in zip(args, node.args.defaults):
                if arg.arg == "key" and _str(default):
                    yield Read(_str(default), rel, node.lineno, None)  # type: ignore[arg-type]
        if isinstance(node, ast.Subscript) and (ast.unparse(node.value).endswith("pixit")
                                                 or ast.unparse(node.value) in bound):
            if _str(node.slice):
                yield Read(_str(node.slice), rel, node.lineno, None)  # type: ignore[arg-type]
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In) and _str(node.left) \
                and (ast.unparse(node.comparators[0]).endswith("pixit") or ast.unparse(node.comparators[0]) in bound):
            yield Read(_str(node.left), rel, node.lineno, None)  # type: ignore[arg-type]
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
        recv = ast.unparse(fn.value) if isinstance(fn, ast.Attribute) else ""
        if name == "get" and (recv.endswith("pixit") or recv in bound):
            idx = 0
        elif name == "param" and recv.endswith("profile") or name in bound or name == "opt" and "slac" in rel:
            idx = 0
        elif name in ("pixit", "wait_s", "id_token") and not isinstance(fn, ast.Attribute) or name == "id_token":
            idx = 1
        else:
            continue
        key = _str(node.args[idx]) if len(node.args) > idx else None
        if key is not None:
            yield Read(key, rel, node.lineno, node.args[idx + 1] if len(node.args) > idx + 1 else None)


def _all_reads() -> tuple[list[Read], list[Read]]:
    harness, sims = [], []
    for path in sorted([*ROOT.glob("suites/**/*.py"), *ROOT.glob("vgitest/**/*.py"), ROOT / "tests/interop/mh_station.py",
                        ROOT / "tests/interop/pyoadr_ven_dut.py"]):
        rel = str(path.relative_to(ROOT))
        if rel in ("vgitest/pixit.py",) or rel.startswith("vgitest/exi"):
            continue
        simulator = rel.startswith(SIMULATORS)
        (sims if simulator else harness).extend(_reads(path, simulator))
    return harness, sims


HARNESS, SIMULATED = _all_reads()
PREFIXED = pixit.prefixed_fields()


def test_the_scan_sees_the_reads_it_must() -> None:
    # a scanner that finds nothing would pass every test below
    keys = {r.key for r in HARNESS}
    assert {"message_wait", "valid_id_token", "other_id_token", "poll_rate_s", "session_wait", "connect_timeout",
            "interface", "slac_init_timeout", "boot_timeout"} <= keys
    assert {"call_timeout", "data_transfer_vendor_id", "post_rate_s", "exchange_model"} <= {r.key for r in SIMULATED}


def test_every_key_the_code_reads_is_documented_under_its_current_name() -> None:
    unknown = [r for r in HARNESS + SIMULATED if r.key not in pixit.BY_NAME and r.key not in PREFIXED
               and r.key not in INTERNAL and r.key not in pixit.ALIASES]
    assert not unknown, f"add these to the KEYS of vgitest/<protocol>/pixit_keys.py: {unknown}"
    old = [r for r in HARNESS + SIMULATED if r.key in pixit.ALIASES and not r.path.startswith("tests/")]
    assert not old, f"read the current names: {old}"
    reference_only = [r for r in HARNESS if pixit.BY_NAME.get(r.key) and pixit.BY_NAME[r.key].reference]
    assert not reference_only, f"the harness reads keys the registry calls reference-only: {reference_only}"


def test_the_suites_a_key_is_listed_for_are_the_ones_that_read_it() -> None:
    wrong = []
    for r in HARNESS:
        key = pixit.BY_NAME.get(r.key)
        if key is None:
            continue
        parts = Path(r.path).parts
        if parts[0] == "suites" and parts[1] not in key.suites:
            wrong.append(f"{r}: suites/{parts[1]} reads it, the registry says {key.suites}")
        if parts[0] == "vgitest" and parts[1] in ("ocpp", "openadr", "sep2", "iso15118", "slac") \
                and parts[1] not in key.protocols:
            wrong.append(f"{r}: vgitest/{parts[1]} reads it, the registry says {sorted(key.protocols)}")
    assert not wrong, "\n".join(wrong)


def test_every_documented_key_is_read_somewhere() -> None:
    read = {r.key for r in HARNESS + SIMULATED} | INDIRECT
    unread = [k.name for k in pixit.REGISTRY if k.name not in read]
    assert not unread, f"documented but nobody reads them: {unread}"


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)  # an expression (3 * poll): documented by hand


def test_defaults_in_the_code_are_the_documented_ones() -> None:
    wrong = []
    for r in HARNESS:
        key = pixit.BY_NAME.get(r.key)
        value = _literal(r.default)
        if key is None or r.default is None or not isinstance(r.default, ast.Constant):
            continue
        allowed = {key.default, *dict(key.by_suite).values(), *(v for _, _, v in key.also)}
        if key.required:
            allowed |= {"VGI-TAG-0001", "VGI-TOKEN-0001"}  # the reusable states' fallback; documented as required
        if value not in allowed:
            wrong.append(f"{r}: default {value!r}, documented {sorted(map(repr, allowed))}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT) for p in [*ROOT.glob("profiles/*.toml"),
                                                                       *ROOT.glob("tests/interop/profiles/*.toml")]),
                         ids=str)
def test_the_profiles_in_the_repository_use_only_current_keys(path: Path) -> None:
    assert Profile.load(ROOT / path).warnings == []


def _load(tmp_path: Path, pixit_text: str, protocol: str = "ocpp") -> tuple[Profile, list[warnings.WarningMessage]]:
    f = tmp_path / "dut.toml"
    version = {"ocpp": "1.6", "openadr": "2.0b", "sep2": "2018", "iso15118": "iso-2", "slac": "15118-3"}[protocol]
    f.write_text(f'[dut]\nprotocol = "{protocol}"\nversion = "{version}"\n\n[pixit]\n{pixit_text}\n[adapter]\n'
                 'kind = "manual"\n')
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        profile = Profile.load(f)
    return profile, [w for w in seen if issubclass(w.category, PixitWarning)]


@pytest.mark.parametrize("protocol,typo,key", [
    ("ocpp", "mesage_wait", "message_wait"),
    ("openadr", "pol_freq_s", "poll_freq_s"),
    ("sep2", "poll_rate", "poll_rate_s"),
    ("iso15118", "evse_cable_check_round", "evse_cable_check_rounds"),
    ("slac", "slac_init_timout", "slac_init_timeout"),
])
def test_a_misspelt_key_refuses_the_profile_naming_the_nearest_key(tmp_path: Path, protocol: str, typo: str,
                                                                     key: str) -> None:
    assert key in pixit.BY_NAME or key in pixit.prefixed_fields(), f"{key} is not a PIXIT key: fix the test"
    with pytest.raises(HarnessError) as exc:
        _load(tmp_path, f'{typo} = 20\n', protocol)
    assert str(exc.value) == (f"{tmp_path / 'dut.toml'}:6: [pixit] {typo}: unknown PIXIT key '{typo}' (did you mean "
                              f"'{key}'?): no suite reads it (docs/pixit.md lists every key)")


def test_a_key_far_from_every_known_one_is_a_warning_with_the_profiles_line(tmp_path: Path) -> None:
    profile, seen = _load(tmp_path, 'connectors = 1\nacme_lab_bench = 20\n')
    assert [(Path(w.filename).name, w.lineno) for w in seen] == [("dut.toml", 7)]
    assert str(seen[0].message) == ("unknown PIXIT key 'acme_lab_bench': no suite reads it, so it has no effect "
                                    "(docs/pixit.md lists every key)")
    assert profile.warnings == [f"{tmp_path / 'dut.toml'}:7: {seen[0].message}"]
    assert profile.param("acme_lab_bench") == 20  # a vendor's own tests may read it


def test_a_key_of_another_protocol_is_a_warning(tmp_path: Path) -> None:
    _, seen = _load(tmp_path, 'poll_rate_s = 2\nconnectors = 2\n')
    assert [str(w.message).split(":")[0] for w in seen] == [
        "PIXIT key 'poll_rate_s' is not read for protocol ocpp (only sep2)"]
    _, seen = _load(tmp_path, 'ev_max_a = 20\nevse_cable_check_rounds = 1\n', "iso15118")
    assert seen == []
    with pytest.raises(HarnessError, match="unknown PIXIT key 'ev_max_amps' \\(did you mean 'ev_max_a'"):
        _load(tmp_path, 'ev_max_amps = 3\n', "iso15118")


@pytest.mark.parametrize("old,new", sorted(pixit.ALIASES.items()))
def test_an_old_name_still_works_with_a_deprecation_warning(tmp_path: Path, old: str, new: str) -> None:
    protocol = sorted(pixit.BY_NAME[new].protocols)[0]
    value: Any = 7 if isinstance(pixit.BY_NAME[new].default, (int, float)) else "X-1"  # of the key's type
    profile, seen = _load(tmp_path, f'{old} = {value!r}\n'.replace("'", '"'), protocol)
    assert profile.pixit == {new: value} and profile.param(new) == value
    assert [str(w.message) for w in seen] == [f"PIXIT key '{old}' is deprecated: rename it to '{new}' (read as "
                                              f"'{new}' for now)"]
    with pytest.warns(DeprecationWarning, match=f"renamed '{new}'"):
        assert profile.param(old) == value  # a vendor's own test asking by the old name


def test_the_new_name_wins_over_the_old_one(tmp_path: Path) -> None:
    profile, seen = _load(tmp_path, 'other_valid_id_token = "OLD"\nother_id_token = "NEW"\n')
    assert profile.param("other_id_token") == "NEW" and "is ignored" in str(seen[0].message)


def test_one_name_per_meaning_across_versions() -> None:
    # the pairs the two OCPP versions (and their reference stations) used to name differently
    for old, new in (("other_valid_id_token", "other_id_token"), ("message_timeout", "message_wait"),
                     ("boot_wait", "boot_timeout"), ("meter_interval", "meter_sample_interval"),
                     ("ev_connection_timeout", "connection_timeout"), ("station_call_timeout", "call_timeout"),
                     ("data_transfer_vendor", "data_transfer_vendor_id")):
        assert pixit.canonical(old) == new and old not in pixit.BY_NAME


def test_pytest_run_shows_the_warning(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", dut='[dut]\nprotocol = "ocpp"\nversion = "1.6"\n[pixit]\nacme_bench_id = 3\n'
                                   '[adapter]\nkind = "manual"\n')
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    res = pytester.runpytest_subprocess("--vgi-profile=dut.toml", "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)
    res.stderr.fnmatch_lines(["*dut.toml:5: PixitWarning: unknown PIXIT key 'acme_bench_id': no suite reads it*",
                              "  acme_bench_id = 3"])


def test_pytest_refuses_a_misspelt_key(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", dut='[dut]\nprotocol = "ocpp"\nversion = "1.6"\n[pixit]\nconect_timeout = 3\n'
                                   '[adapter]\nkind = "manual"\n')
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    res = pytester.runpytest_subprocess("--vgi-profile=dut.toml", "-p", "no:cacheprovider")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*dut.toml:5: [[]pixit[]] conect_timeout: unknown PIXIT key 'conect_timeout' (did you "
                              "mean 'connect_timeout'?)*"])


def test_the_readme_station_profile_is_complete(tmp_path: Path) -> None:
    # the profile a vendor copies from the README loads without a warning, has every required key and a valid
    # adapter
    import re
    import textwrap

    from vgitest.adapters import from_profile
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Testing your own charging station"):]
    block = textwrap.dedent(re.search(r"```toml\n(.*?)```", section, re.S).group(1))  # type: ignore[union-attr]
    (tmp_path / "acme.toml").write_text(block)
    profile = Profile.load(tmp_path / "acme.toml")
    assert profile.warnings == [] and pixit.missing_required(profile.pixit, "ocpp") == []
    adapter = from_profile("command", profile.adapter)
    assert adapter.supports("power_on") and not adapter.supports("clear_fault")


def test_standalone_params_are_read_like_a_profile(capsys: pytest.CaptureFixture[str]) -> None:
    # `vgitest station --param meter_interval=1` still sets what the reference station now reads
    from vgitest.standalone import checked_params
    assert checked_params({"meter_interval": 1, "heartbeat_interval": 2}, "ocpp") == {"meter_sample_interval": 1,
                                                                                     "heartbeat_interval": 2}
    assert "'meter_interval' is deprecated: rename it to 'meter_sample_interval'" in capsys.readouterr().err


def test_a_required_key_is_required_only_by_the_suite_of_the_profiles_version() -> None:
    """A vendor's 2.0.1 profile was refused by `vgitest profile check` for lacking other_id_token, which only the
    1.6 suite reads."""
    assert [k.name for k in pixit.missing_required({"valid_id_token": "A", "invalid_id_token": "B"}, "ocpp",
                                                   "2.0.1")] == []
    assert "other_id_token" in [k.name for k in pixit.missing_required({"valid_id_token": "A",
                                                                       "invalid_id_token": "B"}, "ocpp", "1.6")]
