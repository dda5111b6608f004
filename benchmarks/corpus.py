"""A small corpus of typical station-to-CSMS messages (OCPP 1.6 and 2.0.1) for the benchmarks."""

from __future__ import annotations

TS = "2026-11-22T10:00:00.000Z"


def _sampled_16(n: int) -> list[dict]:
    meas = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC",
            "Temperature"]
    units = ["Wh", "W", "A", "V", "Percent", "Celsius"]
    return [{"value": str(100 + i), "context": "Sample.Periodic", "measurand": meas[i % 6], "unit": units[i % 6],
             "location": "Outlet"} for i in range(n)]


def _sampled_201(n: int) -> list[dict]:
    meas = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC",
            "Frequency"]
    return [{"value": 100.0 + i, "context": "Sample.Periodic", "measurand": meas[i % 6],
             "location": "Outlet"} for i in range(n)]


V16 = [
    ("BootNotification", {"chargePointVendor": "VendorX", "chargePointModel": "Model-1",
                          "chargePointSerialNumber": "SN-000123", "firmwareVersion": "1.2.3"}),
    ("Heartbeat", {}),
    ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": TS}),
    ("Authorize", {"idTag": "04A1B2C3D4"}),
    ("StartTransaction", {"connectorId": 1, "idTag": "04A1B2C3D4", "meterStart": 1200, "timestamp": TS}),
    ("MeterValues", {"connectorId": 1, "transactionId": 7,
                     "meterValue": [{"timestamp": TS, "sampledValue": _sampled_16(6)}]}),
    ("StopTransaction", {"transactionId": 7, "meterStop": 5400, "timestamp": TS, "reason": "Local"}),
]

V201 = [
    ("BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "Model-1", "vendorName": "VendorX",
                                                                    "serialNumber": "SN-000123",
                                                                    "firmwareVersion": "1.2.3"}}),
    ("Heartbeat", {}),
    ("StatusNotification", {"timestamp": TS, "connectorStatus": "Available", "evseId": 1, "connectorId": 1}),
    ("Authorize", {"idToken": {"idToken": "04A1B2C3D4", "type": "ISO14443"}}),
    ("TransactionEvent", {"eventType": "Updated", "timestamp": TS, "triggerReason": "MeterValuePeriodic",
                          "seqNo": 3, "transactionInfo": {"transactionId": "TX-0001", "chargingState": "Charging"},
                          "evse": {"id": 1, "connectorId": 1},
                          "meterValue": [{"timestamp": TS, "sampledValue": _sampled_201(6)}]}),
    ("MeterValues", {"evseId": 1, "meterValue": [{"timestamp": TS, "sampledValue": _sampled_201(6)}]}),
]
