"""A: Security where OCPP 2.1 differs from 2.0.1. The 2.0.1 security cases that hold unchanged in 2.1 run from
suites/ocpp201 (test_A_security, test_M_certificates) under the built-in runs ocpp21-sp2 and ocpp21-sp3."""

from __future__ import annotations

import pytest

from vgitest.ocpp import tlsmatrix as m

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.1")


@pytest.mark.vgi_case("TC_A_22_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_A_22_CS(booted_station, vgi_profile, request):
    """2.1 loosens the no-downgrade rule at the top only: a station on security profile 3 may now be given profile
    2, but no station on profile 2 or 3 may be given profile 1, so SetNetworkProfile with profile 1 is Rejected.
    (The change from 3 to 2 is allowed, not required: there is nothing to judge in it.)"""
    m.judge_downgrade_floor(booted_station, m.needs_profile(request, vgi_profile, 2))
