"""Hand-written IEEE 2030.5 resources in dict form (codec keys, schema order), for codec/validator tests
and the validation benchmark. Values are made up for these tests; identities use the standard's worked
example LFDI/SFDI pair (see vgitest/sep2/identity.py)."""

from __future__ import annotations

from typing import Any

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5"
SFDI = "167261211391"
MRID = "A1B2C3D4E5F60718293A4B5C6D7E8F90"  # 128-bit hex, as mRIDType wants

DEVICE_CAPABILITY: dict[str, Any] = {
    "@href": "/dcap", "@pollRate": "300",
    "DERProgramListLink": {"@href": "/derp", "@all": "2"},
    "TimeLink": {"@href": "/tm"},
    "EndDeviceListLink": {"@href": "/edev", "@all": "1"},
    "MirrorUsagePointListLink": {"@href": "/mup", "@all": "0"},
}

END_DEVICE: dict[str, Any] = {
    "@href": "/edev/3", "@subscribable": "0",
    "DERListLink": {"@href": "/edev/3/der", "@all": "1"},
    "DeviceInformationLink": {"@href": "/edev/3/di"},
    "lFDI": LFDI,
    "sFDI": SFDI,
    "changedTime": "1767225600",
    "enabled": "true",
    "FunctionSetAssignmentsListLink": {"@href": "/edev/3/fsa", "@all": "1"},
    "RegistrationLink": {"@href": "/edev/3/rg"},
}

DER_CONTROL: dict[str, Any] = {
    "@href": "/derp/1/derc/7", "@replyTo": "/rsps/1/rsp", "@responseRequired": "03",
    "mRID": MRID,
    "description": "Limit to half",
    "creationTime": "1767225000",
    "EventStatus": {"currentStatus": "0", "dateTime": "1767225000", "potentiallySuperseded": "false"},
    "interval": {"duration": "1800", "start": "1767229200"},
    "DERControlBase": {"opModMaxLimW": "5000"},  # PerCent: hundredths of a percent, so 50 %
}

RESPONSE: dict[str, Any] = {
    "createdDateTime": "1767229201",
    "endDeviceLFDI": LFDI,
    "status": "1",  # event received
    "subject": MRID,
}

MIRROR_USAGE_POINT: dict[str, Any] = {
    "mRID": "0F0E0D0C0B0A09080706050403020100",
    "description": "Site power",
    "roleFlags": "03",
    "serviceCategoryKind": "0",
    "status": "1",
    "deviceLFDI": LFDI,
    "MirrorMeterReading": [
        {"mRID": "1F0E0D0C0B0A09080706050403020100", "description": "Real power",
         "Reading": {"value": "-1250"},
         "ReadingType": {"accumulationBehaviour": "12", "commodity": "1", "dataQualifier": "2",
                         "flowDirection": "1", "kind": "37", "phase": "0", "powerOfTenMultiplier": "0", "uom": "38"}},
        {"mRID": "2F0E0D0C0B0A09080706050403020100", "description": "Voltage",
         "Reading": {"value": "23010"},
         "ReadingType": {"accumulationBehaviour": "12", "commodity": "1", "dataQualifier": "2",
                         "flowDirection": "1", "kind": "37", "phase": "0", "powerOfTenMultiplier": "-2",
                         "uom": "29"}},
    ],
}

# Every resource above validates against 2030.5-2018 (and 2023, CSIP-AUS: these use no element they change)
RESOURCES: dict[str, dict[str, Any]] = {
    "DeviceCapability": DEVICE_CAPABILITY,
    "EndDevice": END_DEVICE,
    "DERControl": DER_CONTROL,
    "Response": RESPONSE,
    "MirrorUsagePoint": MIRROR_USAGE_POINT,
}

# CSIP-AUS: a dynamic operating envelope (export limit 5 kW) in the extension namespace
CSIP_AUS_DER_CONTROL: dict[str, Any] = {
    **{k: v for k, v in DER_CONTROL.items() if k != "DERControlBase"},
    "DERControlBase": {"opModMaxLimW": "5000", "csipaus:opModExpLimW": {"multiplier": "3", "value": "5"}},
}
