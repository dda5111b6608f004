"""IEC 61850 on the wire: BER, GOOSE and Sampled Values (Ethernet multicast), MMS over ISO-on-TCP, and the
FLOW D3.1 Table 5 EV charging flow between a fake EV and a fake EVSE (issue 16)."""
