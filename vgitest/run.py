"""Run-level state of a vgitest pytest session: profile, budgets, the fake peer and the DUT adapter.

Kept separate from the pytest plugin so that the plugin stays a thin layer of options, fixtures and hooks.
"""

from __future__ import annotations

import dataclasses
import importlib
import ssl
import time
from pathlib import Path
from typing import Any

from .adapters import ActionNotSupported, DutAdapter, from_profile
from .budgets import Budgets
from .findings import Finding, Severity
from .profile import Profile
from .verdict import HarnessError

SIMULATORS = {("ocpp", "1.6"): "vgitest.ocpp.station.v16:Station16",
              ("ocpp", "2.0.1"): "vgitest.ocpp.station.v201:Station201",
              ("openadr", "2.0b"): "vgitest.openadr.ven.reference:ReferenceVen",
              ("sep2", "2018"): "vgitest.sep2.client.reference:ReferenceDerClient"}
PEER_NAMES = {"ocpp": "FAKE-CSMS", "openadr": "FAKE-VTN", "sep2": "FAKE-2030.5", "iso15118": "FAKE-V2G",
              "slac": "FAKE-SLAC"}


@dataclasses.dataclass
class Settings:
    profile: str | None
    adapter: str | None
    host: str
    port: int
    reports: Path
    run_name: str
    faults: tuple[str, ...]
    strict: bool
    lenient: bool
    schemas: str | None
    tls_cert: str | None
    tls_key: str | None
    tls_ca: str | None
    shard: tuple[int, int] | None = None  # (K, N): this process runs shard K of N (vgitest.shard)


class VgiRun:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.profile = Profile.load(settings.profile) if settings.profile else None
        self.budgets = Budgets.load()
        if self.profile is not None:
            for proto, values in self.profile.budgets.items():
                for name, value in values.items():
                    self.budgets = self.budgets.override(proto, name, value_s=float(value))
        self.run_dir = settings.reports / settings.run_name
        if settings.shard is not None:
            from .shard import dirname
            self.run_dir = self.run_dir / dirname(settings.shard[0])
        self.results: list[dict[str, Any]] = []
        self.csms: Any = None
        self.vtn: Any = None
        self.sep2: Any = None  # the fake IEEE 2030.5 server
        self.v2g: Any = None  # the fake SECC (EV under test) or fake EVCC (EVSE under test)
        self.slac: Any = None  # the fake SLAC EVSE (EV under test) or fake SLAC EV (EVSE under test)
        self.csip_pki: Any = None  # the generated CSIP test PKI of this run, if any
        self.oadr_pki: Any = None  # the generated OpenADR test PKI of this run, if any
        self.v2g_pki: Any = None  # the generated ISO 15118 test PKI of this run, if any
        self.simulator_params: dict[str, Any] = {}  # extra PIXIT for the reference simulator (e.g. TLS files)
        self.simulator: Any = None
        self.adapter: DutAdapter | None = None
        self.powered_on_at: float | None = None  # when the run switched the DUT on (power_on at the start)
        self.started = time.time()

    def require_profile(self) -> Profile:
        if self.profile is None:
            raise HarnessError("no DUT profile: pass --vgi-profile PATH (or a built-in name such as "
                               "reference-station-16), or set vgi_profile in the ini file")
        return self.profile

    @property
    def dut_version(self) -> str:
        return str(self.require_profile().dut.get("version", ""))

    @property
    def identity(self) -> str:
        return str(self.require_profile().dut.get("identity", "VGI-REF-001"))

    @property
    def protocol(self) -> str:
        return str(self.require_profile().dut.get("protocol", "ocpp"))

    @property
    def peer(self) -> Any:
        """The fake peer running for this DUT (None before a test started it)."""
        return next((p for p in (self.vtn, self.sep2, self.v2g, self.slac, self.csms) if p is not None), None)

    def ensure_peer(self) -> Any:
        """Start the fake peer the DUT's protocol needs: the fake CSMS (OCPP) or the fake VTN (OpenADR)."""
        if self.protocol == "openadr":
            return self.ensure_vtn()
        if self.protocol == "sep2":
            return self.ensure_sep2()
        if self.protocol == "iso15118":
            return self.ensure_v2g()
        if self.protocol == "slac":
            return self.ensure_slac()
        return self.ensure_csms()

    def adapter_kind(self) -> str:
        return self.settings.adapter or str(self.require_profile().adapter.get("kind", "simulated"))

    # --- OCPP -----------------------------------------------------------------------------------------------
    def ensure_csms(self) -> Any:
        if self.csms is None:
            from .ocpp.csms import FakeCsms
            from .ocpp.validator import load_errata
            p = self.require_profile()
            password = p.dut.get("password")
            sec = int(p.pixit.get("security_profile", 1 if password else 0))
            identity = self.identity
            self.csms = FakeCsms(host=self.settings.host, port=self.settings.port,
                                 identities={identity} if p.dut.get("identity") else None,
                                 passwords={identity: password} if password else {}, security_profile=sec,
                                 ssl_context=self._tls_context(sec), budgets=self.budgets,
                                 lenient=self.settings.lenient, schema_path=self.settings.schemas,
                                 errata=load_errata(p.validation.get("allow", [])),
                                 heartbeat_interval=int(p.pixit.get("heartbeat_interval", 60)),
                                 connect_timeout=float(p.pixit.get("connect_timeout", 30))).start()
        return self.csms

    # --- OpenADR -------------------------------------------------------------------------------------------
    def ensure_vtn(self) -> Any:
        if self.vtn is None:
            from .openadr.vtn import FakeVtn
            p = self.require_profile()
            ssl_context, fingerprints = self._oadr_tls(p)
            self.vtn = FakeVtn(host=self.settings.host, port=self.settings.port, ssl_context=ssl_context,
                               fingerprints=fingerprints, push_ssl_context=self._oadr_push_tls(p),
                               vtn_id=str(p.pixit.get("vtn_id", "VGI-VTN")),
                               ven_id=str(p.pixit.get("ven_id", "VGI-VEN-1")),
                               poll_freq_s=float(p.pixit.get("poll_freq_s", 10)), budgets=self.budgets,
                               lenient=self.settings.lenient, schema_path=self.settings.schemas,
                               max_body_bytes=int(p.pixit.get("max_body_bytes", 1 << 20))).start()
            self._oadr_signatures(p)
        return self.vtn

    def _oadr_signatures(self, p: Profile) -> None:
        """The fake VTN's XML-signature policy: required when the PICS declares XmlSignature; the replay window
        (PIXIT signature_replay_window_s); a signing certificate for the venID when the lab gives one (PIXIT
        ven_signing_cert, a PEM path), else the VEN's TLS client certificate is the one signatures must match."""
        from .openadr import signature
        check = self.vtn.signatures
        check.required = p.supports("XmlSignature")
        check.window_s = float(p.pixit.get("signature_replay_window_s", signature.DEFAULT_WINDOW_S))
        path = p.pixit.get("ven_signing_cert")
        if path:
            try:
                cert = signature.load_certificate(Path(str(path)).read_bytes())
            except (OSError, ValueError) as exc:
                raise HarnessError(f"PIXIT ven_signing_cert {path!r} cannot be read: {exc}") from None
            check.certificates[str(p.pixit.get("ven_id", "VGI-VEN-1"))] = cert

    def _oadr_tls(self, p: Profile) -> tuple[ssl.SSLContext | None, Any]:
        """TLS for the fake VTN when the PICS declares it: the user's material (--vgi-tls-*), or a test PKI made
        for this run (PIXIT tls_material = "generated", what the reference runs use)."""
        if not p.supports("Tls"):
            return None, None
        from .openadr import security
        ven_id = str(p.pixit.get("ven_id", "VGI-VEN-1"))
        s = self.settings
        if s.tls_cert and s.tls_key and s.tls_ca:
            fp = p.pixit.get("ven_fingerprint")
            check = security.FingerprintCheck({ven_id: str(fp)}) if fp else None
            return security.vtn_context_files(s.tls_cert, s.tls_key, s.tls_ca), check
        if p.pixit.get("tls_material") != "generated":
            raise HarnessError("the PICS declares Tls: pass --vgi-tls-cert, --vgi-tls-key and --vgi-tls-ca (the CA "
                               "of your VEN's certificate), or set tls_material = \"generated\" in the PIXIT")
        from .openadr import testpki
        self.oadr_pki = testpki.make(self.run_dir / "pki")
        self.simulator_params.update(self.oadr_pki.files())
        return self.oadr_pki.vtn_context("good"), security.FingerprintCheck({ven_id: self.oadr_pki.ven_fingerprint})

    # --- ISO 15118 / DIN SPEC 70121 ------------------------------------------------------------------------------
    @property
    def dut_role(self) -> str:
        """"ev" (the harness is a fake SECC) or "evse" (the harness is a fake EVCC)."""
        return str(self.require_profile().dut.get("role", "evse"))

    def v2g_timers(self) -> Any:
        from .iso15118.timers import Timers
        p = self.require_profile()
        return Timers(self.budgets, overrides=p.pixit.get("timers") or {},
                      profile=str(p.pixit.get("timing_profile", "strict")))

    def ensure_v2g(self) -> Any:
        if self.v2g is None:
            from .iso15118.fake import FakeEvcc, FakeSecc, port_range_of
            from .iso15118.params import EvParams, EvseParams
            p = self.require_profile()
            families = tuple(p.pixit.get("families") or (self.dut_version,))
            ssl_context, pnc = self._v2g_tls(p)
            if self.dut_role == "ev":
                try:
                    port_range = port_range_of(p.pixit.get("secc_port_range"))
                except ValueError as exc:
                    raise HarnessError(f"PIXIT {exc}") from None
                self.v2g = FakeSecc(host=str(p.pixit.get("secc_address", "::1")), sdp_host=str(
                    p.pixit.get("sdp_bind", "::")), sdp_port=int(p.pixit.get("sdp_port", 15118)), families=families,
                    evse=EvseParams.from_pixit(p.pixit), timers=self.v2g_timers(), ssl_context=ssl_context,
                    port=int(p.pixit.get("secc_port", 0)), port_range=port_range)
                self.v2g.pnc, self.v2g.pki, self.v2g.keylog = pnc, self.v2g_pki, self._v2g_keylog()
                self.v2g.start()
            else:
                self.v2g = FakeEvcc(sdp_target=str(p.pixit.get("sdp_target", "ff02::1")),
                                    sdp_port=int(p.pixit.get("sdp_port", 15118)), offers=families,
                                    mode=str(p.pixit.get("mode", "DC")), ev=EvParams.from_pixit(p.pixit),
                                    want_tls=bool(p.pixit.get("tls", False)), timers=self.v2g_timers(),
                                    sdp_retries=int(p.pixit.get("sdp_retries", 50)), ssl_context=ssl_context)
                self.v2g.pnc, self.v2g.tls_required = pnc, p.supports("Tls")
                self.v2g.start()
            self.simulator_params.update({"dut_version": self.dut_version})
        return self.v2g

    def _v2g_keylog(self) -> Path:
        return self.run_dir / "tls-keys.log"

    def _v2g_tls(self, p: Profile) -> tuple[ssl.SSLContext | None, Any]:
        """TLS (PIXIT tls) and Plug & Charge material (PICS PnC) of the fake SECC/EVCC: the user's files
        (--vgi-tls-cert/--vgi-tls-key: the fake's own certificate; --vgi-tls-ca: the roots the DUT's chain must
        reach) or a V2G test PKI made for this run (PIXIT tls_material = "generated"; the reference device gets
        its files). The fake's TLS secrets go to <run dir>/tls-keys.log (NSS key log, for Wireshark)."""
        tls_on, pnc_on = bool(p.pixit.get("tls", False)), p.supports("PnC")
        if not (tls_on or pnc_on):
            return None, None
        from .iso15118 import pnc as pncmod
        iso20 = self.dut_version == "iso-20"
        ev_under_test = self.dut_role == "ev"
        s = self.settings
        if s.tls_cert and s.tls_key:
            ctx = None
            if tls_on and ev_under_test:
                ctx = pncmod.server_context_files(iso20=iso20, cert=s.tls_cert, key=s.tls_key, ca=s.tls_ca,
                                                  keylog=self._v2g_keylog())
            elif tls_on:
                ctx = pncmod.client_context_files(iso20=iso20, ca=s.tls_ca, cert=s.tls_cert if iso20 else None,
                                                  key=s.tls_key if iso20 else None, keylog=self._v2g_keylog())
            files = {k: str(v) for k, v in p.pixit.items() if k in ("mo_root", "v2g_root", "contract_chain",
                                                                    "contract_key", "cps_leaf_chain", "cps_leaf_key",
                                                                    "oem_prov_chain", "oem_prov_key")}
            pnc = (pncmod.SeccPnc.from_files(files) if ev_under_test else pncmod.EvPnc.from_files(files)) \
                if pnc_on and files else None
            return ctx, pnc
        if p.pixit.get("tls_material") != "generated":
            raise HarnessError("TLS / Plug & Charge needs certificates: pass --vgi-tls-cert and --vgi-tls-key (the "
                               "fake's own) and --vgi-tls-ca (the roots your device's chain reaches), or set "
                               "tls_material = \"generated\" in the PIXIT")
        from .iso15118 import testpki, tls
        self.v2g_pki = testpki.make(self.run_dir / "v2g-pki", iso20=iso20)
        files = self.v2g_pki.files()
        self.simulator_params.update(files)
        ctx = None
        if tls_on:
            ctx = (tls.secc_context if ev_under_test else tls.evcc_context)(self.v2g_pki, iso20=iso20,
                                                                            keylog=self._v2g_keylog())
        pnc = (pncmod.SeccPnc.from_files(files) if ev_under_test else pncmod.EvPnc.from_files(files)) \
            if pnc_on else None
        return ctx, pnc

    # --- ISO 15118-3 SLAC ---------------------------------------------------------------------------------------
    def ensure_slac(self) -> Any:
        """The fake SLAC peer of the DUT's role, on a veth pair in namespaces (PIXIT interface = "veth") or on the
        vendor's interface; its `unavailable` says why not when namespaces cannot be made."""
        if self.slac is None:
            from .slac.fake import from_pixit
            self.slac = from_pixit(self.dut_role, self.require_profile().pixit, self.budgets).start()
        return self.slac

    # --- IEEE 2030.5 -----------------------------------------------------------------------------------------
    def ensure_sep2(self) -> Any:
        if self.sep2 is None:
            from .sep2.server import FakeSep2Server
            p = self.require_profile()
            ssl_context = self._sep2_tls(p)
            self.sep2 = FakeSep2Server(host=self.settings.host, port=self.settings.port, ssl_context=ssl_context,
                                       schema_version=self.dut_version or "2018", csip_aus=p.supports("CsipAus"),
                                       lenient=self.settings.lenient, schema_path=self.settings.schemas,
                                       max_body_bytes=int(p.pixit.get("max_body_bytes", 1 << 20)),
                                       notify_ssl_context=self._sep2_notify_tls(p) if ssl_context else None,
                                       notify_timeout_s=float(p.pixit.get("notification_timeout_s", 5))).start()
            self.sep2.state.poll_rate_s = int(p.pixit.get("poll_rate_s", 900))
            self.sep2.state.pen = int(p.pixit.get("server_pen", self.sep2.state.pen))
            lfdi = p.pixit.get("lfdi") or self.simulator_params.get("lfdi")
            if lfdi and str(p.pixit.get("registration", "out_of_band")) == "out_of_band":
                pin = p.pixit.get("pin", 111115)
                self.sep2.state.register_device(str(lfdi), pin=int(pin) if pin is not None else None)
        return self.sep2

    def _sep2_tls(self, p: Profile) -> ssl.SSLContext | None:
        """CSIP TLS when the PICS declares it: the user's server certificate and the SERCA of the client's chain
        (--vgi-tls-*), or a CSIP test PKI made for this run (PIXIT tls_material = "generated")."""
        if not p.supports("Tls"):
            return None
        from .sep2 import security
        s = self.settings
        if s.tls_cert and s.tls_key and s.tls_ca:
            return security.server_context_files(s.tls_cert, s.tls_key, s.tls_ca)
        if p.pixit.get("tls_material") != "generated":
            raise HarnessError("the PICS declares Tls: pass --vgi-tls-cert, --vgi-tls-key and --vgi-tls-ca (the "
                               "SERCA of your client's chain), or set tls_material = \"generated\" in the PIXIT")
        from .sep2 import testpki
        depth = int(p.pixit.get("chain_depth", 3))
        self.csip_pki = testpki.make(self.run_dir / "csip-pki")
        self.simulator_params.update(self.csip_pki.files(depth))
        return self.csip_pki.server_context(depth)

    def _sep2_notify_tls(self, p: Profile) -> ssl.SSLContext:
        """The fake 2030.5 server as TLS client of a subscribed client's listener: its own certificate, and the
        SERCA it checks the listener's with (the same files as its server side; call after `_sep2_tls`)."""
        from .sep2 import security
        s = self.settings
        if s.tls_cert and s.tls_key and s.tls_ca:
            return security.client_context_files(s.tls_ca, s.tls_cert, s.tls_key)
        assert self.csip_pki is not None
        return self.csip_pki.notifier_context(int(p.pixit.get("chain_depth", 3)))

    def _oadr_push_tls(self, p: Profile) -> ssl.SSLContext | None:
        """The fake VTN as TLS client of a push VEN: its certificate, and the CA it verifies the VEN's with
        (the same files as the server side; call after `_oadr_tls`)."""
        if not (p.supports("Tls") and p.supports("HttpPush")):
            return None
        from .openadr import security
        s = self.settings
        if s.tls_cert and s.tls_key and s.tls_ca:
            return security.ven_context_files(s.tls_ca, s.tls_cert, s.tls_key)
        return self.oadr_pki.push_client_context("good") if self.oadr_pki is not None else None

    def _tls_context(self, security_profile: int) -> ssl.SSLContext | None:
        s = self.settings
        if security_profile < 2 and not s.tls_cert:
            return None
        if not (s.tls_cert and s.tls_key):
            raise HarnessError(f"security profile {security_profile} needs --vgi-tls-cert and --vgi-tls-key")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(s.tls_cert, s.tls_key)
        if security_profile == 3:
            if not s.tls_ca:
                raise HarnessError("security profile 3 needs --vgi-tls-ca to verify station certificates")
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(s.tls_ca)
        return ctx

    def ensure_dut(self, *, power_on: bool = True) -> DutAdapter:
        """The DUT adapter (made once per run). With `power_on`, a command adapter switches the DUT on first."""
        if self.adapter is not None:
            return self.adapter
        p = self.require_profile()
        kind = self.adapter_kind()
        protocol = str(p.dut.get("protocol", "ocpp"))
        if kind == "simulated":
            target = p.adapter.get("simulator") or SIMULATORS.get((protocol, self.dut_version))
            if target is None:
                raise HarnessError(f"no reference simulator for {protocol} {self.dut_version}")
            mod, cls = target.split(":")
            simulator_cls = getattr(importlib.import_module(mod), cls)
            peer = self.ensure_peer()
            try:
                self.simulator = simulator_cls(peer.url, self.identity, password=p.dut.get("password"),
                                               connectors=int(p.pixit.get("connectors", 1)),
                                               faults=self.settings.faults,
                                               params={**p.pixit, **self.simulator_params}).start()
            except ValueError as exc:  # e.g. an unknown fault name
                raise HarnessError(str(exc)) from None
            if protocol == "iso15118" and self.dut_role == "evse" and int(p.pixit.get("sdp_port", 15118)) == 0:
                self.v2g.client.sdp_port = self.v2g.sdp_port = self.simulator.sdp_port  # found at run time
        elif self.settings.faults:
            raise HarnessError("--vgi-fault only applies to the simulated adapter (the reference simulators)")
        url = self.ensure_peer().url
        env = {"csms_url": url if protocol == "ocpp" else "", "vtn_url": url if protocol == "openadr" else "",
               "dcap_url": url if protocol == "sep2" else "", "identity": self.identity}
        adapter = from_profile(kind, p.adapter, simulator=self.simulator, env=env)
        if protocol == "sep2":
            self._mark_actions(adapter)
        if power_on:
            self._power_on_at_start(adapter)
        self.adapter = adapter
        return adapter

    def _power_on_at_start(self, adapter: DutAdapter) -> None:
        """Switch the DUT on once, before the first test needs it, when the command adapter has a `power_on`
        command; the fake peer already listens, so the device can connect as soon as it is up. The simulated
        adapter's reference simulators switch themselves on when they start, and with the manual adapter the
        operator switches the device on before the run. A failing command raises HarnessError (every test that
        needs the DUT ends ERROR); a command that answers "not supported" (exit 77) is taken at its word."""
        if adapter.kind != "command" or not adapter.supports("power_on"):
            return
        try:
            adapter.perform("power_on")
        except ActionNotSupported:
            return
        self.powered_on_at = time.time()

    def _mark_actions(self, adapter: DutAdapter) -> None:
        """Note every DUT action in the 2030.5 trace: a client told to restart walks its resources again at once,
        which must not count as polling too often (and the evidence shows what the test asked for)."""
        from .sep2.checks import RESTART_MARK
        perform = adapter.perform

        def perform_marked(action: str, **params: Any) -> Any:
            if self.sep2 is not None:
                self.sep2.note(f"{RESTART_MARK}: {action}")
            return perform(action, **params)

        adapter.perform = perform_marked  # type: ignore[method-assign]

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        if self.csms is not None:
            self.csms.stop()
            self.csms = None
        if self.vtn is not None:
            self.vtn.stop()
            self.vtn = None
        if self.sep2 is not None:
            self.sep2.stop()
            self.sep2 = None
        if self.v2g is not None:
            self.v2g.stop()
            self.v2g = None
        if self.slac is not None:
            self.slac.stop()
            self.slac = None

    # --- verdict inputs -----------------------------------------------------------------------------------
    @staticmethod
    def dut_findings(findings: list[Finding]) -> list[Finding]:
        """Findings that speak about the DUT (not the harness's own frames)."""
        return [f for f in findings if f.details.get("side") != "harness"]

    def counts(self, findings: list[Finding]) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in findings:
            out[f.severity.value] += 1
        return out
