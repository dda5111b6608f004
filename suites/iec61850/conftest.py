"""IEC 61850 suite: the FLOW D3.1 Table 5 EV charging flow (MMS power request and parameter read, GOOSE initiate and
terminate, SV state-of-charge updates). TC_VGI_61850_EVSE_* cases test an EVSE through the fake EV, TC_VGI_61850_EV_*
cases an EV through the fake EVSE (the profile's [dut] role and PICS Evse/Ev select them)."""
