"""OpenADR 3's side of the fake-peer contract: the fake VTN a run builds from its profile (the VEN's OAuth client,
TLS from the lab's files, the OpenAPI document when the user gives one)."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from ..peer import RunPeer
from ..verdict import HarnessError
from .store import Client
from .vtn import FakeVtn3

if TYPE_CHECKING:
    from ..run import VgiRun


class VtnPeer(FakeVtn3, RunPeer):
    """The fake OpenADR 3 VTN as a run's peer."""

    harness_name = "FAKE-VTN3"

    def adapter_env(self) -> dict[str, str]:
        return {"vtn_url": self.url, "token_url": self.token_url}

    def simulator_started(self, simulator: Any) -> None:
        """The reference VEN's webhook is up: nothing to learn from it (it subscribes with its URL itself)."""


def make(run: VgiRun) -> VtnPeer:
    p = run.require_profile()
    client = Client(str(p.pixit.get("client_id", "vgi-ven")), str(p.pixit.get("client_secret", "vgi-secret")))
    return VtnPeer(host=run.settings.host, port=run.settings.port, clients=(client,), ssl_context=_tls(run),
                   max_body_bytes=int(p.pixit.get("max_body_bytes", 1 << 20))).start()


def _tls(run: VgiRun) -> ssl.SSLContext | None:
    """HTTPS when the PICS declares Tls: the lab's certificate and key (--vgi-tls-cert, --vgi-tls-key). OpenADR 3
    authenticates the VEN by its token, so the fake VTN asks for no client certificate."""
    if not run.require_profile().supports("Tls"):
        return None
    s = run.settings
    if not (s.tls_cert and s.tls_key):
        raise HarnessError("the PICS declares Tls: pass --vgi-tls-cert and --vgi-tls-key (the fake VTN's "
                           "certificate the VEN trusts)")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(s.tls_cert, s.tls_key)
    return ctx
