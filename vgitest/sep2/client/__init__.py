"""The reference IEEE 2030.5 DER client (EVSE-flavoured): the default DUT of the CSIP suites."""
