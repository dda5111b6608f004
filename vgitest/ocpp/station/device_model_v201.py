"""The OCPP 2.0.1 device model of the reference station: components, variables and their attributes.

GetVariables, SetVariables and GetBaseReport all read this one table, so that "what the station accepts"
and "what it reports afterwards" can only disagree when a fault says so. Only the `Actual` attribute is
supported; other attribute types answer NotSupportedAttributeType, as the standard allows.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

Value = str | Callable[[], str]


@dataclasses.dataclass
class Variable:
    component: str
    name: str
    value: Value
    mutability: str = "ReadWrite"  # ReadOnly, ReadWrite, WriteOnly
    data_type: str = "string"  # string, decimal, integer, dateTime, boolean, OptionList, SequenceList, MemberList
    values_list: str | None = None
    instance: str | None = None
    component_instance: str | None = None
    evse: int | None = None
    connector: int | None = None
    minimum: int | None = None

    def __post_init__(self) -> None:
        # a PIXIT number may arrive as 1.0: an integer variable still reads "1" (a value of its data type); a
        # fraction (the unit tests' sub-second intervals) stays as given
        if self.data_type == "integer" and isinstance(self.value, str):
            try:
                number = float(self.value)
            except ValueError:
                return
            if number.is_integer():
                self.value = str(int(number))

    def current(self) -> str:
        return self.value() if callable(self.value) else self.value

    def key(self) -> tuple:
        return (self.component, self.component_instance, self.evse, self.connector, self.name, self.instance)

    def component_json(self) -> dict:
        comp: dict[str, Any] = {"name": self.component}
        if self.component_instance is not None:
            comp["instance"] = self.component_instance
        if self.evse is not None:
            comp["evse"] = {"id": self.evse} if self.connector is None else {"id": self.evse,
                                                                           "connectorId": self.connector}
        return comp

    def variable_json(self) -> dict:
        var: dict[str, Any] = {"name": self.name}
        if self.instance is not None:
            var["instance"] = self.instance
        return var

    def check(self, text: str) -> str | None:
        """Why `text` is not a valid value for this variable, or None when it is."""
        if self.data_type == "integer":
            try:
                n = int(text, 10)
            except ValueError:
                return f"{text!r} is not an integer"
            if self.minimum is not None and n < self.minimum:
                return f"{n} is below the minimum {self.minimum}"
        elif self.data_type == "decimal":
            try:
                float(text)
            except ValueError:
                return f"{text!r} is not a decimal"
        elif self.data_type == "boolean":
            if text not in ("true", "false"):
                return f"{text!r} is not true/false"
        elif self.data_type in ("OptionList", "MemberList", "SequenceList"):
            allowed = (self.values_list or "").split(",")
            items = [text] if self.data_type == "OptionList" else text.split(",")
            bad = [i for i in items if i not in allowed]
            if bad or not text:
                return f"{text!r} is not in the values list {self.values_list!r}"
        return None


class DeviceModel:
    """Lookup of variables by the component/variable addressing of GetVariables and SetVariables."""

    def __init__(self, variables: list[Variable]) -> None:
        self.variables = variables

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.variables)

    def lookup(self, component: dict, variable: dict) -> tuple[str, Variable | None]:
        """(status, variable): Accepted, UnknownComponent or UnknownVariable."""
        evse = component.get("evse") or {}
        same_component = [v for v in self.variables
                          if v.component == component.get("name")
                          and v.component_instance == component.get("instance")
                          and v.evse == evse.get("id")
                          and (v.connector == evse.get("connectorId") or "connectorId" not in evse and
                               v.connector is None)]
        if not same_component:
            return "UnknownComponent", None
        for v in same_component:
            if v.name == variable.get("name") and v.instance == variable.get("instance"):
                return "Accepted", v
        return "UnknownVariable", None

    def find(self, component: str, name: str, instance: str | None = None) -> Variable:
        for v in self.variables:
            if v.component == component and v.name == name and v.instance == instance and v.evse is None:
                return v
        raise KeyError(f"{component}.{name}")

    def get(self, component: str, name: str, instance: str | None = None) -> str:
        return self.find(component, name, instance).current()

    def set(self, component: str, name: str, value: str, instance: str | None = None) -> None:
        self.find(component, name, instance).value = value

    def report_entry(self, v: Variable) -> dict:
        """One NotifyReport `reportData` element."""
        attr: dict[str, Any] = {"type": "Actual", "mutability": v.mutability}
        if v.mutability != "WriteOnly":
            attr["value"] = v.current()
        chars: dict[str, Any] = {"dataType": v.data_type, "supportsMonitoring": False}
        if v.values_list:
            chars["valuesList"] = v.values_list
        return {"component": v.component_json(), "variable": v.variable_json(), "variableAttribute": [attr],
                "variableCharacteristics": chars}


MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"
TX_POINTS = "ParkingBayOccupancy,EVConnected,Authorized,PowerPathClosed,EnergyTransfer,DataSigned"


def reference_model(*, identity: str, evses: int, heartbeat: Callable[[], str], now: Callable[[], str],
                    availability: Callable[[int | None], str], params: dict[str, Any]) -> DeviceModel:
    """The reference station's variables; dynamic ones (clock, availability) read the station's state."""
    V = Variable
    vs = [
        V("OCPPCommCtrlr", "HeartbeatInterval", heartbeat, "ReadWrite", "integer", minimum=1),
        V("OCPPCommCtrlr", "NetworkConfigurationPriority", "1", "ReadWrite", "SequenceList", "1,2"),
        V("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", "3", "ReadWrite", "integer", minimum=0),
        V("OCPPCommCtrlr", "OfflineThreshold", "60", "ReadWrite", "integer", minimum=0),
        V("OCPPCommCtrlr", "MessageTimeout", str(params.get("call_timeout", 30)), "ReadWrite", "integer",
          instance="Default", minimum=1),
        V("OCPPCommCtrlr", "MessageAttempts", "3", "ReadWrite", "integer", instance="TransactionEvent", minimum=0),
        V("OCPPCommCtrlr", "MessageAttemptInterval", "10", "ReadWrite", "integer", instance="TransactionEvent",
          minimum=0),
        V("OCPPCommCtrlr", "ResetRetries", "2", "ReadWrite", "integer", minimum=0),
        V("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", "true", "ReadWrite", "boolean"),
        V("OCPPCommCtrlr", "WebSocketPingInterval", "0", "ReadWrite", "integer", minimum=0),
        V("TxCtrlr", "EVConnectionTimeOut", str(params.get("connection_timeout", 30)), "ReadWrite", "integer",
          minimum=1),
        V("TxCtrlr", "StopTxOnEVSideDisconnect", "true", "ReadOnly", "boolean"),
        V("TxCtrlr", "StopTxOnInvalidId", "true", "ReadWrite", "boolean"),
        V("TxCtrlr", "TxStartPoint", "EVConnected,Authorized", "ReadWrite", "MemberList", TX_POINTS),
        V("TxCtrlr", "TxStopPoint", "EVConnected,Authorized", "ReadWrite", "MemberList", TX_POINTS),
        V("AuthCtrlr", "Enabled", "true", "ReadWrite", "boolean"),
        V("AuthCtrlr", "AuthorizeRemoteStart", "false", "ReadWrite", "boolean"),
        V("AuthCtrlr", "LocalAuthorizeOffline", "true", "ReadWrite", "boolean"),
        V("AuthCtrlr", "LocalPreAuthorize", "false", "ReadWrite", "boolean"),
        V("AuthCacheCtrlr", "Enabled", "true", "ReadWrite", "boolean"),
        V("AuthCacheCtrlr", "LifeTime", "86400", "ReadWrite", "integer", minimum=0),
        V("AuthCacheCtrlr", "Available", "true", "ReadOnly", "boolean"),
        V("AuthCacheCtrlr", "DisablePostAuthorize", "false", "ReadWrite", "boolean"),
        V("AuthCtrlr", "MasterPassGroupId", "", "ReadWrite", "string"),
        V("SampledDataCtrlr", "TxUpdatedInterval", str(params.get("meter_sample_interval", 60)), "ReadWrite", "integer",
          minimum=0),
        V("SampledDataCtrlr", "TxStartedMeasurands", "Energy.Active.Import.Register", "ReadWrite", "MemberList",
          MEASURANDS),
        V("SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register", "ReadWrite", "MemberList",
          MEASURANDS),
        V("SampledDataCtrlr", "TxEndedMeasurands", "Energy.Active.Import.Register", "ReadWrite", "MemberList",
          MEASURANDS),
        V("SampledDataCtrlr", "TxEndedInterval", "0", "ReadWrite", "integer", minimum=0),
        V("AlignedDataCtrlr", "Interval", "0", "ReadWrite", "integer", minimum=0),
        V("AlignedDataCtrlr", "Measurands", "Energy.Active.Import.Register", "ReadWrite", "MemberList", MEASURANDS),
        V("AlignedDataCtrlr", "TxEndedInterval", "0", "ReadWrite", "integer", minimum=0),
        V("AlignedDataCtrlr", "TxEndedMeasurands", "Energy.Active.Import.Register", "ReadWrite", "MemberList",
          MEASURANDS),
        V("DeviceDataCtrlr", "ItemsPerMessage", "32", "ReadOnly", "integer", instance="GetReport"),
        V("DeviceDataCtrlr", "ItemsPerMessage", "32", "ReadOnly", "integer", instance="GetVariables"),
        V("DeviceDataCtrlr", "ItemsPerMessage", "32", "ReadOnly", "integer", instance="SetVariables"),
        V("DeviceDataCtrlr", "BytesPerMessage", "65000", "ReadOnly", "integer", instance="GetReport"),
        V("DeviceDataCtrlr", "BytesPerMessage", "65000", "ReadOnly", "integer", instance="GetVariables"),
        V("DeviceDataCtrlr", "BytesPerMessage", "65000", "ReadOnly", "integer", instance="SetVariables"),
        V("ClockCtrlr", "DateTime", now, "ReadOnly", "dateTime"),
        V("ClockCtrlr", "TimeSource", "Heartbeat", "ReadWrite", "SequenceList", "Heartbeat,NTP,RealTimeClock"),
        V("SecurityCtrlr", "SecurityProfile", "1", "ReadOnly", "integer"),
        V("SecurityCtrlr", "OrganizationName", "vgitest", "ReadWrite", "string"),
        V("SecurityCtrlr", "Identity", identity, "ReadOnly", "string"),
        V("SecurityCtrlr", "BasicAuthPassword", "", "WriteOnly", "string"),
        V("ChargingStation", "AvailabilityState", lambda: availability(None), "ReadOnly", "OptionList",
          "Available,Occupied,Reserved,Unavailable,Faulted"),
        V("ChargingStation", "Available", "true", "ReadOnly", "boolean"),
        V("ChargingStation", "SupplyPhases", "3", "ReadOnly", "integer"),
        V("OCPPCommCtrlr", "FileTransferProtocols", "HTTP,HTTPS", "ReadOnly", "MemberList", "FTP,FTPS,HTTP,HTTPS,SFTP"),
        V("SecurityCtrlr", "CertificateEntries", "0", "ReadOnly", "integer"),
        V("ChargingStation", "Model", str(params.get("model", "VGI-REF-201")), "ReadOnly", "string"),
        V("ChargingStation", "VendorName", str(params.get("vendor", "vgitest")), "ReadOnly", "string"),
        V("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate", "false", "ReadWrite", "boolean"),
    ]
    for e in range(1, evses + 1):
        vs += [
            V("EVSE", "AvailabilityState", (lambda e=e: availability(e)), "ReadOnly", "OptionList",
              "Available,Occupied,Reserved,Unavailable,Faulted", evse=e),
            V("EVSE", "Available", "true", "ReadOnly", "boolean", evse=e),
            V("EVSE", "Power", str(params.get("power_w", 11000)), "ReadOnly", "decimal", evse=e),
            V("EVSE", "SupplyPhases", "3", "ReadOnly", "integer", evse=e),
            V("Connector", "Available", "true", "ReadOnly", "boolean", evse=e, connector=1),
            V("Connector", "SupplyPhases", "3", "ReadOnly", "integer", evse=e, connector=1),
            V("Connector", "AvailabilityState", (lambda e=e: availability(e)), "ReadOnly", "OptionList",
              "Available,Occupied,Reserved,Unavailable,Faulted", evse=e, connector=1),
            V("Connector", "ConnectorType", "cType2", "ReadOnly", "string", evse=e, connector=1),
        ]
    return DeviceModel(vs)
