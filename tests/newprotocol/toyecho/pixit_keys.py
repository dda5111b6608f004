"""The toy protocol's PIXIT keys."""

from vgitest.pixitkey import Key, key

KEYS: tuple[Key, ...] = (key("hello_wait", "how long the case waits for the device's hello", ("toy",), 5, "s"),)
