"""A VEN built on `openleadr` 0.5.36 (OpenLEADR, PyPI, Apache-2.0; a dev dependency) as the VEN under test.

Everything OpenADR lives in the library: its ``OpenADRClient`` queries and creates the registration, registers its
reports, polls at the frequency the VTN grants, answers events, sends reports, opts and cancels opts with its own
XML templates and its own schema validation. This module only adds what an application adds around it: one
telemetry report (a constant voltage), an event handler that answers with the VEN's current opt decision, and
the harness's actions. It shares no code with vgitest's reference VEN or codec.

The class fits the harness's `simulated` DUT adapter like `tests.interop.mh_station`: ``Cls(vtn_url, name, *,
faults, params)``, ``start()``, ``stop()`` and ``perform(action, **params)``. The client runs on a loop thread of
its own. ``reregister`` stops the client and starts a new one (a new VEN that knows nothing); ``reboot`` does the
same, except that the new client remembers the venID the VTN assigned, as a device does across a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from vgitest.simulator import LoopSimulator

log = logging.getLogger("tests.interop.openleadr_ven")
logging.getLogger("openleadr").setLevel(logging.CRITICAL)
OPT_REASON = "participating"  # openleadr insists on an opt reason from its enum


class OpenleadrVen(LoopSimulator):
    """An openleadr ``OpenADRClient`` with one report, restarted for ``reregister`` and ``reboot``."""

    kind = "openleadr-ven"

    def __init__(self, vtn_url: str, name: str = "openleadr-ven", *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, **_: Any) -> None:
        if faults:
            raise ValueError("the openleadr VEN has no injectable faults (it is not vgitest's VEN)")
        self.vtn_url = vtn_url
        self.name = name
        self.params = dict(params or {})
        self.sample_s = float(self.params.get("report_min_period_s", 1))
        self.opt = "optIn"
        self.client: Any = None
        self.ven_id: str | None = None

    # lifecycle -----------------------------------------------------------------------------------------------
    def _build(self, ven_id: str | None) -> Any:
        import openleadr
        client = openleadr.OpenADRClient(ven_name=self.name, vtn_url=self.vtn_url, ven_id=ven_id,
                                         allow_jitter=False, disable_signature=True)
        client.add_handler("on_event", self._on_event)
        client.add_report(callback=lambda: 230.5, resource_id="charger-1", measurement="voltage",
                          sampling_rate=dt.timedelta(seconds=self.sample_s))
        return client

    async def _on_event(self, event: dict) -> str:
        return self.opt

    async def _start_client(self, ven_id: str | None) -> None:
        self.client = self._build(ven_id)
        await self.client.run()
        self.ven_id = self.client.ven_id or self.ven_id

    async def _stop_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                await client.stop()
            except Exception:  # a client that never registered has nothing to stop
                log.debug("stopping the openleadr client", exc_info=True)

    async def _power_on(self) -> None:
        await self._start_client(None)

    async def _power_off(self) -> None:
        await self._stop_client()

    # the harness's actions --------------------------------------------------------------------------------------
    async def do_reregister(self) -> None:
        await self._stop_client()
        self.ven_id = None
        await self._start_client(None)

    async def do_reboot(self) -> None:
        await self._stop_client()
        await self._start_client(self.ven_id)

    async def do_cancel_registration(self) -> None:
        await self.client.cancel_party_registration()

    async def do_request_event(self) -> None:
        await self.client.sync_events()  # oadrRequestEvent, then the events it gets are answered

    async def do_set_event_opt(self, opt: str) -> None:
        self.opt = opt

    async def do_opt_in(self, event_id: str, opt_id: str | None = None) -> None:
        await self._opt_event("optIn", event_id, opt_id)

    async def do_opt_out(self, event_id: str, opt_id: str | None = None) -> None:
        await self._opt_event("optOut", event_id, opt_id)

    async def _opt_event(self, opt: str, event_id: str, opt_id: str | None) -> None:
        mod = next((e["event_descriptor"].get("modification_number", 0) for e in self.client.received_events
                    if e["event_descriptor"]["event_id"] == event_id), 0)
        await self.client.create_opt(opt_type=opt, opt_reason=OPT_REASON, targets=[{"ven_id": self.client.ven_id}],
                                     event_id=event_id, modification_number=mod, opt_id=opt_id)

    async def do_opt_schedule(self, start: str, duration_s: float, opt: str = "optOut",
                              opt_id: str | None = None) -> None:
        from openleadr import objects
        begin = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        window = objects.Vavailability([objects.VavailabilityComponent(begin, dt.timedelta(seconds=float(duration_s)))])
        await self.client.create_opt(opt_type=opt, opt_reason=OPT_REASON, targets=[{"ven_id": self.client.ven_id}],
                                     vavailability=window, opt_id=opt_id)

    async def do_cancel_opt(self, opt_id: str) -> None:
        await self.client.cancel_opt(opt_id)
