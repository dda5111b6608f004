"""OCPP 2.0.1 faults of block M beyond the install/delete basics of catalog_security.py: an invalid root installed,
and GetInstalledCertificateIds answers that do not follow the certificate types asked for (station/certs.py).
Each names the suite test that catches it and the rule; every entry is proven by the fault matrix. The cases run
unchanged in 2.1 (suites/ocpp201/test_M_certificates.py names both versions), so each fault is shown there too."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

VERSIONS = ("2.0.1", "2.1")


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str) -> None:
    tests = (test,) if isinstance(test, str) else test
    for version in VERSIONS:
        fault(name, description, version=version, tests=tuple(f"test_{t}" for t in tests), rule=rule)


_f("install_certificate_expired_accepted", "InstallCertificate of a root whose validity period has ended is "
   "Accepted and the root kept", "TC_M_07_CS", r.CERT_STORE)
_f("installed_ids_type_ignored", "GetInstalledCertificateIds lists the certificates of every type whatever "
   "certificateType asked for", ("TC_M_12_CS", "TC_M_13_CS", "TC_M_17_CS"), r.CERT_STORE)
_f("installed_ids_first_type_only", "GetInstalledCertificateIds asked for several certificate types lists only the "
   "first", "TC_M_17_CS", r.CERT_STORE)
_f("installed_ids_unfiltered_notfound", "GetInstalledCertificateIds without a certificateType is answered NotFound "
   "instead of listing every certificate", "TC_M_18_CS", r.CERT_STORE)
_f("installed_ids_none_accepted", "GetInstalledCertificateIds for a type the station holds none of is answered "
   "Accepted (with nothing) instead of NotFound", "TC_M_19_CS", r.CERT_STORE)
