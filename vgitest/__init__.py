"""vgitest: conformance and interoperability test harness for EV, charger and grid protocols."""

__version__ = "0.1.0"
