"""The OCPP 1.6 configuration keys of the reference station (OCPP 1.6 §9.1 Core profile keys).

Values are kept as strings, as GetConfiguration reports them; each key knows whether it is read-only and how
to check a new value, so ChangeConfiguration can answer Accepted, Rejected or NotSupported."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")


def _int(lo: int = 0) -> Callable[[str], bool]:
    def ok(v: str) -> bool:
        try:
            return int(v) >= lo and str(int(v)) == v.strip()
        except ValueError:
            return False
    return ok


def _bool(v: str) -> bool:
    return v.lower() in ("true", "false")


def _measurands(v: str) -> bool:
    parts = [p.strip() for p in v.split(",") if p.strip()]
    return all(p in MEASURANDS for p in parts)


@dataclasses.dataclass
class Key:
    value: str
    readonly: bool = False
    valid: Callable[[str], bool] = lambda v: True


class Config16:
    """The key/value store behind GetConfiguration and ChangeConfiguration."""

    def __init__(self, params: dict[str, Any], connectors: int, profiles: str = "Core,RemoteTrigger") -> None:
        p = params.get
        self.keys: dict[str, Key] = {
            "AllowOfflineTxForUnknownId": Key("false", False, _bool),
            "AuthorizationCacheEnabled": Key("true", False, _bool),
            "AuthorizeRemoteTxRequests": Key("true", False, _bool),
            "ClockAlignedDataInterval": Key(str(int(p("clock_aligned_interval", 0))), False, _int()),
            "ConnectionTimeOut": Key(str(int(p("connection_timeout", 30))), False, _int(1)),
            "GetConfigurationMaxKeys": Key("50", True),
            "HeartbeatInterval": Key(str(int(p("heartbeat_interval", 60))), False, _int(1)),
            "LocalAuthorizeOffline": Key("true", False, _bool),
            "LocalPreAuthorize": Key("false", False, _bool),
            "MeterValuesAlignedData": Key("Energy.Active.Import.Register", False, _measurands),
            "MeterValuesSampledData": Key("Energy.Active.Import.Register", False, _measurands),
            "MeterValueSampleInterval": Key(str(int(p("meter_sample_interval", 60))), False, _int()),
            "NumberOfConnectors": Key(str(connectors), True),
            "ResetRetries": Key("1", False, _int()),
            "StopTransactionOnEVSideDisconnect": Key("true", False, _bool),
            "StopTransactionOnInvalidId": Key("true", False, _bool),
            "StopTxnAlignedData": Key("", False, _measurands),
            "StopTxnSampledData": Key("", False, _measurands),
            "SupportedFeatureProfiles": Key(profiles, True),
            "TransactionMessageAttempts": Key("3", False, _int()),
            "TransactionMessageRetryInterval": Key("5", False, _int()),
            "UnlockConnectorOnEVSideDisconnect": Key("true", False, _bool),
            "WebSocketPingInterval": Key("0", False, _int()),
        }

    def get(self, key: str) -> str:
        return self.keys[key].value

    def flag(self, key: str) -> bool:
        return self.keys[key].value.lower() == "true"

    def number(self, key: str) -> float:
        try:
            return float(self.keys[key].value)
        except ValueError:
            return 0.0

    def change(self, key: str, value: str, *, store: bool = True) -> str:
        """ChangeConfiguration semantics: NotSupported for an unknown key, Rejected for a read-only key or a
        value the key cannot take, else Accepted (and stored unless `store` is False)."""
        k = self.keys.get(key)
        if k is None:
            return "NotSupported"
        if k.readonly or not k.valid(value):
            return "Rejected"
        if store:
            k.value = value
        return "Accepted"

    def report(self, wanted: list[str] | None, skip: tuple[str, ...] = ()) -> dict:
        """GetConfiguration.conf payload; empty lists are omitted (an empty optional field must be left out)."""
        names = list(self.keys) if not wanted else wanted
        known = [{"key": n, "readonly": self.keys[n].readonly, "value": self.keys[n].value}
                 for n in names if n in self.keys and n not in skip]
        unknown = [n for n in names if n not in self.keys]
        out: dict = {}
        if known:
            out["configurationKey"] = known
        if unknown:
            out["unknownKey"] = unknown
        return out
