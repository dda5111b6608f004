"""IEEE 2030.5 / CSIP: the fake 2030.5 server for DER clients."""
