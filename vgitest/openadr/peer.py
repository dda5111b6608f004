"""OpenADR 2.0b's side of the fake-peer contract: the fake VTN a run builds from its profile (TLS from the lab's
files or a test PKI made for the run, the XML-signature policy) and its after-test checks."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..peer import RunPeer
from ..profile import Profile
from ..verdict import HarnessError
from .vtn import FakeVtn

if TYPE_CHECKING:
    from ..budgets import Budgets
    from ..run import VgiRun


class VtnPeer(FakeVtn, RunPeer):
    """The fake VTN as a run's peer."""

    harness_name = "FAKE-VTN"

    def after_test(self, start: int, budgets: Budgets, record: dict[str, Any]) -> dict[str, Any]:
        from . import checks
        self.session.show_background()  # the steps of exchanges that ended after the body's last wait
        self.place(checks.run_all(list(self.trace), start, budgets))
        return {}

    def adapter_env(self) -> dict[str, str]:
        return {"vtn_url": self.url}


def make(run: VgiRun) -> VtnPeer:
    p = run.require_profile()
    ssl_context, fingerprints = _tls(run, p)
    vtn = VtnPeer(host=run.settings.host, port=run.settings.port, ssl_context=ssl_context,
                  fingerprints=fingerprints, push_ssl_context=_push_tls(run, p),
                  vtn_id=str(p.pixit.get("vtn_id", "VGI-VTN")), ven_id=str(p.pixit.get("ven_id", "VGI-VEN-1")),
                  poll_freq_s=float(p.pixit.get("poll_freq_s", 10)), budgets=run.budgets,
                  lenient=run.settings.lenient, schema_path=run.settings.schemas,
                  max_body_bytes=int(p.pixit.get("max_body_bytes", 1 << 20))).start()
    _signatures(vtn, p)
    return vtn


def _signatures(vtn: FakeVtn, p: Profile) -> None:
    """The fake VTN's XML-signature policy: required when the PICS declares XmlSignature; the replay window
    (PIXIT signature_replay_window_s); a signing certificate for the venID when the lab gives one (PIXIT
    ven_signing_cert, a PEM path), else the VEN's TLS client certificate is the one signatures must match."""
    from . import signature
    check = vtn.signatures
    check.required = p.supports("XmlSignature")
    check.window_s = float(p.pixit.get("signature_replay_window_s", signature.DEFAULT_WINDOW_S))
    path = p.pixit.get("ven_signing_cert")
    if path:
        try:
            cert = signature.load_certificate(Path(str(path)).read_bytes())
        except (OSError, ValueError) as exc:
            raise HarnessError(f"PIXIT ven_signing_cert {path!r} cannot be read: {exc}") from None
        check.certificates[str(p.pixit.get("ven_id", "VGI-VEN-1"))] = cert


def _tls(run: VgiRun, p: Profile) -> tuple[ssl.SSLContext | None, Any]:
    """TLS for the fake VTN when the PICS declares it: the user's material (--vgi-tls-*), or a test PKI made for
    this run (PIXIT tls_material = "generated", what the reference runs use)."""
    if not p.supports("Tls"):
        return None, None
    from . import security
    ven_id = str(p.pixit.get("ven_id", "VGI-VEN-1"))
    s = run.settings
    if s.tls_cert and s.tls_key and s.tls_ca:
        fp = p.pixit.get("ven_fingerprint")
        check = security.FingerprintCheck({ven_id: str(fp)}) if fp else None
        return security.vtn_context_files(s.tls_cert, s.tls_key, s.tls_ca), check
    if p.pixit.get("tls_material") != "generated":
        raise HarnessError("the PICS declares Tls: pass --vgi-tls-cert, --vgi-tls-key and --vgi-tls-ca (the CA "
                           "of your VEN's certificate), or set tls_material = \"generated\" in the PIXIT")
    from . import testpki
    run.pki = testpki.make(run.run_dir / "pki")
    run.simulator_params.update(run.pki.files())
    return run.pki.vtn_context("good"), security.FingerprintCheck({ven_id: run.pki.ven_fingerprint})


def _push_tls(run: VgiRun, p: Profile) -> ssl.SSLContext | None:
    """The fake VTN as TLS client of a push VEN: its certificate, and the CA it verifies the VEN's with
    (the same files as the server side; call after `_tls`)."""
    if not (p.supports("Tls") and p.supports("HttpPush")):
        return None
    from . import security
    s = run.settings
    if s.tls_cert and s.tls_key and s.tls_ca:
        return security.ven_context_files(s.tls_ca, s.tls_cert, s.tls_key)
    return run.pki.push_client_context("good") if run.pki is not None else None
