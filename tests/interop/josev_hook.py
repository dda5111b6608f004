"""Josev (`iso15118` 0.31.2, EcoG-io, Apache-2.0) as a device under test, with a test hook: a program of its own that
a vendor would call its EV or EVSE plus the small service its test bench talks to.

It runs with the Python of Josev's own virtualenv (Josev pins pydantic 1 and cryptography 44, so it never shares
vgitest's), inside the network namespace of the device, and imports nothing from vgitest. One process keeps one
JVM (Josev's EXI codec) for a whole run:

* ``serve --role evse``: Josev's SECC (configured by Josev's own environment variables) answers SDP on the
  namespace's interface and serves every session the fake EVCC starts. Josev's simulated EVSE controller stands
  in for a charger's power electronics with fixed numbers (output 1 V, DC limits of 4 V and 4 A); the hook's
  :class:`BenchEvse` keeps every protocol decision Josev's and replaces only those readings with a bench supply:
  the output follows the EV's targets within rated limits (500 V, 200 A, 100 kW DC; 32 A, 230 V AC). Without it
  no DC session could pass PreCharge, and every DC case would fail on the stub rather than on the stack.
* ``serve --role ev``: Josev's EVCC; each ``plug_in`` starts a new EV session (SDP, SAP, a whole charge) the way
  Josev's ``iso15118.evcc.main`` does, after tearing down the previous one (an unplug). The only change to Josev's
  simulated EV is the choice of ISO 15118-20 parameter set: Josev's simulator takes the first one offered, the hook
  takes the one with the control mode the test asks for (a test bench configures its EV the same way).

``send ACTION [--family F]`` is the client the profile's adapter commands call: it forwards the action and the
``VGI_*`` parameters the command adapter sets to the hook's unix socket (path in ``$JOSEV_HOOK``) and exits 0 when
the hook did it, 1 with the reason when not. It needs only the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sys
from typing import Any

HOOK_ENV = "JOSEV_HOOK"
ACTION_TIMEOUT_S = 20.0  # a bound for one action (the EV's teardown and start take well under a second)

# What the suites' plug_in parameters mean for Josev's EVCC configuration (evcc_config.EVCCConfig fields).
ISO2_MODES = {"AC": "AC_three_phase_core", "DC": "DC_extended"}
ISO20_PROTOCOL = {"AC": "ISO_15118_20_AC", "AC_BPT": "ISO_15118_20_AC", "DC": "ISO_15118_20_DC",
                  "DC_BPT": "ISO_15118_20_DC"}
CONTROL_MODES = {"Scheduled": 1, "Dynamic": 2}  # ISO 15118-20 ControlMode parameter values


def ev_config(family: str, mode: str | None, use_tls: bool) -> dict[str, Any]:
    """Josev's EVCC configuration (the JSON its main program reads) for one plug-in."""
    if family == "din":
        return {"supportedProtocols": ["DIN_SPEC_70121"], "energyTransferMode": "DC_extended", "useTls": False,
                "isCertInstallNeeded": False, "sdpRetryCycles": 1}
    if family == "iso-2":
        mode = mode or "DC"
        return {"supportedProtocols": ["ISO_15118_2"], "energyTransferMode": ISO2_MODES[mode],
                "supportedEnergyServices": ["AC" if mode == "AC" else "DC"], "useTls": use_tls,
                "isCertInstallNeeded": False, "sdpRetryCycles": 1}
    if family == "iso-20":
        mode = mode or "DC"
        return {"supportedProtocols": [ISO20_PROTOCOL[mode]], "supportedEnergyServices": [mode], "useTls": use_tls,
                "isCertInstallNeeded": False, "sdpRetryCycles": 1}
    raise ValueError(f"unknown family {family!r} (din, iso-2, iso-20)")


# --- the client the adapter commands run ---------------------------------------------------------------------
EXIT_NOT_SUPPORTED = 77  # vgitest's command adapter: the device cannot do this (docs/adapters.md)


def send(action: str, family: str | None, path: str | None = None, timeout: float = ACTION_TIMEOUT_S) -> int:
    path = path or os.environ.get(HOOK_ENV, "")
    if not path:
        print(f"josev_hook: ${HOOK_ENV} names no hook socket", file=sys.stderr)
        return 1
    params = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("VGI_")}
    request = json.dumps({"action": action, "family": family, "params": params}).encode() + b"\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(path)
            s.sendall(request)
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        print(f"josev_hook: {action} failed: {exc}", file=sys.stderr)
        return 1
    answer = json.loads(data or b'{"ok": false, "error": "the hook closed without an answer"}')
    if not answer.get("ok"):
        print(f"josev_hook: {action}: {answer.get('error')}", file=sys.stderr)
        return EXIT_NOT_SUPPORTED if answer.get("unsupported") else 1
    return 0


# --- the hook service -----------------------------------------------------------------------------------------
class Hook:
    """Owns Josev and serves the actions of one device role."""

    def __init__(self, role: str, use_tls: bool) -> None:
        from iso15118.shared.exificient_exi_codec import ExificientEXICodec
        self.role, self.use_tls = role, use_tls
        self.codec = ExificientEXICodec()  # one JVM for the whole run
        self.log = logging.getLogger("josev_hook")
        self.ev: tuple[Any, set[asyncio.Task]] | None = None  # the running EVCC handler and its tasks
        self.secc: asyncio.Task | None = None

    async def start(self) -> None:
        if self.role == "evse":
            await self.start_secc()

    async def start_secc(self) -> None:
        from iso15118.secc import SECCHandler
        from iso15118.secc.controller.interface import ServiceStatus
        from iso15118.secc.secc_settings import Config
        config = Config()
        config.load_envs()
        config.print_settings()
        controller = _bench_evse()
        await controller.set_status(ServiceStatus.STARTING)
        handler = SECCHandler(exi_codec=self.codec, evse_controller=controller, config=config)
        self.secc = asyncio.create_task(handler.start(config.iface))

    async def plug_in(self, family: str | None, params: dict[str, str]) -> None:
        if self.role != "ev":
            return  # the EVSE needs no plug-in: the fake EVCC starts each session
        await self.unplug()
        from iso15118.evcc import EVCCHandler
        from iso15118.evcc.evcc_config import EVCCConfig
        from iso15118.evcc.evcc_settings import Config
        if params.get("pause") in ("True", "true", "1") or params.get("resume") in ("True", "true", "1"):
            raise NotImplementedError("Josev's EVCC 0.31.2 never pauses a session (it always sends SessionStop "
                                      "Terminate) and keeps no session to resume")
        config = Config()
        config.load_envs()
        evcc_config = EVCCConfig(**ev_config(family or "iso-2", params.get("mode") or None, self.use_tls))
        evcc_config.load_raw_values()
        controller = _controller(evcc_config, params.get("control_mode") or None)
        before = asyncio.all_tasks()
        handler = EVCCHandler(evcc_config=evcc_config, iface=config.iface, exi_codec=self.codec,
                              ev_controller=controller)
        main = asyncio.create_task(handler.start())
        await asyncio.sleep(0)  # let the handler create its tasks
        self.ev = (handler, {main} | (asyncio.all_tasks() - before))
        self.log.info("plugged in: %s", evcc_config.dict(by_alias=True))

    async def unplug(self) -> None:
        """Tear the EV session down: Josev's EVCC leaves its tasks and sockets running after a session ends."""
        if self.ev is None:
            return
        handler, tasks = self.ev
        self.ev = None
        session = getattr(handler, "comm_session", None)
        extra = {session[1]} if isinstance(session, tuple) and session[1] is not None else set()
        pending = [t for t in tasks | extra | _spawned_since(tasks) if not t.done()]
        for t in pending:
            t.cancel()
        await asyncio.wait(pending, timeout=5) if pending else None
        for closer in (lambda: handler.tcp_client.writer.close(), lambda: handler.udp_client._transport.close()):
            try:
                closer()
            except Exception:  # noqa: BLE001 - already closed or never opened
                pass
        self.log.info("unplugged")

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = json.loads(await asyncio.wait_for(reader.readline(), ACTION_TIMEOUT_S))
            action = request.get("action")
            if action == "plug_in":
                await self.plug_in(request.get("family"), request.get("params") or {})
            elif action == "unplug":
                await self.unplug()
            elif action != "ping":
                raise NotImplementedError(f"the Josev hook has no action {action!r}")
            answer = {"ok": True}
        except NotImplementedError as exc:  # Josev cannot do this: the adapter's "not supported" (exit 77)
            answer = {"ok": False, "unsupported": True, "error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the answer carries it to the adapter command
            self.log.exception("action failed")
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        writer.write(json.dumps(answer).encode() + b"\n")
        await writer.drain()
        writer.close()


def _spawned_since(tasks: set[asyncio.Task]) -> set[asyncio.Task]:
    """Tasks the EV session started after plug-in (its TCP reader, its message loop): every task that is not the
    hook's own. The hook's own tasks are named ``hook-*``."""
    return {t for t in asyncio.all_tasks() if not t.get_name().startswith("hook-") and t is not asyncio.current_task()}


def _controller(evcc_config: Any, control_mode: str | None) -> Any:
    """Josev's simulated EV controller, choosing the ISO 15118-20 parameter set with ``control_mode``."""
    from iso15118.evcc.controller.simulator import SimEVController
    from iso15118.shared.messages.enums import ParameterName

    class TestBenchEv(SimEVController):
        async def select_energy_service_v20(self, services: Any) -> Any:
            selected = await super().select_energy_service_v20(services)
            wanted = CONTROL_MODES.get(control_mode or "")
            if wanted is None:
                return selected
            for pset in services[0].parameter_sets:
                if any(p.name == ParameterName.CONTROL_MODE and p.int_value == wanted for p in pset.parameters):
                    selected.parameter_set = pset
                    break
            return selected

    return TestBenchEv(evcc_config)


# The bench supply's rated limits (what a small DC charger and an 11/22 kW AC wallbox give).
DC_MAX_V, DC_MIN_V, DC_MAX_A, DC_MAX_W = 500.0, 150.0, 200.0, 100_000.0
AC_MAX_A, AC_NOMINAL_V = 32.0, 230.0


def _bench_evse() -> Any:
    """Josev's simulated EVSE controller with a bench supply behind it (see the module docstring)."""
    from iso15118.secc.controller.simulator import SimEVSEController
    from iso15118.shared.messages.datatypes import (DCEVSEChargeParameter, PVEVSEMaxCurrentLimit,
                                                    PVEVSEMaxPowerLimit, PVEVSEMaxVoltageLimit,
                                                    PVEVSEMinCurrentLimit, PVEVSEMinVoltageLimit,
                                                    PVEVSEPeakCurrentRipple)
    from iso15118.shared.messages.enums import ServiceV20
    from iso15118.shared.messages.iso15118_20.common_types import RationalNumber
    from iso15118.shared.messages.iso15118_20.dc import (BPTDCChargeParameterDiscoveryResParams,
                                                         DCChargeParameterDiscoveryResParams)

    def pv(cls: Any, value: float, unit: str) -> Any:
        exp = 0
        while abs(value) >= 32768 or value != int(value) and exp > -3:
            if abs(value) >= 32768:
                value, exp = value / 10, exp + 1
            else:
                value, exp = value * 10, exp - 1
        return cls(multiplier=exp, value=int(round(value)), unit=unit)

    class BenchEvse(SimEVSEController):
        def __init__(self) -> None:
            super().__init__()
            self._bench_limits()

        def reset_ev_data_context(self) -> None:
            super().reset_ev_data_context()
            self._bench_limits()

        def _bench_limits(self) -> None:
            ctx = self.evse_data_context
            for limits in (ctx.rated_limits.dc_limits, ctx.session_limits.dc_limits):
                limits.update_from_dict({
                    "max_charge_power": DC_MAX_W, "min_charge_power": 0, "max_charge_current": DC_MAX_A,
                    "min_charge_current": 0, "max_voltage": DC_MAX_V, "min_voltage": DC_MIN_V,
                    "max_discharge_power": DC_MAX_W, "min_discharge_power": 0, "max_discharge_current": DC_MAX_A,
                    "min_discharge_current": 0})
            self._output_off()

        def _output_off(self) -> None:
            self.evse_data_context.present_voltage, self.evse_data_context.present_current = 0, 0

        async def stop_charger(self) -> None:  # PowerDelivery stop: the output ramps down
            await super().stop_charger()
            self.evse_data_context.present_current = 0

        async def session_ended(self, current_state: str, reason: str) -> None:  # contactors open, output off
            await super().session_ended(current_state, reason)
            self._output_off()

        async def send_charging_command(self, ev_target_voltage: Any, ev_target_current: Any,
                                        is_precharge: bool = False, is_session_bpt: bool = False) -> None:
            ctx = self.evse_data_context
            if ev_target_voltage is not None:
                ctx.present_voltage = int(round(min(max(float(ev_target_voltage), 0.0), DC_MAX_V)))
            if ev_target_current is not None:
                ctx.present_current = int(round(min(abs(float(ev_target_current)), DC_MAX_A)))

        async def get_dc_charge_parameters(self) -> Any:
            base = await super().get_dc_charge_parameters()
            return DCEVSEChargeParameter(
                dc_evse_status=base.dc_evse_status,
                evse_maximum_power_limit=pv(PVEVSEMaxPowerLimit, DC_MAX_W, "W"),
                evse_maximum_current_limit=pv(PVEVSEMaxCurrentLimit, DC_MAX_A, "A"),
                evse_maximum_voltage_limit=pv(PVEVSEMaxVoltageLimit, DC_MAX_V, "V"),
                evse_minimum_current_limit=pv(PVEVSEMinCurrentLimit, 0, "A"),
                evse_minimum_voltage_limit=pv(PVEVSEMinVoltageLimit, DC_MIN_V, "V"),
                evse_peak_current_ripple=pv(PVEVSEPeakCurrentRipple, 1, "A"))

        async def get_evse_max_voltage_limit(self) -> Any:
            return pv(PVEVSEMaxVoltageLimit, DC_MAX_V, "V")

        async def get_evse_max_current_limit(self) -> Any:
            return pv(PVEVSEMaxCurrentLimit, DC_MAX_A, "A")

        async def get_evse_max_power_limit(self) -> Any:
            return pv(PVEVSEMaxPowerLimit, DC_MAX_W, "W")

        async def get_dc_charge_params_v20(self, energy_service: Any) -> Any:
            r = RationalNumber.get_rational_repr
            params = DCChargeParameterDiscoveryResParams(
                evse_max_charge_power=r(DC_MAX_W), evse_min_charge_power=r(0), evse_max_charge_current=r(DC_MAX_A),
                evse_min_charge_current=r(0), evse_max_voltage=r(DC_MAX_V), evse_min_voltage=r(DC_MIN_V),
                evse_power_ramp_limit=r(1000))
            if energy_service == ServiceV20.DC_BPT:
                return BPTDCChargeParameterDiscoveryResParams(
                    **params.dict(), evse_max_discharge_power=r(DC_MAX_W), evse_min_discharge_power=r(0),
                    evse_max_discharge_current=r(DC_MAX_A), evse_min_discharge_current=r(0))
            return await super().get_dc_charge_params_v20(energy_service) if energy_service != ServiceV20.DC \
                else params

    return BenchEvse()


async def serve(role: str, path: str, use_tls: bool) -> None:
    hook = Hook(role, use_tls)
    await hook.start()
    if os.path.exists(path):
        os.unlink(path)
    server = await asyncio.start_unix_server(lambda r, w: asyncio.create_task(hook.handle(r, w),
                                                                              name="hook-action"), path=path)
    asyncio.current_task().set_name("hook-main")  # type: ignore[union-attr]
    print(f"josev_hook ready: {role} on {path}", flush=True)
    async with server:
        if hook.secc is not None:
            hook.secc.set_name("hook-secc")
            await hook.secc  # the SECC ending is the device failing: the runner sees the process exit
        else:
            await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run Josev with the hook (Josev's virtualenv, device namespace)")
    s.add_argument("--role", choices=("ev", "evse"), required=True)
    s.add_argument("--socket", required=True)
    s.add_argument("--tls", action="store_true", help="EV: ask for TLS in SDP")
    c = sub.add_parser("send", help="ask the hook for an action (what the profile's adapter commands run)")
    c.add_argument("action")
    c.add_argument("--family", choices=("din", "iso-2", "iso-20"))
    args = ap.parse_args(argv)
    if args.cmd == "send":
        return send(args.action, args.family)
    try:
        asyncio.run(serve(args.role, args.socket, args.tls))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
