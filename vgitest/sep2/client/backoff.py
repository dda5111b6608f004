"""Retry-After in the reference DER client: a server that refuses a GET for now (HTTP 429 Too Many Requests or 503
Service Unavailable) may say when to come back; the client then leaves that resource alone until then, whatever
its pollRate says, and polls it normally afterwards (CACTUS P-06). Without the header it is retried as before."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

REFUSALS = (429, 503)  # the statuses whose Retry-After it honours
MAX_S = 3600.0  # a Retry-After beyond an hour is taken as an hour: a resource is never given up for good


class RetryLater(Exception):
    """The server refused a GET and named when to come back (`seconds` from now)."""

    def __init__(self, status: int, seconds: float) -> None:
        super().__init__(f"HTTP {status}, back in {seconds:g} s")
        self.status, self.seconds = status, seconds


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait that a Retry-After header gives (delay-seconds or an HTTP date); None without a usable one."""
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return min(MAX_S, float(raw))
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return min(MAX_S, max(0.0, when.timestamp() - (time.time() if now is None else now)))
