"""ISO 15118-3 SLAC fuzz suite (issue 15): TC_VGI_FUZZ_SLAC_01_SECC tests an EVSE through the fake SLAC EV,
TC_VGI_FUZZ_SLAC_01_EVCC an EV through the fake SLAC EVSE (the profile's [dut] role and PICS Evse/Ev select them)."""
