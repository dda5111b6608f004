"""What the PIXIT configures in the reference DER client: its settings, its TLS contexts and its identity.

Read once at construction, so a bad value fails there (as a ValueError the harness reports) and the parts of
the client get plain values."""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Mapping
from typing import Any

from .. import identity
from .core import to_int

DEFAULT_PIN = 111115


@dataclasses.dataclass(frozen=True)
class Settings:
    pin: int | None  # None: the utility gave no PIN, there is nothing to check
    in_band: bool  # POSTs its EndDevice when the server does not list it
    max_w: float  # its rating (W, and var)
    demand_w: float  # the EV's demand at start
    late_s: float  # how late the fault late_started_response posts Response 2
    nominal_v: float  # its setVRef (and setVNom)
    nominal_hz: float
    own_grad: int  # its own setGradW (0.01 %/s of setMaxW); 0: no ramp limit
    subscribe: bool  # subscription mode
    notify_port: int  # its listener's port; 0: any
    random_seed: Any
    post_rate_s: Any  # the PIXIT's meter post rate; None: the EndDevice's postRate
    csip_aus: bool = False  # CSIP-AUS mode: it declares its dynamic operating envelope modes (doeModes*)
    der_refresh_s: float = 0.0  # declares its DER again at a DERList read this long after the last time (0: never)
    site_load_w: float = 0.0  # CSIP-AUS mode: the site's own load beside the DER (W; client/plant.py)
    storage_wh: float = 60000.0  # CSIP-AUS mode: the EV battery the EVSE charges and discharges (Wh)
    plant_speedup: float = 1.0  # how much faster than real time its output ramps: 1 / PIXIT cactus_time_scale

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Settings:
        p = params
        pin = p.get("pin", DEFAULT_PIN)
        # in band: always so with registration = in_band; with out-of-band registration only if the PIXIT says
        # the device also can register itself
        in_band = (str(p.get("registration", "out_of_band")).lower().replace("-", "_") == "in_band"
                   or str(p.get("register_when_unlisted", "false")).lower() == "true")
        max_w = float(p.get("rtg_max_w", 7000))
        return cls(pin=None if pin in (None, "") else to_int(pin, DEFAULT_PIN), in_band=in_band, max_w=max_w,
                   demand_w=float(p.get("demand_w", max_w)), late_s=float(p.get("late_response_s", 60)),
                   nominal_v=float(p.get("nominal_v", 240)), nominal_hz=float(p.get("nominal_hz", 60)),
                   own_grad=to_int(p.get("set_grad_w", 0)),
                   subscribe=str(p.get("subscribe", False)).lower() in ("true", "1", "yes"),
                   notify_port=int(p.get("notify_port", 0)), random_seed=p.get("random_seed"),
                   post_rate_s=p["post_rate_s"] if "post_rate_s" in p else None,
                   csip_aus=str(p.get("csip_aus", False)).lower() in ("true", "1", "yes"),
                   der_refresh_s=float(p.get("der_refresh_s", 0) or 0),
                   site_load_w=float(p.get("site_load_w", 0)), storage_wh=float(p.get("storage_wh", 60000)),
                   plant_speedup=1.0 / float(p.get("cactus_time_scale", 1) or 1))


def client_context(params: Mapping[str, Any], faults: frozenset[str]) -> ssl.SSLContext:
    """CSIP TLS from the PIXIT files; the strict context also checks the chain against the CSIP profile."""
    from ..security import client_context_files
    p = params
    if "tls_ca" not in p:
        raise ValueError("an https DCAP URL needs PIXIT tls_ca (and tls_cert, tls_key)")
    strict = not ({"accepts_bad_chain", "accepts_any_server"} & faults)
    ciphers = {"ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256"} if "offers_only_other_suite" in faults else {}
    ctx = client_context_files(p["tls_ca"], p.get("tls_cert"), p.get("tls_key"), strict=strict, **ciphers)
    if "accepts_any_server" in faults:
        ctx.verify_mode = ssl.CERT_NONE
    if "refuses_deep_chains" in faults or "requires_mica" in faults:
        from ...tlsutil import add_handshake_check, peer_chain
        deep, needs = "refuses_deep_chains" in faults, "requires_mica" in faults

        def depth_check(conn: ssl.SSLObject | ssl.SSLSocket) -> None:
            chain = peer_chain(conn, verified=True) or peer_chain(conn) or []
            if (deep and len(chain) > 2) or (needs and len(chain) < 3):
                raise ssl.SSLCertVerificationError(f"chain of depth {len(chain)} refused (fault)")

        add_handshake_check(ctx, depth_check)
    return ctx


def listener_context(params: Mapping[str, Any]) -> ssl.SSLContext:
    """CSIP TLS for its notification listener: its device certificate, the server's checked against the SERCA."""
    from ..security import server_context_files
    p = params
    return server_context_files(p["tls_cert"], p["tls_key"], p["tls_ca"])


def own_lfdi(params: Mapping[str, Any], over_tls: bool) -> str:
    """Over TLS the LFDI is its certificate's; on plain HTTP it is the PIXIT's `lfdi`."""
    cert = params.get("tls_cert")
    if over_tls and cert:
        from cryptography import x509
        with open(cert, "rb") as fh:
            return identity.lfdi(x509.load_pem_x509_certificates(fh.read())[0])
    lfdi = identity.normalize_lfdi(str(params.get("lfdi", "")))
    if lfdi is None:
        raise ValueError("the reference DER client needs PIXIT lfdi (40 hex digits) on plain HTTP")
    return lfdi
