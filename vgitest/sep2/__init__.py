"""IEEE 2030.5 (SEP 2) and CSIP / CSIP-AUS: the pieces a fake 2030.5 server for DER clients is built from."""
