"""The security-profile faults of the reference stations (1.6 and 2.0.1): each weakens one check a conforming
station makes over TLS (implemented in station/tls.py and base.py), and is caught by a case of the security suites
under the built-in profile-2 or profile-3 run of its version (the negative TLS matrix, vgitest.ocpp.tlsmatrix)."""

from __future__ import annotations

from .. import rules as r
from ..tlsmatrix import CLIENT_ROW, ROWS
from .faults import fault

PROFILE = {"1.6": {2: "reference-station-16-sp2", 3: "reference-station-16-sp3"},
           "2.0.1": {2: "reference-station-201-sp2", 3: "reference-station-201-sp3"}}
WHAT = {"accepts_expired_csms_cert": "the station does not check the validity period of the CSMS certificate",
        "trusts_any_csms_cert": "the station accepts any CSMS certificate (no chain or host-name verification)",
        "no_hostname_check": "the station verifies the CSMS chain but not that it names the host it dialled",
        "accepts_old_tls": "the station accepts TLS 1.0 and 1.1",
        "accepts_weak_cipher": "the station offers TLS_RSA_WITH_AES_128_CBC_SHA beside the OCPP suites",
        "no_client_certificate": "security profile 3: the station presents no client certificate"}

for _version in ("1.6", "2.0.1"):
    for _row in ROWS:
        fault(_row.fault, WHAT[_row.fault], version=_version, tests=(f"test_{_row.cases[_version]}",), rule=_row.rule,
              profile=PROFILE[_version][2])
    fault(CLIENT_ROW.fault, WHAT[CLIENT_ROW.fault], version=_version, tests=(f"test_{CLIENT_ROW.cases[_version]}",),
          rule=CLIENT_ROW.rule, profile=PROFILE[_version][3])
    _event_case = next(row.cases[_version] for row in ROWS if row.event)
    fault("no_security_event", "the station does not report a refused CSMS certificate as a security event",
          version=_version, tests=(f"test_{_event_case}",), rule=r.SECURITY_EVENT, profile=PROFILE[_version][2])
