"""B: migrating to another network connection profile (B09 SetNetworkProfile, B10): the CSMS stores a profile in a
free configuration slot, puts that slot first in OCPPCommCtrlr.NetworkConfigurationPriority and resets the station;
the station must come back over that profile, or, when it cannot reach it, fall back to the next one.

The new profile points at the same fake CSMS (the same CSMS root) under another host name: by default the loopback
address written as `localhost` instead of `127.0.0.1` (PIXIT csms_alternate_url names another URL for a setup where
that does not apply); the Host header of the station's connection tells which profile it used. The unreachable
profile of TC_B_46_CS is a loopback port nothing listens on. Slot, priority and connection attempts are restored
after each case (NetworkProfileConnectionAttempts 1 for the fallback, so that it stays short)."""

from __future__ import annotations

import socket
import urllib.parse
from typing import Any

import pytest

import offline201 as o
from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.trace import Direction, Frame
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")

FEATURE = "Provisioning"
PRIORITY = ("OCPPCommCtrlr", "NetworkConfigurationPriority", None)
ATTEMPTS = ("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", None)


def _alternate_url(st, profile) -> str:
    url = profile.param("csms_alternate_url")
    if url:
        return str(url)
    parts = urllib.parse.urlsplit(st.csms.url)
    if parts.hostname != "127.0.0.1":
        raise Inconclusive("the fake CSMS is not on 127.0.0.1 and the profile names no csms_alternate_url: the case "
                           "needs a second URL of the same CSMS")
    return urllib.parse.urlunsplit(parts._replace(netloc=f"localhost:{parts.port}"))


def _dead_url(st) -> str:
    """A loopback URL nothing listens on (the port is taken and given back at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    parts = urllib.parse.urlsplit(st.csms.url)
    return urllib.parse.urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def _store(st, profile, url: str) -> int:
    """SetNetworkProfile of `url` (the station's present security profile and MessageTimeout) in the free slot
    (PIXIT network_slot, default 2); the slot."""
    slot = int(profile.param("network_slot", 2))
    timeout = o.read(st, ("OCPPCommCtrlr", "MessageTimeout", "Default")) or "30"
    data = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url,
            "messageTimeout": int(timeout) if timeout.isdigit() else 30,
            "securityProfile": int(st.csms.security_profile),
            "ocppInterface": str(profile.param("ocpp_interface", "Wired0"))}
    answer = st.call_frame("SetNetworkProfile", {"configurationSlot": slot, "connectionData": data})
    if answer.kind == "CALLERROR":  # a Core request (B09): it must be served
        st.fail(r.STATION_RESPONSE, f"SetNetworkProfile for slot {slot} answered CALLERROR "
                f"{answer.body.get('errorCode')}; expected Accepted", answer)
    st.check(answer.body["status"] == "Accepted", r.STATION_RESPONSE,
             f"SetNetworkProfile of a profile in slot {slot}: {answer.body['status']}", answer)
    return slot


def _reset(st, profile) -> Frame:
    """Reset the idle station; its first connection after the reset (the OPEN frame), once it has booted."""
    mark = s.mark(st)
    res = st.call("Reset", {"type": "OnIdle"})
    st.check(res.get("status") == "Accepted", r.STATION_RESPONSE, f"Reset OnIdle of an idle station: {res}")
    s.require(st, "BootNotification", mark, float(profile.param("boot_timeout", 15)), r.NETWORK_PROFILE,
              "the station did not come back (connect and boot) after the reset")
    opened = [f for f in st.frames(mark) if f.kind == "OPEN" and f.direction is Direction.IN]
    if not opened:
        st.fail(r.NETWORK_PROFILE, "the station booted after the reset without a new connection")
    return opened[0]


def _case(st, profile, url: str, want: str, attempts: str | None, *, back: bool) -> None:
    """Store `url`, put its slot first, reset, and judge the host of the station's connection against `want`.
    `back`: reset once more after the settings are restored, so that the station is on its old profile again."""
    slot = _store(st, profile, url)
    with preamble("the present NetworkConfigurationPriority"):
        old = o.read(st, PRIORITY) or ""
    settings: dict[Any, str] = {PRIORITY: ",".join([str(slot)] + [x for x in old.split(",")
                                                                   if x.strip() and x.strip() != str(slot)])}
    if attempts is not None:
        settings[ATTEMPTS] = attempts
    with o.variables(st, settings):
        opened = _reset(st, profile)
        got = opened.meta.get("host", "")
        st.check(got == want, r.NETWORK_PROFILE,
                 f"after the reset the station connected to {got or 'an unknown host'}; expected {want} "
                 f"(NetworkConfigurationPriority {settings[PRIORITY]}, slot {slot}: {url})", opened)
    if back:
        with preamble("a reset back to the station's old connection profile"):
            _reset(st, profile)


@pytest.mark.vgi_case("TC_B_45_CS", feature=FEATURE, requires=("Core",))
def test_TC_B_45_CS(booted_station, vgi_profile) -> None:
    """A profile for the same CSMS under another URL goes into a free slot (PIXIT network_slot, default 2), which
    becomes first in NetworkConfigurationPriority; after a reset the station connects, and boots, over that URL.
    Afterwards the priority is restored and the station reset once more, back to its old profile."""
    url = _alternate_url(booted_station, vgi_profile)
    _case(booted_station, vgi_profile, url, _host(url), None, back=True)


@pytest.mark.vgi_case("TC_B_46_CS", feature=FEATURE, requires=("Core",))
def test_TC_B_46_CS(booted_station, vgi_profile) -> None:
    """As TC_B_45_CS with a profile the station cannot reach, and NetworkProfileConnectionAttempts 1: after the
    reset the station gives that profile up and connects, and boots, over the next one in the priority list (the
    URL it used before)."""
    st = booted_station
    before = [f for f in st.frames(0) if f.kind == "OPEN" and f.direction is Direction.IN]
    if not before or not before[-1].meta.get("host"):
        raise Inconclusive("the station's present connection names no host: the case cannot tell which profile the "
                           "station falls back to")
    _case(st, vgi_profile, _dead_url(st), before[-1].meta["host"], "1", back=False)
