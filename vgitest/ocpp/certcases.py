"""Certificate management cases shared by the 1.6 (security extension) and 2.0.1 (block M) suites: install a root,
see it listed, delete it, and the deletes a station must refuse. Every root a case installs is made fresh for it
(`vgitest.pki`) and deleted again, so the roots the station trusts for its own connection are never touched."""

from __future__ import annotations

from typing import Any

from .. import pki
from ..verdict import Inconclusive
from . import rules as r
from .station.certs import CSMS_ROOT, hash_data, same


def installed(station: Any, use: str) -> list[dict]:
    """The hash data the station lists for `use` (GetInstalledCertificateIds; NotFound is an empty list)."""
    if station.version == "1.6":
        res = station.call("GetInstalledCertificateIds", {"certificateType": use})
        return list(res.get("certificateHashData") or []) if res.get("status") == "Accepted" else []
    res = station.call("GetInstalledCertificateIds", {"certificateType": [use]})
    return [c.get("certificateHashData") or {} for c in res.get("certificateHashDataChain") or []
            if res.get("status") == "Accepted" and c.get("certificateType") == use]


def _fresh_root(what: str) -> pki.Credential:
    return pki.root_ca(f"vgitest {what} test root", org="vgitest")


def install(station: Any, use: str, *, judged: bool) -> dict:
    """Install a fresh root for `use`; its hash data. Refused: the case's FAIL (`judged`) or INCONCLUSIVE (a
    preamble)."""
    root = _fresh_root(use)
    res = station.call("InstallCertificate", {"certificateType": use,
                                              "certificate": root.cert_pem(with_chain=False).decode()})
    if res.get("status") != "Accepted":
        if not judged:
            raise Inconclusive(f"the preamble's InstallCertificate {use} was answered {res.get('status')}")
        station.fail(r.CERT_STORE, f"InstallCertificate of a valid {use} was answered {res.get('status')}")
    return hash_data(root.cert)


def delete_quietly(station: Any, data: dict) -> None:
    """Clean-up: delete what the case installed (whatever the answer)."""
    if station.connected:
        station.call("DeleteCertificate", {"certificateHashData": data})


def judge_install(station: Any, use: str) -> None:
    """A fresh root of `use` is accepted and then listed for `use`."""
    data = install(station, use, judged=True)
    try:
        listed = installed(station, use)
        station.check(any(same(d, data) for d in listed), r.CERT_STORE,
                      f"the {use} the station accepted is not among the {len(listed)} it lists")
    finally:
        delete_quietly(station, data)


def judge_delete(station: Any) -> None:
    """A root installed in the preamble (so the station's own trust is untouched) is listed, deleted (Accepted),
    and no longer listed."""
    use = CSMS_ROOT[station.version]
    data = install(station, use, judged=False)
    if not any(same(d, data) for d in installed(station, use)):
        raise Inconclusive(f"the {use} the preamble installed is not listed; the delete cannot be judged")
    res = station.call("DeleteCertificate", {"certificateHashData": data})
    station.check(res.get("status") == "Accepted", r.CERT_STORE,
                  f"DeleteCertificate of an installed {use} was answered {res.get('status')}")
    station.check(not any(same(d, data) for d in installed(station, use)), r.CERT_STORE,
                  f"the {use} deleted with Accepted is still listed")


def judge_delete_unknown(station: Any) -> None:
    """A certificate the station never had is answered NotFound."""
    data = hash_data(_fresh_root("never installed").cert)
    res = station.call("DeleteCertificate", {"certificateHashData": data})
    station.check(res.get("status") == "NotFound", r.CERT_STORE,
                  f"DeleteCertificate of a certificate the station never had was answered {res.get('status')}")


def judge_delete_own(station: Any, material: Any) -> None:
    """The station's own certificate (profile 3, from the run's test PKI) is not deleted: NotFound or Failed."""
    data = hash_data(material.station.cert, material.cpo_ca.cert)
    res = station.call("DeleteCertificate", {"certificateHashData": data})
    station.check(res.get("status") in ("NotFound", "Failed"), r.CERT_STORE,
                  f"DeleteCertificate of the station's own certificate was answered {res.get('status')}")


# --- renewal of the station's certificate on the CSMS's request ---------------------------------------------
TRIGGER = {"1.6": ("ExtendedTriggerMessage", "SignChargePointCertificate"),
           "2.0.1": ("TriggerMessage", "SignChargingStationCertificate")}
INVALID_EVENT = {"1.6": "InvalidChargePointCertificate", "2.0.1": "InvalidChargingStationCertificate"}
TRIGGER["2.1"], INVALID_EVENT["2.1"] = TRIGGER["2.0.1"], INVALID_EVENT["2.0.1"]  # unchanged in 2.1


def _request_csr(station: Any, material: Any, wait: float) -> Any:
    """Trigger the renewal and take the CSR of the SignCertificate that follows (judged: it names the station as
    CN and the CPO as O)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    action, what = TRIGGER[station.version]
    start = len(station.csms.trace)
    res = station.call(action, {"requestedMessage": what})
    station.check(res.get("status") == "Accepted", r.CERT_RENEWAL, f"{action} {what} was answered {res.get('status')}")
    station.cursor = start
    try:
        frame = station.expect("SignCertificate", wait)
    except AssertionError:
        station.fail(r.CERT_RENEWAL, f"no SignCertificate within {wait:g} s of the accepted {action} {what}")
    try:
        csr = x509.load_pem_x509_csr(str((frame.body or {}).get("csr", "")).encode())
    except ValueError:
        station.fail(r.CERT_RENEWAL, "SignCertificate carries no PEM certificate signing request", frame)
    cn = [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    org = [a.value for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    station.check(csr.is_signature_valid, r.CERT_RENEWAL, "the CSR's signature does not verify", frame)
    station.check(cn == [station.identity] and org == [material.cpo_name], r.CERT_RENEWAL,
                  f"the CSR names CN {cn} and O {org}; the station {station.identity!r} of {material.cpo_name!r} "
                  "expected", frame)
    return csr


def _sign(csr: Any, issuer: pki.Credential) -> str:
    import datetime as _dt
    from cryptography import x509
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(issuer.cert.subject)
            .public_key(csr.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(minutes=5)).not_valid_after(now + _dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(issuer.key, pki._hash_for(issuer.key)))  # type: ignore[arg-type]
    leaf = pki.Credential(cert, None, [issuer.cert] + issuer.chain)
    return leaf.cert_pem().decode()


def _certificate_signed(station: Any, chain: str) -> str:
    payload: dict[str, Any] = {"certificateChain": chain}
    if station.version != "1.6":
        payload["certificateType"] = "ChargingStationCertificate"
    return str(station.call("CertificateSigned", payload).get("status"))


def judge_renewal(station: Any, material: Any, wait: float) -> None:
    """The station sends a CSR when asked and accepts the chain the CPO's CA signed from it."""
    csr = _request_csr(station, material, wait)
    status = _certificate_signed(station, _sign(csr, material.cpo_ca))
    station.check(status == "Accepted", r.CERT_RENEWAL, f"CertificateSigned with a valid chain for the CSR was "
                  f"answered {status}")


def judge_invalid_renewal(station: Any, material: Any, wait: float) -> None:
    """A chain for the CSR from a CA the station does not trust is Rejected and reported as a security event."""
    csr = _request_csr(station, material, wait)
    rogue = pki.root_ca("vgitest rogue CPO root", org="not the CPO")
    start = len(station.csms.trace)
    status = _certificate_signed(station, _sign(csr, rogue))
    station.check(status == "Rejected", r.CERT_RENEWAL, f"CertificateSigned with a chain from an untrusted CA was "
                  f"answered {status}")
    event = INVALID_EVENT[station.version]
    station.cursor = start
    try:
        station.expect("SecurityEventNotification", wait, match={"type": event})
    except AssertionError:
        station.fail(r.SECURITY_EVENT, f"no SecurityEventNotification {event} within {wait:g} s of the rejected "
                     "CertificateSigned")


def judge_renewal_refused_by_csms(station: Any, material: Any, wait: float) -> None:
    """The CSMS refuses the station's SignCertificate: the trigger was still Accepted, the CSR came, and the station
    goes on working (it answers the next request)."""
    station.override("SignCertificate", {"status": "Rejected"}, once=True)
    _request_csr(station, material, wait)
    station.call("GetVariables", {"getVariableData": [{"component": {"name": "SecurityCtrlr"},
                                                       "variable": {"name": "SecurityProfile"}}]})


# --- 2.0.1 block M: an invalid root refused, and what GetInstalledCertificateIds lists per type -------------------
def _listed(station: Any, types: list[str] | None) -> tuple[str, list[dict]]:
    """GetInstalledCertificateIds for `types` (None: every type): its status and the hash data chains it lists."""
    res = station.call("GetInstalledCertificateIds", {"certificateType": types} if types else {})
    return str(res.get("status")), list(res.get("certificateHashDataChain") or [])


def judge_install_expired(station: Any) -> None:
    """A CSMSRootCertificate whose validity ended is Rejected and not listed afterwards."""
    import datetime as _dt
    use = CSMS_ROOT[station.version]
    expired = pki.issue(None, "vgitest expired test root", ca=True, org="vgitest", days=1,
                        not_before=_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=30))
    data = hash_data(expired.cert)
    res = station.call("InstallCertificate", {"certificateType": use,
                                              "certificate": expired.cert_pem(with_chain=False).decode()})
    try:
        station.check(res.get("status") == "Rejected", r.CERT_STORE, f"InstallCertificate of a {use} that expired "
                      f"29 days ago was answered {res.get('status')}; an invalid certificate is Rejected")
        station.check(not any(same(d, data) for d in installed(station, use)), r.CERT_STORE,
                      f"the expired {use} is listed as installed")
    finally:
        if res.get("status") != "Rejected":
            delete_quietly(station, data)


def _decoy(station: Any, use: str) -> dict | None:
    """A fresh root of a type the case does not ask for, so that a listing which ignores the type shows; None when
    the station does not take that type (the case then judges what else it holds)."""
    root = _fresh_root(f"{use} decoy")
    res = station.call("InstallCertificate", {"certificateType": use,
                                              "certificate": root.cert_pem(with_chain=False).decode()})
    return hash_data(root.cert) if res.get("status") == "Accepted" else None


def judge_listed_by_type(station: Any, uses: list[str], *, ask_all: bool = False, decoy: str | None = None) -> None:
    """A fresh root of each of `uses` (and of the `decoy` type) is installed (preamble); GetInstalledCertificateIds
    for `uses` (or, with `ask_all`, without a type) is Accepted, lists each of them under its type, and (asked by
    type) nothing of another type."""
    added: list[tuple[str, dict]] = []
    try:
        for use in uses:
            added.append((use, install(station, use, judged=False)))
        other_data = _decoy(station, decoy) if decoy else None
        if decoy and other_data is not None:
            added.append((decoy, other_data))
        status, chains = _listed(station, None if ask_all else uses)
        asked = "every type" if ask_all else " and ".join(uses)
        station.check(status == "Accepted", r.CERT_STORE, f"GetInstalledCertificateIds for {asked} was answered "
                      f"{status} although the station accepted a certificate of each just before")
        for use, data in added if ask_all else added[:len(uses)]:
            station.check(any(c.get("certificateType") == use and same(c.get("certificateHashData") or {}, data)
                              for c in chains), r.CERT_STORE,
                          f"the {use} installed just before is not among the {len(chains)} certificates listed for "
                          f"{asked}")
        if not ask_all:
            other = sorted({str(c.get("certificateType")) for c in chains} - set(uses))
            station.check(not other, r.CERT_STORE, f"GetInstalledCertificateIds for {asked} also lists certificates "
                          f"of type {', '.join(other)}")
    finally:
        for _, data in added:
            delete_quietly(station, data)


def judge_none_listed(station: Any) -> None:
    """For a certificate type the station holds none of, GetInstalledCertificateIds is answered NotFound (a type
    is chosen from what the station lists for every type; when it holds every type the case cannot be made)."""
    status, chains = _listed(station, None)
    held = {str(c.get("certificateType")) for c in chains} if status == "Accepted" else set()
    free = [u for u in ("MORootCertificate", "V2GRootCertificate", "V2GCertificateChain", "ManufacturerRootCertificate",
                        "CSMSRootCertificate") if u not in held]
    if not free:
        raise Inconclusive("the station holds a certificate of every type; no type is left to ask for in vain")
    status, chains = _listed(station, [free[0]])
    station.check(status == "NotFound" and not chains, r.CERT_STORE, f"GetInstalledCertificateIds for "
                  f"{free[0]}, of which the station lists none, was answered {status} with {len(chains)} "
                  "certificates; NotFound expected")
