"""Every plug-in the EV suites ask for names a ``mode``, so a command adapter's ``{mode}`` placeholder always has a
value (docs/iso15118.md); the other parameters arrive as VGI_* environment variables only when a case passes them.
Before, the common cases called ``plug_in`` with no parameter: a ``{mode}`` placeholder was a harness error, and
the reference EV kept the previous case's mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vgitest.adapters import CommandAdapter
from vgitest.verdict import Inconclusive


class Profile:
    def __init__(self, pixit: dict[str, Any], pics: dict[str, bool] | None = None) -> None:
        self.pixit, self.pics = pixit, pics or {}

    def param(self, key: str, default: Any = None) -> Any:
        return self.pixit.get(key, default)

    def supports(self, feature: str) -> bool:
        return bool(self.pics.get(feature))


class NoSession:
    def next_session(self, timeout: float) -> Any:
        raise Inconclusive("no EV connected")


def _plug(tmp_path: Path, profile: Profile, **plug: Any) -> str:
    from vgitest.iso15118.suite import ev_session
    out = tmp_path / "plug.txt"
    # shell braces are doubled: single braces are the adapter's placeholders (docs/iso15118.md)
    adapter = CommandAdapter({"plug_in": "echo {mode} $VGI_MODE ${{VGI_CONTROL_MODE:-none}} ${{VGI_PAUSE:-none}} > "
                                         + str(out)})
    with pytest.raises(Inconclusive):
        ev_session(NoSession(), adapter, profile, **plug)
    return out.read_text().strip()


def test_a_case_that_does_not_care_still_names_the_mode(tmp_path: Path) -> None:
    assert _plug(tmp_path, Profile({"session_wait": 0.1})) == "DC DC none none"
    assert _plug(tmp_path, Profile({"mode": "AC"})) == "AC AC none none"
    assert _plug(tmp_path, Profile({}, {"AC": True})) == "AC AC none none"


def test_a_case_passes_its_own_parameters(tmp_path: Path) -> None:
    assert _plug(tmp_path, Profile({"mode": "AC"}), mode="DC_BPT", control_mode="Scheduled") == \
        "DC_BPT DC_BPT Scheduled none"
    assert _plug(tmp_path, Profile({}), mode="DC", pause=True) == "DC DC none True"


def test_sdp_001_plugs_in_with_the_mode(tmp_path: Path) -> None:
    from vgitest.iso15118.fake import FakeSecc
    from vgitest.trace import Trace

    out = tmp_path / "plug.txt"
    secc = FakeSecc.__new__(FakeSecc)
    secc.trace = Trace()
    secc.next_session = NoSession().next_session  # type: ignore[method-assign]
    adapter = CommandAdapter({"plug_in": "echo {mode} > " + str(out)})
    assert secc.next_session_or_finding(adapter, Profile({"session_wait": 0.1, "mode": "AC"})) is None
    assert out.read_text().strip() == "AC"
