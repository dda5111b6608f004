"""The function sets of the reference DER client: the groups assigned to it (FunctionSetAssignments), their
DERPrograms, each program's DefaultDERControl, DERControls and DERCurves, and forgetting what a group or
program no longer lists."""

from __future__ import annotations

import asyncio
from typing import Callable

from ..codec import as_list, find
from . import modes
from .core import Core, Handler, to_int
from .events import Events
from .walk import Walk

KNOWN_STATUSES = (0, 1, 2, 3, 4)  # EventStatus currentStatus values 2030.5 defines (a UInt8 in the schema)
HANG_S = 4.0  # hangs_on_unknown_status: how long the walk is stuck (past the fuzz cases' 3.3 s liveness window, see
# walk.CRASH_S)
PROGRAM_LINKS = ("DefaultDERControlLink", "DERControlListLink", "DERCurveListLink")


class Programs:
    """What the programs it follows hold; `on_settings` is called when a program's setGradW may have changed."""

    def __init__(self, core: Core, walk: Walk, events: Events, on_settings: Callable[[], None]) -> None:
        self.core, self.walk, self.events = core, walk, events
        self._on_settings = on_settings
        self.programs: dict[str, dict] = {}  # program href -> primacy, links
        self._owner: dict[str, str] = {}  # DefaultDERControl/DERControlList/DERCurveList href -> program href
        self.defaults: dict[str, dict] = {}  # program href -> DefaultDERControl's DERControlBase
        self.default_settings: dict[str, dict] = {}  # program href -> its DefaultDERControl's setGradW
        self.curves: dict[str, list] = {}
        self._fsa_lists: dict[str, str] = {}  # FunctionSetAssignments href -> its DERProgramList href
        self._list_programs: dict[str, set[str]] = {}  # DERProgramList href -> the program hrefs it listed
        self.curve_cache: dict[str, modes.Curve] = {}  # DERCurve href -> curve (hrefs are never reused)
        self.left_behind: set[str] = set()  # programs a reregister forgot and no list has named since

    def forget(self, keep_defaults: bool = False) -> None:
        """Forget the programs found. With `keep_defaults` (a power cycle: settings kept as in flash) the programs
        that gave a DefaultDERControl stay, so that default stays in force until their lists are read again (a
        program no longer listed then is dropped as usual)."""
        kept = {h: p for h, p in self.programs.items() if keep_defaults and h in self.defaults}
        lists = {lst: hrefs & set(kept) for lst, hrefs in self._list_programs.items()}
        self.left_behind |= set(self.programs) - set(kept)
        self.programs.clear()
        self._owner.clear()
        self._fsa_lists.clear()
        self._list_programs.clear()
        self.programs.update(kept)
        self._list_programs.update({lst: hrefs for lst, hrefs in lists.items() if hrefs})

    def handlers(self) -> dict[str, Handler]:
        return {"FunctionSetAssignmentsList": self._on_fsa_list, "FunctionSetAssignments": self._on_fsa,
                "DERProgramList": self._on_programs, "DefaultDERControl": self._on_default,
                "DERControlList": self._on_controls, "DERCurveList": self._on_curves, "DERCurve": self._on_curve}

    def owner(self, href: str) -> str | None:
        """The program a DefaultDERControl, DERControlList or DERCurveList belongs to."""
        return self._owner.get(href)

    def grad_w(self, own: int) -> int:
        """The setGradW in force: a DefaultDERControl's, while one of its programs' carries it (the lowest
        primacy's), else its `own`. A server's value updates the setting (DERSettings is PUT again), and the
        client goes back to its own when no program gives one any more, so one program's ramp does not outlive
        it."""
        given = [(p["primacy"], to_int(self.default_settings[h]["setGradW"])) for h, p in self.programs.items()
                 if "setGradW" in self.default_settings.get(h, {})]
        return min(given)[1] if given else own

    async def _on_fsa_list(self, href: str, body: dict) -> None:
        """Follow every group assigned to the device; forget the programs of a group no longer listed."""
        fsas = [f["@href"] for f in as_list(body.get("FunctionSetAssignments")) if isinstance(f, dict) and "@href" in f]
        if self.core.has("reads_first_fsa_only"):
            fsas = fsas[:1]
        if not self.core.has("keeps_removed_fsa"):
            for gone in set(self._fsa_lists) - set(fsas):
                self.walk.drop(gone)
                self._drop_list(self._fsa_lists.pop(gone))
        for fsa in fsas:
            await self.walk.follow(fsa)

    async def _on_fsa(self, href: str, body: dict) -> None:
        link = find(body, "DERProgramListLink/@href")
        if link:
            self._fsa_lists[href] = str(link)
        await self.walk.follow(link)

    def _drop_list(self, href: str) -> None:
        """A program list no group links to any more: stop polling it and forget its programs."""
        if href in self._fsa_lists.values():
            return
        self.walk.drop(href)
        for prog in self._list_programs.pop(href, set()):
            if not any(prog in progs for progs in self._list_programs.values()):
                self._drop_program(prog)

    def _drop_program(self, p_href: str) -> None:
        """Forget a program that is no longer listed: its defaults, curves and events (none of them applies)."""
        prog = self.programs.pop(p_href, None) or {}
        self.defaults.pop(p_href, None)
        self.default_settings.pop(p_href, None)
        self.curves.pop(p_href, None)
        for key in PROGRAM_LINKS:
            link = prog.get(key)
            if link:
                self._owner.pop(link, None)
                self.walk.drop(link)
        self.events.program_gone(p_href)

    async def _on_programs(self, href: str, body: dict) -> None:
        seen: set[str] = set()
        progs = as_list(body.get("DERProgram"))
        for prog in progs[:1] if self.core.has("first_program_only") else progs:
            if not isinstance(prog, dict) or "@href" not in prog:
                continue
            p_href = prog["@href"]
            seen.add(p_href)
            self.left_behind.discard(p_href)
            primacy = to_int(prog.get("primacy"))
            if self.core.has("primacy_read_once") and p_href in self.programs:
                primacy = self.programs[p_href]["primacy"]  # the fault: a program's primacy is read once
            links = {k: find(prog, f"{k}/@href") for k in PROGRAM_LINKS}
            self.programs[p_href] = {"primacy": primacy, "mRID": prog.get("mRID"), **links}
            self.events.set_primacy(p_href, primacy)
            for link in links.values():
                if link:
                    self._owner[link] = p_href
            for link in links.values():
                await self.walk.follow(link)
        before = self._list_programs.get(href, set())
        self._list_programs[href] = seen
        for gone in before - seen:
            if not any(gone in progs for progs in self._list_programs.values()):
                self._drop_program(gone)
        self._on_settings()

    async def _on_default(self, href: str, body: dict) -> None:
        prog = self._owner.get(href)
        if prog is not None:
            self.defaults[prog] = dict(body.get("DERControlBase") or {})
            self.default_settings[prog] = {k: body[k] for k in ("setGradW",) if k in body}
            self._on_settings()
            await self._fetch_curves(self.defaults[prog])

    async def _on_curves(self, href: str, body: dict) -> None:
        prog = self._owner.get(href)
        if prog is not None:
            self.curves[prog] = as_list(body.get("DERCurve"))
            for curve in self.curves[prog]:
                if isinstance(curve, dict) and curve.get("@href"):
                    await self._on_curve(curve["@href"], curve)

    async def _on_curve(self, href: str, body: dict) -> None:
        curve = modes.parse_curve(body)
        if curve is None:
            self.core.log.append(f"DERCurve {href}: not usable")
        else:
            self.curve_cache[href] = curve

    async def _fetch_curves(self, base: dict) -> None:
        """Fetch the curves a control links to that it does not know yet (DERCurveList may come later)."""
        for link in modes.curve_links(base).values():
            if link not in self.curve_cache:
                await self.walk.follow(link)

    async def _on_controls(self, href: str, body: dict) -> None:
        prog = self._owner.get(href)
        if prog is None:
            return
        if self.core.has("hangs_on_unknown_status") and any(
                to_int(find(c, "EventStatus/currentStatus")) not in KNOWN_STATUSES
                for c in as_list(body.get("DERControl")) if isinstance(c, dict)):
            self.core.log.append(f"{href}: unknown EventStatus, stuck for {HANG_S:g} s (hangs_on_unknown_status)")
            await asyncio.sleep(HANG_S)  # holding the walk: nothing is polled meanwhile
        for ctl in as_list(body.get("DERControl")):
            if isinstance(ctl, dict) and ctl.get("mRID"):
                ev = self.events.see(prog, self.programs.get(prog, {}).get("primacy", 0), ctl)
                if ev.state != "done":
                    await self._fetch_curves(ev.base)
