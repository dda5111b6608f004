"""Which CSIP cases apply to which client role, from the PICS: every case of suites/csip names the DER client
role it tests, so a profile for a server-only or unrelated device gets NOT_APPLICABLE for all of them, and an
aggregator (which CSIP holds to every DER client test as well) declares both roles and gets them all. The
aggregator-only AGG group is not in the suite yet."""

from __future__ import annotations

import ast
from pathlib import Path

from vgitest.profile import Profile

ROOT = Path(__file__).resolve().parents[2]
ROLES = {"DerClient", "Aggregator"}


def _cases() -> dict[str, tuple[str, ...]]:
    """case id -> its `requires`, read from the vgi_case markers of suites/csip."""
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted((ROOT / "suites/csip").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "vgi_case":
                case = ast.literal_eval(node.args[0])
                req = next((ast.literal_eval(k.value) for k in node.keywords if k.arg == "requires"), ())
                out[case] = tuple(req)
    return out


def _profile(**pics: bool) -> Profile:
    return Profile(None, {"protocol": "sep2", "version": "2018"}, dict(pics), {}, {}, {})


def test_every_case_names_a_client_role() -> None:
    cases = _cases()
    assert len(cases) >= 45, f"only {len(cases)} CSIP cases"
    assert not [c for c, req in cases.items() if not ROLES & set(req)], "cases without a client role"


def test_role_decides_applicability() -> None:
    full = {"Tls": True, "DerSettings": True, "Metering": True, "Alarms": True, "Subscriptions": True,
            "InBandRegistration": True}
    cases = _cases()
    not_a_client = _profile(DerClient=False, Aggregator=False, **full)
    assert all(not_a_client.missing(req) for req in cases.values())
    client = _profile(DerClient=True, Aggregator=False, **full)
    aggregator = _profile(DerClient=True, Aggregator=True, **full)
    for case, req in cases.items():
        assert not aggregator.missing(req), f"{case} does not apply to an aggregator"
        assert bool(client.missing(req)) == ("Aggregator" in req), case


def test_reference_profile_declares_its_role() -> None:
    p = Profile.load(ROOT / "profiles/reference-der-client-csip.toml")
    assert p.supports("DerClient") and not p.supports("Aggregator")
