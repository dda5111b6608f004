"""IEC 61850 Table 5 flow, EV under test: the harness is the EVSE (fake EVSE). The ids are vgitest's own
(TC_VGI_*). Every case runs one whole flow; the fake EVSE judges each SV and MMS frame of the EV as it goes, and
the case checks its purpose with the flow rules."""

from __future__ import annotations

from vgitest.iec61850.suite import PROTOCOL, case, completed, sized

pytestmark = PROTOCOL


@case("TC_VGI_61850_EV_FLOW_001", "Ev")
def test_TC_VGI_61850_EV_FLOW_001(flow_evse):
    """The EV runs the whole flow with the EVSE: it writes its power request, answers the EVSE's parameter read,
    publishes its state of charge once charging is initiated and stops after it is terminated: no SoC update later
    than five update periods (100 ms at the harness's 20 ms) after the first terminating GOOSE, a bound of the
    harness (Table 5 sets none) wide enough for a loaded test machine."""
    s = flow_evse.flow()
    completed(flow_evse, s, ("power_request", "parameters", "initiate", "terminate"))
    soc = s.row(6)
    flow_evse.check(len(soc) >= 1, "IEC-FLOW-STEP", "the EV published no SoC update while charging")
    initiate, terminate = s.row(5, "harness"), s.row(7, "harness")
    if soc and initiate:
        flow_evse.check(soc[0].t_ns > initiate[0].t_ns, "IEC-FLOW-STEP", "the EV published its SoC before charging "
                        "was initiated", soc[0])
    if terminate:
        limit = terminate[0].t_ns + int(5 * flow_evse.timers.sv_interval * 1e9)
        late = [f for f in soc if f.t_ns > limit]
        flow_evse.check(not late, "IEC-FLOW-STEP", f"{len(late)} SoC update(s) after the terminating GOOSE",
                        late[0] if late else None)


@case("TC_VGI_61850_EV_SV_001", "Ev")
def test_TC_VGI_61850_EV_SV_001(flow_evse):
    """The EV's SoC updates are one SV stream: the configured svID throughout and smpCnt one up per update, with
    no gap and no repeat (the stream checks judge every frame)."""
    s = flow_evse.flow()
    completed(flow_evse, s, ("power_request", "parameters", "initiate", "terminate"))
    flow_evse.check(len(s.row(6)) >= 3, "IEC-FLOW-STEP", f"only {len(s.row(6))} SoC update(s) during the charge")


@case("TC_VGI_61850_EV_MMS_001", "Ev")
def test_TC_VGI_61850_EV_MMS_001(flow_evse):
    """A write to the EV's measured state of charge (functional constraint MX, read-only) is refused with a
    DataAccessError."""
    s, answer = flow_evse.probe_read_only()
    flow_evse.check_outcome(answer is not None, "MMS-READONLY-WRITE", "the EV accepted a write to its read-only "
                            "state of charge")


@case("TC_VGI_61850_EV_SIZE_001", "Ev")
def test_TC_VGI_61850_EV_SIZE_001(flow_evse, vgi_run):
    """Every SoC update the EV publishes is no larger than Table 5 row 6 as a whole frame; both sizes are in the
    evidence."""
    s = flow_evse.flow()
    completed(flow_evse, s, ("power_request", "parameters", "initiate", "terminate"))
    flow_evse.judge_sizes(s, (6,), vgi_run.budgets)


@case("TC_VGI_61850_EV_SIZE_002", "Ev")
def test_TC_VGI_61850_EV_SIZE_002(flow_evse, vgi_run):
    """The EV's answer to the EVSE's parameter read is no larger than Table 5 row 4 as a whole frame (TPKT plus 54
    bytes of Ethernet, IPv4 and TCP headers)."""
    sized(flow_evse, vgi_run.budgets, (4,), ("power_request", "parameters"), "answer to the parameter read")
