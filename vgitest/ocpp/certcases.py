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
