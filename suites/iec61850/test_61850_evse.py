"""IEC 61850 Table 5 flow, EVSE under test: the harness is the EV (fake EV). The ids are vgitest's own
(TC_VGI_*: no published test specification covers this flow). Every case runs one whole flow; the fake EV judges
each GOOSE and MMS frame of the EVSE as it goes, and the case checks its purpose with the flow rules."""

from __future__ import annotations

from vgitest.iec61850.suite import PROTOCOL, case, completed, sized

pytestmark = PROTOCOL


@case("TC_VGI_61850_EVSE_FLOW_001", "Evse")
def test_TC_VGI_61850_EVSE_FLOW_001(flow_ev):
    """The EVSE runs the whole flow with the EV: it acknowledges the power request, reads the EV's parameters once
    the request is in, initiates charging by GOOSE and terminates it by GOOSE while the EV publishes its SoC."""
    s = flow_ev.flow()
    completed(flow_ev, s, ("power_request", "initiate", "terminate"))
    reads = s.of("REQUEST", "dut")
    flow_ev.check(any(f.meta.get("row") == 3 for f in reads), "IEC-FLOW-STEP", "the EVSE initiated charging without "
                  f"reading the EV's parameters (its requests: {[f.name for f in reads]})")
    initiate = s.row(5)
    flow_ev.check_outcome(initiate, "IEC-FLOW-STEP", "no initiating GOOSE in the flow's frames")
    flow_ev.check(all(f.t_ns < initiate[0].t_ns for f in reads if f.meta.get("row") == 3), "IEC-FLOW-STEP",
                  "the EVSE read the EV's parameters only after it initiated charging", initiate[0])


@case("TC_VGI_61850_EVSE_GOOSE_001", "Evse")
def test_TC_VGI_61850_EVSE_GOOSE_001(flow_ev):
    """The initiating and the terminating GOOSE are one control block's two states: each is repeated on a growing
    interval, with stNum one up at the change, sqNum counting the repeats from 0, and each message arriving within
    the timeAllowedtoLive of the one before (the stream checks judge every frame)."""
    s = flow_ev.flow()
    completed(flow_ev, s, ("power_request", "initiate", "terminate"))
    for row, what in ((5, "initiating"), (7, "terminating")):
        frames = s.row(row)
        flow_ev.check_outcome(len(frames) >= 2, "GOOSE-TAL-EXPIRED", f"the {what} GOOSE was sent {len(frames)} "
                              "time(s): a state is repeated until the next change", frames[0] if frames else None)


@case("TC_VGI_61850_EVSE_MMS_001", "Evse")
def test_TC_VGI_61850_EVSE_MMS_001(flow_ev):
    """A write to the EVSE's charging state (functional constraint ST, read-only) is refused with a DataAccessError;
    the EVSE's model stays as it was."""
    s, answer = flow_ev.probe_read_only()
    flow_ev.check_outcome(answer is not None, "MMS-READONLY-WRITE", "the EVSE accepted a write to its read-only "
                          "charging state")


@case("TC_VGI_61850_EVSE_SIZE_001", "Evse")
def test_TC_VGI_61850_EVSE_SIZE_001(flow_ev, vgi_run):
    """Every GOOSE frame the EVSE sends (initiate and terminate, each repeat) is no larger than Table 5 rows 5 and 7
    as a whole frame; both sizes are in the evidence."""
    s = flow_ev.flow()
    completed(flow_ev, s, ("power_request", "initiate", "terminate"))
    flow_ev.judge_sizes(s, (5, 7), vgi_run.budgets)


@case("TC_VGI_61850_EVSE_SIZE_002", "Evse")
def test_TC_VGI_61850_EVSE_SIZE_002(flow_ev, vgi_run):
    """The EVSE's parameter read is no larger than Table 5 row 3 as a whole frame (TPKT plus 54 bytes of Ethernet,
    IPv4 and TCP headers): asking for the EV's node per functional constraint fits, naming every attribute does
    not."""
    sized(flow_ev, vgi_run.budgets, (3,), ("power_request", "initiate"), "parameter read")
