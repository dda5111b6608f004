"""B: Provisioning — base reports of the device model via GetBaseReport + NotifyReport (B07)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


def base_report(station, base: str, t) -> list[dict]:
    return s.base_report(station, base, t.wait, t.quiet)


@pytest.mark.vgi_case("TC_B_12_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_12_CS(booted_station, t) -> None:
    """A ConfigurationInventory report lists the configurable variables only, in NotifyReport parts numbered
    from 0 that end with tbc=false."""
    st = booted_station
    rows = base_report(st, "ConfigurationInventory", t)
    st.check(rows, r.STATION_RESPONSE, "the configuration report is empty")
    ro = [f"{e['component']['name']}.{e['variable']['name']}" for e in rows
          if all(a.get("mutability", "ReadWrite") == "ReadOnly" for a in e["variableAttribute"])]
    st.check(not ro, r.STATION_RESPONSE, f"ReadOnly variables in a ConfigurationInventory report: {ro[:5]}")


@pytest.mark.vgi_case("TC_B_13_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_13_CS(booted_station, t) -> None:
    """A FullInventory report covers the whole device model, including the mandatory heartbeat interval, and
    WriteOnly variables come without a value."""
    st = booted_station
    rows = base_report(st, "FullInventory", t)
    names = {(e["component"]["name"], e["variable"]["name"]) for e in rows}
    st.check(("OCPPCommCtrlr", "HeartbeatInterval") in names, r.STATION_RESPONSE,
             "OCPPCommCtrlr.HeartbeatInterval is missing from the full report")
    leaked = [e["variable"]["name"] for e in rows for a in e["variableAttribute"]
              if a.get("mutability") == "WriteOnly" and "value" in a]
    st.check(not leaked, r.STATION_RESPONSE, f"WriteOnly variables reported with their value: {leaked}")


@pytest.mark.vgi_case("TC_B_15_CS", feature="Provisioning", requires=("Core", "!C-56"))
def test_TC_B_15_CS(booted_station, t) -> None:
    """A station without SummaryInventory support answers NotSupported to that report and sends no report."""
    st = booted_station
    start = s.mark(st)
    res = st.call("GetBaseReport", {"requestId": 1515, "reportBase": "SummaryInventory"})
    st.check(res["status"] == "NotSupported", r.STATION_RESPONSE, f"SummaryInventory: {res['status']}")
    s.expect_quiet(st, "NotifyReport", start, t.quiet, "the report was answered NotSupported",
                   {"requestId": 1515})


# The device-model variables a FullInventory must report (2.0.1 Part 2, referenced components and variables): per
# certification profile, (component, variable, instance, data type). EVSE and Connector rows are per EVSE/connector.
_CORE = [
    ("AlignedDataCtrlr", "Interval", None, "integer"), ("AlignedDataCtrlr", "Measurands", None, "MemberList"),
    ("AlignedDataCtrlr", "TxEndedInterval", None, "integer"),
    ("AlignedDataCtrlr", "TxEndedMeasurands", None, "MemberList"),
    ("AuthCtrlr", "AuthorizeRemoteStart", None, "boolean"), ("AuthCtrlr", "LocalAuthorizeOffline", None, "boolean"),
    ("AuthCtrlr", "LocalPreAuthorize", None, "boolean"),
    ("ChargingStation", "AvailabilityState", None, "OptionList"), ("ChargingStation", "Available", None, "boolean"),
    ("ChargingStation", "SupplyPhases", None, "integer"),
    ("ClockCtrlr", "DateTime", None, "dateTime"), ("ClockCtrlr", "TimeSource", None, "SequenceList"),
    ("Connector", "AvailabilityState", None, "OptionList"), ("Connector", "Available", None, "boolean"),
    ("Connector", "ConnectorType", None, "string"), ("Connector", "SupplyPhases", None, "integer"),
    *[("DeviceDataCtrlr", v, i, "integer") for v in ("BytesPerMessage", "ItemsPerMessage")
      for i in ("GetReport", "GetVariables", "SetVariables")],
    ("EVSE", "AvailabilityState", None, "OptionList"), ("EVSE", "Available", None, "boolean"),
    ("EVSE", "Power", None, "decimal"), ("EVSE", "SupplyPhases", None, "integer"),
    ("OCPPCommCtrlr", "FileTransferProtocols", None, "MemberList"),
    ("OCPPCommCtrlr", "MessageTimeout", "Default", "integer"),
    ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent", "integer"),
    ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent", "integer"),
    ("OCPPCommCtrlr", "NetworkConfigurationPriority", None, "SequenceList"),
    ("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", None, "integer"),
    ("OCPPCommCtrlr", "OfflineThreshold", None, "integer"), ("OCPPCommCtrlr", "ResetRetries", None, "integer"),
    ("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", None, "boolean"),
    ("SampledDataCtrlr", "TxEndedInterval", None, "integer"),
    ("SampledDataCtrlr", "TxEndedMeasurands", None, "MemberList"),
    ("SampledDataCtrlr", "TxStartedMeasurands", None, "MemberList"),
    ("SampledDataCtrlr", "TxUpdatedInterval", None, "integer"),
    ("SampledDataCtrlr", "TxUpdatedMeasurands", None, "MemberList"),
    ("SecurityCtrlr", "CertificateEntries", None, "integer"), ("SecurityCtrlr", "OrganizationName", None, "string"),
    ("SecurityCtrlr", "SecurityProfile", None, "integer"),
    ("TxCtrlr", "EVConnectionTimeOut", None, "integer"), ("TxCtrlr", "StopTxOnEVSideDisconnect", None, "boolean"),
    ("TxCtrlr", "StopTxOnInvalidId", None, "boolean"), ("TxCtrlr", "TxStartPoint", None, "MemberList"),
    ("TxCtrlr", "TxStopPoint", None, "MemberList"),
]
_BY_PROFILE = {
    "AdvancedUserInterface": [("DisplayMessageCtrlr", "DisplayMessages", None, "integer"),
                              ("DisplayMessageCtrlr", "SupportedFormats", None, "MemberList"),
                              ("DisplayMessageCtrlr", "SupportedPriorities", None, "MemberList"),
                              ("TariffCostCtrlr", "Currency", None, "string"),
                              ("TariffCostCtrlr", "TariffFallbackMessage", None, "string"),
                              ("TariffCostCtrlr", "TotalCostFallbackMessage", None, "string")],
    "ISO15118Support": [("ISO15118Ctrlr", "ContractValidationOffline", None, "boolean")],
    "LocalAuthListManagement": [("LocalAuthListCtrlr", v, None, "integer")
                                for v in ("BytesPerMessage", "Entries", "ItemsPerMessage")],
    "AdvancedDeviceManagement": [("MonitoringCtrlr", "BytesPerMessage", "SetVariableMonitoring", "integer")],
    "SmartCharging": [("SmartChargingCtrlr", "Entries", "ChargingProfiles", "integer"),
                      ("SmartChargingCtrlr", "LimitChangeSignificance", None, "decimal"),
                      ("SmartChargingCtrlr", "PeriodsPerSchedule", None, "integer"),
                      ("SmartChargingCtrlr", "ProfileStackLevel", None, "integer"),
                      ("SmartChargingCtrlr", "RateUnit", None, "MemberList")],
}


def required_variables(profile) -> list[tuple[str, str, str | None, str]]:
    return _CORE + [v for name, rows in _BY_PROFILE.items() if profile.supports(name) for v in rows]


@pytest.mark.vgi_case("TC_B_53_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_53_CS(booted_station, vgi_profile, t) -> None:
    """A FullInventory report, in NotifyReport parts numbered from 0, names every variable the standard makes
    mandatory for the certification profiles the station declares (Core always), with its data type where the report
    gives one; an EVSE or Connector variable is reported for at least one EVSE or connector."""
    st = booted_station
    rows = base_report(st, "FullInventory", t)
    seen: dict[tuple[str, str, str | None], set[str]] = {}
    for e in rows:
        key = (e["component"]["name"], e["variable"]["name"], e["variable"].get("instance"))
        kinds = seen.setdefault(key, set())
        if "dataType" in (e.get("variableCharacteristics") or {}):  # the characteristics are optional in a report
            kinds.add(str(e["variableCharacteristics"]["dataType"]))
    missing = [f"{c}.{v}" + (f"[{i}]" if i else "") for c, v, i, _ in required_variables(vgi_profile)
               if (c, v, i) not in seen]
    st.check(not missing, r.STATION_RESPONSE, f"the full report lacks {len(missing)} mandatory variable(s): "
             f"{', '.join(missing)}")
    typed = [f"{c}.{v}: {sorted(seen[(c, v, i)])} (expected {d})" for c, v, i, d in required_variables(vgi_profile)
             if seen.get((c, v, i)) and d not in seen[(c, v, i)]]
    st.check(not typed, r.STATION_RESPONSE, f"mandatory variable(s) reported with another data type: "
             f"{'; '.join(typed)}")
