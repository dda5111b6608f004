"""docs/pics.md: every PICS feature the suites read, what a device declares with it, and the cases it selects.

The cases are read from the suites themselves (their `vgi_case(..., requires=...)` markers, collected by pytest)
and from the places the harness asks `profile.supports(...)`, so the page always says what the code does.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE_TITLES = {"ocpp16": "OCPP 1.6J", "ocpp201": "OCPP 2.0.1", "openadr20b": "OpenADR 2.0b", "csip": "IEEE 2030.5 CSIP",
                "din70121": "DIN SPEC 70121", "iso15118_2": "ISO 15118-2", "iso15118_20": "ISO 15118-20",
                "slac": "ISO 15118-3 SLAC"}

# What a device declares with each feature (protocol, feature) -> meaning. Ids of certification profiles and of
# Part 5 optional features are facts; the meanings are ours.
MEANINGS: dict[tuple[str, str], str] = {
    ("ocpp", "Core"): "the Core profile (1.6) / Core certification profile (2.0.1): every station declares it",
    ("ocpp", "RemoteTrigger"): "1.6 Remote Trigger profile: TriggerMessage",
    ("ocpp", "SecurityProfile1"): "1.6 security extension, profile 1: HTTP Basic authentication over ws://",
    ("ocpp", "LocalAuthListManagement"): "local authorization list (SendLocalList, GetLocalListVersion); absent: "
                                         "GetLocalListVersion answers -1",
    ("ocpp", "FirmwareManagement"): "1.6 Firmware Management profile; absent: DiagnosticsStatusNotification and "
                                    "FirmwareStatusNotification triggers may be answered NotImplemented",
    ("ocpp", "C-13"): "2.0.1 Part 5 optional feature: Reset of a single EVSE",
    ("ocpp", "C-56"): "2.0.1 Part 5 optional feature: GetBaseReport SummaryInventory",
    ("ocpp", "ISO15118Support"): "2.0.1 ISO 15118 support certification profile",
    ("ocpp", "AuthorizationCache"): "the station keeps an authorization cache (AuthCacheCtrlr)",
    ("ocpp", "RemoteStart"): "RequestStartTransaction is implemented",
    ("ocpp", "SampledMeterValues"): "the station sends sampled meter values during a transaction",
    ("ocpp", "TriggerMessage"): "TriggerMessage is implemented",
    ("ocpp", "UnlockConnector"): "the station can unlock its connector remotely",
    ("ocpp", "DataTransfer"): "the station implements DataTransfer (answering UnknownVendorId for a vendor it does "
                              "not know is enough)",
    ("ocpp", "AdvancedSecurity"): "2.0.1 Advanced Security certification profile",
    ("ocpp", "AdvancedDeviceManagement"): "2.0.1 Advanced Device Management certification profile",
    ("ocpp", "AdvancedUserInterface"): "2.0.1 Advanced User Interface certification profile",
    ("ocpp", "SmartCharging"): "smart charging (1.6 profile, 2.0.1 certification profile)",
    ("ocpp", "Reservation"): "reservations (1.6 profile, 2.0.1 certification profile)",
    ("openadr", "HttpPull"): "the VEN polls the VTN (simple HTTP pull)",
    ("openadr", "HttpPush"): "the VEN serves the 2.0b endpoints and takes pushed payloads (a VEN that does both is "
                             "run once per exchange model, one profile each)",
    ("openadr", "EiOpt"): "the VEN sends opt schedules and opts in/out of events (oadrCreateOpt, oadrCancelOpt)",
    ("openadr", "Reports"): "the VEN registers and sends reports (EiReport)",
    ("openadr", "TelemetryStatus"): "the VEN offers a TELEMETRY_STATUS report",
    ("openadr", "TelemetryUsage"): "the VEN offers a TELEMETRY_USAGE report",
    ("openadr", "Tls"): "TLS 1.2 with client certificates (the fake VTN serves https)",
    ("openadr", "XmlSignature"): "the VEN signs its payloads (XML signatures)",
    ("openadr", "Xmpp"): "the VEN speaks the XMPP transport (the fake VTN serves simple HTTP only)",
    ("sep2", "DerClient"): "a CSIP DER client (every case needs it)",
    ("sep2", "Aggregator"): "the client is an aggregator acting for several DERs (no case is written for it yet)",
    ("sep2", "Alarms"): "the client reports alarms (LogEvents)",
    ("sep2", "DerSettings"): "the client posts its DER settings",
    ("sep2", "Metering"): "the client mirrors its meter readings (MirrorUsagePoint)",
    ("sep2", "Subscriptions"): "the client subscribes to resources (a MAY for a CSIP DER client)",
    ("sep2", "Tls"): "CSIP TLS with the client's device certificate",
    ("sep2", "InBandRegistration"): "the client registers in band (POSTs its EndDevice)",
    ("sep2", "CsipAus"): "the client follows CSIP-AUS",
    ("iso15118", "Evse"): "the device under test is an EVSE (the harness plays the EV)",
    ("iso15118", "Ev"): "the device under test is an EV (the harness plays the EVSE)",
    ("iso15118", "AC"): "AC charging",
    ("iso15118", "DC"): "DC charging",
    ("iso15118", "BPT"): "bidirectional power transfer (ISO 15118-20)",
    ("iso15118", "PnC"): "Plug & Charge (contract certificates over TLS)",
    ("iso15118", "Tls"): "V2G over TLS",
    ("iso15118", "Din"): "the device also speaks DIN SPEC 70121",
    ("iso15118", "Pause"): "the EV can pause a session (SessionStop Pause) and resume it later (ISO 15118-2)",
    ("slac", "Evse"): "the device under test is an EVSE (the harness plays the SLAC EV)",
    ("slac", "Ev"): "the device under test is an EV (the harness plays the SLAC EVSE)",
}
PROTOCOL = {"ocpp16": "ocpp", "ocpp201": "ocpp", "openadr20b": "openadr", "csip": "sep2", "din70121": "iso15118",
            "iso15118_2": "iso15118", "iso15118_20": "iso15118", "slac": "slac"}


def collect_requires() -> dict[tuple[str, str], list[str]]:
    """(suite folder, feature as written, '!X' = needs X absent) -> case ids, from the suites' markers."""
    import pytest

    found: dict[tuple[str, str], list[str]] = collections.defaultdict(list)

    class Collector:
        def pytest_collection_modifyitems(self, items: list) -> None:
            for item in items:
                marker = item.get_closest_marker("vgi_case")
                if marker is not None:
                    for req in marker.kwargs.get("requires", ()):
                        found[(item.path.parent.name, req)].append(marker.args[0])

    with contextlib.redirect_stdout(io.StringIO()):  # the collection's own listing is not the page's business
        pytest.main([str(ROOT / "suites"), "--collect-only", "-qq", "-p", "no:cacheprovider"],
                    plugins=[Collector()])
    return found


def supports_calls() -> dict[str, list[str]]:
    """Feature -> the files that ask `profile.supports(feature)` outside the markers."""
    out: dict[str, list[str]] = collections.defaultdict(list)
    for path in sorted([*ROOT.glob("suites/**/*.py"), *ROOT.glob("vgitest/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "supports" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                name = node.args[0].value
                if name[:1].isupper() or name.startswith("C-"):
                    rel = str(path.relative_to(ROOT))
                    if rel not in out[name]:
                        out[name].append(rel)
    return out


def pics_md() -> str:
    requires = collect_requires()
    elsewhere = supports_calls()
    lines = ["# PICS: what a device declares, and the cases each feature selects", "",
             "A profile's `[pics]` table declares what the device supports (`Feature = true`). A case that needs a",
             "feature the profile does not declare is NOT_APPLICABLE with the reason; `!Feature` means the case needs "
             "the", "feature *absent* (e.g. the behaviour a station without SummaryInventory must show). Generated from "
             "the suites", "by `python -m vgitest.docs`.", ""]
    for suite, title in SUITE_TITLES.items():
        rows = sorted({f.lstrip("!") for s, f in requires if s == suite})
        if not rows:
            continue
        lines += [f"## {title} (`suites/{suite}`)", "", "| feature | what the device declares | cases that need it | "
                  "cases that need it absent |", "|---|---|---|---|"]
        for feature in rows:
            need = sorted(set(requires.get((suite, feature), ())))
            absent = sorted(set(requires.get((suite, "!" + feature), ())))
            meaning = MEANINGS.get((PROTOCOL[suite], feature), "")
            lines.append(f"| `{feature}` | {meaning} | {_cases(need)} | {_cases(absent)} |")
        lines.append("")
    extra = {f: files for f, files in elsewhere.items()
             if not any(f == feat.lstrip("!") for _, feat in requires)}
    if extra:
        lines += ["## Features read elsewhere", "", "Features the harness reads with `profile.supports(...)` that no "
                  "case marker names:", "", "| feature | what the device declares | read in |", "|---|---|---|"]
        for feature, files in sorted(extra.items()):
            meaning = next((m for (p, f), m in MEANINGS.items() if f == feature), "")
            lines.append(f"| `{feature}` | {meaning} | {', '.join(f'`{x}`' for x in files)} |")
        lines.append("")
    unread = declared_but_unread(requires, elsewhere)
    if unread:
        lines += ["## Declared in the shipped profiles, read by no case yet", "",
                  "The example profiles declare these for the record (a certification profile, a capability); no "
                  "case or", "check reads them today, so their value changes no verdict.", "",
                  "| feature | what the device declares | declared in |", "|---|---|---|"]
        for feature, files in sorted(unread.items()):
            meaning = next((m for (p, f), m in MEANINGS.items() if f == feature), "")
            lines.append(f"| `{feature}` | {meaning} | {', '.join(f'`{x}`' for x in files)} |")
        lines.append("")
    return "\n".join(lines)


def declared_but_unread(requires: dict[tuple[str, str], list[str]], elsewhere: dict[str, list[str]]
                        ) -> dict[str, list[str]]:
    """PICS keys the shipped profiles declare that no case marker and no `supports(...)` call reads."""
    import tomllib
    read = {f.lstrip("!") for _, f in requires} | set(elsewhere)
    out: dict[str, list[str]] = collections.defaultdict(list)
    for path in sorted(ROOT.glob("profiles/*.toml")):
        with path.open("rb") as fh:
            pics = tomllib.load(fh).get("pics", {})
        for feature in pics:
            if feature not in read:
                out[feature].append(str(path.relative_to(ROOT)))
    return out


def _cases(ids: list[str]) -> str:
    if not ids:
        return ""
    if len(ids) > 12:
        return f"{len(ids)} cases ({', '.join(ids[:6])}, ...)"
    return ", ".join(ids)
