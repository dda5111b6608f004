"""The security-profile faults of the reference stations (1.6, 2.0.1 and 2.1): each weakens one check a conforming
station makes over TLS (implemented in station/tls.py and base.py), and is caught by a case of the security suites
under the built-in profile-2 or profile-3 run of its version (the negative TLS matrix, vgitest.ocpp.tlsmatrix)."""

from __future__ import annotations

from .. import rules as r
from ..tlsmatrix import CLIENT_ROW, ROWS
from .faults import fault

PROFILE = {"1.6": {2: "reference-station-16-sp2", 3: "reference-station-16-sp3"},
           "2.0.1": {2: "reference-station-201-sp2", 3: "reference-station-201-sp3"},
           "2.1": {2: "reference-station-21-sp2", 3: "reference-station-21-sp3"}}
WHAT = {"accepts_expired_csms_cert": "the station does not check the validity period of the CSMS certificate",
        "trusts_any_csms_cert": "the station accepts any CSMS certificate (no chain or host-name verification)",
        "no_hostname_check": "the station verifies the CSMS chain but not that it names the host it dialled",
        "accepts_old_tls": "the station accepts TLS 1.0 and 1.1",
        "accepts_weak_cipher": "the station offers TLS_RSA_WITH_AES_128_CBC_SHA beside the OCPP suites",
        "no_client_certificate": "security profile 3: the station presents no client certificate"}

for _version in ("1.6", "2.0.1", "2.1"):
    for _row in ROWS:
        fault(_row.fault, WHAT[_row.fault], version=_version, tests=(f"test_{_row.cases[_version]}",), rule=_row.rule,
              profile=PROFILE[_version][2])
    fault(CLIENT_ROW.fault, WHAT[CLIENT_ROW.fault], version=_version, tests=(f"test_{CLIENT_ROW.cases[_version]}",),
          rule=CLIENT_ROW.rule, profile=PROFILE[_version][3])
    _event_case = next(row.cases[_version] for row in ROWS if row.event)
    fault("no_security_event", "the station does not report a refused CSMS certificate as a security event",
          version=_version, tests=(f"test_{_event_case}",), rule=r.SECURITY_EVENT, profile=PROFILE[_version][2])

# --- the certificate store (station/certs.py) ----------------------------------------------------------------
_CERT_CASES = {"1.6": {"install": ("TC_075_1_CS", "TC_075_2_CS"), "delete": ("TC_076_CS",)},
               "2.0.1": {"install": ("TC_M_01_CS", "TC_M_02_CS", "TC_M_18_CS"), "delete": ("TC_M_20_CS",),
                         "unknown": ("TC_M_22_CS",)}}
for _version, _cases in _CERT_CASES.items():
    fault("install_certificate_not_stored", "InstallCertificate is answered Accepted but the root is not kept",
          version=_version, tests=tuple(f"test_{t}" for t in _cases["install"]), rule=r.CERT_STORE)
    fault("delete_certificate_ignored", "DeleteCertificate is answered Accepted but the certificate stays",
          version=_version, tests=tuple(f"test_{t}" for t in _cases["delete"]), rule=r.CERT_STORE)
fault("delete_unknown_accepted", "DeleteCertificate of a certificate the station does not have is answered Accepted",
      version="2.0.1", tests=("test_TC_M_22_CS",), rule=r.CERT_STORE)
for _version in ("2.0.1", "2.1"):
    fault("deletes_own_certificate", "the station deletes its own ChargingStationCertificate on request",
          version=_version, tests=("test_TC_M_23_CS",), rule=r.CERT_STORE, profile=PROFILE[_version][3])

# --- security profile changes (station/security_profiles.py) -------------------------------------------------
for _version, _case in (("1.6", "TC_084_CS"), ("2.0.1", "TC_A_22_CS"), ("2.1", "TC_A_22_CS")):
    fault("accepts_downgrade", "the station accepts to be configured to a lower security profile", version=_version,
          tests=(f"test_{_case}",), rule=r.DOWNGRADE, profile=PROFILE[_version][2])
# 2.1 (suites/ocpp21's TC_A_22_CS): on profile 3 the change to 2 is allowed, the one to 1 still is not
fault("accepts_downgrade", "the station accepts to be configured to a lower security profile", version="2.1",
      tests=("test_TC_A_22_CS",), rule=r.DOWNGRADE, profile=PROFILE["2.1"][3])

# --- security profile upgrade (station/network_v201.py; TC_A_19_CS runs in the profile-2 run, up to 3) ----------
fault("upgrade_not_applied", "the station accepts a network profile of a higher security profile and puts it first, "
      "but dials it with the security profile it ran before", version="2.0.1", tests=("test_TC_A_19_CS",),
      rule=r.UPGRADE, profile=PROFILE["2.0.1"][2])
fault("upgrade_keeps_lower_profiles", "after connecting with a higher security profile the station keeps the slots "
      "of the lower one in NetworkConfigurationPriority", version="2.0.1", tests=("test_TC_A_19_CS",),
      rule=r.UPGRADE, profile=PROFILE["2.0.1"][2])

# --- HTTP Basic (base.py headers, security_profiles.password_setter) -------------------------------------------
fault("short_basic_password", "the station sends only the first 12 characters of its Basic password",
      version="2.0.1", tests=("test_TC_A_01_CS",), rule=r.BASIC_AUTH)
fault("accepts_bad_password", "SetVariables of a BasicAuthPassword that breaks the rules is accepted",
      version="2.0.1", tests=("test_TC_A_10_CS",), rule=r.PASSWORD)
fault("new_password_ignored", "a new BasicAuthPassword is accepted but the station keeps sending the old one",
      version="2.0.1", tests=("test_TC_A_09_CS",), rule=r.BASIC_AUTH)

# --- certificate renewal (station/renewal.py) ------------------------------------------------------------------
for _version, _ok, _bad in (("1.6", "TC_074_CS", "TC_077_CS"), ("2.0.1", "TC_A_11_CS", "TC_A_14_CS"),
                             ("2.1", "TC_A_11_CS", "TC_A_14_CS")):
    fault("no_csr_after_trigger", "the renewal trigger is accepted but no SignCertificate follows", version=_version,
          tests=(f"test_{_ok}",), rule=r.CERT_RENEWAL, profile=PROFILE[_version][2])
    fault("accepts_any_station_certificate", "CertificateSigned is accepted whatever CA signed the chain",
          version=_version, tests=(f"test_{_bad}",), rule=r.CERT_RENEWAL, profile=PROFILE[_version][2])
for _version in ("2.0.1", "2.1"):
    fault("no_csr_after_trigger", "the renewal trigger is accepted but no SignCertificate follows", version=_version,
          tests=("test_TC_A_15_CS",), rule=r.CERT_RENEWAL, profile=PROFILE[_version][3])
fault("new_password_ignored", "a new AuthorizationKey is accepted but the station keeps sending the old password",
      version="1.6", tests=("test_TC_073_CS",), rule=r.BASIC_AUTH)
for _version, _case in (("1.6", "TC_086_CS"), ("2.0.1", "TC_A_04_CS"), ("2.1", "TC_A_04_CS")):
    fault("wrong_csms_root", "the station trusts another root than the CSMS's and refuses even a valid CSMS",
          version=_version, tests=(f"test_{_case}",), rule=r.TLS_HANDSHAKE, profile=PROFILE[_version][2])
