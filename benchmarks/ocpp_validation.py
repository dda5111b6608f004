"""Schema-validation throughput (messages per second, one core) for OCPP 1.6 and 2.0.1 messages:
vgitest's validator against the `jsonschema` path the `ocpp` library uses (its synchronous
`_validate_payload`, i.e. without the thread-executor hop of its async default).

Run: python benchmarks/ocpp_validation.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Callable

from ocpp.messages import Call, _validate_payload

from vgitest.ocpp.validator import SchemaValidator
from vgitest.ocpp.versions import VERSIONS

try:
    from benchmarks.corpus import V16, V201
except ImportError:
    from corpus import V16, V201  # type: ignore[no-redef]


def rate(fn: Callable[[], object], seconds: float) -> float:
    fn()  # warm caches (schema compilation is a one-off cost, reported separately)
    n, t0 = 0, time.perf_counter()
    deadline = t0 + seconds
    while True:
        for _ in range(50):
            fn()
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = ap.parse_args()
    print(f"# OCPP schema validation throughput — {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, one core")
    print(f"{'version':<7} {'message':<20} {'ocpp lib (jsonschema)':>22} {'vgitest validate()':>19} "
          f"{'vgitest is_valid()':>19} {'speed-up':>9}")
    totals = {"lib": [], "full": [], "fast": []}
    for version, corpus in (("1.6", V16), ("2.0.1", V201)):
        v = SchemaValidator(VERSIONS[version])
        for action, payload in corpus:
            assert v.validate(action, payload) == [], (action, v.validate(action, payload))
            call = Call(unique_id="1", action=action, payload=payload)
            lib = rate(lambda: _validate_payload(call, version), args.seconds)
            full = rate(lambda: v.validate(action, payload), args.seconds)
            fast = rate(lambda: v.is_valid(action, payload), args.seconds)
            totals["lib"].append(lib)
            totals["full"].append(full)
            totals["fast"].append(fast)
            print(f"{version:<7} {action:<20} {lib:>18,.0f}/s {full:>15,.0f}/s {fast:>15,.0f}/s {full / lib:>8.1f}x")
    n = len(totals["lib"])
    hm = {k: n / sum(1 / x for x in v) for k, v in totals.items()}
    print(f"{'all':<7} {'(harmonic mean)':<20} {hm['lib']:>18,.0f}/s {hm['full']:>15,.0f}/s {hm['fast']:>15,.0f}/s "
          f"{hm['full'] / hm['lib']:>8.1f}x")
    print("validate() = fastjsonschema fast path + empty-optional-field walk (what the fake CSMS runs per frame);"
          " is_valid() = the compiled check alone.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
