"""OpenADR 3's side of the fake-peer contract: the fake VTN a run builds from its profile (the VEN's OAuth client,
TLS from the lab's files, the OpenAPI document when the user gives one)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..peer import RunPeer
from ..verdict import HarnessError
from .store import Client
from .vtn import FakeVtn3

SERVER_NAMES = ("127.0.0.1", "localhost")  # the names a generated VTN certificate is valid for

if TYPE_CHECKING:
    from ..budgets import Budgets
    from ..run import VgiRun


class VtnPeer(FakeVtn3, RunPeer):
    """The fake OpenADR 3 VTN as a run's peer."""

    harness_name = "FAKE-VTN3"

    def after_test(self, start: int, budgets: Budgets, record: dict[str, Any]) -> dict[str, Any]:
        self.session.show_background()  # the steps of notifications that ended after the body's last wait
        return {}

    def adapter_env(self) -> dict[str, str]:
        return {"vtn_url": self.url, "token_url": self.token_url}

    def simulator_started(self, simulator: Any) -> None:
        """The reference VEN's webhook is up: nothing to learn from it (it subscribes with its URL itself)."""


def make(run: VgiRun) -> VtnPeer:
    p = run.require_profile()
    client = Client(str(p.pixit.get("client_id", "vgi-ven")), str(p.pixit.get("client_secret", "vgi-secret")))
    return VtnPeer(host=run.settings.host, port=run.settings.port, clients=(client,), ssl_context=_tls(run),
                   max_body_bytes=int(p.pixit.get("max_body_bytes", 1 << 20)),
                   version=run.dut_version or "3.0.1").start()  # the version the profile's [dut] names (versions.py)


def _tls(run: VgiRun) -> ssl.SSLContext | None:
    """HTTPS when the PICS declares Tls: the lab's certificate and key (--vgi-tls-cert, --vgi-tls-key), or a test
    certificate made for this run (PIXIT tls_material = "generated", what the reference TLS run uses; the VEN is
    given its root as tls_ca). OpenADR 3 authenticates the VEN by its token, so no client certificate is asked."""
    p = run.require_profile()
    if not p.supports("Tls"):
        return None
    s = run.settings
    if s.tls_cert and s.tls_key:
        cert, key = s.tls_cert, s.tls_key
    elif p.pixit.get("tls_material") == "generated":
        cert, key = _generated(run)
    else:
        raise HarnessError("the PICS declares Tls: pass --vgi-tls-cert and --vgi-tls-key (the fake VTN's "
                           "certificate the VEN trusts), or set tls_material = \"generated\" in the PIXIT")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise HarnessError(f"the fake VTN's certificate cannot be loaded: {exc}") from None
    return ctx


def _generated(run: VgiRun) -> tuple[Path, Path]:
    """A test root and a server certificate for the loopback names, written into the run's folder."""
    from .. import pki
    folder = run.run_dir / "pki"
    root = pki.root_ca("vgitest OpenADR 3 Test Root")
    cert, key = pki.issue(root, "vgitest-vtn3", server_names=SERVER_NAMES, server=True).write(folder, "vtn3")
    ca = folder / "root.pem"
    ca.write_bytes(root.cert_pem(with_chain=False))
    run.simulator_params["tls_ca"] = str(ca)
    return cert, key
