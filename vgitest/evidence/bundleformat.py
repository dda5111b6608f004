"""The evidence bundle's format: the names of its manifest and signature members and the error every bundle
module raises (kept apart so that making, signing and verifying a bundle import it without importing each other)."""

from __future__ import annotations

FORMAT = "vgitest-evidence-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
CHUNK = 1 << 20  # bytes hashed at a time


class BundleError(Exception):
    """The bundle cannot be made or read (no run found, an unusable key); the message says what to do."""
