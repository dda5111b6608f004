"""Facts of each OCPP-J version: subprotocol names, RPC error codes, message types, and which actions a
charging station may initiate. Used by the codec, the checks and the fake CSMS's default handlers."""

from __future__ import annotations

import dataclasses

CALL, CALLRESULT, CALLERROR, CALLRESULTERROR, SEND = 2, 3, 4, 5, 6
TYPE_NAMES = {CALL: "CALL", CALLRESULT: "CALLRESULT", CALLERROR: "CALLERROR",
              CALLRESULTERROR: "CALLRESULTERROR", SEND: "SEND"}

_ERRORS_16 = ("NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError",
              "FormationViolation", "PropertyConstraintViolation", "OccurenceConstraintViolation",
              "TypeConstraintViolation", "GenericError")
_ERRORS_2X = ("FormatViolation", "GenericError", "InternalError", "MessageTypeNotSupported", "NotImplemented",
              "NotSupported", "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError",
              "RpcFrameworkError", "SecurityError", "TypeConstraintViolation")

_STATION_16 = ("Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification",
               "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification",
               "StopTransaction", "SecurityEventNotification", "SignCertificate", "LogStatusNotification",
               "SignedFirmwareStatusNotification")
_STATION_201 = ("Authorize", "BootNotification", "ClearedChargingLimit", "DataTransfer", "FirmwareStatusNotification",
                "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
                "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
                "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
                "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
                "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent")
# Actions either side may initiate.
_BOTH = ("DataTransfer",)


@dataclasses.dataclass(frozen=True)
class OcppVersion:
    name: str  # "1.6", "2.0.1", "2.1"
    subprotocol: str
    schema_dir: str  # folder inside the `ocpp` package
    error_codes: tuple[str, ...]
    message_types: tuple[int, ...]
    station_actions: tuple[str, ...]
    call_concurrency_severity: str  # 1.6: SHOULD NOT (warn); 2.x: SHALL NOT (fail)
    msgid_scope: str  # "connection" or "identity"

    def request_schema(self, action: str) -> str:
        return f"{action}.json" if self.name == "1.6" else f"{action}Request.json"

    def response_schema(self, action: str) -> str:
        return f"{action}Response.json"

    @property
    def format_violation(self) -> str:
        return "FormationViolation" if self.name == "1.6" else "FormatViolation"

    @property
    def occurrence_violation(self) -> str:
        return "OccurenceConstraintViolation" if self.name == "1.6" else "OccurrenceConstraintViolation"

    @property
    def framework_error(self) -> str:
        """Code for a frame whose RPC structure cannot be read (2.x has RpcFrameworkError; 1.6 does not)."""
        return "FormationViolation" if self.name == "1.6" else "RpcFrameworkError"

    def is_station_action(self, action: str) -> bool:
        return action in self.station_actions

    def is_csms_action(self, action: str, all_actions: frozenset[str]) -> bool:
        return action in all_actions and (action not in self.station_actions or action in _BOTH)


V16 = OcppVersion("1.6", "ocpp1.6", "v16", _ERRORS_16, (CALL, CALLRESULT, CALLERROR), _STATION_16, "warn",
                  "connection")
V201 = OcppVersion("2.0.1", "ocpp2.0.1", "v201", _ERRORS_2X, (CALL, CALLRESULT, CALLERROR), _STATION_201, "fail",
                   "connection")
V21 = OcppVersion("2.1", "ocpp2.1", "v21", _ERRORS_2X, (CALL, CALLRESULT, CALLERROR, CALLRESULTERROR, SEND),
                  _STATION_201 + ("NotifyAllowedEnergyTransfer", "NotifyDERAlarm", "NotifyDERStartStop",
                                  "NotifyPeriodicEventStream", "NotifyPriorityCharging", "NotifySettlement",
                                  "NotifyWebPaymentStarted", "PullDynamicScheduleUpdate", "ReportDERControl",
                                  "BatterySwap", "VatNumberValidation", "NotifyQRCodeScanned",
                                  "ClosePeriodicEventStream", "OpenPeriodicEventStream", "GetTariffs"),
                  "fail", "identity")

VERSIONS = {v.name: v for v in (V16, V201, V21)}

# What the CSMS itself must not send, by (version, the station's registration status): the fake CSMS refuses to
# send these unless a negative case asks for it explicitly and says why.
CSMS_FORBIDDEN: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("1.6", "Pending"): (("RemoteStartTransaction", "RemoteStopTransaction"),
                         "OCPP 1.6 §4.2: while the registration is Pending the Central System must not send "
                         "RemoteStartTransaction or RemoteStopTransaction"),
}


def csms_may_not_send(version: str, registration: str, action: str) -> str | None:
    """Why the CSMS must not send `action` now (None: it may)."""
    actions, why = CSMS_FORBIDDEN.get((version, registration), ((), ""))
    return why if action in actions else None
BY_SUBPROTOCOL = {v.subprotocol: v for v in (V16, V201, V21)}


def get(version: str) -> OcppVersion:
    try:
        return VERSIONS[version]
    except KeyError:
        raise ValueError(f"unknown OCPP version {version!r}; known: {', '.join(VERSIONS)}") from None
